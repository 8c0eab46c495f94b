"""The ingress API keeps the contract it publishes: schemathesis (property-based, bounded) generates requests
from ``/openapi.json`` for every operation, valid and invalid, and checks every answer against it: never a
5xx, no status code and no header or body the document does not describe.

Requests are signed by a small proxy in front of the worker (the HMAC covers the exact bytes schemathesis
sends), so generated requests reach the checks behind authentication.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.relay.auth import signed_headers
from simulators.stack import Stack

T = TypeVar("T")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
TALLY: dict[str, int] = {"cases": 0, "operations": 0}


class LoopThread:
    """An event loop in a thread, for async servers behind synchronous (hypothesis) tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=180)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class SigningProxy:
    """Signs each request with an agency's key (method, path with query, exact body) and passes it on."""

    def __init__(self, upstream: str, key_id: str, secret: str) -> None:
        self.upstream, self.key_id, self.secret = upstream, key_id, secret
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:[\\s\\S]*}", self.forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        self.client = httpx.AsyncClient(timeout=30)

    async def stop(self) -> None:
        await self.client.aclose()
        if self.runner is not None:
            await self.runner.cleanup()

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        headers.update(signed_headers(self.key_id, self.secret, request.method, request.raw_path, body))
        answer = await self.client.request(
            request.method, self.upstream + request.raw_path, content=body, headers=headers
        )
        passed = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        return web.Response(status=answer.status_code, body=answer.content, headers=passed)


@pytest.fixture(scope="module")
def api(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    loop = LoopThread()
    stack = Stack(kafka_bootstrap, Path(tmp_path_factory.mktemp("contract")))
    loop.run(stack.start(act=False))
    key_id, secret = stack.keys["one-stop"]
    proxy = SigningProxy(stack.url, key_id, secret)
    loop.run(proxy.start())
    try:
        yield proxy.url
    finally:
        loop.run(proxy.stop())
        loop.run(stack.stop())
        loop.close()
        print(f"\nschemathesis: {TALLY['cases']} cases over {TALLY['operations']} operations of the ingress API")


def _operations(api: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def _checker(operation: Any, mode: GenerationMode, api: str, failures: list[str]) -> Any:
    where = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: Any) -> None:
        TALLY["cases"] += 1
        response = case.call(base_url=api)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 - collected, so one run reports every operation's failures
            failures.append(f"{where}: {str(exc)[:600]}")
            raise

    return check


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_one_the_contract_documents(api: str, mode: GenerationMode) -> None:
    """Every operation, valid (positive) and invalid (negative) input, a bounded number of cases each."""
    failures: list[str] = []
    operations = _operations(api)
    for operation in operations:
        try:
            _checker(operation, mode, api, failures)()
        except Unsatisfiable:
            continue  # nothing to make invalid (no parameters, no body): the positive run covers it
        except Exception as exc:  # noqa: BLE001 - recorded with its operation (a failed check is recorded above)
            failures.append(f"{operation.method.upper()} {operation.path}: {type(exc).__name__}: {str(exc)[:600]}")
    TALLY["operations"] = len(operations)
    assert not failures, "\n\n".join(dict.fromkeys(failures))
