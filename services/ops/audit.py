"""``lienthong audit``: an operator's proof, from Kafka alone, that nothing accepted was lost.

- every record of the event log has the router's receipt (or waits in quarantine, or is in its dossier's
  ledger), or is still ahead of what the workers committed (pending);
- every record of an agency's outbound topic has its delivery receipt (delivered or dead-lettered), or is
  pending;
- every alert that fell due (more than ``grace_s`` ago) was raised, and every alert raised left the
  dossier's outbox for the alerts topic.

A record behind its group's committed offset without an outcome is *lost*: no worker will read it again.
``repair`` writes those records again where they were (the router and the agencies drop repeats by event
id and ``Idempotency-Key``) and raises the missing alerts with the ids the watchdog gives them.

    report = audit(settings, progress=print)
    report.ok            # False when anything is missing
    repair(settings, report)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from services.ops.readback import Record, committed_offsets, read_topic
from services.settings import Settings

__all__ = ["AuditReport", "audit", "repair"]

REPAIR_HEADER = "lienthong-repair-of"


@dataclass
class Missing:
    """A record behind its group's committed offset that nobody accounts for."""

    record: Record
    event_id: str | None

    @property
    def ref(self) -> str:
        return f"{self.record.topic} {self.record.partition}:{self.record.offset}"


@dataclass
class MissingAlert:
    dossier: str
    key: str
    alert_id: str
    due_at: str
    document: dict[str, Any]


@dataclass
class AuditReport:
    events: int = 0
    events_pending: int = 0
    events_lost: list[Missing] = field(default_factory=list)
    events_repeated: int = 0  # records the router saw more than once (allowed: it routed them once)
    outbound: int = 0
    outbound_pending: int = 0
    outbound_lost: list[Missing] = field(default_factory=list)
    redelivered: int = 0  # records delivered more than once (allowed: receivers drop the repeat)
    alerts_checked: int = 0
    alerts_missing: list[MissingAlert] = field(default_factory=list)
    alerts_unsent: list[MissingAlert] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.events_lost or self.outbound_lost or self.alerts_missing or self.alerts_unsent)

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "events_pending": self.events_pending,
            "events_lost": [m.ref for m in self.events_lost],
            "events_repeated": self.events_repeated,
            "outbound": self.outbound,
            "outbound_pending": self.outbound_pending,
            "outbound_lost": [m.ref for m in self.outbound_lost],
            "redelivered": self.redelivered,
            "dossiers_checked_for_alerts": self.alerts_checked,
            "alerts_due_not_raised": [f"{a.dossier} {a.key}" for a in self.alerts_missing],
            "alerts_raised_not_sent": [f"{a.dossier} {a.alert_id}" for a in self.alerts_unsent],
        }


def _doc(value: bytes | None) -> dict[str, Any] | None:
    try:
        doc = json.loads(value or b"")
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def audit(settings: Settings, grace_s: float = 120.0, progress: Callable[[str], None] | None = None) -> AuditReport:
    from schemas.agencies import default_agencies
    from services.relay.topics import make_topics

    topics = make_topics(list(default_agencies()), settings.topic_prefix)
    kafka = settings.kafka
    say = progress or (lambda _: None)
    report = AuditReport()

    say("reading receipts ...")
    outcomes: Counter[tuple[str, int, int]] = Counter()
    for rec in read_topic(kafka, topics.receipts, say):
        doc = _doc(rec.value)
        if doc is not None and {"topic", "partition", "offset"} <= doc.keys():
            outcomes[(str(doc["topic"]), int(doc["partition"]), int(doc["offset"]))] += 1
    letters: set[tuple[str, int, int]] = set()
    quarantined_ids: set[str] = set()
    for name in (topics.quarantine, topics.deadletter):
        say(f"reading {name} ...")
        for rec in read_topic(kafka, name, say):
            doc = _doc(rec.value) or {}
            if doc.get("source_partition") is not None and doc.get("source_offset") is not None:
                topic = str(doc.get("source_topic"))
                letters.add((topic, int(doc["source_partition"]), int(doc["source_offset"])))
            if doc.get("kind") == "quarantine" and doc.get("event_id"):
                quarantined_ids.add(str(doc["event_id"]))
    say("reading the ledgers ...")
    seen: set[str] = set()
    for value in _latest(read_topic(kafka, topics.ledger, say)).values():
        seen.update((_doc(value) or {}).get("seen", []))

    committed = committed_offsets(kafka, settings.app_id)
    say(f"reading {topics.events} ...")
    for rec in read_topic(kafka, topics.events, say):
        report.events += 1
        ref = (rec.topic, rec.partition, rec.offset)
        event_id = (_doc(rec.value) or {}).get("id")
        if outcomes[ref] > 1:
            report.events_repeated += outcomes[ref] - 1
        if (
            outcomes[ref]
            or ref in letters
            or (event_id is not None and (event_id in seen or event_id in quarantined_ids))
        ):
            continue
        if rec.offset >= committed.get((rec.topic, rec.partition), 0):
            report.events_pending += 1
        else:
            report.events_lost.append(Missing(rec, str(event_id) if event_id is not None else None))

    delivered = committed_offsets(kafka, f"{settings.app_id}.deliver")
    for name in sorted(topics.outbound.values()):
        for rec in read_topic(kafka, name):
            report.outbound += 1
            ref = (rec.topic, rec.partition, rec.offset)
            if outcomes[ref] > 1:
                report.redelivered += outcomes[ref] - 1
            if outcomes[ref] or ref in letters:
                continue
            if rec.offset >= delivered.get((rec.topic, rec.partition), 0):
                report.outbound_pending += 1
            else:
                report.outbound_lost.append(Missing(rec, (_doc(rec.value) or {}).get("id")))
    _audit_alerts(settings, report, grace_s, say)
    return report


