"""The monitor as installed on one worker: where its figures come from, and what it remembers.

- business figures: the watchdog's state table (every dossier this worker holds), turned into a
  :class:`~services.monitor.snapshot.Snapshot` at the watchdog's "now" and reused for ``cache_s`` seconds;
- timelines: the monitor's own table (see :mod:`services.monitor.timeline`);
- technical figures: the latest :class:`~services.monitor.technical.GroupStatus` per group, a short history of
  each group's lag (the "lag over time" chart), the dead-letter and quarantine counts, the relay's counters.

Usage::

    monitor = Monitor(ctx, watchdog, relay.counters, timeline_table, cache_s=2.0)
    view = monitor.scoped("tax")
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.monitor.snapshot import DossierParts, Scoped, Snapshot, assemble, dossier_parts, log_failure
from services.monitor.technical import DeliveryStats, GroupStatus, delivery_stats
from services.monitor.timeline import TimelineEntry, load
from services.relay.deadletter import failure_site
from services.relay.router import RelayCounters
from services.relay.routing import RoutingContext
from services.stream.kafka import partition_of
from services.watchdog.engine import Watchdog
from services.watchdog.state import WatchState

__all__ = ["LagPoint", "Monitor", "Technical"]

log = logging.getLogger(__name__)

_SCAN_END = b"\xff\xff\xff\xff"


@dataclass(frozen=True)
class LagPoint:
    at: float
    lag: dict[str, int]  # group -> total lag


@dataclass
class Technical:
    """What the sampler last saw (the web views read it; the timer writes it)."""

    groups: dict[str, GroupStatus] = field(default_factory=dict)
    topics: dict[str, int | None] = field(default_factory=dict)  # dead-letter / quarantine topic -> records
    history: deque[LagPoint] = field(default_factory=lambda: deque(maxlen=360))
    samples: int = 0
    last_error: str | None = None


def _finish(steps: Iterator[Snapshot | None]) -> Snapshot:
    return next(step for step in steps if step is not None)


class Monitor:
    def __init__(
        self,
        ctx: RoutingContext,
        watchdog: Watchdog,
        counters: RelayCounters,
        timeline: Any,
        *,
        cache_s: float = 2.0,
        deadletter_topic: str = "lienthong.deadletter",
        quarantine_topic: str = "lienthong.quarantine",
    ) -> None:
        self.ctx = ctx
        self.watchdog = watchdog
        self.counters = counters
        self.timeline = timeline  # Store: dossier code (bytes) -> timeline JSON, in the dossier's partition
        self.cache_s = cache_s
        self.deadletter_topic = deadletter_topic
        self.quarantine_topic = quarantine_topic
        self.technical = Technical()
        self._cached: tuple[float, Snapshot] | None = None
        self._memo: dict[bytes, tuple[bytes, DossierParts]] = {}  # finished dossiers: row digest, parts
        self._refresh: asyncio.Future[None] | None = None
        self._took = 0.0  # seconds of work the last background snapshot took

    @property
    def calendar(self) -> Any:
        return self.ctx.calendar

    def now(self) -> datetime:
        """The watchdog's clock: the dashboard and the alerts agree on what "now" is."""
        return self.watchdog.now()

    # -- business -----------------------------------------------------------------------------------
    def rows(self, page: int = 500) -> Iterator[tuple[bytes, bytes]]:
        """Every dossier row of every partition (this worker's copy), read a page at a time."""
        storage = self.watchdog.states
        for partition in storage.partitions():
            lo = b""
            while rows := storage.scan(partition, lo, _SCAN_END, page):
                for key, raw in rows:
                    if raw.startswith(b"{"):
                        yield key, raw
                lo = rows[-1][0] + b"\x00"

    def timeline_of(self, code: str) -> list[TimelineEntry]:
        key = code.encode()
        raw = self.timeline.get(partition_of(key, len(self.timeline.partitions())), key)
        return load(raw) if raw else []

    def snapshot(self) -> Snapshot:
        """The latest snapshot of all dossiers at the watchdog's now.

        The first one (and every one when ``cache_s`` is 0, as in tests) is computed at once. After that, one
        older than ``cache_s`` is served while a fresh one is computed in the background, a page of dossiers
        between turns of the event loop, and no sooner than four times the last computation took: with a
        city's worth of dossiers the Office's screen neither holds up the relay nor takes over the worker."""
        if self._cached is None or self.cache_s == 0:
            self._cached = (time.monotonic(), _finish(self._steps()))
            return self._cached[1]
        at, snap = self._cached
        if self._refresh is None and time.monotonic() - at >= max(self.cache_s, 4 * self._took):
            self._refresh = asyncio.ensure_future(self._refresh_in_background())
        return snap

    async def _refresh_in_background(self) -> None:
        busy = 0.0
        try:
            steps = self._steps()
            while True:
                started = time.perf_counter()
                step = next(steps)
                busy += time.perf_counter() - started
                if step is not None:
                    self._cached, self._took = (time.monotonic(), step), busy
                    return
                await asyncio.sleep(0)
        except Exception as exc:  # noqa: BLE001 - e.g. a rebalance closed a partition: the next request retries
            log.warning("monitor snapshot not refreshed: %s", failure_site(exc))
        finally:
            self._refresh = None

    def _steps(self, every: int = 200) -> Iterator[Snapshot | None]:
        """Compute a snapshot, yielding None after every ``every`` dossiers evaluated, then the snapshot. A
        finished dossier whose row did not change is not evaluated again."""
        now, parts, skipped, memo = self.now(), [], 0, {}
        evaluated = 0
        for key, raw in self.rows():
            digest = hashlib.blake2b(raw, digest_size=16).digest()
            known = self._memo.get(key)
            if known is not None and known[0] == digest:
                parts.append(known[1])
                memo[key] = known
                continue
            try:
                state = WatchState.model_validate_json(raw)
                found = dossier_parts(state, self.ctx, self.watchdog.rules, now, self.timeline_of)
            except Exception as exc:  # noqa: BLE001 - one odd dossier must not blank the Office's screen
                skipped += 1
                log_failure(key.decode(errors="replace"), exc)
                continue
            parts.append(found)
            if state.finished:
                memo[key] = (digest, found)
            evaluated += 1
            if evaluated % every == 0:
                yield None
        self._memo = memo
        yield assemble(parts, now, self.calendar, skipped)

    def scoped(self, agency: str | None) -> Scoped:
        return Scoped(self.snapshot(), agency)

    def dossier(self, code: str) -> WatchState | None:
        found = self.watchdog.find(code)
        return found[1] if found is not None else None

    # -- technical ----------------------------------------------------------------------------------
    def record(self, groups: list[GroupStatus], topics: dict[str, int | None]) -> None:
        tech = self.technical
        for status in groups:
            tech.groups[status.group] = status
        tech.topics = topics
        tech.samples += 1
        errors = [g.error for g in groups if g.error]
        tech.last_error = errors[0] if errors else None
        if groups:
            tech.history.append(LagPoint(groups[0].sampled_at, {g.group: g.total_lag for g in groups}))

    def deliveries(self) -> list[DeliveryStats]:
        c = self.counters
        return delivery_stats(c.delivered, c.dead_lettered, c.delivery_attempts)

    def dead_letters(self) -> int | None:
        return self.technical.topics.get(self.deadletter_topic)

    def quarantined(self) -> int | None:
        return self.technical.topics.get(self.quarantine_topic)
