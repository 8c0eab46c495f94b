"""A small HTTP load balancer in front of several workers, as a city's reverse proxy would be (nginx, an
ingress controller): round robin over the workers that answer, the next one when a worker refuses the
connection, ``503`` with ``Retry-After`` when none does. Used by the demo with ``--workers N`` and by the
fault tests, which kill workers behind it.

    balancer = Balancer(["http://127.0.0.1:7001", "http://127.0.0.1:7002"])
    await balancer.start()          # balancer.url is what agencies post to
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import httpx
from aiohttp import web

__all__ = ["Balancer"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"}


class Balancer:
    def __init__(self, upstreams: Sequence[str], port: int = 0, timeout_s: float = 30.0) -> None:
        self.upstreams = list(upstreams)
        self.port = port
        self.timeout_s = timeout_s
        self.forwarded = 0
        self.refused = 0  # answered 503 because no worker accepted the connection
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._client: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:[\\s\\S]*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._client = httpx.AsyncClient(
            timeout=self.timeout_s, limits=httpx.Limits(max_connections=400, max_keepalive_connections=100)
        )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        body = await request.read()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP]
        first = next(self._turn)
        for i in range(len(self.upstreams)):
            upstream = self.upstreams[(first + i) % len(self.upstreams)]
            try:
                response = await self._client.request(
                    request.method, upstream + request.path_qs, content=body, headers=headers
                )
            except httpx.ConnectError:
                continue  # that worker is down: the next one (nothing was sent, so nothing is repeated)
            except httpx.HTTPError:
                # the worker went away mid-request: whether it acted is unknown, so the client decides (as
                # nginx does for a POST); its retry is signed again and idempotent by the event id
                self.refused += 1
                return web.json_response(
                    {"status": 502, "code": "bad_gateway", "message_en": "the worker went away", "message_vi": "Lỗi."},
                    status=502,
                    headers={"Retry-After": "1"},
                )
            self.forwarded += 1
            out = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP | {"content-encoding"}}
            return web.Response(status=response.status_code, body=response.content, headers=out)
        self.refused += 1
        return web.json_response(
            {"status": 503, "code": "unavailable", "message_en": "no worker answered", "message_vi": "Hệ thống bận."},
            status=503,
            headers={"Retry-After": "1"},
        )
