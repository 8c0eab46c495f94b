"""The relay's Kafka surface: topic names (from ``deploy/topics.yaml``, with the deployment's prefix).

Records are raw bytes (structured-mode CloudEvents, or dead-letter and receipt JSON), keyed by the dossier
code, so every record of one dossier lands in the same partition of every topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.ops.topics import topic_name

__all__ = [
    "DEADLETTER",
    "EVENTS",
    "LEDGER",
    "NONCES",
    "QUARANTINE",
    "RECEIPTS",
    "RelayTopics",
    "make_topics",
    "prefixed",
]

EVENTS = "lienthong.events"
QUARANTINE = "lienthong.quarantine"
DEADLETTER = "lienthong.deadletter"
RECEIPTS = "lienthong.receipts"
NONCES = "lienthong.nonces"
LEDGER = "lienthong.dossiers"
OUTBOUND = "lienthong.outbound.{agency}"


def prefixed(name: str, prefix: str) -> str:
    """``prefixed("lienthong.events", "staging") == "staging.events"``."""
    return prefix + name[len("lienthong") :] if name.startswith("lienthong.") else name


@dataclass(frozen=True)
class RelayTopics:
    events: str
    quarantine: str
    deadletter: str
    receipts: str
    nonces: str
    ledger: str
    outbound: dict[str, str]  # agency -> its outbound topic

    def agency_of(self, topic: str) -> str | None:
        """The agency whose outbound topic ``topic`` is (None for any other topic)."""
        return next((agency for agency, name in self.outbound.items() if name == topic), None)


def make_topics(agencies: list[str], prefix: str = "lienthong") -> RelayTopics:
    return RelayTopics(
        events=prefixed(EVENTS, prefix),
        quarantine=prefixed(QUARANTINE, prefix),
        deadletter=prefixed(DEADLETTER, prefix),
        receipts=prefixed(RECEIPTS, prefix),
        nonces=prefixed(NONCES, prefix),
        ledger=prefixed(LEDGER, prefix),
        outbound={a: prefixed(topic_name(OUTBOUND, a), prefix) for a in agencies},
    )
