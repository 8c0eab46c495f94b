"""The relay on the real broker with real HTTP agencies: failures, security, idempotency, poison messages."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from kafka import KafkaProducer

from schemas.events import TZ
from services.relay.auth import signed_headers
from services.relay.deadletter import read_letters
from simulators.factory import (
    FIRST_CERTIFICATE,
    LAND_TRANSFER,
    completion_data,
    dossier_code,
    dossier_received,
    handoff_requested,
    make_event,
)
from tests.support.system import System, post_raw

pytestmark = pytest.mark.asyncio(loop_scope="module")
SEQ = count(100)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def system(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    sys_ = System(kafka_bootstrap, Path(tmp_path_factory.mktemp("relay")))
    try:
        await sys_.start(
            act=False,
            endpoint_options={
                "land-registry": {"max_attempts": 40},
                "ward-vinh-hai": {"kind": "pull", "poll_interval_s": 0.2},  # a system that cannot receive pushes
            },
        )
        yield sys_
    finally:
        await sys_.stop()


async def open_dossier(system: System, wait: bool = True) -> tuple[str, Any]:
    """The one-stop-shop receives a dossier and hands it to the land registry."""
    code = dossier_code(next(SEQ), datetime.now(TZ))
    received = dossier_received(code, LAND_TRANSFER, datetime.now(TZ))
    one_stop = system.agencies["one-stop"]
    assert (await one_stop.post_event(received)).status_code == 202
    handoff = handoff_requested(received, "land-check", "land-registry", workflow_version=2, handoff_id=f"{code}-lc")
    response = await one_stop.post_event(handoff)
    assert response.status_code == 202, response.text
    if wait:
        await system.wait_ledger(code, lambda b: f"{code}-lc" in b["handoffs"], what="the handoff in the ledger")
    return code, handoff


def dead_letters(system: System, topic: str = "deadletter") -> list[Any]:
    return read_letters(system.kafka, system.topic(topic))


# -- connector failure modes ---------------------------------------------------------------------------
async def test_agency_down_then_up_gets_the_event_once(system: System) -> None:
    land = system.agencies["land-registry"]
    land.outage = True
    before = land.requests
    code, handoff = await open_dossier(system)
    await system.wait_for(lambda: land.requests >= before + 3, what="retries against the dead agency")
    land.outage = False
    await system.wait_for(lambda: system.received("land-registry", subject=code), what="delivery after the outage")
    retried = land.requests - before
    got = [r for r in land.received if r.event_id == handoff.id]
    assert len(got) == 1
    assert retried >= 4  # three refused during the outage, then the delivery


async def test_rejected_delivery_is_dead_lettered_and_redrive_delivers_it(system: System) -> None:
    land = system.agencies["land-registry"]
    land.scripted = [(422, {})]
    code, handoff = await open_dossier(system)
    letters: list[Any] = []

    def found() -> bool:
        letters[:] = [x for x in dead_letters(system) if x.record.event_id == handoff.id]
        return bool(letters)

    await system.wait_for(found, timeout_s=30, what="the dead letter")
    record = letters[0].record
    assert record.kind == "delivery"
    assert record.agency == "land-registry"
    assert record.status == 422
    assert record.attempts == 1
    assert record.permanent
    assert "422" in record.reason_en
    assert not system.received("land-registry", subject=code)

    shown = system.cli("dlq", "show", letters[0].ref)
    assert shown.returncode == 0
    assert handoff.id in shown.stdout
    redriven = system.cli("dlq", "redrive", letters[0].ref)
    assert redriven.returncode == 0, redriven.stderr
    await system.wait_for(lambda: system.received("land-registry", subject=code), what="the redriven delivery")
    assert [r.event_id for r in system.received("land-registry", subject=code)] == [handoff.id]


async def test_429_with_retry_after_is_honoured(system: System) -> None:
    land = system.agencies["land-registry"]
    land.scripted = [(429, {"Retry-After": "1"})]
    start = len(land.hits)
    code, _ = await open_dossier(system)
    await system.wait_for(lambda: system.received("land-registry", subject=code), what="delivery after 429")
    first, second = land.hits[start], land.hits[start + 1]
    assert second - first >= 0.95


# -- security --------------------------------------------------------------------------------------------
async def test_request_without_key_is_401(system: System) -> None:
    response = await post_raw(f"{system.url}/v1/events", b"{}", {"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert "message_vi" in response.json()


async def test_replayed_signed_request_is_rejected(system: System) -> None:
    code = dossier_code(next(SEQ), datetime.now(TZ))
    event = dossier_received(code, LAND_TRANSFER, datetime.now(TZ))
    body = event.model_dump_json(exclude_none=True).encode()
    key_id, secret = system.keys["one-stop"]
    headers = {**signed_headers(key_id, secret, "POST", "/v1/events", body), "Content-Type": "application/json"}
    first = await post_raw(f"{system.url}/v1/events", body, headers)
    assert first.status_code == 202
    replay = await post_raw(f"{system.url}/v1/events", body, headers)
    assert replay.status_code == 401
    assert "replayed" in replay.json()["message_en"]


async def test_tampered_body_and_revoked_key_are_401(system: System) -> None:
    key_id, secret = system.keys["tax"]
    headers = {**signed_headers(key_id, secret, "POST", "/v1/events", b"{}"), "Content-Type": "application/json"}
    tampered = await post_raw(f"{system.url}/v1/events", b'{"x": 1}', headers)
    assert tampered.status_code == 401
    assert tampered.json()["message_en"] == "bad signature"

    provisioned = system.cli("agency", "provision", "ward-vinh-hai")
    new_key = provisioned.stdout.split("key id: ")[1].split()[0]
    new_secret = provisioned.stdout.split("secret: ")[1].split()[0]
    assert "secret" not in system.cli("agency", "list").stdout.replace("secret:", "")
    assert system.cli("agency", "revoke", new_key).returncode == 0
    headers = {**signed_headers(new_key, new_secret, "POST", "/v1/events", b"{}"), "Content-Type": "application/json"}
    revoked = await post_raw(f"{system.url}/v1/events", b"{}", headers)
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["message_en"]


async def test_only_the_one_stop_shop_opens_dossiers(system: System) -> None:
    code = dossier_code(next(SEQ), datetime.now(TZ))
    event = json.loads(dossier_received(code, LAND_TRANSFER, datetime.now(TZ)).model_dump_json(exclude_none=True))
    event["source"] = "tax"
    response = await system.agencies["tax"].request("POST", "/v1/events", event)
    assert response.status_code == 403
    assert response.json()["code"] == "only_one_stop_opens"


async def test_agency_cannot_send_as_another_or_act_on_another_agencys_handoff(system: System) -> None:
    code, handoff = await open_dossier(system)
    tax = system.agencies["tax"]
    as_other = handoff_requested(handoff, "land-check", "land-registry")  # source one-stop, sent by tax
    spoofed = await tax.request("POST", "/v1/events", json.loads(as_other.model_dump_json(exclude_none=True)))
    assert spoofed.status_code == 403
    assert spoofed.json()["code"] == "wrong_source"

    foreign = await tax.request("POST", f"/v1/dossiers/{code}/handoffs/{code}-lc/accept", {"officer": "X"})
    assert foreign.status_code == 403
    assert foreign.json()["code"] == "not_addressed"

    own = await system.agencies["land-registry"].request(
        "POST", f"/v1/dossiers/{code}/handoffs/{code}-lc/accept", {"officer": "Trần Văn Bình"}
    )
    assert own.status_code == 202, own.text

    hidden = await system.agencies["ward-loc-tho"].request("GET", f"/v1/dossiers/{code}")
    assert hidden.status_code == 404
    seen = await system.agencies["land-registry"].request("GET", f"/v1/dossiers/{code}")
    assert seen.status_code == 200
    assert seen.json()["open_handoffs"][0]["to_agency"] == "land-registry"


# -- idempotency -----------------------------------------------------------------------------------------
async def test_same_event_posted_twice_is_stored_once_and_delivered_once(system: System) -> None:
    code, handoff = await open_dossier(system, wait=False)
    again = await system.agencies["one-stop"].post_event(handoff)
    assert again.status_code == 202
    await system.wait_for(lambda: system.received("land-registry", subject=code), what="the delivery")
    repeat = await system.agencies["one-stop"].post_event(handoff)
    assert repeat.status_code == 202
    assert repeat.json()["id"] == handoff.id
    assert repeat.headers.get("Idempotent-Replayed") == "true"
    await system.wait_ledger(code, lambda b: b["events"] >= 2, what="the handoff routed")
    assert [r.event_id for r in system.received("land-registry", subject=code)] == [handoff.id]
    assert handoff.id not in system.agencies["land-registry"].repeats  # the relay sent it once, not just deduped
    ledger = await system.ledger(code)
    assert ledger["events"] == 2  # received + handoff: the repeats were no-ops


async def test_one_id_for_two_different_events_is_a_conflict(system: System) -> None:
    code, handoff = await open_dossier(system)
    land = system.agencies["land-registry"]
    first = await land.request("POST", f"/v1/dossiers/{code}/handoffs/{code}-lc/accept", {"officer": "A"}, key="k-1")
    assert first.status_code == 202, first.text
    retry = await land.request("POST", f"/v1/dossiers/{code}/handoffs/{code}-lc/accept", {"officer": "A"}, key="k-1")
    assert retry.status_code == 202
    assert retry.json() == first.json()
    other = await land.request("POST", f"/v1/dossiers/{code}/handoffs/{code}-lc/accept", {"officer": "B"}, key="k-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"
    assert other.json()["message_vi"].startswith("Mã sự kiện k-1 đã được dùng")


async def test_a_body_naming_another_handoff_than_its_path_is_refused(system: System) -> None:
    code, _ = await open_dossier(system)
    land = system.agencies["land-registry"]
    body = {"officer": "A", "handoff_id": f"{code}-other"}
    response = await land.request("POST", f"/v1/dossiers/{code}/handoffs/{code}-lc/accept", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["data.handoff_id"]


# -- bad input -------------------------------------------------------------------------------------------
async def test_invalid_event_gets_422_with_field_detail(system: System) -> None:
    code = dossier_code(next(SEQ), datetime.now(TZ))
    event = json.loads(dossier_received(code, LAND_TRANSFER, datetime.now(TZ)).model_dump_json(exclude_none=True))
    del event["data"]["channel"]
    event["data"]["applicant"]["name"] = "Nguyễn \u202eA nă\u0056"  # a right-to-left override hides what it says
    response = await system.agencies["one-stop"].request("POST", "/v1/events", event)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"data.channel", "data.applicant.name"} <= fields
    assert all(e["message_vi"] and e["message_en"] for e in response.json()["errors"])


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [("text/plain", b"{}", 415), ("application/json", b"{not json", 400), ("application/json", b"x" * 300_000, 413)],
)
async def test_malformed_requests_are_4xx_not_500(system: System, content_type: str, body: bytes, status: int) -> None:
    key_id, secret = system.keys["one-stop"]
    headers = {**signed_headers(key_id, secret, "POST", "/v1/events", body), "Content-Type": content_type}
    response = await post_raw(f"{system.url}/v1/events", body, headers)
    assert response.status_code == status
    assert response.json()["message_vi"]


def _hostile(system: System, body: bytes, **override: str | bytes) -> dict[str, str | bytes]:
    """Headers signed for ``body`` by the tax office, then some replaced with what an attacker sends."""
    key_id, secret = system.keys["tax"]
    headers: dict[str, str | bytes] = dict(signed_headers(key_id, secret, "POST", "/v1/events", body))
    headers["Content-Type"] = "application/json"
    for name, value in override.items():
        headers[f"X-Lienthong-{name}"] = value
    return headers


@pytest.mark.parametrize(
    ("override", "status"),
    [
        ({"Timestamp": "²".encode()}, 401),  # a digit to str.isdigit(), not to int()
        ({"Nonce": "nonce-có-dấu-tiếng-việt".encode()}, 401),
        ({"Nonce": b"\xff\xfe" * 10}, 401),
        ({"Signature": "chữ-ký".encode()}, 401),
        ({"Signature": b"\xff" * 64}, 401),
        ({}, 400),  # well signed: 100,000 nested arrays exhaust json.loads
    ],
)
async def test_hostile_headers_and_bodies_are_4xx_not_500(
    system: System, override: dict[str, str | bytes], status: int
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = await post_raw(f"{system.url}/v1/events", body, _hostile(system, body, **override))
    assert response.status_code == status, response.text
    assert response.json()["message_vi"]


async def test_a_body_sent_in_many_chunks_is_read_whole(system: System) -> None:
    code = dossier_code(next(SEQ), datetime.now(TZ))
    body = dossier_received(code, LAND_TRANSFER, datetime.now(TZ)).model_dump_json(exclude_none=True).encode()
    key_id, secret = system.keys["one-stop"]
    headers = {**signed_headers(key_id, secret, "POST", "/v1/events", body), "Content-Type": "application/json"}

    async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
        for i in range(0, len(data), size):
            yield data[i : i + size]
            await asyncio.sleep(0.01)  # each piece its own TCP segment

    response = await post_raw(f"{system.url}/v1/events", chunks(body, 50), headers)
    assert response.status_code == 202, response.text
    big = b"x" * 300_000
    headers = {**signed_headers(key_id, secret, "POST", "/v1/events", big), "Content-Type": "application/json"}
    too_big = await post_raw(f"{system.url}/v1/events", chunks(big, 64_000), headers)  # no Content-Length
    assert too_big.status_code == 413


async def test_openapi_document_is_served(system: System) -> None:
    async with httpx.AsyncClient() as client:
        doc = (await client.get(f"{system.url}/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    assert "/v1/events" in doc["paths"]
    assert "/v1/dossiers/{code}/handoffs/{handoff_id}/verification" in doc["paths"]
    assert "DossierReceived" in doc["components"]["schemas"]


# -- poison messages and workflow breaks -------------------------------------------------------------------
async def test_poison_message_is_quarantined_and_the_stream_goes_on(system: System) -> None:
    producer = KafkaProducer(bootstrap_servers=system.bootstrap, acks="all")
    poison_key = b"000.00.20.H41-261126-9991"
    producer.send(system.topic("events"), key=poison_key, value=b"\xff\xfe not json").get(timeout=10)
    stranger = handoff_requested(
        dossier_received("000.00.20.H41-261126-9992", LAND_TRANSFER, datetime.now(TZ)), "land-check", "land-registry"
    )
    producer.send(system.topic("events"), key=stranger.subject.encode(), value=stranger.model_dump_json().encode()).get(
        timeout=10
    )
    producer.close()

    code, _ = await open_dossier(system)  # the stream goes on
    await system.wait_for(lambda: system.received("land-registry", subject=code), what="delivery after the poison")
    letters: dict[str, Any] = {}

    def found() -> bool:
        letters.update({x.key: x.record for x in dead_letters(system, "quarantine")})
        return poison_key in letters and stranger.subject.encode() in letters

    await system.wait_for(found, timeout_s=20, what="both records in quarantine")
    assert letters[poison_key].reason_en.startswith("undecodable event")
    assert letters[poison_key].payload == b"\xff\xfe not json"
    assert letters[stranger.subject.encode()].reason_en.startswith("unknown_dossier")
    listed = system.cli("dlq", "list", "--quarantine")
    assert listed.returncode == 0
    assert "unknown_dossier" in listed.stdout


# -- pull connector ----------------------------------------------------------------------------------------
async def test_results_pulled_from_a_system_that_cannot_push_are_relayed(system: System) -> None:
    code = dossier_code(next(SEQ), datetime.now(TZ))
    received = dossier_received(code, FIRST_CERTIFICATE, datetime.now(TZ))
    assert (await system.agencies["one-stop"].post_event(received)).status_code == 202
    to_land = handoff_requested(received, "land-check", "land-registry", handoff_id=f"{code}-lc")
    assert (await system.agencies["one-stop"].post_event(to_land)).status_code == 202
    await system.wait_ledger(code, lambda b: f"{code}-lc" in b["handoffs"], what="the land-check handoff")
    to_ward = handoff_requested(
        received, "ward-verify", "ward-vinh-hai", from_agency="land-registry", handoff_id=f"{code}-ward"
    )
    assert (await system.agencies["land-registry"].post_event(to_ward)).status_code == 202
    await system.wait_ledger(code, lambda b: f"{code}-ward" in b["handoffs"], what="the ward handoff")

    ward = system.agencies["ward-vinh-hai"]
    verified = make_event(
        "vn.lienthong.verification.posted",
        "ward-vinh-hai",
        code,
        {**completion_data("vn.lienthong.verification.posted", random.Random(1)), "handoff_id": f"{code}-ward"},
    )
    bad = {"specversion": "1.0", "id": f"{code}-bad", "source": "ward-vinh-hai", "subject": code, "type": "nope"}
    ward.outbox.extend([bad, json.loads(verified.model_dump_json(exclude_none=True))])

    await system.wait_for(
        lambda: [r for r in system.received("land-registry", subject=code) if r.event_id == verified.id],
        timeout_s=30,
        what="the pulled verification at the land registry",
    )
    await system.wait_for(
        lambda: [r for r in system.received("one-stop", subject=code) if r.event_id == verified.id],
        what="the pulled verification at the one-stop-shop",
    )
    refused = [x for x in dead_letters(system, "quarantine") if x.record.event_id == f"{code}-bad"]
    assert refused
    assert refused[0].record.reason_en.startswith("pulled item refused: invalid_event")


async def test_signature_covers_the_query_string(system: System) -> None:
    code, _ = await open_dossier(system)
    key_id, secret = system.keys["office"]
    signed = signed_headers(key_id, secret, "GET", f"/v1/dossiers/{code}", b"")
    async with httpx.AsyncClient(base_url=system.url) as client:
        altered = await client.get(f"/v1/dossiers/{code}?lang=en", headers=signed)
        assert altered.status_code == 401
        target = f"/v1/dossiers/{code}?lang=en"
        ok = await client.get(target, headers=signed_headers(key_id, secret, "GET", target, b""))
        assert ok.status_code == 200


async def test_faust_table_pages_are_not_served(system: System) -> None:
    """faust's /table pages would show table contents (citizens' names) to anyone: they are off."""
    async with httpx.AsyncClient(base_url=system.url) as client:
        for path in ("/table/", "/table/dossiers/", "/router/"):
            assert (await client.get(path)).status_code == 404
