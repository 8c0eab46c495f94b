"""The relay's Kafka surface: its topics and the ``dossiers`` table (the handoff ledger).

Every topic here is declared in ``deploy/topics.yaml``; records are raw bytes (structured-mode CloudEvents,
or dead-letter JSON) so a record that fails to decode reaches our code instead of crashing the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from services.ops.topics import topic_name

__all__ = ["DEADLETTER", "EVENTS", "QUARANTINE", "RelayTopics", "make_topics", "prefixed"]

EVENTS = "lienthong.events"
QUARANTINE = "lienthong.quarantine"
DEADLETTER = "lienthong.deadletter"
LEDGER = "lienthong.dossiers"
OUTBOUND = "lienthong.outbound.{agency}"


def prefixed(name: str, prefix: str) -> str:
    """``prefixed("lienthong.events", "staging") == "staging.events"``."""
    return prefix + name[len("lienthong") :] if name.startswith("lienthong.") else name


@dataclass(frozen=True)
class RelayTopics:
    events: Any
    quarantine: Any
    deadletter: Any
    outbound: dict[str, Any]
    dossiers: Any  # faust Table: dossier code (bytes) -> Ledger JSON (bytes)


def _raw(app: faust.App, name: str) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


def make_topics(app: faust.App, agencies: list[str], prefix: str = "lienthong", partitions: int = 6) -> RelayTopics:
    dossiers = app.Table(
        "dossiers",
        key_type=bytes,
        value_type=bytes,
        partitions=partitions,
        changelog_topic=app.topic(
            prefixed(LEDGER, prefix),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
            compacting=True,
            deleting=False,
        ),
    )
    return RelayTopics(
        events=_raw(app, prefixed(EVENTS, prefix)),
        quarantine=_raw(app, prefixed(QUARANTINE, prefix)),
        deadletter=_raw(app, prefixed(DEADLETTER, prefix)),
        outbound={a: _raw(app, prefixed(topic_name(OUTBOUND, a), prefix)) for a in agencies},
        dossiers=dossiers,
    )
