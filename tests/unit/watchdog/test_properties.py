"""For any reception time (weekends, evenings, Tết) the overdue and unacknowledged alerts fire at the first
tick at or after the instant the SLA clock gives, never a tick earlier, and exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import default_calendar

from .conftest import TZ, Harness, opened

CODE = "000.00.20.H41-260101-0001"
instants = st.datetimes(
    min_value=datetime(2025, 12, 1),  # noqa: DTZ001 - made aware below
    max_value=datetime(2027, 3, 1),  # noqa: DTZ001
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=TZ))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(at=instants)
def test_overdue_and_unacknowledged_fire_exactly_at_their_instant(at: datetime) -> None:
    cal = default_calendar()
    h = Harness(at)
    h.post(*opened(CODE, at))  # the handoff is requested an hour after reception
    requested = at + timedelta(hours=1)
    state = h.engine.load(h.partition(CODE), CODE)
    assert state is not None
    due = state.dossier.steps["land-check"].clock.status(requested, cal).due
    assert due is not None
    # the step's 2 working days, counted as days: the end of the 2nd working day after the handoff's day
    assert due == cal.due_in_days(requested, 2, cutoff=False)
    assert (due.hour, due.minute, due.second, due.microsecond) == (23, 59, 59, 999999)
    overdue = due + timedelta(microseconds=1)  # overdue from the first instant after its day
    unacknowledged = cal.add(cal.next_office_instant(requested), timedelta(hours=4))
    assert unacknowledged is not None
    for instant, rule in sorted([(unacknowledged, "unacknowledged"), (overdue, "overdue")]):
        h.clock.set(max(h.clock.now(), instant - timedelta(seconds=1)))
        h.tick()
        assert not [a for _, a in h.fired("H1", rule) if a["level"] == 1], f"{rule} before {instant}"
        h.clock.set(instant)
        h.tick()
        h.tick()
        hits = [a for _, a in h.fired("H1", rule) if a["level"] == 1]
        assert len(hits) == 1, f"{rule} at {instant}: {hits}"
        assert hits[0]["at"] == instant.isoformat()
