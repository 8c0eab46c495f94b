"""The relay's agents: the router (events -> ledger + outbound topics) and one delivery agent per agency.

Agents are thin: decode, call :func:`services.relay.routing.route` or a connector, forward the result.
Nothing is dropped: an undecodable record or an event that breaks its workflow goes to the quarantine
topic with its reason; a delivery that fails for good goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import faust

from connectors import AgencyEndpoint, DeliveryResult, OutboundEvent, PushConnector, build_connector
from schemas.codec import CONTENT_TYPE, CONTENT_TYPE_HEADER, to_json
from schemas.errors import EventDecodeError, EventValidationError
from schemas.events import parse_event
from services.relay.deadletter import DeadLetter, failure_site
from services.relay.routing import Decision, Ledger, RoutingContext, route
from services.relay.topics import RelayTopics

__all__ = ["RelayCounters", "install_agents", "load_ledger"]

log = logging.getLogger(__name__)
_HEADERS = [(CONTENT_TYPE_HEADER, CONTENT_TYPE.encode())]


@dataclass
class RelayCounters:
    """What the relay did since start, for /metrics and the demo summary."""

    routed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    emitted: int = 0
    delivered: dict[str, int] = field(default_factory=dict)
    dead_lettered: dict[str, int] = field(default_factory=dict)
    delivery_attempts: dict[str, int] = field(default_factory=dict)


def load_ledger(table: Any, code: str) -> Ledger | None:
    raw = table.get(code.encode())
    return Ledger.model_validate_json(raw) if raw else None


async def _quarantine(
    topics: RelayTopics,
    counters: RelayCounters,
    key: bytes | None,
    value: bytes,
    event: Any | None,
    reason_en: str,
    reason_vi: str,
    **extra: Any,
) -> Any:
    """Put ``value`` on the quarantine topic with its reason (and what we know of the event); count it.
    Returns the send's acknowledgement (a future) for a caller that must wait for it."""
    counters.quarantined += 1
    known = {"event_id": event.id, "event_type": event.type, "agency": event.source} if event is not None else {}
    record = DeadLetter.build(
        kind="quarantine",
        source_topic=topics.events.get_topic_name(),
        payload=value or b"",
        reason_en=reason_en,
        reason_vi=reason_vi,
        **{**known, **extra},
    )
    return await topics.quarantine.send(key=key, value=record.to_json())


