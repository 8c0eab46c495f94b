"""The composition root: ``create_app(settings)`` builds the faust app; ``run_worker`` runs it.

Usage::

    app = create_app(load_settings())
    run_worker(app, settings)

No client, no configuration and no network at import time: everything is built inside the factory.
"""

from __future__ import annotations

import faust
from faust.web import Request, Response, View

from services.settings import Settings

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
    )

    @app.page("/healthz")
    async def healthz(web_view: View, request: Request) -> Response:
        return web_view.json({"status": "ok", "app": settings.app_id})

    return app


def run_worker(app: faust.App, settings: Settings) -> None:
    """Run the worker in the foreground until SIGINT/SIGTERM."""
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
    )
    worker.execute_from_commandline()
