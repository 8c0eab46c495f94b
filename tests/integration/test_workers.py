"""Several workers behave as one: any worker answers for any dossier, a nonce is used once across workers
and restarts, the Office gets one complete digest a day, one event id is stored once however it arrives."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from services.monitor.users import UserStore
from services.ops.readback import read_topic
from services.relay.auth import signed_headers
from services.stream.kafka import partition_of
from simulators.stack import Stack
from tests.integration.watchdog.support import WatchStack, handoff, open_dossier, received, start_stack

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


async def test_any_worker_answers_for_a_dossier_another_worker_just_routed(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    stack = Stack(kafka_bootstrap, tmp_path, workers=2)
    await stack.start(act=False)
    one_stop = stack.agencies["one-stop"]
    key_id, secret = stack.keys["one-stop"]
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for n in range(6):  # dossiers over several partitions, each posted to one worker and read at the other
                code = f"000.00.20.H41-261202-{7000 + n:04d}"
                at = datetime.now(TZ)
                for i, event in enumerate((received(code, at), handoff(code, at))):
                    body = json.dumps(json.loads(event.model_dump_json(exclude_none=True))).encode()
                    headers = {
                        **signed_headers(key_id, secret, "POST", "/v1/events", body),
                        "Content-Type": "application/json",
                    }
                    answer = await client.post(
                        f"{stack.worker_url((n + i) % 2)}/v1/events", content=body, headers=headers
                    )
                    assert answer.status_code == 202, answer.text  # never a false 404 from the other worker
                path = f"/v1/dossiers/{code}"
                got = await client.get(
                    f"{stack.worker_url(n % 2)}{path}", headers=signed_headers(key_id, secret, "GET", path, b"")
                )
                assert got.status_code == 200, got.text
                assert [h["to_agency"] for h in got.json()["open_handoffs"]] == ["land-registry"]
            await _same_keys_on_both_workers(stack, client, code)
    finally:
        await stack.stop()
    del one_stop


async def _same_keys_on_both_workers(stack: Stack, client: httpx.AsyncClient, code: str) -> None:
    """A dashboard session signed by one worker is good at the other, and both give a dossier the same check
    code (what a citizen types on the public page may reach either)."""
    UserStore(stack.workdir / "monitor-users.json").add("vp.test", "office", "mat-khau-van-phong-1")
    signed = await client.post(
        f"{stack.worker_url(0)}/monitor/login", data={"username": "vp.test", "password": "mat-khau-van-phong-1"}
    )
    assert signed.status_code == 303
    cookies = {"lt_session": signed.cookies["lt_session"]}
    checks: list[str | None] = [None, None]
    for _ in range(50):  # each worker's monitor sees the dossier once its watchdog copy has it
        for i in range(2):
            got = await client.get(f"{stack.worker_url(i)}/v1/monitor/dossiers/{code}", cookies=cookies)
            assert got.status_code in (200, 404), got.text  # never 401: the session is good at both
            if got.status_code == 200:
                checks[i] = got.json()["check_code"]
        if all(checks):
            break
        await asyncio.sleep(0.2)
    assert checks[0] is not None
    assert checks[0] == checks[1]


async def test_an_agency_told_of_a_handoff_finds_it_at_once_at_either_worker(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Read your notice: the moment the land registry is told of a handoff, both workers show it open in the
    dossier (delivery waits for the ledger; a read catches the worker's copy up first)."""
    stack = Stack(kafka_bootstrap, tmp_path, workers=2)
    await stack.start(act=False)
    key_id, secret = stack.keys["land-registry"]
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for n in range(8):
                code = f"000.00.20.H41-261202-{7100 + n:04d}"
                at = datetime.now(TZ)
                for event in (received(code, at), handoff(code, at)):
                    assert (await stack.agencies["one-stop"].post_event(event)).status_code == 202
                for _ in range(1000):
                    if stack.received("land-registry", {"vn.lienthong.handoff.requested"}, code):
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError(f"the land registry was never told of {code}")
                path = f"/v1/dossiers/{code}"
                for worker in (0, 1):
                    got = await client.get(
                        f"{stack.worker_url(worker)}{path}", headers=signed_headers(key_id, secret, "GET", path, b"")
                    )
                    assert got.status_code == 200, got.text
                    held = [h["to_agency"] for h in got.json()["open_handoffs"]]
                    assert held == ["land-registry"], (worker, got.json())
    finally:
        await stack.stop()


