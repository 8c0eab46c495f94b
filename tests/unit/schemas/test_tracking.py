"""Folding a dossier's events into clocks: bounces, overlapping pauses, refusals, anomalies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from schemas import DossierState, Envelope, WorkflowRegistry, WorkingCalendar, apply, fold, new_event, slip

from .conftest import DOSSIER, LAND_TRANSFER, vn

CAD: dict[str, Any] = {
    "form_number": "PCTT-1",
    "taxpayer_name": "Nguyễn Thị Hồng",
    "taxpayer_id_number": "056190654321",
    "parcel": {"map_sheet": "12", "parcel_number": "215", "area_m2": 84.5, "land_use_code": "ODT"},
}


def ev(event_type: str, source: str, at: datetime, subject: str = DOSSIER, **data: Any) -> Envelope[Any]:
    return new_event(f"vn.lienthong.{event_type}", source=source, subject=subject, time=at, data=data)


def handoff(hid: str, step: str, src: str, dst: str, at: datetime, previous: str | None = None) -> Envelope[Any]:
    return ev(
        "handoff.requested",
        src,
        at,
        handoff_id=hid,
        step_id=step,
        from_agency=src,
        to_agency=dst,
        due=at + timedelta(days=7),
        procedure_code=LAND_TRANSFER,
        workflow_version=2,
        previous_handoff_id=previous,
    )


def opening() -> list[Envelope[Any]]:
    # Received Monday 2 March 2026 08:00; the one-stop hands over to the land registry at 08:30.
    received = vn(2026, 3, 2, 8)
    return [
        ev(
            "dossier.received",
            "one-stop",
            received,
            procedure_code=LAND_TRANSFER,
            workflow_version=2,
            receiving_unit="one-stop",
            channel="online",
            received_at=received,
            appointment_at=vn(2026, 3, 12, 8),
            applicant={"name": "Nguyễn Thị Hồng"},
        ),
        handoff("H1", "land-check", "one-stop", "land-registry", vn(2026, 3, 2, 8, 30)),
    ]


@pytest.fixture
def workflow_v2(workflows: WorkflowRegistry) -> Any:
    return workflows.get(LAND_TRANSFER, 2)


def test_bounced_handoff_runs_the_steps_again(workflow_v2: Any, cal: WorkingCalendar) -> None:
    events = [
        *opening(),
        ev("cadastral.sent", "land-registry", vn(2026, 3, 3, 10), handoff_id="H1", **CAD),
        handoff("H2", "tax-assess", "land-registry", "tax", vn(2026, 3, 3, 10), previous="H1"),
        # Tax bounces it back on Wednesday 09:00: the land check runs a second cycle (2 days: due Fri 09:00).
        ev(
            "handoff.returned",
            "tax",
            vn(2026, 3, 4, 9),
            handoff_id="H2",
            reason="Thiếu giá trị chuyển nhượng.",
            return_to_step="land-check",
        ),
        ev("cadastral.sent", "land-registry", vn(2026, 3, 5, 9), handoff_id="H1", **CAD),
        handoff("H3", "tax-assess", "land-registry", "tax", vn(2026, 3, 5, 9), previous="H1"),
        # Second tax cycle, 2.5 days = 20 h from Thu 09:00: Thu 6 h, Fri 8 h, Mon 07:00-11:30 and
        # 13:30-15:00 (6 h) -> due Monday 9 March 15:00; determined at 16:00: late.
        ev(
            "obligation.determined",
            "tax",
            vn(2026, 3, 9, 16),
            handoff_id="H3",
            notice_number="TB-1",
            amounts=[{"kind": "registration_fee", "amount_vnd": 500_000}],
            total_vnd=500_000,
            payment_deadline="2026-04-08",
        ),
    ]
    state = fold(events, workflow_v2, cal)
    now = vn(2026, 3, 10, 9)
    land = state.steps["land-check"].clock.statuses(now, cal)
    assert [s.outcome for s in land] == ["completed", "completed"]
    # 2 working days from a handoff on Wed 4 March (not counted): Thu 5, Fri 6 -> the end of Friday 6 March
    assert land[1].due == end_of(2026, 3, 6)
    assert land[1].verdict == "early"
    tax = state.steps["tax-assess"].clock.statuses(now, cal)
    assert [(s.ref, s.outcome) for s in tax] == [("H2", "returned"), ("H3", "completed")]
    assert tax[1].due == vn(2026, 3, 9, 15)
    assert tax[1].verdict == "late"
    # The citizen is now paying: the dossier clock is paused, the payment step runs uncounted.
    assert state.clock.paused
    assert state.steps["payment"].clock.running
    assert state.open_handoffs() == {"H3": "tax"}  # only tax may answer now
    rows = slip(state, workflow_v2, now, cal)
    returned = next(r for r in rows if r.outcome == "returned")
    assert (returned.from_agency, returned.to_agency, returned.note) == (
        "land-registry",
        "tax",
        "Thiếu giá trị chuyển nhượng.",
    )
    assert [r.step_id for r in rows] == ["intake", "land-check", "tax-assess", "land-check", "tax-assess", "payment"]
    assert state.anomalies == ()


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=vn(year, month, day).tzinfo)


def test_overlapping_pauses_resume_only_when_both_are_over(workflow_v2: Any, cal: WorkingCalendar) -> None:
    events = [
        *opening(),
        ev("dossier.suspended", "land-registry", vn(2026, 3, 3, 9), reason="Chờ ý kiến cơ quan quản lý xây dựng."),
        ev(
            "supplement.requested",
            "land-registry",
            vn(2026, 3, 3, 10),
            handoff_id="H1",
            reasons=["Thiếu bản vẽ."],
            items=["Bản vẽ hiện trạng"],
            legal_basis="Nghị định 101/2024/NĐ-CP",
        ),
        ev("dossier.resumed", "land-registry", vn(2026, 3, 4, 9), reason="Đã có ý kiến."),
    ]
    state = fold(events, workflow_v2, cal)
    assert state.clock.paused  # still waiting for the citizen's supplement
    assert state.steps["land-check"].clock.paused
    state = apply(
        state,
        ev("supplement.received", "one-stop", vn(2026, 3, 5, 9), handoff_id="H1", items_received=["Bản vẽ hiện trạng"]),
        workflow_v2,
        cal,
    )
    # Paused Tuesday 09:00 -> Thursday 09:00: 16 office hours. Received Monday 2 March 08:00 (not counted),
    # 8 working days end with Thursday 12 March; two paused days move the end to Monday 16 March.
    status = state.clock.status(vn(2026, 3, 5, 10), cal)
    assert not status.paused
    assert status.paused_for == timedelta(hours=16)
    assert status.due == cal.due_in_days(vn(2026, 3, 2, 8), 8, pauses=[(vn(2026, 3, 3, 9), vn(2026, 3, 5, 9))])
    assert status.due == end_of(2026, 3, 16)
    land = state.steps["land-check"].clock.status(vn(2026, 3, 5, 10), cal)
    assert land.paused_for == timedelta(hours=16)


def test_refusal_stops_every_clock_and_apology_is_recorded(workflow_v2: Any, cal: WorkingCalendar) -> None:
    events = [
        *opening(),
        ev(
            "apology.issued",
            "land-registry",
            vn(2026, 3, 3, 9),
            reason="Hệ thống gián đoạn.",
            responsible_agency="land-registry",
            new_appointment_at=vn(2026, 3, 20, 17),
            channel="sms",
        ),
        ev(
            "dossier.refused",
            "land-registry",
            vn(2026, 3, 4, 9),
            reason="Đất đang bị kê biên.",
            legal_basis="Điều 45 Luật Đất đai 2024",
        ),
        ev("dossier.closed", "one-stop", vn(2026, 3, 4, 10), outcome="refused"),
    ]
    state = fold(events, workflow_v2, cal)
    assert state.clock.status(vn(2026, 3, 5), cal).outcome == "refused"
    assert state.steps["land-check"].clock.status(vn(2026, 3, 5), cal).outcome == "refused"
    assert state.apologies == ((vn(2026, 3, 3, 9), vn(2026, 3, 20, 17), "land-registry"),)
    assert state.closed


def test_events_that_do_not_fit_are_kept_as_anomalies(workflow_v2: Any, cal: WorkingCalendar) -> None:
    state = fold(opening(), workflow_v2, cal)
    state = apply(state, ev("handoff.accepted", "tax", vn(2026, 3, 2, 9), handoff_id="H9"), workflow_v2, cal)
    state = apply(
        state, ev("handoff.accepted", "tax", vn(2026, 3, 2, 9), subject="X-1", handoff_id="H1"), workflow_v2, cal
    )
    state = apply(
        state, handoff("H4", "no-such-step", "land-registry", "tax", vn(2026, 3, 2, 10), "H1"), workflow_v2, cal
    )
    assert len(state.anomalies) == 3
    assert "unknown handoff H9" in state.anomalies[0]
    assert "X-1" in state.anomalies[1]
    assert "no step" in state.anomalies[2]


def test_state_round_trips_json_for_tables(workflow_v2: Any, cal: WorkingCalendar) -> None:
    state = fold(opening(), workflow_v2, cal)
    assert DossierState.model_validate_json(state.model_dump_json()) == state
    accepted = apply(
        state, ev("handoff.accepted", "land-registry", vn(2026, 3, 2, 9), handoff_id="H1"), workflow_v2, cal
    )
    assert accepted.handoffs["H1"].accepted_at == vn(2026, 3, 2, 9)


def test_open_handoffs_follow_the_route(workflow_v2: Any, cal: WorkingCalendar) -> None:
    state = fold(opening(), workflow_v2, cal)
    assert state.open_handoffs() == {"H1": "land-registry"}


def test_log_must_start_with_reception(workflow_v2: Any, cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="starts with DossierReceived"):
        fold(opening()[1:], workflow_v2, cal)
    with pytest.raises(ValueError, match="empty"):
        fold([], workflow_v2, cal)


def test_closing_a_dossier_leaves_no_handoff_open_as_the_ledger_says(workflow_v2: Any, cal: WorkingCalendar) -> None:
    """The router closes every open handoff when a dossier closes; the clocks agree (one truth for "open")."""
    events = [*opening(), ev("dossier.closed", "one-stop", vn(2026, 3, 3, 9), outcome="cancelled")]
    state = fold(events, workflow_v2, cal)
    assert state.closed
    assert state.open_handoffs() == {}
    land = state.steps["land-check"].clock
    assert not land.running
    assert land.current is not None
    assert land.current.outcome == "closed"
