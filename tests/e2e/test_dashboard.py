"""The Office's dashboard in a real browser (Debian's headless Chromium, driven by playwright) against a running
lienthong: sign in, the agency-pair matrix and the near-due list in Vietnamese, a click opens a dossier's slip,
the page follows new events without a reload, English on request, and an agency user kept to its own handoffs.
Screenshots go to the test's directory and to ``.local/screenshots/`` for people to look at."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from tests.integration.monitor.support import (
    PASSWORDS,
    MonitorStack,
    caught_up,
    code,
    play_fortnight,
    receive,
    start_stack,
    stop_stack,
    to_land,
    vn,
)

from .conftest import keep, matrix_hidden, overflow

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MonitorStack]:
    system = await start_stack(kafka_bootstrap, Path(tmp_path_factory.mktemp("dashboard")))
    try:
        await play_fortnight(system)
        await caught_up(system)
        yield system
    finally:
        await stop_stack(system)


async def signed_in(browser: Browser, stack: MonitorStack, user: str, size: tuple[int, int] = (1440, 1000)) -> Page:
    context = await browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
    page = await context.new_page()
    await page.goto(f"{stack.url}/monitor/")
    await expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    await page.get_by_label("Tên đăng nhập").fill(user)
    await page.get_by_label("Mật khẩu").fill(PASSWORDS[user])
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(f"{stack.url}/monitor/")
    return page


async def matrix_cells(page: Page) -> dict[tuple[str, str], int]:
    """(row header, column header) -> the open-handoff count shown in the cell."""
    found: dict[tuple[str, str], int] = await page.evaluate(
        """() => {
            const table = document.querySelector('#matrix');
            const cols = [...table.querySelectorAll('thead th')].slice(1).map(th => th.textContent.trim());
            const out = {};
            for (const tr of table.querySelectorAll('tbody tr')) {
                const row = tr.querySelector('th').textContent.trim();
                [...tr.querySelectorAll('td')].forEach((td, i) => {
                    const big = td.querySelector('.big');
                    if (big) { out[row + '|' + cols[i]] = parseInt(big.textContent, 10); }
                });
            }
            return out;
        }"""
    )
    return {tuple(k.split("|")): v for k, v in found.items()}  # type: ignore[misc]


async def test_the_office_reads_the_matrix_and_the_near_due_list_and_opens_a_slip(
    stack: MonitorStack, browser: Browser, tmp_path: Path
) -> None:
    page = await signed_in(browser, stack, "vp.lan")
    await expect(page.get_by_role("heading", name="Ma trận độ trễ liên thông giữa các cơ quan")).to_be_visible()
    await expect(page.locator("#matrix")).to_contain_text("VP Đăng ký đất đai")
    await expect(page.locator(".tiles")).to_contain_text("Hồ sơ quá hạn")
    await expect(page.locator("figure").first).to_contain_text("Xu hướng thời gian xử lý phiếu chuyển")
    # the matrix shows the API's figures
    cells = await matrix_cells(page)
    async with httpx.AsyncClient(base_url=stack.url) as c:
        await stack.login(c, "vp.lan")
        pairs = (await c.get("/v1/monitor/pairs")).json()["pairs"]
    short = {"one-stop": "Một cửa", "land-registry": "VP Đăng ký đất đai", "tax": "Chi cục Thuế"}
    assert cells == {(short[p["from_agency"]], short[p["to_agency"]]): p["figures"]["open"] for p in pairs}
    overview = tmp_path / "dashboard-overview.png"
    await page.screenshot(path=str(overview), full_page=True)
    keep(overview)

    await page.get_by_role("link", name="Sắp đến hạn").first.click()
    await expect(page.get_by_role("heading", name="Danh sách hồ sơ sắp đến hạn")).to_be_visible()
    table = page.locator("table.near-due")
    await expect(table).to_contain_text("Xác định nghĩa vụ tài chính, ban hành thông báo nộp tiền")
    await expect(table).to_contain_text("26/11/2026 16:00")
    await expect(table.locator("tbody tr")).to_have_count(2)
    await page.get_by_label("Cơ quan").select_option("tax")  # filters apply on change
    await expect(table.locator("tbody tr")).to_have_count(1)
    near = tmp_path / "dashboard-near-due.png"
    await page.screenshot(path=str(near), full_page=True)
    keep(near)

    await table.get_by_role("link", name=code(4)).click()
    await expect(page.get_by_role("heading", name="Phiếu kiểm soát quá trình giải quyết hồ sơ")).to_be_visible()
    slip = page.locator("table.slip")
    await expect(slip).to_contain_text("Trần Văn Bình")
    await expect(slip).to_contain_text("Võ Thị Thu")
    await expect(slip).to_contain_text("Trước hạn")
    await expect(page.locator("table.timeline")).to_contain_text("Yêu cầu bổ sung hồ sơ")
    dossier = tmp_path / "dashboard-dossier.png"
    await page.screenshot(path=str(dossier), full_page=True)
    keep(dossier)

    await page.get_by_role("link", name="In phiếu kiểm soát").click()
    await expect(page.get_by_role("heading", name="PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ")).to_be_visible()
    printed = tmp_path / "dashboard-slip-print.png"
    await page.emulate_media(media="print")
    await page.screenshot(path=str(printed), full_page=True)
    keep(printed)
    await page.context.close()


async def test_the_office_reads_the_overdue_list_the_evaluation_and_the_connector(
    stack: MonitorStack, browser: Browser, tmp_path: Path
) -> None:
    page = await signed_in(browser, stack, "vp.lan")
    await page.get_by_role("link", name="Quá hạn").first.click()
    await expect(
        page.get_by_role("heading", name="Danh sách hồ sơ quá hạn, nguyên nhân và trách nhiệm")
    ).to_be_visible()
    late = page.locator("table.overdue")
    await expect(late).to_contain_text(code(6))
    await expect(late).to_contain_text("Chi nhánh Văn phòng Đăng ký đất đai Nha Trang")
    await expect(late).to_contain_text("hệ thống phần mềm gặp sự cố")
    for name, heading, shot in (
        ("Đánh giá tháng", "Đánh giá kết quả giải quyết hồ sơ tháng 11/2026", "dashboard-evaluation.png"),
        ("Kỹ thuật", "Độ trễ kỹ thuật của kết nối (Kafka)", "dashboard-connector.png"),
    ):
        await page.get_by_role("link", name=name).first.click()
        await expect(page.get_by_role("heading", name=heading)).to_be_visible()
        path = tmp_path / shot
        await page.screenshot(path=str(path), full_page=True)
        keep(path)
    await expect(page.locator("main")).to_contain_text("Bình thường (OK)")
    path = tmp_path / "dashboard-overdue.png"
    await page.go_back()
    await page.go_back()
    await page.screenshot(path=str(path), full_page=True)
    keep(path)
    await page.context.close()


async def test_the_page_follows_new_events_without_a_reload(
    stack: MonitorStack, browser: Browser, tmp_path: Path
) -> None:
    page = await signed_in(browser, stack, "vp.lan")
    before = await matrix_cells(page)
    marker = await page.evaluate("() => (window.__marker = Math.random())")
    await receive(stack, code(7), vn(2026, 11, 26, 8))  # a new dossier, handed to the land registry
    await to_land(stack, code(7), vn(2026, 11, 26, 9))
    key = ("Một cửa", "VP Đăng ký đất đai")
    after = before
    for _ in range(100):  # the page polls every second; give it up to 20 s
        after = await matrix_cells(page)
        if after.get(key) == before[key] + 1:
            break
        await page.wait_for_timeout(200)
    assert after[key] == before[key] + 1
    assert await page.evaluate("() => window.__marker") == marker  # the same page: no reload
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Agency-pair liaison lag matrix")).to_be_visible()
    await expect(page.locator("#matrix")).to_contain_text("Land registry")
    english = tmp_path / "dashboard-overview-en.png"
    await page.screenshot(path=str(english), full_page=True)
    keep(english)
    await page.context.close()


async def test_an_agency_user_sees_only_its_own_handoffs(stack: MonitorStack, browser: Browser, tmp_path: Path) -> None:
    page = await signed_in(browser, stack, "thue.an")
    await expect(page.locator("footer")).to_contain_text("Chỉ phiếu chuyển của đơn vị")
    cells = await matrix_cells(page)
    assert cells
    assert all("Chi cục Thuế" in pair for pair in cells)
    await expect(page.locator("#matrix")).not_to_contain_text("Một cửa")
    await expect(page.get_by_role("link", name="Kỹ thuật")).to_have_count(0)
    response = await page.goto(f"{stack.url}/monitor/dossiers/{code(5)}")
    assert response is not None
    assert response.status == 404
    await expect(page.locator("main")).to_contain_text("Không tìm thấy hồ sơ này trong phạm vi của bạn.")
    api = await page.request.get(f"{stack.url}/v1/monitor/near-due")
    items = json.loads(await api.text())["items"]
    assert items
    assert all("tax" in (i["agency"], i["from_agency"]) for i in items)
    shot = tmp_path / "dashboard-agency-tax.png"
    await page.goto(f"{stack.url}/monitor/")
    await page.screenshot(path=str(shot), full_page=True)
    keep(shot)
    await page.context.close()


VIEWPORTS = ((390, 844), (1366, 900))  # a phone; the most common office laptop


@pytest.mark.parametrize("size", VIEWPORTS, ids=["390x844", "1366x900"])
async def test_every_page_fits_the_screen_and_every_tile_and_cell_leads_to_its_list(
    stack: MonitorStack, browser: Browser, tmp_path: Path, size: tuple[int, int]
) -> None:
    page = await signed_in(browser, stack, "vp.lan", size)
    width = size[0]
    paths = {
        "overview": "/monitor/",
        "near-due": "/monitor/near-due",
        "overdue": "/monitor/overdue",
        "handoffs-overdue": "/monitor/handoffs?overdue=1",
        "evaluation": "/monitor/evaluation",
        "technical": "/monitor/technical",
        "search": f"/monitor/search?q={code(6)[-8:]}",
        "dossier": f"/monitor/dossiers/{code(6)}",
        "not-found": "/monitor/khong-co-trang-nay",
        "public-lookup": "/tra-cuu",
        "public-monthly": "/cong-khai?month=2026-11",
    }
    for name, path in paths.items():
        answer = await page.goto(stack.url + path)
        assert answer is not None
        assert answer.status == (404 if name == "not-found" else 200), path
        assert await overflow(page) <= 0, f"{path} is wider than {width} px"
        shot = tmp_path / f"layout-{width}-{name}.png"
        await page.screenshot(path=str(shot), full_page=True)
        keep(shot)
    await page.goto(f"{stack.url}/monitor/")
    if width >= 1366:
        assert await matrix_hidden(page) <= 0.5
    # every tile leads to the list behind its figure
    tiles = page.locator("section.tiles > *")
    links = await page.locator("section.tiles a.tile").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert len(links) == await tiles.count()
    for href in links:
        answer = await page.goto(stack.url + href)
        assert answer is not None
        assert answer.status == 200, href
        await expect(page.locator("main h1")).to_be_visible()
    # every matrix cell leads to its pair's open handoffs, as many as the cell counts
    await page.goto(f"{stack.url}/monitor/")
    cells = await page.locator("#matrix td.cell a").evaluate_all(
        "els => els.map(a => [a.getAttribute('href'), parseInt(a.querySelector('.big').textContent, 10)])"
    )
    assert cells
    for href, count in cells:
        await page.goto(stack.url + href)
        rows = page.locator("#handoffs tbody tr:not(:has(td.empty))")
        await expect(rows).to_have_count(count)
    # the overdue handoffs behind their tile
    await page.goto(f"{stack.url}/monitor/")
    await page.locator("#tile-handoffs-overdue").click()
    await expect(page.get_by_role("heading", name="Phiếu chuyển liên thông quá hạn")).to_be_visible()
    await expect(page.locator("#handoffs")).to_contain_text(code(6))
    # the search box: part of a code, then the dossier
    await page.get_by_label("Tìm hồ sơ").first.fill(code(6)[-6:])
    await page.get_by_label("Tìm hồ sơ").first.press("Enter")
    await expect(page.locator("#search-results")).to_contain_text(code(6))
    await page.locator("#search-results").get_by_role("link", name=code(6)).click()
    await expect(page.get_by_role("heading", name="Phiếu kiểm soát quá trình giải quyết hồ sơ")).to_be_visible()
    # a citizen, with the check code the Office sees, looks the dossier up on the public page
    check = await page.locator("#check-code").text_content()
    assert check
    citizen = await browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
    public = await citizen.new_page()
    await public.goto(f"{stack.url}/tra-cuu")
    await public.get_by_label("Mã hồ sơ").fill(code(6))
    await public.get_by_label("Mã kiểm tra (trên Giấy tiếp nhận)").fill(check)
    await public.get_by_role("button", name="Tra cứu").click()
    await expect(public.locator("#result")).to_contain_text("Chi nhánh Văn phòng Đăng ký đất đai Nha Trang")
    await expect(public.locator("#result")).to_contain_text("30/11/2026 16:00")
    assert await overflow(public) <= 0
    shot = tmp_path / f"layout-{width}-public-lookup-result.png"
    await public.screenshot(path=str(shot), full_page=True)
    keep(shot)
    await citizen.close()
    await page.context.close()


async def test_the_office_finds_a_dossier_by_the_applicants_name(stack: MonitorStack, browser: Browser) -> None:
    page = await signed_in(browser, stack, "vp.lan")
    await page.goto(f"{stack.url}/monitor/search?q=nguyen%20thi%20hong")  # no accents, lower case
    await expect(page.locator("#search-results")).to_contain_text(code(6))
    await expect(page.locator("#search-results")).to_contain_text("tên người nộp")
    await expect(page.locator("main")).not_to_contain_text("Nguyễn Thị Hồng")  # found by it, not shown
    await page.context.close()
    agency = await signed_in(browser, stack, "thue.an")
    await agency.goto(f"{stack.url}/monitor/search?q=nguyen%20thi%20hong")  # agencies search codes only
    await expect(agency.locator("main")).to_contain_text("Không tìm thấy hồ sơ nào khớp")
    await agency.context.close()
