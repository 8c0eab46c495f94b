"""A real agency system on loopback: an aiohttp server that verifies signatures,
drops repeated Idempotency-Keys, answers from a script, and serves result pages.

It can be taken down and brought back on the same port to play an agency outage.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from connectors import SIGNATURE_HEADER, TIMESTAMP_HEADER, AgencyEndpoint, OutboundEvent, verify_signature

SECRET = "loopback-agency-shared-secret"
BODY = b'{"dossierCode":"H38.22-230510-0001","status":"verified"}'


@dataclass
class Reply:
    """One scripted answer; ``delay`` is slept after the event was accepted (a lost response)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float


class AgencySim:
    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        self.accepted: dict[str, bytes] = {}  # Idempotency-Key -> body, the receiver's inbox
        self.duplicates: list[str] = []
        self.pages: dict[str | None, Any] = {}
        self.tokens_issued = 0
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, kind: str = "webhook", **overrides: Any) -> AgencyEndpoint:
        values: dict[str, Any] = {
            "agency": "land-registry",
            "kind": kind,
            "url": self.url,
            "secret": self.secret,
            "timeout_s": 1.0,
            "max_attempts": 5,
        }
        if kind == "lgsp":
            values |= {"token_url": self.url + "/token", "client_id": "lienthong", "client_secret": "cs-123"}
        return AgencyEndpoint.model_validate(values | overrides)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_get("/results", self._results)
        app.router.add_route("*", "/{tail:.*}", self._inbound)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await self.come_up()

    async def come_up(self) -> None:
        assert self._runner is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()

    async def go_down(self) -> None:
        assert self._site is not None
        await self._site.stop()
        self._site = None

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _record(self, request: web.Request, body: bytes) -> None:
        self.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                body,
                time.monotonic(),
            )
        )

    def _signed(self, request: web.Request, body: bytes) -> bool:
        return verify_signature(
            self.secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
            time.time(),
        )

    async def _inbound(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self._record(request, body)
        if not self._signed(request, body):
            return web.json_response({"error": "bad signature"}, status=401)
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return web.json_response({"error": "Idempotency-Key required"}, status=400)
        if key in self.accepted:
            self.duplicates.append(key)
            return web.json_response({"duplicate": True})
        reply = self.replies.pop(0) if self.replies else Reply()
        if 200 <= reply.status < 300:
            self.accepted[key] = body
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return web.json_response(reply.json or {}, status=reply.status, headers=reply.headers)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self._record(request, await request.read())
        self.tokens_issued += 1
        return web.json_response({"access_token": f"tok-{self.tokens_issued}", "expires_in": 600})

    async def _results(self, request: web.Request) -> web.StreamResponse:
        self._record(request, b"")
        if not self._signed(request, b""):
            return web.json_response({"error": "bad signature"}, status=401)
        return web.json_response(self.pages[request.query.get("since")])


@pytest.fixture
async def agency() -> AsyncIterator[AgencySim]:
    sim = AgencySim()
    await sim.start()
    yield sim
    await sim.close()


def make_event(agency: str = "land-registry", event_id: str = "evt-42") -> OutboundEvent:
    return OutboundEvent(
        event_id=event_id,
        agency=agency,
        dossier_code="H38.22-230510-0001",
        event_type="LandOriginVerified",
        body=BODY,
    )
