"""The watchdog in a real worker, steered by a fake clock: alerts on Kafka, to a webhook and by email, once;
dead letters; poison records; apology notices to the one-stop-shop and on paper; the late report.

The tests share one worker and one fake clock that only moves forward; they run in file order."""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from kafka import KafkaProducer

from schemas import default_calendar, new_event
from services.relay.deadletter import read_letters
from simulators.agency import SimulatedAgency

from .support import SmtpSink, WatchStack, alert_hook, open_dossier, start_stack

pytestmark = pytest.mark.asyncio(loop_scope="module")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
A = "000.00.20.H41-260302-0001"  # received Monday 2 March 2026 08:00, handed to the land registry at 09:00
W = "000.00.20.H41-260302-0002"


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def smtp() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def hook() -> AsyncIterator[SimulatedAgency]:
    receiver = alert_hook("http://127.0.0.1:9")
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def stack(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, hook: SimulatedAgency, smtp: SmtpSink
) -> AsyncIterator[WatchStack]:
    system = await start_stack(
        kafka_bootstrap, Path(tmp_path_factory.mktemp("watchdog")), vn(2026, 3, 2, 6), hook, smtp
    )
    try:
        yield system
    finally:
        await system.stop()


async def test_alert_reaches_the_topic_the_webhook_and_email_exactly_once(
    stack: WatchStack, hook: SimulatedAgency, smtp: SmtpSink
) -> None:
    await open_dossier(stack, A, vn(2026, 3, 2, 8))
    await stack.watched(2)
    stack.set_clock(vn(2026, 3, 2, 14, 59, 59))  # a second before the land registry's 4 office hours run out
    await stack.ticked_at(vn(2026, 3, 2, 14, 59, 59))
    assert not stack.alerts(A, "unacknowledged")
    stack.set_clock(vn(2026, 3, 2, 15))
    await stack.wait_for(lambda: stack.alerts(A, "unacknowledged"), 30, "the unacknowledged alert")
    await stack.wait_for(lambda: hook.received and smtp.about(A), 30, "webhook and email")
    await stack.ticked_at(vn(2026, 3, 2, 15), ticks=10)  # more ticks: nothing more
    (alert,) = stack.alerts(A, "unacknowledged")
    (alert_id,) = [d["id"] for d in stack.documents("alerts") if d.get("data") == alert]
    assert alert["handoff_id"] == "H1"
    assert alert["responsible_agency"] == "land-registry"
    assert alert["at"] == vn(2026, 3, 2, 15).isoformat()
    assert alert["reason_vi"].startswith("Chưa tiếp nhận: Chi nhánh Văn phòng Đăng ký đất đai Nha Trang")
    assert unicodedata.is_normalized("NFC", alert["reason_vi"])
    alerts = [r.subject for r in hook.received if r.event_type == "vn.lienthong.alert.raised"]
    assert alerts == [A]  # (the receiver checked the signature; Monday's digest came too)
    ((to, message),) = smtp.about(A)
    assert to == ["mot-cua@vpdk.example"]  # audience "unit" of the land registry
    assert "Chưa tiếp nhận" in str(message["Subject"])
    assert str(message["Date"]).endswith("+0700")  # Asia/Ho_Chi_Minh, whatever the server's zone
    body = message.get_content()
    assert unicodedata.is_normalized("NFC", body)
    assert f"Mã cảnh báo / alert id: {alert_id}" in body


async def test_webhook_failure_is_dead_lettered_with_its_reason(stack: WatchStack, hook: SimulatedAgency) -> None:
    cal = default_calendar()
    await open_dossier(stack, W, vn(2026, 3, 2, 15))  # handed over at 16:00: 4 office hours -> Tuesday 10:00
    await stack.watched(4)
    deadline = cal.add(vn(2026, 3, 2, 16), cal.hours(4))
    assert deadline == vn(2026, 3, 3, 10)
    hook.outage = True
    try:
        stack.set_clock(deadline)
        letters: list[object] = []

        def found() -> bool:
            letters[:] = [
                x for x in read_letters(stack.kafka, stack.topic("deadletter")) if x.record.agency == "office"
            ]
            return bool(letters)

        await stack.wait_for(found, 30, "the alert webhook's dead letter")
    finally:
        hook.outage = False
    record = letters[0].record  # type: ignore[attr-defined]
    assert record.kind == "delivery"
    assert record.source_topic == stack.topic("alerts")
    assert "alert webhook" in record.reason_en
    assert record.status == 503
    assert record.attempts == 2


async def test_poison_record_does_not_stop_the_watch(stack: WatchStack) -> None:
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    producer.send(stack.topic("events"), key=b"000.00.20.H41-260302-0666", value=b"\xff not json").get(timeout=10)
    producer.close()
    before = stack.stats()["events"]
    await open_dossier(stack, "000.00.20.H41-260302-0003", vn(2026, 3, 3, 10))
    await stack.wait_for(lambda: stack.stats()["undecodable"] >= 1, 30, "the poison record skipped")
    await stack.watched(before + 2)
    assert stack.stats()["errors"] == 0


