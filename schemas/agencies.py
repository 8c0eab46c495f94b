"""The agency registry: who may send events, loaded from ``schemas/agencies.yaml``.

Usage::

    agencies = load_agencies()
    agencies["land-registry"].name_vi   # 'Chi nhánh Văn phòng Đăng ký đất đai Nha Trang'
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.errors import SchemaError

__all__ = ["AGENCIES_PATH", "Agency", "AgencyKind", "AgencyRegistry", "default_agencies", "load_agencies"]

AGENCIES_PATH = Path(__file__).with_name("agencies.yaml")

AgencyKind = Literal["one-stop", "land-registry", "tax", "office", "ward", "dept", "city-dept"]

# Codes of singular kinds are the kind itself; the others carry a name after a prefix.
_PREFIX: dict[str, str] = {"ward": "ward-", "dept": "dept-", "city-dept": "city-dept-"}


class Agency(BaseModel):
    """One agency: ``code`` (the CloudEvents ``source``), kind, Vietnamese and English names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=64)
    kind: AgencyKind
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)

    @field_validator("name_vi", "name_en")
    @classmethod
    def _nfc(cls, value: str) -> str:
        if not unicodedata.is_normalized("NFC", value):
            raise ValueError("agency names must be Unicode NFC")
        return value

    @model_validator(mode="after")
    def _code_matches_kind(self) -> Agency:
        prefix = _PREFIX.get(self.kind)
        if prefix is None and self.code != self.kind:
            raise ValueError(f"agency of kind {self.kind!r} must have code {self.kind!r}, got {self.code!r}")
        if prefix is not None and not (self.code.startswith(prefix) and len(self.code) > len(prefix)):
            raise ValueError(f"agency of kind {self.kind!r} needs a code like '{prefix}<name>', got {self.code!r}")
        if self.kind == "dept" and self.code.startswith("city-dept-"):
            raise ValueError("a provincial department code must not start with 'city-dept-'")
        return self


class _AgencyFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    agencies: tuple[Agency, ...] = Field(min_length=1)


class AgencyRegistry(Mapping[str, Agency]):
    """Read-only mapping ``code -> Agency``."""

    def __init__(self, agencies: tuple[Agency, ...], version: int = 1) -> None:
        self._by_code: dict[str, Agency] = {}
        for agency in agencies:
            if agency.code in self._by_code:
                raise SchemaError(f"agency code {agency.code!r} is listed twice")
            self._by_code[agency.code] = agency
        self.version = version

    def __getitem__(self, code: str) -> Agency:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def kind_of(self, code: str) -> AgencyKind:
        return self._by_code[code].kind

    def of_kind(self, kind: AgencyKind) -> tuple[Agency, ...]:
        return tuple(a for a in self._by_code.values() if a.kind == kind)


def load_agencies(path: Path | None = None) -> AgencyRegistry:
    """Load and validate an agency file (default: the packaged ``agencies.yaml``)."""
    source = path or AGENCIES_PATH
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
        parsed = _AgencyFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise SchemaError(f"invalid agency registry {source}: {exc}") from exc
    return AgencyRegistry(parsed.agencies, parsed.version)


@functools.cache
def default_agencies() -> AgencyRegistry:
    """The packaged registry, loaded once on first use; event validation checks codes against it."""
    return load_agencies()
