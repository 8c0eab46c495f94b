"""One consistent picture of every dossier at one instant, and what one signed-in agency may see of it.

Pure: :func:`build_snapshot` turns the watchdog's states into facts, near-due and overdue rows;
:class:`Scoped` filters them for a viewer (``None``: the Office, everything; an agency code: the
handoffs it sent or received, the dossiers it took part in, the causes it is responsible for).
Every figure of the dashboard, the JSON API, /metrics and the exports comes from a :class:`Scoped`.

Usage::

    snap = build_snapshot(states, ctx, rules, now, timeline_of)
    view = Scoped(snap, "tax")
    view.pairs(), view.overview(cal), view.near_due(sort="due")
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from schemas.workcalendar import WorkingCalendar
from services.monitor import business, lists
from services.monitor.facts import CycleFact, DossierFact, MarkFact, cycle_facts, dossier_fact, mark_facts
from services.monitor.i18n import fold
from services.monitor.lists import NearDueRow, OverdueRow
from services.monitor.timeline import TimelineEntry, reasons
from services.relay.deadletter import failure_site
from services.relay.routing import RoutingContext
from services.watchdog.report import late_entry
from services.watchdog.rules import RuleSet
from services.watchdog.state import WatchState, workflow_of

__all__ = ["DossierParts", "Scoped", "Snapshot", "assemble", "build_snapshot", "dossier_parts"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    as_of: datetime
    dossiers: tuple[DossierFact, ...]
    cycles: tuple[CycleFact, ...]
    marks: tuple[MarkFact, ...]
    near: tuple[NearDueRow, ...]
    overdue: tuple[OverdueRow, ...]
    apologies: tuple[tuple[datetime, str], ...]  # (issued at, responsible agency)
    skipped: int = 0  # states that could not be evaluated (logged)
    # dossier code -> the applicant's name folded (no case, no accents), for the Office's search only: never shown
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DossierParts:
    """What the monitor takes from one dossier at one instant (reusable while the dossier is finished)."""

    fact: DossierFact
    cycles: tuple[CycleFact, ...]
    marks: tuple[MarkFact, ...]
    near: tuple[NearDueRow, ...]
    late: OverdueRow | None
    apologies: tuple[tuple[datetime, str], ...]
    name: str = ""  # the applicant's name folded, for the Office's search


def dossier_parts(
    state: WatchState,
    ctx: RoutingContext,
    rules: RuleSet,
    now: datetime,
    timeline_of: Callable[[str], list[TimelineEntry]],
) -> DossierParts:
    cal = ctx.calendar
    workflow = workflow_of(state, ctx)
    entry = late_entry(state, workflow, now, cal)
    return DossierParts(
        fact=dossier_fact(state, now, cal),
        cycles=tuple(cycle_facts(state, workflow, now, cal)),
        marks=tuple(mark_facts(state)),
        near=tuple(lists.near_due_rows(state, workflow, rules, now, cal)),
        late=lists.overdue_row(entry, reasons(timeline_of(state.code))) if entry is not None else None,
        apologies=tuple((at, agency) for at, _, agency in state.dossier.apologies),
        name=fold(state.applicant or ""),
    )


def assemble(parts: Iterable[DossierParts], now: datetime, cal: WorkingCalendar, skipped: int = 0) -> Snapshot:
    """The snapshot; the overdue list keeps the late dossiers still open and those that went late this month."""
    month = f"{now.astimezone(cal.tz):%Y-%m}"
    parts = sorted(parts, key=lambda p: p.fact.code)
    return Snapshot(
        as_of=now,
        dossiers=tuple(p.fact for p in parts),
        cycles=tuple(c for p in parts for c in p.cycles),
        marks=tuple(m for p in parts for m in p.marks),
        near=tuple(n for p in parts for n in p.near),
        overdue=tuple(p.late for p in parts if p.late is not None and (p.fact.open or p.late.month == month)),
        apologies=tuple(a for p in parts for a in p.apologies),
        skipped=skipped,
        names={p.fact.code: p.name for p in parts if p.name},
    )


def build_snapshot(
    states: Iterable[WatchState],
    ctx: RoutingContext,
    rules: RuleSet,
    now: datetime,
    timeline_of: Callable[[str], list[TimelineEntry]],
) -> Snapshot:
    parts, skipped = [], 0
    for state in states:
        try:
            parts.append(dossier_parts(state, ctx, rules, now, timeline_of))
        except Exception as exc:  # noqa: BLE001 - one odd dossier must not blank the Office's screen
            skipped += 1
            log_failure(state.code, exc)
    return assemble(parts, now, ctx.calendar, skipped)


def log_failure(code: str, exc: Exception) -> None:
    # what failed and where, never the exception's text or traceback: they may quote a citizen's data
    log.error("monitor could not evaluate dossier %s: %s", code, failure_site(exc))


class Scoped:
    """The snapshot as one viewer may see it. ``agency`` None: the Office (everything)."""

    def __init__(self, snapshot: Snapshot, agency: str | None) -> None:
        self.snapshot = snapshot
        self.agency = agency
        self.as_of = snapshot.as_of
        if agency is None:
            self.cycles = list(snapshot.cycles)
            self.marks = list(snapshot.marks)
            self.dossiers = list(snapshot.dossiers)
            self.apologies = list(snapshot.apologies)
        else:
            self.cycles = [c for c in snapshot.cycles if c.concerns(agency)]
            self.marks = [m for m in snapshot.marks if m.concerns(agency)]
            involved = {c.dossier_code for c in self.cycles}
            self.dossiers = [d for d in snapshot.dossiers if d.code in involved]
            self.apologies = [a for a in snapshot.apologies if a[1] == agency]

    def pairs(self) -> list[business.PairLag]:
        return business.by_pair(self.cycles, self.marks)

    def procedures(self) -> list[business.ProcedureLag]:
        return business.by_procedure(self.dossiers, self.cycles, self.marks)

    def near_due(
        self, *, agency: str | None = None, procedure: str | None = None, sort: str = "due", descending: bool = False
    ) -> list[NearDueRow]:
        return lists.select_near_due(
            self.snapshot.near, scope=self.agency, agency=agency, procedure=procedure, sort=sort, descending=descending
        )

    def overdue(self, *, agency: str | None = None, procedure: str | None = None) -> list[OverdueRow]:
        return lists.select_overdue(self.snapshot.overdue, scope=self.agency, agency=agency, procedure=procedure)

    def overview(self, cal: WorkingCalendar) -> business.Overview:
        now = self.as_of.astimezone(cal.tz)
        month = f"{now:%Y-%m}"
        near = [(r.kind, r.dossier_code) for r in self.near_due()]
        overdue_open = sum(1 for r in self.overdue() if r.finished_at is None)
        counts: tuple[Literal["dossiers", "handoffs"], int, int, int, int]
        if self.agency is None:
            done = [
                d
                for d in self.dossiers
                if d.finished_at is not None and f"{d.finished_at.astimezone(cal.tz):%Y-%m}" == month
            ]
            figures = business.dossier_figures(done)
            counts = ("dossiers", figures.finished, figures.early, figures.on_time, figures.late)
        else:
            rows = self.evaluation(month, cal)
            mine = rows[0] if rows else None
            counts = (
                ("handoffs", 0, 0, 0, 0)
                if mine is None
                else ("handoffs", mine.finished, mine.early, mine.on_time, mine.late)
            )
        return business.overview_of(self.dossiers, self.cycles, near, overdue_open, counts, now)

    def daily(self, cal: WorkingCalendar, days: int = 14) -> list[business.TrendPoint]:
        return business.daily_trend(self.cycles, self.as_of, cal, days)

    def weekly(self, cal: WorkingCalendar, weeks: int = 8) -> list[business.TrendPoint]:
        return business.weekly_trend(self.cycles, self.as_of, cal, weeks)

    def evaluation(self, month: str, cal: WorkingCalendar) -> list[lists.AgencyEvaluation]:
        rows = lists.evaluation(month, self.cycles, self.apologies, self.as_of, cal)
        return rows if self.agency is None else [r for r in rows if r.agency == self.agency]

    def agencies(self) -> list[str]:
        """Agencies appearing in the viewer's handoffs (for the filters)."""
        return sorted({a for c in self.cycles for a in c.pair})

    def procedure_codes(self) -> list[str]:
        return sorted({d.procedure_code for d in self.dossiers})
