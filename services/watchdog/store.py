"""Partition-addressed key-value storage for the watchdog's tables, and the deadline index's keys.

The watchdog writes its tables both from the event log (an event of partition *p*) and from its timer,
always in the dossier's partition (co-partitioned with ``<prefix>.events``). In the worker the tables are
:class:`services.stream.store.Store` instances (RocksDB, a compacted changelog, a copy of every partition
on every worker); RocksDB keeps keys sorted, which makes the deadline index a range scan
(:meth:`Storage.scan`). :class:`MemoryStorage` is the same contract in memory, for tests and benchmarks.

Deadline index keys: ``b"%015d|%s" % (unix milliseconds, dossier code)``, sorted by time; meta keys start
with ``~`` and sort after every instant.

Usage::

    storage.put(p, index_key(due, code), b"")
    for key, _ in storage.scan(p, b"", index_key(now, "") + b"\\xff", limit=5000): ...
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

__all__ = [
    "MemoryStorage",
    "Storage",
    "epoch_ms",
    "index_bound",
    "index_key",
    "key_at",
    "parse_index_key",
]


def epoch_ms(at: datetime) -> float:
    return at.timestamp() * 1000


def index_key(at: datetime, code: str) -> bytes:
    """The index key of a wake-up at ``at`` (rounded up to the millisecond, so it is never early)."""
    return key_at(math.ceil(epoch_ms(at)), code)


def key_at(ms: int, code: str) -> bytes:
    return b"%015d|%s" % (ms, code.encode())


def index_bound(now: datetime) -> bytes:
    """The exclusive upper bound of the keys due at ``now``."""
    return b"%015d|" % (math.floor(epoch_ms(now)) + 1)


def parse_index_key(key: bytes) -> tuple[datetime, str]:
    ms, _, code = key.partition(b"|")
    return datetime.fromtimestamp(int(ms) / 1000, UTC), code.decode()


class Storage(Protocol):
    """Rows addressed by (partition, key); ``scan`` is ordered by key, ``lo <= key < hi``."""

    def get(self, partition: int, key: bytes) -> bytes | None: ...

    def put(self, partition: int, key: bytes, value: bytes) -> None: ...

    def delete(self, partition: int, key: bytes) -> None: ...

    def scan(self, partition: int, lo: bytes, hi: bytes, limit: int) -> list[tuple[bytes, bytes]]: ...

    def partitions(self) -> list[int]: ...


class MemoryStorage:
    """:class:`Storage` in memory: a dict and a sorted key list per partition."""

    def __init__(self, partitions: Iterable[int] = range(6)) -> None:
        self._rows: dict[int, dict[bytes, bytes]] = {p: {} for p in partitions}
        self._keys: dict[int, list[bytes]] = {p: [] for p in self._rows}

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self._rows[partition].get(key)

    def put(self, partition: int, key: bytes, value: bytes) -> None:
        rows = self._rows[partition]
        if key not in rows:
            bisect.insort(self._keys[partition], key)
        rows[key] = value

    def delete(self, partition: int, key: bytes) -> None:
        if self._rows[partition].pop(key, None) is not None:
            keys = self._keys[partition]
            del keys[bisect.bisect_left(keys, key)]

    def scan(self, partition: int, lo: bytes, hi: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        keys = self._keys[partition]
        start = bisect.bisect_left(keys, lo)
        end = bisect.bisect_left(keys, hi, lo=start)
        rows = self._rows[partition]
        return [(k, rows[k]) for k in keys[start : min(end, start + limit)]]

    def partitions(self) -> list[int]:
        return sorted(self._rows)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())
