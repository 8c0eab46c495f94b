"""The late-dossier report: for every late dossier, which handoffs caused the delay, by how much, and whose
(the agency, and the officer who accepted the handoff, as the council's resolution asks: "trách nhiệm các cá
nhân, đơn vị").

A dossier is late when its clock's verdict is ``late`` (stopped after its due, or still running past it).
Each step cycle that was itself late is a *cause*: its agency, its handoff, and by how many working hours
it overran its own budget (wall-clock hours for calendar-day steps). Office time the dossier lost that no
late step explains (the steps' budgets not fitting the appointment, waits between steps) is reported as
``unattributed_hours``. A dossier belongs to the month in which it went late (its due, Asia/Ho_Chi_Minh).

Usage::

    entry = late_entry(state, workflow, now, calendar)       # None if the dossier is not late
    report = monthly_report("2026-11", entries, now)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.watchdog.state import WatchState

__all__ = ["Cause", "LateEntry", "late_entry", "month_of", "monthly_report"]


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def month_of(at: datetime, calendar: WorkingCalendar) -> str:
    return f"{at.astimezone(calendar.tz):%Y-%m}"


class Cause(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    handoff_id: str
    step_id: str
    step_name_vi: str
    agency: str
    officer: str | None = None  # the officer who accepted the handoff: "trách nhiệm các cá nhân, đơn vị"
    cycle: int
    due: AwareDatetime
    finished_at: AwareDatetime | None  # None: still open
    late_hours: float  # working hours past the step's own due (wall hours for calendar-day steps)


class LateEntry(BaseModel):
    """One late dossier in the report (value of the ``watchdog-late`` table, key ``<month>|<code>``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    month: str
    dossier_code: str
    procedure_code: str
    workflow_version: int
    receiving_unit: str
    received_at: AwareDatetime
    due: AwareDatetime
    finished_at: AwareDatetime | None
    late_hours: float
    apology_issued: bool
    causes: tuple[Cause, ...]
    unattributed_hours: float
    as_of: AwareDatetime


def late_entry(state: WatchState, workflow: Workflow, now: datetime, cal: WorkingCalendar) -> LateEntry | None:
    clock = state.dossier.clock
    if not clock.cycles or clock.budget is None:
        return None
    status = clock.status(now, cal)
    if status.verdict != "late" or status.due is None or status.remaining is None:
        return None
    causes: list[Cause] = []
    for run in state.dossier.steps.values():
        step = workflow.step(run.step_id)
        for index, st in enumerate(run.clock.statuses(now, cal), start=1):
            if st.verdict != "late" or st.due is None or st.remaining is None:
                continue
            info = state.dossier.handoffs.get(st.ref) if st.ref else None
            causes.append(
                Cause(
                    handoff_id=st.ref or f"{state.code}:{step.id}",
                    step_id=step.id,
                    step_name_vi=step.name_vi,
                    agency=info.to_agency if info is not None and info.step_id == step.id else run.agency,
                    officer=info.officer if info is not None and info.step_id == step.id else None,
                    cycle=index,
                    due=st.due,
                    finished_at=st.stopped_at,
                    late_hours=_hours(-st.remaining),
                )
            )
    causes.sort(key=lambda c: c.due)
    late = -status.remaining
    explained = sum((timedelta(hours=c.late_hours) for c in causes), timedelta(0))
    return LateEntry(
        month=month_of(status.due, cal),
        dossier_code=state.code,
        procedure_code=state.ledger.procedure_code,
        workflow_version=state.ledger.workflow_version,
        receiving_unit=state.ledger.receiving_unit,
        received_at=state.dossier.received_at,
        due=status.due,
        finished_at=status.stopped_at,
        late_hours=_hours(late),
        apology_issued=bool(state.dossier.apologies),
        causes=tuple(causes),
        unattributed_hours=_hours(max(late - explained, timedelta(0))),
        as_of=now,
    )


def monthly_report(month: str, entries: list[LateEntry], now: datetime, agency: str | None = None) -> dict[str, Any]:
    """The month's report as data; with ``agency``, only the dossiers it delayed and only its causes."""
    rows = sorted((e for e in entries if e.month == month), key=lambda e: (e.due, e.dossier_code))
    if agency is not None:
        rows = [
            e.model_copy(update={"causes": tuple(c for c in e.causes if c.agency == agency)})
            for e in rows
            if any(c.agency == agency for c in e.causes)
        ]
    by_agency: dict[str, dict[str, Any]] = defaultdict(lambda: {"dossiers": 0, "handoffs": 0, "late_hours": 0.0})
    for entry in rows:
        for who in {c.agency for c in entry.causes}:
            by_agency[who]["dossiers"] += 1
        for cause in entry.causes:
            by_agency[cause.agency]["handoffs"] += 1
            by_agency[cause.agency]["late_hours"] = round(by_agency[cause.agency]["late_hours"] + cause.late_hours, 2)
    return {
        "month": month,
        "generated_at": now.isoformat(),
        "late_dossiers": len(rows),
        "with_apology": sum(1 for e in rows if e.apology_issued),
        "by_agency": dict(sorted(by_agency.items())),
        "dossiers": [e.model_dump(mode="json") for e in rows],
    }