def install_agents(
    app: faust.App,
    topics: RelayTopics,
    ctx: RoutingContext,
    endpoints: list[AgencyEndpoint],
    counters: RelayCounters,
    connector_options: dict[str, Any] | None = None,
) -> None:
    """Register the router and one delivery agent per configured push endpoint on ``app``."""

    @app.agent(topics.events, name="lienthong.router")
    async def router(stream: Any) -> None:
        async for record in stream.events():
            key, value = record.key, record.value
            try:
                event = parse_event(value)
            except (EventDecodeError, EventValidationError) as exc:
                log.warning("quarantined undecodable record key=%s", key)
                errors = exc.errors() if isinstance(exc, EventValidationError) else None
                reason = f"undecodable event: {exc}"[:500]
                vi = "Sự kiện không đọc được hoặc không hợp lệ."
                await _quarantine(topics, counters, key, value, None, reason, vi, field_errors=errors)
                continue
            if key != event.subject.encode():
                en, vi = "record key must be the dossier code (subject)", "Khóa bản ghi phải là mã hồ sơ."
                await _quarantine(topics, counters, key, value, event, en, vi)
                continue
            try:
                decision: Decision = route(load_ledger(topics.dossiers, event.subject), event, ctx)
            except Exception as exc:  # noqa: BLE001 - a bug (or a ledger that no longer validates) must not
                # stop the routing of every other dossier: the event waits in quarantine until redriven
                failure = failure_site(exc)
                log.error("router could not route event %s of %s: %s", event.id, event.type, failure)
                en, vi = f"router could not route the event: {failure}", f"Không định tuyến được sự kiện: {failure}"
                await _quarantine(topics, counters, key, value, event, en, vi)
                continue
            if decision.duplicate:
                counters.duplicates += 1
                continue
            if decision.quarantine is not None:
                q = decision.quarantine
                log.info("quarantined event %s (%s): %s", event.id, event.type, q.code)
                await _quarantine(topics, counters, key, value, event, f"{q.code}: {q.reason_en}", q.reason_vi)
                continue
            assert decision.ledger is not None
            # What the decision sends is acknowledged by Kafka before the ledger records the event as seen:
            # a crash in between replays the event and sends again (same ids, receivers drop repeats),
            # where the other order would read the replay as a duplicate and lose the handoff.
            acks = []
            for emit in decision.emits:
                outbound = topics.outbound.get(emit.agency)
                if outbound is None:  # an agency without an outbound topic cannot be told: say so, keep it
                    en = f"no outbound topic for agency {emit.agency}"
                    vi = f"Không có kênh gửi đi cho cơ quan {emit.agency}."
                    payload = to_json(emit.event)
                    acks.append(
                        await _quarantine(topics, counters, key, payload, emit.event, en, vi, agency=emit.agency)
                    )
                    continue
                acks.append(await outbound.send(key=key, value=to_json(emit.event), headers=_HEADERS))
                counters.emitted += 1
            for generated in decision.generated(event):
                acks.append(await topics.events.send(key=key, value=to_json(generated), headers=_HEADERS))
            await asyncio.gather(*acks)
            topics.dossiers[key] = decision.ledger.model_dump_json().encode()
            counters.routed += 1

    for endpoint in endpoints:
        if endpoint.kind == "pull" or endpoint.agency not in topics.outbound:
            continue
        _install_delivery(app, topics, endpoint, counters, connector_options or {})


def _install_delivery(
    app: faust.App,
    topics: RelayTopics,
    endpoint: AgencyEndpoint,
    counters: RelayCounters,
    options: dict[str, Any],
) -> None:
    agency = endpoint.agency
    source = topics.outbound[agency]

    async def deliver(stream: Any) -> AsyncIterator[None]:
        connector = build_connector(endpoint, **options)
        assert isinstance(connector, PushConnector)
        async with connector:
            async for record in stream.events():
                key, value = record.key, record.value
                outbound: OutboundEvent | None = None
                result: DeliveryResult | None = None
                try:
                    event = parse_event(value)
                except (EventDecodeError, EventValidationError) as exc:
                    reason = f"undeliverable record: {exc}"[:500]
                else:
                    outbound = OutboundEvent(event.id, agency, event.subject, event.type, value)
                    result = await connector.deliver(outbound)
                    counters.delivery_attempts[agency] = counters.delivery_attempts.get(agency, 0) + result.attempts
                    if result.ok:
                        counters.delivered[agency] = counters.delivered.get(agency, 0) + 1
                        yield None
                        continue
                    reason = result.error or "delivery failed"
                counters.dead_lettered[agency] = counters.dead_lettered.get(agency, 0) + 1
                log.warning("dead-lettered delivery to %s of %s", agency, outbound.event_id if outbound else key)
                letter = DeadLetter.build(
                    kind="delivery",
                    source_topic=source.get_topic_name(),
                    payload=value or b"",
                    event_id=outbound.event_id if outbound else None,
                    event_type=outbound.event_type if outbound else None,
                    agency=agency,
                    status=result.status if result else None,
                    attempts=result.attempts if result else 0,
                    permanent=result.permanent if result else True,
                    reason_en=reason,
                    reason_vi=f"Không chuyển được sự kiện tới {agency}: {reason}",
                )
                await topics.deadletter.send(key=key, value=letter.to_json())
                yield None

    deliver.__name__ = f"deliver_{agency.replace('-', '_')}"
    app.agent(source, name=f"lienthong.deliver.{agency}")(deliver)
