"""The OpenAPI 3.1 document of the ingress API, generated from the pydantic event models.

OpenAPI 3.1 uses JSON Schema 2020-12, which is what pydantic emits, so the event schemas go into
``components.schemas`` unchanged (only ``$ref`` targets are re-pointed).
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter

from schemas.events import EVENT_TYPES, Event

__all__ = ["TASKS", "openapi_document"]

# Task-shaped endpoints: POST /v1/dossiers/{code}/handoffs/{handoff_id}/{action} -> event type.
TASKS: dict[str, str] = {
    "accept": "vn.lienthong.handoff.accepted",
    "return": "vn.lienthong.handoff.returned",
    "verification": "vn.lienthong.verification.posted",
    "listing-started": "vn.lienthong.listing.started",
    "listing-ended": "vn.lienthong.listing.ended",
    "cadastral": "vn.lienthong.cadastral.sent",
    "obligations": "vn.lienthong.obligation.determined",
    "payment": "vn.lienthong.obligation.paid",
    "supplement": "vn.lienthong.supplement.requested",
    "result": "vn.lienthong.result.ready",
}

_AUTH_HEADERS = ["X-Lienthong-Key", "X-Lienthong-Timestamp", "X-Lienthong-Nonce", "X-Lienthong-Signature"]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before sending again", "schema": {"type": "string"}}}
_ERRORS = {
    "400": _problem("Body is not UTF-8 JSON"),
    "401": _problem("Missing, bad, stale or replayed signature; unknown or revoked key"),
    "403": _problem("The agency may not act here (not its handoff, not its source, not the one-stop-shop)"),
    "404": _problem("Unknown dossier (or one not visible to you)"),
    "409": _problem(
        "The event breaks the dossier's workflow (step out of order, dossier closed), or its id was "
        "accepted before for another event"
    ),
    "413": _problem("Body larger than 256 KiB"),
    "415": _problem("Content-Type is not application/json or application/cloudevents+json"),
    "422": _problem("Invalid event: `errors` lists each field with a Vietnamese and an English message"),
    "503": {
        **_problem(
            "Not ready, or Kafka or the router did not answer in time: nothing was promised; send the same "
            "event again after Retry-After (it is stored once)"
        ),
        "headers": _RETRY_AFTER,
    },
}

_ACCEPTED = {
    "description": "Accepted: stored by Kafka (acks=all) and recorded in the dossier's ledger by the router. A "
    "repeat of the same event id gets the same answer with `Idempotent-Replayed: true`.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "Dossier code (mã hồ sơ)",
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "minLength": 3, "maxLength": 64},
}
_HANDOFF = {
    "name": "handoff_id",
    "in": "path",
    "required": True,
    "description": "The handoff addressed to you (its id in the dossier's `open_handoffs`)",
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", "maxLength": 128},
}


def _data_name(event_type: str) -> str:
    cls = EVENT_TYPES[event_type]
    return str(cls.model_fields["data"].annotation.__name__)  # type: ignore[union-attr]


def _task_body(components: dict[str, Any], event_type: str) -> dict[str, Any]:
    """The data of ``event_type`` as a task endpoint takes it: ``handoff_id`` comes from the path (a body may
    repeat it, the same)."""
    name = _data_name(event_type)
    body = dict(components[name])
    body["required"] = [f for f in body.get("required", []) if f != "handoff_id"]
    components[f"{name}Task"] = body
    return {"$ref": f"#/components/schemas/{name}Task"}


_OBJECT: dict[str, Any] = {"type": "object"}
_READY: dict[str, Any] = {"type": "object", "required": ["ready"], "properties": {"ready": {"type": "boolean"}}}


@functools.cache
def openapi_document() -> dict[str, Any]:
    schema = TypeAdapter(Event).json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = dict(schema.pop("$defs", {}))
    components["Event"] = schema
    components["Problem"] = {
        "type": "object",
        "required": ["status", "code", "message_vi", "message_en"],
        "properties": {
            "status": {"type": "integer"},
            "code": {"type": "string"},
            "title": {"type": "string"},
            "message_vi": {"type": "string"},
            "message_en": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {f: {"type": "string"} for f in ("field", "message_vi", "message_en")},
                },
            },
        },
    }
    components["Accepted"] = {
        "type": "object",
        "required": ["status", "id", "type", "subject"],
        "properties": {
            "status": {"const": "accepted"},
            "id": {"type": "string"},
            "type": {"type": "string"},
            "subject": {"type": "string"},
        },
    }
    auth: list[dict[str, list[str]]] = [{"LienthongSignature": []}]
    paths: dict[str, Any] = {
        "/v1/events": {
            "post": {
                "summary": "Post a dossier event (CloudEvents JSON, structured mode)",
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/cloudevents+json": {"schema": {"$ref": "#/components/schemas/Event"}},
                        "application/json": {"schema": {"$ref": "#/components/schemas/Event"}},
                    },
                },
                "responses": {"202": _ACCEPTED, **_ERRORS},
            }
        },
        "/v1/dossiers/{code}": {
            "get": {
                "summary": "Liaison state of a dossier and its open handoffs (an agency sees its own handoffs)",
                "security": auth,
                "parameters": [_CODE],
                "responses": {
                    "200": {
                        "description": "The dossier's ledger",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": _ERRORS["401"],
                    "404": _ERRORS["404"],
                    "503": _ERRORS["503"],
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "responses": {
                    "200": {"description": "The worker runs", "content": {"application/json": {"schema": _OBJECT}}}
                },
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness: stores caught up, partitions assigned, broker reachable",
                "responses": {
                    "200": {"description": "Ready", "content": {"application/json": {"schema": _READY}}},
                    "503": {"description": "Not ready (yet)", "content": {"application/json": {"schema": _READY}}},
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": _OBJECT}}}
                },
            }
        },
    }
    for action, event_type in TASKS.items():
        paths[f"/v1/dossiers/{{code}}/handoffs/{{handoff_id}}/{action}"] = {
            "post": {
                "summary": f"Post a {event_type} on a handoff addressed to you (the envelope is built for you)",
                "security": auth,
                "parameters": [
                    _CODE,
                    _HANDOFF,
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Becomes the event id: a retry with the same key is stored once",
                        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", "maxLength": 128},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _task_body(components, event_type)}},
                },
                "responses": {"202": _ACCEPTED, **_ERRORS},
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lienthong ingress API",
            "version": "1",
            "description": "Agencies post dossier events here. Every request is signed: "
            + ", ".join(_AUTH_HEADERS)
            + ". Signature = hex HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nsha256hex(body)). "
            "Any other method on these paths is answered 405 (JSON problem, with Allow); any other path 404. "
            "Step-by-step guide: docs/integrators.md.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "LienthongSignature": {"type": "apiKey", "in": "header", "name": "X-Lienthong-Signature"}
            },
        },
    }
