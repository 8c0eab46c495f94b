"""The Kafka admin calls behind the technical lag (kafka-python; blocking, so the worker runs them in a thread).

- committed offsets: ``list_group_offsets`` (OffsetFetch), every partition the group committed; a partition
  of a topic the group reads but never committed on counts from the partition's first offset (the group
  starts there), so its whole backlog shows as lag (Kafka's own tool shows nothing there);
- log-end offsets: ``list_partition_offsets`` with ``OffsetSpec.LATEST`` (ListOffsets), as Kafka's own
  consumer-groups tool does;
- group state and live members: ``describe_groups``;
- records held in the dead-letter and quarantine topics: latest minus earliest offset, summed over partitions.

Usage::

    probe = KafkaProbe(settings.kafka)
    probes = probe.probe(["lienthong"], time.time())
    counts = probe.topic_records(["lienthong.deadletter"])
    probe.close()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from services.kafka_access import KafkaAccess
from services.monitor.technical import Probe

__all__ = ["KafkaProbe", "group_topics"]

log = logging.getLogger(__name__)


class KafkaProbe:
    """One admin client, created on first use and again after a failure. Thread-safe (one call at a time)."""

    def __init__(self, kafka: KafkaAccess, client_id: str = "lienthong-monitor", timeout_ms: int = 5000) -> None:
        self.kafka = kafka
        self.client_id = client_id
        self.timeout_ms = timeout_ms
        self._admin: Any = None
        self._lock = threading.Lock()

    def _client(self) -> Any:
        if self._admin is None:
            from kafka import KafkaAdminClient

            self._admin = KafkaAdminClient(
                **self.kafka.kafka_python(
                    client_id=self.client_id,
                    request_timeout_ms=self.timeout_ms,
                    bootstrap_timeout_ms=self.timeout_ms,
                )
            )
        return self._admin

    def _reset(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                admin.close()
            except Exception:  # noqa: BLE001 - closing a broken client must not hide the first error
                log.debug("closing the admin client failed", exc_info=True)

    def probe(self, groups: Sequence[str], now: float, reads: dict[str, list[str]] | None = None) -> list[Probe]:
        """Committed and log-end offsets of each group's partitions, with the group's state. ``reads``: the topics
        each group consumes, so partitions it never committed on count from their first offset."""
        from kafka import TopicPartition
        from kafka.admin import OffsetSpec

        reads = reads or {}
        with self._lock:
            try:
                admin = self._client()
                committed = admin.list_group_offsets({g: None for g in groups})
                tps = {tp for offsets in committed.values() for tp in offsets}
                wanted = sorted({t for g in groups for t in reads.get(g, [])})
                described_topics = admin.describe_topics(wanted) if wanted else []
                read_tps = {
                    t["name"]: [TopicPartition(t["name"], p["partition_index"]) for p in t.get("partitions", [])]
                    for t in described_topics
                    if not t.get("error_code")
                }
                tps |= {tp for parts in read_tps.values() for tp in parts}
                ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps}) if tps else {}
                starts = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in tps}) if tps else {}
                described = self._describe(admin, groups)
            except Exception as exc:  # noqa: BLE001 - any client failure becomes a probe error, retried next time
                self._reset()
                log.warning("consumer-lag probe failed: %s", type(exc).__name__)
                return [Probe(now, g, "Unknown", 0, {}, {}, error=type(exc).__name__) for g in groups]
        log_end = {(tp.topic, tp.partition): int(v.offset) for tp, v in ends.items()}
        log_start = {(tp.topic, tp.partition): int(v.offset) for tp, v in starts.items()}
        probes = []
        for group in groups:
            offsets = {
                (tp.topic, tp.partition): int(meta.offset)
                for tp, meta in committed.get(group, {}).items()
                if meta is not None and meta.offset >= 0
            }
            for topic in reads.get(group, []):  # never committed: the group starts from the first offset
                for tp in read_tps.get(topic, []):
                    offsets.setdefault((tp.topic, tp.partition), log_start.get((tp.topic, tp.partition), 0))
            state, members = described.get(group, ("Unknown", 0))
            probes.append(Probe(now, group, state, members, offsets, log_end))
        return probes

    @staticmethod
    def _describe(admin: Any, groups: Sequence[str]) -> dict[str, tuple[str, int]]:
        try:
            described = admin.describe_groups(list(groups))
            return {
                g: (str(d.get("group_state") or "Unknown"), len(d.get("members") or [])) for g, d in described.items()
            }
        except Exception:  # noqa: BLE001 - a member's metadata it cannot decode: fall back to the group list
            log.debug("describe_groups failed; using list_groups", exc_info=True)
        live = {"Stable", "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling"}
        listed = {g["group_id"]: str(g.get("group_state") or "Unknown") for g in admin.list_groups()}
        return {g: (listed.get(g, "Dead"), 1 if listed.get(g) in live else 0) for g in groups}

    def topic_records(self, topics: Sequence[str]) -> dict[str, int | None]:
        """Records each topic holds now (latest - earliest offsets); None when it cannot be read."""
        from kafka import TopicPartition
        from kafka.admin import OffsetSpec

        with self._lock:
            try:
                admin = self._client()
                described = admin.describe_topics(list(topics))
                tps = [
                    TopicPartition(t["name"], p["partition_index"])
                    for t in described
                    if not t.get("error_code")
                    for p in t.get("partitions", [])
                ]
                if not tps:
                    return {t: None for t in topics}
                latest = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
                earliest = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in tps})
            except Exception as exc:  # noqa: BLE001 - reported as unknown, retried next time
                self._reset()
                log.warning("dead-letter count failed: %s", type(exc).__name__)
                return {t: None for t in topics}
        counts: dict[str, int | None] = {t: None for t in topics}
        for tp in tps:
            held = max(int(latest[tp].offset) - int(earliest[tp].offset), 0)
            counts[tp.topic] = (counts[tp.topic] or 0) + held
        return counts

    def close(self) -> None:
        with self._lock:
            self._reset()


def group_topics(settings: Any) -> dict[str, list[str]]:
    """The topics each of the workers' own consumer groups reads (by name, with the deployment's prefix)."""
    from schemas.agencies import default_agencies
    from services.relay.endpoints import load_endpoints
    from services.relay.topics import make_topics
    from services.watchdog.tables import make_topics as watchdog_topics

    topics = make_topics(list(default_agencies()), settings.topic_prefix)
    try:
        pushes = [e.agency for e in load_endpoints(settings.endpoints_path) if e.kind != "pull"]
    except Exception:  # noqa: BLE001 - an unreadable endpoints file: every outbound topic
        pushes = list(topics.outbound)
    alerts = watchdog_topics(settings.topic_prefix)
    groups = {settings.app_id: [topics.events]}
    outbound = [topics.outbound[a] for a in sorted(set(pushes)) if a in topics.outbound]
    if outbound:
        groups[f"{settings.app_id}.deliver"] = outbound
    if settings.alert_webhook_url or settings.smtp_host:
        groups[f"{settings.app_id}.notify"] = [alerts.alerts, alerts.notices]
    return groups
