"""Who is asking: a signed-in dashboard user (session cookie) or an agency system (its signed request).

The dashboard signs users in with a password and keeps them by a signed cookie (:mod:`services.monitor.sessions`).
The JSON API also accepts the HMAC-signed requests agencies already use for the ingress API, scoped to that
agency. Either way the answer is a :class:`Viewer`: Office staff see everything (``scope`` None), everyone
else only the handoffs their agency sent or received.

Usage::

    viewer = await auth.viewer(request)        # None: not signed in
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.monitor.facts import sees_all
from services.monitor.sessions import COOKIE, SessionSigner, Throttle
from services.monitor.users import User, UserStore
from services.relay.auth import KEY_HEADER
from services.relay.ingress import Ingress

__all__ = ["Auth", "Viewer", "safe_next"]


@dataclass(frozen=True)
class Viewer:
    name: str
    agency: str

    @property
    def office(self) -> bool:
        return sees_all(self.agency)

    @property
    def scope(self) -> str | None:
        """None: everything; else the agency whose handoffs this viewer may see."""
        return None if self.office else self.agency


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a dashboard path only (no open redirect)."""
    if value and value.startswith("/monitor") and "//" not in value and "\\" not in value:
        return value
    return "/monitor/"


class Auth:
    def __init__(self, users: UserStore, signer: SessionSigner, ingress: Ingress, *, secure_cookie: bool) -> None:
        self.users = users
        self.signer = signer
        self.ingress = ingress
        self.secure_cookie = secure_cookie
        self.throttle = Throttle()

    async def viewer(self, request: Any) -> Viewer | None:
        session = self.signer.read(request.cookies.get(COOKIE), time.time())
        if session is not None:
            name, version = session
            user = self.users.get(name)
            if user is not None and user.active and user.version == version:
                return Viewer(user.name, user.agency)
            return None
        headers: Mapping[str, str] = request.headers
        if headers.get(KEY_HEADER):
            # the signature covers the request target with its query string, as for the ingress API
            agency = await self.ingress.authenticate(request.method, request.path_qs, headers, b"")
            if isinstance(agency, str):
                return Viewer(f"key:{agency}", agency)
        return None

    def sign_in(self, name: str, password: str) -> tuple[User | None, bool]:
        """(the user, or None; whether the name is throttled after repeated failures)."""
        now = time.time()
        if self.throttle.blocked(name, now):
            return None, True
        user = self.users.verify(name, password)
        if user is None:
            self.throttle.failed(name, now)
            return None, False
        self.throttle.succeeded(name)
        return user, False

    def cookie(self, response: Any, user: User) -> None:
        response.set_cookie(
            COOKIE,
            self.signer.issue(user, time.time()),
            max_age=int(self.signer.lifetime.total_seconds()),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
        )

    def clear(self, response: Any) -> None:
        response.set_cookie(
            COOKIE, "", max_age=0, path="/", httponly=True, samesite="Strict", secure=self.secure_cookie
        )
