"""Pull connector, for agency systems that cannot receive pushes.

Polls ``GET {url}/results?since=<cursor>`` (no ``since`` on the very first poll; the
request is signed over an empty body). The agency answers
``{"items": [<event object>, ...], "next": "<cursor>"}``. Each item goes to the
injected ``submit(item)`` coroutine, in order; only when every item of the page was
accepted does the cursor move to ``next`` (and ``on_cursor(next)`` persist it). If
``submit`` raises, the cursor stays and the page is read again later: delivery is
at-least-once, and ingress drops repeats by event id. ``submit`` is the caller's
commit point: it should dead-letter an item it can never accept rather than raise.

GETs use the same retry policy as pushes; ``run(stop)`` keeps polling until ``stop``
is set, sleeping ``poll_interval_s`` when caught up or after a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Unpack

import httpx

from connectors.base import Connector, ConnectorOptions
from connectors.errors import ConnectorError
from connectors.models import AgencyEndpoint

__all__ = ["Page", "PullConnector", "Submit"]

log = logging.getLogger(__name__)

Submit = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Page:
    """One answer of ``GET /results``."""

    items: list[dict[str, Any]]
    next: str | None

    @classmethod
    def parse(cls, response: httpx.Response) -> Page:
        try:
            data: Any = response.json()
        except ValueError as exc:
            raise ConnectorError("results page is not JSON", status=response.status_code) from exc
        items = data.get("items") if isinstance(data, dict) else None
        cursor = data.get("next") if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ConnectorError("results page has no list of objects in 'items'", status=response.status_code)
        if cursor is not None and not isinstance(cursor, str):
            raise ConnectorError("results page has a non-string 'next'", status=response.status_code)
        return cls(items, cursor)


class PullConnector(Connector):
    """Polls one agency and submits what it returns.

    async with PullConnector(endpoint, submit, cursor=saved, on_cursor=save) as conn:
        await conn.run(stop_event)
    """

    def __init__(
        self,
        endpoint: AgencyEndpoint,
        submit: Submit,
        *,
        cursor: str | None = None,
        on_cursor: Callable[[str], Awaitable[None]] | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> None:
        super().__init__(endpoint, **options)
        self._submit = submit
        self._cursor = cursor
        self._on_cursor = on_cursor

    @property
    def cursor(self) -> str | None:
        """The position after the last page whose items were all submitted."""
        return self._cursor

    async def fetch_page(self) -> Page:
        """``GET /results`` for the current cursor, retried per policy; raises ``ConnectorError``."""
        params = {"since": self._cursor} if self._cursor is not None else None
        attempts = 0
        async for attempt in self.retrying():
            with attempt:
                attempts = attempt.retry_state.attempt_number
                try:
                    response = await self.send(
                        self.signed_request("GET", self.endpoint.url + "/results", params=params)
                    )
                except ConnectorError as exc:
                    log.warning(
                        "poll attempt failed agency=%s attempt=%d status=%s cause=%s",
                        self.agency,
                        attempts,
                        exc.status,
                        type(exc).__name__,
                    )
                    raise
                return Page.parse(response)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def poll_once(self) -> int:
        """Fetch one page, submit its items, then advance the cursor; returns the item count.

        Raises ``ConnectorError`` when the page cannot be fetched, or whatever ``submit``
        raised; in both cases the cursor is unchanged.
        """
        page = await self.fetch_page()
        for item in page.items:
            await self._submit(item)
        if page.next is not None and page.next != self._cursor:
            if self._on_cursor is not None:
                await self._on_cursor(page.next)
            self._cursor = page.next
        log.info("polled agency=%s items=%d cursor=%s", self.agency, len(page.items), self._cursor)
        return len(page.items)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; pages follow each other at once while the cursor moves."""
        while not stop.is_set():
            before = self._cursor
            try:
                await self.poll_once()
            except ConnectorError as exc:
                log.warning("poll failed agency=%s status=%s cause=%s", self.agency, exc.status, type(exc).__name__)
            except Exception as exc:  # submit or on_cursor failed: the cursor did not move
                log.warning("page not committed agency=%s cursor=%s cause=%s", self.agency, before, type(exc).__name__)
            if self._cursor == before:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.endpoint.poll_interval_s)
