"""The citizens' public pages: a dossier's whereabouts by its code and the check code on the receipt (no
sign-in, nothing personal, no way to find dossier codes, an hourly allowance per address), and the public
monthly figures per agency."""

from __future__ import annotations

import re

import httpx
import pytest

from .support import MonitorStack, code

pytestmark = pytest.mark.asyncio(loop_scope="package")

PERSONAL = ("Nguyễn Thị Hồng", "Lê Thị Mai", "056190654321", "Đặng Minh Tuấn", "Trần Văn Bình")


def public(stack: MonitorStack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.url, timeout=10)  # no cookie: a citizen


async def check_code_of(stack: MonitorStack, dossier: str, user: str = "vp.lan") -> str | None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as c:
        await stack.login(c, user)
        answer = await c.get(f"/v1/monitor/dossiers/{dossier}")
        assert answer.status_code == 200
        found: str | None = answer.json().get("check_code")
        return found


async def test_the_office_and_the_receiving_unit_get_the_check_code_other_agencies_do_not(stack: MonitorStack) -> None:
    check = await check_code_of(stack, code(6))
    assert check is not None
    assert re.fullmatch(r"[A-HJKMNP-TV-Z2-9]{4}-[A-HJKMNP-TV-Z2-9]{4}", check)
    assert await check_code_of(stack, code(6), "thue.an") is None  # the tax office did not receive it
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as c:
        await stack.login(c, "vp.lan")
        page = await c.get(f"/monitor/dossiers/{code(6)}")
        assert check in page.text


async def test_a_citizen_sees_where_the_dossier_is_and_its_new_appointment_and_nothing_personal(
    stack: MonitorStack,
) -> None:
    check = await check_code_of(stack, code(6))
    assert check is not None
    async with public(stack) as c:
        form = await c.get("/tra-cuu")
        assert form.status_code == 200
        assert "Tra cứu tình trạng hồ sơ" in form.text
        typed = check.lower().replace("-", " ")  # as a citizen might type it
        found = await c.post("/tra-cuu", data={"code": code(6), "check": typed})
        assert found.status_code == 200, found.text
        html = found.text
        assert "Chi nhánh Văn phòng Đăng ký đất đai Nha Trang" in html  # holding it now
        assert "Quá hạn" in html
        assert "30/11/2026 16:00" in html  # the apology's new appointment
        assert "hẹn ban đầu" in html
        assert "xin lỗi" in html
        for text in PERSONAL:
            assert text not in html
        assert "no-store" in found.headers["cache-control"]
        english = await c.post("/tra-cuu?lang=en", data={"code": code(6), "check": check})
        assert "Where is my dossier?" in english.text
        assert "Late" in english.text


async def test_an_unknown_dossier_and_a_wrong_check_code_answer_the_same(stack: MonitorStack) -> None:
    check = await check_code_of(stack, code(6))
    assert check is not None
    wrong = "ABCD-EFGH" if check != "ABCD-EFGH" else "HGFE-DCBA"
    async with public(stack) as c:
        known = await c.post("/tra-cuu", data={"code": code(6), "check": wrong})
        unknown = await c.post("/tra-cuu", data={"code": code(6) + "9", "check": check})
    assert known.status_code == unknown.status_code == 404
    assert known.text.replace(code(6), "X") == unknown.text.replace(code(6) + "9", "X")
    assert "Không tìm thấy hồ sơ với mã hồ sơ và mã kiểm tra này" in known.text


async def test_malformed_fields_are_named(stack: MonitorStack) -> None:
    async with public(stack) as c:
        bad = await c.post("/tra-cuu", data={"code": "<script>", "check": ""})
    assert bad.status_code == 400
    assert 'id="code-error"' in bad.text
    assert 'id="check-error"' in bad.text
    assert "<script>" not in bad.text


async def test_the_public_monthly_figures_per_agency(stack: MonitorStack) -> None:
    async with public(stack) as c:
        month = await c.get("/cong-khai?month=2026-11")
        assert month.status_code == 200
        assert "Công khai kết quả giải quyết hồ sơ tháng 11/2026" in month.text
        assert "Chi cục Thuế khu vực Nha Trang - Diên Khánh" in month.text
        for text in PERSONAL:
            assert text not in month.text
        assert code(6) not in month.text  # no dossier codes either
        bad = await c.get("/cong-khai?month=2026-13")
        assert bad.status_code == 400
        assert "Tháng không hợp lệ" in bad.text
        for address in ("/tra-cuu/khong-co", "/khong-co", "/monitor/khong-co"):
            lost = await c.get(address, headers={"Accept": "text/html"})
            assert lost.status_code == 404
            assert "Không có trang này" in lost.text
            assert "Page not found" in lost.text
        api = await c.get("/v1/khong-co", headers={"Accept": "application/json"})
        assert api.status_code == 404
        assert api.json()["code"] == "not_found"  # programs still get the JSON problem
        home = await c.get("/")
        assert home.status_code == 302
        assert home.headers["location"] == "/tra-cuu"


async def test_each_address_has_an_hourly_allowance(stack: MonitorStack) -> None:
    check = await check_code_of(stack, code(6))
    assert check is not None
    async with public(stack) as c:
        statuses = []
        for _ in range(40):  # the stack allows 30 lookups an hour per address (some used above)
            answer = await c.post("/tra-cuu", data={"code": code(5), "check": "ABCD-EFGH"})
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert int(answer.headers["retry-after"]) > 0
                assert "quá nhiều lần" in answer.text
                break
        assert statuses[-1] == 429
        assert set(statuses[:-1]) == {404}
        right = await c.post("/tra-cuu", data={"code": code(6), "check": check})
        assert right.status_code == 429  # refused before anything is looked up
