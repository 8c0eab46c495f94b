"""The watchdog engine in memory, with a clock the test moves: events in, ticks, alerts out."""

from __future__ import annotations

import json
import zlib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schemas import Envelope, default_calendar, default_workflows, new_event
from services.relay.routing import RoutingContext
from services.watchdog import ManualClock, RuleSet, Watchdog, load_rules
from services.watchdog.store import MemoryStorage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LAND_TRANSFER = "1.004227.000.00.00.H42"
CAD: dict[str, Any] = {
    "form_number": "PCTT-1",
    "taxpayer_name": "Nguyễn Thị Hồng",
    "taxpayer_id_number": "056190654321",
    "parcel": {"map_sheet": "12", "parcel_number": "215", "area_m2": 84.5, "land_use_code": "ODT"},
}


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def ev(event_type: str, source: str, at: datetime, subject: str, **data: Any) -> Envelope[Any]:
    return new_event(f"vn.lienthong.{event_type}", source=source, subject=subject, time=at, data=data)


def received(code: str, at: datetime, days: float = 8) -> Envelope[Any]:
    cal = default_calendar()
    return ev(
        "dossier.received",
        "one-stop",
        at,
        code,
        procedure_code=LAND_TRANSFER,
        workflow_version=2,
        receiving_unit="one-stop",
        channel="counter",
        received_at=at,
        appointment_at=cal.add(cal.intake_start(at), cal.days(days)),
        applicant={"name": "Nguyễn Thị Hồng"},
    )


def handoff(
    code: str, hid: str, step: str, src: str, dst: str, at: datetime, previous: str | None = None
) -> Envelope[Any]:
    return ev(
        "handoff.requested",
        src,
        at,
        code,
        handoff_id=hid,
        step_id=step,
        from_agency=src,
        to_agency=dst,
        due=at + timedelta(days=7),
        procedure_code=LAND_TRANSFER,
        workflow_version=2,
        previous_handoff_id=previous,
    )


def opened(code: str, at: datetime, hid: str = "H1") -> list[Envelope[Any]]:
    """Received at ``at``; handed to the land registry an hour later."""
    return [received(code, at), handoff(code, hid, "land-check", "one-stop", "land-registry", at + timedelta(hours=1))]


class Harness:
    """A :class:`Watchdog` over in-memory tables; the clock moves only when the test says so."""

    def __init__(self, start: datetime, rules: RuleSet | None = None) -> None:
        self.clock = ManualClock(start)
        self.tables = {name: MemoryStorage() for name in ("states", "index", "late", "notices")}
        self.ctx = RoutingContext(default_workflows(), default_calendar())
        self.rules = rules or load_rules()
        self.engine = self._engine()
        self.alerts: list[tuple[datetime, dict[str, Any]]] = []  # (raised at, alert data)
        self.alert_ids: list[str] = []
        self.notices: list[dict[str, Any]] = []
        self.sending = True

    def _engine(self) -> Watchdog:
        return Watchdog(self.ctx, self.rules, self.clock, digest_at=time(7, 30), **self.tables)  # type: ignore[arg-type]

    def restart(self) -> None:
        """A new engine over the same tables: what a worker restart keeps (the tables), and loses (memory)."""
        self.engine = self._engine()

    @staticmethod
    def partition(code: str) -> int:
        return zlib.crc32(code.encode()) % 6

    def _collect(self, out: Any) -> None:
        """What the agent does with an outbox: send it and, once Kafka acknowledged it, confirm it. With
        ``self.sending`` False the worker stops first: nothing arrives and nothing is confirmed."""
        if not self.sending:
            return
        for _, value in out.alerts:
            self.alerts.append((self.clock.now(), json.loads(value)["data"]))
            self.alert_ids.append(json.loads(value)["id"])
        for _, value in out.notices:
            self.notices.append(json.loads(value)["data"])
        self.engine.confirm(out)

    def post(self, *events: Envelope[Any]) -> None:
        """Events arrive at their own time (the clock catches up first, as it would in real life)."""
        for event in events:
            if event.time > self.clock.now():
                self.tick_until(event.time)
            self._collect(self.engine.on_event(self.partition(event.subject), event))

    def tick(self) -> None:
        for p in range(6):
            more = True
            while more:
                out, more = self.engine.on_tick(p)
                self._collect(out)

    def tick_until(self, until: datetime, step: timedelta = timedelta(minutes=10)) -> None:
        """Tick every ``step`` up to ``until`` (included)."""
        while self.clock.now() < until:
            self.clock.set(min(self.clock.now() + step, until))
            self.tick()

    def open_handoff(self, code: str, agency: str) -> str:
        state = self.engine.load(self.partition(code), code)
        assert state is not None
        return next(ref for ref, holder in state.dossier.open_handoffs().items() if holder == agency)

    def fired(self, subject: str | None = None, rule: str | None = None) -> list[tuple[datetime, dict[str, Any]]]:
        return [
            (at, a)
            for at, a in self.alerts
            if (subject is None or a["subject"] == subject) and (rule is None or a["rule"] == rule)
        ]


@pytest.fixture
def rules() -> RuleSet:
    return load_rules()
