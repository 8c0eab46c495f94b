"""Workflows as versioned data: loading, validation, versions in force, and a walk through each."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from schemas import WorkflowError, WorkflowRegistry, WorkingCalendar, load_workflows, plan_dossier, slip
from schemas.workflows import WORKFLOWS_DIR

from .conftest import (
    BIRTH_GROUP,
    CONSTRUCTION_PERMIT,
    FIRST_CERTIFICATE,
    HOUSEHOLD_BUSINESS,
    INHERITANCE_GIFT,
    JOINT_PROVINCIAL,
    LAND_TRANSFER,
    LAND_USE_CHANGE,
    MORTGAGE,
    MORTGAGE_DELETION,
    vn,
)
from .walker import POLICE, WARD, Walk


def test_the_workflows_load(workflows: WorkflowRegistry) -> None:
    assert set(workflows.procedure_codes) == {
        LAND_TRANSFER,
        FIRST_CERTIFICATE,
        JOINT_PROVINCIAL,
        MORTGAGE,
        HOUSEHOLD_BUSINESS,
        MORTGAGE_DELETION,
        LAND_USE_CHANGE,
        INHERITANCE_GIFT,
        CONSTRUCTION_PERMIT,
        BIRTH_GROUP,
    }
    assert len(workflows) == 11  # land transfer has two versions
    transfer = workflows.get(LAND_TRANSFER, 2)
    assert [s.id for s in transfer.steps] == ["intake", "land-check", "tax-assess", "payment", "register", "return"]
    assert [transfer.step(s).agency for s in ("intake", "land-check", "tax-assess", "register")] == [
        "one-stop",
        "land-registry",
        "tax",
        "land-registry",
    ]
    assert transfer.key == f"{LAND_TRANSFER}@2"
    certificate = workflows.get(FIRST_CERTIFICATE, 1)
    assert {s.id for s in certificate.successors("land-check")} == {"ward-verify", "survey"}  # parallel
    assert certificate.step("review").after == ("listing", "survey")  # join
    listing = certificate.step("listing").budget
    assert listing is not None
    assert listing.calendar_days == 15
    joint = workflows.get(JOINT_PROVINCIAL, 1)
    assert {s.agency for s in joint.successors("office-forward")} == {"city-dept-tnmt", "one-stop"}
    assert joint.step("dept-decide").agency == "dept-tnmt"


def test_a_dossier_keeps_the_version_in_force_when_received(workflows: WorkflowRegistry) -> None:
    assert workflows.in_force(LAND_TRANSFER, vn(2024, 7, 31, 23, 59)).version == 1
    assert workflows.in_force(LAND_TRANSFER, vn(2024, 8, 1)).version == 2
    assert workflows.in_force(LAND_TRANSFER, vn(2026, 2, 13, 16, 30)).version == 2
    with pytest.raises(WorkflowError, match="no version"):
        workflows.in_force(LAND_TRANSFER, vn(2020, 1, 1))
    with pytest.raises(WorkflowError, match="no workflow"):
        workflows.in_force("9.999999", vn(2026, 1, 5))
    with pytest.raises(WorkflowError, match="no workflow"):
        workflows.get(LAND_TRANSFER, 7)


@pytest.mark.parametrize("code", [LAND_TRANSFER, FIRST_CERTIFICATE, JOINT_PROVINCIAL])
def test_steps_fit_in_the_appointment_budget(workflows: WorkflowRegistry, cal: WorkingCalendar, code: str) -> None:
    for workflow in workflows:
        plan = plan_dossier(workflow, vn(2026, 2, 13, 16, 30), cal)
        assert plan.fits, workflow.key
        # received Fri 13 Feb 16:30 (after the cut-off, then Tết): counts as received Mon 23 Feb, which is not
        # counted: the appointment's days run from Tue 24 Feb; an appointment in hours runs from Mon 23 07:00
        days = workflow.appointment_budget.whole_days is not None
        assert plan.counted_from == (vn(2026, 2, 24, 7) if days else vn(2026, 2, 23, 7)), workflow.key


def end_of(year: int, month: int, day: int) -> datetime:
    """The last instant of a day: a period counted in days ends then."""
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=vn(year, month, day).tzinfo)


def test_land_transfer_plan_counted_by_hand(workflows: WorkflowRegistry, cal: WorkingCalendar) -> None:
    # Received Friday 13 Feb 2026 16:30: after the cut-off, and Tết follows, so it counts as received Monday
    # 23 Feb (the first working day after), a day that is itself not counted.
    plan = plan_dossier(workflows.get(LAND_TRANSFER, 2), vn(2026, 2, 13, 16, 30), cal)
    # intake 0.5 day = 4 h (a fraction of a day runs from the instant): Mon 23 07:00 -> 11:00.
    assert plan.step("intake").due == vn(2026, 2, 23, 11)
    # land-check 2 working days from a handoff on Mon 23: Tue 24 (1), Wed 25 (2) -> the end of Wed 25 Feb.
    assert plan.step("land-check").due == end_of(2026, 2, 25)
    # tax 2.5 days = 20 h from the end of Wed 25: Thu 26 (8 h), Fri 27 (8 h), Mon 2 Mar 07:00 + 4 h -> 11:00.
    assert plan.step("tax-assess").due == vn(2026, 3, 2, 11)
    # payment is the citizen's time (planned as none); register 2.5 days = 20 h from Mon 2 Mar 11:00:
    # Mon 11:00-11:30 and 13:30-17:00 (4 h), Tue 3 (8 h), Wed 4 (8 h) -> Wed 4 March 17:00.
    assert plan.step("register").due == vn(2026, 3, 4, 17)
    # Appointment, 8 working days after Mon 23 Feb: Tue 24, Wed 25, Thu 26, Fri 27, Mon 2, Tue 3, Wed 4,
    # Thu 5 March -> the end of Thursday 5 March (the old count, 8 x 8 h from Mon 07:00, said Wed 4: a day early).
    assert plan.appointment_at == end_of(2026, 3, 5)


def test_mortgage_and_household_business_plans_counted_by_hand(
    workflows: WorkflowRegistry, cal: WorkingCalendar
) -> None:
    # A mortgage received Monday 2 March 2026 09:30: budgets in office hours run from the instant. Intake
    # 1 h -> 10:30; registration 6 h: 10:30-11:30 (1 h), 13:30-17:00 (3.5 h), Tue 07:00-08:30 (1.5 h) ->
    # Tuesday 08:30; the appointment, 8 h from 09:30: 2 + 3.5 + 2.5 -> Tuesday 09:30.
    plan = plan_dossier(workflows.get(MORTGAGE, 1), vn(2026, 3, 2, 9, 30), cal)
    assert plan.step("intake").due == vn(2026, 3, 2, 10, 30)
    assert plan.step("register").due == vn(2026, 3, 3, 8, 30)
    assert plan.appointment_at == vn(2026, 3, 3, 9, 30)
    assert plan.fits
    # A household business received Thursday 30 April 2026 08:00, a day off (Reunification Day, then Labour
    # Day): counts as received Monday 4 May, not counted; 3 working days: Tue 5, Wed 6, Thu 7 -> the end of
    # Thursday 7 May. Intake half a day from Mon 07:00 -> 11:00; registration 2 days from the handoff on
    # Monday 4 May 11:00: the end of Wednesday 6 May.
    plan = plan_dossier(workflows.get(HOUSEHOLD_BUSINESS, 1), vn(2026, 4, 30, 8), cal)
    assert plan.step("intake").due == vn(2026, 5, 4, 11)
    assert plan.step("register").due == end_of(2026, 5, 6)
    assert plan.appointment_at == end_of(2026, 5, 7)


@pytest.mark.parametrize(
    ("code", "version"),
    [
        (LAND_TRANSFER, 1),
        (LAND_TRANSFER, 2),
        (FIRST_CERTIFICATE, 1),
        (JOINT_PROVINCIAL, 1),
        (MORTGAGE, 1),
        (HOUSEHOLD_BUSINESS, 1),
        (MORTGAGE_DELETION, 1),
        (LAND_USE_CHANGE, 1),
        (INHERITANCE_GIFT, 1),
        (CONSTRUCTION_PERMIT, 1),
        (BIRTH_GROUP, 1),
    ],
)
def test_walk_from_intake_to_result(workflows: WorkflowRegistry, cal: WorkingCalendar, code: str, version: int) -> None:
    workflow = workflows.get(code, version)
    received = vn(2026, 2, 13, 16, 30)
    plan = plan_dossier(workflow, received, cal)
    walk = Walk(workflow, cal)
    state = walk.run(received, plan.appointment_at)
    end = walk.events[-1].time
    # Every step ran once, finished exactly on its due time, the due the plan computed.
    assert set(state.steps) == {s.id for s in workflow.steps}
    for step in workflow.steps:
        status = state.steps[step.id].clock.status(end, cal)
        planned = plan.step(step.id)
        assert state.steps[step.id].clock.cycles[0].started_at == planned.start, step.id
        assert state.steps[step.id].completed, step.id
        if step.budget is not None:
            assert status.due == planned.due, step.id
            assert status.verdict == "on_time", step.id
    # The dossier clock stopped when the result was ready, on or before the appointment.
    dossier = state.clock.status(end, cal)
    assert dossier.stopped_at == plan.result_due
    assert dossier.due == plan.appointment_at
    assert dossier.verdict in {"early", "on_time"}
    assert state.anomalies == ()
    rows = slip(state, workflow, end, cal)
    assert len(rows) == len(workflow.steps)
    assert all(r.verdict == "on_time" for r in rows if workflow.step(r.step_id).budget is not None)
    if code == FIRST_CERTIFICATE:
        assert state.steps["ward-verify"].agency == WARD
        assert {r.step_id for r in rows if r.to_agency == WARD} >= {"ward-verify", "listing"}
    if code == BIRTH_GROUP:
        assert state.steps["birth"].agency == WARD
        assert state.steps["residence"].agency == POLICE
        assert {r.to_agency for r in rows if r.step_id in {"residence-result", "card-result"}} == {"one-stop"}


def test_citizen_payment_time_moves_the_appointment_not_the_verdict(
    workflows: WorkflowRegistry, cal: WorkingCalendar
) -> None:
    workflow = workflows.get(LAND_TRANSFER, 2)
    received = vn(2026, 2, 13, 16, 30)
    plan = plan_dossier(workflow, received, cal)
    # The citizen takes 3 calendar days to pay: tax determined the obligation Monday 2 March 11:00, paid
    # Thursday 5 March 11:00 -> the dossier clock paused Mon 11:00-17:00 (4 h), Tue and Wed (16 h), Thu
    # 07:00-11:00 (4 h): 24 office hours, three working days.
    state = Walk(workflow, cal, payment_takes=timedelta(days=3)).run(received, plan.appointment_at)
    dossier = state.clock.status(vn(2026, 4, 1), cal)
    assert dossier.paused_for == timedelta(hours=24)
    # The appointment's last day moves three working days on: Thu 5 -> Fri 6, Mon 9, Tue 10 March.
    assert dossier.due == end_of(2026, 3, 10)
    assert dossier.verdict in {"early", "on_time"}
    assert state.steps["payment"].clock.status(vn(2026, 4, 1), cal).verdict is None


def _write(tmp_path: Path, name: str, change: dict[str, object]) -> Path:
    data = yaml.safe_load((WORKFLOWS_DIR / "land-transfer.v2.yaml").read_text(encoding="utf-8"))
    data.update(change)
    (tmp_path / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _steps(**edits: dict[str, object]) -> list[dict[str, object]]:
    data = yaml.safe_load((WORKFLOWS_DIR / "land-transfer.v2.yaml").read_text(encoding="utf-8"))
    steps: list[dict[str, object]] = data["steps"]
    for step in steps:
        step.update(edits.get(str(step["id"]), {}))
    return steps


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": _steps(register={"agency": "ward-atlantis"})}, "unknown agency"),
        ({"steps": _steps(register={"completed_by": ["vn.lienthong.result.teleported"]})}, "unknown event types"),
        ({"steps": _steps(intake={"after": ["return"]})}, "first step|listed before"),
        ({"steps": _steps(register={"after": ["nowhere"]})}, "listed before"),
        ({"steps": _steps(register={"budget": {"working_days": 1, "working_hours": 2}})}, "exactly one"),
        ({"steps": _steps(register={"budget": {"working_days": -1}})}, "greater than 0"),
        ({"steps": _steps(tax_assess={})} | {"steps": _steps(register={"may_return_to": ["return"]})}, "earlier steps"),
        ({"steps": _steps(payment={"completed_by": ["vn.lienthong.result.ready"]})}, "resume it"),
        ({"steps": _steps(register={"agency": "tax", "agency_kind": "ward"})}, "exactly one of agency"),
        ({"dossier_clock": {"pause_on": ["vn.lienthong.dossier.suspended"]}}, "same length"),
        ({"appointment_budget": {"calendar_days": 10}}, "working time"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_invalid_workflows_are_rejected(tmp_path: Path, change: dict[str, object], message: str) -> None:
    with pytest.raises(WorkflowError, match=message):
        load_workflows(_write(tmp_path, "w.yaml", change))


def test_versions_must_be_unique_and_take_effect_in_order(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", {})
    _write(tmp_path, "b.yaml", {})
    with pytest.raises(WorkflowError, match="twice"):
        load_workflows(tmp_path)
    _write(tmp_path, "b.yaml", {"version": 3, "valid_from": vn(2024, 1, 1)})
    with pytest.raises(WorkflowError, match="take effect after"):
        load_workflows(tmp_path)
