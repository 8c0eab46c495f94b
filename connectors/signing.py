"""HMAC request signing, so a receiving agency can tell a request really comes from lienthong.

Every request carries::

    X-Lienthong-Timestamp: <unix seconds, integer>
    X-Lienthong-Signature: hex(HMAC-SHA256(secret, timestamp + "." + body))

where ``body`` is the exact bytes on the wire (an empty body for a GET). The timestamp
bounds replay: a receiver rejects signatures older or newer than ``tolerance_s``.
Receivers (and our simulators) check with :func:`verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign", "signature_headers", "verify_signature"]

SIGNATURE_HEADER = "X-Lienthong-Signature"
TIMESTAMP_HEADER = "X-Lienthong-Timestamp"


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp + "." + body``."""
    return hmac.new(_key(secret), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_headers(secret: str | bytes, body: bytes, now: float) -> dict[str, str]:
    """The two signing headers for ``body`` sent at ``now`` (unix seconds)."""
    timestamp = str(int(now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance_s: float = 300,
) -> bool:
    """True when ``signature`` matches and ``timestamp`` is within ``tolerance_s`` of ``now``.

    verify_signature(secret, req.headers[TIMESTAMP_HEADER], raw, req.headers[SIGNATURE_HEADER], time.time())
    """
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower())
