"""The agency registry: who may send events, loaded from ``schemas/agencies.yaml``.

Organisation changes are data, not code: an agency carries the names it had from given dates
(``renamed``), and the day it ceased with the agency that took over its work (``until``, ``successor``).
Pages, notices and alerts print the name in force on the day they speak of; a handoff to an agency that no
longer exists on its day is refused with the successor's code.

Usage::

    agencies = load_agencies()
    agencies["land-registry"].name_vi   # 'Chi nhánh Văn phòng Đăng ký đất đai Nha Trang' (the first name)
    agencies.name_vi("dept-tnmt", on=date(2026, 1, 5))   # the name in force that day
    agencies.ceased("ward-loc-tho", on=date(2026, 1, 5))  # None, or the Agency that ceased
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.errors import SchemaError

__all__ = [
    "AGENCIES_PATH",
    "Agency",
    "AgencyKind",
    "AgencyRegistry",
    "Renaming",
    "default_agencies",
    "load_agencies",
]

AGENCIES_PATH = Path(__file__).with_name("agencies.yaml")
_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

AgencyKind = Literal[
    "one-stop", "land-registry", "tax", "office", "ward", "dept", "city-dept", "police", "social-insurance"
]

# Codes of singular kinds are the kind itself; the others carry a name after a prefix.
_PREFIX: dict[str, str] = {"ward": "ward-", "dept": "dept-", "city-dept": "city-dept-", "police": "police-"}


def _nfc(value: str) -> str:
    if not unicodedata.is_normalized("NFC", value):
        raise ValueError("agency names must be Unicode NFC")
    return value


class Renaming(BaseModel):
    """A name an agency bears from a date (a reorganisation that kept its code and work)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    since: date = Field(alias="from")
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    basis: str = Field(min_length=1, max_length=300, description="The decision behind it (mark unverified)")

    _nfc_names = field_validator("name_vi", "name_en")(_nfc)


class Agency(BaseModel):
    """One agency: ``code`` (the CloudEvents ``source``), kind, its names over time, and when it ceased."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=64)
    kind: AgencyKind
    name_vi: str = Field(min_length=1, max_length=200)  # its first name (before any ``renamed`` entry)
    name_en: str = Field(min_length=1, max_length=200)
    renamed: tuple[Renaming, ...] = ()
    until: date | None = None  # the last day it existed
    successor: str | None = None  # who took over its work from the day after ``until``

    _nfc_names = field_validator("name_vi", "name_en")(_nfc)

    def names_on(self, day: date | None = None) -> tuple[str, str]:
        """(Vietnamese, English) name in force on ``day`` (today's name when None)."""
        day = day or _today()
        vi, en = self.name_vi, self.name_en
        for renaming in self.renamed:
            if renaming.since <= day:
                vi, en = renaming.name_vi, renaming.name_en
        return vi, en

    def exists_on(self, day: date) -> bool:
        return self.until is None or day <= self.until

    @model_validator(mode="after")
    def _history_in_order(self) -> Agency:
        dates = [r.since for r in self.renamed]
        if dates != sorted(set(dates)):
            raise ValueError(f"agency {self.code}: renamings must be in date order, one per date")
        if (self.until is None) != (self.successor is None):
            raise ValueError(f"agency {self.code}: 'until' and 'successor' go together")
        if self.successor == self.code:
            raise ValueError(f"agency {self.code} cannot succeed itself")
        return self

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
        for agency in agencies:
            if agency.successor is not None and agency.successor not in self._by_code:
                raise SchemaError(f"agency {agency.code!r} names an unknown successor {agency.successor!r}")
        for agency in agencies:
            chain, code = [agency.code], agency.successor
            while code is not None:  # a successor chain must end (a -> b -> a would route forever)
                if code in chain:
                    raise SchemaError(f"agency successors go round in a circle: {' -> '.join([*chain, code])}")
                chain.append(code)
                code = self._by_code[code].successor
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

    def name_vi(self, code: str, on: date | datetime | None = None) -> str:
        """The Vietnamese name in force on ``on`` (a local date or an aware instant; today when None);
        the code itself for an unknown agency."""
        agency = self._by_code.get(code)
        return agency.names_on(_day(on))[0] if agency is not None else code

    def name_en(self, code: str, on: date | datetime | None = None) -> str:
        agency = self._by_code.get(code)
        return agency.names_on(_day(on))[1] if agency is not None else code

    def ceased(self, code: str, on: date | datetime) -> Agency | None:
        """The agency, if it no longer existed on ``on`` (its ``successor`` took over)."""
        agency = self._by_code.get(code)
        return agency if agency is not None and not agency.exists_on(_day(on) or _today()) else None

    def in_office(self, code: str, on: date | datetime) -> str:
        """``code``, or the successor that does its work on ``on`` when it had ceased (followed to the end)."""
        while (gone := self.ceased(code, on)) is not None and gone.successor is not None:
            code = gone.successor
        return code


def _today() -> date:
    """Today in Vietnam (a host on UTC is still on yesterday until 07:00 there)."""
    return datetime.now(_TZ).date()


def _day(on: date | datetime | None) -> date | None:
    """The local (Asia/Ho_Chi_Minh) date of an instant; a date as it is."""
    if isinstance(on, datetime):
        return on.astimezone(_TZ).date() if on.tzinfo is not None else on.date()
    return on


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
