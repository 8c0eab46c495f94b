"""The Office's lists: near-due (the daily extraction), overdue with causes, the monthly evaluation per agency.

Pure. *Near-due* is exactly the watchdog's digest (``services.watchdog.digest.near_due``: within the
``due_soon`` threshold and not yet overdue); *overdue* rows are the watchdog's late-report entries
(``services.watchdog.report.late_entry``: the late step cycles, by whom and by how many working hours),
with the responsible agency (the one that overran most) and the reasons agencies gave (apology notices,
returns). The monthly evaluation counts, per agency, the work it finished that month early, on time or
late (Decision 766's processing-progress indicator), what it still held overdue at the month's end (or
now) and the apologies it was responsible for.

Usage::

    rows = select_near_due(all_rows, scope=None, agency="tax", procedure=None, sort="due")
    month = evaluation("2026-11", cycles, apologies, now, calendar)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.monitor.business import median, rate
from services.monitor.facts import CycleFact
from services.monitor.timeline import StatedReason
from services.watchdog.digest import near_due
from services.watchdog.report import Cause, LateEntry
from services.watchdog.rules import RuleSet
from services.watchdog.state import WatchState

__all__ = [
    "NEAR_DUE_SORTS",
    "AgencyEvaluation",
    "NearDueRow",
    "OverdueRow",
    "evaluation",
    "near_due_rows",
    "overdue_row",
    "select_near_due",
    "select_overdue",
]

NEAR_DUE_SORTS = ("due", "remaining", "dossier", "agency", "procedure", "step")


@dataclass(frozen=True, slots=True)
class NearDueRow:
    kind: Literal["handoff", "dossier"]
    dossier_code: str
    procedure_code: str
    handoff_id: str | None
    step_id: str | None
    from_agency: str | None
    agency: str  # holding it
    due: datetime
    remaining_hours: float

    def concerns(self, agency: str) -> bool:
        return agency in (self.agency, self.from_agency)


@dataclass(frozen=True, slots=True)
class OverdueRow:
    dossier_code: str
    procedure_code: str
    received_at: datetime
    due: datetime
    finished_at: datetime | None
    late_hours: float
    responsible_agency: str | None  # the agency whose steps overran most; None: no step overran
    causes: tuple[Cause, ...]
    unattributed_hours: float
    apology_issued: bool
    reasons: tuple[StatedReason, ...]  # what the agencies said (apologies, returns, suspensions)
    month: str


@dataclass(frozen=True, slots=True)
class AgencyEvaluation:
    agency: str
    finished: int
    early: int
    on_time: int
    late: int
    early_rate: float | None
    on_time_rate: float | None
    late_rate: float | None
    median_h: float | None
    overdue_open: int  # held past due at the month's end (or now, in the current month)
    apologies: int


def near_due_rows(
    state: WatchState, workflow: Workflow, rules: RuleSet, now: datetime, cal: WorkingCalendar
) -> list[NearDueRow]:
    rows = []
    handoffs = state.dossier.handoffs
    for item in near_due(state, workflow, rules, now, cal):
        info = handoffs.get(item.handoff_id) if item.handoff_id else None
        handed = info is not None and info.step_id == item.step_id
        rows.append(
            NearDueRow(
                kind="dossier" if item.kind == "dossier" else "handoff",
                dossier_code=item.dossier_code,
                procedure_code=state.ledger.procedure_code,
                handoff_id=item.handoff_id,
                step_id=item.step_id,
                from_agency=info.from_agency if info is not None and handed else None,
                agency=item.agency,
                due=item.due,
                remaining_hours=item.remaining_hours,
            )
        )
    return rows


def select_near_due(
    rows: Iterable[NearDueRow],
    *,
    scope: str | None,
    agency: str | None = None,
    procedure: str | None = None,
    sort: str = "due",
    descending: bool = False,
) -> list[NearDueRow]:
    """``scope``: the signed-in agency (None: the Office); ``agency``/``procedure``: the user's filters."""
    chosen = [
        r
        for r in rows
        if (scope is None or r.concerns(scope))
        and (agency is None or r.concerns(agency))
        and (procedure is None or r.procedure_code == procedure)
    ]
    keys = {
        "due": lambda r: (r.due, r.dossier_code),
        "remaining": lambda r: (r.remaining_hours, r.dossier_code),
        "dossier": lambda r: (r.dossier_code, r.due),
        "agency": lambda r: (r.agency, r.due),
        "procedure": lambda r: (r.procedure_code, r.due),
        "step": lambda r: (r.step_id or "", r.due),
    }
    return sorted(chosen, key=keys.get(sort, keys["due"]), reverse=descending)


