"""Delivery to the agencies' systems: the outbound topics' consumer (one consumer group for all agencies).

Each agency's outbound records are delivered by its connector (retries and ``Idempotency-Key`` inside), a
dossier's records in their order, the dossiers of a batch side by side; a record that cannot be delivered
goes to the dead-letter topic with its reason. Either way a receipt (``delivered`` or ``dead-lettered``) is
written, and the offset committed only once the receipts (and letters) of the whole batch are acknowledged: a
worker that stops in between delivers again, and the receiver drops the repeat by its ``Idempotency-Key``.
Partitions are delivered side by side, so a slow or dead agency holds up nobody else.

The router sends a dossier's outbound records before it writes the dossier's ledger (so a crash between the
two sends again rather than never). An agency told of a handoff reads the dossier and acts on it at once, so
a record is delivered only once this worker's copy of the ledger shows its event (waiting at most
``settle_s``); a letter an operator redrove goes at once (its event was routed long before).

    delivery = Delivery(topics, producer, counters, connectors={"tax": connector, ...}, shown=ledgers.shows)
    worker.add(Processor("delivery", kafka, group=f"{app_id}.deliver", topics=..., handler=delivery))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from connectors import DeliveryResult, OutboundEvent, PushConnector
from schemas.errors import EventDecodeError, EventValidationError
from schemas.events import parse_event
from services.relay.deadletter import REDRIVE_HEADER, DeadLetter, failure_site
from services.relay.receipts import Receipt
from services.relay.router import RelayCounters
from services.relay.topics import RelayTopics
from services.stream.kafka import Producer

__all__ = ["Delivery"]

log = logging.getLogger(__name__)


class Delivery:
    def __init__(
        self,
        topics: RelayTopics,
        producer: Producer,
        counters: RelayCounters,
        connectors: dict[str, PushConnector],
        shown: Callable[[str, str, float], Awaitable[bool]] | None = None,
        settle_s: float = 5.0,
        concurrency: int = 8,
    ) -> None:
        self.topics = topics
        self.producer = producer
        self.counters = counters
        self.connectors = connectors
        self.shown = shown  # (dossier code, event id, wait at most) -> this worker's ledger copy holds the event
        self.settle_s = settle_s
        self.concurrency = concurrency  # dossiers of one partition delivered at once (each in its own order)

    async def _settled(self, code: str, event_id: str) -> None:
        """Wait (bounded) until the dossier's ledger shows ``event_id``: whoever reads it on this notice sees it."""
        if self.shown is not None and not await self.shown(code, event_id, self.settle_s):
            log.debug("delivering %s before this worker's ledger copy shows it", event_id)

    @property
    def outbound_topics(self) -> list[str]:
        return [self.topics.outbound[agency] for agency in sorted(self.connectors)]

    async def assigned(self, partitions: set[TopicPartition]) -> None:
        return None

    async def revoked(self, partitions: set[TopicPartition]) -> None:
        return None

    async def handle(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Deliver a batch: each dossier's records in order, different dossiers side by side (at most
        ``concurrency`` at once); the batch's offset is committed once all of it is delivered or dead-lettered
        and every receipt is acknowledged, as before."""
        agency = self.topics.agency_of(tp.topic)
        if agency is None or agency not in self.connectors:
            raise RuntimeError(f"no connector for {tp.topic}")  # cannot happen: only these topics are read
        connector = self.connectors[agency]
        by_dossier: dict[bytes | None, list[ConsumerRecord[bytes, bytes]]] = {}
        for record in records:
            by_dossier.setdefault(record.key, []).append(record)
        gate = asyncio.Semaphore(self.concurrency)
        acks: list[Awaitable[object]] = []

        async def in_order(mine: list[ConsumerRecord[bytes, bytes]]) -> None:
            async with gate:
                for record in mine:
                    for topic, key, value in await self._deliver(connector, agency, record):
                        acks.append(await self.producer.send(topic, value, key=key))

        # every dossier's run ends before the batch does (none left sending after a failure is raised)
        failed = [r for r in await asyncio.gather(*map(in_order, by_dossier.values()), return_exceptions=True) if r]
        await asyncio.gather(*acks)
        if failed:
            raise failed[0]

    async def _deliver(
        self, connector: PushConnector, agency: str, record: ConsumerRecord[bytes, bytes]
    ) -> list[tuple[str, bytes | None, bytes]]:
        """Deliver one record; the records that say what became of it (a receipt, and a letter if it failed)."""
        key, value = record.key, record.value or b""
        outbound: OutboundEvent | None = None
        result: DeliveryResult | None = None
        try:
            event = parse_event(value)
        except (EventDecodeError, EventValidationError) as exc:
            reason = f"undeliverable record: {exc}"[:500]
        else:
            outbound = OutboundEvent(event.id, agency, event.subject, event.type, value)
            if not _redriven(record):  # a redriven letter was routed long ago: nothing to wait for
                await self._settled(event.subject, event.id)
            try:
                result = await connector.deliver(outbound)
            except Exception as exc:  # noqa: BLE001 - a connector bug dead-letters the record, never stops the rest
                reason = f"connector failed: {failure_site(exc)}"
            else:
                self.counters.delivery_attempts[agency] = (
                    self.counters.delivery_attempts.get(agency, 0) + result.attempts
                )
                reason = result.error or "delivery failed"
        event_id = outbound.event_id if outbound is not None else None
        receipt = Receipt("delivered", record.topic, record.partition, record.offset, event_id)
        if result is not None and result.ok:
            self.counters.delivered[agency] = self.counters.delivered.get(agency, 0) + 1
            return [(self.topics.receipts, key, receipt.to_json())]
        self.counters.dead_lettered[agency] = self.counters.dead_lettered.get(agency, 0) + 1
        log.warning("dead-lettered delivery to %s of %s", agency, outbound.event_id if outbound else record.offset)
        letter = DeadLetter.build(
            kind="delivery",
            source_topic=record.topic,
            payload=value,
            event_id=outbound.event_id if outbound else None,
            event_type=outbound.event_type if outbound else None,
            agency=agency,
            status=result.status if result else None,
            attempts=result.attempts if result else 0,
            permanent=result.permanent if result else True,
            reason_en=reason,
            reason_vi=f"Không chuyển được sự kiện tới {agency}: {reason}",
            source_partition=record.partition,
            source_offset=record.offset,
        )
        dead = Receipt("dead-lettered", record.topic, record.partition, record.offset, receipt.event_id, agency)
        return [(self.topics.deadletter, key, letter.to_json()), (self.topics.receipts, key, dead.to_json())]


def _redriven(record: ConsumerRecord[bytes, bytes]) -> bool:
    """Put back by ``lienthong dlq redrive`` (it marks what it puts back)."""
    return any(name == REDRIVE_HEADER for name, _ in record.headers or ())
