"""Naming a failure without quoting it: an exception's text may carry a citizen's data or a secret."""

from __future__ import annotations

import traceback

__all__ = ["failure_site"]


def failure_site(exc: BaseException) -> str:
    """``"KeyError at routing.py:212"``: what failed and where, for a log line or a quarantine reason. Never
    the exception's text, which may quote a citizen's data."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    site = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where is not None else ""
    return f"{type(exc).__name__}{site}"
