"""The public pages on the worker's web server: no sign-in, nothing personal.

    GET  /tra-cuu                      the form: dossier code and the check code printed on the receipt
    POST /tra-cuu                      the answer (200), the same "not found" for an unknown dossier or a
                                       wrong check code (404), 400 for an empty or malformed field, 429
                                       with Retry-After past the address's hourly allowance (counted
                                       per worker; behind a proxy, by X-Forwarded-For if it is trusted)
    GET  /cong-khai?month=YYYY-MM      each agency's monthly figures (Decision 766), 400 for a bad month

``?lang=en`` switches to English, as on the dashboard.
"""

from __future__ import annotations

from typing import Any

from services.monitor.html import render
from services.monitor.i18n import Texts
from services.monitor.pages import recent_months
from services.monitor.public import (
    CODE_RE,
    RateLimit,
    check_matches,
    client_address,
    public_status,
    trusted_networks,
)
from services.monitor.service import Monitor
from services.monitor.views import MONTH, not_found_page
from services.monitor.web import html, texts_for
from services.watchdog.state import workflow_of
from services.web import Response, View, Web

__all__ = ["install_public"]


def install_public(app: Web, monitor: Monitor, key: bytes, lookups_per_hour: int, trusted_proxies: str = "") -> None:
    """``trusted_proxies``: the reverse proxies whose ``X-Forwarded-For`` names the citizen (else the peer)."""
    limit = RateLimit(lookups_per_hour)
    proxies = trusted_networks(trusted_proxies)
    for prefix in ("/tra-cuu/", "/cong-khai/", "/"):  # "/" last: any other address a browser asks for
        app.not_found_pages[prefix] = lambda: not_found_page(public=True)

    @app.page("/")
    class Home(View):
        async def get(self, request: Any) -> Response:
            """The bare address: to the citizens' lookup (staff have their bookmark to /monitor/)."""
            response: Response = self.text("", status=302, headers={"Location": "/tra-cuu"})
            return response

    def lookup_page(view: View, request: Any, t: Texts, http: int = 200, **context: Any) -> Response:
        """The lookup page: the form (kept dossier code, never the check code) and what the lookup found."""
        values = {"code": "", "errors": {}, "found": None, "missing": False, "throttled": False, **context}
        return html(view, request, render("public_lookup.html", t=t, **values), http)

    @app.page("/tra-cuu")
    class Lookup(View):
        async def get(self, request: Any) -> Response:
            return lookup_page(self, request, texts_for(request))

        async def post(self, request: Any) -> Response:
            t = texts_for(request)
            form = await request.post()
            code = " ".join(str(form.get("code", "")).split())[:80]
            check = " ".join(str(form.get("check", "")).split())[:32]
            errors = {}
            if not CODE_RE.fullmatch(code):
                errors["code"] = t("public_bad_code")
            if not 4 <= len(check.replace("-", "").replace(" ", "")) <= 16:
                errors["check"] = t("public_bad_check")
            if errors:
                return lookup_page(self, request, t, 400, code=code, errors=errors)
            wait = limit.take(client_address(request.remote, request.headers.get("X-Forwarded-For"), proxies))
            if wait:
                response = lookup_page(self, request, t, 429, code=code, throttled=True)
                response.headers["Retry-After"] = str(int(wait))
                return response
            # the check code first: a wrong one never reaches the store, so an unknown dossier and a wrong code
            # take the same work (only the key's holder can make a right code for a dossier that does not exist)
            state = monitor.dossier(code) if check_matches(key, code, check) else None
            if state is None:
                return lookup_page(self, request, t, 404, code=code, missing=True)
            found = public_status(state, workflow_of(state, monitor.ctx), monitor.now(), monitor.calendar)
            return lookup_page(self, request, t, code=code, found=found)

    monthly: dict[str, tuple[object, list[Any]]] = {}  # month -> (the snapshot it was counted from, rows)

    def figures(month: str) -> list[Any]:
        """A month's figures, counted once per snapshot however many citizens ask (the page needs no sign-in)."""
        view = monitor.scoped(None)
        known = monthly.get(month)
        if known is not None and known[0] is view.snapshot:
            return known[1]
        if len(monthly) > 36:
            monthly.clear()
        rows = view.evaluation(month, monitor.calendar)
        monthly[month] = (view.snapshot, rows)
        return rows

    @app.page("/cong-khai")
    class Monthly(View):
        async def get(self, request: Any) -> Response:
            t = texts_for(request)
            current = f"{monitor.now().astimezone(monitor.calendar.tz):%Y-%m}"
            month = str(request.query.get("month") or current)
            months = recent_months(current)
            if not MONTH.fullmatch(month):
                body = render("public_monthly.html", t=t, month=None, months=months, rows=[], error=t("bad_month"))
                return html(self, request, body, 400)
            rows = figures(month)
            if month not in months:
                months.append(month)
            body = render("public_monthly.html", t=t, month=month, months=months, rows=rows, error=None)
            return html(self, request, body)
