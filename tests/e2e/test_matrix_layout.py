"""The agency-pair matrix at its widest: every agency in the registry sends to and receives from the others.
Rendered from the templates, loaded in Debian's headless Chromium (no server needed: the page and its
style sheet are served by request interception) at 1366 x 900: every column is visible without scrolling;
at 390 x 844 the page itself never scrolls sideways (the matrix scrolls in its own box)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Route

from schemas.agencies import default_agencies
from services.monitor.business import LagFigures, PairLag
from services.monitor.html import Frame, Page
from services.monitor.i18n import Texts
from services.monitor.overview import matrix
from services.settings import REPO_ROOT

from .conftest import keep, matrix_hidden, overflow

pytestmark = pytest.mark.asyncio(loop_scope="module")
SITE = "http://lienthong.test"
CSS = REPO_ROOT / "services" / "monitor" / "static" / "dashboard.css"


def figures(n: int) -> LagFigures:
    return LagFigures(
        open=n % 7,
        overdue=n % 3,
        oldest_open_at=None,
        oldest_open_code=None,
        oldest_open_h=None,
        finished=n,
        median_h=1.5 + n % 40,
        p90_h=3.0 + n % 50,
        early=1,
        on_time=1,
        late=n % 3,
        early_rate=10.0,
        on_time_rate=80.0,
        late_rate=10.0,
        supplements=0,
        bounces=0,
    )


def widest_overview(t: Texts) -> str:
    codes = list(default_agencies())
    pairs = [PairLag(a, b, figures(i * 31 + j)) for i, a in enumerate(codes) for j, b in enumerate(codes) if a != b]
    receivers, rows = matrix(pairs, t)
    assert len(receivers) == len(codes)
    page = Page(
        "overview",
        "overview.html",
        {"tiles": [], "receivers": receivers, "matrix_rows": rows, "charts": [], "pairs": [], "procedures": []},
    )
    frame = Frame(t, "vp.lan", "office", True, "overview", "/monitor/", {}, 0, datetime(2026, 11, 26, 3, tzinfo=UTC))
    return page.render(frame)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["1366x900", "390x844"])
async def test_the_widest_matrix_fits_a_laptop_and_never_widens_a_phone_page(
    browser: Browser, tmp_path: Path, size: tuple[int, int], lang: str
) -> None:
    html = widest_overview(Texts("en" if lang == "en" else "vi"))

    async def serve(route: Route) -> None:
        if route.request.url.endswith("/dashboard.css"):
            await route.fulfill(body=CSS.read_bytes(), content_type="text/css")
        elif route.request.url.endswith(".js"):
            await route.fulfill(body=b"", content_type="text/javascript")
        else:
            await route.fulfill(body=html, content_type="text/html; charset=utf-8")

    context = await browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = await context.new_page()
    await page.route(f"{SITE}/**", serve)
    await page.goto(f"{SITE}/monitor/")
    columns = await page.locator("#matrix thead th").count()
    assert columns == len(list(default_agencies())) + 1
    wider = await overflow(page)
    assert wider <= 0, f"the page is {wider} px wider than {size[0]} px"
    if size[0] >= 1366:
        hidden = await matrix_hidden(page)
        assert hidden <= 0.5, f"{hidden} px of the matrix are cut off at {size[0]} px"
    shot = tmp_path / f"matrix-widest-{lang}-{size[0]}.png"
    await page.screenshot(path=str(shot), full_page=True)
    keep(shot)
    await context.close()
