"""Every time rule fires exactly once, at the right moment: across Tết, around pauses, across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.watchdog.store import index_bound

from .conftest import CAD, Harness, ev, opened, vn

CODE = "000.00.20.H41-260212-0001"


def first(h: Harness, rule: str, subject: str = "H1", level: int = 1) -> tuple[object, dict[str, object]]:
    hits = [(at, a) for at, a in h.fired(subject, rule) if a["level"] == level]
    assert len(hits) == 1, f"{rule} L{level} fired {len(hits)} times: {hits}"
    return hits[0]


def end_of(*day: int) -> datetime:
    """The last instant of a day: a budget in days ends then (its overdue alert fires at the next midnight)."""
    return vn(*day) + timedelta(days=1) - timedelta(microseconds=1)


def test_handoff_rules_across_tet_fire_once_at_their_instant() -> None:
    # Thursday 12 Feb 2026 08:00 received; 09:00 handed to the land registry (2 working days). The day of the
    # handoff is not counted; Tết 2026: Saturday 14 to Sunday 22 February are days off. Day 1 is Friday 13,
    # day 2 Monday 23 February: due at the end of Monday 23.
    h = Harness(vn(2026, 2, 12, 8))
    h.post(*opened(CODE, vn(2026, 2, 12, 8)))
    h.tick_until(vn(2026, 3, 4, 17), step=timedelta(minutes=5))

    at, alert = first(h, "unacknowledged")  # 4 office hours after 09:00: 11:30 (2.5 h) + 13:30..15:00
    assert (at, alert["at"]) == (vn(2026, 2, 12, 15), vn(2026, 2, 12, 15).isoformat())
    # min(1 day, 25 % of 2 days) = 4 h, rounded up to whole days for a budget in days: the last day (Monday 23)
    # is near, from the close of Friday 13, when one working day of the two is used
    at, alert = first(h, "due_soon")
    assert at == vn(2026, 2, 13, 17)
    assert alert["due"] == end_of(2026, 2, 23).isoformat()
    at, alert = first(h, "overdue")  # past the end of Monday 23: from midnight
    assert at == vn(2026, 2, 24)
    assert alert["audience"] == ["unit"]
    assert alert["responsible_agency"] == "land-registry"
    assert "đã quá hạn xử lý (hạn: hết ngày 23/02/2026)" in alert["reason_vi"]
    # + 2 working days: the budget's 2 days and 2 more end with Wednesday 25
    assert first(h, "overdue", level=2)[0] == vn(2026, 2, 26)
    at, alert = first(h, "overdue", level=3)  # + 5 working days: Fri 13, Mon 23 ... Mon 2 March is the 7th
    assert at == vn(2026, 3, 3)
    assert alert["audience"] == ["head", "office", "leadership"]
    assert first(h, "stalled")[0] == vn(2026, 2, 23, 9)  # 16 office hours without an event (hours: unchanged)


def test_nothing_fires_a_second_early() -> None:
    h = Harness(vn(2026, 2, 12, 8))
    h.post(*opened(CODE, vn(2026, 2, 12, 8)))
    h.clock.set(vn(2026, 2, 12, 14, 59, 59))
    h.tick()
    assert not h.fired("H1", "unacknowledged")
    h.clock.set(vn(2026, 2, 12, 15))
    h.tick()
    assert [a["rule"] for _, a in h.fired("H1")] == ["unacknowledged"]


def test_acceptance_and_activity_cancel_or_move_the_alerts() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))  # handed over Monday 09:00: due the end of Wednesday 4 March
    h.post(ev("handoff.accepted", "land-registry", vn(2026, 3, 2, 10), CODE, handoff_id="H1", officer="Trần Văn Bình"))
    h.tick_until(vn(2026, 3, 2, 17))
    assert not h.fired("H1", "unacknowledged")
    # Accepted at 10:00 on Monday: no news for 16 office hours -> Wednesday 10:00; but the land registry
    # answers on Tuesday at 15:00 (a verification): stalled moves to Thursday 15:00 (after the due).
    h.post(
        ev(
            "verification.posted",
            "land-registry",
            vn(2026, 3, 3, 15),
            CODE,
            handoff_id="H1",
            scope=["land_origin"],
            outcome="confirmed",
            findings="Đất sử dụng ổn định, không tranh chấp.",
        )
    )
    h.tick_until(vn(2026, 3, 6, 17))
    assert [at for at, _ in h.fired("H1", "stalled")] == [vn(2026, 3, 5, 15)]
    # overdue once Wednesday is over; level 2 (2 working days later) only after Friday 6, beyond this week
    assert [(at, a["level"]) for at, a in h.fired("H1", "overdue")] == [(vn(2026, 3, 5), 1)]


def test_completed_handoff_fires_nothing_more() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(ev("cadastral.sent", "land-registry", vn(2026, 3, 3, 9), CODE, handoff_id="H1", **CAD))
    h.tick_until(vn(2026, 3, 20, 17), step=timedelta(hours=1))
    assert [a["rule"] for _, a in h.fired("H1")] == ["unacknowledged"]  # only what held before it was done


def test_supplement_pause_moves_the_due_and_nothing_fires_while_paused() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))  # due Wednesday 4 March 09:00
    h.post(ev("handoff.accepted", "land-registry", vn(2026, 3, 2, 9, 30), CODE, handoff_id="H1"))
    h.post(
        ev(
            "supplement.requested",
            "land-registry",
            vn(2026, 3, 3, 9),
            CODE,
            handoff_id="H1",
            reasons=["Thiếu bản sao hợp đồng chuyển nhượng có công chứng."],
            items=["Hợp đồng chuyển nhượng (bản sao có chứng thực)"],
            legal_basis="Điều 37 Nghị định 101/2024/NĐ-CP",
        )
    )
    h.tick_until(vn(2026, 3, 10, 8), step=timedelta(minutes=30))  # a week of citizen time: nothing runs
    assert not h.fired("H1", "overdue")
    assert not h.fired("H1", "stalled")
    # The citizen brings the documents on Tuesday 10 March 09:00. The handoff day (Monday) is not counted:
    # 2 office hours were used before the pause (Tuesday 07:00 -> 09:00), 14 are left: Tuesday 10 09:00-17:00
    # (6 h) and Wednesday 11 (8 h): due at the end of Wednesday 11 March, overdue from midnight.
    h.post(
        ev(
            "supplement.received",
            "one-stop",  # the citizen brings them to the counter
            vn(2026, 3, 10, 9),
            CODE,
            items_received=["Hợp đồng chuyển nhượng (bản sao có chứng thực)"],
        )
    )
    h.tick_until(vn(2026, 3, 12, 17))
    (at, alert), *rest = h.fired("H1", "overdue")
    assert not rest
    assert at == vn(2026, 3, 12)
    assert alert["due"] == end_of(2026, 3, 11).isoformat()


def test_payment_pauses_the_dossier_clock() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    code = CODE
    h.post(*opened(code, vn(2026, 3, 2, 8)))
    h.post(ev("cadastral.sent", "land-registry", vn(2026, 3, 2, 10), code, handoff_id="H1", **CAD))
    tax = h.open_handoff(code, "tax")  # opened by the router itself on the land registry's behalf
    h.post(
        ev(
            "obligation.determined",
            "tax",
            vn(2026, 3, 2, 15),
            code,
            handoff_id=tax,
            notice_number="TB-1",
            amounts=[{"kind": "registration_fee", "amount_vnd": 500_000}],
            total_vnd=500_000,
            payment_deadline="2026-04-01",
        )
    )
    # The citizen takes three weeks to pay: no dossier alert in that time (its clock is paused).
    h.tick_until(vn(2026, 3, 23, 8), step=timedelta(hours=1))
    assert not h.fired(code)
    h.post(
        ev(
            "obligation.paid",
            "tax",
            vn(2026, 3, 23, 9),
            code,
            handoff_id=tax,
            notice_number="TB-1",
            amount_paid_vnd=500_000,
            paid_at=vn(2026, 3, 23, 8),
            receipt_ref="BL-1",
        )
    )
    state = h.engine.load(h.partition(code), code)
    assert state is not None
    status = state.dossier.clock.status(vn(2026, 3, 23, 9), h.ctx.calendar)
    # 8 working days from the day after Monday 2 March (the receipt day is not counted); the clock paused at
    # 15:00 that Monday, before its first counted day, until Monday 23 March 09:00: all 64 h are left from
    # then, running out Thursday 2 April 09:00 -> due at the end of Thursday 2 April.
    assert h.ctx.calendar.add(vn(2026, 3, 23, 9), timedelta(hours=64)) == vn(2026, 4, 2, 9)
    assert status.due == end_of(2026, 4, 2)


def test_restart_between_deadline_and_tick_neither_loses_nor_duplicates() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.tick_until(vn(2026, 3, 2, 14))
    assert not h.fired("H1", "unacknowledged")  # due at 13:30 + 1.5 h = 15:00
    h.restart()  # the worker stops...
    h.clock.set(vn(2026, 3, 5, 12))  # ...and is down past the deadlines (unacknowledged, due soon, overdue)
    h.tick()
    h.tick()
    raised = sorted(a["rule"] for _, a in h.fired("H1"))
    assert raised == ["overdue", "stalled", "unacknowledged"]  # due soon is moot once overdue: not raised
    assert all(at == vn(2026, 3, 5, 12) for at, _ in h.fired("H1"))
    h.restart()  # and again: nothing fires twice
    h.tick_until(vn(2026, 3, 5, 13))
    assert sorted(a["rule"] for _, a in h.fired("H1")) == raised


def test_a_worker_stopping_before_its_alert_is_acknowledged_sends_it_after_restart() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.sending = False  # the unacknowledged alert is decided at 15:00, the worker stops before Kafka has it
    h.tick_until(vn(2026, 3, 2, 15))
    assert not h.fired("H1")
    state = h.engine.load(h.partition(CODE), CODE)
    assert state is not None
    assert [p.topic for p in state.outbox] == ["alerts"]  # kept in the row that records it as raised
    h.restart()
    h.sending = True
    h.tick_until(vn(2026, 3, 2, 15, 10))
    [(at, alert)] = h.fired("H1")
    assert (alert["rule"], at) == ("unacknowledged", vn(2026, 3, 2, 15, 10))  # sent at the first tick after
    assert h.alert_ids == [state.outbox[0].id]  # the same id as decided: a reader that saw it drops it
    after = h.engine.load(h.partition(CODE), CODE)
    assert after is not None
    assert after.outbox == ()  # confirmed: never sent again
    h.restart()
    h.tick_until(vn(2026, 3, 2, 16))
    assert len(h.fired("H1", "unacknowledged")) == 1


def test_an_alert_in_flight_is_not_sent_twice_by_the_same_worker() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.clock.set(vn(2026, 3, 2, 15))
    p = h.partition(CODE)
    unsent, _ = h.engine.on_tick(p)  # decided, being sent (not yet acknowledged) ...
    assert len(unsent.alerts) == 1
    h.clock.set(vn(2026, 3, 2, 15, 5))
    h.tick()  # ... while the dossier is evaluated again: the record is in flight here, not left over
    assert h.alerts == []
    h.engine.release(unsent)  # the send failed: it goes again when the dossier next wakes
    h.tick_until(vn(2026, 3, 2, 15, 45))
    assert [a["rule"] for _, a in h.fired("H1")] == ["unacknowledged"]


def test_a_tick_reads_only_due_entries() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    for i in range(30):
        h.post(*opened(f"000.00.20.H41-260302-{i:04d}", vn(2026, 3, 2, 8)))
    index = h.tables["index"]
    before = len(index)
    now = vn(2026, 3, 2, 15)
    due = [k for p in range(6) for k, _ in index.scan(p, b"", index_bound(now), 10_000)]
    h.clock.set(now)  # the unacknowledged wake-ups (and the intake's, left behind when it completed) are due
    h.tick()
    assert h.engine.counters.woken == 30  # each dossier once, whatever its number of due entries
    assert len(h.fired(rule="unacknowledged")) == 30
    left = [k for p in range(6) for k, _ in index.scan(p, b"", b"~", 10_000)]
    assert not set(due) & set(left)  # read once, then deleted
    assert len(left) == before - len(due) + 30  # each dossier woken put its next wake-up
    assert sorted(k.split(b"|")[1] for k in left) == sorted(f"000.00.20.H41-260302-{i:04d}".encode() for i in range(30))
    assert all(k >= index_bound(now) for k in left)
