"""The monitor over an in-memory watchdog: a few land-transfer dossiers folded, the clock at Thu 26/11/2026 10:00."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from schemas import Envelope, default_calendar, default_workflows, new_event
from services.monitor.service import Monitor
from services.monitor.timeline import append, entry_of
from services.relay.router import RelayCounters
from services.relay.routing import RoutingContext
from services.stream.kafka import partition_of
from services.watchdog import ManualClock, Watchdog, load_rules
from services.watchdog.store import MemoryStorage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
LAND = "1.004227.000.00.00.H42"
CAD: dict[str, Any] = {
    "form_number": "PCTT-1",
    "taxpayer_name": "Nguyễn Thị Hồng",
    "taxpayer_id_number": "056190654321",
    "parcel": {"map_sheet": "12", "parcel_number": "215", "area_m2": 84.5, "land_use_code": "ODT"},
}
FEE: dict[str, Any] = {
    "notice_number": "TB-1",
    "amounts": [{"kind": "registration_fee", "amount_vnd": 500_000}],
    "total_vnd": 500_000,
    "payment_deadline": "2026-12-31",
}


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@dataclass
class World:
    """A watchdog engine over memory tables, a timeline table and the monitor reading both."""

    ctx: RoutingContext = field(default_factory=lambda: RoutingContext(default_workflows(), default_calendar()))
    timeline: MemoryStorage = field(default_factory=MemoryStorage)
    counters: RelayCounters = field(default_factory=RelayCounters)

    def __post_init__(self) -> None:
        self.clock = ManualClock(NOW)
        tables = {name: MemoryStorage() for name in ("states", "index", "late", "notices")}
        self.engine = Watchdog(self.ctx, load_rules(), self.clock, **tables)  # type: ignore[arg-type]
        self.monitor = Monitor(self.ctx, self.engine, self.counters, self.timeline, cache_s=0)
        self.handoffs: dict[tuple[str, str], str] = {}

    def post(self, kind: str, source: str, code: str, at: datetime, **data: Any) -> Envelope[Any]:
        event = new_event(f"vn.lienthong.{kind}", source=source, subject=code, time=at, data=data)
        state = self.engine.load(zlib.crc32(code.encode()) % 6, code)
        self.engine.on_event(zlib.crc32(code.encode()) % 6, event)
        after = self.engine.load(zlib.crc32(code.encode()) % 6, code)
        assert after is not None
        assert state is None or after != state, f"{kind} changed nothing"
        key = code.encode()
        updated = append(self.timeline.get(partition_of(key, 6), key), entry_of(event))
        if updated is not None:
            self.timeline.put(partition_of(key, 6), key, updated)
        for h in after.ledger.open_handoffs():
            self.handoffs[(code, h.step_id)] = h.handoff_id
        return event

    # -- steps of a land transfer ---------------------------------------------------------------------
    def receive(self, code: str, at: datetime, channel: str = "counter", submitted_at: datetime | None = None) -> None:
        cal = self.ctx.calendar
        appointment = cal.due_in_days(at, 8)
        online = {"submitted_at": submitted_at} if submitted_at is not None else {}
        self.post(
            "dossier.received",
            "one-stop",
            code,
            at,
            procedure_code=LAND,
            workflow_version=2,
            receiving_unit="one-stop",
            channel=channel,
            received_at=at,
            appointment_at=appointment,
            applicant={"name": "Nguyễn Thị Hồng"},
            **online,
        )

    def to_land(self, code: str, at: datetime) -> str:
        hid = f"{code}-lc"
        self.post(
            "handoff.requested",
            "one-stop",
            code,
            at,
            handoff_id=hid,
            step_id="land-check",
            from_agency="one-stop",
            to_agency="land-registry",
            due=at + timedelta(days=3),
            procedure_code=LAND,
            workflow_version=2,
        )
        return hid

    def accept(self, agency: str, code: str, hid: str, at: datetime, officer: str) -> None:
        self.post("handoff.accepted", agency, code, at, handoff_id=hid, officer=officer)

    def cadastral(self, code: str, hid: str, at: datetime) -> str:
        self.post("cadastral.sent", "land-registry", code, at, handoff_id=hid, **CAD)
        return self.handoffs[(code, "tax-assess")]

    def obligations(self, code: str, hid: str, at: datetime) -> None:
        self.post("obligation.determined", "tax", code, at, handoff_id=hid, **FEE)

    def paid(self, code: str, hid: str, at: datetime) -> str:
        self.post(
            "obligation.paid",
            "tax",
            code,
            at,
            handoff_id=hid,
            notice_number="TB-1",
            amount_paid_vnd=500_000,
            paid_at=at,
            receipt_ref="BL-1",
        )
        return self.handoffs[(code, "register")]

    def ready(self, code: str, hid: str, at: datetime) -> None:
        self.post("result.ready", "land-registry", code, at, handoff_id=hid, result="Giấy chứng nhận đã chỉnh lý")


def build() -> World:
    """HS-A finished, every step early; HS-B tax late; HS-C bounced back; HS-D supplement, tax near due;
    HS-E overdue at the land registry."""
    w = World()
    w.receive("HS-A", vn(2026, 11, 16, 8))
    lc = w.to_land("HS-A", vn(2026, 11, 16, 9))
    w.accept("land-registry", "HS-A", lc, vn(2026, 11, 16, 9, 30), "Trần Văn Bình")
    tax = w.cadastral("HS-A", lc, vn(2026, 11, 17, 10))
    w.accept("tax", "HS-A", tax, vn(2026, 11, 17, 14), "Lê Thị Mai")
    w.obligations("HS-A", tax, vn(2026, 11, 19, 9))
    reg = w.paid("HS-A", tax, vn(2026, 11, 20, 8))
    w.ready("HS-A", reg, vn(2026, 11, 23, 10))

    w.receive("HS-B", vn(2026, 11, 17, 8))
    lc = w.to_land("HS-B", vn(2026, 11, 17, 8, 30))
    tax = w.cadastral("HS-B", lc, vn(2026, 11, 17, 15))
    w.obligations("HS-B", tax, vn(2026, 11, 25, 9))  # due Fri 20/11 09:00: late

    w.receive("HS-C", vn(2026, 11, 18, 8))
    lc = w.to_land("HS-C", vn(2026, 11, 18, 8, 30))
    tax = w.cadastral("HS-C", lc, vn(2026, 11, 18, 14))
    w.post(
        "handoff.returned",
        "tax",
        "HS-C",
        vn(2026, 11, 19, 9),
        handoff_id=tax,
        reason="Phiếu chuyển thiếu diện tích thửa đất",
        return_to_step="land-check",
    )
    w.cadastral("HS-C", lc, vn(2026, 11, 19, 15))

    w.receive("HS-D", vn(2026, 11, 19, 8))
    lc = w.to_land("HS-D", vn(2026, 11, 19, 8, 30))
    w.post(
        "supplement.requested",
        "land-registry",
        "HS-D",
        vn(2026, 11, 19, 14),
        handoff_id=lc,
        reasons=["Thiếu hợp đồng công chứng"],
        items=["Hợp đồng chuyển nhượng quyền sử dụng đất (bản chính)"],
        legal_basis="Điều 37 NĐ 101/2024",
    )
    w.post(
        "supplement.received",
        "land-registry",
        "HS-D",
        vn(2026, 11, 23, 9),
        handoff_id=lc,
        items_received=["Hợp đồng chuyển nhượng"],
    )
    w.cadastral("HS-D", lc, vn(2026, 11, 23, 10))  # tax's 2.5 days end Thu 26/11 16:00: near due at 10:00

    # received Fri 13/11 (not counted): 8 working days end with Thu 26/11 (Tue 24 is a day off), so it is near
    # its appointment at 10:00 that day
    w.receive("HS-E", vn(2026, 11, 13, 8))
    lc = w.to_land("HS-E", vn(2026, 11, 13, 9))
    w.accept("land-registry", "HS-E", lc, vn(2026, 11, 13, 10), "Đặng Minh Tuấn")
    return w


@pytest.fixture(scope="module")
def world() -> World:
    return build()
