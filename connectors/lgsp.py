"""A provincial department behind an LGSP-style integration gateway.

Token: OAuth2 client credentials, ``POST token_url`` with
``grant_type=client_credentials`` and HTTP Basic ``client_id:client_secret``; the answer
``{"access_token": ..., "expires_in": <s>}`` is cached until shortly before it expires.
A token endpoint failure is classified like any other request (5xx/429/connection →
retry, 4xx → permanent); a 2xx answer without ``access_token`` is permanent too
(a misconfigured gateway will not fix itself between attempts).

Delivery: POST ``{url}`` with ``Authorization: Bearer <token>`` and the envelope
``{"header": {"messageId", "sender", "receiver", "dossierCode", "eventType", "sentAt"},
"body": <event body>}``. If the gateway answers 401 to a *cached* token (revoked or
expired early), the token is dropped and the request resent once with a new one,
inside the same attempt.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Unpack

import httpx

from connectors.base import ConnectorOptions, PushConnector, json_envelope
from connectors.errors import AgencyRejected, ConnectorError
from connectors.models import AgencyEndpoint, OutboundEvent

__all__ = ["LgspConnector"]

SENDER = "lienthong"
_DEFAULT_TOKEN_TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires_at: float  # time.monotonic()


class LgspConnector(PushConnector):
    """Push connector for an LGSP gateway (bearer token + envelope).

    async with LgspConnector(endpoint) as conn: await conn.deliver(event)
    """

    def __init__(self, endpoint: AgencyEndpoint, **options: Unpack[ConnectorOptions]) -> None:
        super().__init__(endpoint, **options)
        if endpoint.token_url is None or endpoint.client_id is None or endpoint.client_secret is None:
            raise ValueError(f"agency {endpoint.agency!r}: LGSP needs token_url, client_id, client_secret")
        self._token_url = endpoint.token_url
        credentials = f"{endpoint.client_id}:{endpoint.client_secret.get_secret_value()}"
        self._basic_auth = "Basic " + base64.b64encode(credentials.encode()).decode()
        self._token: _Token | None = None
        # One token fetch at a time; concurrent deliveries wait for it instead of stampeding.
        self._token_lock = asyncio.Lock()

    def build_body(self, event: OutboundEvent) -> bytes:
        header = {
            "messageId": event.event_id,
            "sender": SENDER,
            "receiver": self.agency,
            "dossierCode": event.dossier_code,
            "eventType": event.event_type,
            "sentAt": datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="seconds"),
        }
        return json_envelope({"header": header}, "body", event.body)

    def content_type(self, event: OutboundEvent) -> str:
        return "application/json"

    async def attempt(self, event: OutboundEvent, body: bytes) -> httpx.Response:
        token, fresh = await self._bearer()
        try:
            return await self.send(self._request(event, body, token))
        except AgencyRejected as exc:
            if exc.status != 401 or fresh:
                raise
        self._drop(token)
        token, _ = await self._bearer()
        return await self.send(self._request(event, body, token))

    def _request(self, event: OutboundEvent, body: bytes, token: str) -> httpx.Request:
        headers = {**self.headers(event), "Authorization": f"Bearer {token}"}
        return self.signed_request("POST", self.target_url(), body, headers)

    def _drop(self, token: str) -> None:
        if self._token is not None and self._token.value == token:
            self._token = None

    async def _bearer(self) -> tuple[str, bool]:
        """The cached token, or a new one; the flag says whether it was just fetched."""
        async with self._token_lock:
            if self._token is not None and self._token.expires_at > time.monotonic():
                return self._token.value, False
            self._token = await self._fetch_token()
            return self._token.value, True

    async def _fetch_token(self) -> _Token:
        request = self.client.build_request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": self._basic_auth},
        )
        response = await self.send(request)
        try:
            data: Any = response.json()
        except ValueError as exc:
            raise ConnectorError("token endpoint answered with non-JSON", status=response.status_code) from exc
        value = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(value, str) or not value:
            raise ConnectorError("token endpoint answered without access_token", status=response.status_code)
        ttl = data.get("expires_in", _DEFAULT_TOKEN_TTL_S)
        ttl = float(ttl) if isinstance(ttl, int | float) else _DEFAULT_TOKEN_TTL_S
        # Renew a little early so a token does not expire in flight.
        return _Token(value, time.monotonic() + ttl - min(30.0, ttl / 2))
