"""The watchdog's agents and timer: thin wrappers around :class:`services.watchdog.engine.Watchdog`.

- ``lienthong.watchdog`` reads ``<prefix>.events`` (raw bytes, decoded here: a record that does not decode
  is skipped, the relay has already quarantined it), folds each event and sends what the engine decided;
- the timer reads the deadline index of this worker's active partitions every ``watchdog_tick_s``
  seconds (in batches, yielding to the event loop between them) and once a day publishes the digest;
- ``lienthong.watchdog.notify`` delivers alerts and digests to the Office's webhook and by email;
- ``lienthong.watchdog.notices`` pushes apology notices to the one-stop-shop's connector.

A failed delivery goes to ``<prefix>.deadletter`` with its reason, as the relay's deliveries do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import faust

from connectors import AgencyEndpoint, OutboundEvent, PushConnector, build_connector
from schemas.agencies import default_agencies
from schemas.errors import EventDecodeError, EventValidationError
from schemas.events import parse_event
from services.relay.deadletter import DeadLetter, failure_site
from services.relay.topics import RelayTopics
from services.watchdog.alerts import to_bytes
from services.watchdog.engine import Outbox, Watchdog
from services.watchdog.notifiers import Contacts, EmailError, EmailNotifier
from services.watchdog.store import Storage
from services.watchdog.tables import WatchdogTopics

__all__ = ["install_agents", "ready"]

log = logging.getLogger(__name__)
_HEADERS = [("content-type", b"application/cloudevents+json; charset=utf-8")]


def ready(app: faust.App) -> bool:
    """Partitions assigned and tables recovered: the index may be read."""
    recovery = getattr(app.tables, "recovery", None)
    completed = getattr(recovery, "completed", None)
    return not app.rebalancing and (completed is None or completed.is_set())


def install_agents(
    app: faust.App,
    relay_topics: RelayTopics,
    topics: WatchdogTopics,
    engine: Watchdog,
    index: Storage,
    tick_s: float,
    endpoints: list[AgencyEndpoint],
    webhook: AgencyEndpoint | None,
    email: EmailNotifier | None,
    contacts: Contacts,
) -> None:
    counters = engine.counters

    async def send(out: Outbox) -> None:
        """Send, wait for Kafka's acknowledgement, then let the engine drop the records from its outboxes."""
        if not out:
            return
        try:
            acks = [await topics.alerts.send(key=k, value=v, headers=_HEADERS) for k, v in out.alerts]
            acks += [await topics.notices.send(key=k, value=v, headers=_HEADERS) for k, v in out.notices]
            await asyncio.gather(*acks)
        except Exception as exc:  # noqa: BLE001 - Kafka unavailable: the records stay pending, sent again later
            failure = failure_site(exc)
            log.error("watchdog could not send %d record(s), kept to send again: %s", len(out.pending), failure)
            engine.release(out)
            return
        engine.confirm(out)

    @app.agent(relay_topics.events, name="lienthong.watchdog")
    async def watch(stream: Any) -> AsyncIterator[None]:
        async for record in stream.events():
            try:
                event = parse_event(record.value)
            except (EventDecodeError, EventValidationError):
                counters.undecodable += 1  # quarantined by the router; nothing to watch
                continue
            if record.key != event.subject.encode():
                counters.ignored += 1
                continue
            try:
                out = engine.on_event(record.message.partition, event)
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the watch of every other dossier
                # Kept on the quarantine topic with its reason (redrive replays it once fixed); the log names
                # the failure and where, never the exception's text, which may quote a citizen's data.
                counters.errors += 1
                failure = failure_site(exc)
                log.error("watchdog could not evaluate event %s of %s: %s", event.id, event.type, failure)
                letter = DeadLetter.build(
                    kind="quarantine",
                    source_topic=relay_topics.events.get_topic_name(),
                    payload=record.value or b"",
                    event_id=event.id,
                    event_type=event.type,
                    agency=event.source,
                    reason_en=f"watchdog could not evaluate the event: {failure}",
                    reason_vi=f"Bộ giám sát hạn không xử lý được sự kiện: {failure}",
                )
                await relay_topics.quarantine.send(key=record.key, value=letter.to_json())
                continue
            await send(out)
            yield None

    seen_generation: list[object] = [None]

    async def tick() -> None:
        if not ready(app):
            return
        started = time.perf_counter()
        partitions = index.partitions()
        generation = getattr(app, "consumer_generation_id", None)
        if generation != seen_generation[0]:  # after any rebalance, scan the index from its start again
            seen_generation[0] = generation
            engine.forget_cursors([])
        now = engine.now()
        for partition in partitions:
            more = True
            while more and not app.rebalancing:
                out, more = engine.on_tick(partition, now)
                await send(out)
                await asyncio.sleep(0)  # the web server and the agents get their turn between batches
        digest = engine.maybe_digest(partitions, now, mark=False) if partitions and not app.rebalancing else None
        if digest is not None:
            try:
                await (await topics.alerts.send(key=b"digest", value=to_bytes(digest), headers=_HEADERS))
            except Exception as exc:  # noqa: BLE001 - Kafka unavailable: unmarked, the next tick sends it again
                log.error("watchdog could not send the digest, trying again: %s", failure_site(exc))
            else:
                engine.mark_digest(partitions, now)  # only once acknowledged: a stop in between sends it again
        counters.ticks += 1
        counters.last_tick_at = now.isoformat()
        counters.last_tick_ms = round((time.perf_counter() - started) * 1000, 3)

    app.timer(interval=tick_s, name="lienthong.watchdog.tick")(tick)

    async def dead_letter(
        key: bytes | None, value: bytes, source: str, agency: str, reason: str, doc: dict[str, Any] | None, **extra: Any
    ) -> None:
        counters.dead_lettered[agency] = counters.dead_lettered.get(agency, 0) + 1
        log.warning("dead-lettered watchdog delivery to %s of %s", agency, doc.get("id") if doc else key)
        letter = DeadLetter.build(
            kind="delivery",
            source_topic=source,
            payload=value,
            event_id=doc.get("id") if doc else None,
            event_type=doc.get("type") if doc else None,
            agency=agency,
            reason_en=reason[:500],
            reason_vi=f"Không gửi được thông báo tới {agency}: {reason}"[:500],
            **extra,
        )
        await relay_topics.deadletter.send(key=key, value=letter.to_json())

    def delivered(channel: str) -> None:
        counters.delivered[channel] = counters.delivered.get(channel, 0) + 1

    if webhook is not None or email is not None:
        alerts_name = topics.alerts.get_topic_name()

        @app.agent(topics.alerts, name="lienthong.watchdog.notify")
        async def notify(stream: Any) -> AsyncIterator[None]:
            async with AsyncExitStack() as stack:
                hook: PushConnector | None = None
                if webhook is not None:
                    built = build_connector(webhook)
                    assert isinstance(built, PushConnector)
                    hook = await stack.enter_async_context(built)
                async for record in stream.events():
                    key, value = record.key, record.value or b""
                    try:
                        doc = json.loads(value)
                        doc_id, doc_type, subject = str(doc["id"]), str(doc["type"]), str(doc["subject"])
                    except (ValueError, KeyError, TypeError):
                        await dead_letter(key, value, alerts_name, "office", "not an alert document", None)
                        continue
                    if hook is not None:
                        result = await hook.deliver(OutboundEvent(doc_id, "office", subject, doc_type, value))
                        if result.ok:
                            delivered("webhook")
                        else:
                            await dead_letter(
                                key,
                                value,
                                alerts_name,
                                "office",
                                f"alert webhook: {result.error or 'delivery failed'}",
                                doc,
                                status=result.status,
                                attempts=result.attempts,
                                permanent=result.permanent,
                            )
                    recipients = contacts.recipients_of(doc)
                    if email is not None and recipients:
                        try:
                            await email.send(email.compose(doc, recipients))
                            delivered("email")
                        except (EmailError, ValueError) as exc:
                            await dead_letter(key, value, alerts_name, "email", f"alert email: {exc}", doc)
                    yield None

    push = {
        e.agency: e
        for e in endpoints
        if e.kind != "pull" and e.agency in default_agencies() and default_agencies().kind_of(e.agency) == "one-stop"
    }
    if push:
        notices_name = topics.notices.get_topic_name()

        @app.agent(topics.notices, name="lienthong.watchdog.notices")
        async def deliver_notices(stream: Any) -> AsyncIterator[None]:
            async with AsyncExitStack() as stack:
                connectors: dict[str, PushConnector] = {}
                for agency, endpoint in push.items():
                    built = build_connector(endpoint)
                    assert isinstance(built, PushConnector)
                    connectors[agency] = await stack.enter_async_context(built)
                async for record in stream.events():
                    key, value = record.key, record.value or b""
                    try:
                        doc = json.loads(value)
                        unit = str(doc["data"]["receiving_unit"])
                        outbound = OutboundEvent(str(doc["id"]), unit, str(doc["subject"]), str(doc["type"]), value)
                    except (ValueError, KeyError, TypeError):
                        await dead_letter(key, value, notices_name, "one-stop", "not a notice document", None)
                        continue
                    connector = connectors.get(unit)
                    if connector is None:
                        continue  # that unit has no push endpoint: it reads the notice at /v1/notices/{id}
                    result = await connector.deliver(outbound)
                    if result.ok:
                        delivered(f"notice:{unit}")
                    else:
                        await dead_letter(
                            key,
                            value,
                            notices_name,
                            unit,
                            f"apology notice: {result.error or 'delivery failed'}",
                            doc,
                            status=result.status,
                            attempts=result.attempts,
                            permanent=result.permanent,
                        )
                    yield None
