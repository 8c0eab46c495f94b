"""The ingress decision, without HTTP: authenticate, validate, authorise, deduplicate; answer or refuse.

Every method returns an :class:`Answer` (status + JSON body) or the event to publish, so the web layer
only translates. Bad input is a 4xx with field-level detail in Vietnamese and English, never a 500.
Authorisation runs the router's own decision on the dossier's ledger as this worker holds it: what the
router would quarantine, the ingress refuses at once (403 for acting where one does not belong, 404 for a
dossier never received, 409 for a step out of order). Before refusing it makes sure its copy of that
dossier's partition is up to date (another worker may have just routed the step that makes it valid), so
several workers answer as one would. The router still has the last word (:mod:`services.relay.publish`).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from schemas.agencies import default_agencies
from schemas.errors import EventDecodeError, EventValidationError
from schemas.events import EVENT_TYPES, TZ, parse_event
from services.relay.auth import AuthError, RequestVerifier
from services.relay.routing import Ledger, RoutingContext, fingerprint, route

__all__ = [
    "MAX_BODY",
    "Answer",
    "Ingress",
    "Ledgers",
    "Nonces",
    "StaleRead",
    "load_json",
    "problem",
    "unavailable",
]

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
_FORBIDDEN = {"not_addressed", "no_open_handoff", "wrong_sender"}
_NOT_FOUND = {"unknown_dossier"}


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] | None = None


def problem(status: int, code: str, en: str, vi: str, errors: list[dict[str, str]] | None = None) -> Answer:
    """An RFC 9457-style problem body with bilingual text and, for 422, the field errors."""
    body: dict[str, Any] = {"status": status, "code": code, "title": en, "message_vi": vi, "message_en": en}
    if errors is not None:
        body["errors"] = errors
    return Answer(status, body)


def load_json(raw: bytes | str) -> Any:
    """``json.loads`` for untrusted bodies: ValueError for anything that is not JSON, however it fails
    (deeply nested input exhausts the recursion limit rather than raising a JSON error)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError("body is not JSON") from exc


def unavailable(en: str, vi: str, retry_after_s: int = 2) -> Answer:
    """503 with ``Retry-After``: nothing was decided; the same request (signed anew) may be sent again."""
    answer = problem(503, "unavailable", en, vi)
    return Answer(503, answer.body, {"Retry-After": str(retry_after_s)})


class StaleRead(Exception):
    """This worker's copy of a dossier's partition could not be brought up to date in time."""


class Ledgers(Protocol):
    """The dossiers' ledgers as this worker holds them."""

    def get(self, code: str) -> Ledger | None:
        """What the changelog acknowledged (never a write still in flight)."""

    async def fresh(self, code: str) -> Ledger | None:
        """The same, once this worker's copy of the dossier's partition caught up with the changelog; raises
        :class:`StaleRead` when it could not (the caller answers 503 rather than a false 404 or 409)."""


class Nonces(Protocol):
    async def claim(self, marker: str) -> bool: ...


def accepted(event: Any) -> Answer:
    """202: the event is in its dossier's ledger (the same body for the first answer and any repeat)."""
    return Answer(202, {"status": "accepted", "id": event.id, "type": event.type, "subject": event.subject})


def replayed(event: Any) -> Answer:
    return Answer(202, accepted(event).body, {"Idempotent-Replayed": "true"})


def conflict(event: Any) -> Answer:
    return problem(
        409,
        "idempotency_conflict",
        f"event id {event.id} was already accepted for another event; give each event its own id",
        f"Mã sự kiện {event.id} đã được dùng cho một sự kiện khác; mỗi sự kiện cần một mã riêng.",
    )


def refusal_of(code: str, en: str, vi: str) -> Answer:
    """The answer for a reason the router would quarantine the event for."""
    status = 403 if code in _FORBIDDEN else 404 if code in _NOT_FOUND else 409
    return problem(status, code, en, vi)


