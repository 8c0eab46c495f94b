"""A key-value store kept on Kafka: a compacted changelog topic is the truth, RocksDB on local disk a copy.

Every worker keeps a copy of *every* partition (a replica consumer tails the changelog), so any worker can
read any dossier, the Office's views are whole on every worker, and a worker that takes a partition over
is already warm. Only the partition's owner (the worker the consumer group gave it) writes:

- ``put``/``delete`` stage a write; reads see it at once (read your writes);
- ``flush(p)`` sends the staged writes of partition ``p`` to the changelog, waits for Kafka's
  acknowledgements (acks=all) and only then applies them locally, with the changelog offset.

Each partition's checkpoint (the last changelog offset applied) is written in the same RocksDB batch as the
rows, so after a restart the replica resumes where it stopped, and a write is applied at most once whether
the owner or the replica sees it first: a record is applied only if its offset is past the checkpoint.
The copy is written without RocksDB's write-ahead log (twice the restore speed): a worker killed outright
loses what was not yet flushed to disk, but with its checkpoint, so the replica reads it again from Kafka.

    store = Store("ledger", "lienthong.dossiers", path, kafka)
    await store.open(producer)            # starts the replica
    await store.caught_up([0, 1])         # before owning partitions 0 and 1
    store.put(0, b"HS-1", b"{...}")
    await store.flush(0)
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import struct
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from rocksdict import Options, Rdict, WriteBatch, WriteOptions

from services.stream.kafka import KafkaClients, Producer

__all__ = ["Store"]

log = logging.getLogger(__name__)

_META = b"\xff\xff"  # checkpoint rows: _META + partition (2 bytes) -> last applied offset (8 bytes)
_Staged = dict[bytes, bytes | None]  # key -> value (None: delete)


def _row(partition: int, key: bytes) -> bytes:
    return struct.pack(">H", partition) + key


def _meta(partition: int) -> bytes:
    return _META + struct.pack(">H", partition)


class Store:
    """Rows addressed by (partition, key), ordered by key within a partition (range scans)."""

    def __init__(self, name: str, topic: str, path: Path, kafka: KafkaClients, *, cache_mb: int = 32) -> None:
        self.name = name
        self.topic = topic
        self.path = path
        self.kafka = kafka
        self.cache_mb = cache_mb
        self._partitions: list[int] = []
        self._db: Any = None
        self._producer: Producer | None = None
        self._staged: dict[int, _Staged] = {}
        self._flushing: dict[int, list[_Staged]] = {}  # sent, not yet acknowledged (still visible to reads)
        self._checkpoint: dict[int, int] = {}
        self._position: dict[int, int] = {}  # the replica's next offset to read
        self._advanced = asyncio.Event()
        self._replica: asyncio.Task[None] | None = None
        self._offsets: Any = None  # a consumer asking the end offsets (no group)
        self._owned: set[int] = set()  # partitions this worker writes (the replica does not read them back)
        self._ownership_changed = asyncio.Event()
        self.replica_error: str | None = None
        self.applied = 0

    # -- life --------------------------------------------------------------------------------------------
    async def open(self, producer: Producer, partitions: int) -> None:
        """Open the local copy and start following the changelog (``partitions`` of them)."""
        self._producer = producer
        self._partitions = list(range(partitions))
        self.path.mkdir(parents=True, exist_ok=True)
        self._db = self._open_db()
        self._read_checkpoints()
        ends = await self._end_offsets(self._partitions)
        if any(self._checkpoint[p] >= ends[p] for p in self._partitions):
            # the copy is ahead of its changelog: the topic was deleted and made again (a reset cluster)
            log.warning("store %s: local copy is ahead of %s (a new topic?), rebuilding it", self.name, self.topic)
            self._db.close()
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(parents=True, exist_ok=True)
            self._db = self._open_db()
            self._read_checkpoints()
        self._replica = asyncio.ensure_future(self._replicate())

    def _read_checkpoints(self) -> None:
        for p in self._partitions:
            raw = self._db.get(_meta(p))
            self._checkpoint[p] = struct.unpack(">q", raw)[0] if raw is not None else -1

    def _open_db(self) -> Any:
        options = Options(raw_mode=True)
        options.create_if_missing(True)
        options.set_write_buffer_size(8 * 1024 * 1024)
        options.set_max_write_buffer_number(2)
        try:
            db = Rdict(str(self.path), options=options)
        except Exception as exc:  # noqa: BLE001 - a copy that cannot be opened is rebuilt from the changelog
            log.error("store %s: local copy unreadable (%s), rebuilding it from %s", self.name, exc, self.topic)
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(parents=True, exist_ok=True)
            db = Rdict(str(self.path), options=options)
        # Kafka is the log: a batch (rows and checkpoint together) lost with the memtable is read again from it.
        # Closing flushes the memtables (RocksDB does so when the log is off), so a stop loses nothing.
        writes = WriteOptions()
        setattr(writes, "disable_wal", True)  # a property (the type stubs call it a method)  # noqa: B010
        db.set_write_options(writes)
        return db

    async def close(self) -> None:
        if self._replica is not None:
            self._replica.cancel()
            await asyncio.gather(self._replica, return_exceptions=True)
            self._replica = None
        if self._offsets is not None:
            await self._offsets.stop()
            self._offsets = None
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- reads (local, synchronous) ----------------------------------------------------------------------
    def partitions(self) -> list[int]:
        """Every partition of the changelog: this worker holds a copy of each."""
        return list(self._partitions)

    def _pending(self, partition: int) -> list[_Staged]:
        layers = []
        if partition in self._staged:
            layers.append(self._staged[partition])
        layers.extend(reversed(self._flushing.get(partition, [])))
        return layers

    def get(self, partition: int, key: bytes, durable: bool = False) -> bytes | None:
        """The row, staged writes included (``durable``: only what the changelog acknowledged)."""
        for layer in () if durable else self._pending(partition):
            if key in layer:
                return layer[key]
        value = self._db.get(_row(partition, key))
        return bytes(value) if value is not None else None

    def scan(self, partition: int, lo: bytes, hi: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        """Rows with ``lo <= key < hi``, in key order, at most ``limit`` (staged writes included)."""
        if limit <= 0:
            return []
        merged: dict[bytes, bytes | None] = {}
        for layer in reversed(self._pending(partition)):  # oldest first: newer layers overwrite
            merged.update((k, v) for k, v in layer.items() if lo <= k < hi)
        rows = dict(self._scan_db(partition, lo, hi, limit + len(merged)))
        for key, value in merged.items():
            if value is None:
                rows.pop(key, None)
            else:
                rows[key] = value
        return sorted(rows.items())[:limit]

    def _scan_db(self, partition: int, lo: bytes, hi: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        start, end = _row(partition, lo), _row(partition, hi)
        for key, value in self._db.items(from_key=start):
            if key >= end or len(out) >= limit:
                break
            out.append((bytes(key[2:]), bytes(value)))
        return out

    # -- writes (the partition's owner only) -------------------------------------------------------------
    def put(self, partition: int, key: bytes, value: bytes) -> None:
        self._staged.setdefault(partition, {})[key] = value

    def delete(self, partition: int, key: bytes) -> None:
        self._staged.setdefault(partition, {})[key] = None

    def discard(self, partition: int) -> None:
        """Forget the staged (not yet sent) writes of ``partition``: what decided them is done again."""
        self._staged.pop(partition, None)

    def dirty(self, partition: int | None = None) -> bool:
        if partition is None:
            return any(self._staged.values())
        return bool(self._staged.get(partition))

    async def flush(self, partitions: Iterable[int] | None = None) -> None:
        """Send the staged writes to the changelog, wait for the acknowledgements, apply them locally.
        Raises (and keeps the writes staged) when Kafka does not acknowledge."""
        todo = [p for p in (partitions if partitions is not None else list(self._staged)) if self._staged.get(p)]
        await asyncio.gather(*(self._flush_one(p) for p in todo))

    async def _flush_one(self, partition: int) -> None:
        assert self._producer is not None, "open() first"
        layer = self._staged.pop(partition)
        self._flushing.setdefault(partition, []).append(layer)
        try:
            sends = [
                await self._producer.send(self.topic, key=key, value=value, partition=partition)
                for key, value in layer.items()
            ]
            metas = await asyncio.gather(*sends)
        except BaseException:
            # not acknowledged: the writes go back to the front of the staged ones (newer staged writes win)
            self._flushing[partition].remove(layer)
            self._staged[partition] = {**layer, **self._staged.get(partition, {})}
            raise
        self._apply(partition, [(m.offset, k, v) for m, (k, v) in zip(metas, layer.items(), strict=True)])
        self._flushing[partition].remove(layer)

    def _apply(self, partition: int, records: list[tuple[int, bytes, bytes | None]]) -> None:
        """Apply changelog records (offset, key, value) past the checkpoint, with the new checkpoint, atomically."""
        checkpoint = self._checkpoint.get(partition, -1)
        batch = WriteBatch(raw_mode=True)
        top = checkpoint
        for offset, key, value in records:
            if offset <= checkpoint:
                continue
            if value is None:
                batch.delete(_row(partition, key))
            else:
                batch.put(_row(partition, key), value)
            top = max(top, offset)
        if top == checkpoint:
            return
        batch.put(_meta(partition), struct.pack(">q", top))
        self._db.write(batch)
        self._checkpoint[partition] = top
        self.applied += 1
        self._advanced.set()

    # -- the replica -------------------------------------------------------------------------------------
    def own(self, partitions: Iterable[int]) -> None:
        """This worker writes ``partitions`` now (it holds their current state): the replica stops reading back
        its own writes there. Call once :meth:`caught_up` returned for them."""
        self._owned.update(partitions)
        self._ownership_changed.set()

    def disown(self, partitions: Iterable[int]) -> None:
        """Another worker writes ``partitions`` now: the replica follows them again from the checkpoint."""
        self._owned.difference_update(partitions)
        self._ownership_changed.set()

    def _follow_ownership(self, consumer: Any, tps: list[TopicPartition]) -> None:
        paused = set(consumer.paused())
        for tp in tps:
            if tp.partition in self._owned and tp not in paused:
                consumer.pause(tp)
            elif tp.partition not in self._owned and tp in paused:
                consumer.seek(tp, self._checkpoint[tp.partition] + 1)
                consumer.resume(tp)

    async def _replicate(self) -> None:
        backoff = 0.5
        while True:
            consumer = self.kafka.consumer(group_id=None, fetch_max_wait_ms=200, max_partition_fetch_bytes=8 << 20)
            try:
                await consumer.start()
                tps = [TopicPartition(self.topic, p) for p in self._partitions]
                consumer.assign(tps)
                for tp in tps:
                    consumer.seek(tp, self._checkpoint[tp.partition] + 1)
                self.replica_error = None
                backoff = 0.5
                while True:
                    if self._ownership_changed.is_set():
                        self._ownership_changed.clear()
                        self._follow_ownership(consumer, tps)
                    batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
                    for tp, records in batches.items():
                        self._apply(tp.partition, [(r.offset, r.key, r.value) for r in records])
                    for tp in tps:
                        if tp.partition not in self._owned:
                            self._position[tp.partition] = await consumer.position(tp)
                    if batches:
                        await asyncio.sleep(0)
                    self._advanced.set()
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                self.replica_error = type(exc).__name__
                log.warning("store %s: replica of %s interrupted (%s), resuming", self.name, self.topic, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                await consumer.stop()

    def position(self, partition: int) -> int:
        """The next changelog offset this copy has not applied (or read past)."""
        return max(self._position.get(partition, 0), self._checkpoint.get(partition, -1) + 1)

    async def caught_up(self, partitions: Iterable[int] | None = None, timeout_s: float | None = None) -> bool:
        """Wait until this copy holds everything the changelog held when called (False on timeout)."""
        wanted = list(partitions if partitions is not None else self._partitions)
        if not wanted:
            return True
        ends = await self._end_offsets(wanted)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while any(self.position(p) < ends[p] for p in wanted):
            self._advanced.clear()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._advanced.wait(), timeout=min(remaining or 1.0, 1.0))
            except TimeoutError:
                pass
        return True

    async def advance(self, timeout_s: float) -> None:
        """Return once this copy applied more of the changelog (or its replica polled), or after ``timeout_s``."""
        self._advanced.clear()
        try:
            await asyncio.wait_for(self._advanced.wait(), timeout=timeout_s)
        except TimeoutError:
            pass

    async def _end_offsets(self, partitions: list[int]) -> dict[int, int]:
        if self._offsets is None:
            self._offsets = self.kafka.consumer(group_id=None)
            await self._offsets.start()
        ends = await self._offsets.end_offsets([TopicPartition(self.topic, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}

    def lag(self) -> dict[int, int]:
        return {p: self._position.get(p, 0) for p in self._partitions}
