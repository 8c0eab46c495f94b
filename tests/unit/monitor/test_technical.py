"""Consumer lag: Burrow's rules on a window, the sampling adaptation, lag in seconds, delivery figures."""

from __future__ import annotations

import pytest

from services.monitor.technical import (
    Entry,
    LagTracker,
    Probe,
    delivery_stats,
    evaluate_partition,
    group_status,
    lag_seconds,
    partition_lag,
)


def window(*rows: tuple[float, int, int]) -> list[Entry]:
    return [Entry(at, offset, lag) for at, offset, lag in rows]


@pytest.mark.parametrize(
    ("entries", "lag", "now", "status"),
    [
        (window((0, 10, 5), (10, 20, 0), (20, 30, 3)), 3, 20, "OK"),  # rule 1: lag was zero in the window
        (window((0, 10, 5), (10, 20, 5)), 0, 10, "OK"),  # rule 1: no lag now
        (window((0, 50, 5), (10, 40, 6), (20, 45, 7)), 7, 20, "REWIND"),  # rule 2: the offset went back
        (window((0, 10, 5), (10, 20, 5)), 5, 30, "STOP"),  # rule 3: 20 s since the last commit > 10 s of window
        (window((0, 10, 5), (10, 10, 6), (20, 10, 8)), 8, 20, "STALL"),  # rule 4: committing, not moving
        (window((0, 10, 5), (10, 20, 6), (20, 30, 6)), 6, 20, "WARN"),  # rule 5: moving, lag never shrinks
        (window((0, 10, 5), (10, 20, 8), (20, 30, 4)), 4, 20, "OK"),  # rule 6: catching up somewhere
        (window((0, 10, 5)), 5, 0, "OK"),  # one entry, judged at once: nothing to say yet
        (window((0, 10, 5)), 5, 1, "STOP"),  # one entry and time passed with nothing committed
        ([], 5, 0, "OK"),
    ],
)
def test_burrows_rules(entries: list[Entry], lag: int, now: float, status: str) -> None:
    assert evaluate_partition(entries, lag, now) == status


def test_rules_are_applied_in_burrows_order() -> None:
    # went back AND stopped committing: REWIND is checked first
    assert evaluate_partition(window((0, 50, 5), (10, 40, 6)), 6, 100) == "REWIND"
    # stood still AND stopped: STOP before STALL
    assert evaluate_partition(window((0, 10, 5), (10, 10, 6)), 6, 100) == "STOP"


def test_group_status_is_its_worst_partition() -> None:
    assert group_status(["OK", "WARN", "STALL"]) == "STALL"
    assert group_status(["STOP", "REWIND", "OK"]) == "REWIND"
    assert group_status([]) == "OK"


def test_lag_is_never_negative() -> None:
    assert partition_lag(committed=12, log_end=10) == 0  # log end read before the commit
    assert partition_lag(committed=7, log_end=10) == 3


def probe(at: float, members: int, committed: int, log_end: int) -> Probe:
    return Probe(at, "g", "Stable" if members else "Empty", members, {("t", 0): committed}, {("t", 0): log_end})


def test_a_live_group_that_does_not_move_is_stalled_a_gone_one_stopped() -> None:
    live, gone = LagTracker(window=5), LagTracker(window=5)
    for n in range(4):
        live_status = live.observe(probe(n * 10, 1, 5, 9 + n))
        gone_status = gone.observe(probe(n * 10, 0, 5, 9 + n))
    assert live_status.status == "STALL"
    assert gone_status.status == "STOP"
    assert gone_status.partitions[0].window == 1  # a sample counts as a commit only when the offset moved


def test_a_slow_consumer_warns_and_a_caught_up_one_is_ok() -> None:
    tracker = LagTracker(window=4)
    for n in range(4):
        status = tracker.observe(probe(n * 10, 1, 10 * n, 10 * n + 5 + n))
    assert status.status == "WARN"
    assert tracker.observe(probe(40, 1, 60, 60)).status == "OK"


def test_the_window_slides() -> None:
    tracker = LagTracker(window=3)
    for n in range(3):
        tracker.observe(probe(n * 10, 1, 5, 10))  # stalled
    for n in range(3, 6):
        status = tracker.observe(probe(n * 10, 1, 5 + 2 * n, 30))
    assert status.status == "OK"  # the stall left the window; lag shrinks now
    assert status.partitions[0].window == 3


def test_lag_in_seconds_interpolates_the_log_end_history() -> None:
    history = [(100.0, 10), (110.0, 20), (120.0, 40)]
    # the oldest unread record (offset 15) was written as the log end went from 15 to 16: 6/10 of the way, 106 s
    assert lag_seconds(committed=15, lag=25, history=history, now=130.0) == (pytest.approx(24.0), False)
    # older than the history: at least since the first sample
    assert lag_seconds(committed=5, lag=35, history=history, now=130.0) == (30.0, True)
    assert lag_seconds(committed=40, lag=0, history=history, now=130.0) == (0.0, False)


def test_delivery_success_rate_and_retries() -> None:
    stats = delivery_stats({"tax": 9, "land-registry": 4}, {"tax": 1}, {"tax": 14, "land-registry": 4})
    by = {s.agency: s for s in stats}
    assert (by["tax"].success_rate, by["tax"].retries) == (90.0, 4)
    assert (by["land-registry"].success_rate, by["land-registry"].retries) == (100.0, 0)
    assert delivery_stats({}, {}, {}) == []
