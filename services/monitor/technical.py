"""Connector lag at the technical level: consumer-group lag, a Burrow-style status, lag in seconds.

Pure computations over offset samples (the I/O is in :mod:`services.monitor.kafka_lag`).

*Lag* of a partition = log-end offset - committed offset (never below zero): the figure Kafka's own
``kafka-consumer-groups.sh --describe`` prints in its LAG column.

*Status* follows Burrow's consumer lag evaluation rules (github.com/linkedin/Burrow, wiki "Consumer Lag
Evaluation Rules", and its evaluator): a sliding window of the last N offset commits of each partition,
each entry (offset, time, lag at that time), evaluated in this order:

1. if the current lag is zero, or the lag was zero at any entry of the window: ``OK``;
2. if an entry's offset is lower than the previous one: ``REWIND`` (the consumer went back);
3. if the time since the last entry is longer than the window's span (last - first entry):
   ``STOP`` (the consumer stopped committing);
4. if the offset is the same in every entry: ``STALL`` (committing, but not moving);
5. if the lag never decreases from one entry to the next: ``WARN`` (moving, but falling behind);
6. otherwise ``OK``.

Rules 4 and 5 need two entries (with one, nothing has moved or stood still yet: ``OK``).

Burrow reads every commit from ``__consumer_offsets``; here offsets are *sampled* through the admin API every
few seconds, so a sample counts as a commit when the committed offset moved, or when the group has live
members (a live consumer keeps committing, which is how Burrow tells STALL from STOP). Statuses are judged
at sampling time. A group's status is its worst partition's (REWIND > STOP > STALL > WARN > OK).

*Lag in seconds* (as Kafka Lag Exporter estimates it): how long ago the oldest unconsumed record was written,
interpolated from the history of (sample time, log-end offset): the instant the log-end offset passed the
committed offset. When that is older than the history, the answer is a lower bound (``approximate``).

Usage::

    tracker = LagTracker(window=10)
    status = tracker.observe(probe)            # GroupStatus
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "SEVERITY",
    "DeliveryStats",
    "delivery_stats",
    "STATUSES",
    "Entry",
    "GroupStatus",
    "LagTracker",
    "PartitionStatus",
    "Probe",
    "Status",
    "evaluate_partition",
    "group_status",
    "lag_seconds",
    "partition_lag",
]

Status = Literal["OK", "WARN", "STALL", "STOP", "REWIND"]
STATUSES: tuple[Status, ...] = ("OK", "WARN", "STALL", "STOP", "REWIND")
SEVERITY: dict[str, int] = {s: i for i, s in enumerate(STATUSES)}
TopicPartition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Entry:
    at: float  # unix seconds
    offset: int
    lag: int


@dataclass(frozen=True, slots=True)
class Probe:
    """One look at one group: its committed offsets and the partitions' log-end offsets."""

    at: float
    group: str
    state: str  # the broker's group state: Stable, Empty, Dead, PreparingRebalance ...
    members: int
    committed: Mapping[TopicPartition, int]
    log_end: Mapping[TopicPartition, int]
    error: str | None = None

    @property
    def alive(self) -> bool:
        return self.members > 0


@dataclass(frozen=True, slots=True)
class PartitionStatus:
    topic: str
    partition: int
    committed: int
    log_end: int
    lag: int
    status: Status
    lag_seconds: float
    approximate: bool  # lag_seconds is a lower bound
    window: int  # entries in the window


@dataclass(frozen=True, slots=True)
class GroupStatus:
    group: str
    sampled_at: float
    state: str
    members: int
    status: Status
    total_lag: int
    max_lag_seconds: float
    partitions: tuple[PartitionStatus, ...]
    error: str | None = None


def partition_lag(committed: int, log_end: int) -> int:
    return max(log_end - committed, 0)


