"""Compliance rules: repeated or late supplement requests, bare stops, bouncing, results left unclosed."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

import pytest

from .conftest import CAD, Harness, ev, opened, vn

CODE = "000.00.20.H41-260302-0007"


def supplement(at: Any, hid: str = "H1", source: str = "land-registry") -> Any:
    return ev(
        "supplement.requested",
        source,
        at,
        CODE,
        handoff_id=hid,
        reasons=["Thiếu bản sao hợp đồng chuyển nhượng có công chứng."],
        items=["Hợp đồng chuyển nhượng quyền sử dụng đất (bản chính)"],
        legal_basis="Điều 37 Nghị định 101/2024/NĐ-CP",
    )


def supplied(at: Any) -> Any:
    return ev("supplement.received", "one-stop", at, CODE, items_received=["Hợp đồng chuyển nhượng"])


def test_second_and_late_supplement_requests() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(supplement(vn(2026, 3, 3, 9)), supplied(vn(2026, 3, 4, 9)))
    assert not h.fired(CODE)  # one request, on day 2: fine
    # A second request on Friday 6 March 10:00, 4 working days after the land registry received the dossier
    # (Monday 09:00; at most 3): both rules.
    h.post(supplement(vn(2026, 3, 6, 10)))
    h.tick_until(vn(2026, 3, 6, 12))
    second = h.fired(CODE, "second_supplement")
    late = h.fired(CODE, "late_supplement")
    assert [(at, a["at"]) for at, a in second] == [(vn(2026, 3, 6, 10), vn(2026, 3, 6, 10).isoformat())]
    assert len(late) == 1
    assert late[0][1]["responsible_agency"] == "land-registry"
    assert "lần thứ 2" in second[0][1]["reason_vi"]
    assert "sau 4,1 ngày làm việc" in late[0][1]["reason_vi"]  # Monday 09:00 -> Friday 10:00: 33 h
    h.post(supplied(vn(2026, 3, 9, 9)), supplement(vn(2026, 3, 9, 10)))  # a third: nothing new
    assert len(h.fired(CODE, "second_supplement")) == 1


def test_suspension_without_legal_basis_and_refusal_without_reason() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(
        ev(
            "dossier.suspended",
            "land-registry",
            vn(2026, 3, 3, 9),
            CODE,
            handoff_id="H1",
            reason="Chờ kết quả giải quyết tranh chấp ranh giới thửa đất tại Tòa án.",
        )
    )
    (_, alert), *more = h.fired(rule="no_reason")
    assert not more
    assert alert["subject"] == "H1"
    assert "căn cứ pháp lý" in alert["reason_vi"]
    h.post(
        ev("dossier.resumed", "land-registry", vn(2026, 3, 4, 9), CODE, handoff_id="H1", reason="Đã có bản án."),
        ev(
            "dossier.refused",
            "land-registry",
            vn(2026, 3, 4, 10),
            CODE,
            handoff_id="H1",
            reason="Khác",
            legal_basis="-",
        ),
    )
    refused = [a for _, a in h.fired(rule="no_reason") if a["step_id"] == "refused"]
    assert len(refused) == 1
    assert "lý do cụ thể" in refused[0]["reason_vi"]
    assert unicodedata.is_normalized("NFC", refused[0]["reason_vi"])
    h.tick_until(vn(2026, 3, 30, 17), step=timedelta(hours=2))
    assert len(h.fired(rule="no_reason")) == 2
    assert not h.fired("H1", "overdue")  # refused: the dossier is finished, its clocks stopped


def test_refusal_with_reason_and_basis_is_fine() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(
        ev(
            "dossier.refused",
            "land-registry",
            vn(2026, 3, 3, 10),
            CODE,
            handoff_id="H1",
            reason="Thửa đất đang có tranh chấp, chưa đủ điều kiện chuyển nhượng.",
            legal_basis="Điểm b khoản 1 Điều 45 Luật Đất đai 2024",
        )
    )
    assert not h.fired(rule="no_reason")


def _to_tax(h: Harness, at: Any) -> str:
    h.post(ev("cadastral.sent", "land-registry", at, CODE, handoff_id="H1", **CAD))
    return h.open_handoff(CODE, "tax")


def test_bounced_more_than_allowed() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    bounce = {"reason": "Thiếu giá trị chuyển nhượng trên phiếu chuyển.", "return_to_step": "land-check"}
    first = _to_tax(h, vn(2026, 3, 2, 14))
    h.post(ev("handoff.returned", "tax", vn(2026, 3, 3, 9), CODE, handoff_id=first, **bounce))
    assert not h.fired(CODE, "bounced")  # once is allowed
    second = _to_tax(h, vn(2026, 3, 3, 14))
    assert second != first
    h.post(ev("handoff.returned", "tax", vn(2026, 3, 4, 9), CODE, handoff_id=second, **bounce))
    (at, alert), *more = h.fired(CODE, "bounced")
    assert not more
    assert (at, alert["responsible_agency"]) == (vn(2026, 3, 4, 9), "tax")


def _to_result(h: Harness) -> None:
    tax = _to_tax(h, vn(2026, 3, 2, 14))
    determined = {
        "notice_number": "TB-1",
        "amounts": [{"kind": "registration_fee", "amount_vnd": 500_000}],
        "total_vnd": 500_000,
        "payment_deadline": "2026-04-01",
    }
    paid = {"notice_number": "TB-1", "amount_paid_vnd": 500_000, "paid_at": vn(2026, 3, 3, 9), "receipt_ref": "BL-1"}
    h.post(
        ev("obligation.determined", "tax", vn(2026, 3, 2, 16), CODE, handoff_id=tax, **determined),
        ev("obligation.paid", "tax", vn(2026, 3, 3, 10), CODE, handoff_id=tax, **paid),
    )
    register = h.open_handoff(CODE, "land-registry")
    h.post(
        ev(
            "result.ready",
            "land-registry",
            vn(2026, 3, 4, 10),
            CODE,
            handoff_id=register,
            result="Giấy chứng nhận đã chỉnh lý biến động",
        )
    )


def test_result_ready_but_not_returned_within_a_working_day() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    _to_result(h)
    h.tick_until(vn(2026, 3, 10, 17), step=timedelta(minutes=30))
    (at, alert), *more = h.fired(CODE, "result_not_closed")
    assert not more
    assert at == vn(2026, 3, 5, 10)  # 8 office hours after Wednesday 10:00
    assert alert["responsible_agency"] == "one-stop"
    assert not h.fired(CODE, "overdue")  # the dossier clock stopped when the result was ready


def test_result_returned_in_time_raises_nothing() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    _to_result(h)
    h.post(
        ev("result.returned", "one-stop", vn(2026, 3, 4, 15), CODE, channel="counter", recipient="applicant"),
        ev("dossier.closed", "one-stop", vn(2026, 3, 4, 15, 5), CODE, outcome="result_returned"),
    )
    h.tick_until(vn(2026, 3, 20, 17), step=timedelta(hours=1))
    assert not h.fired(CODE, "result_not_closed")
    assert not [a for _, a in h.fired() if a["rule"] in ("overdue", "stalled", "apology_missing")]


def cancel(at: Any, requested_by: str, reason: str, source: str = "one-stop") -> Any:
    return ev("dossier.cancelled", source, at, CODE, reason=reason, requested_by=requested_by)


REASON = "Công dân rút hồ sơ để bổ sung giấy tờ thừa kế trước khi nộp lại."


def test_a_cancellation_the_citizen_asked_for_in_time_with_a_reason_is_fine() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)), cancel(vn(2026, 3, 4, 9), "citizen", REASON))
    h.tick_until(vn(2026, 3, 4, 10))
    assert not h.fired(CODE, "improper_cancellation")


def test_cancelling_a_late_dossier_the_citizen_did_not_ask_to_cancel_with_a_dot_raises_one_alert() -> None:
    # received Monday 2 March (not counted): its 8 working days end with Thursday 12 March
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.tick_until(vn(2026, 3, 16, 9), step=timedelta(hours=1))
    h.post(cancel(vn(2026, 3, 16, 9, 30), "agency", "."))
    h.tick_until(vn(2026, 3, 16, 10))
    ((at, alert),) = h.fired(CODE, "improper_cancellation")
    assert at == vn(2026, 3, 16, 9, 30)  # raised as the cancellation is folded
    assert alert["at"] == vn(2026, 3, 16, 9, 30).isoformat()
    assert alert["responsible_agency"] == "one-stop"
    assert set(alert["audience"]) == {"unit", "office"}
    for part in ("công dân không yêu cầu hủy", "hồ sơ đã trễ hạn (hết ngày 12/03/2026)", "không nêu lý do cụ thể"):
        assert part in alert["reason_vi"]
    assert unicodedata.is_normalized("NFC", alert["reason_vi"])


@pytest.mark.parametrize(
    ("when", "requested_by", "reason", "faults"),
    [
        (vn(2026, 3, 4, 9), "agency", REASON, ["công dân không yêu cầu hủy"]),
        (vn(2026, 3, 16, 9), "citizen", REASON, ["hồ sơ đã trễ hạn"]),
        (vn(2026, 3, 4, 9), "citizen", "khác", ["không nêu lý do cụ thể"]),
    ],
    ids=["not asked by the citizen", "already late", "no reason of substance"],
)
def test_each_fault_of_a_cancellation_on_its_own(when: Any, requested_by: str, reason: str, faults: list[str]) -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.tick_until(when - timedelta(minutes=30), step=timedelta(hours=1))
    h.post(cancel(when, requested_by, reason))
    h.tick_until(when + timedelta(minutes=30))
    ((_, alert),) = h.fired(CODE, "improper_cancellation")
    said = alert["reason_vi"].split(": ", 1)[1]
    assert [
        f for f in ("công dân không yêu cầu hủy", "hồ sơ đã trễ hạn", "không nêu lý do cụ thể") if f in said
    ] == faults


def test_a_late_supplement_counts_from_when_the_asking_agency_received_the_dossier() -> None:
    """Tax receives the dossier a week after intake and asks the next day: not late (the old count said 6 days)."""
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(ev("cadastral.sent", "land-registry", vn(2026, 3, 9, 9), CODE, handoff_id="H1", **CAD))
    tax = h.open_handoff(CODE, "tax")
    h.post(supplement(vn(2026, 3, 10, 9), hid=tax, source="tax"))
    h.tick_until(vn(2026, 3, 10, 10))
    assert not h.fired(CODE, "late_supplement")
    h.post(supplied(vn(2026, 3, 11, 9)), supplement(vn(2026, 3, 16, 9), hid=tax, source="tax"))
    h.tick_until(vn(2026, 3, 16, 10))
    ((_, alert),) = h.fired(CODE, "late_supplement")
    assert alert["responsible_agency"] == "tax"


def suspended(at: Any, ground: str | None, reason: str = "Thửa đất đang có tranh chấp ranh giới tại Tòa án.") -> Any:
    extra = {"ground": ground} if ground is not None else {}
    return ev(
        "dossier.suspended",
        "land-registry",
        at,
        CODE,
        handoff_id="H1",
        reason=reason,
        legal_basis="Nghị định 101/2024/NĐ-CP",
        **extra,
    )


def resumed(at: Any) -> Any:
    return ev("dossier.resumed", "land-registry", at, CODE, handoff_id="H1", reason="Tòa án đã có bản án.")


def test_a_suspension_lasts_no_longer_than_its_ground_allows() -> None:
    """Counted by hand: suspended on Tuesday 3 March 2026 on the applicant's request (at most 10 working
    days): the days run from Wednesday 4 March (4, 5, 6, 9-13, 16, 17), so the suspension may last until the
    end of Tuesday 17 March; still suspended after it: one alert, dated then."""
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(suspended(vn(2026, 3, 3, 9), "applicant-request", "Người yêu cầu đăng ký đề nghị tạm dừng để thỏa thuận."))
    h.tick_until(vn(2026, 3, 17, 23), step=timedelta(hours=2))
    assert not h.fired(rule="suspension")  # a listed ground, within its time
    h.tick_until(vn(2026, 3, 18, 9), step=timedelta(hours=1))
    [(at, alert)] = h.fired(CODE, "suspension")
    assert alert["level"] == 2
    assert alert["at"] == vn(2026, 3, 17, 23, 59, 59).replace(microsecond=999999).isoformat()
    assert "quá 10 ngày làm việc được phép (hết ngày 17/03/2026)" in alert["reason_vi"]
    assert "từ 09:00 ngày 03/03/2026" in alert["reason_vi"]
    h.post(resumed(vn(2026, 3, 19, 9)))
    h.tick_until(vn(2026, 3, 31, 17), step=timedelta(hours=4))
    assert len(h.fired(rule="suspension")) == 1


def test_a_suspension_on_a_ground_the_procedure_does_not_list() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(suspended(vn(2026, 3, 3, 9), None))
    [(_, bare)] = h.fired(CODE, "suspension")
    assert bare["level"] == 1
    assert "không nêu căn cứ" in bare["reason_vi"]
    assert "dispute: Đất đang có tranh chấp" in bare["reason_vi"]
    assert unicodedata.is_normalized("NFC", bare["reason_vi"])
    h.post(resumed(vn(2026, 3, 5, 9)), suspended(vn(2026, 3, 6, 9), "weather"))
    second = [a for _, a in h.fired(CODE, "suspension")][1:]
    assert [a["level"] for a in second] == [1]
    assert "với căn cứ «weather» không có trong danh mục" in second[0]["reason_vi"]
    # An unlisted ground gets the rules' default longest duration (10 working days, to the end of 20 March).
    h.tick_until(vn(2026, 3, 23, 9), step=timedelta(hours=2))
    levels = [(a["level"], a["at"][:10]) for _, a in h.fired(CODE, "suspension")]
    assert levels == [(1, "2026-03-03"), (1, "2026-03-06"), (2, "2026-03-20")]


def test_a_listed_suspension_resumed_in_time_raises_nothing() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    h.post(suspended(vn(2026, 3, 3, 9), "dispute"), resumed(vn(2026, 4, 10, 9)))
    h.tick_until(vn(2026, 4, 20, 9), step=timedelta(hours=4))
    assert not h.fired(rule="suspension")


def test_a_supplement_may_ask_only_for_the_procedures_documents() -> None:
    h = Harness(vn(2026, 3, 2, 8))
    h.post(*opened(CODE, vn(2026, 3, 2, 8)))
    ask = ev(
        "supplement.requested",
        "land-registry",
        vn(2026, 3, 3, 9),
        CODE,
        handoff_id="H1",
        reasons=["Hợp đồng thiếu chữ ký bên nhận chuyển nhượng; cần xác nhận hộ khẩu."],
        items=[
            "Hợp đồng chuyển nhượng quyền sử dụng đất có đủ chữ ký các bên",  # a listed document, with a remark
            "tờ khai  LỆ PHÍ trước bạ",  # another, as typed
            "income-tax-declaration",  # another, by its code
            "Sổ hộ khẩu (bản sao)",  # not a document of this procedure
        ],
        legal_basis="Điều 37 Nghị định 101/2024/NĐ-CP",
    )
    h.post(ask)
    [(at, alert)] = h.fired(CODE)
    assert (alert["rule"], at) == ("unlisted_supplement", vn(2026, 3, 3, 9))
    assert alert["responsible_agency"] == "land-registry"
    assert "bổ sung «Sổ hộ khẩu (bản sao)», không thuộc thành phần hồ sơ" in alert["reason_vi"]
    assert "Hợp đồng" not in alert["reason_vi"]
