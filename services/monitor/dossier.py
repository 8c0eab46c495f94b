"""A dossier's page: its process-control slip with the officers, and its event timeline.

Pure. The slip rows are ``schemas.slip.slip`` (one per step cycle: who handed over to whom, when, the
early / on-time / late verdict); the officers come from the timeline: the receiving officer is the one who
accepted the handoff, the handing officer the one who accepted the handoff the sender was working under.
An agency that is not the Office sees the rows it sent or received and the events about its handoffs.

Usage::

    view = dossier_view(state, workflow, now, calendar, timeline, scope="tax")    # None if not visible
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.slip import SlipRow, slip
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.monitor.facts import DossierFact, dossier_fact
from services.monitor.timeline import TimelineEntry, officers
from services.watchdog.state import WatchState

__all__ = ["DossierView", "SlipLine", "TimelineLine", "dossier_view", "visible_to"]


@dataclass(frozen=True, slots=True)
class SlipLine:
    step_id: str
    step_name_vi: str
    handoff_id: str | None
    from_agency: str
    from_officer: str | None
    to_agency: str
    to_officer: str | None
    handed_over_at: datetime
    accepted_at: datetime | None
    finished_at: datetime | None
    due: datetime | None
    verdict: str | None
    outcome: str | None
    note: str | None

    @property
    def open(self) -> bool:
        return self.finished_at is None


@dataclass(frozen=True, slots=True)
class TimelineLine:
    at: datetime
    type: str
    source: str
    handoff_id: str | None
    details: dict[str, str]
    recorded: bool  # False: the router refused it (quarantined)


@dataclass(frozen=True, slots=True)
class DossierView:
    fact: DossierFact
    workflow_key: str
    slip: tuple[SlipLine, ...]
    timeline: tuple[TimelineLine, ...]
    closed: bool


def visible_to(state: WatchState, scope: str | None) -> bool:
    """The Office sees every dossier; an agency those where it sent or received a handoff."""
    if scope is None:
        return True
    return any(scope in (h.from_agency, h.to_agency) for h in state.ledger.handoffs.values())


def _line(row: SlipRow, state: WatchState, who: dict[str, str]) -> SlipLine:
    to_officer = from_officer = None
    if row.handoff_id is not None:
        to_officer = who.get(row.handoff_id)
        record = state.ledger.handoffs.get(row.handoff_id)
        handed = row.from_agency != row.to_agency
        previous = record.previous_handoff_id if record is not None else None
        from_officer = (who.get(previous) if previous else None) if handed else to_officer
    return SlipLine(
        step_id=row.step_id,
        step_name_vi=row.step_name_vi,
        handoff_id=row.handoff_id,
        from_agency=row.from_agency,
        from_officer=from_officer,
        to_agency=row.to_agency,
        to_officer=to_officer,
        handed_over_at=row.handed_over_at,
        accepted_at=row.accepted_at,
        finished_at=row.finished_at,
        due=row.due,
        verdict=row.verdict,
        outcome=row.outcome,
        note=row.note,
    )


def dossier_view(
    state: WatchState,
    workflow: Workflow,
    now: datetime,
    cal: WorkingCalendar,
    entries: list[TimelineEntry],
    scope: str | None,
) -> DossierView | None:
    if not visible_to(state, scope):
        return None
    who = officers(entries)
    lines = [_line(row, state, who) for row in slip(state.dossier, workflow, now, cal)]
    mine = {h.handoff_id for h in state.ledger.handoffs.values() if scope in (h.from_agency, h.to_agency)}
    if scope is not None:
        lines = [line for line in lines if scope in (line.from_agency, line.to_agency)]
    seen = set(state.ledger.seen)
    events = [
        TimelineLine(e.at, e.type, e.source, e.handoff_id, dict(e.details), e.id in seen)
        for e in entries
        if scope is None
        or e.source == scope
        or (e.handoff_id is not None and e.handoff_id in mine)
        or e.details.get("to_agency") == scope
    ]
    return DossierView(
        fact=dossier_fact(state, now, cal),
        workflow_key=workflow.key,
        slip=tuple(lines),
        timeline=tuple(events),
        closed=state.finished,
    )