class Ingress:
    """Everything a signed request is checked for before its event is published."""

    def __init__(self, verifier: RequestVerifier, ctx: RoutingContext, ledgers: Ledgers, nonces: Nonces) -> None:
        self.verifier = verifier
        self.ctx = ctx
        self.ledgers = ledgers
        self.nonces = nonces

    async def authenticate(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> str | Answer:
        """The agency that signed the request, or the refusal (401; 503 if the nonce log cannot be reached)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            agency, marker = self.verifier.verify(method, path, lowered, body)
        except AuthError as exc:
            return problem(401, "unauthenticated", exc.reason_en, exc.reason_vi)
        try:
            fresh = await self.nonces.claim(marker)
        except Exception:  # noqa: BLE001 - Kafka unreachable: the request cannot be proven new
            return unavailable(
                "cannot check the request's nonce now; retry", "Hệ thống tạm thời bận; vui lòng thử lại."
            )
        if not fresh:
            return problem(
                401,
                "unauthenticated",
                "replayed request (nonce already used)",
                "Yêu cầu bị phát lại (nonce đã được dùng).",
            )
        return agency

    def check_body(self, content_type: str | None, length: int | None) -> Answer | None:
        if length is not None and length > MAX_BODY:
            return problem(
                413,
                "too_large",
                f"request body larger than {MAX_BODY} bytes",
                f"Nội dung yêu cầu vượt quá {MAX_BODY} byte.",
            )
        media = (content_type or "").split(";")[0].strip().lower()
        if media not in ("application/json", "application/cloudevents+json"):
            return problem(
                415,
                "unsupported_media_type",
                "send Content-Type: application/json or application/cloudevents+json",
                "Cần gửi Content-Type: application/json hoặc application/cloudevents+json.",
            )
        return None

    async def decide(self, agency: str, raw: bytes | dict[str, Any]) -> tuple[Any, Answer | None]:
        """Validate and authorise; returns (event, None) to publish, or (None, refusal)."""
        pre = self._precheck(agency, raw)
        if pre is not None:
            return None, pre
        try:
            event = parse_event(raw)
        except EventDecodeError as exc:
            return None, problem(400, "bad_json", str(exc), "Nội dung không phải JSON hợp lệ (UTF-8).")
        except EventValidationError as exc:
            return None, problem(
                422,
                "invalid_event",
                "the event is invalid: see errors",
                "Sự kiện không hợp lệ: xem danh sách lỗi.",
                exc.errors(),
            )
        if event.source != agency:
            return None, problem(
                403,
                "wrong_source",
                f"you are authenticated as {agency} and may only send events with source {agency}",
                f"Bạn đăng nhập với tư cách {agency}, chỉ được gửi sự kiện có source là {agency}.",
            )
        answer = self._judge(self.ledgers.get(event.subject), event)
        if answer is not None and answer.status >= 400:  # maybe stale: look again at the dossier's partition
            try:
                answer = self._judge(await self.ledgers.fresh(event.subject), event)
            except StaleRead:
                return None, unavailable(
                    "cannot check the dossier now; retry", "Hệ thống tạm thời bận; vui lòng thử lại."
                )
        return (None, answer) if answer is not None else (event, None)

    def _judge(self, ledger: Ledger | None, event: Any) -> Answer | None:
        """None: publish; else the answer (202 for a repeat of an accepted event, or a refusal)."""
        if ledger is not None and event.id in ledger.seen:
            known = ledger.prints.get(event.id)
            return replayed(event) if known is None or known == fingerprint(event) else conflict(event)
        if ledger is None and event.type != "vn.lienthong.dossier.received":
            return problem(
                404,
                "unknown_dossier",
                f"dossier {event.subject} is not known to lienthong",
                f"Hồ sơ {event.subject} chưa có trên hệ thống liên thông.",
            )
        decision = route(ledger, event, self.ctx)
        if decision.quarantine is not None:
            q = decision.quarantine
            return refusal_of(q.code, q.reason_en, q.reason_vi)
        return None

    def _precheck(self, agency: str, raw: bytes | dict[str, Any]) -> Answer | None:
        """Refusals that do not need a valid event: opening a dossier is the one-stop-shop's alone."""
        try:
            obj = load_json(raw) if isinstance(raw, bytes) else raw
        except ValueError:
            return None  # parse_event reports it with the field detail
        if not isinstance(obj, dict):
            return None
        if obj.get("type") == "vn.lienthong.dossier.received" and default_agencies().kind_of(agency) != "one-stop":
            return problem(
                403,
                "only_one_stop_opens",
                "only the one-stop-shop opens dossiers",
                "Chỉ Bộ phận Một cửa được tiếp nhận (mở) hồ sơ.",
            )
        return None

    @staticmethod
    def envelope(
        agency: str,
        code: str,
        event_type: str,
        data: dict[str, Any],
        idempotency_key: str | None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The CloudEvent a task-shaped endpoint posts on the agency's behalf (id = Idempotency-Key)."""
        cls = EVENT_TYPES[event_type]
        return {
            "specversion": "1.0",
            "id": idempotency_key or str(uuid.uuid4()),
            "source": agency,
            "type": cls.event_type(),
            "subject": code,
            "time": (now or datetime.fromtimestamp(time.time(), TZ)).isoformat(),
            "schemaversion": 1,
            "correlationid": code,
            "data": data,
        }
