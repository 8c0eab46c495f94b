"""The composition root: ``create_app(settings)`` builds the faust app; ``run_worker`` runs it.

Usage::

    app = create_app(load_settings())
    run_worker(app, settings)

No client, no configuration and no network at import time: everything is built inside the factory.
"""

from __future__ import annotations

import faust
from faust.web import Request, Response, View

from schemas.agencies import default_agencies
from schemas.workcalendar import default_calendar
from schemas.workflows import load_workflows
from services.monitor import install_monitor
from services.relay import Relay
from services.relay.agents import RelayCounters, install_agents, load_ledger
from services.relay.auth import CredentialStore, RequestVerifier
from services.relay.endpoints import load_endpoints
from services.relay.ingress import Ingress
from services.relay.pull import install_pullers
from services.relay.routing import RoutingContext
from services.relay.topics import make_topics
from services.relay.views import install_views
from services.settings import Settings
from services.watchdog import install_watchdog

__all__ = ["create_app", "run_worker"]


def create_app(settings: Settings) -> faust.App:
    """A fresh faust app wired with lienthong's flows (one per call: tests build their own)."""
    datadir = settings.data_dir / "worker"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{server}" for server in settings.servers],
        store="rocksdb://",
        datadir=str(datadir),
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        producer_acks=-1,
        autodiscover=False,
        timezone=settings.timezone,
        # faust's own /table and /router pages would serve table contents (citizens' names included)
        # without authentication: off. lienthong serves its data through authenticated views only.
        web_tables_enabled=False,
        web_router_enabled=False,
    )

    @app.page("/healthz")
    async def healthz(web_view: View, request: Request) -> Response:
        return web_view.json({"status": "ok", "app": settings.app_id})

    @app.page("/readyz")
    async def readyz(web_view: View, request: Request) -> Response:
        """Ready once the tables are restored and no rebalance is under way (whatever flows this worker runs)."""
        recovery = getattr(app.tables, "recovery", None)
        completed = getattr(recovery, "completed", None)
        ready = not app.rebalancing and (completed is None or completed.is_set())
        return web_view.json({"ready": ready}, status=200 if ready else 503)

    flows = settings.flow_set
    relay = install_relay(app, settings, run="relay" in flows)
    if "watchdog" in flows:
        watchdog = install_watchdog(app, settings, relay)
        if "monitor" in flows:
            install_monitor(app, settings, relay, watchdog)
    return app


def install_relay(app: faust.App, settings: Settings, run: bool = True) -> Relay:
    """The liaison relay: topics, the ledger table, the router, delivery agents and the ingress API.

    With ``run`` False (a worker for the watchdog and monitor only) just the parts the other flows build on:
    topic handles, the routing context and request authentication."""
    agencies = list(default_agencies())
    topics = make_topics(app, agencies, settings.topic_prefix)
    ctx = RoutingContext(workflows=load_workflows(), calendar=default_calendar())
    counters = RelayCounters()
    endpoints = load_endpoints(settings.endpoints_path)
    verifier = RequestVerifier(CredentialStore(settings.credentials_path))
    ingress = Ingress(verifier, ctx, lambda code: load_ledger(topics.dossiers, code))
    if run:
        install_agents(app, topics, ctx, endpoints, counters)
        install_views(app, topics, ingress)
        install_pullers(app, topics, ingress, endpoints, settings.data_dir)
    return Relay(topics=topics, ctx=ctx, counters=counters, ingress=ingress, endpoints=endpoints)


def run_worker(app: faust.App, settings: Settings) -> None:
    """Run the worker in the foreground until SIGINT/SIGTERM."""
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
    )
    worker.execute_from_commandline()
