"""The ingress decision, without HTTP: authenticate, validate, authorise, deduplicate; answer or refuse.

``Ingress.accept(...)`` returns an :class:`Answer` (status + JSON body) for every request, so the web
layer only translates it. Bad input is a 4xx with field-level detail in Vietnamese and English, never a
500. Authorisation runs the router's own decision on the dossier's current ledger: what the router would
quarantine, the ingress refuses at once (403 for acting where one does not belong, 409 for a step out of
order), so an agency learns of its mistake in the response rather than from the quarantine.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.agencies import default_agencies
from schemas.errors import EventDecodeError, EventValidationError
from schemas.events import EVENT_TYPES, TZ, parse_event
from services.relay.auth import AuthError, RequestVerifier
from services.relay.routing import Ledger, RoutingContext, route

__all__ = ["MAX_BODY", "Answer", "Ingress", "load_json", "problem"]

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


def _fingerprint(event: Any) -> str:
    """What makes a retry the same event: who sent what about which dossier (not ``time``, which a task
    endpoint stamps at each attempt)."""
    data = event.data.model_dump_json() if hasattr(event.data, "model_dump_json") else json.dumps(event.data)
    return hashlib.sha256(f"{event.source}\n{event.type}\n{event.subject}\n{data}".encode()).hexdigest()


@dataclass(frozen=True)
class _Accepted:
    fingerprint: str
    body: dict[str, Any]


class Ingress:
    """Everything ``POST /v1/events`` decides. ``publish`` writes to Kafka and returns once acknowledged."""

    def __init__(
        self,
        verifier: RequestVerifier,
        ctx: RoutingContext,
        ledger_of: Callable[[str], Ledger | None],
        recent_limit: int = 100_000,
    ) -> None:
        self.verifier = verifier
        self.ctx = ctx
        self.ledger_of = ledger_of
        self._recent: OrderedDict[str, _Accepted] = OrderedDict()
        self._recent_limit = recent_limit

    def authenticate(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> str | Answer:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            return self.verifier.verify(method, path, lowered, body)
        except AuthError as exc:
            return problem(401, "unauthenticated", exc.reason_en, exc.reason_vi)

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

    def decide(self, agency: str, raw: bytes | dict[str, Any]) -> tuple[Any, Answer | None]:
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
        previous = self._recent.get(event.id)
        if previous is not None:
            if previous.fingerprint != _fingerprint(event):
                return None, problem(
                    409,
                    "idempotency_conflict",
                    f"event id {event.id} was already accepted for another event; give each event its own id",
                    f"Mã sự kiện {event.id} đã được dùng cho một sự kiện khác; mỗi sự kiện cần một mã riêng.",
                )
            return None, Answer(202, previous.body, {"Idempotent-Replayed": "true"})
        ledger = self.ledger_of(event.subject)
        if ledger is not None and event.id in ledger.seen:
            return None, Answer(202, self.accepted_body(event), {"Idempotent-Replayed": "true"})
        if ledger is None and event.type != "vn.lienthong.dossier.received":
            if default_agencies().kind_of(agency) != "one-stop":
                return None, problem(
                    404,
                    "unknown_dossier",
                    f"dossier {event.subject} is not known to lienthong",
                    f"Hồ sơ {event.subject} chưa có trên hệ thống liên thông.",
                )
            return event, None  # the one-stop-shop's follow-up may overtake its intake: the router decides
        decision = route(ledger, event, self.ctx)
        if decision.quarantine is not None:
            q = decision.quarantine
            status = 403 if q.code in _FORBIDDEN else 404 if q.code in _NOT_FOUND else 409
            return None, problem(status, q.code, q.reason_en, q.reason_vi)
        return event, None

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

    def accepted_body(self, event: Any, partition: int | None = None, offset: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "accepted", "id": event.id, "type": event.type, "subject": event.subject}
        if partition is not None:
            body["partition"], body["offset"] = partition, offset
        return body

    def remember(self, event: Any, body: dict[str, Any]) -> None:
        """``event`` was accepted with ``body``: a retry (same id, same event) gets the same answer."""
        self._recent[event.id] = _Accepted(_fingerprint(event), body)
        while len(self._recent) > self._recent_limit:
            self._recent.popitem(last=False)

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
