from __future__ import annotations

import email.utils

import httpx
import pytest
from tenacity import RetryCallState, wait_fixed

from connectors import AgencyRejected, AgencyUnavailable, parse_retry_after
from connectors.retry import RetryAfterWait, check_response

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("1", 1.0),
        (" 120 ", 120.0),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
        (email.utils.formatdate(NOW - 90, usegmt=True), 0.0),
        ("Tue, 14 Nov 2023 22:13:20 GMT", 0.0),  # == NOW
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_rfc850_and_asctime_dates() -> None:
    # Both legacy HTTP-date forms are still valid per RFC 9110.
    assert parse_retry_after("Tuesday, 14-Nov-23 22:14:20 GMT", NOW) == pytest.approx(60.0)
    assert parse_retry_after("Tue Nov 14 22:14:20 2023", NOW) == pytest.approx(60.0)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_success(status: int) -> None:
    check_response(httpx.Response(status), NOW)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_429_and_5xx_are_retryable(status: int) -> None:
    with pytest.raises(AgencyUnavailable) as info:
        check_response(httpx.Response(status, headers={"Retry-After": "7"}), NOW)
    assert info.value.status == status
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 409, 413, 422])
def test_other_statuses_are_permanent(status: int) -> None:
    with pytest.raises(AgencyRejected) as info:
        check_response(httpx.Response(status, text="missing field dossierCode"), NOW)
    assert info.value.status == status
    assert "missing field dossierCode" in str(info.value)


def test_error_text_is_truncated() -> None:
    with pytest.raises(AgencyRejected) as info:
        check_response(httpx.Response(400, text="x" * 10_000), NOW)
    assert len(str(info.value)) < 400


def _state_after(exc: BaseException) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.set_exception((type(exc), exc, None))
    return state


def test_retry_after_wait_prefers_the_header_and_caps_it() -> None:
    wait = RetryAfterWait(wait_fixed(0.25), cap_s=30)
    assert wait(_state_after(AgencyUnavailable("429", status=429, retry_after=2))) == 2
    assert wait(_state_after(AgencyUnavailable("429", status=429, retry_after=3600))) == 30
    assert wait(_state_after(AgencyUnavailable("503", status=503))) == 0.25
