"""The watchdog on the event log, its timer, and the delivery of what it raises.

- :class:`WatchdogFlow` folds each batch of a partition into the engine (after the router, under the
  partition's lock), writes its stores, then sends what the engine raised and confirms it;
- :meth:`WatchdogFlow.tick` reads the deadline index of the partitions this worker owns every
  ``watchdog_tick_s`` seconds; the owner of partition 0 also sends the Office's daily digest, once per day,
  computed over *every* partition (each worker holds a copy of all of them);
- :class:`Notifier` delivers alerts and digests (webhook, email) and apology notices (the one-stop-shop's
  connector), dead-lettering what cannot be delivered, committing only what is done.

Order of writes, so that nothing raised is lost: the state rows (with the alert in their outbox) are
acknowledged by Kafka first, then the alert is sent, then it leaves the outbox. A worker stopping in between
sends it again after its restart (the same id: a reader sees it once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from connectors import AgencyEndpoint, OutboundEvent, PushConnector, build_connector
from services.pipeline import Incoming, PartitionLocks
from services.relay.deadletter import DeadLetter, failure_site
from services.relay.topics import RelayTopics
from services.stream.kafka import Producer
from services.stream.store import Store
from services.watchdog.alerts import to_bytes
from services.watchdog.engine import DIGEST_PARTITION, Outbox, Watchdog
from services.watchdog.notifiers import Contacts, EmailError, EmailNotifier

__all__ = ["Notifier", "WatchdogFlow"]

log = logging.getLogger(__name__)
_HEADERS = [("content-type", b"application/cloudevents+json; charset=utf-8")]


class WatchdogFlow:
    def __init__(
        self,
        engine: Watchdog,
        stores: list[Store],
        producer: Producer,
        alerts_topic: str,
        notices_topic: str,
        relay_topics: RelayTopics,
        locks: PartitionLocks,
        owned: Callable[[], list[int]],
        ready: Callable[[], bool],
    ) -> None:
        self.engine = engine
        self.stores = stores
        self.producer = producer
        self.alerts_topic = alerts_topic
        self.notices_topic = notices_topic
        self.relay_topics = relay_topics
        self.locks = locks
        self.owned = owned
        self.ready = ready
        self._seen_owned: list[int] = []

    async def _flush(self, partition: int) -> None:
        await asyncio.gather(*(store.flush([partition]) for store in self.stores))

    async def _send(self, partition: int, out: Outbox) -> None:
        """Send ``out`` once the rows that record it are acknowledged; then drop it from the outboxes."""
        await self._flush(partition)
        if not out:
            return
        try:
            acks = [await self.producer.send(self.alerts_topic, v, key=k, headers=_HEADERS) for k, v in out.alerts]
            acks += [await self.producer.send(self.notices_topic, v, key=k, headers=_HEADERS) for k, v in out.notices]
            await asyncio.gather(*acks)
        except Exception as exc:  # noqa: BLE001 - Kafka unavailable: the records stay pending, sent again later
            log.error(
                "watchdog could not send %d record(s), kept to send again: %s", len(out.pending), failure_site(exc)
            )
            self.engine.release(out)
            await self._flush(partition)
            return
        self.engine.confirm(out)
        await self._flush(partition)

    # -- the event log -----------------------------------------------------------------------------------
    async def process(self, partition: int, items: list[Incoming]) -> None:
        counters = self.engine.counters
        out = Outbox()
        quarantine = []
        for item in items:
            event = item.event
            if event is None:
                counters.undecodable += 1  # quarantined by the router; nothing to watch
                continue
            if item.key != event.subject.encode():
                counters.ignored += 1
                continue
            try:
                out.extend(self.engine.on_event(partition, event))
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the watch of every other dossier
                # Kept with its reason (redrive replays it once fixed); the log names the failure and where,
                # never the exception's text, which may quote a citizen's data.
                counters.errors += 1
                failure = failure_site(exc)
                log.error("watchdog could not evaluate event %s of %s: %s", event.id, event.type, failure)
                letter = DeadLetter.build(
                    kind="quarantine",
                    source_topic=self.relay_topics.events,
                    payload=item.value,
                    event_id=event.id,
                    event_type=event.type,
                    agency=event.source,
                    reason_en=f"watchdog could not evaluate the event: {failure}",
                    reason_vi=f"Bộ giám sát hạn không xử lý được sự kiện: {failure}",
                    source_partition=item.partition,
                    source_offset=item.offset,
                )
                quarantine.append((item.key, letter.to_json()))
        if quarantine:
            acks = [await self.producer.send(self.relay_topics.quarantine, v, key=k) for k, v in quarantine]
            await asyncio.gather(*acks)
        await self._send(partition, out)

    def revoked(self, partitions: list[int]) -> None:
        self.engine.forget_cursors([p for p in self.owned() if p not in partitions])

    # -- the timer ---------------------------------------------------------------------------------------
    async def tick(self) -> None:
        if not self.ready():
            return
        counters = self.engine.counters
        started = time.perf_counter()
        owned = self.owned()
        if owned != self._seen_owned:  # partitions (re)gained: their scan starts from the beginning
            self.engine.forget_cursors([p for p in owned if p in self._seen_owned])
            self._seen_owned = owned
        now = self.engine.now()
        for partition in owned:
            more = True
            while more:
                async with self.locks(partition):
                    if partition not in self.owned():
                        break
                    out, more = self.engine.on_tick(partition, now)
                    await self._send(partition, out)
                await asyncio.sleep(0)  # the web server and the batches get their turn
        if DIGEST_PARTITION in owned:
            await self._digest(now)
        counters.ticks += 1
        counters.last_tick_at = now.isoformat()
        counters.last_tick_ms = round((time.perf_counter() - started) * 1000, 3)

    async def _digest(self, now: Any) -> None:
        if not self.engine.digest_due(now):
            return
        # complete: every partition's copy holds what its owners wrote before the digest is drawn up
        await asyncio.gather(*(store.caught_up(timeout_s=10) for store in self.stores))
        digest = self.engine.maybe_digest(self.engine.states.partitions(), now, mark=False)
        if digest is None:
            return
        try:
            await self.producer.send_and_wait(self.alerts_topic, to_bytes(digest), key=b"digest", headers=_HEADERS)
        except Exception as exc:  # noqa: BLE001 - Kafka unavailable: unmarked, the next tick sends it again
            log.error("watchdog could not send the digest, trying again: %s", failure_site(exc))
            return
        async with self.locks(DIGEST_PARTITION):
            self.engine.mark_digest(now)
            await self._flush(DIGEST_PARTITION)


class Notifier:
    """The :class:`~services.stream.processor.Handler` of the alerts and notices topics."""

    def __init__(
        self,
        engine: Watchdog,
        producer: Producer,
        relay_topics: RelayTopics,
        alerts_topic: str,
        notices_topic: str,
        webhook: AgencyEndpoint | None,
        email: EmailNotifier | None,
        contacts: Contacts,
        one_stops: dict[str, AgencyEndpoint],
    ) -> None:
        self.engine = engine
        self.producer = producer
        self.relay_topics = relay_topics
        self.alerts_topic = alerts_topic
        self.notices_topic = notices_topic
        self.webhook = webhook
        self.email = email
        self.contacts = contacts
        self.one_stops = one_stops
        self._stack = AsyncExitStack()
        self._hook: PushConnector | None = None
        self._connectors: dict[str, PushConnector] = {}

    @property
    def topics(self) -> list[str]:
        wanted = []
        if self.webhook is not None or self.email is not None:
            wanted.append(self.alerts_topic)
        if self.one_stops:
            wanted.append(self.notices_topic)
        return wanted

    async def open(self) -> None:
        if self.webhook is not None:
            built = build_connector(self.webhook)
            assert isinstance(built, PushConnector)
            self._hook = await self._stack.enter_async_context(built)
        for agency, endpoint in self.one_stops.items():
            built = build_connector(endpoint)
            assert isinstance(built, PushConnector)
            self._connectors[agency] = await self._stack.enter_async_context(built)

    async def close(self) -> None:
        await self._stack.aclose()

    async def assigned(self, partitions: set[TopicPartition]) -> None:
        return None

    async def revoked(self, partitions: set[TopicPartition]) -> None:
        return None

    async def handle(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        letters: list[tuple[bytes | None, bytes]] = []
        for record in records:
            if tp.topic == self.alerts_topic:
                letters.extend(await self._alert(record))
            else:
                letters.extend(await self._notice(record))
        acks = [await self.producer.send(self.relay_topics.deadletter, v, key=k) for k, v in letters]
        await asyncio.gather(*acks)

    def _delivered(self, channel: str) -> None:
        counters = self.engine.counters
        counters.delivered[channel] = counters.delivered.get(channel, 0) + 1

    def _letter(
        self, record: ConsumerRecord[bytes, bytes], agency: str, reason: str, doc: dict[str, Any] | None, **extra: Any
    ) -> tuple[bytes | None, bytes]:
        counters = self.engine.counters
        counters.dead_lettered[agency] = counters.dead_lettered.get(agency, 0) + 1
        log.warning("dead-lettered watchdog delivery to %s of %s", agency, doc.get("id") if doc else record.offset)
        letter = DeadLetter.build(
            kind="delivery",
            source_topic=record.topic,
            payload=record.value or b"",
            event_id=doc.get("id") if doc else None,
            event_type=doc.get("type") if doc else None,
            agency=agency,
            reason_en=reason[:500],
            reason_vi=f"Không gửi được thông báo tới {agency}: {reason}"[:500],
            source_partition=record.partition,
            source_offset=record.offset,
            **extra,
        )
        return record.key, letter.to_json()

    async def _alert(self, record: ConsumerRecord[bytes, bytes]) -> list[tuple[bytes | None, bytes]]:
        value = record.value or b""
        try:
            doc = json.loads(value)
            doc_id, doc_type, subject = str(doc["id"]), str(doc["type"]), str(doc["subject"])
        except (ValueError, KeyError, TypeError):
            return [self._letter(record, "office", "not an alert document", None)]
        letters = []
        if self._hook is not None:
            result = await self._hook.deliver(OutboundEvent(doc_id, "office", subject, doc_type, value))
            if result.ok:
                self._delivered("webhook")
            else:
                reason = f"alert webhook: {result.error or 'delivery failed'}"
                extra = {"status": result.status, "attempts": result.attempts, "permanent": result.permanent}
                letters.append(self._letter(record, "office", reason, doc, **extra))
        recipients = self.contacts.recipients_of(doc)
        if self.email is not None and recipients:
            try:
                await self.email.send(self.email.compose(doc, recipients))
                self._delivered("email")
            except (EmailError, ValueError) as exc:
                letters.append(self._letter(record, "email", f"alert email: {exc}", doc))
        return letters

    async def _notice(self, record: ConsumerRecord[bytes, bytes]) -> list[tuple[bytes | None, bytes]]:
        value = record.value or b""
        try:
            doc = json.loads(value)
            unit = str(doc["data"]["receiving_unit"])
            outbound = OutboundEvent(str(doc["id"]), unit, str(doc["subject"]), str(doc["type"]), value)
        except (ValueError, KeyError, TypeError):
            return [self._letter(record, "one-stop", "not a notice document", None)]
        connector = self._connectors.get(unit)
        if connector is None:
            return []  # that unit has no push endpoint: it reads the notice at /v1/notices/{id}
        result = await connector.deliver(outbound)
        if result.ok:
            self._delivered(f"notice:{unit}")
            return []
        reason = f"apology notice: {result.error or 'delivery failed'}"
        extra = {"status": result.status, "attempts": result.attempts, "permanent": result.permanent}
        return [self._letter(record, unit, reason, doc, **extra)]
