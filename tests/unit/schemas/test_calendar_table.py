"""Deadlines counted by hand, the way a one-stop officer counts them.

Conventions (schemas/workcalendar.py): office hours 07:00-11:30 and 13:30-17:00 (8 h = one working
day); "N working days" = N x 8 h of office time, so Monday 09:00 + 1 day = Tuesday 09:00; a budget
used up exactly at a closing time is due at that closing time; received at or after the 16:00
cut-off, or on a day off, counts from the next working day's 07:00.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from schemas import CalendarConfig, CalendarError, WorkingCalendar, default_calendar

from .conftest import TZ, vn


def due(received: datetime, days: float) -> datetime | None:
    cal = default_calendar()
    return cal.add_days(cal.intake_start(received), days)


@pytest.mark.parametrize(
    ("received", "days", "expected"),
    [
        # Friday 13 Feb 2026 16:30 is after the 16:00 cut-off: counting starts on the next working day.
        # Sat 14 / Sun 15 weekend; Mon 16 - Fri 20 Tết (Lunar New Year's Eve to the 4th day);
        # Sat 21 / Sun 22 weekend -> Monday 23 Feb 07:00. Five working days: Mon 23, Tue 24,
        # Wed 25, Thu 26, Fri 27 -> due Friday 27 February at closing time, 17:00.
        pytest.param(vn(2026, 2, 13, 16, 30), 5, vn(2026, 2, 27, 17), id="friday-after-cutoff-across-tet-2026"),
        # Received online on Saturday 7 March 2026: counts from Monday 9 March 07:00;
        # 3 days = Mon 9, Tue 10, Wed 11 -> Wednesday 11 March 17:00.
        pytest.param(vn(2026, 3, 7, 10), 3, vn(2026, 3, 11, 17), id="received-on-saturday"),
        # Saturday 22 August 2026 is a make-up working day (for Monday 31 August): received 09:00
        # that Saturday counts at once; +1 day = Mon 24 09:00, +2 days = Tue 25 Aug 09:00.
        pytest.param(vn(2026, 8, 22, 9), 2, vn(2026, 8, 25, 9), id="make-up-saturday-is-a-working-day"),
        # Friday 28 August 2026 10:00, 3 days: Mon 31 Aug is the swapped day off, Tue 1 and Wed 2
        # Sep are National Day -> Thu 3 (1), Fri 4 (2), Mon 7 Sep (3) at 10:00.
        pytest.param(vn(2026, 8, 28, 10), 3, vn(2026, 9, 7, 10), id="national-day-2026-with-swapped-monday"),
        # Monday 2 March 2026 09:00 + 1 working day = Tuesday 09:00.
        pytest.param(vn(2026, 3, 2, 9), 1, vn(2026, 3, 3, 9), id="monday-plus-one-day"),
        # 15:59 is before the cut-off: counted from 15:59; + 1 day = Tuesday 15:59.
        pytest.param(vn(2026, 3, 2, 15, 59), 1, vn(2026, 3, 3, 15, 59), id="just-before-cutoff"),
        # 16:00 is the cut-off: counted from Tuesday 07:00; + 1 day = Tuesday 17:00.
        pytest.param(vn(2026, 3, 2, 16), 1, vn(2026, 3, 3, 17), id="at-cutoff"),
        # Received 06:30 (before opening): counted from 07:00; half a day (4 h) -> 11:00.
        pytest.param(vn(2026, 3, 2, 6, 30), 0.5, vn(2026, 3, 2, 11), id="before-opening"),
        # Tết 2025: Mon 27 - Fri 31 Jan off. Friday 24 Jan 2025 14:00 + 2 days:
        # Mon 3 Feb 14:00 (1), Tue 4 Feb 14:00 (2).
        pytest.param(vn(2025, 1, 24, 14), 2, vn(2025, 2, 4, 14), id="across-tet-2025"),
        # Hung Kings' day 2026 falls on Sunday 26 April, observed Monday 27; 30 Apr and 1 May are
        # holidays. Friday 24 April 10:00 + 2 days: Tue 28 (1), Wed 29 April 10:00 (2).
        pytest.param(vn(2026, 4, 24, 10), 2, vn(2026, 4, 29, 10), id="hung-kings-observed-monday"),
    ],
)
def test_appointment_counted_like_the_officer(received: datetime, days: float, expected: datetime) -> None:
    assert due(received, days) == expected


def test_supplement_pause_spanning_a_holiday(cal: WorkingCalendar) -> None:
    # Received Tuesday 28 April 2026 09:00, 10 working days: Wed 29 (1), [Thu 30 Apr, Fri 1 May
    # holidays, weekend], Mon 4 (2) ... Fri 8 (6), Mon 11 (7) ... Thu 14 May (10) -> 09:00.
    received = vn(2026, 4, 28, 9)
    assert cal.add_days(received, 10) == vn(2026, 5, 14, 9)
    # Supplement requested Wednesday 29 April 10:00, received back Monday 4 May 10:00. Paused office
    # time: Wed 10:00-11:30 (1 h 30) + 13:30-17:00 (3 h 30); the holidays and the weekend do not
    # count; Mon 07:00-10:00 (3 h): 8 h = exactly one working day, so the due moves one day later.
    pause = (vn(2026, 4, 29, 10), vn(2026, 5, 4, 10))
    assert cal.elapsed(*pause) == timedelta(hours=8)
    assert cal.add_days(received, 10, pauses=[pause]) == vn(2026, 5, 15, 9)
    # While the supplement is outstanding the due cannot be known.
    assert cal.add_days(received, 10, pauses=[(pause[0], None)]) is None


def test_working_hours_over_a_weekend(cal: WorkingCalendar) -> None:
    # A handoff at Friday 6 March 2026 16:00 with 4 working hours: 1 h on Friday, then Monday
    # 07:00 + 3 h = Monday 9 March 10:00.
    assert cal.add_hours(vn(2026, 3, 6, 16), 4) == vn(2026, 3, 9, 10)


def test_budget_ending_at_lunch_is_due_at_1130(cal: WorkingCalendar) -> None:
    # 07:00 + 4 h 30 uses the whole morning: due 11:30, not 13:30.
    assert cal.add_hours(vn(2026, 3, 2, 7), 4.5) == vn(2026, 3, 2, 11, 30)
    # From 12:15 (lunch) 4 h: 13:30-17:00 is 3 h 30, then Tuesday 07:00 + 30 min.
    start = cal.intake_start(vn(2026, 3, 2, 12, 15))
    assert start == vn(2026, 3, 2, 13, 30)
    assert cal.add_hours(start, 4) == vn(2026, 3, 3, 7, 30)


def test_elapsed_across_tet(cal: WorkingCalendar) -> None:
    # Friday 13 Feb 2026 10:00 -> Monday 23 Feb 10:00: Friday 1 h 30 + 3 h 30, Monday 3 h;
    # the Tết week counts nothing: 8 h, one working day.
    assert cal.elapsed(vn(2026, 2, 13, 10), vn(2026, 2, 23, 10)) == cal.day_length == timedelta(hours=8)


def test_working_days_of_2026_tet_and_swaps(cal: WorkingCalendar) -> None:
    assert not any(cal.is_working_day(date(2026, 2, d)) for d in range(16, 21))
    assert cal.is_working_day(date(2026, 8, 22))  # make-up Saturday
    assert not cal.is_working_day(date(2026, 8, 31))  # swapped day off
    assert cal.working_days_between(date(2026, 2, 1), date(2026, 3, 1)) == 15


def _config(**changes: object) -> CalendarConfig:
    base = default_calendar().config.model_dump()
    return CalendarConfig.model_validate({**base, **changes})


def test_province_extra_day_off_and_make_up_day() -> None:
    # The province gives Friday 6 March 2026 off: Thursday 5 March 09:00 + 1 day = Monday 9 March 09:00.
    off = WorkingCalendar(_config(extra_days_off={2026: [date(2026, 3, 6)]}))
    assert off.add_days(vn(2026, 3, 5, 9), 1) == vn(2026, 3, 9, 9)
    # ...and asks staff to work Saturday 7 March instead: due Saturday 09:00.
    swap = WorkingCalendar(
        _config(extra_days_off={2026: [date(2026, 3, 6)]}, makeup_working_days={2026: [date(2026, 3, 7)]})
    )
    assert swap.add_days(vn(2026, 3, 5, 9), 1) == vn(2026, 3, 7, 9)


def test_other_office_hours_and_cutoff() -> None:
    # A province opening 07:30-11:30 and 13:30-17:00 (7 h 30 a day) with a 15:00 cut-off.
    cal = WorkingCalendar(
        _config(
            office_periods=[{"start": time(7, 30), "end": time(11, 30)}, {"start": time(13, 30), "end": time(17)}],
            intake_cutoff=time(15),
        )
    )
    assert cal.day_length == timedelta(hours=7, minutes=30)
    assert cal.intake_start(vn(2026, 3, 2, 15, 10)) == vn(2026, 3, 3, 7, 30)
    assert cal.add_days(vn(2026, 3, 2, 9), 1) == vn(2026, 3, 3, 9)


@pytest.mark.parametrize(
    "changes",
    [
        {"office_periods": [{"start": time(13), "end": time(17)}, {"start": time(7), "end": time(11)}]},
        {"intake_cutoff": time(18)},
        {"extra_days_off": {2026: [date(2025, 1, 2)]}},
        {"extra_days_off": {2026: [date(2026, 3, 7)]}, "makeup_working_days": {2026: [date(2026, 3, 7)]}},
        {"timezone": "Asia/Nowhere"},
    ],
)
def test_invalid_calendar_config_is_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="."):
        _config(**changes)


def test_naive_and_out_of_range_instants_are_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarError):
        cal.add_days(datetime(2026, 3, 2, 9), 1)
    with pytest.raises(CalendarError):
        cal.elapsed(datetime(1999, 1, 1, tzinfo=TZ), vn(2026, 1, 5))
    with pytest.raises(CalendarError):
        cal.add(vn(2026, 3, 2, 9), timedelta(hours=-1))


def test_other_timezones_are_converted(cal: WorkingCalendar) -> None:
    from datetime import UTC

    # 02:00 UTC is 09:00 in Vietnam.
    assert cal.add_days(datetime(2026, 3, 2, 2, tzinfo=UTC), 1) == vn(2026, 3, 3, 9)
