"""The worker's web server: views registered by path on an aiohttp application.

A view is a class with ``get``/``post``/... methods taking ``(request, **path parameters)``, or an ``async``
function ``(view, request)`` serving GET; both answer with the :class:`View` helpers (``json``, ``html``,
``text``, ``bytes``). Whatever a view raises is answered as a bilingual JSON 500 problem, never with a
traceback; an unknown path or method gets a bilingual JSON 404 or 405 (a browser asking for an unknown
address under a prefix of ``not_found_pages`` gets that page instead).

    web = Web()

    @web.page("/healthz")
    async def healthz(view: View, request: Request) -> Response:
        return view.json({"status": "ok"})

    app = web.application()
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aiohttp import web
from pydantic_core import to_jsonable_python

from services.failures import failure_site

__all__ = ["Request", "Response", "View", "Web"]

log = logging.getLogger(__name__)

Request = web.Request
Response = web.Response

_METHODS = ("get", "post", "put", "patch", "delete")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=to_jsonable_python)


def problem_response(status: int, code: str, en: str, vi: str, headers: dict[str, str] | None = None) -> Response:
    body = {"status": status, "code": code, "title": en, "message_vi": vi, "message_en": en}
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


class View:
    """What a view answers with (the same helpers whatever the view is)."""

    def __init__(self, web_: Web) -> None:
        self.web = web_

    def json(
        self, value: Any, *, status: int = 200, headers: MutableMapping[str, str] | None = None, **_: Any
    ) -> Response:
        return web.json_response(value, status=status, headers=headers, dumps=_dumps)

    def html(
        self, value: str, *, status: int = 200, headers: MutableMapping[str, str] | None = None, **_: Any
    ) -> Response:
        return web.Response(text=value, status=status, headers=headers, content_type="text/html", charset="utf-8")

    def text(
        self,
        value: str,
        *,
        status: int = 200,
        headers: MutableMapping[str, str] | None = None,
        content_type: str | None = None,
        **_: Any,
    ) -> Response:
        return web.Response(
            text=value, status=status, headers=headers, content_type=content_type or "text/plain", charset="utf-8"
        )

    def bytes(
        self,
        value: bytes,
        *,
        status: int = 200,
        headers: MutableMapping[str, str] | None = None,
        content_type: str | None = None,
        **_: Any,
    ) -> Response:
        return web.Response(
            body=value, status=status, headers=headers, content_type=content_type or "application/octet-stream"
        )


Handler = Callable[[Request], Awaitable[web.StreamResponse]]


class Web:
    """Views by path; :meth:`application` builds the aiohttp application serving them."""

    def __init__(self, client_max_size: int = 1024 * 1024) -> None:
        self.client_max_size = client_max_size
        self._routes: list[tuple[str, str, Handler]] = []
        # path prefix -> the HTML answered for an unknown address under it (pages for people, not JSON)
        self.not_found_pages: dict[str, Callable[[], str]] = {}

    def page(self, path: str) -> Callable[[Any], Any]:
        def register(target: Any) -> Any:
            if isinstance(target, type) and issubclass(target, View):
                for method in _METHODS:
                    if hasattr(target, method):
                        self._routes.append((method.upper(), path, self._class_handler(target, method)))
            else:
                self._routes.append(("GET", path, self._function_handler(target)))
            return target

        return register

    def _class_handler(self, cls: type[View], method: str) -> Handler:
        async def handle(request: Request) -> web.StreamResponse:
            view = cls(self)
            result: web.StreamResponse = await getattr(view, method)(request, **request.match_info)
            return result

        handle.__name__ = f"{cls.__name__}.{method}"
        return handle

    def _function_handler(self, fun: Callable[[View, Request], Awaitable[web.StreamResponse]]) -> Handler:
        async def handle(request: Request) -> web.StreamResponse:
            return await fun(View(self), request)

        handle.__name__ = getattr(fun, "__name__", "page")
        return handle

    def application(self) -> web.Application:
        app = web.Application(client_max_size=self.client_max_size, middlewares=[self._errors])
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        return app

    def _not_found(self, request: Request) -> web.Response:
        """An address no route serves: for a browser under a page prefix, a page; for a program, JSON."""
        if "text/html" in request.headers.get("Accept", ""):
            for prefix, page in self.not_found_pages.items():
                if request.path == prefix.rstrip("/") or request.path.startswith(prefix):  # the first that matches
                    return web.Response(text=page(), status=404, content_type="text/html", charset="utf-8")
        return problem_response(404, "not_found", "no such page or resource", "Không có trang hoặc tài nguyên này.")

    @web.middleware
    async def _errors(self, request: Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return self._not_found(request)
        except web.HTTPMethodNotAllowed as exc:
            allow = ", ".join(sorted(exc.allowed_methods))
            en, vi = f"method not allowed here; allowed: {allow}", f"Không hỗ trợ phương thức này; được phép: {allow}."
            return problem_response(405, "method_not_allowed", en, vi, {"Allow": allow})
        except web.HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - never a traceback to the caller; the log names the failure site
            log.error("%s %s failed: %s", request.method, request.path, failure_site(exc))
            return problem_response(500, "internal_error", "internal error", "Lỗi hệ thống; vui lòng thử lại sau.")
