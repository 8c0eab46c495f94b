"""One example per event type, for the JSON Schema documentation integrators read.

The examples follow one land-transfer dossier through Nha Trang (received Friday 13 February
2026 after the cut-off, counted from Monday 23 February after Tết). They are documentation,
built deterministically so that the generated files only change when the schemas do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from schemas.envelope import SCHEMA_VERSION, SPEC_VERSION, schema_uri

__all__ = ["EXAMPLE_DOSSIER", "example_event"]

_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
EXAMPLE_DOSSIER = "000.00.20.H41-260213-0001"
_WORKFLOW = "1.004227.000.00.00.H42"


def _t(month: int, day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=_TZ).isoformat()


_DOC = {"ref": "GCN-CS 123456", "title": "Giấy chứng nhận quyền sử dụng đất", "uri": "urn:lienthong:doc:cs-123456"}

# type -> (source, time, data)
_EXAMPLES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "vn.lienthong.dossier.received": (
        "one-stop",
        _t(2, 13, 16, 30),
        {
            "procedure_code": _WORKFLOW,
            "workflow_version": 2,
            "receiving_unit": "one-stop",
            "channel": "counter",
            "received_at": _t(2, 13, 16, 30),
            "appointment_at": _t(3, 4, 17),
            "applicant": {"name": "Nguyễn Thị Hồng", "id_number_masked": "056******321"},
            "title": "Chuyển nhượng thửa đất số 215, tờ bản đồ số 12, phường Lộc Thọ",
        },
    ),
    "vn.lienthong.handoff.requested": (
        "one-stop",
        _t(2, 23, 9),
        {
            "handoff_id": "H-0001-land-check",
            "step_id": "land-check",
            "from_agency": "one-stop",
            "to_agency": "land-registry",
            "due": _t(2, 25, 11),
            "procedure_code": _WORKFLOW,
            "workflow_version": 2,
            "note": "Hồ sơ đầy đủ theo quy định.",
            "documents": [_DOC],
        },
    ),
    "vn.lienthong.handoff.accepted": (
        "land-registry",
        _t(2, 23, 9, 30),
        {"handoff_id": "H-0001-land-check", "officer": "Trần Văn Bình"},
    ),
    "vn.lienthong.handoff.returned": (
        "tax",
        _t(2, 26, 10),
        {
            "handoff_id": "H-0001-tax-assess",
            "reason": "Phiếu chuyển thông tin địa chính thiếu giá trị chuyển nhượng.",
            "return_to_step": "land-check",
        },
    ),
    "vn.lienthong.verification.posted": (
        "ward-loc-tho",
        _t(3, 2, 15),
        {
            "handoff_id": "H-0002-ward-verify",
            "scope": ["land_origin", "use_status", "dispute"],
            "outcome": "confirmed",
            "findings": "Đất ở ổn định từ năm 1995, không tranh chấp, phù hợp quy hoạch.",
            "document_refs": [{"ref": "123/XN-UBND", "title": "Văn bản xác nhận của UBND phường Lộc Thọ"}],
        },
    ),
    "vn.lienthong.listing.started": (
        "ward-loc-tho",
        _t(3, 3, 8),
        {
            "handoff_id": "H-0002-ward-verify",
            "location": "Trụ sở UBND phường Lộc Thọ và khu dân cư tổ 5",
            "starts_on": "2026-03-03",
            "ends_on": "2026-03-18",
        },
    ),
    "vn.lienthong.listing.ended": (
        "ward-loc-tho",
        _t(3, 18, 16),
        {
            "handoff_id": "H-0002-ward-verify",
            "ended_on": "2026-03-18",
            "objections_received": 0,
            "outcome": "no_objection",
        },
    ),
    "vn.lienthong.cadastral.sent": (
        "land-registry",
        _t(2, 25, 10),
        {
            "handoff_id": "H-0001-land-check",
            "form_number": "125/PCTT-CNVPĐKĐĐ",
            "parcel": {
                "map_sheet": "12",
                "parcel_number": "215",
                "area_m2": 84.5,
                "land_use_code": "ODT",
                "address": "Số 12 đường Trần Phú, phường Lộc Thọ",
            },
            "declared_value_vnd": 2_500_000_000,
            "taxpayer_name": "Nguyễn Thị Hồng",
            "taxpayer_id_number": "056190654321",
        },
    ),
    "vn.lienthong.obligation.determined": (
        "tax",
        _t(2, 27, 15),
        {
            "handoff_id": "H-0001-tax-assess",
            "notice_number": "TB-2026-000873",
            "amounts": [
                {"kind": "registration_fee", "amount_vnd": 12_500_000},
                {"kind": "personal_income_tax", "amount_vnd": 50_000_000},
            ],
            "total_vnd": 62_500_000,
            "payment_deadline": "2026-03-29",
        },
    ),
    "vn.lienthong.obligation.paid": (
        "tax",
        _t(3, 2, 10),
        {
            "handoff_id": "H-0001-tax-assess",
            "notice_number": "TB-2026-000873",
            "amount_paid_vnd": 62_500_000,
            "paid_at": _t(3, 2, 9, 15),
            "receipt_ref": "BL-0045123",
        },
    ),
    "vn.lienthong.supplement.requested": (
        "land-registry",
        _t(2, 24, 10),
        {
            "handoff_id": "H-0001-land-check",
            "reasons": ["Hợp đồng chuyển nhượng chưa có chữ ký của bên nhận chuyển nhượng."],
            "items": ["Hợp đồng chuyển nhượng quyền sử dụng đất có đủ chữ ký các bên"],
            "legal_basis": "Điều 37 Nghị định 101/2024/NĐ-CP",
            "reply_by": "2026-03-10",
        },
    ),
    "vn.lienthong.supplement.received": (
        "one-stop",
        _t(2, 26, 8),
        {
            "handoff_id": "H-0001-land-check",
            "items_received": ["Hợp đồng chuyển nhượng quyền sử dụng đất có đủ chữ ký các bên"],
        },
    ),
    "vn.lienthong.dossier.suspended": (
        "land-registry",
        _t(2, 24, 14),
        {
            "handoff_id": "H-0001-land-check",
            "ground": "dispute",
            "reason": "Có đơn đề nghị tạm dừng do tranh chấp ranh giới với thửa liền kề.",
            "legal_basis": "Luật Đất đai 2024",
        },
    ),
    "vn.lienthong.dossier.resumed": (
        "land-registry",
        _t(2, 25, 8),
        {"handoff_id": "H-0001-land-check", "reason": "Các bên đã rút đơn, tranh chấp đã được giải quyết."},
    ),
    "vn.lienthong.dossier.refused": (
        "land-registry",
        _t(2, 24, 15),
        {
            "reason": "Thửa đất đang bị kê biên để bảo đảm thi hành án.",
            "legal_basis": "Điều 45 Luật Đất đai 2024",
        },
    ),
    "vn.lienthong.dossier.cancelled": (
        "one-stop",
        _t(2, 24, 9),
        {"reason": "Người nộp hồ sơ đề nghị rút hồ sơ.", "requested_by": "citizen"},
    ),
    "vn.lienthong.apology.issued": (
        "land-registry",
        _t(3, 3, 9),
        {
            "reason": "Hệ thống cơ sở dữ liệu đất đai gián đoạn, chưa cập nhật được biến động.",
            "responsible_agency": "land-registry",
            "new_appointment_at": _t(3, 6, 17),
            "channel": "sms",
        },
    ),
    "vn.lienthong.result.ready": (
        "land-registry",
        _t(3, 4, 10),
        {
            "handoff_id": "H-0003-register",
            "result": "Giấy chứng nhận đã chỉnh lý biến động",
            "signed_by": "Giám đốc Chi nhánh Văn phòng đăng ký đất đai",
            "document_refs": [_DOC],
        },
    ),
    "vn.lienthong.result.returned": (
        "one-stop",
        _t(3, 5, 8, 30),
        {"channel": "counter", "recipient": "applicant"},
    ),
    "vn.lienthong.dossier.closed": (
        "one-stop",
        _t(3, 5, 8, 35),
        {"outcome": "result_returned"},
    ),
}


def example_event(event_type: str) -> dict[str, Any]:
    """The example CloudEvent (as JSON-ready dict) for ``event_type``."""
    source, time, data = _EXAMPLES[event_type]
    number = list(_EXAMPLES).index(event_type) + 1
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": f"6f1d2c3a-0000-4000-8000-{number:012d}",
        "source": source,
        "type": event_type,
        "subject": EXAMPLE_DOSSIER,
        "time": time,
        "datacontenttype": "application/json",
        "schemaversion": SCHEMA_VERSION,
        "dataschema": schema_uri(event_type),
        "correlationid": EXAMPLE_DOSSIER,
    }
    if event_type != "vn.lienthong.dossier.received":
        event["causationid"] = "6f1d2c3a-0000-4000-8000-000000000001"
    event["rulesetversion"] = f"{_WORKFLOW}@2"
    event["data"] = data
    return event
