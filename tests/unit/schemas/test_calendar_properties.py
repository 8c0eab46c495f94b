"""Properties of working-time arithmetic, over wide inputs (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import default_calendar

from .conftest import TZ

CAL = default_calendar()

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(TZ))
# Budgets from one second up to 40 working days, at second resolution.
amounts = st.integers(min_value=1, max_value=40 * 8 * 3600).map(lambda s: timedelta(seconds=s))
# Wall-clock offsets up to 60 days.
offsets = st.integers(min_value=0, max_value=60 * 86400).map(lambda s: timedelta(seconds=s))

FAST = settings(max_examples=300, deadline=None)


def _official_weekend_workdays() -> set[date]:
    import holidays

    return set(holidays.country_holidays("VN", years=range(2024, 2030)).weekend_workdays)


def _official_days_off() -> set[date]:
    """Public holidays as the `holidays` library lists them (Tết and substituted days included), read here
    without the calendar, so the property does not check the calendar against itself."""
    import holidays

    off = set(holidays.country_holidays("VN", years=range(2024, 2030)))
    return off | {d for days in CAL.config.extra_days_off.values() for d in days}


DAYS_OFF = _official_days_off()


@FAST
@given(start=instants, amount=amounts)
def test_adding_then_measuring_gives_the_amount_back(start: datetime, amount: timedelta) -> None:
    due = CAL.add(start, amount)
    assert due is not None
    assert CAL.elapsed(start, due) == amount


@FAST
@given(start=instants, amount=amounts)
def test_deadline_is_always_in_office_hours_on_a_working_day(start: datetime, amount: timedelta) -> None:
    due = CAL.add(start, amount)
    assert due is not None
    assert CAL.is_working_day(due.date())  # never a weekend (bar a make-up Saturday) nor a holiday
    assert due.date() not in DAYS_OFF
    assert (
        due.weekday() < 5
        or due.date() in CAL.config.makeup_working_days.get(due.year, ())
        or (due.date() in _official_weekend_workdays())
    )
    assert CAL.is_office_time(due)
    assert due > start


@FAST
@given(start=instants, amount=amounts, pause_at=offsets, pause_for=offsets)
def test_a_pause_moves_the_due_by_exactly_the_paused_working_time(
    start: datetime, amount: timedelta, pause_at: timedelta, pause_for: timedelta
) -> None:
    due = CAL.add(start, amount)
    assert due is not None
    pause = (start + pause_at, start + pause_at + pause_for)
    paused = CAL.elapsed(*pause)
    moved = CAL.add(start, amount, pauses=[pause])
    if pause[0] < due:
        assert moved == CAL.add(due, paused)
        assert moved is not None
        assert CAL.elapsed(due, moved) == paused
    else:
        assert moved == due


@FAST
@given(start=instants, amount=amounts, pause_at=offsets, pause_for=offsets)
def test_measuring_with_pauses_gives_the_amount_back(
    start: datetime, amount: timedelta, pause_at: timedelta, pause_for: timedelta
) -> None:
    pauses = [(start + pause_at, start + pause_at + pause_for)]
    due = CAL.add(start, amount, pauses=pauses)
    assert due is not None
    assert CAL.elapsed(start, due, pauses=pauses) == amount


@FAST
@given(a=instants, b=offsets, c=offsets)
def test_elapsed_adds_up_over_consecutive_intervals(a: datetime, b: timedelta, c: timedelta) -> None:
    assert CAL.elapsed(a, a + b + c) == CAL.elapsed(a, a + b) + CAL.elapsed(a + b, a + b + c)
    assert CAL.elapsed(a, a + b) <= b


@FAST
@given(received=instants)
def test_intake_starts_in_office_hours_and_never_before_reception(received: datetime) -> None:
    start = CAL.intake_start(received)
    assert start >= received
    assert CAL.is_office_time(start)
    # Nothing of the received day after the cut-off is counted.
    assert CAL.elapsed(received, start) <= timedelta(hours=1)


@FAST
@given(start=instants, days=st.integers(min_value=1, max_value=30))
def test_whole_days_keep_the_time_of_day_inside_office_hours(start: datetime, days: int) -> None:
    origin = CAL.next_office_instant(start)
    due = CAL.add_days(origin, days)
    assert due is not None
    # Counting whole days lands on the same clock time, except that an opening time (07:00 or
    # 13:30) is reported as the previous closing time (17:00 or 11:30) by the earliest-instant rule.
    if origin.time() not in {CAL.config.office_periods[0].start, CAL.config.office_periods[1].start}:
        assert due.time() == origin.time()
    assert CAL.working_days_between(origin.date(), due.date()) in {days - 1, days}


def test_cost_does_not_grow_with_the_budget() -> None:
    # The watchdog computes deadlines for up to a million handoffs: adding and measuring must be a
    # few array look-ups, not a walk over minutes or days (about 10 microseconds each here).
    import time

    start = datetime(2026, 3, 2, 9, tzinfo=TZ)
    began = time.perf_counter()
    for days in range(1, 5001):
        due = CAL.add_days(start, days % 20 + 1)
        assert due is not None
        CAL.elapsed(start, due)
    CAL.add_days(start, 2000)  # eight years ahead
    assert time.perf_counter() - began < 2.0
