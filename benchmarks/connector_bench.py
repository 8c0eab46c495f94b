"""What one delivery costs the worker's CPU, by HTTP client: the agency connector as it ships (httpx over
aiohttp, ``connectors.base``), next to httpx's own pool (httpcore over anyio) and bare aiohttp, all posting the
same signed event body to an aiohttp server on loopback in this process, 8 requests at a time.

    .venv/bin/python -m benchmarks.connector_bench [--requests 3000]

CPU ms per request counts the client and the server (the same server for every row), so the differences
are the clients'.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
from aiohttp import web

from connectors import AgencyEndpoint, OutboundEvent, build_connector

BODY = b'{"specversion":"1.0","id":"evt","data":{"note":"' + b"x" * 1200 + b'"}}'
HEADERS = {"Content-Type": "application/cloudevents+json", "Idempotency-Key": "evt"}


async def _timed(label: str, n: int, one: Callable[[int], Awaitable[None]]) -> tuple[str, float, float]:
    gate = asyncio.Semaphore(8)

    async def gated(i: int) -> None:
        async with gate:
            await one(i)

    await asyncio.gather(*(gated(i) for i in range(200)))  # warm: connections open
    cpu0, wall0 = time.process_time(), time.perf_counter()
    done = 0
    for start in range(0, n, 1000):
        await asyncio.gather(*(gated(i) for i in range(start, min(n, start + 1000))))
        done = min(n, start + 1000)
        print(f"  {label}: {done}/{n} requests", flush=True)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return label, cpu * 1000 / n, n / wall


async def main(n: int) -> int:
    app = web.Application()

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"status": "accepted"}, status=202)

    app.router.add_post("/events", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/events"
    rows = []
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as session:

            async def bare(_i: int) -> None:
                async with session.post(url, data=BODY, headers=HEADERS) as response:
                    await response.read()

            rows.append(await _timed("bare aiohttp (baseline)", n, bare))
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=8)) as client:

            async def pooled(_i: int) -> None:
                (await client.post(url, content=BODY, headers=HEADERS)).raise_for_status()

            rows.append(await _timed("httpx, httpcore pool (before)", n, pooled))
        endpoint = AgencyEndpoint(agency="land-registry", kind="webhook", url=url, secret="s" * 32, max_concurrency=8)
        before = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=8))
        for label, transport in (("connector on httpcore (before)", before), ("connector as shipped (after)", None)):
            async with build_connector(endpoint, transport=transport) as connector:

                async def deliver(i: int) -> None:
                    event = OutboundEvent(f"evt-{i}", "land-registry", "CODE", "vn.lienthong.handoff.accepted", BODY)
                    result = await connector.deliver(event)  # type: ignore[attr-defined]
                    assert result.ok, result.error

                rows.append(await _timed(label, n, deliver))
    finally:
        await runner.cleanup()
    base = rows[0][1]
    print()
    print(f"{'client':<42} {'CPU ms/request':>14} {'vs baseline':>11} {'requests/s':>10}")
    for label, cpu_ms, rate in rows:
        print(f"{label:<42} {cpu_ms:>14.3f} {cpu_ms / base:>10.2f}x {rate:>10.0f}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    sys.exit(asyncio.run(main(parser.parse_args().requests)))
