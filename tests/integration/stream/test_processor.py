"""The consumer-group member on the real broker: in-order batches, a commit only after the handler is done,
a failed batch tried again (never skipped), partitions moving between members without losing a record."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from services.kafka_access import KafkaAccess
from services.stream.kafka import KafkaClients
from services.stream.processor import Processor
from tests.support.kafka import unique


class Recorder:
    def __init__(self, fail_first: int = 0, delay_s: float = 0.0) -> None:
        self.seen: dict[int, list[int]] = defaultdict(list)
        self.fail_first = fail_first
        self.delay_s = delay_s
        self.calls = 0

    async def assigned(self, partitions: set[TopicPartition]) -> None:
        return None

    async def revoked(self, partitions: set[TopicPartition]) -> None:
        return None

    async def handle(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        self.calls += 1
        if self.calls <= self.fail_first:
            raise ConnectionError("Kafka away")
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.seen[tp.partition].extend(r.offset for r in records)


def _topic_with(bootstrap: str, records: int, partitions: int = 3) -> str:
    name = unique("it.proc")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, partitions, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for i in range(records):
        producer.send(name, key=f"HS-{i}".encode(), value=b"x", partition=i % partitions)
    producer.flush()
    producer.close()
    return name


def _committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets({group: None})[group]
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


async def _until(predicate: object, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_every_record_is_handled_in_order_once_and_committed_after(kafka_bootstrap: str) -> None:
    topic, group = _topic_with(kafka_bootstrap, 300), unique("it.group")
    recorder = Recorder(fail_first=2)  # the first two batches fail: tried again, not skipped
    processor = Processor(
        "t", KafkaClients(KafkaAccess.plain(kafka_bootstrap)), group=group, topics=[topic], handler=recorder
    )
    await processor.start()
    try:
        await _until(lambda: sum(len(v) for v in recorder.seen.values()) >= 300)
        for offsets in recorder.seen.values():
            assert offsets == list(range(len(offsets)))  # in order, none skipped, none twice
        await _until(lambda: _committed(kafka_bootstrap, group, topic) == {0: 100, 1: 100, 2: 100})
        assert processor.failures == 2
    finally:
        await processor.stop()


async def test_a_second_member_takes_half_and_nothing_is_lost_or_skipped(kafka_bootstrap: str) -> None:
    topic, group = _topic_with(kafka_bootstrap, 600, partitions=6), unique("it.group")
    kafka = KafkaClients(KafkaAccess.plain(kafka_bootstrap))
    first, second = Recorder(delay_s=0.05), Recorder(delay_s=0.05)
    a = Processor("a", kafka, group=group, topics=[topic], handler=first, instance_id="a", max_records=10)
    b = Processor("b", kafka, group=group, topics=[topic], handler=second, instance_id="b", max_records=10)
    await a.start()
    try:
        await _until(lambda: sum(len(v) for v in first.seen.values()) >= 50)
        await b.start()  # joins mid-stream: a rebalance while a has batches in flight
        await _until(lambda: len(b.assignment()) == 3, 60)
        await _until(lambda: len(set().union(*first.seen.values(), *second.seen.values())) >= 100, 60)
        await _until(
            lambda: all(set(first.seen.get(p, [])) | set(second.seen.get(p, [])) == set(range(100)) for p in range(6)),
            60,
        )
        for p in range(6):  # repeats are allowed (at least once), gaps are not; each member in order
            for seen in (first.seen.get(p, []), second.seen.get(p, [])):
                assert seen == sorted(seen)
    finally:
        await b.stop()
        await a.stop()
