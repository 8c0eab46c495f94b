"""The router on the event log: a batch of one partition routed in order, its effects acknowledged in
three steps before the batch's offset is committed:

1. what the decisions send (handoffs and results to the agencies' outbound topics, the events the router
   opens on an agency's behalf, quarantined events with their reason);
2. the dossiers' new ledgers (the ``ledger`` store and its changelog) — only once step 1 is acknowledged,
   so a crash in between routes the events again and sends the same records again (same ids: receivers
   drop the repeat), where the other order would read the replay as a duplicate and lose the handoffs;
3. a receipt per record, the verdict the ingress answers with (202 means routed and durable).

A record that does not decode, names another dossier than its key, breaks its workflow or makes the router
fail goes to quarantine with its reason; the stream goes on. A record written to the wrong partition (a
client with another partitioner) is forwarded to its dossier's partition.

    router = Router(topics, ctx, ledger, producer, counters, partitions=6)
    await router.process(partition, items)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from schemas.codec import CONTENT_TYPE, CONTENT_TYPE_HEADER, to_json
from schemas.errors import EventValidationError
from services.pipeline import Incoming
from services.relay.deadletter import DeadLetter, failure_site
from services.relay.receipts import Receipt
from services.relay.routing import Decision, Ledger, RoutingContext, route
from services.relay.topics import RelayTopics
from services.stream.decoded import Decoded
from services.stream.kafka import Producer, partition_of
from services.stream.store import Store

__all__ = ["LEDGERS", "RelayCounters", "Router", "load_ledger"]

log = logging.getLogger(__name__)
_HEADERS = [(CONTENT_TYPE_HEADER, CONTENT_TYPE.encode())]
LEDGERS = Decoded.of(Ledger)  # the ingress, the router and delivery read the same ledger bytes in turn


@dataclass
class RelayCounters:
    """What the relay did since start, for /metrics and the demo summary."""

    routed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    emitted: int = 0
    forwarded: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    delivery_attempts: dict[str, int] = field(default_factory=dict)


def load_ledger(store: Store, partitions: int, code: str, durable: bool = False) -> Ledger | None:
    """The dossier's ledger from this worker's copy (``durable``: only what the changelog acknowledged)."""
    key = code.encode()
    raw = store.get(partition_of(key, partitions), key, durable=durable)
    return LEDGERS.load(raw) if raw else None


@dataclass
class _Send:
    topic: str
    key: bytes | None
    value: bytes
    partition: int | None = None
    headers: list[tuple[str, bytes]] | None = None


class Router:
    def __init__(
        self,
        topics: RelayTopics,
        ctx: RoutingContext,
        ledger: Store,
        producer: Producer,
        counters: RelayCounters,
        partitions: int,
    ) -> None:
        self.topics = topics
        self.ctx = ctx
        self.ledger = ledger
        self.producer = producer
        self.counters = counters
        self.partitions = partitions

    async def process(self, partition: int, items: list[Incoming]) -> None:
        sends: list[_Send] = []
        receipts: list[Receipt] = []
        try:
            for item in items:
                kind, code = self._route(partition, item, sends)
                event_id = item.event.id if item.event is not None else None
                receipts.append(Receipt(kind, self.topics.events, partition, item.offset, event_id, code=code))
            await self._send(sends)
        except BaseException:
            # nothing of this batch is recorded until its sends are acknowledged: the batch is routed again
            self.ledger.discard(partition)
            raise
        await self.ledger.flush([partition])
        await self._send(
            [_Send(self.topics.receipts, i.key, r.to_json()) for i, r in zip(items, receipts, strict=True)]
        )

    async def _send(self, sends: list[_Send]) -> None:
        acks = [
            await self.producer.send(s.topic, s.value, key=s.key, partition=s.partition, headers=s.headers)
            for s in sends
        ]
        await asyncio.gather(*acks)

    # -- one record --------------------------------------------------------------------------------------
    def _route(self, partition: int, item: Incoming, sends: list[_Send]) -> tuple[Any, str | None]:
        event, key = item.event, item.key
        if event is None:
            log.warning("quarantined undecodable record %d:%d", partition, item.offset)
            errors = item.error.errors() if isinstance(item.error, EventValidationError) else None
            reason = f"undecodable event: {item.error}"[:500]
            vi = "Sự kiện không đọc được hoặc không hợp lệ."
            self._quarantine(sends, item, None, reason, vi, field_errors=errors)
            return "quarantined", "undecodable"
        if key is None or key != event.subject.encode():
            en, vi = "record key must be the dossier code (subject)", "Khóa bản ghi phải là mã hồ sơ."
            self._quarantine(sends, item, event, en, vi)
            return "quarantined", "wrong_key"
        home = partition_of(key, self.partitions)
        if home != partition:  # written with another partitioner: the dossier's partition routes it
            sends.append(_Send(self.topics.events, key, item.value, home, list(item.headers)))
            self.counters.forwarded += 1
            return "forwarded", None
        try:
            raw = self.ledger.get(partition, key)
            decision: Decision = route(LEDGERS.load(raw) if raw else None, event, self.ctx)
        except Exception as exc:  # noqa: BLE001 - a bug (or a ledger that no longer validates) must not stop
            # the routing of every other dossier: the event waits in quarantine until redriven
            failure = failure_site(exc)
            log.error("router could not route event %s of %s: %s", event.id, event.type, failure)
            en, vi = f"router could not route the event: {failure}", f"Không định tuyến được sự kiện: {failure}"
            self._quarantine(sends, item, event, en, vi)
            return "quarantined", "router_error"
        if decision.conflict:
            en = f"event id {event.id} was already used for another event"
            vi = f"Mã sự kiện {event.id} đã được dùng cho một sự kiện khác."
            self._quarantine(sends, item, event, f"idempotency_conflict: {en}", vi)
            return "conflict", "idempotency_conflict"
        if decision.duplicate:
            self.counters.duplicates += 1
            return "duplicate", None
        if decision.quarantine is not None:
            q = decision.quarantine
            log.info("quarantined event %s (%s): %s", event.id, event.type, q.code)
            self._quarantine(sends, item, event, f"{q.code}: {q.reason_en}", q.reason_vi)
            return "quarantined", q.code
        assert decision.ledger is not None
        for emit in decision.emits:
            topic = self.topics.outbound.get(emit.agency)
            payload = to_json(emit.event)
            if topic is None:  # an agency without an outbound topic cannot be told: say so, keep it
                en = f"no outbound topic for agency {emit.agency}"
                vi = f"Không có kênh gửi đi cho cơ quan {emit.agency}."
                self._quarantine(sends, item, emit.event, en, vi, payload=payload, agency=emit.agency)
                continue
            sends.append(_Send(topic, key, payload, None, _HEADERS))
            self.counters.emitted += 1
        for generated in decision.generated(event):
            sends.append(_Send(self.topics.events, key, to_json(generated), partition, _HEADERS))
        self.ledger.put(partition, key, LEDGERS.dump(decision.ledger))
        self.counters.routed += 1
        return "routed", None

    def _quarantine(
        self,
        sends: list[_Send],
        item: Incoming,
        event: Any | None,
        reason_en: str,
        reason_vi: str,
        payload: bytes | None = None,
        **extra: Any,
    ) -> None:
        self.counters.quarantined += 1
        known = {"event_id": event.id, "event_type": event.type, "agency": event.source} if event is not None else {}
        letter = DeadLetter.build(
            kind="quarantine",
            source_topic=self.topics.events,
            payload=item.value if payload is None else payload,
            reason_en=reason_en,
            reason_vi=reason_vi,
            source_partition=item.partition,
            source_offset=item.offset,
            **{**known, **extra},
        )
        sends.append(_Send(self.topics.quarantine, item.key, letter.to_json(), None, None))
