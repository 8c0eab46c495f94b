"""Helpers for the schemas unit tests: instants in Vietnam, the packaged calendar and workflows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from schemas import WorkflowRegistry, WorkingCalendar, default_calendar, default_workflows
from simulators.factory import (
    BIRTH_GROUP,
    CONSTRUCTION_PERMIT,
    FIRST_CERTIFICATE,
    HOUSEHOLD_BUSINESS,
    INHERITANCE_GIFT,
    JOINT_PROVINCIAL,
    LAND_TRANSFER,
    LAND_USE_CHANGE,
    MORTGAGE,
    MORTGAGE_DELETION,
)

# the procedure codes are re-exported for the tests of this package
__all__ = [
    "BIRTH_GROUP",
    "CONSTRUCTION_PERMIT",
    "FIRST_CERTIFICATE",
    "HOUSEHOLD_BUSINESS",
    "INHERITANCE_GIFT",
    "JOINT_PROVINCIAL",
    "LAND_TRANSFER",
    "LAND_USE_CHANGE",
    "MORTGAGE",
    "MORTGAGE_DELETION",
]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DOSSIER = "000.00.20.H41-260213-0001"


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant in Asia/Ho_Chi_Minh."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkingCalendar:
    return default_calendar()


@pytest.fixture
def workflows() -> WorkflowRegistry:
    return default_workflows()
