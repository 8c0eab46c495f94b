"""The JSON API behind the dashboard, the CSV exports, ``/metrics`` and ``/openapi-monitor.json``.

    GET /v1/monitor/version | overview | pairs | procedures | trend | near-due | overdue | evaluation
    GET /v1/monitor/dossiers/{code}        GET /v1/monitor/technical (Office only)
    GET /monitor/export/near-due.csv | overdue.csv | evaluation.csv
    GET /metrics                           Prometheus text (a bearer token when one is configured)
    GET /openapi-monitor.json              this API's OpenAPI 3.1 document

A caller is a signed-in dashboard user (session cookie) or an agency system signing its request as for the
ingress API; both see exactly what the dashboard shows them: the Office everything, an agency its own
handoffs. Refusals are JSON problems with Vietnamese and English messages (401, 403, 404, 400).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

from services.monitor import exports
from services.monitor.auth import Auth, Viewer
from services.monitor.dossier import dossier_view
from services.monitor.i18n import Texts
from services.monitor.metrics import CONTENT_TYPE, exposition
from services.monitor.openapi import openapi_document
from services.monitor.public import check_code
from services.monitor.service import Monitor
from services.monitor.snapshot import Scoped
from services.monitor.views import MONTH
from services.monitor.web import jsonable, query_of, texts_for, version_of
from services.relay.ingress import problem
from services.settings import Settings
from services.watchdog.state import workflow_of
from services.web import Response, View, Web

__all__ = ["install_api", "metrics_refusal"]

_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_LIST_QUERY = ("agency", "procedure", "sort", "order", "lang")


class BadQuery(Exception):
    """A query parameter the caller must fix: answered 400 with the field named."""

    def __init__(self, field: str, en: str, vi: str) -> None:
        super().__init__(en)
        self.field, self.en, self.vi = field, en, vi


@dataclass(frozen=True)
class CsvFile:
    name: str  # ASCII, without the date and extension
    body: bytes


_LOOPBACK = {"127.0.0.1", "::1"}


def metrics_refusal(
    token: str | None, authorization: str | None, remote: str | None
) -> tuple[int, str, str, str] | None:
    """Who may read ``/metrics`` (every agency's figures): with a token set, who presents it; without one,
    only a scraper on this machine (a Prometheus beside the worker). None: allowed; else the refusal."""
    if token is None:
        if remote in _LOOPBACK:
            return None
        en = "set LIENTHONG_MONITOR_METRICS_TOKEN to serve /metrics beyond this machine"
        vi = "Cần đặt LIENTHONG_MONITOR_METRICS_TOKEN để cho phép đọc /metrics từ máy khác."
        return 403, "forbidden", en, vi
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode()):
        return 401, "unauthenticated", "bearer token required", "Cần mã truy cập (bearer token)."
    return None


def install_api(app: Web, monitor: Monitor, auth: Auth, settings: Settings, check_key: bytes = b"") -> None:
    """``check_key``: derives the citizens' check codes (in a dossier's answer to the Office and the receiving
    unit, whose one-stop software prints it on the receipt)."""
    cal = monitor.calendar

    def csv_response(csv: CsvFile) -> Response:
        filename = f"{csv.name}-{monitor.now().astimezone(cal.tz):%Y-%m-%d}.csv"
        disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
        response = web.Response(
            body=csv.body,
            content_type="text/csv",
            charset="utf-8",
            headers={**_NO_STORE, "Content-Disposition": disposition},
        )
        return response

    def refuse(view: View, status: int, code: str, en: str, vi: str) -> Response:
        answer = problem(status, code, en, vi)
        response: Response = view.json(answer.body, status=status, headers=dict(_NO_STORE))
        return response

    def endpoint(path: str, office_only: bool = False) -> Callable[[Callable[..., Any]], None]:
        """A signed-in JSON GET: ``produce(viewer, scoped view, request, **match) -> body | None`` (None: 404)."""

        def wrap(produce: Callable[..., Any]) -> None:
            class Endpoint(View):
                async def get(self, request: Any, **match: str) -> Response:
                    viewer = await auth.viewer(request)
                    if viewer is None:
                        return refuse(self, 401, "unauthenticated", "sign in or sign the request", "Cần đăng nhập.")
                    if office_only and not viewer.office:
                        return refuse(self, 403, "forbidden", "Office staff only", "Chỉ dành cho Văn phòng.")
                    try:
                        body = produce(viewer, monitor.scoped(viewer.scope), request, **match)
                    except BadQuery as bad:
                        detail = [{"field": bad.field, "message_en": bad.en, "message_vi": bad.vi}]
                        answer = problem(400, "invalid_query", bad.en, bad.vi, detail)
                        bad_request: Response = self.json(answer.body, status=400, headers=dict(_NO_STORE))
                        return bad_request
                    if body is None:
                        return refuse(
                            self, 404, "not_found", "nothing here for you", "Không có dữ liệu trong phạm vi của bạn."
                        )
                    if isinstance(body, CsvFile):
                        return csv_response(body)
                    response: Response = self.json(jsonable(body), headers=dict(_NO_STORE))
                    return response

            Endpoint.__name__ = "MonitorApi" + "".join(p.title() for p in path.strip("/").replace("-", "/").split("/"))
            app.page(path)(Endpoint)

        return wrap

    def meta(viewer: Viewer, view: Scoped) -> dict[str, Any]:
        return {"as_of": view.as_of, "scope": viewer.scope, "agency": viewer.agency}

    @endpoint("/v1/monitor/version")
    def version(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        return {**meta(viewer, view), "version": version_of(view)}

    @endpoint("/v1/monitor/overview")
    def overview(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        body: dict[str, Any] = {**meta(viewer, view), "overview": view.overview(cal)}
        if viewer.office:
            groups = monitor.technical.groups.values()
            body["technical"] = {
                "groups": {
                    g.group: {"status": g.status, "lag": g.total_lag, "lag_seconds": g.max_lag_seconds} for g in groups
                },
                "dead_letters": monitor.dead_letters(),
                "quarantined": monitor.quarantined(),
            }
        return body

    @endpoint("/v1/monitor/pairs")
    def pairs(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        return {**meta(viewer, view), "pairs": view.pairs()}

    @endpoint("/v1/monitor/procedures")
    def procedures(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        return {**meta(viewer, view), "procedures": view.procedures()}

    @endpoint("/v1/monitor/trend")
    def trend(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        return {**meta(viewer, view), "daily": view.daily(cal), "weekly": view.weekly(cal)}

    def near_rows(view: Scoped, request: Any) -> Any:
        q = query_of(request, *_LIST_QUERY)
        return view.near_due(
            agency=q.get("agency"),
            procedure=q.get("procedure"),
            sort=q.get("sort", "due"),
            descending=q.get("order") == "desc",
        )

    def overdue_rows(view: Scoped, request: Any) -> Any:
        q = query_of(request, *_LIST_QUERY)
        return view.overdue(agency=q.get("agency"), procedure=q.get("procedure"))

    def month_of(request: Any) -> str:
        month = str(request.query.get("month") or f"{monitor.now().astimezone(cal.tz):%Y-%m}")
        if not MONTH.fullmatch(month):
            raise BadQuery("month", Texts("en")("bad_month"), Texts("vi")("bad_month"))
        return month

    @endpoint("/v1/monitor/near-due")
    def near_due(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        return {**meta(viewer, view), "items": near_rows(view, request)}

    @endpoint("/v1/monitor/overdue")
    def overdue(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        return {**meta(viewer, view), "items": overdue_rows(view, request)}

    @endpoint("/v1/monitor/evaluation")
    def evaluation(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        month = month_of(request)
        return {**meta(viewer, view), "month": month, "agencies": view.evaluation(month, cal)}

    @endpoint("/v1/monitor/dossiers/{code}")
    def dossier(viewer: Viewer, view: Scoped, request: Any, code: str) -> dict[str, Any] | None:
        state = monitor.dossier(code)
        if state is None:
            return None
        found = dossier_view(
            state, workflow_of(state, monitor.ctx), monitor.now(), cal, monitor.timeline_of(code), viewer.scope
        )
        if found is None:
            return None
        body: dict[str, Any] = {**meta(viewer, view), "dossier": found}
        if check_key and (viewer.office or viewer.agency == found.fact.receiving_unit):
            body["check_code"] = check_code(check_key, code)
        return body

    @endpoint("/v1/monitor/technical", office_only=True)
    def technical(viewer: Viewer, view: Scoped, request: Any) -> dict[str, Any]:
        tech = monitor.technical
        return {
            **meta(viewer, view),
            "groups": list(tech.groups.values()),
            "topics": tech.topics,
            "deliveries": monitor.deliveries(),
            "relay": {
                "routed": monitor.counters.routed,
                "duplicates": monitor.counters.duplicates,
                "quarantined": monitor.counters.quarantined,
                "emitted": monitor.counters.emitted,
            },
            "samples": tech.samples,
            "error": tech.last_error,
        }

    def texts(request: Any) -> Texts:
        return texts_for(request)

    @endpoint("/monitor/export/near-due.csv")
    def near_csv(viewer: Viewer, view: Scoped, request: Any) -> CsvFile:
        t = texts(request)
        rows = [exports.near_due_cells(r, t, plain=True) for r in near_rows(view, request)]
        return CsvFile("ho-so-sap-den-han", exports.to_csv(exports.NEAR_DUE_HEADER, rows, t))

    @endpoint("/monitor/export/overdue.csv")
    def overdue_csv(viewer: Viewer, view: Scoped, request: Any) -> CsvFile:
        t = texts(request)
        rows = [exports.overdue_cells(r, t, plain=True) for r in overdue_rows(view, request)]
        return CsvFile("ho-so-qua-han", exports.to_csv(exports.OVERDUE_HEADER, rows, t))

    @endpoint("/monitor/export/evaluation.csv")
    def evaluation_csv(viewer: Viewer, view: Scoped, request: Any) -> CsvFile:
        month = month_of(request)
        t = texts(request)
        rows = [exports.evaluation_cells(r, t, plain=True) for r in view.evaluation(month, cal)]
        return CsvFile(f"danh-gia-thang-{month}", exports.to_csv(exports.EVALUATION_HEADER, rows, t))

    token = settings.monitor_metrics_token.get_secret_value() if settings.monitor_metrics_token else None

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Any) -> Response:
            refusal = metrics_refusal(token, request.headers.get("Authorization"), request.remote)
            if refusal is not None:
                return refuse(self, *refusal)
            tech = monitor.technical
            text = exposition(
                monitor.scoped(None),
                list(tech.groups.values()),
                tech.topics,
                monitor.deliveries(),
                monitor.counters,
                cal,
            )
            response: Response = self.text(text, headers=dict(_NO_STORE))
            response.headers["Content-Type"] = CONTENT_TYPE
            return response

    @app.page("/openapi-monitor.json")
    class OpenApi(View):
        async def get(self, request: Any) -> Response:
            response: Response = self.json(openapi_document())
            return response
