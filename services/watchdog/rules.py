"""Alert rules as versioned data (``services/watchdog/rules.yaml``), validated by pydantic.

Rule ids (the ``rule`` of every alert):

====================  =========================================================================
``due_soon``          a handoff or dossier within its threshold of the due time
``overdue``           past the due time; levels escalate after N working days
``unacknowledged``    a handoff not accepted by the receiving agency within X working hours
``stalled``           no event on an open handoff for X working hours
``second_supplement`` more supplement requests on one dossier than allowed
``late_supplement``   a supplement request later than allowed after the asking agency received the dossier
``unlisted_supplement`` a supplement request for an item the procedure's documents do not list
``no_reason``         a suspension or refusal without a substantive reason (or legal basis)
``improper_cancellation``  a cancellation the citizen did not ask for, of a late dossier, or without a reason
``suspension``        a suspension on a ground the procedure does not list (level 1), or longer than its ground
                      allows (level 2)
``reappointment``     a second new appointment, or one not later than the appointment it replaces
``bounced``           a dossier bounced back more than N times
``result_not_closed`` a result ready but not returned or closed within X working hours
``apology_missing``   a dossier going late with no apology issued in time
====================  =========================================================================

Usage::

    rules = load_rules()                   # or load_rules(Path("my-rules.yaml"))
    rules.overdue[1].after_working_days
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.workcalendar import WorkingCalendar

__all__ = [
    "RULES_PATH",
    "RULE_IDS",
    "Audience",
    "Compliance",
    "EscalationLevel",
    "NoticeRule",
    "RuleSet",
    "RulesError",
    "Threshold",
    "WorkingSpan",
    "load_rules",
]

RULES_PATH = Path(__file__).with_name("rules.yaml")
RULE_IDS = (
    "due_soon",
    "overdue",
    "unacknowledged",
    "stalled",
    "second_supplement",
    "late_supplement",
    "unlisted_supplement",
    "no_reason",
    "improper_cancellation",
    "suspension",
    "reappointment",
    "bounced",
    "result_not_closed",
    "apology_missing",
)
Audience = Literal["unit", "head", "office", "leadership"]
_CLOSED = ConfigDict(frozen=True, extra="forbid")


class RulesError(ValueError):
    """The rules file is invalid; the message names the field."""


class Threshold(BaseModel):
    """How close to its due a clock is "due soon": the smallest of the limits given."""

    model_config = _CLOSED

    working_days: float | None = Field(default=None, gt=0, le=30)
    working_hours: float | None = Field(default=None, gt=0, le=240)
    budget_fraction: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _some(self) -> Self:
        if self.working_days is None and self.working_hours is None and self.budget_fraction is None:
            raise ValueError("give at least one of working_days, working_hours, budget_fraction")
        return self

    def amount(
        self, budget: timedelta, calendar: WorkingCalendar, wall: bool = False, whole_days: bool = False
    ) -> timedelta:
        """The threshold for a clock of ``budget`` (wall: a calendar-day clock, where a day is 24 h; whole_days:
        a budget counted in days, whose threshold is whole days too: at least its last day)."""
        limits: list[timedelta] = []
        if self.working_days is not None:
            limits.append(timedelta(days=self.working_days) if wall else calendar.days(self.working_days))
        if self.working_hours is not None:
            limits.append(timedelta(hours=self.working_hours))
        if self.budget_fraction is not None:
            limits.append(budget * self.budget_fraction)
        threshold = min(min(limits), budget)
        if whole_days and not wall:
            days = max(1, math.ceil(threshold / calendar.day_length))
            threshold = min(calendar.days(days), budget)
        return threshold

    def horizon(self, calendar: WorkingCalendar) -> timedelta:
        """An upper bound of :meth:`amount` in office time (for the digest's look-ahead)."""
        fixed = [calendar.days(self.working_days or 0), timedelta(hours=self.working_hours or 0)]
        if self.working_days is None and self.working_hours is None:
            fixed.append(calendar.days(60 * (self.budget_fraction or 0)))
        return max(fixed)


class DueSoonRule(BaseModel):
    model_config = _CLOSED

    handoff: Threshold
    dossier: Threshold


class EscalationLevel(BaseModel):
    model_config = _CLOSED

    level: int = Field(ge=1, le=9)
    after_working_days: float = Field(ge=0, le=60)
    audience: tuple[Audience, ...] = Field(min_length=1)


class WorkingSpan(BaseModel):
    model_config = _CLOSED

    working_hours: float = Field(gt=0, le=2000)

    @property
    def delta(self) -> timedelta:
        return timedelta(hours=self.working_hours)


class Compliance(BaseModel):
    model_config = _CLOSED

    max_supplement_requests: int = Field(default=1, ge=1)
    supplement_within_working_days: float = Field(default=3, gt=0)
    min_reason_chars: int = Field(default=15, ge=1)
    placeholder_reasons: tuple[str, ...] = ()
    suspension_needs_legal_basis: bool = True
    max_suspension_working_days: int = Field(default=10, ge=1, le=365)  # for a ground the procedure does not list
    max_bounces: int = Field(default=1, ge=0)
    close_within_working_hours: float = Field(default=8, gt=0)
    apology_lead_working_days: float = Field(default=1, ge=0)

    def substantive(self, reason: str | None) -> bool:
        text = (reason or "").strip()
        normalised = text.casefold().strip(" .:;-")
        placeholders = {p.casefold().strip(" .:;-") for p in self.placeholder_reasons}
        return len(text) >= self.min_reason_chars and normalised not in placeholders


class NoticeRule(BaseModel):
    model_config = _CLOSED

    draft_lead_working_days: float = Field(default=2, ge=0)
    extra_working_days: int = Field(default=0, ge=0)
    template: str = "mau-04"


class RuleSet(BaseModel):
    """One version of the alert rules."""

    model_config = _CLOSED

    version: int = Field(ge=1)
    name_vi: str
    name_en: str
    due_soon: DueSoonRule
    overdue: tuple[EscalationLevel, ...] = Field(min_length=1)
    unacknowledged: WorkingSpan
    stalled: WorkingSpan
    compliance: Compliance = Compliance()
    notices: NoticeRule = NoticeRule()

    @model_validator(mode="after")
    def _levels(self) -> Self:
        levels = [lv.level for lv in self.overdue]
        if levels != list(range(1, len(levels) + 1)):
            raise ValueError("overdue levels must be 1, 2, 3... in order")
        offsets = [lv.after_working_days for lv in self.overdue]
        if offsets != sorted(set(offsets)) or offsets[0] != 0:
            raise ValueError("overdue level 1 is at the due time (0) and later levels come strictly later")
        return self


def load_rules(path: Path | None = None) -> RuleSet:
    """Load and validate a rules file (default: the packaged ``rules.yaml``)."""
    path = path or RULES_PATH
    try:
        return RuleSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise RulesError(f"cannot read alert rules {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"alert rules {path} are not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise RulesError(f"alert rules {path}: {where}: {first['msg']}") from None
