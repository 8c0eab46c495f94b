"""Helpers for connector unit tests: endpoints, events and a scripted httpx.MockTransport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors import AgencyEndpoint, OutboundEvent

SECRET = "s3cret-shared-with-agency-0123456789"
BODY = b'{"dossier":"H38.22-230510-0001","citizen":"NGUYEN VAN A"}'

Reply = httpx.Response | Exception


def make_endpoint(kind: str = "webhook", **overrides: Any) -> AgencyEndpoint:
    values: dict[str, Any] = {
        "agency": "tax" if kind != "lgsp" else "dept-tnmt",
        "kind": kind,
        "url": "https://agency.example/base",
        "secret": SECRET,
        "timeout_s": 2.0,
        "max_attempts": 4,
    }
    if kind == "lgsp":
        values |= {
            "token_url": "https://gateway.example/token",
            "client_id": "lienthong",
            "client_secret": "client-secret-value",
        }
    values.update(overrides)
    return AgencyEndpoint.model_validate(values)


def make_event(agency: str = "tax", event_id: str = "evt-0001", body: bytes = BODY) -> OutboundEvent:
    return OutboundEvent(
        event_id=event_id,
        agency=agency,
        dossier_code="H38.22-230510-0001",
        event_type="CadastralInfoSent",
        body=body,
    )


class Script:
    """A MockTransport handler answering from a queue (default 200), recording every request."""

    def __init__(self, *replies: Reply, default: Callable[[httpx.Request], httpx.Response] | None = None):
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.default = default or (lambda request: httpx.Response(200, json={"ok": True}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            return self.default(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


class Sleeps:
    """Stands in for asyncio.sleep so backoff waits are recorded, not slept."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
