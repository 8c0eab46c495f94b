"""A consumer group member that processes each partition in order and commits only what is done.

The rules that make "nothing lost" hold (each has a fault test in ``tests/faults``):

- a partition's records are handed to the handler in offset order, a batch at a time, and the batch's
  offset is committed only after the handler returned, i.e. after everything it sent was acknowledged;
- a batch the handler fails on is retried (after a pause), never skipped, while the partition is ours;
- on a rebalance the batch in flight finishes (or is abandoned, uncommitted) before the partition is
  given up, and its offset is committed in the generation that owned it; nothing fetched in an older
  generation is ever committed;
- static group membership (``group.instance.id``): a worker that restarts within the session timeout gets
  its partitions back without a rebalance, so the others are never disturbed.

    processor = Processor("router", kafka, group="lienthong", topics=["lienthong.events"], handler=router)
    await processor.start()
    ...
    await processor.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata

from services.failures import failure_site
from services.stream.kafka import KafkaClients

__all__ = ["Handler", "Processor"]

log = logging.getLogger(__name__)


class Handler(Protocol):
    async def assigned(self, partitions: set[TopicPartition]) -> None:
        """The partitions are ours: prepare (e.g. wait for the stores to hold them)."""

    async def revoked(self, partitions: set[TopicPartition]) -> None:
        """The partitions are no longer ours (their last batch is done and committed)."""

    async def handle(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Process ``records`` (in order); return only once every effect is acknowledged; raise to retry."""


