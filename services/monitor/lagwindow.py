"""``lienthong lag --technical``: consumer-group lag judged over a window of samples, as Burrow judges it.

Burrow never decides from one look: it keeps a window of offset commits per partition and applies its rules
to the window (:mod:`services.monitor.technical`). The dashboard's worker samples every
``LIENTHONG_MONITOR_SAMPLE_S`` and keeps such a window; the command line has no past, so it takes its own:
``samples`` probes spread evenly over ``window_s`` seconds, fed to the same :class:`LagTracker`, and says
how many samples each status rests on. With one sample every partition with lag would be judged on nothing
(a stopped consumer and a moving one look the same), so at least two are taken.

Usage::

    window = sample_window(KafkaProbe(settings.kafka), ["lienthong"], reads, samples=6, window_s=30)
    technical_table(window).print(); print(*window_summary(window), sep="\\n")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.cliformat import Column, Table, when
from services.monitor.technical import GroupStatus, LagTracker, Probe

__all__ = ["Prober", "Window", "jsonable_window", "sample_window", "status_words", "technical_table", "window_summary"]


class Prober(Protocol):
    def probe(self, groups: Sequence[str], now: float, reads: dict[str, list[str]] | None = None) -> list[Probe]: ...


@dataclass(frozen=True)
class Window:
    """What the samples showed: each group's status after the last one, how many were taken, over how long."""

    samples: int
    started_at: float
    span_s: float  # first sample to last
    groups: tuple[GroupStatus, ...]
    error: tuple[str, str] | None = None  # (group, error) of a probe that failed: nothing is judged then


def sample_window(
    prober: Prober,
    groups: Sequence[str],
    reads: Mapping[str, list[str]],
    samples: int,
    window_s: float,
    progress: Callable[[int, int], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Window:
    """``samples`` probes evenly spread over ``window_s`` seconds (the first at once, the last at the end),
    each fed to one tracker whose window holds them all; ``progress(done, samples)`` after each."""
    if samples < 2:
        raise ValueError("a window needs at least two samples")
    tracker = LagTracker(window=samples)
    interval = window_s / (samples - 1)
    started = clock()
    statuses: dict[str, GroupStatus] = {}
    for n in range(samples):
        wait = started + n * interval - clock()
        if n and wait > 0:
            sleep(wait)
        for found in prober.probe(groups, clock(), dict(reads)):
            if found.error:
                return Window(n, started, clock() - started, (), (found.group, found.error))
            statuses[found.group] = tracker.observe(found)
        if progress is not None:
            progress(n + 1, samples)
    last = max((s.sampled_at for s in statuses.values()), default=started)
    return Window(samples, started, last - started, tuple(statuses[g] for g in groups if g in statuses))


def status_words(status: str) -> str:
    """``STOP (ngừng / stopped)``: Burrow's code, with the dashboard's words for it."""
    from services.monitor.i18n import labels

    pair = labels().get(f"status_{status}")
    if pair is None:
        return status
    vi, en = pair["vi"].lower(), pair["en"].lower()
    return f"{status} ({vi})" if en == status.lower() else f"{status} ({vi} / {en})"


def technical_table(window: Window) -> Table:
    """One row per group and partition, as Kafka's consumer-groups tool prints them, with the status and
    the number of window entries (samples that counted as commits) it rests on."""
    table = Table(
        [
            Column("Nhóm", "Group", nowrap=True),
            Column("Topic", nowrap=True),
            Column("Phân vùng", "Partition", right=True),
            Column("Offset đã commit", "Current offset", right=True),
            Column("Offset cuối", "Log-end offset", right=True),
            Column("Độ trễ", "Lag", right=True),
            Column("Trễ (giây)", "Lag (s)", right=True),
            Column("Mục cửa sổ", "Window entries", right=True),
            Column("Trạng thái", "Status"),
        ]
    )
    for group in window.groups:
        for part in group.partitions:
            seconds = f"≥{part.lag_seconds:.1f}" if part.approximate else f"{part.lag_seconds:.1f}"
            cells = (group.group, part.topic, part.partition, part.committed, part.log_end, part.lag, seconds)
            table.add(*cells, part.window, status_words(part.status))
    return table


def window_summary(window: Window) -> list[str]:
    """One line per group (its worst partition's status, state, members, lag) and the basis of the verdict."""
    lines = []
    for g in window.groups:
        lines.append(
            f"{g.group}: {status_words(g.status)}, trạng thái nhóm / group state {g.state},"
            f" {g.members} thành viên / member(s), độ trễ / lag {g.total_lag}"
        )
    lines.append(
        f"dựa trên {window.samples} mẫu trong {window.span_s:.0f} giây / based on {window.samples} samples over"
        f" {window.span_s:.0f} s, từ / from {when(window.started_at)}"
        "; mục cửa sổ: mẫu tính như một lần commit / window entries: samples counted as commits"
    )
    return lines


def jsonable_window(window: Window) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "samples": window.samples,
        "started_at": window.started_at,
        "span_s": round(window.span_s, 3),
        "groups": [asdict(g) for g in window.groups],
    }
