"""The appointment date as one-stop officers count it, counted by hand (Civil Code art. 147-148; the receipt
form's "ngày hẹn trả"): the day of receipt is not counted; a receipt at or after the 16:00 cut-off, or on a
day off, counts as received on the next working day; N working days end at the end of the N-th working day
after the day of receipt, and a result handed over at any time that day is on time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from schemas import WorkingCalendar
from schemas.sla import SlaClock
from schemas.workflows import Budget

from .conftest import TZ, vn

# (what, received at, working days, last day; the day each count lands on is written out by hand)
TABLE = [
    ("Monday morning: Tuesday is day 1", vn(2026, 3, 2, 9), 1, date(2026, 3, 3)),
    ("a minute before the cut-off: as in the morning", vn(2026, 3, 2, 15, 59), 1, date(2026, 3, 3)),
    ("at the cut-off: received Tuesday, so Wednesday is day 1", vn(2026, 3, 2, 16), 1, date(2026, 3, 4)),
    ("Saturday online: received Monday, so Tuesday is day 1", vn(2026, 3, 7, 10), 1, date(2026, 3, 10)),
    ("Sunday evening online: the same Tuesday", vn(2026, 3, 8, 21), 1, date(2026, 3, 10)),
    ("ten working days: 3, 4, 5, 6, 9, 10, 11, 12, 13, 16 March", vn(2026, 3, 2, 9), 10, date(2026, 3, 16)),
    # Tết 2026: Saturday 14 to Sunday 22 February are days off
    ("before Tết: Friday 13 (1), Monday 23 (2), Tuesday 24 (3)", vn(2026, 2, 12, 10), 3, date(2026, 2, 24)),
    (
        "the eve of Tết after the cut-off: received Monday 23, day 1 Tuesday 24",
        vn(2026, 2, 13, 16, 30),
        1,
        date(2026, 2, 24),
    ),
    # 2026: Monday 31 August is a day off, made up on Saturday 22 August; 1 and 2 September are National Day
    ("a make-up Saturday is a working day: day 1", vn(2026, 8, 21, 10), 1, date(2026, 8, 22)),
    ("after the make-up Saturday, Monday 24 is day 2", vn(2026, 8, 21, 10), 2, date(2026, 8, 24)),
    ("across National Day: Thursday 3 (1), Friday 4 September (2)", vn(2026, 8, 28, 10), 2, date(2026, 9, 4)),
    (
        "received on the make-up Saturday itself: it counts, Monday 24 is day 1",
        vn(2026, 8, 22, 9),
        1,
        date(2026, 8, 24),
    ),
]


def _end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), TZ) - timedelta(microseconds=1)


@pytest.mark.parametrize(("received", "days", "last_day"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE])
def test_the_appointment_is_the_end_of_the_nth_working_day_after_the_receipt_day(
    cal: WorkingCalendar, received: datetime, days: int, last_day: date
) -> None:
    assert cal.due_in_days(received, days) == _end(last_day)
    budget = Budget(working_days=days)
    assert budget.due(received, cal, cutoff=True) == _end(last_day)  # the same count, however it is asked
    clock = SlaClock(budget=budget.duration(cal), days=budget.whole_days).start(received, apply_cutoff=True)
    assert clock.status(received, cal).due == _end(last_day)


def test_between_agencies_a_handoff_after_16_00_still_counts_on_its_own_day(cal: WorkingCalendar) -> None:
    """The cut-off is the counter's intake rule: a handoff at 16:30 Monday counts on Monday (not counted)."""
    assert cal.due_in_days(vn(2026, 3, 2, 16, 30), 1, cutoff=False) == _end(date(2026, 3, 3))
    assert cal.due_in_days(vn(2026, 3, 7, 10), 1, cutoff=False) == _end(date(2026, 3, 10))  # a Saturday still moves


@pytest.mark.parametrize(
    ("stopped", "verdict"),
    [
        (vn(2026, 3, 2, 14), "early"),  # the day of receipt
        (vn(2026, 3, 3, 9, 1), "on_time"),  # the due day's morning (the old count said late after 09:00)
        (vn(2026, 3, 3, 17, 30), "on_time"),  # later on the due day, after office hours
        (vn(2026, 3, 4, 7), "late"),  # the next morning
    ],
)
def test_a_budget_in_days_is_judged_by_the_day(cal: WorkingCalendar, stopped: datetime, verdict: str) -> None:
    clock = SlaClock(budget=cal.days(1), days=1).start(vn(2026, 3, 2, 9), apply_cutoff=True)
    assert clock.stop(stopped).status(vn(2026, 4, 1), cal).verdict == verdict


def test_hours_and_fractions_of_a_day_run_from_the_instant_and_are_judged_to_it(cal: WorkingCalendar) -> None:
    four_hours = Budget(working_hours=4)
    assert four_hours.whole_days is None
    assert four_hours.due(vn(2026, 3, 2, 9), cal) == vn(2026, 3, 2, 15)  # 09:00-11:30 (2.5 h), 13:30-15:00
    half_day = Budget(working_days=0.5)
    assert half_day.whole_days is None
    assert half_day.due(vn(2026, 3, 2, 16, 30), cal, cutoff=True) == vn(2026, 3, 3, 11)  # after the cut-off
    clock = SlaClock(budget=cal.hours(4)).start(vn(2026, 3, 2, 9))
    assert clock.stop(vn(2026, 3, 2, 15, 1)).status(vn(2026, 4, 1), cal).verdict == "late"
