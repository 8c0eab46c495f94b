"""Realistic dossier events for simulated agencies, tests and the demo (never used by production code).

received = dossier_received("000.00.20.H41-261126-0001", LAND_TRANSFER, at)
handoff = handoff_requested(received, "land-check", "land-registry", handoff_id="HS1-land-check")
data = completion_data("vn.lienthong.cadastral.sent", rng)
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from schemas.events import TZ, new_event
from schemas.workcalendar import default_calendar

__all__ = [
    "BIRTH_GROUP",
    "CONSTRUCTION_PERMIT",
    "FIRST_CERTIFICATE",
    "HOUSEHOLD_BUSINESS",
    "INHERITANCE_GIFT",
    "JOINT_PROVINCIAL",
    "LAND_TRANSFER",
    "LAND_USE_CHANGE",
    "MORTGAGE",
    "MORTGAGE_DELETION",
    "completion_data",
    "dossier_code",
    "dossier_received",
    "handoff_requested",
    "make_event",
]

LAND_TRANSFER = "1.004227.000.00.00.H42"
FIRST_CERTIFICATE = "1.012789.000.00.00.H42"
JOINT_PROVINCIAL = "1.010727.000.00.00.H42"
MORTGAGE = "1.003550.000.00.00.H42"
HOUSEHOLD_BUSINESS = "2.000720.000.00.00.H42"
MORTGAGE_DELETION = "1.003556.000.00.00.H42"
LAND_USE_CHANGE = "1.012794.000.00.00.H42"
INHERITANCE_GIFT = "1.004221.000.00.00.H42"
CONSTRUCTION_PERMIT = "1.009994.000.00.00.H42"
BIRTH_GROUP = "1.003412.000.00.00.H42"

_NAMES = ["Nguyễn Thị Hồng", "Trần Văn Bình", "Lê Thị Mai", "Phạm Quốc Huy", "Võ Thị Thu", "Đặng Minh Tuấn"]
_STREETS = ["Trần Phú", "Lê Thánh Tôn", "Nguyễn Thiện Thuật", "Hùng Vương", "Phạm Văn Đồng", "2 Tháng 4"]


def dossier_code(seq: int, day: datetime | None = None) -> str:
    day = day or datetime.now(TZ)
    return f"000.00.20.H41-{day:%y%m%d}-{seq:04d}"


def make_event(event_type: str, source: str, subject: str, data: dict[str, Any], **kw: Any) -> Any:
    return new_event(event_type, source=source, subject=subject, data=data, **kw)


def dossier_received(
    code: str,
    procedure: str,
    at: datetime,
    rng: random.Random | None = None,
    budget_days: float = 10,
    appointment_at: datetime | None = None,
) -> Any:
    """``appointment_at``: the date printed on the receipt (default: ``budget_days`` counted from ``at``)."""
    rng = rng or random.Random(code)
    calendar = default_calendar()
    appointment = appointment_at or (
        (
            calendar.due_in_days(at, int(budget_days))
            if float(budget_days).is_integer()
            else calendar.add(calendar.intake_start(at), calendar.days(budget_days))
        )
        or at + timedelta(days=14)
    )
    channel = rng.choice(["online", "counter", "postal"])
    # an online dossier waited on the portal before the one-stop-shop took it in (its own draw: the rest of
    # the dossier stays as it was for a given code)
    waited = timedelta(minutes=random.Random(f"{code}|portal").randint(20, 36 * 60))
    online = {"submitted_at": (at - waited).isoformat()} if channel == "online" else {}
    return make_event(
        "vn.lienthong.dossier.received",
        "one-stop",
        code,
        {
            "procedure_code": procedure,
            "receiving_unit": "one-stop",
            "channel": channel,
            **online,
            "received_at": at.isoformat(),
            "appointment_at": max(appointment, at + timedelta(hours=1)).isoformat(),
            "applicant": {"name": rng.choice(_NAMES), "id_number_masked": "056******321"},
            "title": f"Thửa đất số {rng.randint(1, 400)}, tờ bản đồ số {rng.randint(1, 60)}",
        },
        time=at,
    )


def handoff_requested(
    received: Any,
    step_id: str,
    to_agency: str,
    *,
    from_agency: str = "one-stop",
    handoff_id: str | None = None,
    at: datetime | None = None,
    due: datetime | None = None,
    workflow_version: int = 1,
    procedure: str | None = None,
) -> Any:
    at = at or received.time + timedelta(minutes=5)
    return make_event(
        "vn.lienthong.handoff.requested",
        from_agency,
        received.subject,
        {
            "handoff_id": handoff_id or f"H-{uuid.uuid4().hex[:12]}",
            "step_id": step_id,
            "from_agency": from_agency,
            "to_agency": to_agency,
            "due": (due or at + timedelta(days=3)).isoformat(),
            "procedure_code": procedure or received.data.procedure_code,
            "workflow_version": workflow_version,
            "note": "Hồ sơ đầy đủ theo quy định.",
        },
        time=at,
    )


def completion_data(event_type: str, rng: random.Random, at: datetime | None = None) -> dict[str, Any]:
    """The ``data`` (without ``handoff_id``) an agency posts to complete a step with ``event_type``."""
    at = at or datetime.now(TZ)
    street = rng.choice(_STREETS)
    if event_type == "vn.lienthong.verification.posted":
        return {
            "scope": ["land_origin", "use_status", "dispute"],
            "outcome": "confirmed",
            "findings": f"Đất sử dụng ổn định từ năm {rng.randint(1985, 2003)}, không tranh chấp, phù hợp quy hoạch.",
            "document_refs": [{"ref": f"XN-{rng.randint(100, 999)}/UBND", "title": "Phiếu lấy ý kiến xác nhận"}],
        }
    if event_type == "vn.lienthong.listing.ended":
        return {"ended_on": at.date().isoformat(), "objections_received": 0, "outcome": "no_objection"}
    if event_type == "vn.lienthong.cadastral.sent":
        return {
            "form_number": f"{rng.randint(100, 9999)}/PCTTĐC",
            "parcel": {
                "map_sheet": str(rng.randint(1, 60)),
                "parcel_number": str(rng.randint(1, 400)),
                "area_m2": round(rng.uniform(40, 300), 1),
                "land_use_code": "ODT",
                "address": f"{rng.randint(1, 200)} {street}, Nha Trang",
            },
            "declared_value_vnd": rng.randint(8, 60) * 100_000_000,
            "taxpayer_name": rng.choice(_NAMES),
            "taxpayer_id_number": "056190000321",
        }
    if event_type == "vn.lienthong.obligation.determined":
        fee, pit = rng.randint(5, 30) * 100_000, rng.randint(20, 120) * 1_000_000
        return {
            "notice_number": f"TB-{rng.randint(1000, 9999)}",
            "amounts": [
                {"kind": "registration_fee", "amount_vnd": fee},
                {"kind": "personal_income_tax", "amount_vnd": pit},
            ],
            "total_vnd": fee + pit,
            "payment_deadline": (at + timedelta(days=30)).date().isoformat(),
        }
    if event_type == "vn.lienthong.obligation.paid":
        return {
            "notice_number": f"TB-{rng.randint(1000, 9999)}",
            "amount_paid_vnd": rng.randint(20, 120) * 1_000_000,
            "paid_at": at.isoformat(),
            "receipt_ref": f"BL-{rng.randint(10000, 99999)}",
        }
    if event_type == "vn.lienthong.result.ready":
        return {"result": "Giấy chứng nhận đã chỉnh lý biến động", "signed_by": "Phó Chủ tịch UBND"}
    if event_type == "vn.lienthong.result.returned":
        return {"channel": rng.choice(["counter", "postal", "online"]), "recipient": "applicant"}
    if event_type == "vn.lienthong.listing.started":
        return {
            "location": "Trụ sở UBND phường",
            "starts_on": at.date().isoformat(),
            "ends_on": (at + timedelta(days=15)).date().isoformat(),
        }
    raise ValueError(f"no simulated data for {event_type}")
