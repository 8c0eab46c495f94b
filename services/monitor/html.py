"""The dashboard's HTML: Jinja2 templates (``templates/``) with autoescape, one template per page.

A page function returns a :class:`Page` (its title, its template and what the template needs); the views
render it whole inside ``layout.html`` with the :class:`Frame` (who is looking, in which language), or only
its ``main`` block when the page script asks for fresh figures (``X-Partial: main``). Templates escape
everything they print (autoescape, ``StrictUndefined``); texts leave as Unicode NFC.

Usage::

    page = Page("Tổng quan", "overview.html", {"tiles": ..., ...})
    html = page.render(frame)          # the whole document
    main = page.main(t)                # the <main> content alone
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined

from services.monitor.i18n import Texts

__all__ = ["NAV", "Frame", "Page", "environment", "page_url", "render"]

NAV = (
    ("overview", "/monitor/", "nav_overview"),
    ("near-due", "/monitor/near-due", "nav_near_due"),
    ("overdue", "/monitor/overdue", "nav_overdue"),
    ("evaluation", "/monitor/evaluation", "nav_evaluation"),
    ("technical", "/monitor/technical", "nav_technical"),
)


def page_url(path: str, query: dict[str, str]) -> str:
    kept = {k: v for k, v in query.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services.monitor", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(page_url=page_url, NAV=NAV)
    return env


def render(name: str, **context: Any) -> str:
    """A whole template, as NFC text."""
    return unicodedata.normalize("NFC", environment().get_template(name).render(**context))


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


@dataclass(frozen=True)
class Page:
    """One page: its title, its template (which extends ``layout.html``) and the template's context."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    def render(self, frame: Frame) -> str:
        return render(self.template, frame=frame, t=frame.t, title=self.title, **self.context)

    def main(self, t: Texts) -> str:
        """Only the ``main`` block: what the page script swaps in when the figures change."""
        template = environment().get_template(self.template)
        context = template.new_context({"t": t, "title": self.title, **self.context})
        return unicodedata.normalize("NFC", "".join(template.blocks["main"](context)))
