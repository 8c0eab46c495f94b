"""The watchdog's HTTP views, served by the worker and authenticated like the ingress API.

    GET /v1/notices/{id}                 the apology notice, printable HTML (``?format=json``: the data)
    GET /v1/reports/late?month=YYYY-MM   the late-dossier report of a month (JSON)
    GET /v1/digest                       what is nearing its deadline now, grouped by agency (JSON)
    GET /v1/watchdog/stats               counters (no personal data, no authentication)

The one-stop-shop and the Office see everything; another agency sees what concerns it: its own
notices, the late dossiers it delayed (only its own causes), its own near-due handoffs. Every worker
holds a copy of every partition, so each answers for the whole city.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from schemas.agencies import default_agencies
from services.relay.ingress import Answer, Ingress, problem
from services.watchdog.digest import digest_document
from services.watchdog.engine import Watchdog
from services.watchdog.notices import render_notice
from services.watchdog.store import Storage
from services.web import Request, Response, View, Web

__all__ = ["install_views"]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_OVERSEERS = ("one-stop", "office")


def _sees_all(agency: str) -> bool:
    return agency in default_agencies() and default_agencies().kind_of(agency) in _OVERSEERS


def install_views(app: Web, ingress: Ingress, engine: Watchdog, storage: Storage) -> None:
    def refuse(view: View, answer: Answer) -> Response:
        response: Response = view.json(answer.body, status=answer.status)
        return response

    async def caller(request: Request) -> str | Answer:
        return await ingress.authenticate(request.method, request.path_qs, request.headers, b"")

    @app.page("/v1/notices/{notice_id}")
    class NoticePage(View):
        async def get(self, request: Request, notice_id: str) -> Response:
            agency = await caller(request)
            if isinstance(agency, Answer):
                return refuse(self, agency)
            notice = engine.notice(notice_id, storage.partitions())
            if notice is None or not (
                _sees_all(agency) or agency in (notice.responsible_agency, notice.receiving_unit)
            ):
                return refuse(
                    self, problem(404, "unknown_notice", f"no notice {notice_id} for you", "Không có phiếu này.")
                )
            if request.query.get("format") == "json":
                body: dict[str, Any] = notice.model_dump(mode="json")
                return self.json(body)
            return self.html(render_notice(notice))

    @app.page("/v1/reports/late")
    class LateReport(View):
        async def get(self, request: Request) -> Response:
            agency = await caller(request)
            if isinstance(agency, Answer):
                return refuse(self, agency)
            month = request.query.get("month", "")
            if not _MONTH.fullmatch(month):
                return refuse(
                    self,
                    problem(400, "bad_month", "give ?month=YYYY-MM", "Cần tham số ?month=YYYY-MM (ví dụ 2026-11)."),
                )
            report = engine.late_report(month, storage.partitions(), None if _sees_all(agency) else agency)
            return self.json(report)

    @app.page("/v1/digest")
    class Digest(View):
        async def get(self, request: Request) -> Response:
            agency = await caller(request)
            if isinstance(agency, Answer):
                return refuse(self, agency)
            now = engine.now()
            items = engine.near_due(storage.partitions(), now)
            return self.json(
                digest_document(items, now.astimezone(engine.calendar.tz), None if _sees_all(agency) else agency)
            )

    @app.page("/v1/watchdog/stats")
    async def stats(view: View, request: Request) -> Response:
        body = asdict(engine.counters)
        body["rules_version"] = engine.rules.version
        body["now"] = engine.now().isoformat()
        return view.json(body)
