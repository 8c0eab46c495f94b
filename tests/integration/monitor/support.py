"""A whole lienthong for the monitor's tests: a fake clock, dashboard users, and a fortnight of land-transfer
dossiers posted through the ingress API by the agencies themselves (each event signed by its agency).

The clock stands at Thursday 26/11/2026 10:00 (Asia/Ho_Chi_Minh). The dossiers (land transfer, version 2):

- D1 finished: every step early, the land registry's last step on its due day (on time);
- D2 finished: tax determined the obligations days after its due (a late handoff), the dossier still early;
- D3 tax returned the cadastral form to the land registry (a bounce), which sent it again; the citizen is paying;
- D4 the land registry asked for a supplement; tax holds it now, due this afternoon (near due);
- D5 the land registry holds it past its due (overdue handoff); the dossier is due at the end of today (near due);
- D6 late: the land registry overran twice, an apology was sent; still open (overdue list).

Dues in days are counted as the one-stop-shop counts them: the day of receipt (or of the handoff) is not
counted, N working days end at the end of the N-th working day after it.

Tuesday 24/11/2026 is a day off (Vietnam Culture Day): nobody posts anything that day.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from schemas import Envelope, default_calendar, new_event
from services.monitor.users import UserStore
from services.watchdog.clock import write_clock_file
from simulators.stack import Stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=TZ)
LAND_TRANSFER = "1.004227.000.00.00.H42"
PASSWORDS = {"vp.lan": "van-phong-2026!", "thue.an": "chi-cuc-thue-2026", "dkdd.binh": "dang-ky-dat-2026"}
USERS = {"vp.lan": "office", "thue.an": "tax", "dkdd.binh": "land-registry"}
CAD: dict[str, Any] = {
    "form_number": "125/PCTTĐC",
    "taxpayer_name": "Lê Thị Mai",
    "taxpayer_id_number": "056190654321",
    "parcel": {"map_sheet": "7", "parcel_number": "31", "area_m2": 120.0, "land_use_code": "ODT"},
}
OBLIGATIONS: dict[str, Any] = {
    "notice_number": "TB-1024",
    "amounts": [{"kind": "registration_fee", "amount_vnd": 1_200_000}],
    "total_vnd": 1_200_000,
    "payment_deadline": "2026-12-31",
}


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def code(n: int) -> str:
    return f"000.00.20.H41-261116-{n:04d}"


@dataclass
class MonitorStack(Stack):
    """The loopback stack with the watchdog's clock file and the monitor's settings for tests."""

    extra: dict[str, str] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)  # events the router has counted, per dossier

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **self.extra}

    async def post(self, agency: str, kind: str, dossier: str, at: datetime, data: dict[str, Any]) -> Envelope[Any]:
        """Post one event as ``agency`` and wait until the router has taken it (the next one may depend on it)."""
        event = new_event(kind, source=agency, subject=dossier, time=at, data=data)
        response = await self.agencies[agency].post_event(event)
        assert response.status_code == 202, f"{kind} of {dossier}: {response.text}"
        self.events[dossier] = self.events.get(dossier, 0) + 1
        want = self.events[dossier]
        await self.wait_ledger(dossier, lambda body: body["events"] >= want, what=f"{kind} of {dossier} routed")
        return event

    async def open_handoff(self, dossier: str, step: str) -> str:
        ledger = await self.ledger(dossier)
        (hid,) = [h["handoff_id"] for h in ledger["open_handoffs"] if h["step_id"] == step]
        return str(hid)

    async def login(self, client: httpx.AsyncClient, user: str) -> None:
        response = await client.post(
            "/monitor/login", data={"username": user, "password": PASSWORDS[user], "next": "/monitor/"}
        )
        assert response.status_code == 303, response.text

    async def sampled(self, group: str, timeout_s: float = 30.0, samples: int = 2) -> dict[str, Any]:
        """The technical figures once ``group`` has been sampled ``samples`` times."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            await self.login(client, "vp.lan")
            first: int | None = None
            while True:
                body: dict[str, Any] = (await client.get("/v1/monitor/technical")).json()
                if any(g["group"] == group for g in body["groups"]):
                    first = body["samples"] if first is None else first
                    if body["samples"] - first >= samples - 1:
                        return body
                if time.monotonic() > deadline:
                    raise AssertionError(f"no sample of {group}: {body}\n{self.tail()}")
                await asyncio.sleep(0.2)


