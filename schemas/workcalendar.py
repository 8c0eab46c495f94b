"""The working-day calendar of a one-stop office: what counts as processing time.

Rules (data in ``schemas/calendar.yaml``):

- timezone Asia/Ho_Chi_Minh; Monday to Friday; Vietnamese public holidays, substituted days off
  and make-up working Saturdays as pinned in ``schemas/calendar_pinned.yaml`` (resolved once from the
  ``holidays`` library, so an upgrade of it cannot move a deadline; later years from the library); plus
  the province's own extra days off and make-up working days per year;
- office hours in periods (default 07:00-11:30 and 13:30-17:00): only they count;
- a period of N whole working days is counted as the Civil Code counts days (art. 147-148) and as the
  one-stop officer writes the appointment on the receipt: the day of receipt is not counted; a receipt
  after the intake cut-off (default 16:00), or on a day off, counts as received on the next working day;
  the period ends at the *end* of the N-th working day after the day of receipt
  (:meth:`WorkingCalendar.day_count_start`, :meth:`WorkingCalendar.end_of_day`): received Monday 09:00
  or 15:59, 1 working day is due at the end of Tuesday; received Monday 16:00 or Saturday, at the end of
  Wednesday or Tuesday;
- periods in hours (and fractions of a day, half a working day = 4 h) run from the instant: one working
  day = the office minutes of a day (default 8 h); their deadline is the *earliest* instant at which the
  budget is used up (a budget ending exactly at the close of a period is due at 17:00 that day);
- an intake cut-off also applies to hour periods of a dossier's reception: received later, or on a day
  off, they count from the start of the next working day (:meth:`WorkingCalendar.intake_start`).

Implementation: every instant maps to its *position*, the office time between a fixed epoch and
the instant; working days are cached in per-year arrays, so adding and measuring cost a few array
look-ups, no loop over minutes or days. Pauses are intervals of positions.

Usage::

    cal = default_calendar()
    due = cal.add(cal.intake_start(received), cal.days(5), pauses=[(p0, p1)])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Self, TypeVar
from zoneinfo import ZoneInfo

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.calendar_pin import PinnedCalendar, load_pinned
from schemas.errors import CalendarError

__all__ = [
    "CALENDAR_PATH",
    "CalendarConfig",
    "OfficePeriod",
    "Pause",
    "WorkingCalendar",
    "default_calendar",
    "load_calendar",
]

CALENDAR_PATH = Path(__file__).with_name("calendar.yaml")
Pause = tuple[datetime, datetime | None]  # (start, end); end None = still paused

_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = date(2000, 1, 1)
_LAST_YEAR = 2199
_OPEN = 1 << 62  # position of "never": the end of a pause still open
_MEMO_SIZE = 1 << 16
_T = TypeVar("_T")


class OfficePeriod(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time


class CalendarConfig(BaseModel):
    """Calendar rules as data; see ``schemas/calendar.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    timezone: str = "Asia/Ho_Chi_Minh"
    country: str = Field(default="VN", pattern=r"^[A-Z]{2}$")
    office_periods: tuple[OfficePeriod, ...] = Field(min_length=1, max_length=4)
    intake_cutoff: time
    extra_days_off: dict[int, tuple[date, ...]] = Field(default_factory=dict)
    makeup_working_days: dict[int, tuple[date, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        previous = time.min
        for period in self.office_periods:
            if not previous <= period.start < period.end:
                raise ValueError("office periods must be increasing and not overlap")
            previous = period.end
        if not self.office_periods[0].start < self.intake_cutoff <= self.office_periods[-1].end:
            raise ValueError("intake_cutoff must fall within office hours")
        for name, days in (("extra_days_off", self.extra_days_off), ("makeup_working_days", self.makeup_working_days)):
            for year, listed in days.items():
                if any(d.year != year for d in listed):
                    raise ValueError(f"{name}[{year}] lists a date of another year")
        off = {d for days in self.extra_days_off.values() for d in days}
        if clash := off & {d for days in self.makeup_working_days.values() for d in days}:
            raise ValueError(f"dates both off and working: {sorted(clash)}")
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        return self


def _us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


class WorkingCalendar:
    """Working-time arithmetic on one calendar. Instants must be timezone-aware; results are in
    the calendar's timezone. Pauses: ``(start, end)`` pairs, ``end=None`` while still paused."""

    def __init__(self, config: CalendarConfig, pinned: PinnedCalendar | None = None) -> None:
        self.config = config
        self._pinned = pinned if pinned is not None and pinned.country == config.country else None
        self.tz = ZoneInfo(config.timezone)
        self._periods = [(_us(p.start), _us(p.end)) for p in config.office_periods]
        self._day_us = sum(end - start for start, end in self._periods)
        self._cutoff_us = _us(config.intake_cutoff)
        self._off = {d for days in config.extra_days_off.values() for d in days}
        self._on = {d for days in config.makeup_working_days.values() for d in days}
        self._cum: list[int] = [0]  # _cum[i]: working days in [epoch, epoch + i days)
        self._ordinals: list[int] = []  # ordinal of the k-th working day since the epoch
        self._next_year = _EPOCH.year
        # Answers already worked out (the calendar never changes once made): the watchdog evaluates a dossier
        # at every event and wake-up, each time from the same starts, budgets and pauses. Emptied when full.
        self._memo: dict[tuple[Any, ...], Any] = {}

    @property
    def day_length(self) -> timedelta:
        """Office time of one working day (the unit of "N working days")."""
        return timedelta(microseconds=self._day_us)

    def days(self, n: float) -> timedelta:
        return timedelta(microseconds=round(n * self._day_us))

    def hours(self, n: float) -> timedelta:
        return timedelta(hours=n)

    # -- working days -----------------------------------------------------------------------------
    def _extend_to(self, year: int) -> None:
        if year > _LAST_YEAR:
            raise CalendarError(f"calendar covers {_EPOCH.year}-{_LAST_YEAR}, not {year}")
        while self._next_year <= year:
            y = self._next_year
            official, weekend_work = self._national(y)
            makeup = weekend_work | self._on
            day = date(y, 1, 1)
            while day.year == y:
                working = (day.weekday() < 5 or day in makeup) and day not in official and day not in self._off
                working = working or day in self._on
                if working:
                    self._ordinals.append(day.toordinal())
                self._cum.append(len(self._ordinals))
                day += timedelta(days=1)
            self._next_year += 1

    def _national(self, year: int) -> tuple[set[date], set[date]]:
        """The nation's days off and make-up working days of ``year``: pinned data when the year is pinned
        (a library upgrade must not move a deadline), else the ``holidays`` library."""
        pinned = self._pinned.year(year) if self._pinned is not None else None
        if pinned is not None:
            return pinned
        official = holidays.country_holidays(self.config.country, years=year)
        return set(official), {d for d in getattr(official, "weekend_workdays", set()) if d.year == year}

    def _index(self, day: date) -> int:
        if day < _EPOCH:
            raise CalendarError(f"calendar starts on {_EPOCH}, not {day}")
        self._extend_to(day.year)
        return day.toordinal() - _EPOCH.toordinal()

    def is_working_day(self, day: date) -> bool:
        i = self._index(day)
        return self._cum[i + 1] > self._cum[i]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``[start, end)``."""
        return self._cum[self._index(end)] - self._cum[self._index(start)]

    def _kth_working_day(self, k: int) -> date:
        while k >= len(self._ordinals):
            self._extend_to(self._next_year)
        return date.fromordinal(self._ordinals[k])

    # -- positions: office time since the epoch, in microseconds ---------------------------------
    def _local(self, instant: datetime) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise CalendarError("instants must be timezone-aware")
        return instant.astimezone(self.tz)

    def _within(self, clock_us: int) -> int:
        total = 0
        for start, end in self._periods:
            if clock_us <= start:
                break
            total += min(clock_us, end) - start
        return total

    def _memoised(self, key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
        """``compute()``, worked out once per ``key``."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        value = self._memo[key] = compute()
        return value

    def position(self, instant: datetime) -> int:
        return self._memoised(("position", instant), lambda: self._position(instant))

    def _position(self, instant: datetime) -> int:
        local = self._local(instant)
        i = self._index(local.date())
        pos = self._cum[i] * self._day_us
        if self._cum[i + 1] > self._cum[i]:
            pos += self._within(_us(local.time()))
        return pos

    def _at_position(self, pos: int) -> datetime:
        """The earliest instant whose position is ``pos``."""
        k, rest = divmod(pos, self._day_us)
        if rest == 0 and k > 0:
            k, rest = k - 1, self._day_us  # end of the previous working day, not next morning
        day = self._kth_working_day(k)
        clock = self._periods[0][0]
        for start, end in self._periods:
            clock = start + rest
            if rest <= end - start:
                break
            rest -= end - start
        return datetime.combine(day, time.min, self.tz) + timedelta(microseconds=clock)

    # -- public arithmetic ------------------------------------------------------------------------
    def is_office_time(self, instant: datetime) -> bool:
        """True on a working day within an office period (both ends included)."""
        local = self._local(instant)
        clock = _us(local.time())
        return self.is_working_day(local.date()) and any(s <= clock <= e for s, e in self._periods)

    def intake_start(self, received: datetime) -> datetime:
        """Where the clock of a dossier received at ``received`` starts: before the cut-off on a
        working day, that instant (or the next opening, if outside office hours); otherwise the
        opening of the next working day."""
        local = self._local(received)
        if self.is_working_day(local.date()) and _us(local.time()) < self._cutoff_us:
            return self.next_office_instant(local)
        return self.opening(self._next_working_day(local.date()))

    def next_office_instant(self, instant: datetime) -> datetime:
        """``instant`` if in office hours, else the next opening (after lunch, or the next working day)."""
        local = self._local(instant)
        if self.is_working_day(local.date()):
            clock = _us(local.time())
            for start, end in self._periods:
                if clock < start:
                    return datetime.combine(local.date(), time.min, self.tz) + timedelta(microseconds=start)
                if clock <= end:
                    return local
        return self.opening(self._next_working_day(local.date()))

    def _next_working_day(self, day: date) -> date:
        return self._kth_working_day(self._cum[self._index(day) + 1])

    def opening(self, day: date) -> datetime:
        return datetime.combine(day, time.min, self.tz) + timedelta(microseconds=self._periods[0][0])

    def closing(self, day: date) -> datetime:
        return datetime.combine(day, time.min, self.tz) + timedelta(microseconds=self._periods[-1][1])

    def receipt_day(self, received: datetime, cutoff: bool = True) -> date:
        """The working day a receipt counts on: its own day, unless it is not a working day or (with
        ``cutoff``, a dossier at the counter) the receipt came at or after the intake cut-off."""
        local = self._local(received)
        day = local.date()
        if not self.is_working_day(day) or (cutoff and _us(local.time()) >= self._cutoff_us):
            return self._next_working_day(day)
        return day

    def day_count_start(self, received: datetime, cutoff: bool = True) -> datetime:
        """Where a period of whole working days starts running: the opening of the first working day after
        the receipt day (the receipt day itself is not counted)."""
        return self._memoised(
            ("day_count_start", received, cutoff),
            lambda: self.opening(self._next_working_day(self.receipt_day(received, cutoff))),
        )

    def end_of_day(self, instant: datetime) -> datetime:
        """The last instant of ``instant``'s day (Asia/Ho_Chi_Minh): a period counted in days ends then."""
        return self._memoised(("end_of_day", instant), lambda: self._end_of_day(instant))

    def _end_of_day(self, instant: datetime) -> datetime:
        day = self._local(instant).date()
        return datetime.combine(day + timedelta(days=1), time.min, self.tz) - timedelta(microseconds=1)

    def due_in_days(
        self, received: datetime, n: int, pauses: Iterable[Pause] = (), cutoff: bool = True
    ) -> datetime | None:
        """The end of the N-th working day after the receipt day (pauses, in office time, push it on);
        None while a still-open pause comes first."""
        landing = self.add(self.day_count_start(received, cutoff), self.days(n), pauses)
        return None if landing is None else self.end_of_day(landing)

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
        """Office time from ``start`` to ``end`` not covered by ``pauses`` (zero if end <= start)."""
        a, b = self.position(start), self.position(end)
        if b <= a:
            return timedelta(0)
        paused = sum(e - s for s, e in self._pause_positions(pauses, a, b))
        return timedelta(microseconds=b - a - paused)

    def add(self, start: datetime, amount: timedelta, pauses: Iterable[Pause] = ()) -> datetime | None:
        """The earliest instant by which ``amount`` of office time, pauses excluded, has run from
        ``start``; ``None`` if a still-open pause is reached first. ``amount == 0`` returns ``start``."""
        pauses = tuple((p0, p1) for p0, p1 in pauses)
        return self._memoised(("add", start, amount, pauses), lambda: self._add(start, amount, pauses))

    def _add(self, start: datetime, amount: timedelta, pauses: tuple[Pause, ...]) -> datetime | None:
        budget = amount // timedelta(microseconds=1)
        if budget < 0:
            raise CalendarError("amount must not be negative")
        if budget == 0:
            return start.astimezone(self.tz)
        cursor = self.position(start)
        for s, e in self._pause_positions(pauses, cursor, _OPEN) if pauses else ():
            if s - cursor >= budget:
                break
            budget -= s - cursor
            if e >= _OPEN:
                return None
            cursor = e
        return self._at_position(cursor + budget)

    def add_days(self, start: datetime, n: float, pauses: Iterable[Pause] = ()) -> datetime | None:
        return self.add(start, self.days(n), pauses)

    def add_hours(self, start: datetime, n: float, pauses: Iterable[Pause] = ()) -> datetime | None:
        return self.add(start, self.hours(n), pauses)

    def _pause_positions(self, pauses: Iterable[Pause], low: int, high: int) -> list[tuple[int, int]]:
        """Pauses as sorted, merged position intervals clipped to ``[low, high]``; a still-open
        pause ends at ``high``."""
        spans = sorted(
            (max(self.position(p0), low), min(high, _OPEN if p1 is None else self.position(p1))) for p0, p1 in pauses
        )
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if e <= s:
                continue
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged


def load_calendar(path: Path | None = None) -> WorkingCalendar:
    """Load calendar rules (default: the packaged ``calendar.yaml``)."""
    source = path or CALENDAR_PATH
    try:
        config = CalendarConfig.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CalendarError(f"invalid calendar {source}: {exc}") from exc
    return WorkingCalendar(config, load_pinned())


@functools.cache
def default_calendar() -> WorkingCalendar:
    return load_calendar()
