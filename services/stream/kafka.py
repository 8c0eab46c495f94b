"""Kafka clients as lienthong uses them: one place for the connection settings and the safe defaults.

Every producer writes with ``acks=all`` and idempotence (a retried send is stored once, in order), so a
send acknowledged is on every in-sync replica; every consumer commits by hand, only what was processed.

    kafka = KafkaClients(settings.kafka)       # KafkaAccess: servers, TLS and SASL (services.kafka_access)
    producer = kafka.producer()
    consumer = kafka.consumer(group_id="lienthong", group_instance_id="host-6066")
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka.partitioner.default import murmur2

from services.kafka_access import KafkaAccess

__all__ = ["KafkaClients", "Producer", "partition_of"]


@functools.lru_cache(maxsize=65_536)
def _hash(key: bytes) -> int:
    """murmur2 in pure Python, for the key of every record sent and every ledger read (a few µs each)."""
    return int(murmur2(key) & 0x7FFFFFFF)


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (Java's, aiokafka's, kafka-python's) gives ``key``."""
    return _hash(key) % partitions


def partitioner(key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
    """aiokafka's default partitioner (the same partitions), with the hash remembered."""
    if key is None:
        return random.choice(list(available or all_partitions))
    return all_partitions[_hash(key) % len(all_partitions)]


@dataclass(frozen=True)
class KafkaClients:
    """Connection settings shared by every client of a worker: ``access`` carries the TLS and SASL settings."""

    access: KafkaAccess
    client_id: str = "lienthong"
    request_timeout_ms: int = 15_000

    def producer(self, **overrides: Any) -> AIOKafkaProducer:
        options: dict[str, Any] = {
            "client_id": self.client_id,
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 1,
            "request_timeout_ms": self.request_timeout_ms,
            "max_batch_size": 256 * 1024,
            "partitioner": partitioner,
            **overrides,
        }
        return AIOKafkaProducer(**self.access.aiokafka(**options))

    def consumer(self, *topics: str, **overrides: Any) -> AIOKafkaConsumer:
        options: dict[str, Any] = {
            "client_id": self.client_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "fetch_max_wait_ms": 100,
            "request_timeout_ms": max(self.request_timeout_ms, 40_000),
            "max_partition_fetch_bytes": 4 * 1024 * 1024,
            **overrides,
        }
        return AIOKafkaConsumer(*topics, **self.access.aiokafka(**options))


class Producer:
    """The worker's one producer (acks=all, idempotent), made when the worker starts: aiokafka clients need
    a running event loop, while the flows that send are wired before it runs."""

    def __init__(self, kafka: KafkaClients) -> None:
        self.kafka = kafka
        self._inner: AIOKafkaProducer | None = None

    @property
    def inner(self) -> AIOKafkaProducer:
        if self._inner is None:
            raise RuntimeError("the producer is not started")
        return self._inner

    async def start(self) -> None:
        self._inner = self.kafka.producer()
        await self._inner.start()

    async def stop(self) -> None:
        if self._inner is not None:
            await self._inner.stop()

    async def send(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = None,
        partition: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[Any]:
        """Queue a record; the returned future resolves to its metadata once Kafka acknowledged it."""
        future: asyncio.Future[Any] = await self.inner.send(topic, value, key=key, partition=partition, headers=headers)
        return future

    async def send_and_wait(self, topic: str, value: bytes | None, *, key: bytes | None = None, **kw: Any) -> Any:
        return await (await self.send(topic, value, key=key, **kw))

    async def partitions_for(self, topic: str) -> set[int]:
        parts: set[int] = await self.inner.partitions_for(topic)
        return parts