def prepare(workdir: Path) -> None:
    """The fake clock and the dashboard users, in the worker's data directory."""
    workdir.mkdir(parents=True, exist_ok=True)
    write_clock_file(workdir / "clock.json", NOW)
    users = UserStore(workdir / "monitor-users.json")
    for name, agency in USERS.items():
        users.add(name, agency, PASSWORDS[name])


METRICS_TOKEN = "prometheus-scraper-token-0001"


async def start_stack(bootstrap: str, workdir: Path, extra: dict[str, str] | None = None) -> MonitorStack:
    await asyncio.to_thread(prepare, workdir)
    env = {
        "LIENTHONG_CLOCK_FILE": str(workdir / "clock.json"),
        "LIENTHONG_WATCHDOG_TICK_S": "0.5",
        "LIENTHONG_MONITOR_SAMPLE_S": "0.5",
        "LIENTHONG_MONITOR_CACHE_S": "0",
        "LIENTHONG_MONITOR_REFRESH_S": "1",
        "LIENTHONG_MONITOR_METRICS_TOKEN": METRICS_TOKEN,
        **(extra or {}),
    }
    stack = MonitorStack(bootstrap, workdir, extra=env)
    await stack.start(act=False)
    return stack


# -- the fortnight ---------------------------------------------------------------------------------
async def receive(s: MonitorStack, dossier: str, at: datetime) -> None:
    cal = default_calendar()
    data = {
        "procedure_code": LAND_TRANSFER,
        "workflow_version": 2,
        "receiving_unit": "one-stop",
        "channel": "counter",
        "received_at": at,
        "appointment_at": cal.due_in_days(at, 8),
        "applicant": {"name": "Nguyễn Thị Hồng"},
    }
    await s.post("one-stop", "vn.lienthong.dossier.received", dossier, at, data)


async def to_land(s: MonitorStack, dossier: str, at: datetime) -> str:
    hid = f"{dossier}-lc"
    data = {
        "handoff_id": hid,
        "step_id": "land-check",
        "from_agency": "one-stop",
        "to_agency": "land-registry",
        "due": at + timedelta(days=3),
        "procedure_code": LAND_TRANSFER,
        "workflow_version": 2,
    }
    await s.post("one-stop", "vn.lienthong.handoff.requested", dossier, at, data)
    return hid


async def accept(s: MonitorStack, agency: str, dossier: str, hid: str, at: datetime, officer: str) -> None:
    await s.post(agency, "vn.lienthong.handoff.accepted", dossier, at, {"handoff_id": hid, "officer": officer})


async def cadastral(s: MonitorStack, dossier: str, hid: str, at: datetime) -> str:
    await s.post("land-registry", "vn.lienthong.cadastral.sent", dossier, at, {"handoff_id": hid, **CAD})
    return await s.open_handoff(dossier, "tax-assess")


async def obligations(s: MonitorStack, dossier: str, hid: str, at: datetime) -> None:
    await s.post("tax", "vn.lienthong.obligation.determined", dossier, at, {"handoff_id": hid, **OBLIGATIONS})


async def paid(s: MonitorStack, dossier: str, hid: str, at: datetime) -> str:
    data = {
        "handoff_id": hid,
        "notice_number": "TB-1024",
        "amount_paid_vnd": 1_200_000,
        "paid_at": at,
        "receipt_ref": "BL-1",
    }
    await s.post("tax", "vn.lienthong.obligation.paid", dossier, at, data)
    return await s.open_handoff(dossier, "register")


async def ready_and_close(s: MonitorStack, dossier: str, hid: str, at: datetime) -> None:
    ready = {"handoff_id": hid, "result": "Giấy chứng nhận đã chỉnh lý biến động", "signed_by": "Giám đốc"}
    await s.post("land-registry", "vn.lienthong.result.ready", dossier, at, ready)
    returned = {"channel": "counter", "recipient": "applicant"}
    await s.post("one-stop", "vn.lienthong.result.returned", dossier, at + timedelta(hours=1), returned)
    closed = {"outcome": "result_returned"}
    await s.post("one-stop", "vn.lienthong.dossier.closed", dossier, at + timedelta(hours=1, minutes=5), closed)


