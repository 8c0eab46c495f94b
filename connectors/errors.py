"""Exceptions raised while talking to an agency system.

Exception tree (read it like ``httpx/_exceptions.py``)::

    ConnectorError                  any failure of a connector; raised as-is for a
     │                              malformed answer (e.g. a pull page that is not JSON)
     ├── AgencyUnavailable          retryable: connection error, timeout, 5xx, 429
     │                              (carries ``retry_after`` when the agency sent one)
     └── AgencyRejected             permanent: any other 4xx (or 3xx): retrying the same
                                    request cannot succeed -> dead-letter with the reason

Push connectors use these internally to classify attempts; ``deliver()`` never lets
them escape and returns a :class:`~connectors.models.DeliveryResult` instead (a
caller that prefers exceptions calls ``result.raise_for_failure()``). The pull
connector raises them from ``poll_once()``.
"""

from __future__ import annotations

__all__ = ["AgencyRejected", "AgencyUnavailable", "ConnectorError"]


class ConnectorError(Exception):
    """Base class: ``status`` is the HTTP status code, or None when there was no response."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AgencyUnavailable(ConnectorError):
    """The agency could not take the request now; the same request may succeed later."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class AgencyRejected(ConnectorError):
    """The agency refused the request; resending it unchanged will not help."""