async def test_a_nonce_is_used_once_across_workers_and_restarts(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack = Stack(kafka_bootstrap, tmp_path, workers=2)
    await stack.start(act=False)
    key_id, secret = stack.keys["office"]
    path = "/v1/dossiers/000.00.20.H41-261202-0001"
    headers = signed_headers(key_id, secret, "GET", path, b"")
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            first = await client.get(f"{stack.worker_url(0)}{path}", headers=headers)
            assert first.status_code == 404, first.text  # authenticated (no such dossier)
            other = await client.get(f"{stack.worker_url(1)}{path}", headers=headers)
            assert other.status_code == 401, other.text
            assert "nonce" in other.json()["message_en"]
            await stack.halt(0)
            stack.spawn(0)
            await stack.wait_ready(0, 90)
            again = await client.get(f"{stack.worker_url(0)}{path}", headers=headers)
            assert again.status_code == 401, again.text
    finally:
        await stack.stop()


async def test_three_workers_send_the_office_one_complete_digest(kafka_bootstrap: str, tmp_path: Path) -> None:
    stack: WatchStack = await start_stack(kafka_bootstrap, tmp_path, vn(2026, 3, 2, 6), None, None, workers=3)
    codes = [f"000.00.20.H41-260302-{n:04d}" for n in range(1, 9)]
    try:
        for code in codes:  # received Monday 08:00, handed to the land registry: due Wednesday, near on Wednesday
            await open_dossier(stack, code, vn(2026, 3, 2, 8))
        assert len({partition_of(c.encode(), 6) for c in codes}) >= 3  # spread over the workers' partitions
        for code in codes:
            await stack.wait_ledger(code, lambda b: bool(b["open_handoffs"]), what="the handoff")
        stack.set_clock(vn(2026, 3, 4, 7, 31))
        await stack.wait_for(lambda: _digests(stack), 30, "the digest")
        await asyncio.sleep(3)  # every worker ticked at least a few times since
        (digest,) = _digests(stack)
        listed = {i["dossier_code"] for items in digest["agencies"].values() for i in items}
        assert listed == set(codes)
    finally:
        await stack.stop()


def _digests(stack: WatchStack) -> list[dict[str, object]]:
    return [
        d["data"]
        for d in stack.documents("alerts")
        if d.get("type") == "vn.lienthong.digest.published" and d["data"]["date"] == "2026-03-04"
    ]


async def test_one_event_id_posted_at_once_is_stored_once_and_other_content_is_refused(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    stack = Stack(kafka_bootstrap, tmp_path)
    await stack.start(act=False)
    one_stop = stack.agencies["one-stop"]
    code = "000.00.20.H41-261202-0555"
    event = received(code, datetime.now(TZ))
    try:
        same = await asyncio.gather(*(one_stop.post_event(event) for _ in range(8)))
        assert [r.status_code for r in same] == [202] * 8
        assert len({r.text for r in same}) == 1  # the same answer for each
        stored = [r for r in read_topic(stack.kafka, stack.topic("events")) if json.loads(r.value)["id"] == event.id]
        assert len(stored) == 1
        # one id, six different contents at once: exactly one wins, the others are told it is taken
        other = f"{code}-b"
        variants = [received(other, datetime.now(TZ)).model_copy(update={"id": "one-id-for-six"}) for _ in range(6)]
        variants = [
            v.model_copy(
                update={
                    "data": v.data.model_copy(
                        update={"applicant": v.data.applicant.model_copy(update={"name": f"Người {i}"})}
                    )
                }
            )
            for i, v in enumerate(variants)
        ]
        answers = await asyncio.gather(*(one_stop.post_event(v) for v in variants))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [202, 409, 409, 409, 409, 409], [r.text for r in answers]
    finally:
        await stack.stop()
