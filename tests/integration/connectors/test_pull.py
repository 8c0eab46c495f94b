"""Pull connector against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

from tenacity import stop_after_attempt, wait_none

from connectors import PullConnector, build_connector

from .conftest import AgencySim


async def test_two_pages_cursor_advances_only_after_submit_succeeded(agency: AgencySim) -> None:
    agency.pages = {
        None: {"items": [{"eventId": "r1"}, {"eventId": "r2"}], "next": "p1"},
        "p1": {"items": [{"eventId": "r3"}], "next": "p2"},
        "p2": {"items": [], "next": "p2"},
    }
    submitted: list[str] = []
    saved: list[str] = []
    fail_once = {"r3"}

    async def submit(item: dict[str, Any]) -> None:
        if item["eventId"] in fail_once:
            fail_once.discard(item["eventId"])
            raise ConnectionError("ingress unavailable")
        submitted.append(item["eventId"])

    caught_up = asyncio.Event()

    async def save(cursor: str) -> None:
        saved.append(cursor)
        if cursor == "p2":
            caught_up.set()

    connector = build_connector(
        agency.endpoint("pull", poll_interval_s=0.05),
        submit=submit,
        on_cursor=save,
        wait=wait_none(),
        stop=stop_after_attempt(3),
    )
    assert isinstance(connector, PullConnector)
    stop = asyncio.Event()
    async with connector:
        runner = asyncio.create_task(connector.run(stop))
        await asyncio.wait_for(caught_up.wait(), timeout=2)
        stop.set()
        await runner
    assert submitted == ["r1", "r2", "r3"]
    assert saved == ["p1", "p2"]  # never "p2" before r3 was accepted
    sinces = [seen.query.get("since") for seen in agency.seen]
    assert sinces[:3] == [None, "p1", "p1"]  # page two read again after the failed submit
    assert "p2" in sinces
