"""A reference client for lienthong's ingress API: what an agency system needs, and nothing else.

It signs every request (a fresh timestamp and nonce on each attempt), gives every task an
``Idempotency-Key`` that stays the same across its retries, and retries a 502, a 503 (after its
``Retry-After``) or a refused connection until ``retry_s`` has passed, so a restarting or rebalancing
deployment costs time, never an event. Any other answer is returned as it is.

    async with IngressClient("http://127.0.0.1:6066", key_id, secret) as client:
        response = await client.post_event(event)                     # 202, or a 4xx to act on
        response = await client.post_task(code, handoff_id, "accept", {"officer": "Lê Văn An"})
        ledger = (await client.get_dossier(code)).json()
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx

from services.relay.auth import signed_headers

__all__ = ["IngressClient"]

_RETRY_STATUSES = {502, 503}


class IngressClient:
    def __init__(
        self,
        base_url: str,
        key_id: str,
        secret: str,
        *,
        retry_s: float = 60.0,
        timeout_s: float = 30.0,
        max_connections: int = 100,
    ) -> None:
        self.key_id = key_id
        self.secret = secret
        self.retry_s = retry_s
        self.retries = 0
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections // 2),
        )

    async def __aenter__(self) -> IngressClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self, method: str, path: str, body: Any = None, idempotency_key: str | None = None
    ) -> httpx.Response:
        """One signed request (``path`` with its query string, exactly as sent); retried as the module says."""
        raw = b"" if body is None else body if isinstance(body, bytes) else _json(body)
        deadline = time.monotonic() + self.retry_s
        pause = 0.1
        while True:
            headers = signed_headers(self.key_id, self.secret, method, path, raw)
            if body is not None:
                headers["Content-Type"] = "application/json"
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
            try:
                response = await self._http.request(method, path, content=raw, headers=headers)
            except httpx.TransportError:
                if time.monotonic() + pause > deadline:
                    raise
            else:
                if response.status_code not in _RETRY_STATUSES or time.monotonic() + pause > deadline:
                    return response
                pause = max(pause, _retry_after(response))
            self.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def post_event(self, event: Any) -> httpx.Response:
        """POST /v1/events: a CloudEvent (a pydantic event, or its JSON as a dict)."""
        body = json.loads(event.model_dump_json(exclude_none=True)) if hasattr(event, "model_dump_json") else event
        return await self.request("POST", "/v1/events", body)

    async def post_task(
        self, code: str, handoff_id: str, action: str, data: dict[str, Any], idempotency_key: str | None = None
    ) -> httpx.Response:
        """POST /v1/dossiers/{code}/handoffs/{handoff_id}/{action}; the key (a UUID if not given) is the event id."""
        path = f"/v1/dossiers/{code}/handoffs/{handoff_id}/{action}"
        return await self.request("POST", path, data, idempotency_key or str(uuid.uuid4()))

    async def get_dossier(self, code: str) -> httpx.Response:
        return await self.request("GET", f"/v1/dossiers/{code}")


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 30.0) if value.isdigit() else 0.0
