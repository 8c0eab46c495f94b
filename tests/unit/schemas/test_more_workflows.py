"""Five more procedures as workflows: what they load as, their plans counted by hand, and a walk through each.

Mortgage deletion (office hours), change of land-use purpose (15 working days, the land use fee), registration of
an inheritance or gift (8 working days), a private house's construction permit (15 working days) and the
interlinked birth - residence - health insurance group for a child under 6 (3 working days, two branches).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from schemas import WorkflowRegistry, WorkingCalendar, plan_dossier
from schemas.workflows import WORKFLOWS_DIR

from .conftest import (
    BIRTH_GROUP,
    CONSTRUCTION_PERMIT,
    INHERITANCE_GIFT,
    LAND_USE_CHANGE,
    MORTGAGE_DELETION,
    vn,
)
from .walker import POLICE, WARD, Walk

NEW = {
    MORTGAGE_DELETION: "mortgage-deregistration.v1.yaml",
    LAND_USE_CHANGE: "land-use-change.v1.yaml",
    INHERITANCE_GIFT: "land-inheritance-gift.v1.yaml",
    CONSTRUCTION_PERMIT: "construction-permit-house.v1.yaml",
    BIRTH_GROUP: "birth-residence-insurance.v1.yaml",
}


def end_of(year: int, month: int, day: int) -> datetime:
    """The last instant of a day: a period counted in days ends then."""
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=vn(year, month, day).tzinfo)


def test_the_new_workflows_load_with_their_routes(workflows: WorkflowRegistry) -> None:
    assert set(NEW) <= set(workflows.procedure_codes)
    routes = {
        code: [(s.id, s.agency or s.agency_kind) for s in workflows.get(code, 1).steps]
        for code in (MORTGAGE_DELETION, LAND_USE_CHANGE, CONSTRUCTION_PERMIT)
    }
    assert routes[MORTGAGE_DELETION] == [
        ("intake", "one-stop"),
        ("deregister", "land-registry"),
        ("return", "one-stop"),
    ]
    assert routes[LAND_USE_CHANGE] == [
        ("intake", "one-stop"),
        ("land-review", "city-dept-tnmt"),
        ("land-check", "land-registry"),
        ("tax-assess", "tax"),
        ("payment", "tax"),
        ("decide", "office"),
        ("register", "land-registry"),
        ("return", "one-stop"),
    ]
    assert routes[CONSTRUCTION_PERMIT] == [
        ("intake", "one-stop"),
        ("appraise", "city-dept-qldt"),
        ("sign", "office"),
        ("return", "one-stop"),
    ]
    gift = workflows.get(INHERITANCE_GIFT, 1)
    assert gift.step("tax-assess").completed_by == ("vn.lienthong.obligation.determined",)
    assert gift.step("payment").pauses_dossier_clock
    birth = workflows.get(BIRTH_GROUP, 1)
    assert {s.id for s in birth.successors("birth")} == {"residence", "insurance"}  # parallel
    assert birth.step("result").after == ("residence-result", "card-result")  # join
    assert birth.step("birth").agency_kind == "ward"
    residence = birth.step("residence")
    assert residence.accepts_agency(POLICE)
    assert residence.accepts_agency("police-vinh-phuoc")
    assert not residence.accepts_agency(WARD)
    assert birth.step("insurance").agency == "social-insurance"


@pytest.mark.parametrize("code", list(NEW))
def test_unverified_figures_are_marked(workflows: WorkflowRegistry, code: str) -> None:
    """Every budget line says "verify" in its comment; every suspension ground has a duration and says what is
    to be checked ("cần kiểm tra"); the dossier's documents are listed."""
    text = (WORKFLOWS_DIR / NEW[code]).read_text(encoding="utf-8")
    budgets = [line for line in text.splitlines() if re.match(r"\s*(appointment_budget|budget): \{", line)]
    assert budgets
    for line in budgets:
        assert "verify" in line.partition("#")[2], line
    workflow = workflows.get(code, 1)
    assert workflow.suspension.grounds
    for ground in workflow.suspension.grounds:
        assert ground.max_working_days >= 1
        assert "cần kiểm tra" in ground.legal_basis, ground.code
    assert workflow.documents
    assert workflow.legal_basis


