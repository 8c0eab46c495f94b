"""The composition root: ``create_app(settings)`` builds a worker; ``run_worker`` runs it.

Usage::

    worker = create_app(load_settings())
    run_worker(worker, settings)

No client, no configuration and no network at import time: everything is built inside the factory.

What a worker runs (``LIENTHONG_FLOWS``):

- the event log's consumer (group ``LIENTHONG_APP_ID``): the router, the watchdog and the monitor, in that
  order, on each batch of a partition (:class:`services.pipeline.Pipeline`);
- with the relay: the ingress API and the delivery to the agencies (group ``<app id>.deliver``);
- with the watchdog: its timer, and the delivery of alerts and notices (group ``<app id>.notify``).

Several workers with the same settings (each its own ``LIENTHONG_INSTANCE_ID`` and state directory) share
the partitions and behave as one.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.agencies import default_agencies
from schemas.workcalendar import default_calendar
from schemas.workflows import load_workflows
from services.monitor import install_monitor
from services.ops.topics import load_catalog
from services.pipeline import PartitionLocks, Pipeline
from services.relay import Relay, install_relay
from services.relay.auth import CredentialStore, RequestVerifier
from services.relay.nonces import NonceLog
from services.relay.routing import RoutingContext
from services.relay.topics import make_topics
from services.settings import Settings
from services.stream.kafka import KafkaClients
from services.stream.processor import Processor
from services.stream.worker import Worker, run
from services.views import install_health
from services.watchdog import install_watchdog

__all__ = ["EventLog", "create_app", "run_worker"]


@dataclass(frozen=True)
class EventLog:
    """The event log's consumer as the flows see it: where they plug in, and what this worker owns."""

    pipeline: Pipeline
    processor: Processor
    locks: PartitionLocks
    partitions: int

    def owned(self) -> list[int]:
        return self.processor.partitions()


def create_app(settings: Settings) -> Worker:
    """A fresh worker wired with lienthong's flows (one per call: tests build their own)."""
    kafka = KafkaClients(settings.kafka, client_id=settings.app_id)
    catalog = load_catalog(
        settings.topic_catalog, list(default_agencies()), settings.replication_factor, settings.topic_prefix
    )
    worker = Worker(
        kafka,
        settings.state_path,
        web_host=settings.web_host,
        web_port=settings.web_port,
        ensure_topics=lambda: _ensure_topics(settings, catalog),
    )
    topics = make_topics(list(default_agencies()), settings.topic_prefix)
    ctx = RoutingContext(workflows=load_workflows(), calendar=default_calendar())
    nonces = NonceLog(kafka, worker.producer, topics.nonces)
    worker.on_start(nonces.start)
    worker.on_stop(nonces.stop)
    locks = PartitionLocks()
    pipeline = Pipeline([], [], locks)
    processor = worker.add(
        Processor(
            "events",
            kafka,
            group=settings.app_id,
            topics=[topics.events],
            handler=pipeline,
            instance_id=settings.instance,
            session_timeout_ms=int(settings.session_timeout_s * 1000),
        )
    )
    log = EventLog(pipeline, processor, locks, catalog.get(topics.events).partitions)
    verifier = RequestVerifier(CredentialStore(settings.credentials_path))
    flows = settings.flow_set
    relay: Relay = install_relay(worker, settings, log, topics, ctx, verifier, nonces, run="relay" in flows)
    install_health(worker, settings)
    if "watchdog" in flows:
        watchdog = install_watchdog(worker, settings, log, relay)
        if "monitor" in flows:
            install_monitor(worker, settings, log, relay, watchdog)
    return worker


def _ensure_topics(settings: Settings, catalog: object) -> None:
    """Create the catalog's topics that are missing (what ``lienthong topics apply`` does; never alters)."""
    from kafka import KafkaAdminClient

    from services.ops.topics import Catalog, apply_catalog

    assert isinstance(catalog, Catalog)
    admin = KafkaAdminClient(**settings.kafka.kafka_python(client_id=f"{settings.app_id}-topics"))
    try:
        apply_catalog(admin, catalog.topics)
    finally:
        admin.close()


def run_worker(worker: Worker, settings: Settings) -> None:
    """Run the worker in the foreground until SIGINT/SIGTERM."""
    from services.logs import configure_logging

    configure_logging(settings.log_level)
    run(worker)
