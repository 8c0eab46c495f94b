"""The event log's consumer: each batch of one partition decoded once, then handed to the flows this
worker runs (the router, the watchdog, the monitor), in that order, under the partition's lock.

A flow's ``process`` returns only once everything it wrote is acknowledged by Kafka, so when the batch's
offset is committed, every flow is done with it. The lock serialises a partition's batches with the
watchdog's timer, which writes the same partition's state outside any batch.

    pipeline = Pipeline([router, watchdog_flow, monitor_flow], stores=[ledger, states, ...], locks=locks)
    worker.add(Processor("events", kafka, group=app_id, topics=[events], handler=pipeline))
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from schemas.errors import EventDecodeError, EventValidationError
from schemas.events import parse_event
from services.stream.store import Store

__all__ = ["Flow", "Incoming", "PartitionLocks", "Pipeline"]


@dataclass(frozen=True)
class Incoming:
    """One record of the event log, decoded once for every flow."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    event: Any | None  # the parsed CloudEvent, None if it does not decode
    error: EventDecodeError | EventValidationError | None = None

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> Incoming:
        value = record.value or b""
        headers = tuple(record.headers or ())
        try:
            event = parse_event(value)
        except (EventDecodeError, EventValidationError) as exc:
            return cls(record.partition, record.offset, record.key, value, headers, None, exc)
        return cls(record.partition, record.offset, record.key, value, headers, event)


class Flow(Protocol):
    async def process(self, partition: int, items: list[Incoming]) -> None: ...


class PartitionLocks:
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    def __call__(self, partition: int) -> asyncio.Lock:
        return self._locks.setdefault(partition, asyncio.Lock())


class Pipeline:
    """The :class:`~services.stream.processor.Handler` of the event log."""

    def __init__(
        self,
        flows: Sequence[Flow],
        stores: Sequence[Store],
        locks: PartitionLocks,
        on_revoked: Sequence[Any] = (),
    ) -> None:
        self.flows = list(flows)
        self.stores = list(stores)
        self.locks = locks
        self.on_revoked = list(on_revoked)

    async def assigned(self, partitions: set[TopicPartition]) -> None:
        """A partition is processed only once every store holds all its changelog (written by its last owner);
        from then on this worker writes it, and its stores stop reading their own writes back."""
        wanted = sorted(tp.partition for tp in partitions)
        await asyncio.gather(*(store.caught_up(wanted) for store in self.stores))
        for store in self.stores:
            store.own(wanted)

    async def revoked(self, partitions: set[TopicPartition]) -> None:
        gone = sorted(tp.partition for tp in partitions)
        for store in self.stores:  # a failed batch's writes: the partition's next owner decides them again
            for partition in gone:
                store.discard(partition)
            store.disown(gone)
        for hook in self.on_revoked:
            hook(gone)

    async def handle(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        items = [Incoming.of(record) for record in records]
        async with self.locks(tp.partition):
            for flow in self.flows:
                await flow.process(tp.partition, items)
