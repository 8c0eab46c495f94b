from __future__ import annotations

import hashlib
import hmac

import pytest

from connectors import sign, verify_signature
from connectors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_headers

SECRET = "per-agency-shared-secret"
BODY = b'{"eventId":"evt-1"}'
NOW = 1_700_000_000.0


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, "1700000000", BODY) == expected
    assert sign(SECRET.encode(), "1700000000", BODY) == expected


def test_signature_headers_round_trip() -> None:
    headers = signature_headers(SECRET, BODY, NOW + 0.9)
    assert headers[TIMESTAMP_HEADER] == "1700000000"
    assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], BODY, headers[SIGNATURE_HEADER], NOW)


def test_signature_is_case_insensitive_hex() -> None:
    signature = sign(SECRET, "1700000000", BODY).upper()
    assert verify_signature(SECRET, "1700000000", BODY, signature, NOW)


@pytest.mark.parametrize(
    ("secret", "body", "timestamp", "now"),
    [
        pytest.param("another-secret", BODY, "1700000000", NOW, id="wrong-secret"),
        pytest.param(SECRET, BODY + b" ", "1700000000", NOW, id="tampered-body"),
        pytest.param(SECRET, BODY, "1700000000", NOW + 301, id="too-old"),
        pytest.param(SECRET, BODY, "1700000000", NOW - 301, id="from-the-future"),
    ],
)
def test_verify_rejects(secret: str, body: bytes, timestamp: str, now: float) -> None:
    signature = sign(SECRET, "1700000000", BODY)
    assert not verify_signature(secret, timestamp, body, signature, now)


def test_verify_rejects_a_replayed_signature_with_a_new_timestamp() -> None:
    signature = sign(SECRET, "1700000000", BODY)
    assert not verify_signature(SECRET, "1700000100", BODY, signature, NOW + 100)


def test_verify_honours_tolerance_and_bad_timestamps() -> None:
    signature = sign(SECRET, "1700000000", BODY)
    assert verify_signature(SECRET, "1700000000", BODY, signature, NOW + 299)
    assert not verify_signature(SECRET, "1700000000", BODY, signature, NOW + 11, tolerance_s=10)
    assert not verify_signature(SECRET, "not-a-number", BODY, signature, NOW)
