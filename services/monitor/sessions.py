"""Signed session cookies and sign-in throttling for the dashboard.

A session is a cookie ``lt_session`` = ``base64url(JSON {u: name, v: user version, e: expiry})`` + ``.`` +
``base64url(HMAC-SHA256(key, payload))``, sent ``HttpOnly; SameSite=Strict; Path=/`` (and ``Secure`` when
configured). Nothing is stored server-side; a session ends at its expiry, on sign-out (the cookie is
cleared), or as soon as the user is disabled or changes password (the version no longer matches).

The key comes from ``LIENTHONG_MONITOR_SESSION_SECRET`` or, unset, from ``<data dir>/monitor-session.key``
(32 random bytes, created with mode 0600 on first start; keep it to keep sessions across restarts).

Usage::

    signer = SessionSigner(load_key(settings), timedelta(hours=10))
    cookie = signer.issue(user, time.time())
    name, version = signer.read(cookie, time.time()) or (None, None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections import defaultdict, deque
from datetime import timedelta
from pathlib import Path

from services.monitor.users import User
from services.settings import Settings

__all__ = ["COOKIE", "LANG_COOKIE", "SessionSigner", "Throttle", "load_key"]

COOKIE = "lt_session"
LANG_COOKIE = "lt_lang"
_CONTEXT = b"lienthong-monitor-session-v1."


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_key(settings: Settings) -> bytes:
    """The signing key: the setting, else the key file (created once, mode 0600)."""
    if settings.monitor_session_secret is not None:
        return settings.monitor_session_secret.get_secret_value().encode()
    path = settings.data_dir / "monitor-session.key"
    return _key_file(path)


def _key_file(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex())
    return key


class SessionSigner:
    def __init__(self, key: bytes, lifetime: timedelta) -> None:
        if len(key) < 32:
            raise ValueError("the session key needs at least 32 bytes")
        self._key = key
        self.lifetime = lifetime

    def __repr__(self) -> str:
        return f"SessionSigner(lifetime={self.lifetime})"

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, _CONTEXT + payload.encode(), hashlib.sha256).digest())

    def issue(self, user: User, now: float) -> str:
        body = {"u": user.name, "v": user.version, "e": int(now + self.lifetime.total_seconds())}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def read(self, value: str | None, now: float) -> tuple[str, int] | None:
        """(user name, user version) of a valid, unexpired cookie; None otherwise."""
        if not value or value.count(".") != 1:
            return None
        payload, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            name, version, expiry = str(body["u"]), int(body["v"]), int(body["e"])
        except (ValueError, KeyError, TypeError):
            return None
        return (name, version) if now < expiry else None


class Throttle:
    """Failed sign-ins per user name: ``limit`` failures within ``window_s`` block the name for ``block_s``."""

    def __init__(self, limit: int = 5, window_s: float = 900, block_s: float = 300) -> None:
        self.limit, self.window_s, self.block_s = limit, window_s, block_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, name: str, now: float) -> bool:
        times = self._failures.get(name)
        if not times:
            return False
        while times and now - times[0] > self.window_s:
            times.popleft()
        return len(times) >= self.limit and now - times[-1] < self.block_s

    def failed(self, name: str, now: float) -> None:
        if len(self._failures) > 10_000:  # bounded memory against name spraying
            self._failures.clear()
        self._failures[name].append(now)

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)