@dataclass
class _Lane:
    """One assigned partition: its queue of fetched batches and the task working through it."""

    tp: TopicPartition
    generation: int
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    queue: deque[list[ConsumerRecord[bytes, bytes]]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    idle: asyncio.Event = field(default_factory=asyncio.Event)  # set while no batch is being handled
    done: int | None = None  # next offset to commit (all before it processed)
    committed: int | None = None
    closed: bool = False


class Processor:
    """One member of ``group`` over ``topics``; see the module docstring for what it guarantees."""

    def __init__(
        self,
        name: str,
        kafka: KafkaClients,
        *,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        instance_id: str | None = None,
        session_timeout_ms: int = 10_000,
        max_records: int = 500,
        queue_batches: int = 4,
        commit_interval_s: float = 0.2,
        revoke_grace_s: float = 10.0,
    ) -> None:
        self.name = name
        self.kafka = kafka
        self.group = group
        self.topics = list(topics)
        self.handler = handler
        self.instance_id = instance_id
        self.session_timeout_ms = session_timeout_ms
        self.max_records = max_records
        self.queue_batches = queue_batches
        self.commit_interval_s = commit_interval_s
        self.revoke_grace_s = revoke_grace_s
        self.lanes: dict[TopicPartition, _Lane] = {}
        self.generation = 0
        self.rebalancing = True  # until the first assignment
        self.fatal: str | None = None
        self.processed = 0
        self.failures = 0
        self.last_poll = 0.0
        self._consumer: Any = None
        self._loop: asyncio.Task[None] | None = None
        self._committer: asyncio.Task[None] | None = None
        self._stopping = False
        self._commit_lock = asyncio.Lock()

    # -- life --------------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._consumer = self.kafka.consumer(
            group_id=self.group,
            group_instance_id=self.instance_id,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(1000, self.session_timeout_ms // 4),
            rebalance_timeout_ms=max(30_000, self.session_timeout_ms * 3),
            max_poll_interval_ms=300_000,
        )
        await self._consumer.start()
        self._consumer.subscribe(self.topics, listener=_Listener(self))
        self._loop = asyncio.ensure_future(self._run())
        self._committer = asyncio.ensure_future(self._commit_periodically())

    async def stop(self) -> None:
        """Finish the batches in flight, commit, and leave the loop (a static member does not leave the group:
        restarted within the session timeout, it gets the same partitions back without a rebalance)."""
        self._stopping = True
        for task in (self._loop, self._committer):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        lanes = list(self.lanes.values())
        await self._drain(lanes)
        with contextlib.suppress(KafkaError, IllegalStateError):
            await self._commit(lanes)
        for lane in lanes:
            lane.closed = True
            if lane.task is not None:
                lane.task.cancel()
        await asyncio.gather(*(lane.task for lane in lanes if lane.task is not None), return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    @property
    def ready(self) -> bool:
        """Joined, not rebalancing, every assigned partition prepared."""
        return not self.rebalancing and self.fatal is None and all(lane.ready.is_set() for lane in self.lanes.values())

    def assignment(self) -> set[TopicPartition]:
        return {tp for tp, lane in self.lanes.items() if lane.ready.is_set()}

    def partitions(self, topic: str | None = None) -> list[int]:
        return sorted(tp.partition for tp in self.assignment() if topic is None or tp.topic == topic)

    # -- fetching ----------------------------------------------------------------------------------------
    async def _run(self) -> None:
        consumer = self._consumer
        while not self._stopping:
            try:
                batches = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
            except KafkaError as exc:
                if _fenced(exc):
                    self._fence()
                    return
                log.warning("%s: fetch failed (%s), retrying", self.name, type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            self.last_poll = time.monotonic()
            for tp, records in batches.items():
                lane = self.lanes.get(tp)
                if lane is None or lane.closed or not records:
                    continue  # fetched for a partition no longer ours: its next owner reads it again
                lane.queue.append(records)
                lane.wake.set()
                if len(lane.queue) >= self.queue_batches:
                    consumer.pause(tp)

    async def _work(self, lane: _Lane) -> None:
        """Work through one partition's batches, in order, for as long as it is ours."""
        await lane.ready.wait()
        pause = 0.2
        while not lane.closed:
            if not lane.queue:
                lane.wake.clear()
                await lane.wake.wait()
                continue
            records = lane.queue[0]
            lane.idle.clear()
            try:
                await self.handler.handle(lane.tp, records)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Kafka or an agency unavailable: the batch is tried again
                self.failures += 1
                log.error("%s: batch of %s[%d] failed (%s), retrying", self.name, *lane.tp, failure_site(exc))
                lane.idle.set()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
                continue
            finally:
                lane.idle.set()
            pause = 0.2
            if lane.closed:
                return  # revoked while handling: not ours to commit any more (drain waited for us if it could)
            lane.queue.popleft()
            lane.done = records[-1].offset + 1
            self.processed += len(records)
            if len(lane.queue) < self.queue_batches and lane.tp in self._consumer.paused():
                self._consumer.resume(lane.tp)

    # -- committing --------------------------------------------------------------------------------------
    async def _commit_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.commit_interval_s)
            try:
                await self._commit(list(self.lanes.values()))
            except (CommitFailedError, KafkaError, IllegalStateError) as exc:
                if _fenced(exc):
                    self._fence()
                    return
                # a rebalance is under way or the broker is away: the next round (or the revoke) commits
                log.info("%s: commit deferred (%s)", self.name, type(exc).__name__)

    async def _commit(self, lanes: list[_Lane]) -> None:
        async with self._commit_lock:
            offsets = {
                lane.tp: OffsetAndMetadata(lane.done, "")
                for lane in lanes
                if lane.done is not None and lane.done != lane.committed
            }
            if not offsets:
                return
            await self._consumer.commit(offsets)
            for lane in lanes:
                if lane.tp in offsets:
                    lane.committed = offsets[lane.tp].offset

    def _fence(self) -> None:
        self.fatal = f"another worker took over group instance {self.instance_id!r}"
        log.critical("%s: %s; this worker stops processing", self.name, self.fatal)
        for lane in self.lanes.values():
            lane.closed = True
            lane.wake.set()

    # -- rebalances --------------------------------------------------------------------------------------
    async def _drain(self, lanes: list[_Lane]) -> None:
        """Let the batch each lane is handling finish (bounded); later batches stay unprocessed."""
        for lane in lanes:
            lane.queue = deque(list(lane.queue)[:1] if not lane.idle.is_set() else [])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(lane.idle.wait() for lane in lanes)), self.revoke_grace_s)
        for lane in lanes:
            lane.closed = True
            lane.wake.set()

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        self.rebalancing = True
        lanes = [self.lanes[tp] for tp in revoked if tp in self.lanes]
        await self._drain(lanes)
        try:
            await self._commit(lanes)
        except (CommitFailedError, KafkaError, IllegalStateError) as exc:
            log.warning("%s: could not commit on revoke (%s): the next owner repeats a batch", self.name, exc)
        for lane in lanes:
            if lane.task is not None:
                lane.task.cancel()
            self.lanes.pop(lane.tp, None)
        await asyncio.gather(*(lane.task for lane in lanes if lane.task is not None), return_exceptions=True)
        if revoked:
            await self.handler.revoked(set(revoked))
            log.info("%s: gave up %s", self.name, _names(revoked))

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        self.generation += 1
        for tp in assigned:
            if tp in self.lanes:
                continue
            lane = _Lane(tp, self.generation)
            lane.idle.set()
            lane.task = asyncio.ensure_future(self._work(lane))
            self.lanes[tp] = lane
        self.rebalancing = False
        log.info("%s: assigned %s (generation %d)", self.name, _names(assigned), self.generation)
        asyncio.ensure_future(self._prepare(set(assigned)))

    async def _prepare(self, assigned: set[TopicPartition]) -> None:
        while True:
            try:
                await self.handler.assigned(assigned)
                break
            except Exception as exc:  # noqa: BLE001 - the stores could not catch up (Kafka away): again
                log.error("%s: preparing %s failed (%s), retrying", self.name, _names(assigned), failure_site(exc))
                await asyncio.sleep(1.0)
        for tp in assigned:
            lane = self.lanes.get(tp)
            if lane is not None:
                lane.ready.set()


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, processor: Processor) -> None:
        self.processor = processor

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.processor.on_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.processor.on_assigned(set(assigned))


def _fenced(exc: BaseException) -> bool:
    """FENCED_INSTANCE_ID (82): another process joined with this worker's group instance id."""
    return getattr(exc, "errno", None) == 82 or "FENCED_INSTANCE_ID" in str(exc)


def _names(tps: set[TopicPartition]) -> str:
    by_topic: dict[str, list[int]] = {}
    for tp in tps:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return ", ".join(f"{t}{sorted(ps)}" for t, ps in sorted(by_topic.items())) or "nothing"