def _latest(records: list[Record]) -> dict[tuple[int, bytes | None], bytes | None]:
    latest: dict[tuple[int, bytes | None], bytes | None] = {}
    for rec in records:
        latest[(rec.partition, rec.key)] = rec.value
    return latest


def _audit_alerts(settings: Settings, report: AuditReport, grace_s: float, say: Callable[[str], None]) -> None:
    """Alerts the rules say fell due over ``grace_s`` ago but no state records as raised; raised but unsent."""
    from schemas.workcalendar import default_calendar
    from schemas.workflows import load_workflows
    from services.relay.routing import RoutingContext
    from services.relay.topics import prefixed
    from services.watchdog.alerts import alert_document
    from services.watchdog.clock import clock_from_settings
    from services.watchdog.evaluate import evaluate
    from services.watchdog.rules import load_rules
    from services.watchdog.state import WatchState, workflow_of
    from services.watchdog.tables import ALERTS, STATE_LOG

    ctx = RoutingContext(load_workflows(), default_calendar())
    rules = load_rules(settings.watchdog_rules_file)
    now = clock_from_settings(settings).now()
    say("reading the watchdog's states and the alerts ...")
    sent = {
        str(d["id"])
        for r in read_topic(settings.kafka, prefixed(ALERTS, settings.topic_prefix))
        if (d := _doc(r.value)) is not None and "id" in d
    }
    for value in _latest(read_topic(settings.kafka, prefixed(STATE_LOG, settings.topic_prefix))).values():
        if not value or not value.startswith(b"{"):
            continue
        state = WatchState.model_validate_json(value)
        report.alerts_checked += 1
        workflow = workflow_of(state, ctx)
        for finding in evaluate(state, workflow, rules, now, ctx.calendar).findings:
            if finding.at <= now - timedelta(seconds=grace_s):
                doc = alert_document(state.code, state.ledger.procedure_code, finding, rules.version, now)
                report.alerts_missing.append(
                    MissingAlert(state.code, finding.key, doc["id"], finding.at.isoformat(), doc)
                )
        for pending in state.outbox:  # raised, kept until Kafka acknowledged it: stuck if still there
            stale = pending.at is None or pending.at <= now - timedelta(seconds=grace_s)
            if pending.topic == "alerts" and pending.id not in sent and stale:
                at = pending.at.isoformat() if pending.at else ""
                report.alerts_unsent.append(MissingAlert(state.code, "", pending.id, at, json.loads(pending.value)))


def repair(settings: Settings, report: AuditReport) -> int:
    """Write again what the audit found missing; the number of records written."""
    from kafka import KafkaProducer

    from services.relay.topics import prefixed
    from services.watchdog.tables import ALERTS

    producer = KafkaProducer(**settings.kafka.kafka_python(acks="all", enable_idempotence=True))
    written = 0
    try:
        futures = []
        for missing in [*report.events_lost, *report.outbound_lost]:
            rec = missing.record
            headers = [*rec.headers, (REPAIR_HEADER, f"{rec.topic}/{rec.partition}:{rec.offset}".encode())]
            futures.append(producer.send(rec.topic, key=rec.key, value=rec.value, headers=headers))
        alerts = prefixed(ALERTS, settings.topic_prefix)
        for alert in [*report.alerts_missing, *report.alerts_unsent]:
            body = json.dumps(alert.document, ensure_ascii=False).encode()
            futures.append(producer.send(alerts, key=alert.dossier.encode(), value=body))
        for future in futures:
            future.get(timeout=30)
            written += 1
    finally:
        producer.close()
    return written
