"""Will a dossier be late, by how much, and who is holding it up? Pure arithmetic on the clocks.

``needed`` is the office time the rest of the route needs if every step not finished uses its whole
budget (a running step: what is left of its budget, nothing once it is overdue); steps during which the
dossier clock is paused (the citizen paying, a public listing) count nothing. Parallel branches are
joined as the workflow joins them (a step waits for all its predecessors). The dossier will be late when
``needed`` exceeds what is left of the dossier's own budget.

Usage::

    fc = forecast(state, workflow, now, calendar)
    fc.delay, fc.responsible, fc.crossing
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.sla import Cycle, SlaClock, instant_after
from schemas.tracking import DossierState, StepRun
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow

__all__ = ["Culprit", "Forecast", "at_elapsed", "culprit", "forecast"]

_ZERO = timedelta(0)


def at_elapsed(cycle: Cycle, clock: SlaClock, amount: timedelta, calendar: WorkingCalendar) -> datetime | None:
    """The instant at which ``amount`` of a cycle's counted time will have run; None while a still-open pause
    comes first. The arithmetic of ``SlaClock.status`` (:func:`schemas.sla.instant_after`)."""
    return instant_after(cycle, clock, amount, calendar)


@dataclass(frozen=True)
class Culprit:
    """The step (and agency) a delay is put down to."""

    agency: str
    step_id: str
    handoff_id: str | None
    overdue: timedelta  # how far past its due (zero if it is not)


@dataclass(frozen=True)
class Forecast:
    remaining: timedelta  # left of the dossier clock's budget (negative once breached)
    needed: timedelta  # office time the rest of the route needs
    due: datetime | None
    crossing: datetime | None  # when remaining will equal needed, if no running step is within its budget

    @property
    def delay(self) -> timedelta:
        return max(self.needed - self.remaining, _ZERO)

    @property
    def late(self) -> bool:
        return self.needed > self.remaining or self.remaining < _ZERO


def _needs(
    run: StepRun | None, counted: bool, budget: timedelta | None, now: datetime, cal: WorkingCalendar
) -> timedelta:
    if not counted or budget is None:
        return _ZERO
    if run is None or run.clock.current is None:
        return budget
    cycle = run.clock.current
    if cycle.stopped_at is None:
        remaining = run.clock.status(now, cal).remaining
        return max(remaining, _ZERO) if remaining is not None else budget
    return _ZERO if cycle.outcome == "completed" else budget  # returned: it runs again


def forecast(state: DossierState, workflow: Workflow, now: datetime, cal: WorkingCalendar) -> Forecast | None:
    """None when the dossier clock is not running (stopped, or no budget)."""
    clock = state.clock
    if not clock.running or clock.budget is None or clock.current is None:
        return None
    status = clock.status(now, cal)
    assert status.remaining is not None
    offsets: dict[str, timedelta] = {}
    moving = False  # a running step within its budget: needed shrinks as fast as remaining, no crossing yet
    for step in workflow.steps:
        counted = not step.pauses_dossier_clock and step.budget is not None and step.budget.basis == "working"
        budget = step.budget.duration(cal) if step.budget is not None else None
        start = max((offsets[a] for a in step.after), default=_ZERO)
        run = state.steps.get(step.id)
        need = _needs(run, counted, budget, now, cal)
        moving = moving or (run is not None and run.clock.running and counted and need > _ZERO)
        offsets[step.id] = start + need
    stop = set(workflow.dossier_clock.stop_on)
    finishing = [offsets[s.id] for s in workflow.steps if stop & set(s.completed_by)]
    needed = max(finishing or offsets.values())
    crossing = None if moving else at_elapsed(clock.current, clock, clock.budget - needed, cal)
    return Forecast(remaining=status.remaining, needed=needed, due=status.due, crossing=crossing)


def culprit(state: DossierState, now: datetime, cal: WorkingCalendar, fallback: str) -> Culprit:
    """Who holds the delay: the most overdue running step, else the latest step that finished late,
    else ``fallback`` (the receiving unit)."""
    best: Culprit | None = None
    for run in state.steps.values():
        if not run.clock.running or run.clock.budget is None:
            continue
        status = run.clock.status(now, cal)
        over = -status.remaining if status.remaining is not None and status.remaining < _ZERO else _ZERO
        candidate = Culprit(run.agency, run.step_id, status.ref, over)
        if best is None or candidate.overdue > best.overdue:
            best = candidate
    if best is not None and best.overdue > _ZERO:
        return best
    late: list[tuple[datetime, Culprit]] = []
    for run in state.steps.values():
        for status in run.clock.statuses(now, cal):
            if status.verdict == "late" and status.stopped_at is not None and status.remaining is not None:
                late.append((status.stopped_at, Culprit(run.agency, run.step_id, status.ref, -status.remaining)))
    if late:
        return max(late, key=lambda item: item[0])[1]
    if best is not None:
        return best
    return Culprit(fallback, "", None, _ZERO)
