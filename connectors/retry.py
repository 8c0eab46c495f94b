"""Retry policy shared by all connectors: what is retried, and how long to wait.

Classification (:func:`check_response`): 2xx is success; 429 and 5xx raise
``AgencyUnavailable`` (retry); anything else (4xx, and 3xx since we never follow
redirects to an unconfigured host) raises ``AgencyRejected`` (no retry). Transport
errors and timeouts are turned into ``AgencyUnavailable`` by the caller.

Waiting: the ``stop``/``wait`` tenacity strategies are injected (tests pass
``wait_none()``); :class:`RetryAfterWait` wraps the injected ``wait`` so a
``Retry-After`` header (seconds or HTTP-date), capped, takes precedence over backoff.
"""

from __future__ import annotations

import email.utils
from datetime import UTC
from typing import TYPE_CHECKING

import httpx
from tenacity import stop_after_attempt, stop_before_delay, wait_exponential, wait_random
from tenacity.wait import wait_base

from connectors.errors import AgencyRejected, AgencyUnavailable

if TYPE_CHECKING:
    from tenacity import RetryCallState
    from tenacity.stop import StopBaseT
    from tenacity.wait import WaitBaseT

    from connectors.models import AgencyEndpoint

__all__ = ["RetryAfterWait", "check_response", "default_stop", "default_wait", "parse_retry_after"]

# Enough of the agency's error text to diagnose a dead letter, not a whole HTML page.
_ERROR_TEXT_LIMIT = 300


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), None if absent/invalid.

    ``now`` is unix time, used for the HTTP-date form; a date in the past gives 0.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def check_response(response: httpx.Response, now: float) -> None:
    """Raise the right ``ConnectorError`` for a non-2xx response (see module docstring)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    text = response.text.strip()[:_ERROR_TEXT_LIMIT]
    if text:
        reason = f"{reason}: {text}"
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        raise AgencyUnavailable(reason, status=status, retry_after=retry_after)
    raise AgencyRejected(reason, status=status)


class RetryAfterWait(wait_base):
    """Wait what the agency asked for (``Retry-After``, at most ``cap_s``), else ``fallback``."""

    def __init__(self, fallback: WaitBaseT, cap_s: float) -> None:
        self.fallback = fallback
        self.cap_s = cap_s

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, AgencyUnavailable) and exc.retry_after is not None:
            return min(exc.retry_after, self.cap_s)
        return float(self.fallback(retry_state))


def default_stop(endpoint: AgencyEndpoint) -> StopBaseT:
    """Stop after ``max_attempts``, or before a wait would overrun ``max_elapsed_s``."""
    return stop_after_attempt(endpoint.max_attempts) | stop_before_delay(endpoint.max_elapsed_s)


def default_wait(endpoint: AgencyEndpoint) -> WaitBaseT:
    """Exponential backoff with jitter, so agencies coming back up are not hit in lockstep."""
    # Composed rather than wait_exponential_jitter, whose argument names changed within 9.x.
    exponential = wait_exponential(multiplier=endpoint.backoff_initial_s, max=endpoint.backoff_max_s)
    return exponential + wait_random(0, endpoint.backoff_initial_s)
