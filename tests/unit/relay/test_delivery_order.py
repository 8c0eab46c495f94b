"""Delivery of a batch: each dossier's records in their order, different dossiers side by side (bounded),
every receipt sent before the batch ends, a failure raised only once every dossier's run has ended."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from connectors import DeliveryResult, OutboundEvent
from schemas.events import new_event
from services.relay.delivery import Delivery
from services.relay.router import RelayCounters
from services.relay.topics import make_topics

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TOPICS = make_topics(["tax"], "t")


class Producer:
    def __init__(self, fail_for: bytes | None = None) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.fail_for = fail_for  # the key (dossier) whose receipts Kafka refuses

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future[None]:
        if key is not None and key == self.fail_for:
            raise ConnectionError("broker gone")
        self.sent.append((topic, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class Agency:
    """A connector that takes a while per event and notes what it saw, and how many at once."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []  # (dossier, event id)
        self.running = self.most = 0

    async def deliver(self, event: OutboundEvent) -> DeliveryResult:
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0.01)
        self.running -= 1
        self.seen.append((event.dossier_code, event.event_id))
        return DeliveryResult(ok=True, status=200, attempts=1)


def record(offset: int, dossier: str) -> ConsumerRecord[bytes, bytes]:
    event = new_event(
        "vn.lienthong.handoff.accepted",
        source="tax",
        subject=dossier,
        time=datetime(2026, 12, 2, 9, tzinfo=TZ),
        data={"handoff_id": f"H{offset}", "officer": "Lê Thị Mai"},
    )
    value = event.model_dump_json(exclude_none=True).encode()
    return ConsumerRecord(TOPICS.outbound["tax"], 0, offset, 0, 0, dossier.encode(), value, None, 0, len(value), ())


def batch(n: int, dossiers: int) -> list[ConsumerRecord[bytes, bytes]]:
    return [record(i, f"HS-{i % dossiers}") for i in range(n)]


async def test_each_dossier_in_order_the_dossiers_side_by_side() -> None:
    agency, producer = Agency(), Producer()
    delivery = Delivery(TOPICS, producer, RelayCounters(), {"tax": agency}, concurrency=4)  # type: ignore[arg-type, dict-item]
    records = batch(40, 10)
    await delivery.handle(TopicPartition(TOPICS.outbound["tax"], 0), records)
    order = {json.loads(r.value)["id"]: r.offset for r in records}
    for dossier in {d for d, _ in agency.seen}:
        offsets = [order[e] for d, e in agency.seen if d == dossier]
        assert offsets == sorted(offsets), dossier  # a dossier's events in their order
    assert len(agency.seen) == 40
    assert agency.most == 4  # side by side, no more than allowed
    assert sum(1 for topic, _, _ in producer.sent if topic == TOPICS.receipts) == 40


async def test_one_at_a_time_when_asked() -> None:
    agency = Agency()
    delivery = Delivery(TOPICS, Producer(), RelayCounters(), {"tax": agency}, concurrency=1)  # type: ignore[arg-type, dict-item]
    records = batch(12, 4)
    await delivery.handle(TopicPartition(TOPICS.outbound["tax"], 0), records)
    assert agency.most == 1


async def test_a_failure_is_raised_after_every_other_dossier_is_done() -> None:
    records = batch(20, 5)
    agency, producer = Agency(), Producer(fail_for=b"HS-2")
    delivery = Delivery(TOPICS, producer, RelayCounters(), {"tax": agency}, concurrency=8)  # type: ignore[arg-type, dict-item]
    with pytest.raises(ConnectionError):
        await delivery.handle(TopicPartition(TOPICS.outbound["tax"], 0), records)
    # the batch is not committed (the processor retries it); every other dossier's run had ended first
    assert agency.running == 0
    assert {d for d, _ in agency.seen} == {f"HS-{n}" for n in range(5)}
    assert len(agency.seen) == 17  # HS-2 stopped at its first receipt; the four others delivered all 16