def evaluate_partition(entries: Sequence[Entry], current_lag: int, now: float) -> Status:
    """Burrow's rules 1-6 (see the module docstring) on one partition's window."""
    if not entries or current_lag <= 0 or any(e.lag == 0 for e in entries):
        return "OK"
    pairs = list(zip(entries, entries[1:], strict=False))
    if any(b.offset < a.offset for a, b in pairs):
        return "REWIND"
    first, last = entries[0], entries[-1]
    if now - last.at > last.at - first.at:
        return "STOP"
    if not pairs:  # one entry: nothing moved or stood still yet
        return "OK"
    if all(b.offset == a.offset for a, b in pairs):
        return "STALL"
    if all(b.lag >= a.lag for a, b in pairs):
        return "WARN"
    return "OK"


def group_status(statuses: Sequence[Status]) -> Status:
    return max(statuses, key=SEVERITY.__getitem__, default="OK")


def lag_seconds(committed: int, lag: int, history: Sequence[tuple[float, int]], now: float) -> tuple[float, bool]:
    """(seconds since the oldest unconsumed record was written, whether that is only a lower bound)."""
    if lag <= 0 or not history:
        return 0.0, False
    for i, (at, log_end) in enumerate(history):
        if log_end > committed:
            if i == 0:
                return max(now - at, 0.0), True
            before_at, before_end = history[i - 1]
            share = (committed + 1 - before_end) / (log_end - before_end)
            written = before_at + min(max(share, 0.0), 1.0) * (at - before_at)
            return max(now - written, 0.0), False
    return 0.0, False


@dataclass
class _Partition:
    entries: deque[Entry]
    history: deque[tuple[float, int]]


@dataclass
class LagTracker:
    """Windows of entries and log-end histories per (group, topic, partition), fed one probe at a time."""

    window: int = 10
    history: int = 360
    _parts: dict[tuple[str, str, int], _Partition] = field(default_factory=dict)

    def _part(self, key: tuple[str, str, int]) -> _Partition:
        part = self._parts.get(key)
        if part is None:
            part = self._parts[key] = _Partition(deque(maxlen=self.window), deque(maxlen=self.history))
        return part

    def observe(self, probe: Probe) -> GroupStatus:
        out: list[PartitionStatus] = []
        for (topic, partition), committed in sorted(probe.committed.items()):
            log_end = probe.log_end.get((topic, partition))
            if log_end is None:
                continue
            lag = partition_lag(committed, log_end)
            part = self._part((probe.group, topic, partition))
            part.history.append((probe.at, log_end))
            moved = not part.entries or part.entries[-1].offset != committed
            if moved or probe.alive:
                part.entries.append(Entry(probe.at, committed, lag))
            status = evaluate_partition(list(part.entries), lag, probe.at)
            seconds, approximate = lag_seconds(committed, lag, list(part.history), probe.at)
            out.append(
                PartitionStatus(
                    topic, partition, committed, log_end, lag, status, round(seconds, 3), approximate, len(part.entries)
                )
            )
        return GroupStatus(
            group=probe.group,
            sampled_at=probe.at,
            state=probe.state,
            members=probe.members,
            status=group_status([p.status for p in out]),
            total_lag=sum(p.lag for p in out),
            max_lag_seconds=max((p.lag_seconds for p in out), default=0.0),
            partitions=tuple(out),
            error=probe.error,
        )


@dataclass(frozen=True, slots=True)
class DeliveryStats:
    """Deliveries to one agency's system since the worker started (the relay's counters)."""

    agency: str
    delivered: int
    dead_lettered: int
    attempts: int
    retries: int  # attempts beyond the first per delivery
    success_rate: float | None  # percent of the finished deliveries


def delivery_stats(
    delivered: Mapping[str, int], dead_lettered: Mapping[str, int], attempts: Mapping[str, int]
) -> list[DeliveryStats]:
    out = []
    for agency in sorted(set(delivered) | set(dead_lettered) | set(attempts)):
        ok, failed, tries = delivered.get(agency, 0), dead_lettered.get(agency, 0), attempts.get(agency, 0)
        done = ok + failed
        out.append(
            DeliveryStats(
                agency=agency,
                delivered=ok,
                dead_lettered=failed,
                attempts=tries,
                retries=max(tries - done, 0),
                success_rate=round(100 * ok / done, 1) if done else None,
            )
        )
    return out
