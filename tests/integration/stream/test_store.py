"""The changelog-backed store on the real broker: writes acknowledged before they are applied, a copy of
every partition on every worker, restarts from the checkpoint, rebuilds when its changelog is new."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from services.kafka_access import KafkaAccess
from services.stream.kafka import KafkaClients, Producer
from services.stream.store import Store
from tests.support.kafka import unique


def _topic(bootstrap: str, partitions: int = 3) -> str:
    name = unique("it.store")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, partitions, 1, topic_configs={"cleanup.policy": "compact"})])
    admin.close()
    return name


async def _opened(kafka: KafkaClients, topic: str, path: Path) -> tuple[Store, Producer]:
    producer = Producer(kafka)
    await producer.start()
    store = Store("t", topic, path, kafka)
    await store.open(producer, 3)
    return store, producer


async def _close(store: Store, producer: Producer) -> None:
    await store.close()
    await producer.stop()


async def test_a_write_is_seen_at_once_by_its_writer_and_after_its_flush_by_every_copy(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    kafka = KafkaClients(KafkaAccess.plain(kafka_bootstrap))
    topic = _topic(kafka_bootstrap)
    owner, p1 = await _opened(kafka, topic, tmp_path / "a")
    copy, p2 = await _opened(kafka, topic, tmp_path / "b")
    try:
        owner.put(1, b"HS-1", b"v1")
        assert owner.get(1, b"HS-1") == b"v1"  # read your writes
        assert owner.get(1, b"HS-1", durable=True) is None  # not acknowledged yet
        await owner.flush([1])
        assert owner.get(1, b"HS-1", durable=True) == b"v1"
        assert await copy.caught_up([1], timeout_s=10)
        assert copy.get(1, b"HS-1") == b"v1"
        assert copy.get(0, b"HS-1") is None  # rows live in their partition
        owner.delete(1, b"HS-1")
        await owner.flush()
        assert await copy.caught_up(timeout_s=10)
        assert copy.get(1, b"HS-1") is None
    finally:
        await _close(owner, p1)
        await _close(copy, p2)


async def test_scan_merges_staged_writes_in_key_order_and_discard_forgets_them(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    kafka = KafkaClients(KafkaAccess.plain(kafka_bootstrap))
    store, producer = await _opened(kafka, _topic(kafka_bootstrap), tmp_path / "a")
    try:
        for key in (b"a", b"c", b"e", b"g"):
            store.put(0, key, key.upper())
        await store.flush([0])
        store.put(0, b"b", b"B")
        store.delete(0, b"c")
        assert store.scan(0, b"a", b"f", 10) == [(b"a", b"A"), (b"b", b"B"), (b"e", b"E")]
        assert store.scan(0, b"", b"\xff", 2) == [(b"a", b"A"), (b"b", b"B")]
        store.discard(0)
        assert store.scan(0, b"a", b"f", 10) == [(b"a", b"A"), (b"c", b"C"), (b"e", b"E")]
    finally:
        await _close(store, producer)


async def test_a_restarted_copy_resumes_from_its_checkpoint_and_a_copy_ahead_of_a_new_changelog_is_rebuilt(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    kafka = KafkaClients(KafkaAccess.plain(kafka_bootstrap))
    topic = _topic(kafka_bootstrap)
    store, producer = await _opened(kafka, topic, tmp_path / "a")
    for i in range(50):
        store.put(i % 3, f"k{i}".encode(), b"x")
    await store.flush()
    await _close(store, producer)

    again, producer = await _opened(kafka, topic, tmp_path / "a")
    try:
        assert await again.caught_up(timeout_s=10)
        assert (
            len(again.scan(0, b"", b"\xff", 100))
            + len(again.scan(1, b"", b"\xff", 100))
            + len(again.scan(2, b"", b"\xff", 100))
            == 50
        )
    finally:
        await _close(again, producer)

    # the same path against a new, empty changelog (a reset cluster): the stale copy must not survive
    fresh_topic = _topic(kafka_bootstrap)
    stale = Store("t", fresh_topic, tmp_path / "a", kafka)
    producer = Producer(kafka)
    await producer.start()
    try:
        await stale.open(producer, 3)
        assert stale.get(0, b"k0") is None
        stale.put(0, b"k0", b"new")
        await stale.flush()
        assert stale.get(0, b"k0", durable=True) == b"new"
    finally:
        await _close(stale, producer)


async def test_a_flush_kafka_refuses_keeps_the_writes_staged(kafka_bootstrap: str, tmp_path: Path) -> None:
    kafka = KafkaClients(KafkaAccess.plain(kafka_bootstrap))
    store, producer = await _opened(kafka, _topic(kafka_bootstrap), tmp_path / "a")
    try:
        store.put(0, b"k", b"v")
        await producer.stop()  # Kafka cannot acknowledge anything now
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises, nothing is applied
            await asyncio.wait_for(store.flush([0]), timeout=5)
        assert store.get(0, b"k") == b"v"
        assert store.get(0, b"k", durable=True) is None
        producer = Producer(kafka)
        await producer.start()
        store._producer = producer
        await store.flush([0])  # tried again later: applied
        assert store.get(0, b"k", durable=True) == b"v"
    finally:
        await _close(store, producer)


async def test_an_owned_partition_is_not_read_back_and_is_followed_again_once_given_up(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    kafka = KafkaClients(KafkaAccess.plain(kafka_bootstrap))
    topic = _topic(kafka_bootstrap)
    mine, p1 = await _opened(kafka, topic, tmp_path / "a")
    other, p2 = await _opened(kafka, topic, tmp_path / "b")
    try:
        assert await mine.caught_up([0], timeout_s=10)
        mine.own([0])
        await asyncio.sleep(1.0)  # the replica's next round pauses partition 0
        other.put(0, b"k", b"written elsewhere")  # only possible if ownership moved: mine must follow once it did
        await other.flush()
        await asyncio.sleep(1.0)
        assert mine.get(0, b"k") is None  # owned: the replica does not read partition 0
        mine.disown([0])
        assert await mine.caught_up([0], timeout_s=10)
        assert mine.get(0, b"k") == b"written elsewhere"
    finally:
        await _close(mine, p1)
        await _close(other, p2)
