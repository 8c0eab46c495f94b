"""Signed session cookies and sign-in throttling for the dashboard.

A session is a cookie ``lt_session`` holding ``{u: name, v: user version}`` signed with its issue time by
itsdangerous (:class:`~itsdangerous.URLSafeTimedSerializer`: HMAC-SHA256 with an HMAC-derived key, its own
salt), sent ``HttpOnly; SameSite=Strict; Path=/`` (and ``Secure`` when configured). Nothing is stored
server-side; a session ends ``lifetime`` after it was issued, on sign-out (the cookie is cleared), or as soon
as the user is disabled or changes password (the version no longer matches). A cookie altered in any byte,
signed with another key or for another purpose reads as no session.

The key comes from ``LIENTHONG_MONITOR_SESSION_SECRET`` or, unset, from ``<data dir>/monitor-session.key``
(32 random bytes, created with mode 0600 on first start; keep it to keep sessions across restarts).

Usage::

    signer = SessionSigner(load_key(settings), timedelta(hours=10))
    cookie = signer.issue(user, time.time())
    name, version = signer.read(cookie, time.time()) or (None, None)
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections import defaultdict, deque
from datetime import timedelta
from pathlib import Path
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from services.monitor.users import User
from services.settings import Settings

__all__ = ["COOKIE", "LANG_COOKIE", "SessionSigner", "Throttle", "key_file", "load_check_key", "load_key"]

COOKIE = "lt_session"
LANG_COOKIE = "lt_lang"
# v2: the itsdangerous format; a cookie of the hand-made v1 format reads as no session (sign in once more)
_SALT = "lienthong-monitor-session-v2"


class _SignerAt(TimestampSigner):
    """A :class:`TimestampSigner` whose clock is the caller's ``now``, as the rest of the monitor passes time in."""

    def __init__(self, *args: Any, now: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now)


def load_key(settings: Settings) -> bytes:
    """The signing key: the setting, else the key file (created once, mode 0600)."""
    if settings.monitor_session_secret is not None:
        return settings.monitor_session_secret.get_secret_value().encode()
    path = settings.data_dir / "monitor-session.key"
    return key_file(path)


def load_check_key(settings: Settings) -> bytes:
    """The key of the citizens' check codes: the setting, else its key file (created once, mode 0600)."""
    if settings.public_check_secret is not None:
        return settings.public_check_secret.get_secret_value().encode()
    return key_file(settings.data_dir / "public-check.key")


def key_file(path: Path) -> bytes:
    """32 random bytes kept (hex) in ``path``: read, or created once with mode 0600. The file appears whole
    (written aside, then linked into place), so a worker starting beside another never reads half a key."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex())
    try:
        os.link(aside, path)
        return key
    except FileExistsError:  # another process linked its key first: use theirs
        return _read_key(path)
    finally:
        aside.unlink()


def _read_key(path: Path) -> bytes:
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) != 32:
        raise ValueError(f"{path} does not hold a 32-byte key (64 hex digits): delete it or restore it")
    return key


class SessionSigner:
    """Issues and reads session cookies: ``signer.read(signer.issue(user, now), now) == (user.name, user.version)``."""

    def __init__(self, key: bytes, lifetime: timedelta) -> None:
        if len(key) < 32:
            raise ValueError("the session key needs at least 32 bytes")
        self._key = key
        self.lifetime = lifetime

    def __repr__(self) -> str:
        return f"SessionSigner(lifetime={self.lifetime})"

    def _serializer(self, now: float) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self._key,
            salt=_SALT,
            signer=_SignerAt,
            signer_kwargs={"now": now, "key_derivation": "hmac", "digest_method": hashlib.sha256},
        )

    def issue(self, user: User, now: float) -> str:
        return self._serializer(now).dumps({"u": user.name, "v": user.version})

    def read(self, value: str | None, now: float) -> tuple[str, int] | None:
        """(user name, user version) of a valid, unexpired cookie; None otherwise."""
        if not value:
            return None
        try:
            body, issued = self._serializer(now).loads(value, return_timestamp=True)
            name, version = str(body["u"]), int(body["v"])
        except (BadData, ValueError, KeyError, TypeError):
            return None
        # The age is checked here rather than by loads(max_age=...), which also refuses a cookie issued "in the
        # future": another worker whose clock runs a second ahead would sign its users out at once.
        return (name, version) if now < issued.timestamp() + self.lifetime.total_seconds() else None


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