def test_mortgage_deletion_plan_counted_by_hand(workflows: WorkflowRegistry, cal: WorkingCalendar) -> None:
    workflow = workflows.get(MORTGAGE_DELETION, 1)
    # Received Thursday 31 December 2026 16:30: after the 16:00 cut-off, Friday 1 January 2027 is New Year's Day,
    # then the weekend: budgets in office hours run from Monday 4 January 07:00. Intake 1 h -> 08:00; deletion
    # 6 h: 08:00-11:30 (3.5 h), 13:30-16:00 (2.5 h) -> Monday 16:00; the appointment, 8 h from Monday 07:00:
    # 07:00-11:30 (4.5 h), 13:30-17:00 (3.5 h) -> Monday 4 January 17:00.
    plan = plan_dossier(workflow, vn(2026, 12, 31, 16, 30), cal)
    assert plan.counted_from == vn(2027, 1, 4, 7)
    assert plan.step("intake").due == vn(2027, 1, 4, 8)
    assert plan.step("deregister").due == vn(2027, 1, 4, 16)
    assert plan.appointment_at == vn(2027, 1, 4, 17)
    assert plan.fits
    # The same request at 14:30, before the cut-off, runs from the instant: intake -> 15:30; deletion 6 h:
    # Thursday 15:30-17:00 (1.5 h), then (New Year, weekend) Monday 07:00-11:30 (4.5 h) -> Monday 11:30; the
    # appointment, 8 h: Thursday 14:30-17:00 (2.5 h), Monday 07:00-11:30 (4.5 h), 13:30-14:30 (1 h) -> 14:30.
    plan = plan_dossier(workflow, vn(2026, 12, 31, 14, 30), cal)
    assert plan.step("intake").due == vn(2026, 12, 31, 15, 30)
    assert plan.step("deregister").due == vn(2027, 1, 4, 11, 30)
    assert plan.appointment_at == vn(2027, 1, 4, 14, 30)
    assert plan.fits


def test_land_use_change_plan_counted_by_hand(workflows: WorkflowRegistry, cal: WorkingCalendar) -> None:
    # Received Wednesday 3 February 2027 10:00, the last working day before Tết (Thursday 4 to Wednesday 10
    # February off): the day of receipt is not counted, the days run from Thursday 11 February.
    plan = plan_dossier(workflows.get(LAND_USE_CHANGE, 1), vn(2027, 2, 3, 10), cal)
    assert plan.counted_from == vn(2027, 2, 11, 7)
    # intake, half a day = 4 h from the instant: 10:00-11:30 (1.5 h), 13:30-16:00 (2.5 h) -> Wednesday 16:00.
    assert plan.step("intake").due == vn(2027, 2, 3, 16)
    # land-review, 4 working days from a handoff on Wednesday 3 (not counted): Thu 11 (1), Fri 12 (2), Mon 15 (3),
    # Tue 16 (4) -> the end of Tuesday 16 February.
    assert plan.step("land-review").due == end_of(2027, 2, 16)
    # land-check 2: Wed 17, Thu 18 -> the end of Thursday 18; tax-assess 3: Fri 19, Mon 22, Tue 23 -> the end of
    # Tuesday 23 February.
    assert plan.step("land-check").due == end_of(2027, 2, 18)
    assert plan.step("tax-assess").due == end_of(2027, 2, 23)
    # payment is the citizen's time (planned as none, the dossier clock paused); decide 3: Wed 24, Thu 25, Fri 26
    # -> the end of Friday 26 February; register 2: Mon 1, Tue 2 March -> the end of Tuesday 2 March.
    assert plan.step("payment").due == end_of(2027, 2, 23)
    assert plan.step("decide").due == end_of(2027, 2, 26)
    assert plan.step("register").due == end_of(2027, 3, 2)
    # Appointment, 15 working days: Thu 11, Fri 12 (2), Mon 15 - Fri 19 (7), Mon 22 - Fri 26 (12), Mon 1 (13),
    # Tue 2 (14), Wed 3 March (15) -> the end of Wednesday 3 March.
    assert plan.appointment_at == end_of(2027, 3, 3)
    assert plan.result_due == end_of(2027, 3, 2)


def test_land_use_fee_payment_time_moves_the_appointment(workflows: WorkflowRegistry, cal: WorkingCalendar) -> None:
    workflow = workflows.get(LAND_USE_CHANGE, 1)
    received = vn(2027, 2, 3, 10)
    plan = plan_dossier(workflow, received, cal)
    # Tax posts the notice at the end of Tuesday 23 February and the citizen pays 3 calendar days later, at the end
    # of Friday 26: the dossier clock is paused Wed 24, Thu 25, Fri 26 (24 office hours, three working days), so
    # the appointment's last day moves from Wed 3 March to Thu 4, Fri 5, Mon 8 March. The office decides Mon 1,
    # Tue 2, Wed 3; the land registry Thu 4, Fri 5: the result, at the end of Friday 5 March, is early.
    state = Walk(workflow, cal, payment_takes=timedelta(days=3)).run(received, plan.appointment_at)
    dossier = state.clock.status(vn(2027, 4, 1), cal)
    assert dossier.paused_for == timedelta(hours=24)
    assert dossier.due == end_of(2027, 3, 8)
    assert dossier.stopped_at == end_of(2027, 3, 5)
    assert dossier.verdict == "early"


