"""The receiving side checks X-Lienthong-Signature with verify_signature."""

from __future__ import annotations

import time

from tenacity import wait_none

from connectors import SIGNATURE_HEADER, TIMESTAMP_HEADER, PushConnector, build_connector, verify_signature

from .conftest import SECRET, AgencySim, make_event


async def test_receiver_verifies_the_signature(agency: AgencySim) -> None:
    connector = build_connector(agency.endpoint("tax"), wait=wait_none())
    assert isinstance(connector, PushConnector)
    async with connector:
        assert (await connector.deliver(make_event())).ok
    [seen] = agency.seen
    assert verify_signature(
        SECRET, seen.headers[TIMESTAMP_HEADER], seen.body, seen.headers[SIGNATURE_HEADER], time.time()
    )
    assert not verify_signature(
        SECRET, seen.headers[TIMESTAMP_HEADER], seen.body + b" ", seen.headers[SIGNATURE_HEADER], time.time()
    )
    assert not verify_signature(
        SECRET, seen.headers[TIMESTAMP_HEADER], seen.body, seen.headers[SIGNATURE_HEADER], time.time() + 600
    )


async def test_wrong_secret_is_refused_by_the_receiver(agency: AgencySim) -> None:
    endpoint = agency.endpoint(secret="not-the-agency-secret-at-all")
    connector = build_connector(endpoint, wait=wait_none())
    assert isinstance(connector, PushConnector)
    async with connector:
        result = await connector.deliver(make_event())
    assert result.permanent
    assert result.status == 401
    assert result.error is not None
    assert "bad signature" in result.error
    assert agency.accepted == {}