async def d1(s: MonitorStack) -> None:
    c = code(1)
    await receive(s, c, vn(2026, 11, 16, 8))
    lc = await to_land(s, c, vn(2026, 11, 16, 9))
    await accept(s, "land-registry", c, lc, vn(2026, 11, 16, 9, 30), "Trần Văn Bình")
    tax = await cadastral(s, c, lc, vn(2026, 11, 17, 10))
    await accept(s, "tax", c, tax, vn(2026, 11, 17, 14), "Lê Thị Mai")
    await obligations(s, c, tax, vn(2026, 11, 19, 9))
    reg = await paid(s, c, tax, vn(2026, 11, 20, 8))
    await accept(s, "land-registry", c, reg, vn(2026, 11, 20, 8, 30), "Trần Văn Bình")
    await ready_and_close(s, c, reg, vn(2026, 11, 25, 9))


async def d2(s: MonitorStack) -> None:
    c = code(2)
    await receive(s, c, vn(2026, 11, 17, 8))
    lc = await to_land(s, c, vn(2026, 11, 17, 8, 30))
    await accept(s, "land-registry", c, lc, vn(2026, 11, 17, 9), "Phạm Quốc Huy")
    tax = await cadastral(s, c, lc, vn(2026, 11, 17, 15))
    await accept(s, "tax", c, tax, vn(2026, 11, 18, 8), "Võ Thị Thu")
    await obligations(s, c, tax, vn(2026, 11, 25, 9))
    reg = await paid(s, c, tax, vn(2026, 11, 25, 10))
    await accept(s, "land-registry", c, reg, vn(2026, 11, 25, 10, 30), "Phạm Quốc Huy")
    await ready_and_close(s, c, reg, vn(2026, 11, 25, 14))


async def d3(s: MonitorStack) -> None:
    c = code(3)
    await receive(s, c, vn(2026, 11, 18, 8))
    lc = await to_land(s, c, vn(2026, 11, 18, 8, 30))
    await accept(s, "land-registry", c, lc, vn(2026, 11, 18, 9), "Trần Văn Bình")
    tax = await cadastral(s, c, lc, vn(2026, 11, 18, 14))
    await accept(s, "tax", c, tax, vn(2026, 11, 18, 14, 30), "Lê Thị Mai")
    reason = "Phiếu chuyển thông tin địa chính thiếu diện tích thửa đất"
    data = {"handoff_id": tax, "reason": reason, "return_to_step": "land-check"}
    await s.post("tax", "vn.lienthong.handoff.returned", c, vn(2026, 11, 19, 9), data)
    tax2 = await cadastral(s, c, lc, vn(2026, 11, 19, 15))
    await accept(s, "tax", c, tax2, vn(2026, 11, 19, 15, 30), "Lê Thị Mai")
    await obligations(s, c, tax2, vn(2026, 11, 20, 10))


async def d4(s: MonitorStack) -> None:
    c = code(4)
    await receive(s, c, vn(2026, 11, 19, 8))
    lc = await to_land(s, c, vn(2026, 11, 19, 8, 30))
    await accept(s, "land-registry", c, lc, vn(2026, 11, 19, 9), "Trần Văn Bình")
    ask = {
        "handoff_id": lc,
        "reasons": ["Thiếu hợp đồng chuyển nhượng có công chứng"],
        "items": ["Hợp đồng chuyển nhượng quyền sử dụng đất (bản chính)"],
        "legal_basis": "Điều 37 Nghị định 101/2024/NĐ-CP",
    }
    await s.post("land-registry", "vn.lienthong.supplement.requested", c, vn(2026, 11, 19, 14), ask)
    got = {"handoff_id": lc, "items_received": ["Hợp đồng chuyển nhượng quyền sử dụng đất (bản chính)"]}
    await s.post("land-registry", "vn.lienthong.supplement.received", c, vn(2026, 11, 23, 9), got)
    tax = await cadastral(s, c, lc, vn(2026, 11, 23, 10))
    await accept(s, "tax", c, tax, vn(2026, 11, 23, 11), "Võ Thị Thu")


