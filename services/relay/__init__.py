"""The liaison relay: ingress API, router, delivery to the agencies. ``Relay`` is what the other flows build on.

Usage (from the composition root)::

    relay = install_relay(worker, settings, log, topics, ctx, verifier, nonces)
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors import AgencyEndpoint, PushConnector, build_connector
from services.relay.ingress import Ingress, StaleRead
from services.relay.router import RelayCounters, load_ledger
from services.relay.routing import Ledger, RoutingContext
from services.relay.topics import RelayTopics
from services.stream.kafka import partition_of
from services.stream.store import Store

if TYPE_CHECKING:
    from services.app import EventLog
    from services.relay.auth import RequestVerifier
    from services.relay.nonces import NonceLog
    from services.settings import Settings
    from services.stream.worker import Worker

__all__ = ["Relay", "StoredLedgers", "install_relay"]


@dataclass(frozen=True)
class Relay:
    """The relay as installed on one worker: its topics, routing context, counters, ingress, endpoints."""

    topics: RelayTopics
    ctx: RoutingContext
    counters: RelayCounters
    ingress: Ingress
    endpoints: list[AgencyEndpoint]


class StoredLedgers:
    """The ledgers as this worker's copy of the ``ledger`` store holds them (every dossier, any worker)."""

    def __init__(self, store: Store | None, partitions: int) -> None:
        self.store = store
        self.partitions = partitions

    def get(self, code: str) -> Ledger | None:
        return load_ledger(self.store, self.partitions, code, durable=True) if self.store is not None else None

    async def shows(self, code: str, event_id: str, timeout_s: float) -> bool:
        """Whether this copy of the dossier's ledger holds ``event_id`` (processed by the router), waiting up to
        ``timeout_s`` for it to arrive."""
        deadline = time.monotonic() + timeout_s
        while True:
            ledger = self.get(code)
            if ledger is not None and event_id in ledger.seen:
                return True
            remaining = deadline - time.monotonic()
            if self.store is None or remaining <= 0:
                return False
            await self.store.advance(min(remaining, 0.5))

    async def fresh(self, code: str) -> Ledger | None:
        if self.store is None:
            return None
        try:  # bounded as a whole: asking the changelog's end must not hang on a broker that is away
            wanted = [partition_of(code.encode(), self.partitions)]
            current = await asyncio.wait_for(self.store.caught_up(wanted, timeout_s=2.0), timeout=3.0)
        except Exception:  # noqa: BLE001 - the changelog's end could not be asked: not known to be current
            current = False
        if not current:
            raise StaleRead(code)
        return self.get(code)


def install_relay(
    worker: Worker,
    settings: Settings,
    log: EventLog,
    topics: RelayTopics,
    ctx: RoutingContext,
    verifier: RequestVerifier,
    nonces: NonceLog,
    run: bool = True,
) -> Relay:
    """The router (first flow of the event log), the delivery agents and the ingress API.

    With ``run`` False (a worker for the watchdog and monitor only) just what the other flows build on:
    topic names, the routing context and request authentication."""
    from services.relay.delivery import Delivery
    from services.relay.endpoints import load_endpoints
    from services.relay.publish import Publisher
    from services.relay.pull import install_pullers
    from services.relay.receipts import ReceiptBook
    from services.relay.router import Router
    from services.relay.views import install_views
    from services.stream.processor import Processor

    counters = RelayCounters()
    endpoints = load_endpoints(settings.endpoints_path)
    if not run:
        return Relay(
            topics, ctx, counters, Ingress(verifier, ctx, StoredLedgers(None, log.partitions), nonces), endpoints
        )
    ledger = worker.store("ledger", topics.ledger)
    ledgers = StoredLedgers(ledger, log.partitions)
    ingress = Ingress(verifier, ctx, ledgers, nonces)
    log.pipeline.flows.append(Router(topics, ctx, ledger, worker.producer, counters, log.partitions))
    log.pipeline.stores.append(ledger)

    book = ReceiptBook(worker.kafka, topics.receipts)
    worker.on_start(book.start)
    worker.on_stop(book.stop)
    publish = Publisher(
        worker.producer,
        book,
        topics,
        log.partitions,
        settings.ingress_timeout_s,
        routing=lambda: worker.ready,
    )
    install_views(worker.web, ingress, publish, lambda: worker.ready)
    install_pullers(worker, topics, ingress, publish, worker.producer, endpoints, settings.data_dir)

    pushes = {e.agency: e for e in endpoints if e.kind != "pull" and e.agency in topics.outbound}
    if pushes:
        connectors: dict[str, PushConnector] = {}
        delivery = Delivery(
            topics,
            worker.producer,
            counters,
            connectors,
            shown=ledgers.shows,
            concurrency=settings.delivery_concurrency,
        )

        async def open_connectors() -> None:
            for agency, endpoint in pushes.items():
                built = build_connector(endpoint)
                assert isinstance(built, PushConnector)
                connectors[agency] = await built.__aenter__()

        async def close_connectors() -> None:
            for connector in connectors.values():
                await connector.__aexit__(None, None, None)

        worker.on_start(open_connectors)
        worker.on_stop(close_connectors)
        worker.add(
            Processor(
                "delivery",
                worker.kafka,
                group=f"{settings.app_id}.deliver",
                topics=[topics.outbound[a] for a in sorted(pushes)],
                handler=delivery,
                instance_id=settings.instance,
                session_timeout_ms=int(settings.session_timeout_s * 1000),
                max_records=50,
            )
        )
    return Relay(topics, ctx, counters, ingress, endpoints)
