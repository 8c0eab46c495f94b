"""Exports, the printable slip, /metrics, the OpenAPI document and the CLI against the running system."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from .support import METRICS_TOKEN, MonitorStack, code

pytestmark = pytest.mark.asyncio(loop_scope="package")


@asynccontextmanager
async def office(stack: MonitorStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as c:
        await stack.login(c, "vp.lan")
        yield c


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for Vietnamese
    text = body[3:].decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    return list(csv.reader(io.StringIO(text)))


async def test_csv_exports_carry_a_bom_vietnamese_headers_and_the_listed_rows(stack: MonitorStack) -> None:
    async with office(stack) as c:
        near = await c.get("/monitor/export/near-due.csv")
        assert near.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in near.headers["content-disposition"]
        rows = rows_of(near.content)
        assert rows[0][:4] == ["STT", "Loại", "Mã hồ sơ", "Thủ tục"]
        items = (await c.get("/v1/monitor/near-due")).json()["items"]
        assert [r[2] for r in rows[1:]] == [i["dossier_code"] for i in items]
        assert "26/11/2026 16:00" in {r[7] for r in rows[1:]}  # dd/mm/yyyy HH:MM, Asia/Ho_Chi_Minh

        late = rows_of((await c.get("/monitor/export/overdue.csv")).content)
        assert late[0][1:3] == ["Mã hồ sơ", "Thủ tục"]
        (row,) = late[1:]
        assert row[1] == code(6)
        assert row[7] == "Chi nhánh Văn phòng Đăng ký đất đai Nha Trang"  # responsible
        assert late[0][6] == "Trễ hạn (ngày làm việc)"  # a plain number of working days, for Excel
        assert float(row[6].replace(",", ".")) > 0
        assert "ngày" in row[8]
        assert "giờ LV" not in row[8]
        assert "hệ thống phần mềm gặp sự cố" in row[9]
        assert row[10] == "Có"

        month = rows_of((await c.get("/monitor/export/evaluation.csv?month=2026-11")).content)
        agencies = {r[1]: r for r in month[1:]}
        assert "Chi cục Thuế khu vực Nha Trang - Diên Khánh" in agencies
        assert month[0][2:5] == ["Đã xong", "Trước hạn", "Đúng hạn"]
        english = rows_of((await c.get("/monitor/export/evaluation.csv?month=2026-11&lang=en")).content)
        assert english[0][:3] == ["No.", "Agency", "Finished"]

        bad = await c.get("/monitor/export/evaluation.csv?month=2026-13")
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "month"
        assert "Tháng không hợp lệ" in bad.json()["message_vi"]


async def test_the_slip_is_printable_with_its_officers(stack: MonitorStack) -> None:
    async with office(stack) as c:
        page = await c.get(f"/monitor/dossiers/{code(1)}/slip")
        assert page.status_code == 200
        html = page.text
        assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in html
        assert "Trần Văn Bình" in html
        assert "Lê Thị Mai" in html  # receiving officers
        assert "Đúng hạn" in html
        assert "Trước hạn" in html
        assert "Nguyễn Thị Hồng" not in html  # no citizen's name on the monitor's pages
        css = (await c.get("/monitor/static/dashboard.css")).text
        assert "@media print" in css
        assert "size: A4 landscape" in css


async def test_metrics_are_prometheus_text_equal_to_the_api(stack: MonitorStack) -> None:
    async with office(stack) as c:
        assert (await c.get("/metrics")).status_code == 401  # a dashboard session is not the scraper's token
        wrong = await c.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 401
        assert wrong.json()["message_vi"].startswith("Cần mã truy cập")
        metrics = await c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        pairs = (await c.get("/v1/monitor/pairs")).json()["pairs"]
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    values = {}
    for line in metrics.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    for p in pairs:
        labels = f'from="{p["from_agency"]}",to="{p["to_agency"]}"'
        assert values[f"lienthong_handoffs_open{{{labels}}}"] == p["figures"]["open"]
        assert values[f"lienthong_handoffs_overdue{{{labels}}}"] == p["figures"]["overdue"]
        assert values[f'lienthong_handoffs_finished{{{labels},verdict="late"}}'] == p["figures"]["late"]
    assert values[f'lienthong_consumer_group_status{{group="{stack.group}",status="OK"}}'] == 1
    assert values['lienthong_near_due{kind="handoff"}'] >= 1
    assert any(k.startswith("lienthong_deliveries_total{") for k in values)
    assert "# TYPE lienthong_consumer_lag gauge" in metrics.text


async def test_every_api_path_is_in_the_openapi_document(stack: MonitorStack) -> None:
    async with office(stack) as c:
        doc = (await c.get("/openapi-monitor.json")).json()
        assert doc["openapi"].startswith("3.1")
        for path in doc["paths"]:
            if "{code}" in path:
                path = path.replace("{code}", code(1))
            scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"} if path == "/metrics" else {}
            response = await c.get(path, headers=scraper)
            assert response.status_code == 200, (path, response.text[:200])
        assert "NearDueRow" in doc["components"]["schemas"]


def cli(stack: MonitorStack, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, **stack.env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_lienthong_lag_prints_the_agency_pair_table(stack: MonitorStack) -> None:
    async with office(stack) as c:
        pairs = (await c.get("/v1/monitor/pairs")).json()["pairs"]
    done = cli(stack, "lag")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Độ trễ liên thông theo cặp cơ quan")
    for p in pairs:
        (line,) = [ln for ln in lines if ln.startswith(f"{p['from_agency']} → {p['to_agency']} ")]
        cells = line.split("→", 1)[1].split()[1:]
        assert [int(cells[0]), int(cells[1]), int(cells[2])] == [
            p["figures"]["open"],
            p["figures"]["overdue"],
            p["figures"]["finished"],
        ]
    group = stack.extra["PROBE_GROUP"]
    technical = cli(stack, "lag", "--technical", "--group", group, "--window", "2s", "--samples", "2")
    assert technical.returncode == 0, technical.stderr
    assert group in technical.stdout
    assert "Offset cuối" in technical.stdout  # the log-end offset, as Kafka's consumer-groups tool prints it
    assert "dựa trên 2 mẫu" in technical.stdout


async def test_lienthong_user_adds_a_user_from_stdin_and_it_can_sign_in(stack: MonitorStack) -> None:
    added = cli(
        stack,
        "user",
        "add",
        "phuong.loctho",
        "--agency",
        "ward-loc-tho",
        "--password-stdin",
        stdin="mat-khau-phuong-loc-tho\n",
    )
    assert added.returncode == 0, added.stderr
    assert "mat-khau" not in added.stdout
    listed = cli(stack, "user", "list")
    assert "phuong.loctho" in listed.stdout
    assert "ward-loc-tho" in listed.stdout
    assert "scrypt" not in listed.stdout
    short = cli(stack, "user", "add", "ngan", "--agency", "tax", "--password-stdin", stdin="ngan\n")
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr
    async with httpx.AsyncClient(base_url=stack.url) as c:
        response = await c.post(
            "/monitor/login", data={"username": "phuong.loctho", "password": "mat-khau-phuong-loc-tho"}
        )
        assert response.status_code == 303
