"""Liaison lag at the business level: figures per agency pair, per procedure, per day and week.

Pure aggregation over :mod:`services.monitor.facts`. Definitions (the test recomputes them from the event log):

- *open*: cycles not stopped; *overdue*: open and past their due (schemas.sla verdict ``late``);
- *finished*: cycles completed (``outcome == "completed"``); turnaround = their working hours;
- median: the middle value (mean of the two middle ones); p90: nearest rank, the ``ceil(0.9 n)``-th value;
- early / on-time / late: the verdicts of finished cycles (Decision 766's processing-progress indicator),
  rates in percent of the finished ones with a verdict, one decimal;
- supplements and bounces: requests and returns naming a handoff of the pair.

Hours are rounded to two decimals on output. The matrix only counts cycles a handoff started
(``handed``); an agency's own steps count in its monthly evaluation (:mod:`services.monitor.lists`).

Usage::

    pairs = by_pair(cycles, marks)
    overview = overview_of(dossiers, cycles, near, overdue_open, month, now)
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from schemas.workcalendar import WorkingCalendar
from services.monitor.facts import CycleFact, DossierFact, MarkFact

__all__ = [
    "DossierFigures",
    "LagFigures",
    "Overview",
    "PairLag",
    "ProcedureLag",
    "TrendPoint",
    "by_pair",
    "by_procedure",
    "daily_trend",
    "dossier_figures",
    "figures",
    "median",
    "overview_of",
    "p90",
    "rate",
    "weekly_trend",
]


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def p90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2)


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True, slots=True)
class LagFigures:
    open: int
    overdue: int
    oldest_open_at: datetime | None
    oldest_open_code: str | None
    oldest_open_h: float | None
    finished: int
    median_h: float | None
    p90_h: float | None
    early: int
    on_time: int
    late: int
    early_rate: float | None
    on_time_rate: float | None
    late_rate: float | None
    supplements: int
    bounces: int


@dataclass(frozen=True, slots=True)
class PairLag:
    from_agency: str
    to_agency: str
    figures: LagFigures


@dataclass(frozen=True, slots=True)
class DossierFigures:
    received: int
    open: int
    overdue: int
    finished: int
    early: int
    on_time: int
    late: int
    early_rate: float | None
    on_time_rate: float | None
    late_rate: float | None
    apologies: int
    online: int = 0  # received online (Decision 766: the share of dossiers submitted online)
    online_rate: float | None = None  # percent of received
    online_intake_median_h: float | None = None  # working hours from the portal submission to the intake
    suspended: int = 0  # open and suspended now: their clocks stand still


@dataclass(frozen=True, slots=True)
class ProcedureLag:
    procedure_code: str
    handoffs: LagFigures
    dossiers: DossierFigures


@dataclass(frozen=True, slots=True)
class TrendPoint:
    period: str  # ISO day (2026-11-26) or ISO week (2026-W48)
    finished: int
    median_h: float | None
    late: int
    open_end: int  # open at the end of the period (now, for the current one)
    overdue_end: int


@dataclass(frozen=True, slots=True)
class Overview:
    """The tiles. ``month_*``: this month's finished work early / on time / late: the dossiers for the Office
    (Decision 766's processing progress), the agency's own completed steps for an agency."""

    as_of: datetime
    month: str
    dossiers_open: int
    dossiers_overdue: int  # open and late: the open rows of the overdue list
    dossiers_near_due: int
    handoffs_open: int
    handoffs_overdue: int
    handoffs_near_due: int
    month_basis: Literal["dossiers", "handoffs"]
    month_finished: int
    month_early: int
    month_on_time: int
    month_late: int
    month_in_time_rate: float | None  # early or on time, percent


def figures(cycles: Iterable[CycleFact], marks: Iterable[MarkFact] = ()) -> LagFigures:
    cycles = list(cycles)
    open_ = [c for c in cycles if c.open]
    oldest = min(open_, key=lambda c: (c.started_at, c.dossier_code), default=None)
    done = [c for c in cycles if c.outcome == "completed"]
    verdicts = [c.finished_verdict for c in done if c.finished_verdict is not None]
    early, on_time, late = (verdicts.count(v) for v in ("early", "on_time", "late"))
    marks = list(marks)
    return LagFigures(
        open=len(open_),
        overdue=sum(1 for c in open_ if c.overdue),
        oldest_open_at=oldest.started_at if oldest else None,
        oldest_open_code=oldest.dossier_code if oldest else None,
        oldest_open_h=round(oldest.elapsed_h, 2) if oldest else None,
        finished=len(done),
        median_h=median([c.elapsed_h for c in done]),
        p90_h=p90([c.elapsed_h for c in done]),
        early=early,
        on_time=on_time,
        late=late,
        early_rate=rate(early, len(verdicts)),
        on_time_rate=rate(on_time, len(verdicts)),
        late_rate=rate(late, len(verdicts)),
        supplements=sum(1 for m in marks if m.kind == "supplement"),
        bounces=sum(1 for m in marks if m.kind == "bounce"),
    )


def by_pair(cycles: Iterable[CycleFact], marks: Iterable[MarkFact] = ()) -> list[PairLag]:
    """One row per (sending, receiving) agency pair that has handoffs, sorted by pair."""
    grouped: dict[tuple[str, str], list[CycleFact]] = defaultdict(list)
    for c in cycles:
        if c.handed:
            grouped[c.pair].append(c)
    marked: dict[tuple[str, str], list[MarkFact]] = defaultdict(list)
    for m in marks:
        if m.pair is not None and m.pair in grouped:
            marked[m.pair].append(m)
    return [PairLag(f, t, figures(grouped[(f, t)], marked[(f, t)])) for f, t in sorted(grouped)]


def dossier_figures(dossiers: Iterable[DossierFact]) -> DossierFigures:
    dossiers = list(dossiers)
    verdicts = [d.finished_verdict for d in dossiers if d.finished_verdict is not None]
    early, on_time, late = (verdicts.count(v) for v in ("early", "on_time", "late"))
    return DossierFigures(
        received=len(dossiers),
        open=sum(1 for d in dossiers if d.open),
        overdue=sum(1 for d in dossiers if d.overdue),
        finished=sum(1 for d in dossiers if d.finished_at is not None),
        early=early,
        on_time=on_time,
        late=late,
        early_rate=rate(early, len(verdicts)),
        on_time_rate=rate(on_time, len(verdicts)),
        late_rate=rate(late, len(verdicts)),
        apologies=sum(d.apologies for d in dossiers),
        online=sum(1 for d in dossiers if d.online),
        online_rate=rate(sum(1 for d in dossiers if d.online), len(dossiers)),
        online_intake_median_h=median([d.online_intake_h for d in dossiers if d.online_intake_h is not None]),
        suspended=sum(1 for d in dossiers if d.open and d.suspended),
    )


def by_procedure(
    dossiers: Iterable[DossierFact], cycles: Iterable[CycleFact], marks: Iterable[MarkFact] = ()
) -> list[ProcedureLag]:
    per_dossier: dict[str, list[DossierFact]] = defaultdict(list)
    for d in dossiers:
        per_dossier[d.procedure_code].append(d)
    per_cycle: dict[str, list[CycleFact]] = defaultdict(list)
    for c in cycles:
        if c.handed:
            per_cycle[c.procedure_code].append(c)
    per_mark: dict[str, list[MarkFact]] = defaultdict(list)
    for m in marks:
        if m.pair is not None:
            per_mark[m.procedure_code].append(m)
    codes = sorted(set(per_dossier) | set(per_cycle))
    return [
        ProcedureLag(code, figures(per_cycle[code], per_mark[code]), dossier_figures(per_dossier[code]))
        for code in codes
    ]


def _open_at(cycles: Sequence[CycleFact], at: datetime) -> tuple[int, int]:
    live = [c for c in cycles if c.started_at <= at and (c.finished_at is None or c.finished_at > at)]
    return len(live), sum(1 for c in live if c.due is not None and c.due < at)


def _trend(cycles: Sequence[CycleFact], spans: list[tuple[str, datetime, datetime]], now: datetime) -> list[TrendPoint]:
    points = []
    for label, start, end in spans:
        done = [
            c for c in cycles if c.outcome == "completed" and c.finished_at is not None and start <= c.finished_at < end
        ]
        open_end, overdue_end = _open_at(cycles, min(end, now))
        points.append(
            TrendPoint(
                period=label,
                finished=len(done),
                median_h=median([c.elapsed_h for c in done]),
                late=sum(1 for c in done if c.finished_verdict == "late"),
                open_end=open_end,
                overdue_end=overdue_end,
            )
        )
    return points


def _midnight(day: date, cal: WorkingCalendar) -> datetime:
    return datetime.combine(day, time.min, cal.tz)


def daily_trend(cycles: Iterable[CycleFact], now: datetime, cal: WorkingCalendar, days: int = 14) -> list[TrendPoint]:
    """Handoffs finished per day (Asia/Ho_Chi_Minh), their median turnaround, and what was open at each day's end."""
    handed = [c for c in cycles if c.handed]
    today = now.astimezone(cal.tz).date()
    spans = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        spans.append((day.isoformat(), _midnight(day, cal), _midnight(day + timedelta(days=1), cal)))
    return _trend(handed, spans, now)


def weekly_trend(cycles: Iterable[CycleFact], now: datetime, cal: WorkingCalendar, weeks: int = 8) -> list[TrendPoint]:
    """The same per ISO week (Monday to Sunday)."""
    handed = [c for c in cycles if c.handed]
    today = now.astimezone(cal.tz).date()
    monday = today - timedelta(days=today.weekday())
    spans = []
    for back in range(weeks - 1, -1, -1):
        start = monday - timedelta(weeks=back)
        year, week, _ = start.isocalendar()
        spans.append((f"{year}-W{week:02d}", _midnight(start, cal), _midnight(start + timedelta(days=7), cal)))
    return _trend(handed, spans, now)


def overview_of(
    dossiers: Sequence[DossierFact],
    cycles: Sequence[CycleFact],
    near: Sequence[tuple[str, str]],
    overdue_open: int,
    month: tuple[Literal["dossiers", "handoffs"], int, int, int, int],
    now: datetime,
) -> Overview:
    """The tiles; ``near``: (kind, dossier code) of the near-due items in scope; ``month``: (basis, finished,
    early, on time, late) of this month."""
    basis, finished, early, on_time, late = month
    handed = [c for c in cycles if c.handed]
    return Overview(
        as_of=now,
        month=f"{now:%Y-%m}",
        dossiers_open=sum(1 for d in dossiers if d.open),
        dossiers_overdue=overdue_open,
        dossiers_near_due=len({code for kind, code in near if kind == "dossier"}),
        handoffs_open=sum(1 for c in handed if c.open),
        handoffs_overdue=sum(1 for c in handed if c.overdue),
        handoffs_near_due=sum(1 for kind, _ in near if kind == "handoff"),
        month_basis=basis,
        month_finished=finished,
        month_early=early,
        month_on_time=on_time,
        month_late=late,
        month_in_time_rate=rate(early + on_time, early + on_time + late),
    )
