"""The overdue list as an agency sees it: the dossiers it delayed, its own causes and its own stated reasons."""

from __future__ import annotations

from datetime import datetime

from schemas.events import TZ
from services.monitor.exports import cause_text
from services.monitor.i18n import Texts
from services.monitor.lists import OverdueRow, select_overdue
from services.monitor.timeline import StatedReason
from services.watchdog.report import Cause

DUE = datetime(2026, 11, 20, 17, 0, tzinfo=TZ)


def cause(agency: str, step: str, hours: float) -> Cause:
    return Cause(
        handoff_id=f"h-{step}",
        step_id=step,
        step_name_vi=step,
        agency=agency,
        cycle=1,
        due=DUE,
        finished_at=None,
        late_hours=hours,
    )


# one dossier late twice over: the land registry overran its check, the tax office its determination;
# each stated a reason, and the one-stop-shop apologised naming the land registry
ROW = OverdueRow(
    dossier_code="000.00.01.H38-261101-0001",
    procedure_code="1.000948.H38",
    received_at=datetime(2026, 11, 2, 8, 0, tzinfo=TZ),
    due=DUE,
    finished_at=None,
    late_hours=24.0,
    responsible_agency="land-registry",
    causes=(cause("land-registry", "check", 16.0), cause("tax", "determine", 8.0)),
    unattributed_hours=0.0,
    apology_issued=True,
    reasons=(
        StatedReason("land-registry", "returned", "Thiếu bản vẽ thửa đất"),
        StatedReason("tax", "suspended", "Chờ xác định giá đất"),
        StatedReason("land-registry", "issued", "Chậm đo đạc"),
    ),
    month="2026-11",
)


def test_the_office_sees_every_cause_and_reason() -> None:
    [row] = select_overdue([ROW], scope=None)
    assert row == ROW


def test_an_agency_sees_only_its_own_causes_and_reasons() -> None:
    [row] = select_overdue([ROW], scope="tax")
    assert [c.agency for c in row.causes] == ["tax"]
    assert row.responsible_agency == "tax"
    assert row.reasons == (StatedReason("tax", "suspended", "Chờ xác định giá đất"),)


def test_an_agency_that_delayed_nothing_sees_nothing() -> None:
    assert select_overdue([ROW], scope="ward-phuoc-hai") == []


def test_the_offices_agency_filter_narrows_causes_but_keeps_the_whole_story() -> None:
    [row] = select_overdue([ROW], scope=None, agency="tax")
    assert [c.agency for c in row.causes] == ["tax"]
    assert row.reasons == ROW.reasons


def test_each_cause_names_the_unit_and_the_officer_who_held_it() -> None:
    held = cause("land-registry", "land-check", 16.0).model_copy(update={"officer": "Trần Văn Bình"})
    text = cause_text(held, "1.004227.000.00.00.H42", Texts("vi"))
    assert "Chi nhánh Văn phòng Đăng ký đất đai Nha Trang (Trần Văn Bình): +2 ngày" in text  # 16 working hours
    nobody = cause_text(cause("tax", "tax-assess", 8.0), "1.004227.000.00.00.H42", Texts("en"))
    assert "(" not in nobody.split("—")[1]  # never accepted: the unit alone
