"""The ingress HTTP API served by the worker.

    POST /v1/events                                           a CloudEvent (structured JSON)
    POST /v1/dossiers/{code}/handoffs/{handoff_id}/{action}   task-shaped: accept, return, verification, ...
    GET  /v1/dossiers/{code}                                  liaison state and open handoffs
    GET  /openapi.json                                        this API (/healthz, /readyz: every worker)

202 means durable and routed: the answer is sent only after Kafka acknowledged the write (acks=all) and the
router recorded the event in the dossier's ledger (see :mod:`services.relay.publish`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from schemas.agencies import default_agencies
from services.relay.ingress import MAX_BODY, Answer, Ingress, StaleRead, load_json, problem, unavailable
from services.relay.openapi import TASKS, openapi_document
from services.relay.publish import Publisher
from services.relay.routing import Ledger
from services.web import Request, Response, View, Web

__all__ = ["install_views"]

log = logging.getLogger(__name__)


def _respond(view: View, answer: Answer) -> Response:
    response: Response = view.json(answer.body, status=answer.status)
    for name, value in (answer.headers or {}).items():
        response.headers[name] = value
    return response


def _ledger_view(ledger: Ledger, agency: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(ledger.model_dump_json(exclude={"seen", "prints"}))
    body["open_handoffs"] = [h for h in body["handoffs"].values() if h["status"] == "open" and not h["internal"]]
    if default_agencies().kind_of(agency) not in ("one-stop", "office"):
        body["handoffs"] = {k: h for k, h in body["handoffs"].items() if agency in (h["from_agency"], h["to_agency"])}
        body["open_handoffs"] = [h for h in body["open_handoffs"] if agency in (h["from_agency"], h["to_agency"])]
    return body


def install_views(app: Web, ingress: Ingress, publish: Publisher, ready: Callable[[], bool]) -> None:
    """``ready``: False while this worker cannot route (starting, rebalancing, cut off from Kafka): every
    request is then answered 503 with ``Retry-After`` at once, before anything is decided."""

    def not_ready() -> Answer | None:
        if ready():
            return None
        return unavailable(
            "this worker is not ready (starting, rebalancing or cut off from Kafka); retry",
            "Hệ thống đang khởi động hoặc mất kết nối Kafka; vui lòng gửi lại sau.",
        )

    async def read_body(request: Request) -> bytes | Answer:
        refused = ingress.check_body(request.headers.get("Content-Type"), request.content_length)
        if refused is not None:
            return refused
        # read() returns what has arrived so far, not the whole body: read until the end (or one byte too many)
        chunks: list[bytes] = []
        size = 0
        while chunk := await request.content.read(MAX_BODY + 1 - size):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY:
                return problem(413, "too_large", f"request body larger than {MAX_BODY} bytes", "Nội dung quá lớn.")
        return b"".join(chunks)

    async def accept(request: Request, raw: bytes | dict[str, Any], body: bytes) -> Answer:
        agency = await ingress.authenticate(request.method, request.path_qs, request.headers, body)
        if isinstance(agency, Answer):
            return agency
        event, refusal = await ingress.decide(agency, raw)
        if refusal is not None:
            return refusal
        return await publish(event)

    @app.page("/v1/events")
    class Events(View):
        async def post(self, request: Request) -> Response:
            if (refused := not_ready()) is not None:
                return _respond(self, refused)
            body = await read_body(request)
            if isinstance(body, Answer):
                return _respond(self, body)
            return _respond(self, await accept(request, body, body))

    @app.page("/v1/dossiers/{code}/handoffs/{handoff_id}/{action}")
    class HandoffTask(View):
        async def post(self, request: Request, code: str, handoff_id: str, action: str) -> Response:
            event_type = TASKS.get(action)
            if event_type is None:
                return _respond(
                    self,
                    problem(
                        404,
                        "unknown_action",
                        f"unknown action {action!r}; one of {', '.join(TASKS)}",
                        f"Không có thao tác {action!r}.",
                    ),
                )
            if (refused := not_ready()) is not None:
                return _respond(self, refused)
            body = await read_body(request)
            if isinstance(body, Answer):
                return _respond(self, body)
            agency = await ingress.authenticate(request.method, request.path_qs, request.headers, body)
            if isinstance(agency, Answer):
                return _respond(self, agency)
            try:
                data = load_json(body)
            except ValueError:
                return _respond(self, problem(400, "bad_json", "body is not JSON", "Nội dung không phải JSON."))
            if not isinstance(data, dict):
                return _respond(
                    self, problem(422, "invalid_event", "body must be a JSON object", "Cần đối tượng JSON.")
                )
            if data.setdefault("handoff_id", handoff_id) != handoff_id:
                field = {
                    "field": "data.handoff_id",
                    "message_vi": "Khác với phiếu chuyển trong đường dẫn.",
                    "message_en": "differs from the handoff in the path",
                }
                en, vi = "the body names another handoff than the path", "Nội dung ghi phiếu chuyển khác đường dẫn."
                return _respond(self, problem(422, "invalid_event", en, vi, [field]))
            raw = Ingress.envelope(agency, code, event_type, data, request.headers.get("Idempotency-Key"))
            event, refusal = await ingress.decide(agency, raw)
            return _respond(self, refusal if refusal is not None else await publish(event))

    @app.page("/v1/dossiers/{code}")
    class Dossier(View):
        async def get(self, request: Request, code: str) -> Response:
            if (refused := not_ready()) is not None:
                return _respond(self, refused)
            agency = await ingress.authenticate(request.method, request.path_qs, request.headers, b"")
            if isinstance(agency, Answer):
                return _respond(self, agency)
            try:
                # read your writes: this worker's copy first catches up with what the changelog holds now
                ledger = await ingress.ledgers.fresh(code)
            except StaleRead:
                return _respond(self, unavailable("cannot read the dossier now; retry", "Hệ thống tạm thời bận."))
            visible = ledger is not None and (
                default_agencies().kind_of(agency) in ("one-stop", "office")
                or any(agency in (h.from_agency, h.to_agency) for h in ledger.handoffs.values())
            )
            if ledger is None or not visible:
                return _respond(
                    self,
                    problem(404, "unknown_dossier", f"no dossier {code} for you", f"Không có hồ sơ {code} cho bạn."),
                )
            return self.json(_ledger_view(ledger, agency))

    @app.page("/openapi.json")
    async def openapi(view: View, request: Request) -> Response:
        return view.json(openapi_document())
