"""The ingress's contract over real HTTP, one regression test per defect an integrator or attacker found:
instants out of range, idempotency across a restart, text that must be refused (and NFD that must not),
unknown dossiers, the published contract matching the server, a month with a newline."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import AsyncIterator
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from schemas.events import TZ
from services.ops.readback import read_topic
from services.relay.auth import signed_headers
from simulators.factory import LAND_TRANSFER, dossier_code, dossier_received, handoff_requested
from tests.support.system import System

pytestmark = pytest.mark.asyncio(loop_scope="module")
SEQ = count(300)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def system(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    sys_ = System(kafka_bootstrap, Path(tmp_path_factory.mktemp("contract-http")))
    try:
        await sys_.start(act=False)
        yield sys_
    finally:
        await sys_.stop()


def _received(**data: Any) -> dict[str, Any]:
    code = dossier_code(next(SEQ), datetime.now(TZ)) + "-c"
    doc: dict[str, Any] = json.loads(
        dossier_received(code, LAND_TRANSFER, datetime.now(TZ)).model_dump_json(exclude_none=True)
    )
    doc["data"].update(data)
    return doc


async def _post(system: System, doc: dict[str, Any], agency: str = "one-stop") -> httpx.Response:
    return await system.agencies[agency].request("POST", "/v1/events", doc)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("time", "9999-12-31T23:00:00+07:00"),
        ("time", "9999-12-31T23:00-12:00"),
        ("time", "0001-01-01T00:00+14:00"),
        ("appointment_at", "9999-01-01T08:00:00+07:00"),
        ("received_at", "1999-12-31T08:00:00+07:00"),
    ],
)
async def test_an_instant_out_of_range_is_a_field_error_never_a_500(system: System, where: str, value: str) -> None:
    doc = _received()
    if where == "time":
        doc["time"] = value
    else:
        doc["data"][where] = value
    response = await _post(system, doc)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert (where if where == "time" else f"data.{where}") in fields


async def test_a_reused_id_with_other_content_is_refused_also_after_a_restart(system: System) -> None:
    doc = _received()
    assert (await _post(system, doc)).status_code == 202
    other = json.loads(json.dumps(doc))
    other["data"]["applicant"]["name"] = "Người Khác"
    assert (await _post(system, other)).status_code == 409
    await system.halt(0)
    system.spawn(0)
    await system.wait_ready(0, 90)
    again = await _post(system, other)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "idempotency_conflict"
    same = await _post(system, doc)
    assert same.status_code == 202
    assert same.headers.get("Idempotent-Replayed") == "true"
    stored = [r for r in read_topic(system.kafka, system.topic("events")) if json.loads(r.value)["id"] == doc["id"]]
    assert len(stored) == 1  # the first content only, once


@pytest.mark.parametrize(
    "name",
    ["Nguyễn \u202eiaM", "Lê Thị\u0085Mai", "\u200b\u200d\ufeff", "Trần\u2066Văn\u2069"],
    ids=["right-to-left override", "C1 control", "only zero-width", "bidi isolate"],
)
async def test_text_that_reads_other_than_it_is_stored_is_refused(system: System, name: str) -> None:
    response = await _post(system, _received(applicant={"name": name}))
    assert response.status_code == 422, response.text
    assert "data.applicant.name" in [e["field"] for e in response.json()["errors"]]


async def test_decomposed_vietnamese_is_accepted_and_stored_composed(system: System) -> None:
    name = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    doc = _received(applicant={"name": name})
    response = await _post(system, doc)
    assert response.status_code == 202, response.text
    (stored,) = [
        json.loads(r.value)
        for r in read_topic(system.kafka, system.topic("events"))
        if json.loads(r.value)["id"] == doc["id"]
    ]
    assert stored["data"]["applicant"]["name"] == "Nguyễn Thị Hồng Nhung"
    assert unicodedata.is_normalized("NFC", stored["data"]["applicant"]["name"])


async def test_the_one_stop_shop_gets_404_for_a_dossier_that_does_not_exist(system: System) -> None:
    code = dossier_code(next(SEQ), datetime.now(TZ)) + "-missing"
    received = dossier_received(code, LAND_TRANSFER, datetime.now(TZ))
    handoff = handoff_requested(received, "land-check", "land-registry", handoff_id=f"{code}-lc")
    response = await system.agencies["one-stop"].post_event(handoff)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "unknown_dossier"
    mine = [r for r in read_topic(system.kafka, system.topic("quarantine")) if code.encode() == r.key]
    assert mine == []  # refused at the door: nothing stored, nothing quarantined


async def test_the_published_contract_is_the_servers(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.url, timeout=10) as client:
        doc = (await client.get("/openapi.json")).json()
        source = doc["components"]["schemas"]["HandoffAccepted"]["properties"]["source"]
        assert {"one-stop", "land-registry"} <= set(source["enum"])
        accept = doc["paths"]["/v1/dossiers/{code}/handoffs/{handoff_id}/accept"]["post"]
        code = next(p for p in accept["parameters"] if p["name"] == "code")
        assert code["schema"]["maxLength"] == 64
        assert "pattern" in code["schema"]
        body_ref = accept["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert "handoff_id" not in doc["components"]["schemas"][body_ref].get("required", [])
        unknown = await client.get("/no/such/page")
        assert unknown.status_code == 404
        assert unknown.json()["message_vi"]
        wrong = await client.delete("/v1/events")
        assert wrong.status_code == 405
        assert wrong.json()["code"] == "method_not_allowed"
        assert "POST" in wrong.headers["Allow"]


async def test_a_month_with_a_trailing_newline_is_refused(system: System) -> None:
    key_id, secret = system.keys["office"]
    target = "/v1/reports/late?month=2026-12%0a"
    async with httpx.AsyncClient(base_url=system.url, timeout=10) as client:
        response = await client.get(target, headers=signed_headers(key_id, secret, "GET", target, b""))
    assert response.status_code == 400, response.text
    assert "\n" not in response.text.replace("\\n", "")
