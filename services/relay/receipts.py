"""Receipts: what became of every record lienthong consumed, written once it is done, on ``<prefix>.receipts``.

- the router writes one per record of ``<prefix>.events``: ``routed``, ``duplicate`` (an id it already
  routed, same content), ``conflict`` (an id it already routed with other content: quarantined) or
  ``quarantined`` (with the reason's code);
- the delivery agents write one per outbound record: ``delivered`` or ``dead-lettered``;
- ``lienthong dlq redrive`` writes ``redriven`` for each letter it put back (``--all`` skips those).

A receipt names its record by topic, partition and offset, so ``lienthong audit`` can prove from Kafka
alone that nothing was skipped, and the ingress learns the router's verdict on the event it just wrote:
202 means routed. Every worker follows the topic (:class:`ReceiptBook`) for the requests it is answering.

    book = ReceiptBook(kafka, topics.receipts)
    await book.start()
    receipt = await book.wait(topics.events, partition, offset, timeout_s=5)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from services.stream.kafka import KafkaClients

__all__ = ["Receipt", "ReceiptBook"]

log = logging.getLogger(__name__)

Kind = Literal["routed", "duplicate", "conflict", "quarantined", "forwarded", "delivered", "dead-lettered", "redriven"]
_Ref = tuple[str, int, int]


@dataclass(frozen=True)
class Receipt:
    kind: Kind
    topic: str
    partition: int
    offset: int
    event_id: str | None = None
    agency: str | None = None
    code: str | None = None  # the router's reason, for a quarantined event
    at: str = ""

    @property
    def ref(self) -> _Ref:
        return (self.topic, self.partition, self.offset)

    def to_json(self) -> bytes:
        fields = {k: v for k, v in vars(self).items() if v is not None}  # flat: no need for asdict's deep copy
        fields["at"] = self.at or datetime.now(UTC).isoformat(timespec="milliseconds")
        return json.dumps(fields, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Receipt:
        doc = json.loads(raw)
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


class ReceiptBook:
    """Follows the receipts topic from where it stood at start; answers who waits for a record's receipt."""

    def __init__(self, kafka: KafkaClients, topic: str, keep: int = 50_000) -> None:
        self.kafka = kafka
        self.topic = topic
        self.keep = keep
        self._recent: OrderedDict[_Ref, Receipt] = OrderedDict()
        self._waiters: dict[_Ref, list[asyncio.Future[Receipt]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self.read = 0

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._follow())
        await asyncio.wait_for(self._started.wait(), timeout=30)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait(self, topic: str, partition: int, offset: int, timeout_s: float) -> Receipt | None:
        """The receipt of record (topic, partition, offset), or None after ``timeout_s``."""
        ref = (topic, partition, offset)
        if ref in self._recent:
            return self._recent[ref]
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(ref, []).append(future)
        try:
            return await asyncio.wait_for(future, timeout=max(timeout_s, 0.001))
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters.get(ref, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._waiters.pop(ref, None)

    def _record(self, receipt: Receipt) -> None:
        self.read += 1
        self._recent[receipt.ref] = receipt
        while len(self._recent) > self.keep:
            self._recent.popitem(last=False)
        for future in self._waiters.pop(receipt.ref, []):
            if not future.done():
                future.set_result(receipt)

    async def _follow(self) -> None:
        positions: dict[int, int] = {}
        backoff = 0.5
        while True:
            consumer = self.kafka.consumer(group_id=None, fetch_max_wait_ms=50)
            try:
                await consumer.start()
                parts = sorted(consumer.partitions_for_topic(self.topic) or [])
                if not parts:
                    await consumer._client.force_metadata_update()
                    parts = sorted(consumer.partitions_for_topic(self.topic) or [])
                tps = [TopicPartition(self.topic, p) for p in parts]
                consumer.assign(tps)
                if positions:
                    for tp in tps:
                        consumer.seek(tp, positions.get(tp.partition, 0))
                else:
                    await consumer.seek_to_end(*tps)
                    for tp in tps:
                        positions[tp.partition] = await consumer.position(tp)
                self._started.set()
                backoff = 0.5
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=5_000)
                    for tp, records in batches.items():
                        for record in records:
                            try:
                                self._record(Receipt.from_json(record.value))
                            except (ValueError, TypeError, KeyError):
                                continue  # not a receipt: nobody waits for it
                            positions[tp.partition] = record.offset + 1
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                log.warning("receipts: following %s interrupted (%s), resuming", self.topic, type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                await consumer.stop()
