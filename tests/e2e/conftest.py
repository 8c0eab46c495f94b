"""What the browser tests share: Debian's headless Chromium (driven by playwright, no browser download), where
screenshots are kept for people to look at, and the layout measures."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from services.settings import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = REPO_ROOT / ".local" / "screenshots"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


def keep(shot: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)


async def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return int(await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


async def matrix_hidden(page: Page) -> float:
    """How many pixels of the matrix lie beyond its box (0: every column visible without scrolling)."""
    return float(
        await page.evaluate(
            """() => { const t = document.querySelector('#matrix'); const box = t.parentElement;
                       return Math.max(0, box.scrollWidth - box.clientWidth,
                                       t.getBoundingClientRect().right - box.getBoundingClientRect().right); }"""
        )
    )