def overdue_row(entry: LateEntry, reasons: Sequence[StatedReason] = ()) -> OverdueRow:
    per_agency: dict[str, float] = defaultdict(float)
    for cause in entry.causes:
        per_agency[cause.agency] += cause.late_hours
    responsible = max(sorted(per_agency), key=lambda a: per_agency[a], default=None)
    return OverdueRow(
        dossier_code=entry.dossier_code,
        procedure_code=entry.procedure_code,
        received_at=entry.received_at,
        due=entry.due,
        finished_at=entry.finished_at,
        late_hours=entry.late_hours,
        responsible_agency=responsible,
        causes=entry.causes,
        unattributed_hours=entry.unattributed_hours,
        apology_issued=entry.apology_issued,
        reasons=tuple(dict.fromkeys(reasons)),
        month=entry.month,
    )


def select_overdue(
    rows: Iterable[OverdueRow], *, scope: str | None, agency: str | None = None, procedure: str | None = None
) -> list[OverdueRow]:
    """Still open first, then by due. An agency sees the dossiers it delayed, and only its own causes and the
    reasons it stated itself (another agency's reasons about the same dossier are not its business)."""
    out = []
    for row in rows:
        if procedure is not None and row.procedure_code != procedure:
            continue
        for who in (scope, agency):
            if who is not None:
                mine = tuple(c for c in row.causes if c.agency == who)
                if not mine:
                    break
                row = _only(row, mine)
        else:
            if scope is not None:
                row = replace(row, reasons=tuple(r for r in row.reasons if r.agency == scope))
            out.append(row)
    return sorted(out, key=lambda r: (r.finished_at is not None, r.due, r.dossier_code))


def _only(row: OverdueRow, causes: tuple[Cause, ...]) -> OverdueRow:
    return replace(row, causes=causes, responsible_agency=causes[0].agency)


def _month_bounds(month: str, cal: WorkingCalendar) -> tuple[datetime, datetime]:
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=cal.tz)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=cal.tz)
    return start, end


def evaluation(
    month: str,
    cycles: Iterable[CycleFact],
    apologies: Iterable[tuple[datetime, str]],
    now: datetime,
    cal: WorkingCalendar,
) -> list[AgencyEvaluation]:
    """Per agency holding budgeted work: what it finished in ``month`` (YYYY-MM), by verdict."""
    start, end = _month_bounds(month, cal)
    cut = min(end, now)
    held: dict[str, list[CycleFact]] = defaultdict(list)
    for c in cycles:
        if c.budgeted and c.started_at < end:
            held[c.to_agency].append(c)
    blamed: dict[str, int] = defaultdict(int)
    for at, agency in apologies:
        if start <= at < end:
            blamed[agency] += 1
    rows = []
    for agency in sorted(set(held) | set(blamed)):
        done = [
            c
            for c in held[agency]
            if c.outcome == "completed" and c.finished_at is not None and start <= c.finished_at < end
        ]
        verdicts = [c.finished_verdict for c in done if c.finished_verdict is not None]
        early, on_time, late = (verdicts.count(v) for v in ("early", "on_time", "late"))
        overdue = [
            c
            for c in held[agency]
            if c.started_at <= cut
            and (c.finished_at is None or c.finished_at > cut)
            and c.due is not None
            and c.due < cut
        ]
        rows.append(
            AgencyEvaluation(
                agency=agency,
                finished=len(done),
                early=early,
                on_time=on_time,
                late=late,
                early_rate=rate(early, len(verdicts)),
                on_time_rate=rate(on_time, len(verdicts)),
                late_rate=rate(late, len(verdicts)),
                median_h=median([c.elapsed_h for c in done]),
                overdue_open=len(overdue),
                apologies=blamed[agency],
            )
        )
    return rows
