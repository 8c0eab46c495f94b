"""The OpenAPI 3.1 document of the monitor's JSON API (served at ``/openapi-monitor.json``).

Response schemas are generated from the very dataclasses the API serialises (pydantic's JSON Schema,
2020-12, which OpenAPI 3.1 uses), so the document cannot drift from the answers. The relay's ingress API
has its own document at ``/openapi.json``.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter

from services.monitor.business import Overview, PairLag, ProcedureLag, TrendPoint
from services.monitor.dossier import DossierView
from services.monitor.lists import AgencyEvaluation, NearDueRow, OverdueRow
from services.monitor.technical import DeliveryStats, GroupStatus

__all__ = ["PATHS", "openapi_document"]

_REF = "#/components/schemas/{model}"
_MODELS: tuple[type, ...] = (
    Overview,
    PairLag,
    ProcedureLag,
    TrendPoint,
    NearDueRow,
    OverdueRow,
    AgencyEvaluation,
    DossierView,
    GroupStatus,
    DeliveryStats,
)
_LIST_PARAMS = [
    {
        "name": "agency",
        "in": "query",
        "schema": {"type": "string"},
        "description": "only items this agency sent or holds",
    },
    {"name": "procedure", "in": "query", "schema": {"type": "string"}, "description": "procedure code (mã TTHC)"},
]
_SORT = [
    {"name": "sort", "in": "query", "schema": {"enum": ["due", "remaining", "dossier", "agency", "procedure", "step"]}},
    {"name": "order", "in": "query", "schema": {"enum": ["asc", "desc"]}},
]
_MONTH = [{"name": "month", "in": "query", "schema": {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"}}]
_LANG = [{"name": "lang", "in": "query", "schema": {"enum": ["vi", "en"]}, "description": "column titles' language"}]


def _ref(model: type) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _list(model: type) -> dict[str, Any]:
    return {"type": "array", "items": _ref(model)}


def _body(**fields: dict[str, Any]) -> dict[str, Any]:
    meta = {
        "as_of": {"type": "string", "format": "date-time"},
        "scope": {"type": ["string", "null"], "description": "null: the Office (everything); else the agency"},
        "agency": {"type": "string"},
    }
    return {"type": "object", "properties": {**meta, **fields}, "required": [*meta, *fields]}


# path -> (summary, body schema, parameters)
PATHS: dict[str, tuple[str, dict[str, Any], list[dict[str, Any]]]] = {
    "/v1/monitor/version": (
        "A hash that changes when the viewer's figures change (live updates)",
        _body(version={"type": "string"}),
        [],
    ),
    "/v1/monitor/overview": (
        "Overview tiles (and, for the Office, the connector's status)",
        _body(overview=_ref(Overview)),
        [],
    ),
    "/v1/monitor/pairs": ("Business lag per agency pair (the matrix)", _body(pairs=_list(PairLag)), []),
    "/v1/monitor/procedures": (
        "Business lag and Decision 766 figures per procedure",
        _body(procedures=_list(ProcedureLag)),
        [],
    ),
    "/v1/monitor/trend": (
        "Handoff turnaround and backlog per day (14) and ISO week (8)",
        _body(daily=_list(TrendPoint), weekly=_list(TrendPoint)),
        [],
    ),
    "/v1/monitor/near-due": (
        "Steps and dossiers nearing their deadline (the daily extraction)",
        _body(items=_list(NearDueRow)),
        _LIST_PARAMS + _SORT,
    ),
    "/v1/monitor/overdue": (
        "Late dossiers with causes and the responsible agency",
        _body(items=_list(OverdueRow)),
        _LIST_PARAMS,
    ),
    "/v1/monitor/evaluation": (
        "Monthly evaluation per agency (early / on time / late)",
        _body(month={"type": "string"}, agencies=_list(AgencyEvaluation)),
        _MONTH,
    ),
    "/v1/monitor/dossiers/{code}": (
        "A dossier's process-control slip and event timeline",
        _body(dossier=_ref(DossierView)),
        [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
    ),
    "/v1/monitor/technical": (
        "Consumer-group lag, Burrow-style status, dead letters, deliveries (Office only)",
        _body(groups=_list(GroupStatus), deliveries=_list(DeliveryStats), topics={"type": "object"}),
        [],
    ),
}
_FILES = {
    "/monitor/export/near-due.csv": ("The near-due list as CSV (UTF-8 with BOM)", _LIST_PARAMS + _SORT + _LANG),
    "/monitor/export/overdue.csv": ("The overdue list with causes as CSV (UTF-8 with BOM)", _LIST_PARAMS + _LANG),
    "/monitor/export/evaluation.csv": ("The monthly evaluation per agency as CSV (UTF-8 with BOM)", _MONTH + _LANG),
}
_PROBLEM = {
    "description": "a problem (bilingual message)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


@functools.cache
def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in _MODELS:
        schema = TypeAdapter(model).json_schema(ref_template=_REF, mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas["Problem"] = {
        "type": "object",
        "properties": {k: {"type": "string"} for k in ("code", "title", "message_vi", "message_en")}
        | {"status": {"type": "integer"}},
        "required": ["status", "code", "message_vi", "message_en"],
    }
    return schemas


def openapi_document() -> dict[str, Any]:
    security: list[dict[str, list[str]]] = [
        {"session": []},
        {"agencyKey": [], "agencyTimestamp": [], "agencyNonce": [], "agencySignature": []},
    ]
    paths: dict[str, Any] = {}
    for path, (summary, body, params) in PATHS.items():
        paths[path] = {
            "get": {
                "summary": summary,
                "parameters": params,
                "security": security,
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": body}}},
                    "400": _PROBLEM,
                    "401": _PROBLEM,
                    "403": _PROBLEM,
                    "404": _PROBLEM,
                },
            }
        }
    for path, (summary, params) in _FILES.items():
        paths[path] = {
            "get": {
                "summary": summary,
                "parameters": params,
                "security": security,
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "400": _PROBLEM,
                    "401": _PROBLEM,
                },
            }
        }
    paths["/metrics"] = {
        "get": {
            "summary": "Business and technical figures in the Prometheus text format",
            "description": "With LIENTHONG_MONITOR_METRICS_TOKEN set, for whoever presents it as a bearer token; "
            "without it, for a scraper on the worker's own machine only.",
            "security": [{"metricsToken": []}, {}],
            "responses": {
                "200": {
                    "description": "text/plain; version=0.0.4",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "401": {"description": "the token is set and was not presented"},
                "403": {"description": "no token is set and the request came from another machine"},
            },
        }
    }
    header = {"type": "apiKey", "in": "header"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lienthong liaison-lag monitor",
            "version": "1",
            "description": (
                "The JSON API behind the Office's dashboard (/monitor/). Sign in at /monitor/login (session cookie), "
                "or sign each request as for the ingress API (/openapi.json). The Office sees every agency; any other "
                "agency only the handoffs it sent or received. Times are ISO 8601 with their UTC offset; hours are "
                "working hours (office time, pauses excluded)."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "lt_session"},
                "agencyKey": {**header, "name": "X-Lienthong-Key"},
                "agencyTimestamp": {**header, "name": "X-Lienthong-Timestamp"},
                "agencyNonce": {**header, "name": "X-Lienthong-Nonce"},
                "agencySignature": {**header, "name": "X-Lienthong-Signature"},
                "metricsToken": {"type": "http", "scheme": "bearer"},
            },
        },
    }
