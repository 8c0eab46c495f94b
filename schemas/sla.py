"""SLA clocks: start, pause, resume, stop; elapsed, remaining, due, paused, breached, verdict.

Pure values and functions, no I/O: the watchdog and the dashboard compute the same answers from
the same state. A clock is a frozen model (storable in a table); each transition returns a new
clock. A clock has *cycles*: every start opens one (a dossier bounced back to a step starts the
step again) and each cycle gets the whole budget and its own verdict.

Where a clock counts from and when it is due (one place: :func:`counted_start`, :func:`instant_after`,
:func:`due_of`, used by the watchdog, the forecast, the dashboard and the slip alike):

- a budget of N whole working days (``days``) is counted as days: the receipt day is not counted (with
  ``apply_cutoff``, a dossier at the counter received after the cut-off or on a day off counts as received
  on the next working day) and the clock is due at the *end* of the N-th working day after it;
- a budget in hours or in fractions of a day runs from the instant (the intake cut-off applied at the
  counter) and is due the instant it is used up;
- a calendar-day budget (a public listing) runs on the wall clock.

Verdict of a stopped cycle, as the process-control slip shows it (phiếu kiểm soát):
``late`` (quá hạn) if stopped after the due instant; ``on_time`` (đúng hạn) if stopped on the due
instant's calendar day; ``early`` (trước hạn) if stopped on an earlier day. So a result handed over at
any time on its due day is on time when the budget is in days. A running cycle past its due is already
``late``; otherwise it has no verdict yet.

Usage::

    clock = SlaClock(budget=cal.days(3)).start(t0).pause(t1).resume(t2)
    status = clock.status(now, cal)      # status.due, status.remaining, status.breached ...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.workcalendar import Pause, WorkingCalendar

__all__ = [
    "WALL_CLOCK",
    "ClockStatus",
    "Cycle",
    "SlaClock",
    "TimeBasis",
    "Verdict",
    "WallClock",
    "counted_start",
    "due_of",
    "instant_after",
    "verdict",
]

Verdict = Literal["early", "on_time", "late"]


class TimeBasis(Protocol):
    """What a clock needs from a calendar: add and measure time, with pauses."""

    def add(self, start: datetime, amount: timedelta, pauses: Iterable[Pause] = ()) -> datetime | None: ...

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta: ...

    def intake_start(self, received: datetime) -> datetime: ...


class WallClock:
    """Calendar-day basis (e.g. a 15-day public listing): every second counts, except pauses."""

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
        if end <= start:
            return timedelta(0)
        paused = timedelta(0)
        for s, e in _merge(pauses, start, end):
            paused += (e or end) - s
        return end - start - paused

    def add(self, start: datetime, amount: timedelta, pauses: Iterable[Pause] = ()) -> datetime | None:
        cursor, left = start, amount
        for s, e in _merge(pauses, start, None):
            if s - cursor >= left:
                break
            left -= s - cursor
            if e is None:
                return None
            cursor = e
        return cursor + left

    def intake_start(self, received: datetime) -> datetime:
        return received


WALL_CLOCK = WallClock()


def _merge(pauses: Iterable[Pause], low: datetime, high: datetime | None) -> list[tuple[datetime, datetime | None]]:
    spans = []
    for p0, p1 in pauses:
        s = max(p0, low)
        e = p1 if high is None else min(high, p1 or high)
        if e is None or e > s:
            spans.append((s, e))
    spans.sort(key=lambda span: span[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for s, e in spans:
        last = merged[-1] if merged else None
        if last is not None and (last[1] is None or s <= last[1]):
            merged[-1] = (last[0], None if e is None or last[1] is None else max(last[1], e))
        else:
            merged.append((s, e))
    return merged


class Cycle(BaseModel):
    """One run of a clock: from a start to a stop, with pauses. ``apply_cutoff``: count from the
    calendar's intake start (dossier reception), not from the instant itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    started_at: AwareDatetime
    apply_cutoff: bool = False
    pauses: tuple[tuple[AwareDatetime, AwareDatetime | None], ...] = ()
    stopped_at: AwareDatetime | None = None
    outcome: str | None = None
    ref: str | None = None  # e.g. the handoff id this cycle measures

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None and self.stopped_at is None


@dataclass(frozen=True)
class ClockStatus:
    """A cycle seen at ``now``. ``due`` is None while paused before the budget ran out, or when
    there is no budget (time not counted); ``remaining`` is negative once breached."""

    counted_from: datetime
    budget: timedelta | None
    elapsed: timedelta
    remaining: timedelta | None
    due: datetime | None
    paused: bool
    paused_for: timedelta
    stopped_at: datetime | None
    breached: bool
    verdict: Verdict | None
    outcome: str | None
    ref: str | None


def verdict(stopped_at: datetime, due: datetime) -> Verdict:
    """Early / on time / late of work finished at ``stopped_at`` against ``due`` (same-day = on time,
    days compared in the due's timezone)."""
    if stopped_at > due:
        return "late"
    return "on_time" if stopped_at.astimezone(due.tzinfo).date() == due.date() else "early"