async def test_apology_notice_reaches_the_one_stop_shop_and_prints(stack: WatchStack) -> None:
    cal = default_calendar()
    # A never leaves the land registry. Received Monday 2 March (not counted), its 8 days run from Tuesday 3
    # 07:00; the notice is drafted 2 working days before they run out: Tuesday 10 March 17:00.
    draft_at = cal.add(vn(2026, 3, 3, 7), cal.days(6))
    assert draft_at == vn(2026, 3, 10, 17)
    stack.set_clock(draft_at)
    await stack.wait_for(
        lambda: stack.received("one-stop", {"vn.lienthong.apology.drafted"}, A), 30, "the notice at the one-stop-shop"
    )
    (notice,) = [d for d in stack.documents("notices") if d["subject"] == A]
    data = notice["data"]
    assert data["responsible_agency"] == "land-registry"
    assert data["drafted_at"] == draft_at.isoformat()
    assert data["delay_working_days"] == 3
    assert "applicant_name" not in data  # the citizen's name stays off the topic
    one_stop = await stack.agencies["one-stop"].request("GET", data["document"])
    assert one_stop.status_code == 200
    assert one_stop.headers["Content-Type"].startswith("text/html")
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in one_stop.text
    assert "Trần Văn Bình" in one_stop.text
    assert (await stack.agencies["land-registry"].request("GET", data["document"])).status_code == 200
    assert (await stack.agencies["tax"].request("GET", data["document"])).status_code == 404
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{stack.url}{data['document']}")).status_code == 401
    listed = stack.cli("notices", "list", "--dossier", A)
    assert listed.returncode == 0, listed.stderr
    assert data["document"] in listed.stdout  # whole, to copy
    assert "xin lỗi / apology" in listed.stdout
    as_json = stack.cli("notices", "list", "--dossier", A, "--json")
    assert [json.loads(line)["data"]["document"] for line in as_json.stdout.splitlines()] == [data["document"]]


async def test_late_report_over_http_and_cli(stack: WatchStack) -> None:
    stack.set_clock(vn(2026, 3, 13, 9))  # A passed its due (the end of Thursday 12 March)
    await stack.ticked_at(vn(2026, 3, 13, 9))
    response = await stack.get("office", "/v1/reports/late", month="2026-03")
    assert response.status_code == 200
    report = response.json()
    entry = next(e for e in report["dossiers"] if e["dossier_code"] == A)
    assert entry["due"] == (vn(2026, 3, 13) - timedelta(microseconds=1)).isoformat()
    assert [(c["handoff_id"], c["agency"]) for c in entry["causes"]] == [("H1", "land-registry")]
    assert entry["causes"][0]["late_hours"] > 0
    tax_view = await stack.get("tax", "/v1/reports/late", month="2026-03")
    assert tax_view.json()["late_dossiers"] == 0
    bad = await stack.get("office", "/v1/reports/late", month="March")
    assert bad.status_code == 400
    await asyncio.sleep(1)  # let the producer flush the late table's changelog
    cli = stack.cli("report", "late", "--month", "2026-03")
    assert cli.returncode == 0, cli.stderr
    assert A in cli.stdout
    assert "land-registry" in cli.stdout
    listed = stack.cli("alerts", "list", "--dossier", A, "--rule", "overdue", "--json")
    assert listed.returncode == 0, listed.stderr
    # H1: levels 1 (Wed 4), 2 (Fri 6) and 3 (Wed 11 March); the dossier: level 1 (Thu 12 March)
    levels = sorted(json.loads(line)["data"]["level"] for line in listed.stdout.splitlines())
    assert levels == [1, 1, 2, 3]
    table = stack.cli("alerts", "list", "--dossier", A, "--rule", "overdue")
    rows = [line for line in table.stdout.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d \+07 ", line)]
    assert len(rows) == 4  # one row each, starting with its time in Vietnam, marked
    assert all(A in row for row in rows)  # the code whole


async def test_a_suspension_notice_reaches_the_one_stop_shop_at_once_and_prints(stack: WatchStack) -> None:
    """The land registry suspends a dossier (13 March, on the applicant's request): the citizen's notice,
    with the agency's own reason, is at the one-stop-shop without waiting for any timer."""
    code = "000.00.20.H41-260313-0004"
    await open_dossier(stack, code, vn(2026, 3, 13, 9))
    reason = "Người yêu cầu đề nghị tạm dừng để hòa giải ranh giới với hộ liền kề."
    suspension = new_event(
        "vn.lienthong.dossier.suspended",
        source="land-registry",
        subject=code,
        time=vn(2026, 3, 13, 10, 30),
        data={"handoff_id": "H1", "ground": "applicant-request", "reason": reason},
    )
    await stack.post("land-registry", suspension)
    await stack.wait_for(
        lambda: stack.received("one-stop", {"vn.lienthong.suspension.drafted"}, code), 30, "the suspension notice"
    )
    (notice,) = [d for d in stack.documents("notices") if d["subject"] == code]
    data = notice["data"]
    assert (data["kind"], data["responsible_agency"], data["reason"]) == ("suspension", "land-registry", reason)
    assert "applicant_name" not in data
    page = await stack.agencies["one-stop"].request("GET", data["document"])
    assert page.status_code == 200
    assert "THÔNG BÁO VỀ VIỆC TẠM DỪNG GIẢI QUYẾT HỒ SƠ" in page.text
    assert reason in page.text
    assert "Trần Văn Bình" in page.text
    listed = stack.cli("notices", "list", "--dossier", code)
    assert listed.returncode == 0, listed.stderr
    assert "suspended 2026-03-13 10:30 +07" in listed.stdout
    assert "(applicant-request)" in listed.stdout
