"""Reading Kafka back for operators' tools (the audit, ``dlq``, ``alerts list``): whole topics and the
consumer groups' committed offsets, without joining any group.

    records = read_topic(settings.kafka, "lienthong.receipts", progress=print)
    committed = committed_offsets(settings.kafka, "lienthong")   # {(topic, partition): offset}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from services.kafka_access import KafkaAccess

__all__ = ["Record", "committed_offsets", "end_offsets", "read_topic"]


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


def read_topic(
    kafka: KafkaAccess,
    topic: str,
    progress: Callable[[str], None] | None = None,
    timeout_s: float = 300.0,
    advance: Callable[[int, int], None] | None = None,
) -> list[Record]:
    """Every record of ``topic`` from the start of each partition to its end as of the call, in order.
    ``progress`` gets a line every 100,000 records; ``advance`` (offsets read, offsets to read) every poll."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**kafka.kafka_python(enable_auto_commit=False, max_partition_fetch_bytes=8 << 20))
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or set())]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        starts = {tp: consumer.position(tp) for tp in tps}
        total = sum(max(ends[tp] - starts[tp], 0) for tp in tps)
        out: list[Record] = []
        remaining = {tp for tp in tps if starts[tp] < ends[tp]}
        deadline, next_report = time.monotonic() + timeout_s, 100_000
        while remaining and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=1000, max_records=10_000).items():
                for r in records:
                    if r.offset < ends[tp]:
                        out.append(Record(topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ())))
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            if advance is not None:
                advance(sum(min(consumer.position(tp), ends[tp]) - starts[tp] for tp in tps), total)
            if progress is not None and len(out) >= next_report:
                progress(f"{topic}: {len(out):,} records read")
                next_report += 100_000
        if remaining:
            raise TimeoutError(f"{topic} could not be read to its end within {timeout_s:.0f} s")
        return out
    finally:
        consumer.close()


def committed_offsets(kafka: KafkaAccess, group: str) -> dict[tuple[str, int], int]:
    """The offsets ``group`` committed, by (topic, partition); empty if it never committed."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    admin = KafkaAdminClient(**kafka.kafka_python(client_id="lienthong-readback"))
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    except KafkaError:
        return {}
    finally:
        admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


def end_offsets(kafka: KafkaAccess, topics: list[str]) -> dict[tuple[str, int], int]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**kafka.kafka_python(enable_auto_commit=False))
    try:
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or set())]
        return {(tp.topic, tp.partition): offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()
