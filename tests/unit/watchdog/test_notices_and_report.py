"""A dossier going late: the apology notice drafted in time, the apology rule, and the late-dossier report."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from schemas import default_calendar
from services.watchdog.notices import Notice, render_notice

from .conftest import CAD, Harness, ev, opened, vn

CODE = "000.00.20.H41-260302-0042"
T0 = vn(2026, 3, 2, 8)  # Monday: received 08:00, handed to the land registry at 09:00 (due the end of Wednesday)


def end_of(*day: int) -> Any:
    return vn(*day) + timedelta(days=1) - timedelta(microseconds=1)


def late_dossier() -> Harness:
    """The land registry sits on the dossier: after its due, the rest of the route (5 days) no longer fits."""
    h = Harness(T0)
    h.post(*opened(CODE, T0))
    h.post(
        ev("handoff.accepted", "land-registry", vn(2026, 3, 2, 9, 30), CODE, handoff_id="H1", officer="Trần Văn Bình")
    )
    return h


def test_notice_is_drafted_at_the_lead_time_with_a_new_date_in_working_days() -> None:
    cal = default_calendar()
    h = late_dossier()
    # the dossier's own due: received Monday 2 March (not counted), 8 working days end with Thursday 12 March
    due = end_of(2026, 3, 12)
    # notices are drafted 2 working days before the budget runs out: counted from Tuesday 3 March 07:00, 6 days
    # run out on Tuesday 10 March at 17:00
    draft_at = vn(2026, 3, 10, 17)
    assert draft_at == cal.add(vn(2026, 3, 3, 7), cal.days(6))
    h.tick_until(draft_at - timedelta(seconds=1), step=timedelta(minutes=15))
    assert not h.notices
    h.tick_until(draft_at)
    h.tick_until(vn(2026, 3, 13, 17), step=timedelta(minutes=15))
    assert len(h.notices) == 1
    notice = h.notices[0]
    assert notice["drafted_at"] == draft_at.isoformat()
    assert notice["responsible_agency"] == "land-registry"
    assert notice["handoff_id"] == "H1"
    # At the draft: 16 h left of the dossier, 40 h needed (tax 2.5 d + registration 2.5 d): 3 days late.
    assert notice["delay_working_days"] == 3
    # the new appointment is a day too: three working days after Thursday 12 March is Tuesday 17 March
    assert notice["due"] == due.isoformat()
    assert notice["new_appointment_at"] == end_of(2026, 3, 17).isoformat()
    assert "quá hạn" in notice["reason_vi"]
    assert unicodedata.is_normalized("NFC", notice["reason_vi"])


def test_apology_missing_fires_one_working_day_before_the_due() -> None:
    cal = default_calendar()
    h = late_dossier()
    h.tick_until(vn(2026, 3, 13, 17), step=timedelta(minutes=15))
    (at, alert), *more = h.fired(CODE, "apology_missing")
    assert not more
    # one working day before the budget runs out (Thursday 12 March 17:00): Wednesday 11 March 17:00
    assert at == cal.add(vn(2026, 3, 3, 7), cal.days(7)) == vn(2026, 3, 11, 17)
    assert alert["responsible_agency"] == "land-registry"
    assert set(alert["audience"]) == {"unit", "office"}


def test_apology_issued_in_time_silences_the_rule() -> None:
    h = late_dossier()
    h.tick_until(vn(2026, 3, 10, 9))
    h.post(
        ev(
            "apology.issued",
            "land-registry",
            vn(2026, 3, 10, 10),
            CODE,
            handoff_id="H1",
            reason="Chờ kết quả đo đạc lại ranh giới thửa đất.",
            responsible_agency="land-registry",
            new_appointment_at=vn(2026, 3, 17, 10),
            channel="counter",
        )
    )
    h.tick_until(vn(2026, 3, 20, 17), step=timedelta(hours=1))
    assert not h.fired(CODE, "apology_missing")
    assert [a["level"] for _, a in h.fired(CODE, "overdue")] == [1, 2, 3]  # the dossier is late all the same


def test_printable_notice() -> None:
    h = late_dossier()
    h.tick_until(vn(2026, 3, 11, 9), step=timedelta(hours=1))
    notice = h.engine.notice(h.notices[0]["id"], list(range(6)))
    assert notice is not None
    assert notice.applicant_name == "Nguyễn Thị Hồng"  # in the stored notice and the page, not on the topic
    assert "applicant_name" not in h.notices[0]
    page = render_notice(notice)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in page
    assert "Chi nhánh Văn phòng Đăng ký đất đai Nha Trang" in page
    assert CODE in page
    assert "Mẫu số 04" in page
    assert unicodedata.is_normalized("NFC", page)
    hostile = Notice.model_validate({**notice.model_dump(), "applicant_name": "<script>alert(1)</script>"})
    assert "<script>" not in render_notice(hostile)


def test_the_notice_names_who_received_who_is_late_and_prints_the_agencys_own_reason() -> None:
    h = late_dossier()
    h.tick_until(vn(2026, 3, 11, 9), step=timedelta(hours=1))
    notice = h.engine.notice(h.notices[0]["id"], list(range(6)))
    assert notice is not None
    assert notice.stated_reason is None
    page = render_notice(notice)
    # received by the one-stop-shop; late, and apologising: the land registry
    assert "Ngày 02/03/2026, Bộ phận Tiếp nhận và Trả kết quả thành phố Nha Trang tiếp nhận hồ sơ" in page
    assert "Tuy nhiên đến nay, Chi nhánh Văn phòng Đăng ký đất đai Nha Trang chưa trả kết quả" in page
    # the watchdog's own account is not the agency's reason: a line to write on until it issues the apology
    assert notice.reason_vi not in page
    assert "Lý do: \u2026\u2026" in page
    assert "vào ngày 17/03/2026" in page
    h.post(
        ev(
            "apology.issued",
            "land-registry",
            vn(2026, 3, 11, 10),
            CODE,
            handoff_id="H1",
            reason="Phải đo đạc lại ranh giới thửa đất do sai lệch với bản đồ địa chính.",
            responsible_agency="land-registry",
            new_appointment_at=vn(2026, 3, 18, 16),
            channel="counter",
        )
    )
    issued = h.engine.notice(h.notices[0]["id"], list(range(6)))
    assert issued is not None
    assert issued.stated_reason == "Phải đo đạc lại ranh giới thửa đất do sai lệch với bản đồ địa chính."
    assert issued.issued_at == vn(2026, 3, 11, 10)
    page = render_notice(issued)
    assert "Lý do: Phải đo đạc lại ranh giới thửa đất do sai lệch với bản đồ địa chính." in page
    assert "vào ngày 18/03/2026" in page  # the date the agency gave
    assert unicodedata.is_normalized("NFC", page)


def finish(h: Harness, cadastral_at: Any) -> None:
    """The land registry finally sends the form; tax and registration are on time; result ready."""
    h.post(ev("cadastral.sent", "land-registry", cadastral_at, CODE, handoff_id="H1", **CAD))
    tax = h.open_handoff(CODE, "tax")
    determined = {
        "notice_number": "TB-9",
        "amounts": [{"kind": "registration_fee", "amount_vnd": 500_000}],
        "total_vnd": 500_000,
        "payment_deadline": "2026-04-30",
    }
    paid = {"notice_number": "TB-9", "amount_paid_vnd": 500_000, "paid_at": vn(2026, 3, 17, 9), "receipt_ref": "B-9"}
    h.post(
        ev("obligation.determined", "tax", cadastral_at + timedelta(hours=2), CODE, handoff_id=tax, **determined),
        ev("obligation.paid", "tax", vn(2026, 3, 17, 10), CODE, handoff_id=tax, **paid),
    )
    register = h.open_handoff(CODE, "land-registry")
    h.post(
        ev("result.ready", "land-registry", vn(2026, 3, 18, 10), CODE, handoff_id=register, result="Giấy chứng nhận")
    )


def test_late_report_attributes_the_delay_to_the_handoff_that_caused_it() -> None:
    h = late_dossier()
    finish(h, vn(2026, 3, 13, 9))  # land check due the end of Wednesday 4 March, done Friday 13 March 09:00
    report = h.engine.late_report("2026-03", list(range(6)))
    assert report["late_dossiers"] == 1
    (entry,) = report["dossiers"]
    assert entry["dossier_code"] == CODE
    (cause,) = entry["causes"]
    assert (cause["handoff_id"], cause["agency"], cause["step_id"]) == ("H1", "land-registry", "land-check")
    assert cause["officer"] == "Trần Văn Bình"  # who accepted it: the resolution asks for the person too
    # late from the end of Wednesday 4 March: Thursday 5 to Thursday 12 (six working days, 48 h) and Friday 13
    # 07:00 -> 09:00 (2 h)
    assert cause["late_hours"] == 6 * 8 + 2
    assert report["by_agency"] == {"land-registry": {"dossiers": 1, "handoffs": 1, "late_hours": 50.0}}
    # the dossier: 64 h budget; the payment pause (Friday 11:00 -> Tuesday 10:00) is not counted
    assert entry["late_hours"] > 0
    assert entry["unattributed_hours"] >= 0
    assert entry["finished_at"] == vn(2026, 3, 18, 10).isoformat()
    assert h.engine.late_report("2026-04", list(range(6)))["late_dossiers"] == 0
    assert h.engine.late_report("2026-03", list(range(6)), agency="tax")["late_dossiers"] == 0
    assert h.engine.late_report("2026-03", list(range(6)), agency="land-registry")["late_dossiers"] == 1


def apology(at: Any, new_date: Any) -> Any:
    return ev(
        "apology.issued",
        "land-registry",
        at,
        CODE,
        handoff_id="H1",
        reason="Chờ kết quả đo đạc lại ranh giới thửa đất.",
        responsible_agency="land-registry",
        new_appointment_at=new_date,
        channel="counter",
    )


def test_a_dossier_is_given_a_new_date_once_and_only_a_later_one() -> None:
    h = late_dossier()  # due the end of Thursday 12 March
    h.post(apology(vn(2026, 3, 10, 10), vn(2026, 3, 17, 17)))
    h.tick_until(vn(2026, 3, 10, 11))
    assert not h.fired(CODE, "reappointment")
    h.post(apology(vn(2026, 3, 16, 10), vn(2026, 3, 16, 17)))  # a second one, and not after the first new date
    h.tick_until(vn(2026, 3, 16, 11))
    reasons = sorted(a["reason_vi"].split(":", 1)[0] for _, a in h.fired(CODE, "reappointment"))
    assert reasons == ["Hẹn lại không hợp lệ", "Hẹn lại nhiều lần"]
    assert all(a["responsible_agency"] == "land-registry" for _, a in h.fired(CODE, "reappointment"))


def test_the_citizen_is_told_of_a_suspension_its_ground_reason_and_longest_duration() -> None:
    """Suspended on Tuesday 3 March 2026 on the applicant's request (at most 10 working days, counted from
    Wednesday 4 March: 4, 5, 6, 9-13, 16, 17): the notice says so at once, with the agency's own reason; a
    second suspension after a resumption is a second notice; the timer never drafts one twice."""
    h = Harness(T0)
    h.post(*opened(CODE, T0))
    reason = "Người yêu cầu đề nghị tạm dừng để bổ sung văn bản thỏa thuận ranh giới."
    h.post(
        ev(
            "dossier.suspended",
            "land-registry",
            vn(2026, 3, 3, 9),
            CODE,
            handoff_id="H1",
            ground="applicant-request",
            reason=reason,
        )
    )
    [told] = h.notices
    assert told["kind"] == "suspension"
    assert told["responsible_agency"] == "land-registry"
    assert told["receiving_unit"] == "one-stop"
    assert told["reason"] == reason
    assert told["ground"] == "applicant-request"
    assert told["max_working_days"] == 10
    assert told["resume_by"] == end_of(2026, 3, 17).isoformat()
    assert told["appointment_at"] == vn(2026, 3, 12, 8).isoformat()  # as the receipt printed it
    assert told["legal_basis"]  # the listed ground's, none being stated
    assert "applicant_name" not in told
    h.tick_until(vn(2026, 3, 6, 17), step=timedelta(hours=2))
    assert len(h.notices) == 1

    notice = h.engine.notice(told["id"], list(range(6)))
    assert notice is not None
    page = render_notice(notice)
    assert "THÔNG BÁO VỀ VIỆC TẠM DỪNG GIẢI QUYẾT HỒ SƠ" in page
    assert f"Lý do: {reason}" in page
    assert "Ngày 03/03/2026, Chi nhánh Văn phòng Đăng ký đất đai Nha Trang tạm dừng" in page
    assert "không quá 10 ngày làm việc (đến hết ngày 17/03/2026)" in page
    assert "ngày hẹn trả kết quả: 12/03/2026" in page
    assert "Nguyễn Thị Hồng" in page  # printed for the citizen, never on the topic
    assert unicodedata.is_normalized("NFC", page)

    h.post(ev("dossier.resumed", "land-registry", vn(2026, 3, 5, 9), CODE, handoff_id="H1", reason="Đã bổ sung."))
    h.post(
        ev(
            "dossier.suspended",
            "land-registry",
            vn(2026, 3, 6, 9),
            CODE,
            handoff_id="H1",
            ground="weather",
            reason="Mưa bão, không đo đạc được.",
        )
    )
    assert [n["kind"] for n in h.notices] == ["suspension", "suspension"]
    second = h.notices[1]
    assert second["ground_vi"] is None  # not a listed ground: the page says so, and an alert says it louder
    page = render_notice(h.engine.notice(second["id"], list(range(6))))  # type: ignore[arg-type]
    assert "weather (không có trong danh mục của thủ tục)" in page


def test_the_apology_form_follows_the_decree_in_force_on_the_intake_day() -> None:
    """Decree 118/2025 replaced Decree 61/2018 (and Circular 01/2018's forms) from 1 July 2025."""
    h = late_dossier()
    h.tick_until(vn(2026, 3, 11, 9), step=timedelta(hours=1))
    notice = h.engine.notice(h.notices[0]["id"], list(range(6)))
    assert isinstance(notice, Notice)
    after = render_notice(notice)
    assert "Nghị định số 118/2025/NĐ-CP" in after
    assert "chưa đối chiếu" in after  # the 2025 wording is not verified yet: said on screen
    before = render_notice(notice.model_copy(update={"received_at": vn(2025, 6, 30, 16)}))
    assert "Thông tư số 01/2018/TT-VPCP" in before
    assert "118/2025" not in before
    assert "chưa đối chiếu" not in before


def test_a_notice_names_the_agency_as_it_was_called_on_the_day_it_was_issued() -> None:
    h = late_dossier()
    h.tick_until(vn(2026, 3, 11, 9), step=timedelta(hours=1))
    notice = h.engine.notice(h.notices[0]["id"], list(range(6)))
    assert isinstance(notice, Notice)
    dept = notice.model_copy(update={"responsible_agency": "dept-tnmt"})
    assert "Sở Nông nghiệp và Môi trường tỉnh Khánh Hòa xin lỗi" in render_notice(dept)
    before = dept.model_copy(update={"drafted_at": vn(2025, 2, 20, 9), "received_at": vn(2025, 2, 3, 9)})
    assert "Sở Tài nguyên và Môi trường tỉnh Khánh Hòa xin lỗi" in render_notice(before)


def test_a_notice_stored_before_notices_had_kinds_still_reads_as_an_apology() -> None:
    import json

    from services.watchdog.notices import parse_notice

    h = late_dossier()
    h.tick_until(vn(2026, 3, 11, 9), step=timedelta(hours=1))
    notice = h.engine.notice(h.notices[0]["id"], list(range(6)))
    assert isinstance(notice, Notice)
    old = json.loads(notice.model_dump_json())
    del old["kind"]  # as stored before this field existed
    again = parse_notice(json.dumps(old))
    assert isinstance(again, Notice)
    assert again.id == notice.id
