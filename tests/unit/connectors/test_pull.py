"""Pull connector against httpx.MockTransport: paging, cursor commit, malformed pages."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tenacity import stop_after_attempt, wait_none

from connectors import SIGNATURE_HEADER, TIMESTAMP_HEADER, ConnectorError, PullConnector, verify_signature

from .conftest import SECRET, make_endpoint

NOW = 1_700_000_000.0
PAGES: dict[str | None, dict[str, Any]] = {
    None: {"items": [{"eventId": "a"}, {"eventId": "b"}], "next": "c1"},
    "c1": {"items": [{"eventId": "c"}], "next": "c2"},
    "c2": {"items": [], "next": "c2"},
}


class Agency:
    def __init__(self, pages: dict[str | None, Any] = PAGES, *failures: httpx.Response) -> None:
        self.pages = pages
        self.failures = list(failures)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            return self.failures.pop(0)
        return httpx.Response(200, json=self.pages[request.url.params.get("since")])


class Inbox:
    def __init__(self, fail_on: set[str] | None = None) -> None:
        self.items: list[dict[str, Any]] = []
        self.fail_on = set(fail_on or ())

    async def __call__(self, item: dict[str, Any]) -> None:
        if item["eventId"] in self.fail_on:
            self.fail_on.discard(item["eventId"])
            raise RuntimeError("ingress down")
        self.items.append(item)


def _pull(agency: Agency, inbox: Inbox, **kwargs: Any) -> PullConnector:
    return PullConnector(
        make_endpoint("pull", url="https://agency.example", poll_interval_s=0.01),
        inbox,
        transport=httpx.MockTransport(agency),
        wait=wait_none(),
        stop=stop_after_attempt(3),
        clock=lambda: NOW,
        **kwargs,
    )


async def test_pages_are_followed_and_the_cursor_advances() -> None:
    agency, inbox = Agency(), Inbox()
    saved: list[str] = []

    async def save(cursor: str) -> None:
        saved.append(cursor)

    async with _pull(agency, inbox, on_cursor=save) as pull:
        assert await pull.poll_once() == 2
        assert pull.cursor == "c1"
        assert await pull.poll_once() == 1
        assert await pull.poll_once() == 0
    assert pull.cursor == "c2"
    assert saved == ["c1", "c2"]
    assert [item["eventId"] for item in inbox.items] == ["a", "b", "c"]
    first, second, _ = agency.requests
    assert str(first.url) == "https://agency.example/results"
    assert str(second.url) == "https://agency.example/results?since=c1"


async def test_poll_is_signed_over_an_empty_body() -> None:
    agency = Agency()
    async with _pull(agency, Inbox()) as pull:
        await pull.poll_once()
    [request] = agency.requests
    assert request.method == "GET"
    assert verify_signature(SECRET, request.headers[TIMESTAMP_HEADER], b"", request.headers[SIGNATURE_HEADER], NOW)


async def test_cursor_stays_when_submit_fails() -> None:
    agency, inbox = Agency(), Inbox(fail_on={"b"})
    async with _pull(agency, inbox) as pull:
        with pytest.raises(RuntimeError, match="ingress down"):
            await pull.poll_once()
        assert pull.cursor is None
        await pull.poll_once()
        assert pull.cursor == "c1"
    # at-least-once: "a" is submitted again with its page
    assert [item["eventId"] for item in inbox.items] == ["a", "a", "b"]


async def test_fetch_is_retried_and_4xx_is_raised() -> None:
    agency = Agency(PAGES, httpx.Response(503), httpx.Response(404))
    async with _pull(agency, Inbox()) as pull:
        with pytest.raises(ConnectorError) as info:
            await pull.poll_once()
    assert info.value.status == 404
    assert len(agency.requests) == 2


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(["not", "an", "object"], id="list"),
        pytest.param({"next": "c1"}, id="no-items"),
        pytest.param({"items": ["a"], "next": "c1"}, id="items-not-objects"),
        pytest.param({"items": [], "next": 7}, id="next-not-string"),
    ],
)
async def test_malformed_page_is_an_error_and_keeps_the_cursor(page: Any) -> None:
    async with _pull(Agency({None: page}), Inbox()) as pull:
        with pytest.raises(ConnectorError):
            await pull.poll_once()
        assert pull.cursor is None


async def test_run_drains_survives_failures_and_stops() -> None:
    agency = Agency(PAGES, httpx.Response(500), httpx.Response(500), httpx.Response(500))
    inbox = Inbox(fail_on={"c"})
    stop = asyncio.Event()

    async def stop_when_caught_up(cursor: str) -> None:
        if cursor == "c2":
            stop.set()

    async with _pull(agency, inbox, on_cursor=stop_when_caught_up) as pull:
        task = asyncio.create_task(pull.run(stop))
        await asyncio.wait_for(task, timeout=1)
    assert pull.cursor == "c2"
    assert [item["eventId"] for item in inbox.items] == ["a", "b", "c"]
