"""Agency authentication: HMAC-signed requests with a timestamp and a nonce, so a captured request cannot be replayed.

An agency signs every request to the ingress API with the secret of a key provisioned for it
(``lienthong agency provision tax``)::

    X-Lienthong-Key:       lt_3f9a...            (key id, names the agency)
    X-Lienthong-Timestamp: 1764140000            (unix seconds; ±300 s accepted)
    X-Lienthong-Nonce:     8c1e...               (unique per request, 16-64 chars)
    X-Lienthong-Signature: hex(HMAC-SHA256(secret, "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\n" + sha256hex(body)))

PATH is the request target as sent: the path and, if any, ``?`` and the query string.

A timestamp outside the tolerance window is refused, and a nonce is accepted only once: the verifier
checks the signature and returns the nonce's marker, which the caller claims in the shared nonce log
(:mod:`services.relay.nonces`), so a replayed request fails on any worker and after a restart.

HMAC needs the secret on both sides, so the key file (``<data dir>/credentials.json``,
mode 0600) holds secrets; it is written only by the CLI and read by the worker, which reloads it when it
changes, so a revocation takes effect at once. Secrets never appear in logs or reprs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "KEY_HEADER",
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AuthError",
    "Credential",
    "CredentialStore",
    "RequestVerifier",
    "signed_headers",
]

KEY_HEADER = "X-Lienthong-Key"
TIMESTAMP_HEADER = "X-Lienthong-Timestamp"
NONCE_HEADER = "X-Lienthong-Nonce"
SIGNATURE_HEADER = "X-Lienthong-Signature"


class AuthError(Exception):
    """Authentication failed; ``reason_en``/``reason_vi`` are safe to return to the caller."""

    def __init__(self, reason_en: str, reason_vi: str) -> None:
        super().__init__(reason_en)
        self.reason_en = reason_en
        self.reason_vi = reason_vi


@dataclass(frozen=True)
class Credential:
    key_id: str
    agency: str
    secret: str = field(repr=False)
    created: str
    revoked: str | None = None


def _canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode("utf-8", "replace")


def signed_headers(
    key_id: str, secret: str, method: str, path: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """Headers an agency client sends with one request (``path`` with its query string, as sent)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    signature = hmac.new(secret.encode(), _canonical(method, path, timestamp, nonce, body), hashlib.sha256)
    return {
        KEY_HEADER: key_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature.hexdigest(),
    }


class CredentialStore:
    """The key file: provision, revoke, list; reloaded by readers when it changes on disk.

    store = CredentialStore(settings.data_dir / "credentials.json")
    key_id, secret = store.provision("tax")
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime_ns = -1
        self._by_id: dict[str, Credential] = {}

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._by_id, self._mtime_ns = {}, -1
            return
        if mtime == self._mtime_ns:
            return
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        self._by_id = {c["key_id"]: Credential(**c) for c in raw.get("keys", [])}
        self._mtime_ns = mtime

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        payload = {"keys": [c.__dict__ for c in self._by_id.values()]}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2)
        os.replace(tmp, self.path)
        self._mtime_ns = -1

    def get(self, key_id: str) -> Credential | None:
        self._load()
        return self._by_id.get(key_id)

    def all(self) -> list[Credential]:
        self._load()
        return list(self._by_id.values())

    def provision(self, agency: str) -> tuple[str, str]:
        """A new key for ``agency``: returns (key id, secret). The secret is shown once by the CLI."""
        self._load()
        key_id = "lt_" + secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._by_id[key_id] = Credential(key_id=key_id, agency=agency, secret=secret, created=now)
        self._save()
        return key_id, secret

    def revoke(self, key_id: str) -> Credential:
        self._load()
        cred = self._by_id.get(key_id)
        if cred is None:
            raise KeyError(key_id)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._by_id[key_id] = Credential(cred.key_id, cred.agency, cred.secret, cred.created, revoked=now)
        self._save()
        return self._by_id[key_id]


class RequestVerifier:
    """Checks one request's signature and freshness (the nonce is the caller's to claim)."""

    def __init__(self, store: CredentialStore, tolerance_s: float = 300.0) -> None:
        self.store = store
        self.tolerance_s = tolerance_s

    def verify(
        self, method: str, path: str, headers: dict[str, str], body: bytes, now: float | None = None
    ) -> tuple[str, str]:
        """Return the authenticated agency code and the nonce's marker (``<key id>:<nonce>``), or raise AuthError."""
        now = time.time() if now is None else now
        key_id = headers.get(KEY_HEADER.lower(), "")
        timestamp = headers.get(TIMESTAMP_HEADER.lower(), "")
        nonce = headers.get(NONCE_HEADER.lower(), "")
        signature = headers.get(SIGNATURE_HEADER.lower(), "")
        if not (key_id and timestamp and nonce and signature):
            raise AuthError(
                f"missing authentication headers: {KEY_HEADER}, {TIMESTAMP_HEADER}, {NONCE_HEADER}, {SIGNATURE_HEADER}",
                "Thiếu thông tin xác thực: cần các header khóa, thời điểm, nonce và chữ ký.",
            )
        cred = self.store.get(key_id)
        if cred is None or cred.revoked:
            raise AuthError("unknown or revoked key", "Khóa không tồn tại hoặc đã bị thu hồi.")
        if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > self.tolerance_s:
            raise AuthError(
                f"timestamp outside ±{self.tolerance_s:.0f} s of server time",
                f"Thời điểm ký lệch quá ±{self.tolerance_s:.0f} giây so với máy chủ.",
            )
        if not (16 <= len(nonce) <= 64 and nonce.isascii() and nonce.isprintable()):
            raise AuthError(
                "nonce must be 16 to 64 printable ASCII characters", "Nonce phải gồm 16 đến 64 ký tự ASCII in được."
            )
        expected = hmac.new(cred.secret.encode(), _canonical(method, path, timestamp, nonce, body), hashlib.sha256)
        # bytes on both sides: a header of any text (even undecodable bytes) is a wrong signature, not an error
        given = signature.strip().lower().encode("utf-8", "replace")
        if not hmac.compare_digest(expected.hexdigest().encode(), given):
            raise AuthError("bad signature", "Chữ ký không hợp lệ.")
        return cred.agency, f"{key_id}:{nonce}"
