"""Sign-in and scope: Office staff see everything; an agency's user (or system) sees only its own handoffs,
in the JSON API as in the pages."""

from __future__ import annotations

import httpx
import pytest

from services.monitor.users import UserStore

from .support import PASSWORDS, MonitorStack, code

pytestmark = pytest.mark.asyncio(loop_scope="package")


def client(stack: MonitorStack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.url, timeout=10)


async def test_sign_in_sets_a_strict_http_only_signed_cookie(stack: MonitorStack) -> None:
    async with client(stack) as c:
        anonymous = await c.get("/monitor/near-due?agency=tax")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/monitor/login?next=/monitor/near-due?agency=tax"
        assert (await c.get("/v1/monitor/pairs")).status_code == 401
        wrong = await c.post("/monitor/login", data={"username": "vp.lan", "password": "sai-mat-khau-roi"})
        assert wrong.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text
        ok = await c.post(
            "/monitor/login", data={"username": "vp.lan", "password": PASSWORDS["vp.lan"], "next": "//evil.example/"}
        )
        assert ok.status_code == 303
        assert ok.headers["location"] == "/monitor/"  # no open redirect
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "Path=/" in cookie
        page = await c.get("/monitor/")
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        # a forged cookie (another user name, the same signature) is refused
        value = c.cookies["lt_session"]
        payload, stamp_and_mac = value.split(".", 1)  # itsdangerous: payload.timestamp.signature
        forged = httpx.AsyncClient(base_url=stack.url, cookies={"lt_session": payload[:-2] + "xx." + stamp_and_mac})
        async with forged:
            assert (await forged.get("/v1/monitor/pairs")).status_code == 401
        out = await c.post("/monitor/logout")
        assert out.status_code == 303
        assert "Max-Age=0" in out.headers["set-cookie"]
        assert (await c.get("/v1/monitor/pairs")).status_code == 401


async def test_cross_site_sign_in_is_refused(stack: MonitorStack) -> None:
    async with client(stack) as c:
        data = {"username": "vp.lan", "password": PASSWORDS["vp.lan"]}
        response = await c.post("/monitor/login", data=data, headers={"Origin": "https://evil.example"})
        assert response.status_code == 403
        assert "lt_session" not in response.headers.get("set-cookie", "")


async def test_an_agency_user_sees_only_its_own_handoffs(stack: MonitorStack) -> None:
    async with client(stack) as c:
        await stack.login(c, "thue.an")  # tax
        pairs = (await c.get("/v1/monitor/pairs")).json()["pairs"]
        assert pairs
        assert all("tax" in (p["from_agency"], p["to_agency"]) for p in pairs)
        near = (await c.get("/v1/monitor/near-due")).json()["items"]
        assert near
        assert all("tax" in (i["agency"], i["from_agency"]) for i in near)
        # asking for another agency's items does not widen the scope: the filter narrows within it
        assert (await c.get("/v1/monitor/near-due?agency=one-stop")).json()["items"] == []
        theirs = (await c.get("/v1/monitor/near-due?agency=land-registry")).json()["items"]
        assert all(i["agency"] == "tax" and i["from_agency"] == "land-registry" for i in theirs)
        assert (await c.get("/v1/monitor/overdue")).json()["items"] == []  # tax delayed no late dossier
        # D5 went from the one-stop-shop to the land registry only: not the tax office's
        assert (await c.get(f"/v1/monitor/dossiers/{code(5)}")).status_code == 404
        page = await c.get(f"/monitor/dossiers/{code(5)}")
        assert page.status_code == 404
        assert code(5) not in (await c.get("/monitor/near-due")).text
        assert code(5) not in (await c.get("/monitor/")).text
        # in its own dossiers, only the rows and events of its own handoffs
        slip = (await c.get(f"/v1/monitor/dossiers/{code(1)}")).json()["dossier"]
        assert slip["slip"]
        assert all("tax" in (r["from_agency"], r["to_agency"]) for r in slip["slip"])
        assert not any(e["source"] == "one-stop" for e in slip["timeline"])
        assert (await c.get("/v1/monitor/technical")).status_code == 403
        assert (await c.get("/monitor/technical")).status_code == 403
        evaluation = (await c.get("/v1/monitor/evaluation?month=2026-11")).json()["agencies"]
        assert [row["agency"] for row in evaluation] == ["tax"]
        csv = (await c.get("/monitor/export/near-due.csv")).content.decode("utf-8-sig")
        assert code(5) not in csv
        assert code(4) in csv


async def test_the_office_sees_every_agency(stack: MonitorStack) -> None:
    async with client(stack) as c:
        await stack.login(c, "vp.lan")
        pairs = {(p["from_agency"], p["to_agency"]) for p in (await c.get("/v1/monitor/pairs")).json()["pairs"]}
        assert {("one-stop", "land-registry"), ("land-registry", "tax"), ("tax", "land-registry")} <= pairs
        assert (await c.get(f"/v1/monitor/dossiers/{code(5)}")).status_code == 200


async def test_an_agency_system_signs_its_requests_and_gets_the_same_scope(stack: MonitorStack) -> None:
    response = await stack.agencies["tax"].request("GET", "/v1/monitor/pairs")
    assert response.status_code == 200
    assert all("tax" in (p["from_agency"], p["to_agency"]) for p in response.json()["pairs"])
    assert (await stack.agencies["tax"].request("GET", f"/v1/monitor/dossiers/{code(5)}")).status_code == 404
    filtered = await stack.agencies["tax"].request("GET", "/v1/monitor/near-due?agency=one-stop")
    assert filtered.status_code == 200  # the signature covers the query string
    assert filtered.json()["items"] == []


async def test_a_disabled_user_loses_its_session_at_once(stack: MonitorStack) -> None:
    store = UserStore(stack.workdir / "monitor-users.json")
    store.add("tam.thoi", "land-registry", "mat-khau-tam-thoi")
    async with client(stack) as c:
        response = await c.post("/monitor/login", data={"username": "tam.thoi", "password": "mat-khau-tam-thoi"})
        assert response.status_code == 303
        assert (await c.get("/v1/monitor/pairs")).status_code == 200
        store.disable("tam.thoi")
        assert (await c.get("/v1/monitor/pairs")).status_code == 401


async def test_an_agency_sees_only_what_it_delayed_in_the_overdue_list_and_the_exports(stack: MonitorStack) -> None:
    async with client(stack) as office:
        await stack.login(office, "vp.lan")
        everything = (await office.get("/v1/monitor/overdue")).json()["items"]
    delayed = {r["dossier_code"] for r in everything if any(c["agency"] == "land-registry" for c in r["causes"])}
    assert delayed, "the fortnight has dossiers the land registry made late"
    async with client(stack) as c:
        await stack.login(c, "dkdd.binh")  # land registry
        mine = (await c.get("/v1/monitor/overdue")).json()["items"]
        assert {r["dossier_code"] for r in mine} == delayed
        assert all(cause["agency"] == "land-registry" for r in mine for cause in r["causes"])
        assert all(reason["agency"] == "land-registry" for r in mine for reason in r["reasons"])  # (unit-tested too)
        overdue_csv = (await c.get("/monitor/export/overdue.csv")).content.decode("utf-8-sig").splitlines()
        assert {line.split(",")[1] for line in overdue_csv[1:]} == delayed  # (column 0: the row number)
        evaluation_csv = (await c.get("/monitor/export/evaluation.csv?month=2026-11")).content.decode("utf-8-sig")
        rows = evaluation_csv.splitlines()[1:]
        assert len(rows) == 1  # its own row only
        assert "Chi nhánh Văn phòng Đăng ký đất đai" in rows[0]
