"""The national calendar is pinned as data: deadlines do not move when the holidays library changes."""

from __future__ import annotations

from datetime import date
from importlib.metadata import version

import holidays
import pytest

from schemas import calendar_pin
from schemas.calendar_pin import PINNED_PATH, load_pinned, render
from schemas.workcalendar import load_calendar


def test_the_pinned_file_is_what_the_installed_library_says() -> None:
    """Fails when the library gives another answer for a pinned year: decide whether it corrected a mistake
    (regenerate with `python -m schemas.calendar_pin` and say so) or changed history (keep the file)."""
    assert calendar_pin.main(["--check"]) == 0, (
        f"{PINNED_PATH.name} differs from holidays {version('holidays')}: see the test's docstring"
    )
    committed = PINNED_PATH.read_text(encoding="utf-8").splitlines()
    assert committed[5:] == render().splitlines()[5:]


def test_a_pinned_year_ignores_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library release that forgot Tết 2026 and the make-up Saturday changes nothing for a pinned year,
    and everything for a year not pinned."""

    def forgetful(country: str, years: int) -> holidays.HolidayBase:
        return holidays.HolidayBase()

    monkeypatch.setattr(holidays, "country_holidays", forgetful)
    cal = load_calendar()
    assert 2026 in load_pinned().days_off
    assert not cal.is_working_day(date(2026, 2, 17))  # Tết
    assert cal.is_working_day(date(2026, 8, 22))  # the Saturday worked for Monday 31 August
    assert not cal.is_working_day(date(2026, 8, 31))
    assert not cal.is_working_day(date(2026, 11, 24))  # Vietnamese Culture Day
    assert 2040 not in load_pinned().days_off
    assert date(2040, 5, 1).weekday() == 1
    assert cal.is_working_day(date(2040, 5, 1))  # Labour Day, a Tuesday, forgotten by the library: not pinned
