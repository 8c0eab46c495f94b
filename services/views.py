"""Every worker's own pages: liveness and readiness.

GET /healthz   200 while the process serves requests
GET /readyz    200 once ready (stores caught up, partitions assigned and prepared, broker reachable),
               else 503 with what is missing
"""

from __future__ import annotations

from services.settings import Settings
from services.stream.worker import Worker
from services.web import Request, Response, View

__all__ = ["install_health"]


def install_health(worker: Worker, settings: Settings) -> None:
    @worker.web.page("/healthz")
    async def healthz(view: View, request: Request) -> Response:
        return view.json({"status": "ok", "app": settings.app_id, "instance": settings.instance})

    @worker.web.page("/readyz")
    async def readyz(view: View, request: Request) -> Response:
        state = worker.readiness()
        return view.json(state, status=200 if state["ready"] else 503)
