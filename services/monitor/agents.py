"""The monitor's Kafka surface: the timeline table and agent, and the consumer-lag sampler.

- ``lienthong.monitor.timeline`` reads ``<prefix>.events`` (raw bytes, decoded here; a record that does not
  decode is skipped, the relay has quarantined it) and appends each event's compact entry to the dossier's
  row of the ``monitor_timeline`` table (changelog ``<prefix>.monitor.timeline``, compacted, keyed by the
  dossier code, so it is co-partitioned with the events and restored on restart);
- the ``lienthong.monitor.sample`` timer probes the consumer groups' offsets and the dead-letter and
  quarantine topics every ``monitor_sample_s`` seconds (in a thread: the admin client blocks) and feeds the
  Burrow-style windows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import faust

from schemas.errors import EventDecodeError, EventValidationError
from schemas.events import parse_event
from services.monitor.kafka_lag import KafkaProbe
from services.monitor.service import Monitor
from services.monitor.technical import LagTracker
from services.monitor.timeline import append, entry_of
from services.relay.topics import RelayTopics, prefixed

__all__ = ["TIMELINE_LOG", "install_agents", "make_timeline"]

log = logging.getLogger(__name__)
TIMELINE_LOG = "lienthong.monitor.timeline"
_ROCKS = {"write_buffer_size": 4 * 1024 * 1024, "max_write_buffer_number": 2, "block_cache_size": 16 * 1024 * 1024}


def make_timeline(app: faust.App, prefix: str, partitions: int = 6) -> Any:
    changelog = app.topic(
        prefixed(TIMELINE_LOG, prefix),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
        compacting=True,
        deleting=False,
    )
    return app.Table(
        "monitor_timeline",
        key_type=bytes,
        value_type=bytes,
        partitions=partitions,
        options=dict(_ROCKS),
        changelog_topic=changelog,
    )


def install_agents(
    app: faust.App,
    relay_topics: RelayTopics,
    timeline: Any,
    monitor: Monitor,
    probe: KafkaProbe,
    tracker: LagTracker,
    groups: Sequence[str],
    sample_s: float,
) -> None:
    @app.agent(relay_topics.events, name="lienthong.monitor.timeline")
    async def record(stream: Any) -> AsyncIterator[None]:
        async for event_record in stream.events():
            key, value = event_record.key, event_record.value
            try:
                event = parse_event(value)
            except (EventDecodeError, EventValidationError):
                continue  # quarantined by the router
            if key != event.subject.encode():
                continue
            current = timeline.get(key)
            updated = append(bytes(current) if current else None, entry_of(event))
            if updated is not None:
                timeline[key] = updated
            yield None

    topics = [monitor.deadletter_topic, monitor.quarantine_topic]

    async def sample() -> None:
        now = time.time()
        probes = await asyncio.to_thread(probe.probe, list(groups), now)
        counts = await asyncio.to_thread(probe.topic_records, topics)
        monitor.record([tracker.observe(p) for p in probes], counts)

    app.timer(interval=sample_s, name="lienthong.monitor.sample")(sample)

    async def close_probe(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        await asyncio.to_thread(probe.close)
        log.info("monitor's admin client closed")

    app.on_before_shutdown.connect(close_probe)
