"""``lag --technical`` judges over a window of samples (Burrow), never from one, and says how many."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import pytest

from services.monitor.cli import duration
from services.monitor.lagwindow import sample_window, status_words, technical_table, window_summary
from services.monitor.technical import Probe


class FakeProber:
    """Offsets that follow a script: committed(n) and log_end(n) at the n-th probe, with live members or not."""

    def __init__(self, committed: Sequence[int], log_end: Sequence[int], members: int) -> None:
        self.committed, self.log_end, self.members, self.calls = committed, log_end, members, 0

    def probe(self, groups: Sequence[str], now: float, reads: dict[str, list[str]] | None = None) -> list[Probe]:
        n = min(self.calls, len(self.committed) - 1)
        self.calls += 1
        state = "Stable" if self.members else "Empty"
        return [
            Probe(now, g, state, self.members, {("t", 0): self.committed[n]}, {("t", 0): self.log_end[n]})
            for g in groups
        ]


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_764_650_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def judged(prober: FakeProber, samples: int = 6, window_s: float = 30.0) -> tuple[str, int, FakeTime]:
    t = FakeTime()
    window = sample_window(prober, ["g"], {}, samples, window_s, None, t.clock, t.sleep)
    (group,) = window.groups
    assert window.samples == samples
    return group.status, group.partitions[0].window, t


@pytest.mark.parametrize(
    ("committed", "log_end", "members", "status"),
    [
        ([5] * 6, [9] * 6, 0, "STOP"),  # nobody commits, records wait
        ([5] * 6, [9, 10, 11, 12, 13, 14], 1, "STALL"),  # a live member that does not move
        ([10, 20, 30, 40, 50, 60], [15, 26, 37, 48, 59, 70], 1, "WARN"),  # moving, falling behind
        ([10, 20, 30, 40, 50, 60], [15, 25, 30, 45, 55, 62], 1, "OK"),  # caught up once in the window
        ([10, 20, 30, 40, 50, 60], [20, 28, 36, 44, 52, 60], 1, "OK"),  # lag shrinking
    ],
)
def test_the_status_rests_on_the_whole_window(
    committed: list[int], log_end: list[int], members: int, status: str
) -> None:
    found, entries, t = judged(FakeProber(committed, log_end, members))
    assert found == status
    assert t.slept == [6.0] * 5  # six samples evenly over 30 s: the first at once
    assert entries == (1 if status == "STOP" else 6)  # a gone group's unmoved samples are not commits


def test_one_sample_would_have_said_ok_to_a_stopped_consumer() -> None:
    """Why a window: the first sample alone cannot tell STOP from a consumer that is moving."""
    from services.monitor.technical import LagTracker

    first = FakeProber([5], [9], 0).probe(["g"], 0.0)[0]
    assert LagTracker(window=1).observe(first).status == "OK"
    assert judged(FakeProber([5] * 3, [9] * 3, 0), samples=3, window_s=4)[0] == "STOP"


def test_progress_and_the_basis_are_told() -> None:
    t, seen = FakeTime(), []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))

    window = sample_window(FakeProber([5] * 3, [9] * 3, 0), ["g"], {}, 3, 10.0, progress, t.clock, t.sleep)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    summary = "\n".join(window_summary(window))
    assert "dựa trên 3 mẫu trong 10 giây / based on 3 samples over 10 s" in summary
    assert "+07" in summary
    assert "g: STOP (ngừng / stopped)" in summary
    rows = technical_table(window).rows
    assert rows == [("g", "t", "0", "5", "9", "4", rows[0][6], "1", "STOP (ngừng / stopped)")]


def test_a_failed_probe_judges_nothing() -> None:
    class Failing(FakeProber):
        def probe(self, groups: Sequence[str], now: float, reads: dict[str, list[str]] | None = None) -> list[Probe]:
            return [Probe(now, g, "Unknown", 0, {}, {}, error="KafkaTimeoutError") for g in groups]

    t = FakeTime()
    window = sample_window(Failing([0], [0], 0), ["g"], {}, 3, 4.0, None, t.clock, t.sleep)
    assert window.error == ("g", "KafkaTimeoutError")
    assert window.groups == ()


def test_fewer_than_two_samples_are_refused() -> None:
    with pytest.raises(ValueError, match="two samples"):
        sample_window(FakeProber([0], [0], 0), ["g"], {}, 1, 4.0)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30", 30.0), ("30s", 30.0), ("2m", 120.0), ("1h", 3600.0), ("0.5s", 0.5)]
)
def test_window_durations(text: str, seconds: float) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-3s", "0", "5d"])
def test_bad_window_durations(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        duration(text)


def test_status_words_are_burrows_code_with_the_dashboards_words() -> None:
    assert status_words("OK") == "OK (bình thường)"
    assert status_words("WARN") == "WARN (chậm dần / falling behind)"
