"""HTML building blocks: the page layout (``templates/layout.html``), tables, tiles, the sign-in page.

Everything a page shows passes through :func:`h` (HTML escaping) exactly once, here or in the page
functions; templates are ``string.Template`` files filled with already-escaped fragments. Texts are
normalised to Unicode NFC before they leave.

Usage::

    html = layout(frame, title, content)
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from importlib import resources
from string import Template
from urllib.parse import urlencode

from services.monitor.i18n import Texts

__all__ = ["NAV", "Frame", "h", "layout", "login_page", "message", "page_url", "table", "template", "tile"]

NAV = (
    ("overview", "/monitor/", "nav_overview"),
    ("near-due", "/monitor/near-due", "nav_near_due"),
    ("overdue", "/monitor/overdue", "nav_overdue"),
    ("evaluation", "/monitor/evaluation", "nav_evaluation"),
    ("technical", "/monitor/technical", "nav_technical"),
)


def h(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


@functools.cache
def template(name: str) -> Template:
    text = resources.files("services.monitor").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)


def page_url(path: str, query: dict[str, str]) -> str:
    kept = {k: v for k, v in query.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


@dataclass(frozen=True)
class Frame:
    """Who is looking, in which language, at which page."""

    t: Texts
    user: str
    agency: str
    office: bool
    active: str
    path: str
    query: dict[str, str]
    refresh_s: float
    as_of: datetime
    version: str = ""


def layout(frame: Frame, title: str, content: str) -> str:
    t = frame.t
    nav = "".join(
        f'<a href="{h(url)}"{" aria-current=page" if key == frame.active else ""}>{h(t(label))}</a>'
        for key, url, label in NAV
        if frame.office or key != "technical"
    )
    other = "en" if t.lang == "vi" else "vi"
    html = template("layout.html").substitute(
        lang=t.lang,
        title=h(title),
        app=h(t("app")),
        org=h(t("org")),
        nav=nav,
        user=h(frame.user),
        agency=h(t.agency_short(frame.agency)),
        agency_full=h(t.agency(frame.agency)),
        lang_switch=h(page_url(frame.path, {**frame.query, "lang": other})),
        other_lang=other,
        language=h(t("language")),
        sign_out=h(t("sign_out")),
        content=content,
        scope=h(t("scope_all") if frame.office else t("scope_agency")),
        as_of_label=h(t("as_of")),
        as_of=h(t.dt(frame.as_of)),
        live_label=h(t("live")),
        live_failed=h(t("live_failed")),
        refresh=f"{frame.refresh_s:g}",
        live_url="/v1/monitor/version",
        version=h(frame.version),
    )
    return unicodedata.normalize("NFC", html)


def table(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    cls: str = "",
    empty: str = "",
    groups: Sequence[tuple[str, int]] = (),
) -> str:
    """``head`` and ``rows`` are HTML fragments (already escaped); ``groups``: (title, columns) above them."""
    thead = "".join(f"<th scope=col>{cell}</th>" for cell in head)
    if groups:
        spans = "".join(f'<th scope=colgroup colspan="{n}" class="group">{h(title)}</th>' for title, n in groups)
        thead = f"{spans}</tr><tr>{thead}"
    if not rows:
        body = f'<tr><td colspan="{len(head)}" class="empty">{h(empty)}</td></tr>'
    else:
        body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f'<div class="table-wrap"><table class="{h(cls)}"><thead><tr>{thead}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def tile(label: str, value: str, *, tone: str = "", href: str | None = None, note: str = "") -> str:
    inner = f'<span class="tile-value">{h(value)}</span><span class="tile-label">{h(label)}</span>'
    if note:
        inner += f'<span class="tile-note">{h(note)}</span>'
    if href:
        return f'<a class="tile {h(tone)}" href="{h(href)}">{inner}</a>'
    return f'<div class="tile {h(tone)}">{inner}</div>'


def message(text: str, tone: str = "info") -> str:
    return f'<p class="message {h(tone)}" role="status">{h(text)}</p>'


def login_page(t: Texts, error: str | None, next_path: str) -> str:
    other = "en" if t.lang == "vi" else "vi"
    html = template("login.html").substitute(
        lang=t.lang,
        title=h(t("login_title")),
        app=h(t("app")),
        org=h(t("org")),
        error=message(error, "error") if error else "",
        next=h(next_path),
        username=h(t("username")),
        password=h(t("password")),
        login_button=h(t("login_button")),
        lang_switch=h(page_url("/monitor/login", {"lang": other, "next": next_path})),
        other_lang=other,
        language=h(t("language")),
    )
    return unicodedata.normalize("NFC", html)
