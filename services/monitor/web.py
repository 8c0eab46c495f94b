"""Helpers the monitor's views share: language, responses with security headers, the page version.

The HTML is served with a strict Content-Security-Policy (scripts and styles from this server only, no
inline script, no frames) and ``Cache-Control: no-store`` (pages are per user).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic_core import to_jsonable_python

from services.monitor.i18n import Lang, Texts, lang_of
from services.monitor.sessions import LANG_COOKIE
from services.monitor.snapshot import Scoped
from services.web import Response, View

__all__ = ["SECURITY_HEADERS", "html", "jsonable", "lang_for", "query_of", "redirect", "remember_lang", "version_of"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def lang_for(request: Any) -> Lang:
    return lang_of(request.query.get("lang") or request.cookies.get(LANG_COOKIE))


def texts_for(request: Any) -> Texts:
    return Texts(lang_for(request))


def remember_lang(request: Any, response: Any) -> None:
    """A ``?lang=`` choice sticks (a plain preference cookie, not a secret)."""
    chosen = request.query.get("lang")
    if chosen in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, path="/", samesite="Strict")


def query_of(request: Any, *names: str) -> dict[str, str]:
    return {n: str(request.query[n]) for n in names if request.query.get(n)}


def html(view: View, request: Any, body: str, status: int = 200) -> Response:
    response: Response = view.html(body, status=status, headers=dict(SECURITY_HEADERS))
    remember_lang(request, response)
    return response


def redirect(view: View, location: str, status: int = 303) -> Response:
    response: Response = view.text("", status=status, headers={"Location": location, **SECURITY_HEADERS})
    return response


def jsonable(value: Any) -> Any:
    return to_jsonable_python(value)


def version_of(view: Scoped, extra: object = None) -> str:
    """Changes whenever a figure the viewer sees changes (and at least every minute)."""
    o = view.snapshot
    basis = (
        f"{view.as_of:%Y%m%d%H%M}",
        len(o.dossiers),
        sum(1 for c in view.cycles if c.open),
        [(c.dossier_code, c.step_id, c.cycle, c.outcome, c.verdict) for c in view.cycles],
        [(r.dossier_code, r.handoff_id) for r in view.near_due()],
        len(view.overdue()),
        extra,
    )
    return hashlib.sha256(json.dumps(jsonable(basis), default=str).encode()).hexdigest()[:16]
