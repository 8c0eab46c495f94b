"""Used request nonces, shared by every worker and kept across restarts: a topic decides who was first.

A signed request is acted on only once its nonce is claimed: the worker writes ``<key id>:<nonce>`` to
``<prefix>.nonces`` (acks=all), reads the topic up to its own record, and has the claim only if its record
is the nonce's first one. Every worker follows the topic from ``window_s`` back at start, so a request
replayed to another worker, or after a restart, is refused like one replayed to the same worker.

    nonces = NonceLog(kafka, producer, topics.nonces)
    await nonces.start()
    if not await nonces.claim("lt_3f9a:8c1e0f..."): ...   # 401: replayed
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from services.stream.kafka import KafkaClients, Producer, partition_of

__all__ = ["MemoryNonces", "NonceLog"]

log = logging.getLogger(__name__)


class MemoryNonces:
    """The same contract in one process's memory (unit tests)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    async def claim(self, marker: str) -> bool:
        if marker in self.used:
            return False
        self.used.add(marker)
        return True


class NonceLog:
    def __init__(self, kafka: KafkaClients, producer: Producer, topic: str, window_s: float = 660.0) -> None:
        self.kafka = kafka
        self.producer = producer
        self.topic = topic
        self.window_s = window_s
        self._first: OrderedDict[str, tuple[int, int, float]] = OrderedDict()  # marker -> (partition, offset, t)
        self._position: dict[int, int] = {}
        self._advanced = asyncio.Event()
        self._partitions = 1
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._follow())
        await asyncio.wait_for(self._started.wait(), timeout=30)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def claim(self, marker: str, timeout_s: float = 5.0) -> bool:
        """True if this is the first use of ``marker``; raises if Kafka does not answer within ``timeout_s``."""
        if marker in self._first:
            return False
        key = marker.encode()
        partition = partition_of(key, self._partitions)
        deadline = time.monotonic() + timeout_s
        sent = await asyncio.wait_for(
            self.producer.send(self.topic, key=key, value=b"%d" % int(time.time()), partition=partition),
            timeout=timeout_s,
        )
        meta = await asyncio.wait_for(sent, timeout=max(0.001, deadline - time.monotonic()))
        while self._position.get(partition, 0) <= meta.offset:
            self._advanced.clear()
            await asyncio.wait_for(self._advanced.wait(), timeout=max(0.001, deadline - time.monotonic()))
        first = self._first.get(marker)
        return first is not None and first[:2] == (partition, meta.offset)

    def _forget_old(self) -> None:
        horizon = time.time() - self.window_s
        while self._first:
            marker, (_, _, at) = next(iter(self._first.items()))
            if at >= horizon:
                break
            self._first.popitem(last=False)

    async def _follow(self) -> None:
        backoff = 0.5
        while True:
            consumer: Any = self.kafka.consumer(group_id=None, fetch_max_wait_ms=50)
            try:
                await consumer.start()
                parts = sorted(consumer.partitions_for_topic(self.topic) or [])
                if not parts:
                    await consumer._client.force_metadata_update()
                    parts = sorted(consumer.partitions_for_topic(self.topic) or [0])
                self._partitions = len(parts)
                tps = [TopicPartition(self.topic, p) for p in parts]
                consumer.assign(tps)
                if self._position:
                    for tp in tps:
                        consumer.seek(tp, self._position.get(tp.partition, 0))
                else:
                    since = int((time.time() - self.window_s) * 1000)
                    found = await consumer.offsets_for_times({tp: since for tp in tps})
                    ends = await consumer.end_offsets(tps)
                    for tp in tps:
                        at = found.get(tp)
                        consumer.seek(tp, at.offset if at is not None else ends[tp])
                self._started.set()
                backoff = 0.5
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
                    for tp, records in batches.items():
                        for record in records:
                            marker = record.key.decode("utf-8", "replace") if record.key else ""
                            if marker not in self._first:
                                self._first[marker] = (tp.partition, record.offset, record.timestamp / 1000)
                        self._position[tp.partition] = records[-1].offset + 1
                    if batches:
                        self._advanced.set()
                        self._forget_old()
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                log.warning("nonces: following %s interrupted (%s), resuming", self.topic, type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                await consumer.stop()
