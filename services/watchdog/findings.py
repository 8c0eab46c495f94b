"""What a rule evaluation produces: findings (alerts to raise), wake-ups, and the texts they carry.

:class:`Collector` applies the one decision every time rule shares: a rule whose instant has passed fires
once (its key is remembered in the dossier's state), a rule whose instant is ahead becomes a wake-up.
Texts are Vietnamese first (NFC), English second; they are built only when a rule fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.agencies import default_agencies
from schemas.events import TZ
from services.watchdog.forecast import Culprit, Forecast
from services.watchdog.rules import Audience
from services.watchdog.state import WatchState

__all__ = ["Collector", "Evaluation", "Finding", "hours_en", "hours_vi", "name_vi", "rule_key", "when_vi"]


@dataclass(frozen=True)
class Finding:
    """A rule that holds for one subject (a handoff's step cycle, or the dossier) and has not fired yet."""

    rule: str
    level: int
    subject: str  # handoff id, or the dossier code
    step_id: str  # "-" for the dossier itself
    cycle: int
    agency: str  # the responsible agency
    audience: tuple[Audience, ...]
    at: datetime  # when the condition became true
    due: datetime | None
    reason_vi: str
    reason_en: str
    handoff_id: str | None = None

    @property
    def key(self) -> str:
        """Deduplication key within the dossier: one alert per handoff (cycle) per rule per level."""
        return f"{self.subject}|{self.step_id}|{self.cycle}|{self.rule}|{self.level}"


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    wakeups: set[datetime] = field(default_factory=set)
    forecast: Forecast | None = None
    culprit: Culprit | None = None
    notice_needed: bool = False
    dossier_due: datetime | None = None  # the running dossier clock's due (None: stopped or paused)


def hours_vi(delta: timedelta) -> str:
    """Working hours the Vietnamese way: ``2,5``."""
    return f"{delta.total_seconds() / 3600:.1f}".replace(".", ",").removesuffix(",0")


def hours_en(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}".removesuffix(".0")


def _local(at: datetime) -> datetime:
    """Alerts print times in Asia/Ho_Chi_Minh, whatever offset the event carried."""
    return at.astimezone(TZ)


def _end_of_day(at: datetime) -> bool:
    """A due counted in days ends with its day (23:59:59.999999): printed as the day, not a time."""
    return (at.hour, at.minute, at.second, at.microsecond) == (23, 59, 59, 999999)


def when_vi(at: datetime) -> str:
    """``09:00 ngày 23/02/2026``, or ``hết ngày 23/02/2026`` for a due counted in days."""
    at = _local(at)
    return f"hết ngày {at:%d/%m/%Y}" if _end_of_day(at) else f"{at:%H:%M} ngày {at:%d/%m/%Y}"


def when_en(at: datetime) -> str:
    """``2026-02-23 09:00``, or ``the end of 2026-02-23`` for a due counted in days."""
    at = _local(at)
    return f"the end of {at:%Y-%m-%d}" if _end_of_day(at) else f"{at:%Y-%m-%d %H:%M}"


def name_vi(agency: str, on: datetime | None = None) -> str:
    """The agency's name in force on ``on`` (today when None): an organisation change is data."""
    return default_agencies().name_vi(agency, on)


class Collector:
    def __init__(self, state: WatchState, now: datetime) -> None:
        self.state, self.now = state, now
        self.fired = set(state.fired)
        self.out = Evaluation()

    def due(self, key: str, at: datetime | None, until: datetime | None = None) -> datetime | None:
        """``at`` if the rule ``key`` fires now (the caller then builds its finding); a later ``at`` becomes a
        wake-up. ``until``: the rule no longer applies from then."""
        if at is None or key in self.fired or (until is not None and self.now >= until):
            return None
        if at > self.now:
            self.out.wakeups.add(at)
            return None
        self.fired.add(key)
        return at

    def fire(self, finding: Finding) -> None:
        self.out.findings.append(finding)


def rule_key(subject: str, step: str, cycle: int, rule: str, level: int = 1) -> str:
    return f"{subject}|{step}|{cycle}|{rule}|{level}"
