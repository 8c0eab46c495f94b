"""Push connectors against a real HTTP server on loopback (no mocks)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from tenacity import stop_after_attempt, wait_fixed, wait_none

from connectors import PushConnector, build_connector

from .conftest import BODY, AgencySim, Reply, make_event


def _connector(sim: AgencySim, kind: str = "webhook", **endpoint: object) -> PushConnector:
    connector = build_connector(sim.endpoint(kind, **endpoint), wait=wait_fixed(0.05), stop=stop_after_attempt(20))
    assert isinstance(connector, PushConnector)
    return connector


async def test_agency_down_then_up_is_delivered_exactly_once(agency: AgencySim) -> None:
    await agency.go_down()

    async def recover() -> None:
        await asyncio.sleep(0.3)
        await agency.come_up()

    async with _connector(agency) as connector:
        recovery = asyncio.create_task(recover())
        result = await connector.deliver(make_event())
        await recovery
    assert result.ok
    assert result.attempts >= 3  # refused while down
    assert list(agency.accepted) == ["evt-42"]
    assert agency.accepted["evt-42"] == BODY
    assert [seen.headers["Idempotency-Key"] for seen in agency.seen] == ["evt-42"]


async def test_lost_response_is_retried_and_dropped_by_the_receiver(agency: AgencySim) -> None:
    # The agency stores the event but its answer arrives after our timeout.
    agency.replies = [Reply(status=200, delay=0.6)]
    async with _connector(agency, timeout_s=0.2) as connector:
        result = await connector.deliver(make_event())
    assert result.ok
    assert result.attempts == 2
    assert [seen.headers["Idempotency-Key"] for seen in agency.seen] == ["evt-42", "evt-42"]
    assert agency.duplicates == ["evt-42"]
    assert list(agency.accepted) == ["evt-42"]  # processed exactly once


async def test_4xx_is_permanent_with_reason_and_not_retried(agency: AgencySim) -> None:
    agency.replies = [Reply(status=422, json={"error": "unknown procedure code 1.000948.H38"})]
    async with _connector(agency) as connector:
        result = await connector.deliver(make_event())
    assert not result.ok
    assert result.permanent
    assert result.status == 422
    assert result.attempts == 1
    assert result.error is not None
    assert "422" in result.error
    assert "unknown procedure code" in result.error
    assert len(agency.seen) == 1
    assert agency.accepted == {}


async def test_429_retry_after_is_honoured(agency: AgencySim) -> None:
    agency.replies = [Reply(status=429, headers={"Retry-After": "1"})]
    connector = build_connector(agency.endpoint(), wait=wait_none(), stop=stop_after_attempt(3))
    assert isinstance(connector, PushConnector)
    started = time.monotonic()
    async with connector:
        result = await connector.deliver(make_event())
    elapsed = time.monotonic() - started
    assert result.ok
    assert result.attempts == 2
    first, second = agency.seen
    assert second.at - first.at >= 0.95
    assert 0.95 <= elapsed < 2.5


async def test_5xx_then_success(agency: AgencySim) -> None:
    agency.replies = [Reply(status=503), Reply(status=500)]
    async with _connector(agency) as connector:
        result = await connector.deliver(make_event())
    assert result.ok
    assert result.status == 200
    assert result.attempts == 3
    assert list(agency.accepted) == ["evt-42"]


async def test_budget_exhausted_against_a_failing_agency(agency: AgencySim) -> None:
    agency.replies = [Reply(status=502)] * 3
    connector = build_connector(agency.endpoint(), wait=wait_none(), stop=stop_after_attempt(3))
    assert isinstance(connector, PushConnector)
    async with connector:
        result = await connector.deliver(make_event())
    assert result.exhausted
    assert result.status == 502
    assert result.attempts == 3


async def test_a_slow_agency_does_not_hold_up_another(agency: AgencySim) -> None:
    fast_agency = AgencySim()
    await fast_agency.start()
    agency.replies = [Reply(status=200, delay=0.8)]
    try:
        async with _connector(agency, timeout_s=2) as slow, _connector(fast_agency) as fast:
            slow_task = asyncio.create_task(slow.deliver(make_event(event_id="evt-slow")))
            started = time.monotonic()
            assert (await fast.deliver(make_event(event_id="evt-fast"))).ok
            assert time.monotonic() - started < 0.5
            assert (await slow_task).ok
    finally:
        await fast_agency.close()


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("one-stop", "/lienthong/events"),
        ("land-registry", "/api/handoffs"),
        ("tax", "/tct/inbound"),
        ("lgsp", "/"),
        ("webhook", "/"),
    ],
)
async def test_every_kind_over_the_wire(agency: AgencySim, kind: str, path: str) -> None:
    agency_code = "dept-tnmt" if kind == "lgsp" else "land-registry"
    async with _connector(agency, kind, agency=agency_code) as connector:
        result = await connector.deliver(make_event(agency=agency_code))
    assert result.ok, result.error
    inbound = [seen for seen in agency.seen if seen.path != "/token"]
    assert [seen.path for seen in inbound] == [path]
    assert inbound[0].headers["Idempotency-Key"] == "evt-42"
    body = agency.accepted["evt-42"]
    if kind == "tax":
        assert json.loads(body) == {"eventId": "evt-42", "payload": json.loads(BODY)}
    elif kind == "lgsp":
        assert inbound[0].headers["Authorization"] == "Bearer tok-1"
        assert json.loads(body)["body"] == json.loads(BODY)
    else:
        assert body == BODY
