"""Push connectors against httpx.MockTransport: request shape, classification, backoff."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from tenacity import stop_after_attempt, wait_fixed, wait_none

from connectors import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    PushConnector,
    build_connector,
    verify_signature,
)

from .conftest import BODY, SECRET, Script, Sleeps, make_endpoint, make_event

NOW = 1_700_000_000.0


def _connector(
    script: Script, kind: str = "webhook", sleeps: Sleeps | None = None, **endpoint: object
) -> PushConnector:
    connector = build_connector(
        make_endpoint(kind, **endpoint),
        transport=script.transport,
        wait=wait_none(),
        stop=stop_after_attempt(4),
        clock=lambda: NOW,
        sleep=sleeps or Sleeps(),
    )
    assert isinstance(connector, PushConnector)
    return connector


@pytest.mark.parametrize(
    ("kind", "url", "extra_headers"),
    [
        (
            "one-stop",
            "https://agency.example/base/lienthong/events",
            {"x-agency": "tax", "x-dossier-code": "H38.22-230510-0001"},
        ),
        (
            "land-registry",
            "https://agency.example/base/api/handoffs",
            {"x-dossier-code": "H38.22-230510-0001"},
        ),
        ("webhook", "https://agency.example/base", {}),
    ],
)
async def test_raw_body_kinds_request_shape(kind: str, url: str, extra_headers: dict[str, str]) -> None:
    script = Script()
    async with _connector(script, kind) as connector:
        result = await connector.deliver(make_event())
    assert result.ok
    assert result.status == 200
    assert result.attempts == 1
    [request] = script.requests
    assert request.method == "POST"
    assert str(request.url) == url
    assert request.content == BODY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "evt-0001"
    assert request.headers["x-lienthong-event-type"] == "CadastralInfoSent"
    for name, value in extra_headers.items():
        assert request.headers[name] == value
    if kind == "webhook":
        assert "x-agency" not in request.headers


async def test_tax_wraps_the_body() -> None:
    script = Script()
    async with _connector(script, "tax") as connector:
        assert (await connector.deliver(make_event())).ok
    [request] = script.requests
    assert str(request.url) == "https://agency.example/base/tct/inbound"
    assert json.loads(request.content) == {"eventId": "evt-0001", "payload": json.loads(BODY)}
    assert request.content.endswith(b'"payload":' + BODY + b"}")  # embedded verbatim


async def test_every_request_is_signed_over_the_bytes_sent() -> None:
    script = Script()
    async with _connector(script, "tax") as connector:
        await connector.deliver(make_event())
    [request] = script.requests
    assert request.headers[TIMESTAMP_HEADER] == str(int(NOW))
    assert verify_signature(
        SECRET, request.headers[TIMESTAMP_HEADER], request.content, request.headers[SIGNATURE_HEADER], NOW
    )


async def test_each_attempt_is_signed_afresh() -> None:
    times = iter([NOW, NOW, NOW + 40, NOW + 40])
    script = Script(httpx.Response(503))
    connector = build_connector(
        make_endpoint("webhook"), transport=script.transport, wait=wait_none(), clock=lambda: next(times)
    )
    assert isinstance(connector, PushConnector)
    async with connector:
        assert (await connector.deliver(make_event())).ok
    first, second = script.requests
    assert first.headers[TIMESTAMP_HEADER] != second.headers[TIMESTAMP_HEADER]
    assert second.headers["idempotency-key"] == first.headers["idempotency-key"] == "evt-0001"


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.Response(500), id="500"),
        pytest.param(httpx.Response(502), id="502"),
        pytest.param(httpx.Response(503), id="503"),
        pytest.param(httpx.Response(429), id="429"),
        pytest.param(httpx.ConnectError("refused"), id="connect-error"),
        pytest.param(httpx.ReadTimeout("slow"), id="read-timeout"),
        pytest.param(httpx.RemoteProtocolError("dropped"), id="dropped"),
    ],
)
async def test_retryable_failures_are_retried(failure: httpx.Response | Exception) -> None:
    script = Script(failure, failure)
    async with _connector(script) as connector:
        result = await connector.deliver(make_event())
    assert result.ok
    assert result.attempts == 3
    assert len(script.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_other_4xx_is_permanent_without_retry(status: int) -> None:
    script = Script(httpx.Response(status, json={"error": "dossierCode unknown"}))
    async with _connector(script) as connector:
        result = await connector.deliver(make_event())
    assert not result.ok
    assert result.permanent
    assert result.status == status
    assert result.attempts == 1
    assert result.error is not None
    assert "dossierCode unknown" in result.error
    assert len(script.requests) == 1


async def test_exhausted_budget_reports_last_status() -> None:
    script = Script(default=lambda request: httpx.Response(503))
    async with _connector(script) as connector:
        result = await connector.deliver(make_event())
    assert not result.ok
    assert not result.permanent
    assert result.exhausted
    assert result.status == 503
    assert result.attempts == 4
    assert result.error is not None
    assert result.error.startswith("gave up after 4 attempt(s): HTTP 503")


async def test_exhausted_after_connection_errors_has_no_status() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    script = Script(default=refuse)
    async with _connector(script) as connector:
        result = await connector.deliver(make_event())
    assert result.exhausted
    assert result.status is None
    assert result.error is not None
    assert "ConnectError" in result.error


async def test_injected_wait_is_used_between_attempts(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(500), httpx.Response(502))
    connector = build_connector(
        make_endpoint("webhook"), transport=script.transport, wait=wait_fixed(0.25), sleep=sleeps
    )
    assert isinstance(connector, PushConnector)
    async with connector:
        assert (await connector.deliver(make_event())).ok
    assert sleeps.calls == [0.25, 0.25]


async def test_default_policy_backs_off_exponentially_with_jitter(sleeps: Sleeps) -> None:
    endpoint = make_endpoint("webhook", max_attempts=5, backoff_initial_s=1.0, backoff_max_s=3.0)
    script = Script(default=lambda request: httpx.Response(503))
    connector = build_connector(endpoint, transport=script.transport, sleep=sleeps)
    assert isinstance(connector, PushConnector)
    async with connector:
        result = await connector.deliver(make_event())
    assert result.attempts == 5
    assert len(sleeps.calls) == 4
    for waited, base in zip(sleeps.calls, [1.0, 2.0, 3.0, 3.0], strict=True):
        assert base <= waited <= base + 1.0


@pytest.mark.parametrize(
    ("retry_after", "expected_wait"),
    [("2", 2.0), ("Tue, 14 Nov 2023 22:13:25 GMT", 5.0), ("3600", 10.0)],
)
async def test_429_retry_after_is_honoured_and_capped(sleeps: Sleeps, retry_after: str, expected_wait: float) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": retry_after}))
    async with _connector(script, sleeps=sleeps, retry_after_cap_s=10) as connector:
        result = await connector.deliver(make_event())
    assert result.ok
    assert sleeps.calls == [pytest.approx(expected_wait)]


async def test_time_budget_stops_before_an_overlong_wait(sleeps: Sleeps) -> None:
    endpoint = make_endpoint("webhook", max_attempts=10, max_elapsed_s=5)
    script = Script(httpx.Response(503, headers={"Retry-After": "30"}))
    connector = build_connector(endpoint, transport=script.transport, sleep=sleeps)
    assert isinstance(connector, PushConnector)
    async with connector:
        result = await connector.deliver(make_event())
    assert result.exhausted
    assert result.attempts == 1
    assert sleeps.calls == []


async def test_wrong_agency_is_refused_without_a_request() -> None:
    script = Script()
    async with _connector(script) as connector:
        result = await connector.deliver(make_event(agency="one-stop"))
    assert result.permanent
    assert result.attempts == 0
    assert script.requests == []


async def test_deliver_before_start_is_a_programming_error() -> None:
    connector = _connector(Script())
    with pytest.raises(RuntimeError, match="not started"):
        await connector.deliver(make_event())


async def test_each_connector_owns_its_client() -> None:
    first, second = _connector(Script()), _connector(Script())
    async with first, second:
        assert first.client is not second.client
        client = first.client
    assert client.is_closed
    with pytest.raises(RuntimeError):
        _ = first.client


async def test_concurrency_is_limited_per_connector() -> None:
    in_flight = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200)

    connector = build_connector(make_endpoint("webhook", max_concurrency=2), transport=httpx.MockTransport(slow))
    assert isinstance(connector, PushConnector)
    async with connector:
        events = [make_event(event_id=f"evt-{n}") for n in range(6)]
        results = await asyncio.gather(*(connector.deliver(event) for event in events))
    assert all(result.ok for result in results)
    assert peak == 2


async def test_logs_carry_ids_not_body_or_secret(caplog: pytest.LogCaptureFixture) -> None:
    # The agency echoes the body in its error, as some do; that must not reach the logs.
    script = Script(httpx.Response(503), httpx.Response(400, content=BODY))
    caplog.set_level(logging.DEBUG)
    async with _connector(script) as connector:
        result = await connector.deliver(make_event())
    assert result.permanent
    assert "evt-0001" in caplog.text
    assert "NGUYEN" not in caplog.text
    assert SECRET not in caplog.text
