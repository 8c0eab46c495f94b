"""The watchdog's Kafka surface: the alerts and notices topics, and its four tables.

Every table is keyed in the dossier's partition of ``<prefix>.events`` (six partitions), RocksDB-backed,
with a compacted changelog named after the prefix so operators and the CLI can find it:

=============================  ===============================================================
``<prefix>.watchdog.state``    dossier code -> the dossier as the watchdog sees it (and the alerts raised)
``<prefix>.watchdog.index``    ``<unix ms>|<code>`` -> b"": the time-sorted deadline index (wake-ups)
``<prefix>.watchdog.late``     ``<YYYY-MM>|<code>`` -> the late-dossier report row
``<prefix>.watchdog.notices``  notice id -> the drafted apology notice
=============================  ===============================================================

These changelogs are created by the worker (faust declares them) and are not in ``deploy/topics.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from services.relay.topics import prefixed

__all__ = ["ALERTS", "LATE_LOG", "NOTICES", "WatchdogTopics", "make_tables"]

ALERTS = "lienthong.alerts"
NOTICES = "lienthong.notices"
STATE_LOG = "lienthong.watchdog.state"
INDEX_LOG = "lienthong.watchdog.index"
LATE_LOG = "lienthong.watchdog.late"
NOTICE_LOG = "lienthong.watchdog.notices"

# RocksDB per table partition: modest buffers (faust's defaults allow 3 x 64 MB memtables and a 2 GB cache).
_ROCKS = {"write_buffer_size": 8 * 1024 * 1024, "max_write_buffer_number": 2, "block_cache_size": 32 * 1024 * 1024}


@dataclass(frozen=True)
class WatchdogTopics:
    alerts: Any
    notices: Any
    states: Any  # faust Tables (raw bytes keys and values)
    index: Any
    late: Any
    notice_table: Any


def _raw_topic(app: faust.App, name: str, **kwargs: Any) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw", **kwargs)


def _table(app: faust.App, name: str, log: str, partitions: int) -> Any:
    return app.Table(
        name,
        key_type=bytes,
        value_type=bytes,
        partitions=partitions,
        options=dict(_ROCKS),
        changelog_topic=_raw_topic(app, log, partitions=partitions, compacting=True, deleting=False),
    )


def make_tables(app: faust.App, prefix: str, partitions: int = 6) -> WatchdogTopics:
    return WatchdogTopics(
        alerts=_raw_topic(app, prefixed(ALERTS, prefix)),
        notices=_raw_topic(app, prefixed(NOTICES, prefix)),
        states=_table(app, "watchdog_state", prefixed(STATE_LOG, prefix), partitions),
        index=_table(app, "watchdog_index", prefixed(INDEX_LOG, prefix), partitions),
        late=_table(app, "watchdog_late", prefixed(LATE_LOG, prefix), partitions),
        notice_table=_table(app, "watchdog_notices", prefixed(NOTICE_LOG, prefix), partitions),
    )
