"""Helpers for the schemas unit tests: instants in Vietnam, the packaged calendar and workflows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from schemas import WorkflowRegistry, WorkingCalendar, default_calendar, default_workflows

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DOSSIER = "000.00.20.H41-260213-0001"
LAND_TRANSFER = "1.004227.000.00.00.H42"
FIRST_CERTIFICATE = "1.012789.000.00.00.H42"
JOINT_PROVINCIAL = "1.010727.000.00.00.H42"
MORTGAGE = "1.003550.000.00.00.H42"
HOUSEHOLD_BUSINESS = "2.000720.000.00.00.H42"
MORTGAGE_DELETION = "1.003556.000.00.00.H42"
LAND_USE_CHANGE = "1.012794.000.00.00.H42"
INHERITANCE_GIFT = "1.004221.000.00.00.H42"
CONSTRUCTION_PERMIT = "1.009994.000.00.00.H42"
BIRTH_GROUP = "1.003412.000.00.00.H42"


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant in Asia/Ho_Chi_Minh."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkingCalendar:
    return default_calendar()


@pytest.fixture
def workflows() -> WorkflowRegistry:
    return default_workflows()
