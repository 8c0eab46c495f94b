"""The watchdog's Kafka surface: the alerts and notices topics, and its four tables' changelogs.

Every table is keyed in the dossier's partition of ``<prefix>.events`` (six partitions), RocksDB-backed,
with a compacted changelog declared in ``deploy/topics.yaml``:

=============================  ===============================================================
``<prefix>.watchdog.state``    dossier code -> the dossier as the watchdog sees it (and the alerts raised)
``<prefix>.watchdog.index``    ``<unix ms>|<code>`` -> b"": the time-sorted deadline index (wake-ups)
``<prefix>.watchdog.late``     ``<YYYY-MM>|<code>`` -> the late-dossier report row
``<prefix>.watchdog.notices``  notice id -> the drafted apology notice
=============================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from services.relay.topics import prefixed

__all__ = ["ALERTS", "LATE_LOG", "NOTICES", "WatchdogTopics", "make_topics"]

ALERTS = "lienthong.alerts"
NOTICES = "lienthong.notices"
STATE_LOG = "lienthong.watchdog.state"
INDEX_LOG = "lienthong.watchdog.index"
LATE_LOG = "lienthong.watchdog.late"
NOTICE_LOG = "lienthong.watchdog.notices"


@dataclass(frozen=True)
class WatchdogTopics:
    alerts: str
    notices: str
    states: str
    index: str
    late: str
    notice_table: str


def make_topics(prefix: str) -> WatchdogTopics:
    return WatchdogTopics(
        alerts=prefixed(ALERTS, prefix),
        notices=prefixed(NOTICES, prefix),
        states=prefixed(STATE_LOG, prefix),
        index=prefixed(INDEX_LOG, prefix),
        late=prefixed(LATE_LOG, prefix),
        notice_table=prefixed(NOTICE_LOG, prefix),
    )