async def d5(s: MonitorStack) -> None:
    # received Friday 13/11 (not counted): the 8th working day is Thursday 26/11 (Tuesday 24 is off); handed
    # to the land registry that Friday, its 2 days ended with Tuesday 17/11
    c = code(5)
    await receive(s, c, vn(2026, 11, 13, 8))
    lc = await to_land(s, c, vn(2026, 11, 13, 9))
    await accept(s, "land-registry", c, lc, vn(2026, 11, 13, 10), "Đặng Minh Tuấn")


async def d6(s: MonitorStack) -> None:
    # received Monday 9/11 (not counted): 8 working days end with Thursday 19/11, and the citizen's payment
    # (Wednesday 18 09:00 -> Thursday 19 10:00, 9 office hours) moves the end to Monday 23/11: late by now
    c = code(6)
    await receive(s, c, vn(2026, 11, 9, 8))
    lc = await to_land(s, c, vn(2026, 11, 9, 8, 30))
    await accept(s, "land-registry", c, lc, vn(2026, 11, 9, 9), "Đặng Minh Tuấn")
    tax = await cadastral(s, c, lc, vn(2026, 11, 16, 10))
    await accept(s, "tax", c, tax, vn(2026, 11, 16, 11), "Lê Thị Mai")
    await obligations(s, c, tax, vn(2026, 11, 18, 9))
    reg = await paid(s, c, tax, vn(2026, 11, 19, 10))
    await accept(s, "land-registry", c, reg, vn(2026, 11, 19, 11), "Đặng Minh Tuấn")
    apology = {
        "reason": "Chậm cập nhật hồ sơ địa chính do hệ thống phần mềm gặp sự cố",
        "responsible_agency": "land-registry",
        "new_appointment_at": vn(2026, 11, 30, 16),
        "channel": "sms",
    }
    await s.post("one-stop", "vn.lienthong.apology.issued", c, vn(2026, 11, 23, 9), apology)


async def play_fortnight(s: MonitorStack) -> list[str]:
    """Post the six dossiers (concurrently: each one's events in order); returns their codes."""
    await asyncio.gather(d1(s), d2(s), d3(s), d4(s), d5(s), d6(s))
    return [code(n) for n in range(1, 7)]


def consumed(bootstrap: str, group: str, topic: str) -> bool:
    """Whether ``group`` has committed every record of ``topic`` (all its agents acknowledged them)."""
    from kafka import KafkaAdminClient, TopicPartition
    from kafka.admin import OffsetSpec

    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), request_timeout_ms=5000)
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
        parts = [p["partition_index"] for t in admin.describe_topics([topic]) for p in t["partitions"]]
        ends = admin.list_partition_offsets({TopicPartition(topic, p): OffsetSpec.LATEST for p in parts})
    finally:
        admin.close()
    return all(end.offset == 0 or (tp in committed and committed[tp].offset >= end.offset) for tp, end in ends.items())


async def caught_up(s: MonitorStack, timeout_s: float = 30.0) -> None:
    """Wait until the worker (router, watchdog, monitor) has processed every event on the log."""
    await s.wait_for(lambda: consumed(s.bootstrap, s.group, s.topic("events")), timeout_s, "the events consumed")


async def stop_stack(stack: MonitorStack, *groups: str) -> None:
    await stack.stop(*groups)


def lagging_group(bootstrap: str, topic: str, group: str, committed: dict[int, int] | None = None) -> None:
    """A consumer group that read part of a three-partition topic of 10 records per partition and went away
    (so its lag stays): ``committed`` per partition, by default 4, 10 and 0."""
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic
    from kafka.structs import OffsetAndMetadata

    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    admin.create_topics([NewTopic(topic, 3, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all")
    for n in range(30):
        producer.send(topic, key=b"k", value=f"record {n}".encode(), partition=n % 3)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False)
    offsets = committed if committed is not None else {0: 4, 1: 10, 2: 0}
    consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(off, "", -1) for p, off in offsets.items()})
    consumer.close()
