"""The topic catalog (``deploy/topics.yaml``) as validated data, and ``apply``: create missing, report drift.

Usage::

    catalog = load_catalog(Path("deploy/topics.yaml"), agencies=["one-stop", "tax"])
    report = apply_catalog(admin, catalog.topics)   # never deletes, never alters
    report.drift                                     # [] when the cluster matches the catalog
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "ApplyReport",
    "Catalog",
    "CatalogError",
    "TopicSpec",
    "apply_catalog",
    "load_catalog",
    "topic_name",
]

DAY_MS = 24 * 3600 * 1000
AGENCY_PLACEHOLDER = "{agency}"
DEFAULT_PREFIX = "lienthong"


class CatalogError(ValueError):
    """The catalog file is missing or invalid; the message names the entry and field."""


class _Defaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    partitions: int = Field(default=6, ge=1, le=1000)
    replication_factor: int = Field(default=1, ge=1, le=5)


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9._-]+(\{agency\}[a-z0-9._-]*)?$", max_length=200)
    cleanup_policy: Literal["delete", "compact"]
    retention_days: int | None = Field(default=None, ge=1)
    partitions: int | None = Field(default=None, ge=1, le=1000)
    replication_factor: int | None = Field(default=None, ge=1, le=5)
    purpose: str = Field(min_length=10)

    @model_validator(mode="after")
    def _retention_only_for_delete(self) -> _Entry:
        if self.cleanup_policy == "compact" and self.retention_days is not None:
            raise ValueError("retention_days applies to delete topics; compacted topics keep the latest record")
        return self


class _CatalogFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: int
    defaults: _Defaults = _Defaults()
    topics: list[_Entry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> _CatalogFile:
        names = [t.name for t in self.topics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate topic names: {', '.join(dupes)}")
        return self


@dataclass(frozen=True)
class TopicSpec:
    """One concrete topic as the cluster should have it."""

    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str]
    purpose: str


@dataclass(frozen=True)
class Catalog:
    version: int
    topics: tuple[TopicSpec, ...]

    def get(self, name: str) -> TopicSpec:
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(name)


def topic_name(template: str, agency: str | None = None) -> str:
    """``topic_name("lienthong.outbound.{agency}", "tax") == "lienthong.outbound.tax"``."""
    if AGENCY_PLACEHOLDER in template:
        if agency is None:
            raise ValueError(f"{template} needs an agency")
        return template.replace(AGENCY_PLACEHOLDER, agency)
    return template


def load_catalog(
    path: Path, agencies: Sequence[str] = (), replication_factor: int | None = None, prefix: str = DEFAULT_PREFIX
) -> Catalog:
    """Read and validate the catalog; expand ``{agency}`` topics over ``agencies``.

    ``replication_factor`` (from settings) overrides the file's default for every topic without its own;
    ``prefix`` replaces the leading ``lienthong`` of every name (``LIENTHONG_TOPIC_PREFIX``).
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"topic catalog not found: {path}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"topic catalog {path} is not valid YAML: {exc}") from None
    try:
        parsed = _CatalogFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogError(f"topic catalog {path}: {where}: {first['msg']}") from None
    rf_default = replication_factor or parsed.defaults.replication_factor
    specs: list[TopicSpec] = []
    for entry in parsed.topics:
        configs: dict[str, str] = {"cleanup.policy": entry.cleanup_policy}
        if entry.retention_days is not None:
            configs["retention.ms"] = str(entry.retention_days * DAY_MS)
        rf = entry.replication_factor or rf_default
        if rf >= 3:  # acks=all then means at least two copies, and one broker may be down
            configs["min.insync.replicas"] = str(rf - 1)
        names = [topic_name(entry.name, a) for a in agencies] if AGENCY_PLACEHOLDER in entry.name else [entry.name]
        for name in names:
            if prefix != DEFAULT_PREFIX and name.startswith(DEFAULT_PREFIX + "."):
                name = prefix + name[len(DEFAULT_PREFIX) :]
            specs.append(
                TopicSpec(
                    name=name,
                    partitions=entry.partitions or parsed.defaults.partitions,
                    replication_factor=rf,
                    configs=configs,
                    purpose=" ".join(entry.purpose.split()),
                )
            )
    return Catalog(version=parsed.version, topics=tuple(specs))


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.drift


def _observed(admin: Any, names: Iterable[str]) -> dict[str, tuple[int, int, dict[str, str]]]:
    """name -> (partitions, replication factor, dynamic configs) for topics that exist."""
    from kafka.admin import ConfigResource, ConfigResourceType

    names = list(names)
    if not names:
        return {}
    described = admin.describe_topics(names)
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    by_topic = configs.get("topic", {}) if isinstance(configs, dict) else {}
    out = {}
    for topic in described:
        if topic.get("error_code"):
            continue
        parts = topic["partitions"]
        rf = max((len(p["replica_nodes"]) for p in parts), default=0)
        dyn = {k: str(v["value"]) for k, v in by_topic.get(topic["name"], {}).items()}
        out[topic["name"]] = (len(parts), rf, dyn)
    return out


def apply_catalog(admin: Any, topics: Sequence[TopicSpec], create: bool = True) -> ApplyReport:
    """Create missing topics; compare existing ones with the catalog. Never deletes or alters."""
    from kafka.admin import NewTopic

    report = ApplyReport()
    existing = set(admin.list_topics())
    present = [t for t in topics if t.name in existing]
    missing = [t for t in topics if t.name not in existing]
    if missing and create:
        admin.create_topics(
            [NewTopic(t.name, t.partitions, t.replication_factor, topic_configs=t.configs) for t in missing],
            raise_errors=True,
        )
        report.created.extend(t.name for t in missing)
    elif missing:
        report.drift.extend(f"{t.name}: missing" for t in missing)
    observed = _observed(admin, [t.name for t in present])
    for spec in present:
        parts, rf, dyn = observed[spec.name]
        problems = []
        if parts != spec.partitions:
            problems.append(f"partitions {parts}, catalog says {spec.partitions}")
        if rf != spec.replication_factor:
            problems.append(f"replication factor {rf}, catalog says {spec.replication_factor}")
        for key, want in spec.configs.items():
            have = dyn.get(key, "(broker default)")
            if have != want:
                problems.append(f"{key} {have}, catalog says {want}")
        if problems:
            report.drift.append(f"{spec.name}: " + "; ".join(problems))
        else:
            report.unchanged.append(spec.name)
    return report
