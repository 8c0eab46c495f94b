"""SLA clocks: pure transitions and the early / on-time / late verdict of the process-control slip."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas import SlaClock, WorkingCalendar, verdict

from .conftest import vn


def three_days(cal: WorkingCalendar) -> SlaClock:
    # A handoff received Monday 2 March 2026 09:00 with 3 working days: due Thursday 5 March 09:00.
    return SlaClock(budget=cal.days(3)).start(vn(2026, 3, 2, 9), ref="H-1")


def test_running_clock(cal: WorkingCalendar) -> None:
    clock = three_days(cal)
    # Tuesday 3 March 11:00: Monday 09:00-17:00 = 6 h, Tuesday 07:00-11:00 = 4 h -> 10 h elapsed.
    status = clock.status(vn(2026, 3, 3, 11), cal)
    assert status.due == vn(2026, 3, 5, 9)
    assert status.elapsed == timedelta(hours=10)
    assert status.remaining == timedelta(hours=14)
    assert not status.paused
    assert not status.breached
    assert status.verdict is None
    assert status.ref == "H-1"


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (vn(2026, 3, 4, 16), "early"),  # the day before the due day: trước hạn
        (vn(2026, 3, 5, 7, 30), "on_time"),  # on the due day, before the due time: đúng hạn
        (vn(2026, 3, 5, 9), "on_time"),  # exactly at the due time
        (vn(2026, 3, 5, 9, 1), "late"),  # one minute past: quá hạn
    ],
)
def test_verdict_of_a_finished_handoff(cal: WorkingCalendar, finished: object, expected: str) -> None:
    status = three_days(cal).stop(finished).status(vn(2026, 3, 20), cal)  # type: ignore[arg-type]
    assert status.verdict == expected
    assert status.stopped_at == finished
    assert status.breached is (expected == "late")


def test_overdue_running_clock_is_already_late(cal: WorkingCalendar) -> None:
    status = three_days(cal).status(vn(2026, 3, 5, 10), cal)
    assert status.breached
    assert status.verdict == "late"
    assert status.remaining == timedelta(hours=-1)


def test_pause_freezes_remaining_and_moves_due(cal: WorkingCalendar) -> None:
    clock = three_days(cal).pause(vn(2026, 3, 3, 9))  # 8 h used when the citizen is asked to supplement
    paused = clock.status(vn(2026, 3, 10, 9), cal)
    assert paused.paused
    assert paused.due is None
    assert paused.elapsed == timedelta(hours=8)
    assert paused.remaining == timedelta(hours=16)
    # Resumed Wednesday 4 March 09:00: 8 paused working hours push the due from Thu 5 to Fri 6 09:00.
    resumed = clock.resume(vn(2026, 3, 4, 9)).status(vn(2026, 3, 4, 10), cal)
    assert resumed.due == vn(2026, 3, 6, 9)
    assert resumed.paused_for == timedelta(hours=8)
    assert not resumed.paused


def test_transitions_are_idempotent_and_stop_closes_a_pause(cal: WorkingCalendar) -> None:
    clock = three_days(cal)
    assert clock.resume(vn(2026, 3, 3, 9)) == clock  # not paused
    paused = clock.pause(vn(2026, 3, 3, 9))
    assert paused.pause(vn(2026, 3, 3, 10)) == paused
    stopped = paused.stop(vn(2026, 3, 4, 9))
    assert stopped.current is not None
    assert stopped.current.pauses[-1][1] == vn(2026, 3, 4, 9)
    assert stopped.stop(vn(2026, 3, 5, 9)) == stopped
    assert not stopped.running
    assert not stopped.paused


def test_bounced_step_runs_several_cycles(cal: WorkingCalendar) -> None:
    # Tax returns the dossier on Wednesday (cycle 1, returned), the land registry re-sends it on
    # Friday 6 March 09:00: cycle 2 has the whole budget again, due Wednesday 11 March 09:00.
    clock = three_days(cal).stop(vn(2026, 3, 4, 10), outcome="returned").start(vn(2026, 3, 6, 9), ref="H-2")
    first, second = clock.statuses(vn(2026, 3, 9, 9), cal)
    assert first.outcome == "returned"
    assert first.verdict == "early"
    assert first.ref == "H-1"
    assert second.due == vn(2026, 3, 11, 9)
    assert second.stopped_at is None
    assert second.ref == "H-2"
    # Restarting a running clock stops its cycle as "restarted".
    again = clock.start(vn(2026, 3, 9, 9))
    assert again.cycles[1].outcome == "restarted"
    assert len(again.cycles) == 3


def test_dossier_clock_applies_the_intake_cutoff(cal: WorkingCalendar) -> None:
    clock = SlaClock(budget=cal.days(5)).start(vn(2026, 2, 13, 16, 30), apply_cutoff=True)
    status = clock.status(vn(2026, 2, 23, 8), cal)
    assert status.counted_from == vn(2026, 2, 23, 7)
    assert status.due == vn(2026, 2, 27, 17)
    assert status.elapsed == timedelta(hours=1)


def test_calendar_days_clock_for_a_public_listing(cal: WorkingCalendar) -> None:
    clock = SlaClock(budget=timedelta(days=15), basis="calendar").start(vn(2026, 3, 3, 8))
    assert clock.status(vn(2026, 3, 10, 8), cal).due == vn(2026, 3, 18, 8)
    assert clock.stop(vn(2026, 3, 18, 8)).status(vn(2026, 4, 1), cal).verdict == "on_time"
    paused = clock.pause(vn(2026, 3, 5, 8)).resume(vn(2026, 3, 6, 8))
    assert paused.status(vn(2026, 3, 10), cal).due == vn(2026, 3, 19, 8)


def test_uncounted_step_has_no_due(cal: WorkingCalendar) -> None:
    status = SlaClock(budget=None).start(vn(2026, 3, 3, 8)).status(vn(2026, 3, 20), cal)
    assert status.due is None
    assert status.remaining is None
    assert status.verdict is None
    assert not status.breached


def test_clock_state_round_trips_json_for_tables(cal: WorkingCalendar) -> None:
    clock = three_days(cal).pause(vn(2026, 3, 3, 9))
    assert SlaClock.model_validate_json(clock.model_dump_json()) == clock
    with pytest.raises(ValueError, match="never started"):
        SlaClock(budget=None).status(vn(2026, 3, 3), cal)


def test_verdict_compares_days_in_the_due_timezone() -> None:
    from datetime import UTC, datetime

    # 23:30 UTC on 4 March is 06:30 on 5 March in Vietnam: the due day, so on time.
    assert verdict(datetime(2026, 3, 4, 23, 30, tzinfo=UTC), vn(2026, 3, 5, 9)) == "on_time"
