"""A dossier's event timeline, kept by the monitor beside the watchdog's state (no personal data).

The monitor's agent reads ``<prefix>.events`` and appends one compact entry per event to the dossier's row in
the ``<prefix>.monitor.timeline`` table: when, what, which agency, which handoff, and the few fields an officer
needs to read the story (the receiving officer, the stated reasons, the new appointment). Citizens' data never
goes in: no applicant, no ID number, no taxpayer, no parcel, no amounts, no free-text notes.

Usage::

    raw = append(table.get(key), entry_of(event))      # None: already there
    entries = load(raw)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter

from schemas.envelope import Envelope
from services.stream.decoded import Decoded

__all__ = ["MAX_ENTRIES", "StatedReason", "TimelineEntry", "append", "entry_of", "load", "officers", "reasons"]

MAX_ENTRIES = 300
# data fields copied as they are (all short, none about the citizen)
_PLAIN = (
    "step_id",
    "from_agency",
    "to_agency",
    "officer",
    "reason",
    "return_to_step",
    "legal_basis",
    "responsible_agency",
    "outcome",
    "requested_by",
    "result",
    "signed_by",
    "form_number",
    "notice_number",
)
_INSTANTS = ("due", "new_appointment_at", "paid_at")
_LISTS = ("reasons", "items", "items_received", "scope")


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    at: AwareDatetime
    type: str
    source: str
    handoff_id: str | None = None
    details: dict[str, str] = {}


_ADAPTER: TypeAdapter[list[TimelineEntry]] = TypeAdapter(list[TimelineEntry])
# the rows the flow appends to: the row it wrote last is the one it reads at the dossier's next event
_ROWS: Decoded[tuple[TimelineEntry, ...]] = Decoded(
    lambda raw: tuple(_ADAPTER.validate_json(raw)), lambda entries: _ADAPTER.dump_json(list(entries))
)


def entry_of(event: Envelope[Any]) -> TimelineEntry:
    data = event.data
    details: dict[str, str] = {}
    for name in _PLAIN:
        value = getattr(data, name, None)
        if value is not None:
            details[name] = str(value)
    for name in _INSTANTS:
        value = getattr(data, name, None)
        if value is not None:
            details[name] = value.isoformat()
    for name in _LISTS:
        value = getattr(data, name, None)
        if value:
            details[name] = "; ".join(str(v) for v in value)
    handoff = getattr(data, "handoff_id", None)
    return TimelineEntry(
        id=event.id,
        at=event.time,
        type=event.type,
        source=event.source,
        handoff_id=handoff if isinstance(handoff, str) else None,
        details=details,
    )


def load(raw: bytes | None) -> list[TimelineEntry]:
    return _ADAPTER.validate_json(raw) if raw else []


def append(raw: bytes | None, entry: TimelineEntry) -> bytes | None:
    """The row with ``entry`` added in time order (the oldest dropped beyond MAX_ENTRIES); None if known."""
    entries = _ROWS.load(raw) if raw else ()
    if any(e.id == entry.id for e in entries):
        return None
    ordered = sorted((*entries, entry), key=lambda e: e.at)  # stable: log order among equal times
    return _ROWS.dump(tuple(ordered[-MAX_ENTRIES:]))


def officers(entries: Iterable[TimelineEntry]) -> dict[str, str]:
    """handoff id -> the officer who accepted it (the latest acceptance)."""
    found: dict[str, str] = {}
    for e in entries:
        if e.type == "vn.lienthong.handoff.accepted" and e.handoff_id and "officer" in e.details:
            found[e.handoff_id] = e.details["officer"]
    return found


@dataclass(frozen=True, slots=True)
class StatedReason:
    """A reason an agency gave: for an apology (whose responsibility it names), a return, a suspension."""

    agency: str
    kind: str  # the event type's last part: issued, returned, suspended
    text: str


def reasons(entries: Iterable[TimelineEntry]) -> list[StatedReason]:
    """What agencies gave as reasons for delays, in time order, each once."""
    kinds = ("vn.lienthong.apology.issued", "vn.lienthong.handoff.returned", "vn.lienthong.dossier.suspended")
    found = [
        StatedReason(e.details.get("responsible_agency", e.source), e.type.rsplit(".", 1)[-1], e.details["reason"])
        for e in entries
        if e.type in kinds and "reason" in e.details
    ]
    return list(dict.fromkeys(found))