def test_inheritance_or_gift_plan_counted_by_hand(workflows: WorkflowRegistry, cal: WorkingCalendar) -> None:
    # Filed online on Saturday 24 April 2027 09:00: a day off, so it counts as received Monday 26 April, a day
    # itself not counted. intake, 4 h from Monday 07:00 -> 11:00.
    plan = plan_dossier(workflows.get(INHERITANCE_GIFT, 1), vn(2027, 4, 24, 9), cal)
    assert plan.counted_from == vn(2027, 4, 27, 7)
    assert plan.step("intake").due == vn(2027, 4, 26, 11)
    # land-check 2: Tue 27, Wed 28 -> the end of Wednesday 28 April.
    assert plan.step("land-check").due == end_of(2027, 4, 28)
    # tax-assess 3: Thu 29 (1); Friday 30 April (Reunification Day), Saturday 1 May (Labour Day), Sunday 2 and
    # Monday 3 May (the day off in lieu of Saturday's holiday) are not working days; Tue 4 (2), Wed 5 (3) -> the
    # end of Wednesday 5 May. Payment planned as none; register 2: Thu 6, Fri 7 -> the end of Friday 7 May.
    assert plan.step("tax-assess").due == end_of(2027, 5, 5)
    assert plan.step("register").due == end_of(2027, 5, 7)
    # Appointment, 8 working days: Tue 27, Wed 28, Thu 29 April, Tue 4, Wed 5, Thu 6, Fri 7, Mon 10 May -> the end
    # of Monday 10 May.
    assert plan.appointment_at == end_of(2027, 5, 10)
    assert plan.fits


def test_construction_permit_plan_counted_by_hand(workflows: WorkflowRegistry, cal: WorkingCalendar) -> None:
    # Received Thursday 15 April 2027 16:05: after the cut-off, and Friday 16 April is the Hùng Kings'
    # Commemoration Day: it counts as received Monday 19 April, not counted. intake 4 h: Monday 07:00 -> 11:00.
    plan = plan_dossier(workflows.get(CONSTRUCTION_PERMIT, 1), vn(2027, 4, 15, 16, 5), cal)
    assert plan.counted_from == vn(2027, 4, 20, 7)
    assert plan.step("intake").due == vn(2027, 4, 19, 11)
    # appraise 10: Tue 20 (1), Wed 21, Thu 22, Fri 23 (4), Mon 26, Tue 27, Wed 28, Thu 29 (8); Fri 30 April to
    # Mon 3 May are days off; Tue 4 (9), Wed 5 May (10) -> the end of Wednesday 5 May.
    assert plan.step("appraise").due == end_of(2027, 5, 5)
    # sign 4: Thu 6, Fri 7, Mon 10, Tue 11 -> the end of Tuesday 11 May.
    assert plan.step("sign").due == end_of(2027, 5, 11)
    # Appointment, 15 working days: the 10 above, then Thu 6 (11), Fri 7 (12), Mon 10 (13), Tue 11 (14), Wed 12
    # May (15) -> the end of Wednesday 12 May 2027.
    assert plan.appointment_at == end_of(2027, 5, 12)
    assert plan.fits


def test_birth_group_plan_counted_by_hand(workflows: WorkflowRegistry, cal: WorkingCalendar) -> None:
    workflow = workflows.get(BIRTH_GROUP, 1)
    # Filed on VNeID on Saturday 30 January 2027 20:00: the office hours run from Monday 1 February 07:00. Intake
    # 1 h -> 08:00; the birth 6 h: 08:00-11:30 (3.5 h), 13:30-16:00 (2.5 h) -> Monday 16:00.
    plan = plan_dossier(workflow, vn(2027, 1, 30, 20), cal)
    assert plan.step("intake").due == vn(2027, 2, 1, 8)
    assert plan.step("birth").due == vn(2027, 2, 1, 16)
    # Residence (ward police) and the card (social insurance) in parallel, 2 working days from Monday 1 February:
    # Tue 2, Wed 3 -> the end of Wednesday 3 February; the one-stop then has all three results (not budgeted).
    assert plan.step("residence").due == plan.step("insurance").due == end_of(2027, 2, 3)
    assert plan.step("result").start == end_of(2027, 2, 3)
    # Appointment, 3 working days after Monday 1 February (the receipt day): Tue 2, Wed 3, then Tết (Thursday 4 to
    # Wednesday 10 February off), Thu 11 -> the end of Thursday 11 February.
    assert plan.counted_from == vn(2027, 2, 2, 7)
    assert plan.appointment_at == end_of(2027, 2, 11)
    assert plan.result_due == end_of(2027, 2, 3)
    # Received Wednesday 3 February 15:30, before this calendar's 16:00 cut-off (the decree's 15:00 would move
    # it to the next working day): intake -> 16:30; the birth 6 h: 16:30-17:00 (0.5 h), Tết, then Thursday 11
    # February 07:00-11:30 (4.5 h), 13:30-14:30 (1 h) -> Thursday 14:30; residence and card 2 days: Fri 12, Mon 15
    # -> the end of Monday 15 February. Appointment: Thu 11, Fri 12, Mon 15 -> the end of Monday 15 February:
    # the result is due on the appointment's last day, the tightest case.
    plan = plan_dossier(workflow, vn(2027, 2, 3, 15, 30), cal)
    assert plan.step("intake").due == vn(2027, 2, 3, 16, 30)
    assert plan.step("birth").due == vn(2027, 2, 11, 14, 30)
    assert plan.step("residence").due == end_of(2027, 2, 15)
    assert plan.result_due == plan.appointment_at == end_of(2027, 2, 15)
    assert plan.fits