class SlaClock(BaseModel):
    """A clock with a budget of working (or wall-clock) time and its cycles. ``days``: the budget is N
    whole working days, counted as days (see the module docstring); None: counted from the instant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    budget: timedelta | None
    basis: Literal["working", "calendar"] = "working"
    days: int | None = None
    cycles: tuple[Cycle, ...] = ()

    @property
    def current(self) -> Cycle | None:
        return self.cycles[-1] if self.cycles else None

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.stopped_at is None

    @property
    def paused(self) -> bool:
        return self.current is not None and self.current.paused

    def _replace_current(self, cycle: Cycle) -> SlaClock:
        return self.model_copy(update={"cycles": (*self.cycles[:-1], cycle)})

    def start(self, at: datetime, *, apply_cutoff: bool = False, ref: str | None = None) -> SlaClock:
        """Open a new cycle (stopping a running one first, as a restart)."""
        clock = self.stop(at, outcome="restarted") if self.running else self
        cycle = Cycle(started_at=at, apply_cutoff=apply_cutoff, ref=ref)
        return clock.model_copy(update={"cycles": (*clock.cycles, cycle)})

    def pause(self, at: datetime) -> SlaClock:
        """Pause the running cycle; no effect if stopped or already paused."""
        cycle = self.current
        if cycle is None or cycle.stopped_at is not None or cycle.paused:
            return self
        return self._replace_current(
            cycle.model_copy(update={"pauses": (*cycle.pauses, (max(at, cycle.started_at), None))})
        )

    def resume(self, at: datetime) -> SlaClock:
        """Resume a paused cycle; no effect otherwise."""
        cycle = self.current
        if cycle is None or not cycle.paused:
            return self
        start, _ = cycle.pauses[-1]
        return self._replace_current(cycle.model_copy(update={"pauses": (*cycle.pauses[:-1], (start, max(at, start)))}))

    def stop(self, at: datetime, outcome: str = "completed") -> SlaClock:
        """Stop the running cycle (closing an open pause); no effect if not running."""
        cycle = self.current
        if cycle is None or cycle.stopped_at is not None:
            return self
        clock = self.resume(at)
        closed = clock.cycles[-1]
        return clock._replace_current(
            closed.model_copy(update={"stopped_at": max(at, closed.started_at), "outcome": outcome})
        )

    def status(self, now: datetime, calendar: WorkingCalendar, cycle: int = -1) -> ClockStatus:
        """Status of a cycle (default: the latest) at ``now``."""
        if not self.cycles:
            raise ValueError("the clock was never started")
        return cycle_status(self.cycles[cycle], self, now, calendar)

    def statuses(self, now: datetime, calendar: WorkingCalendar) -> list[ClockStatus]:
        return [cycle_status(c, self, now, calendar) for c in self.cycles]


def _time(clock: SlaClock, calendar: WorkingCalendar) -> TimeBasis:
    return WALL_CLOCK if clock.basis == "calendar" else calendar


def counted_start(cycle: Cycle, clock: SlaClock, calendar: WorkingCalendar) -> datetime:
    """Where ``cycle`` of ``clock`` starts counting (see the module docstring)."""
    if clock.basis == "calendar":
        return cycle.started_at
    if clock.days is not None:
        return calendar.day_count_start(cycle.started_at, cutoff=cycle.apply_cutoff)
    return calendar.intake_start(cycle.started_at) if cycle.apply_cutoff else cycle.started_at


def instant_after(
    cycle: Cycle, clock: SlaClock, amount: timedelta, calendar: WorkingCalendar, pauses: Iterable[Pause] | None = None
) -> datetime | None:
    """The instant ``amount`` of the cycle's counted time will have run (None while an open pause comes first)."""
    start = counted_start(cycle, clock, calendar)
    return _time(clock, calendar).add(start, max(amount, timedelta(0)), cycle.pauses if pauses is None else pauses)


def due_of(
    cycle: Cycle,
    clock: SlaClock,
    calendar: WorkingCalendar,
    extra: timedelta = timedelta(0),
    pauses: Iterable[Pause] | None = None,
) -> datetime | None:
    """When the cycle is due (``extra``: that much later, e.g. an escalation level): for a budget in days the
    end of the day its budget runs out, else that instant. None without a budget, or while paused first."""
    if clock.budget is None:
        return None
    instant = instant_after(cycle, clock, clock.budget + extra, calendar, pauses)
    if instant is None or clock.days is None or clock.basis == "calendar":
        return instant
    return calendar.end_of_day(instant)


def cycle_status(cycle: Cycle, clock: SlaClock, now: datetime, calendar: WorkingCalendar) -> ClockStatus:
    time = _time(clock, calendar)
    budget = clock.budget
    start = counted_start(cycle, clock, calendar)
    end = cycle.stopped_at or now
    pauses = [(s, e if e is not None else end) for s, e in cycle.pauses]
    if cycle.stopped_at is None and cycle.paused:
        pauses[-1] = (cycle.pauses[-1][0], max(now, cycle.pauses[-1][0]))
    elapsed = time.elapsed(start, end, pauses)
    paused_for = time.elapsed(start, end) - elapsed
    due: datetime | None = None
    remaining: timedelta | None = None
    if budget is not None:
        remaining = budget - elapsed
        # While paused, the due instant is known only if the budget ran out before the pause.
        due = due_of(cycle, clock, calendar, pauses=cycle.pauses if cycle.stopped_at is None else pauses)
        if due is not None and end <= due and remaining < timedelta(0):
            remaining = timedelta(0)  # a budget in days: the due day is not over yet
    result: Verdict | None = None
    if due is not None and cycle.stopped_at is not None:
        result = verdict(cycle.stopped_at, due)
    elif due is not None and now > due:
        result = "late"
    breached = result == "late" or (remaining is not None and remaining < timedelta(0))
    return ClockStatus(
        counted_from=start,
        budget=budget,
        elapsed=elapsed,
        remaining=remaining,
        due=due,
        paused=cycle.paused,
        paused_for=paused_for,
        stopped_at=cycle.stopped_at,
        breached=breached,
        verdict=result,
        outcome=cycle.outcome,
        ref=cycle.ref,
    )
