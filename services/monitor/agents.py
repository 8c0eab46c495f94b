"""The monitor's flow on the event log and its consumer-lag sampler.

- :class:`TimelineFlow` appends each event's compact entry to the dossier's row of the ``monitor_timeline``
  store (changelog ``<prefix>.monitor.timeline``, compacted, keyed by the dossier code, co-partitioned with
  the events): a record that does not decode is skipped (the router quarantined it);
- the ``monitor.sample`` timer probes the consumer groups' offsets and the dead-letter and quarantine topics
  every ``monitor_sample_s`` seconds (in a thread: the admin client blocks) and feeds the Burrow-style
  windows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from services.monitor.kafka_lag import KafkaProbe
from services.monitor.service import Monitor
from services.monitor.technical import LagTracker
from services.monitor.timeline import append, entry_of
from services.pipeline import Incoming
from services.stream.store import Store
from services.stream.worker import Worker

__all__ = ["TIMELINE_LOG", "TimelineFlow", "install_sampler"]

log = logging.getLogger(__name__)
TIMELINE_LOG = "lienthong.monitor.timeline"


class TimelineFlow:
    def __init__(self, timeline: Store) -> None:
        self.timeline = timeline

    async def process(self, partition: int, items: list[Incoming]) -> None:
        for item in items:
            event = item.event
            if event is None or item.key is None or item.key != event.subject.encode():
                continue  # quarantined by the router
            current = self.timeline.get(partition, item.key)
            updated = append(current, entry_of(event))
            if updated is not None:
                self.timeline.put(partition, item.key, updated)
        await self.timeline.flush([partition])


def install_sampler(
    worker: Worker,
    monitor: Monitor,
    probe: KafkaProbe,
    tracker: LagTracker,
    groups: Sequence[str],
    sample_s: float,
    reads: dict[str, list[str]] | None = None,
) -> None:
    topics = [monitor.deadletter_topic, monitor.quarantine_topic]

    async def sample() -> None:
        now = time.time()
        probes = await asyncio.to_thread(probe.probe, list(groups), now, reads)
        counts = await asyncio.to_thread(probe.topic_records, topics)
        monitor.record([tracker.observe(p) for p in probes], counts)

    worker.timer(sample_s, "monitor.sample")(sample)

    async def close_probe() -> None:
        await asyncio.to_thread(probe.close)
        log.info("monitor's admin client closed")

    worker.on_stop(close_probe)
