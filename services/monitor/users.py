"""Dashboard users: a name, the agency they work for, a scrypt password hash. Office staff see everything.

The user file (``<data dir>/monitor-users.json``, mode 0600) is written by ``lienthong user`` and read by
the worker, which reloads it when it changes, so a disabled user or a new password takes effect at once
(each user carries a ``version`` that sessions are bound to). Passwords are hashed with ``hashlib.scrypt``
(n=2^14, r=8, p=1, 16-byte salt) and compared in constant time; they never appear in logs or reprs.

Usage::

    store = UserStore(settings.monitor_users_path)
    store.add("vp.lan", "office", password)
    user = store.verify("vp.lan", password)       # User or None
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from schemas.agencies import default_agencies

__all__ = ["MIN_PASSWORD", "User", "UserError", "UserStore", "hash_password", "check_password"]

MIN_PASSWORD = 10
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_N, _R, _P = 2**14, 8, 1


class UserError(ValueError):
    """A bad user name, agency or password; the message is safe to print."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64 parts)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@functools.cache
def _dummy() -> str:
    """A hash to check unknown names against, so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    name: str
    agency: str
    password_hash: str = field(repr=False)
    created: str
    version: int = 1
    disabled: str | None = None

    @property
    def active(self) -> bool:
        return self.disabled is None


class UserStore:
    """The user file: add, set a password, disable/enable, remove, list; reloaded on change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, User] = {}

    def _load(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._users, self._stamp = {}, None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        self._users = {u["name"]: User(**u) for u in raw.get("users", [])}
        self._stamp = stamp

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"users": [asdict(u) for u in self._users.values()]}, out, indent=2, ensure_ascii=False)
        os.replace(tmp, self.path)
        self._stamp = None

    def get(self, name: str) -> User | None:
        self._load()
        return self._users.get(name)

    def all(self) -> list[User]:
        self._load()
        return sorted(self._users.values(), key=lambda u: u.name)

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password needs at least {MIN_PASSWORD} characters")

    def add(self, name: str, agency: str, password: str) -> User:
        self._load()
        if not _NAME.fullmatch(name):
            raise UserError("user names are 2-64 characters: a-z, 0-9, '.', '_', '-'")
        if agency not in default_agencies():
            raise UserError(f"unknown agency {agency!r}; see schemas/agencies.yaml")
        if name in self._users:
            raise UserError(f"user {name!r} exists")
        self._check_password(password)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._users[name] = User(name=name, agency=agency, password_hash=hash_password(password), created=now)
        self._save()
        return self._users[name]

    def _change(self, name: str, **update: object) -> User:
        self._load()
        user = self._users.get(name)
        if user is None:
            raise UserError(f"no user {name!r}")
        self._users[name] = replace(user, version=user.version + 1, **update)  # type: ignore[arg-type]
        self._save()
        return self._users[name]

    def set_password(self, name: str, password: str) -> User:
        self._check_password(password)
        return self._change(name, password_hash=hash_password(password))

    def disable(self, name: str) -> User:
        return self._change(name, disabled=datetime.now(UTC).isoformat(timespec="seconds"))

    def enable(self, name: str) -> User:
        return self._change(name, disabled=None)

    def remove(self, name: str) -> None:
        self._load()
        if self._users.pop(name, None) is None:
            raise UserError(f"no user {name!r}")
        self._save()

    def verify(self, name: str, password: str) -> User | None:
        """The active user with this name and password, else None (same time either way)."""
        user = self.get(name)
        ok = check_password(password, user.password_hash if user is not None else _dummy())
        return user if ok and user is not None and user.active else None
