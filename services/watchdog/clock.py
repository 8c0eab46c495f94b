"""Where the watchdog's "now" comes from: the real clock in production, a controllable one in tests.

- :class:`SystemClock` — real time in Asia/Ho_Chi_Minh (the default);
- :class:`ManualClock` — set and advanced by the caller (in-process tests, benchmarks);
- :class:`FileClock` — read from a file on every call, so a test can steer a worker running in another
  process. Enabled only by the ``LIENTHONG_CLOCK_FILE`` setting (never by default). The file holds JSON
  ``{"instant": "2026-11-20T09:00:00+07:00"}`` (frozen), optionally with ``"anchor": <unix seconds>``
  and ``"rate": 1.0`` so the fake time flows: ``now = instant + (time.time() - anchor) * rate``.

Usage::

    clock = clock_from_settings(settings)
    clock.now()                             # an aware datetime
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from services.settings import Settings

__all__ = [
    "Clock",
    "ClockFileError",
    "FileClock",
    "ManualClock",
    "SystemClock",
    "clock_from_settings",
    "write_clock_file",
]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class ClockFileError(ValueError):
    """The clock file cannot be read as a fake instant."""


class Clock(Protocol):
    """Anything with ``now() -> aware datetime``."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(TZ)


class ManualClock:
    """A clock the caller moves: ``clock = ManualClock(t0); clock.advance(hours=2)``."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = instant

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


class FileClock:
    """Fake time from a file (re-read when it changes). A missing or bad file is an error, not real time:
    a test that meant to steer the clock must not silently run on the wall clock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._value: tuple[datetime, float | None, float] | None = None

    def _load(self) -> tuple[datetime, float | None, float]:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise ClockFileError(f"cannot read clock file {self.path}: {exc.strerror}") from None
        stamp = (st.st_mtime_ns, st.st_size)
        if self._value is not None and stamp == self._stamp:
            return self._value
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            instant = datetime.fromisoformat(raw["instant"])
            anchor = raw.get("anchor")
            rate = float(raw.get("rate", 0.0))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ClockFileError(f"clock file {self.path} is not a fake instant: {exc}") from None
        if instant.tzinfo is None:
            raise ClockFileError(f"clock file {self.path}: the instant must carry its UTC offset")
        self._stamp, self._value = stamp, (instant, None if anchor is None else float(anchor), rate)
        return self._value

    def now(self) -> datetime:
        instant, anchor, rate = self._load()
        if anchor is None or rate == 0:
            return instant.astimezone(TZ)
        return (instant + timedelta(seconds=(time.time() - anchor) * rate)).astimezone(TZ)


def clock_from_settings(settings: Settings) -> Clock:
    """The clock every part of one deployment reads: the worker, its views and the CLI agree on "now"."""
    return FileClock(settings.clock_file) if settings.clock_file is not None else SystemClock()


def write_clock_file(path: Path, instant: datetime, *, rate: float = 0.0, anchor: float | None = None) -> None:
    """Set a :class:`FileClock` (atomically: the reader never sees half a file)."""
    body: dict[str, object] = {"instant": instant.isoformat()}
    if rate:
        body.update(rate=rate, anchor=time.time() if anchor is None else anchor)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body), encoding="utf-8")
    os.replace(tmp, path)
