"""Dead letters and quarantine: the records, and the operator's list/show/redrive.

Two topics hold what could not go on, each record with its reason:

- ``lienthong.deadletter``: an outbound delivery an agency refused (4xx) or that ran out of retries;
  redrive puts the original event back on the agency's outbound topic (the receiver drops a repeat by
  its ``Idempotency-Key``, so redriving twice is harmless);
- ``lienthong.quarantine``: an event that broke its workflow or could not be decoded; redrive puts it
  back on ``lienthong.events`` (after the operator fixed the cause, e.g. opened the missing handoff).

Usage::

    record = DeadLetter.for_delivery(...)      # built by the delivery agent
    letters = read_letters(settings.kafka, "lienthong.deadletter")
    redrive(settings.kafka, letters[0])
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from services.failures import failure_site
from services.kafka_access import KafkaAccess

__all__ = ["DeadLetter", "Letter", "failure_site", "read_letters", "redrive", "redriven"]

REDRIVE_HEADER = "lienthong-redrive-of"


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter or quarantine topic (JSON value, key = dossier code)."""

    kind: Literal["delivery", "quarantine"]
    reason_en: str
    reason_vi: str
    source_topic: str  # where redrive puts the payload back
    payload_b64: str  # the original record value, byte for byte
    failed_at: str
    event_id: str | None = None
    event_type: str | None = None
    agency: str | None = None
    status: int | None = None
    attempts: int | None = None
    permanent: bool | None = None
    field_errors: list[dict[str, str]] | None = None
    source_partition: int | None = None  # where the record was read (the audit matches letters to records)
    source_offset: int | None = None

    @property
    def payload(self) -> bytes:
        return base64.b64decode(self.payload_b64)

    def to_json(self) -> bytes:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> DeadLetter:
        return cls(**json.loads(raw))

    @classmethod
    def build(cls, *, payload: bytes, **fields: Any) -> DeadLetter:
        return cls(
            payload_b64=base64.b64encode(payload).decode(),
            failed_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            **fields,
        )


@dataclass(frozen=True)
class Letter:
    """A dead letter as read back from its topic, addressed by partition and offset."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    record: DeadLetter

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"


def read_letters(
    kafka: KafkaAccess, topic: str, timeout_ms: int = 2000, advance: Callable[[int, int], None] | None = None
) -> list[Letter]:
    """Every record of ``topic`` from the beginning, in partition/offset order (no consumer group);
    ``advance`` gets (offsets read, offsets to read) after each poll (the CLI's progress)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**kafka.kafka_python(enable_auto_commit=False))
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        starts = consumer.beginning_offsets(tps)
        total = sum(max(ends[tp] - starts[tp], 0) for tp in tps)
        letters: list[Letter] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batch = consumer.poll(timeout_ms=timeout_ms)
            if not batch:
                break
            for tp, records in batch.items():
                for rec in records:
                    try:
                        record = DeadLetter.from_json(rec.value)
                    except (ValueError, TypeError):
                        continue  # not ours; a dead-letter topic only holds DeadLetter records
                    letters.append(Letter(topic, rec.partition, rec.offset, rec.key, record))
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            if advance is not None:
                advance(sum(max(min(consumer.position(tp), ends[tp]) - starts[tp], 0) for tp in tps), total)
        return sorted(letters, key=lambda letter: (letter.partition, letter.offset))
    finally:
        consumer.close()


def redriven(
    kafka: KafkaAccess, receipts_topic: str, advance: Callable[[int, int], None] | None = None
) -> dict[tuple[str, int, int], str]:
    """The letters already redriven: (letter topic, partition, offset) -> when (from their receipts)."""
    from services.ops.readback import read_topic

    marks: dict[tuple[str, int, int], str] = {}
    for rec in read_topic(kafka, receipts_topic, advance=advance):
        try:
            doc = json.loads(rec.value or b"")
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("kind") == "redriven":
            marks[(str(doc.get("topic")), int(doc.get("partition", -1)), int(doc.get("offset", -1)))] = str(
                doc.get("at")
            )
    return marks


def redrive(kafka: KafkaAccess, letter: Letter, receipts_topic: str | None = None) -> None:
    """Put the original payload back where it came from (acks=all), marked with where it was redriven from;
    then record the redrive (a ``redriven`` receipt), so ``dlq redrive --all`` does not do it again."""
    from kafka import KafkaProducer

    from services.relay.receipts import Receipt

    producer = KafkaProducer(**kafka.kafka_python(acks="all"))
    try:
        headers = [
            ("content-type", b"application/cloudevents+json; charset=utf-8"),
            (REDRIVE_HEADER, f"{letter.topic}/{letter.ref}".encode()),
        ]
        producer.send(letter.record.source_topic, key=letter.key, value=letter.record.payload, headers=headers).get(
            timeout=30
        )
        if receipts_topic is not None:
            mark = Receipt("redriven", letter.topic, letter.partition, letter.offset, letter.record.event_id)
            producer.send(receipts_topic, key=letter.key, value=mark.to_json()).get(timeout=30)
    finally:
        producer.close()
