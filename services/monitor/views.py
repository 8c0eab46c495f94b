"""The dashboard's HTML views on the worker's web server (aiohttp), all under ``/monitor/``.

    GET  /monitor/                          overview: tiles, agency-pair matrix, charts, per pair, per procedure
    GET  /monitor/near-due                  the near-due list (?agency= &procedure= &sort= &order=)
    GET  /monitor/overdue                   late dossiers with causes and responsible agency
    GET  /monitor/evaluation?month=YYYY-MM  the monthly evaluation per agency
    GET  /monitor/handoffs                  open handoffs (?overdue=1 &from= &to= &agency= &procedure=)
    GET  /monitor/search?q=                 dossiers by (part of) their code; the Office also by applicant's name
    GET  /monitor/technical                 consumer lag, Burrow status, dead letters, deliveries (Office only)
    GET  /monitor/dossiers/{code}           the dossier's slip and timeline; ``/slip``: printable slip
    GET|POST /monitor/login   POST /monitor/logout   GET /monitor/static/{name}

Every page needs a signed-in user; ``?lang=en`` switches to English. A request with ``X-Partial: main``
gets only the page's ``<main>`` content: the page script fetches it when the figures change (live updates).
Pages are Jinja2 templates (``templates/``); an unknown address under ``/monitor/`` gets a bilingual page.
Views are thin: they check the viewer, ask the :class:`~services.monitor.service.Monitor`, render.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from services.monitor import detail_pages, pages
from services.monitor.auth import Auth, Viewer, safe_next
from services.monitor.dossier import dossier_view
from services.monitor.html import Frame, Page, render
from services.monitor.i18n import Texts, fold
from services.monitor.overview import overview_page
from services.monitor.pages import Found
from services.monitor.public import check_code
from services.monitor.service import Monitor
from services.monitor.web import html, query_of, redirect, texts_for, version_of
from services.watchdog.state import workflow_of
from services.web import Request, Response, View, Web

__all__ = ["MONTH", "install_pages", "not_found_page"]

MONTH = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")  # 2000-01 .. 2099-12
_STATIC = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
_FILTERS = ("agency", "procedure", "sort", "order", "lang", "month", "kind", "overdue", "from", "to", "q", "open")
SEARCH_LIMIT = 50


def not_found_page(public: bool = False) -> str:
    """The bilingual page for an address that does not exist."""
    vi, en = Texts("vi"), Texts("en")
    return render("not_found.html", vi=vi, en=en, public=public)


def _login(t: Texts, error: str | None, next_path: str) -> str:
    return render("login.html", t=t, error=error, next=next_path)


@functools.cache
def _asset(name: str) -> bytes:
    return resources.files("services.monitor").joinpath("static", name).read_bytes()


def install_pages(app: Web, monitor: Monitor, auth: Auth, refresh_s: float, check_key: bytes = b"") -> None:
    """``check_key``: derives the citizens' check codes, shown to the Office and the receiving unit."""
    app.not_found_pages["/monitor/"] = not_found_page

    def page(active: str) -> Callable[[Callable[..., Any]], type[View]]:
        """A signed-in GET page: ``render(viewer, texts, request, **match) -> Page | None`` (None: 404)."""

        def wrap(render_page: Callable[..., Any]) -> type[View]:
            class PageView(View):
                async def get(self, request: Any, **match: str) -> Response:
                    t = texts_for(request)
                    viewer = await auth.viewer(request)
                    if viewer is None:
                        target = quote(request.path_qs, safe="/?=&")
                        return redirect(self, f"/monitor/login?next={target}")
                    if active == "technical" and not viewer.office:
                        return html(self, request, _refusal(viewer, t, request, active, t("forbidden")), 403)
                    result: Page | None = render_page(viewer, t, request, **match)
                    if result is None:
                        return html(self, request, _refusal(viewer, t, request, active, t("not_found")), 404)
                    if request.headers.get("X-Partial") == "main":
                        return html(self, request, result.main(t))
                    view = monitor.scoped(viewer.scope)
                    frame = Frame(
                        t,
                        viewer.name,
                        viewer.agency,
                        viewer.office,
                        active,
                        request.path,
                        query_of(request, *_FILTERS),
                        refresh_s,
                        monitor.now(),
                        version_of(view),
                    )
                    return html(self, request, result.render(frame))

            PageView.__name__ = f"Monitor{render_page.__name__.title().replace('_', '')}"
            return PageView

        return wrap

    def _refusal(viewer: Viewer, t: Texts, request: Any, active: str, text: str) -> str:
        frame = Frame(
            t,
            viewer.name,
            viewer.agency,
            viewer.office,
            active,
            request.path,
            query_of(request, "lang"),
            refresh_s,
            monitor.now(),
        )
        return Page(text, "message.html", {"text": text}).render(frame)

    def overview(viewer: Viewer, t: Texts, request: Any) -> Page:
        view = monitor.scoped(viewer.scope)
        tech = monitor.technical
        groups = list(tech.groups.values()) if viewer.office else []
        history = list(tech.history) if viewer.office else []
        dead = monitor.dead_letters() if viewer.office else None
        return overview_page(view, monitor.calendar, t, groups, dead, history)

    def near_due(viewer: Viewer, t: Texts, request: Any) -> Page:
        q = query_of(request, *_FILTERS)
        view = monitor.scoped(viewer.scope)
        rows = view.near_due(
            agency=q.get("agency"),
            procedure=q.get("procedure"),
            sort=q.get("sort", "due"),
            descending=q.get("order") == "desc",
        )
        if q.get("kind") in ("handoff", "dossier"):
            rows = [r for r in rows if r.kind == q["kind"]]
        return pages.near_due_page(view, rows, t, q)

    def overdue(viewer: Viewer, t: Texts, request: Any) -> Page:
        q = query_of(request, *_FILTERS)
        view = monitor.scoped(viewer.scope)
        rows = view.overdue(agency=q.get("agency"), procedure=q.get("procedure"))
        return pages.overdue_page(view, rows, t, q)

    def handoffs(viewer: Viewer, t: Texts, request: Any) -> Page:
        q = query_of(request, *_FILTERS)
        view = monitor.scoped(viewer.scope)
        rows = [
            c
            for c in view.cycles
            if c.open
            and (q.get("overdue") != "1" or c.overdue)
            and (not q.get("from") or c.from_agency == q["from"])
            and (not q.get("to") or c.to_agency == q["to"])
            and (not q.get("agency") or c.concerns(q["agency"]))
            and (not q.get("procedure") or c.procedure_code == q["procedure"])
        ]
        return pages.handoffs_page(view, rows, t, q)

    def search(viewer: Viewer, t: Texts, request: Any) -> Page:
        q = " ".join(str(request.query.get("q", "")).split())[:80]
        view = monitor.scoped(viewer.scope)
        facts = {d.code: d for d in view.dossiers}
        if not q and request.query.get("open") == "1":
            listed = [Found(d, "open") for d in sorted(facts.values(), key=lambda d: d.received_at) if d.open]
            return pages.search_page(listed, t, "", office=viewer.office, more=False, short=False, listing=True)
        if len(q) < 3:
            return pages.search_page([], t, q, office=viewer.office, more=False, short=True)
        wanted = q.casefold()
        found = [Found(d, "code") for code, d in sorted(facts.items()) if wanted in code.casefold()]
        if viewer.office and len(found) <= SEARCH_LIMIT:  # the snapshot's folded names: no read of the store
            seen, wanted_name = {x.fact.code for x in found}, fold(q)
            for code, name in sorted(view.snapshot.names.items()):
                if wanted_name in name and code not in seen and code in facts:
                    found.append(Found(facts[code], "name"))
                    if len(found) > SEARCH_LIMIT:
                        break
        more = len(found) > SEARCH_LIMIT
        return pages.search_page(found[:SEARCH_LIMIT], t, q, office=viewer.office, more=more, short=False)

    def evaluation(viewer: Viewer, t: Texts, request: Any) -> Page:
        q = query_of(request, *_FILTERS)
        month = q.get("month", "")
        current = f"{monitor.now().astimezone(monitor.calendar.tz):%Y-%m}"
        month = month if MONTH.fullmatch(month) else current
        view = monitor.scoped(viewer.scope)
        rows = view.evaluation(month, monitor.calendar)
        return pages.evaluation_page(month, rows, t, q, current)

    def technical(viewer: Viewer, t: Texts, request: Any) -> Page:
        tech = monitor.technical
        return detail_pages.technical_page(
            list(tech.groups.values()), dict(tech.topics), monitor.deliveries(), t, tech.last_error
        )

    def _dossier(viewer: Viewer, code: str) -> Any:
        state = monitor.dossier(code)
        if state is None:
            return None
        entries = monitor.timeline_of(code)
        wf = workflow_of(state, monitor.ctx)
        return dossier_view(state, wf, monitor.now(), monitor.calendar, entries, viewer.scope)

    def dossier(viewer: Viewer, t: Texts, request: Any, code: str) -> Page | None:
        view = _dossier(viewer, code)
        if view is None:
            return None
        shown = check_key and (viewer.office or viewer.agency == view.fact.receiving_unit)
        check = check_code(check_key, code) if shown else None
        return detail_pages.dossier_page(view, t, query_of(request, "lang"), check)

    app.page("/monitor/")(page("overview")(overview))
    app.page("/monitor/near-due")(page("near-due")(near_due))
    app.page("/monitor/overdue")(page("overdue")(overdue))
    app.page("/monitor/evaluation")(page("evaluation")(evaluation))
    app.page("/monitor/handoffs")(page("overview")(handoffs))
    app.page("/monitor/search")(page("search")(search))
    app.page("/monitor/technical")(page("technical")(technical))
    app.page("/monitor/dossiers/{code}")(page("dossier")(dossier))

    @app.page("/monitor/dossiers/{code}/slip")
    class SlipPrint(View):
        async def get(self, request: Any, code: str) -> Response:
            t = texts_for(request)
            viewer = await auth.viewer(request)
            if viewer is None:
                return redirect(self, f"/monitor/login?next={quote(request.path)}")
            view = _dossier(viewer, code)
            if view is None:
                return html(self, request, _refusal(viewer, t, request, "dossier", t("not_found")), 404)
            return html(self, request, detail_pages.slip_print(view, t, monitor.now(), query_of(request, "lang")))

    @app.page("/monitor")
    class Root(View):
        async def get(self, request: Any) -> Response:
            return redirect(self, "/monitor/", status=301)

    @app.page("/monitor/login")
    class Login(View):
        async def get(self, request: Request) -> Response:
            t = texts_for(request)
            return html(self, request, _login(t, None, safe_next(request.query.get("next"))))

        async def post(self, request: Any) -> Response:
            t = texts_for(request)
            origin = request.headers.get("Origin")
            form = await request.post()
            target = safe_next(str(form.get("next", "")))
            if origin is not None and origin.split("://", 1)[-1] != request.host:
                return html(self, request, _login(t, t("forbidden"), target), 403)
            user, throttled = auth.sign_in(str(form.get("username", "")).strip(), str(form.get("password", "")))
            if user is None:
                text = t("login_throttled") if throttled else t("login_failed")
                return html(self, request, _login(t, text, target), 429 if throttled else 401)
            response = redirect(self, target)
            auth.cookie(response, user)
            return response

    @app.page("/monitor/logout")
    class Logout(View):
        async def post(self, request: Request) -> Response:
            response = redirect(self, "/monitor/login")
            auth.clear(response)
            return response

    @app.page("/monitor/static/{name}")
    class Static(View):
        async def get(self, request: Request, name: str) -> Response:
            kind = _STATIC.get(name)
            if kind is None:
                return self.text("not found", status=404)
            headers = {"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"}
            response: Response = self.bytes(_asset(name), content_type=kind, headers=headers)
            return response
