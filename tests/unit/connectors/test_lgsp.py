"""LGSP gateway: client-credentials token, bearer header, envelope."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from tenacity import stop_after_attempt, wait_none

from connectors import LgspConnector

from .conftest import BODY, make_endpoint, make_event

NOW = 1_700_000_000.0


class Gateway:
    """Token endpoint + service endpoint; tokens are tok-1, tok-2, ..."""

    def __init__(self, *, service_replies: list[int] | None = None, token_replies: list[int] | None = None):
        self.service_replies = service_replies or []
        self.token_replies = token_replies or []
        self.issued = 0
        self.token_requests: list[httpx.Request] = []
        self.service_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            self.token_requests.append(request)
            if self.token_replies:
                return httpx.Response(self.token_replies.pop(0), json={"error": "invalid_client"})
            self.issued += 1
            return httpx.Response(200, json={"access_token": f"tok-{self.issued}", "expires_in": 3600})
        self.service_requests.append(request)
        return httpx.Response(self.service_replies.pop(0) if self.service_replies else 200)


def _connector(gateway: Gateway) -> LgspConnector:
    return LgspConnector(
        make_endpoint("lgsp", url="https://gateway.example/svc/dept-tnmt"),
        transport=httpx.MockTransport(gateway),
        wait=wait_none(),
        stop=stop_after_attempt(3),
        clock=lambda: NOW,
    )


async def test_token_is_fetched_with_client_credentials_and_cached() -> None:
    gateway = Gateway()
    async with _connector(gateway) as connector:
        for n in range(3):
            assert (await connector.deliver(make_event("dept-tnmt", event_id=f"evt-{n}"))).ok
    [token_request] = gateway.token_requests
    assert token_request.method == "POST"
    assert token_request.content == b"grant_type=client_credentials"
    expected = base64.b64encode(b"lienthong:client-secret-value").decode()
    assert token_request.headers["authorization"] == f"Basic {expected}"
    assert [r.headers["authorization"] for r in gateway.service_requests] == ["Bearer tok-1"] * 3


async def test_envelope_shape() -> None:
    gateway = Gateway()
    async with _connector(gateway) as connector:
        await connector.deliver(make_event("dept-tnmt"))
    [request] = gateway.service_requests
    assert str(request.url) == "https://gateway.example/svc/dept-tnmt"
    assert request.headers["idempotency-key"] == "evt-0001"
    assert json.loads(request.content) == {
        "header": {
            "messageId": "evt-0001",
            "sender": "lienthong",
            "receiver": "dept-tnmt",
            "dossierCode": "H38.22-230510-0001",
            "eventType": "CadastralInfoSent",
            "sentAt": "2023-11-14T22:13:20+00:00",
        },
        "body": json.loads(BODY),
    }


async def test_401_on_a_cached_token_refetches_once() -> None:
    gateway = Gateway(service_replies=[200, 401, 200])
    async with _connector(gateway) as connector:
        assert (await connector.deliver(make_event("dept-tnmt", event_id="evt-1"))).ok
        result = await connector.deliver(make_event("dept-tnmt", event_id="evt-2"))
    assert result.ok
    assert result.attempts == 1
    assert len(gateway.token_requests) == 2
    assert [r.headers["authorization"] for r in gateway.service_requests] == [
        "Bearer tok-1",
        "Bearer tok-1",
        "Bearer tok-2",
    ]


async def test_401_on_a_fresh_token_is_permanent() -> None:
    gateway = Gateway(service_replies=[401])
    async with _connector(gateway) as connector:
        result = await connector.deliver(make_event("dept-tnmt"))
    assert result.permanent
    assert result.status == 401
    assert len(gateway.token_requests) == 1


async def test_token_endpoint_outage_is_retried() -> None:
    gateway = Gateway(token_replies=[503])
    async with _connector(gateway) as connector:
        result = await connector.deliver(make_event("dept-tnmt"))
    assert result.ok
    assert result.attempts == 2


async def test_refused_credentials_are_permanent() -> None:
    gateway = Gateway(token_replies=[400])
    async with _connector(gateway) as connector:
        result = await connector.deliver(make_event("dept-tnmt"))
    assert result.permanent
    assert result.status == 400
    assert result.error is not None
    assert "invalid_client" in result.error
    assert gateway.service_requests == []


@pytest.mark.parametrize("answer", [{"token": "x"}, {"access_token": ""}, ["tok"]])
async def test_token_answer_without_access_token_is_permanent(answer: object) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    connector = LgspConnector(make_endpoint("lgsp"), transport=httpx.MockTransport(handler), wait=wait_none())
    async with connector:
        result = await connector.deliver(make_event("dept-tnmt"))
    assert result.permanent
    assert result.error == "token endpoint answered without access_token"
