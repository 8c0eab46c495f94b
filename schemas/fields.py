"""Field types shared by events and workflows: codes, texts, instants, money, ID numbers.

Text rule: texts are stored in Unicode NFC (composed Vietnamese characters, what the national portal
produces). Text in another normal form (NFD, which some input methods and operating systems produce) is
accepted and normalised to NFC; what is stored and forwarded is the NFC text. Refused, with an error naming
the field: control characters (C0 and C1), the invisible bidirectional controls that can make a name read
differently than it is stored (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), and text that is
blank once spaces and zero-width characters are removed.

Instant rule: every instant lies between 2000-01-01 and 2100-01-01 (UTC), the range the working-day
calendar and every deadline computed from it can cover; outside it is a field error, never a crash.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, Strict

from schemas.errors import custom_error

__all__ = [
    "EARLIEST",
    "LATEST",
    "AgencyCode",
    "Day",
    "DossierCode",
    "EventId",
    "FullIdNumber",
    "GroundCode",
    "HandoffId",
    "Instant",
    "LongText",
    "MaskedIdNumber",
    "MoneyVnd",
    "ProcedureCode",
    "Reason",
    "RefText",
    "RulesetVersion",
    "ShortText",
    "StepId",
    "mask_id_number",
    "nfc",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile(r"[\s\u00ad\u180e\u200b-\u200d\u2060\ufeff]")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def nfc(text: str) -> str:
    """Normalise ``text`` to Unicode NFC; use it on anything typed by a person before sending."""
    return unicodedata.normalize("NFC", text)


def _to_nfc(value: Any) -> Any:
    return nfc(value) if isinstance(value, str) else value


def _check_text(value: str) -> str:
    if _CONTROL.search(value):
        raise custom_error(
            "control_char", "Text must not contain control characters", "Văn bản không được chứa ký tự điều khiển."
        )
    if _BIDI.search(value):
        raise custom_error(
            "bidi_control",
            "Text must not contain invisible bidirectional controls (such as U+202E)",
            "Văn bản không được chứa ký tự điều khiển hướng chữ ẩn (như U+202E).",
        )
    if not _INVISIBLE.sub("", value):
        raise custom_error("blank", "Text must not be blank", "Văn bản không được để trống.")
    return value


def _in_window(value: datetime) -> datetime:
    try:
        inside = EARLIEST <= value < LATEST
    except OverflowError:  # an offset pushes it past year 1 or 9999: outside whatever it is
        inside = False
    if not inside:
        raise custom_error(
            "out_of_range",
            "Instant must lie between 2000-01-01 and 2100-01-01 (UTC)",
            "Thời điểm phải nằm trong khoảng từ 01/01/2000 đến 01/01/2100 (UTC).",
        )
    return value


def _day_in_window(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise custom_error(
            "out_of_range",
            "Date must lie between 2000-01-01 and 2099-12-31",
            "Ngày phải nằm trong khoảng từ 01/01/2000 đến 31/12/2099.",
        )
    return value


def _check_agency(code: str) -> str:
    # Imported here: the registry is packaged data, loaded (once) on first use, not at import.
    from schemas.agencies import default_agencies

    if code not in default_agencies():
        raise custom_error(
            "unknown_agency",
            f"Unknown agency code '{code}' (see schemas/agencies.yaml)",
            f"Mã cơ quan '{code}' không có trong danh mục cơ quan (schemas/agencies.yaml).",
        )
    return code


def _no_number(value: Any) -> Any:
    # pydantic would read 1700000000 as a Unix timestamp; the wire format is ISO 8601 only.
    if isinstance(value, int | float):
        raise custom_error(
            "not_iso", "Must be an ISO 8601 string, not a number", "Phải là chuỗi ISO 8601, không phải số."
        )
    return value


def mask_id_number(number: str) -> str:
    """Mask a citizen ID number, keeping the first and last three digits: ``079******678``."""
    digits = number.strip()
    if not digits.isdigit() or not 9 <= len(digits) <= 12:
        raise ValueError("an ID number has 9 (old ID card) or 12 (citizen ID card) digits")
    return digits[:3] + "*" * (len(digits) - 6) + digits[-3:]


def _check_masked(value: str) -> str:
    if value.count("*") < 3:
        raise custom_error(
            "unmasked_id",
            "ID number must be masked (e.g. 079******678); use mask_id_number()",
            "Số giấy tờ tùy thân phải được che (ví dụ 079******678); dùng mask_id_number().",
        )
    return value


def _text(max_length: int, description: str) -> Any:
    return Field(min_length=1, max_length=max_length, description=description)


ShortText = Annotated[
    str,
    BeforeValidator(_to_nfc),
    _text(200, "Text, 1-200 characters, stored as Unicode NFC"),
    AfterValidator(_check_text),
]
LongText = Annotated[
    str,
    BeforeValidator(_to_nfc),
    _text(2000, "Text, 1-2000 characters, stored as Unicode NFC"),
    AfterValidator(_check_text),
]
Reason = Annotated[
    str,
    BeforeValidator(_to_nfc),
    _text(1000, "Reason stated to the citizen, 1-1000 characters, stored as Unicode NFC"),
    AfterValidator(_check_text),
]
RefText = Annotated[
    str,
    BeforeValidator(_to_nfc),
    _text(120, "Reference number or code, 1-120 characters, stored as Unicode NFC"),
    AfterValidator(_check_text),
]


def _agency_enum(schema: dict[str, Any]) -> None:
    """The JSON Schema lists the registry's codes (integrators and contract tests see exactly what passes)."""
    from schemas.agencies import default_agencies

    schema["enum"] = sorted(default_agencies())


AgencyCode = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        max_length=64,
        description="Agency code from schemas/agencies.yaml: one-stop, land-registry, tax, office, "
        "ward-<name>, dept-<name>, city-dept-<name>, police-<name>, social-insurance",
        json_schema_extra=_agency_enum,
    ),
    AfterValidator(_check_agency),
]
DossierCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        min_length=3,
        max_length=64,
        description="Dossier code (mã hồ sơ). National practice is <unit code>-<yymmdd>-<sequence>, "
        "e.g. 000.00.20.H41-260213-0001; validated loosely: letters, digits, '.', '_', '-', 3-64 chars",
    ),
]
ProcedureCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=64,
        description="Administrative procedure code (mã TTHC), e.g. 1.004227.000.00.00.H42",
    ),
]
EventId = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", max_length=128, description="Event id (e.g. a UUID)")
]
HandoffId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        max_length=128,
        description="Handoff id, chosen by the agency requesting the handoff; unique per dossier",
    ),
]
StepId = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=40, description="Workflow step id, e.g. tax-assess")
]
GroundCode = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        max_length=40,
        description="Code of a suspension ground listed in the procedure's workflow (suspension.grounds), "
        "e.g. dispute, authority-request, applicant-request",
    ),
]
RulesetVersion = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$",
        max_length=100,
        description="Rule set pinned for the dossier: <procedure code>@<workflow version>",
    ),
]
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_no_number),
    AfterValidator(_in_window),
    Field(
        description="Instant, ISO 8601 with offset, e.g. 2026-02-13T16:30:00+07:00, "
        "between 2000-01-01 and 2100-01-01 (UTC)"
    ),
]
Day = Annotated[
    date,
    BeforeValidator(_no_number),
    AfterValidator(_day_in_window),
    Field(description="Calendar date, YYYY-MM-DD, 2000-01-01 to 2099-12-31"),
]
MoneyVnd = Annotated[
    int, Strict(), Field(ge=0, le=10**15, description="Amount in Vietnamese dong (VND), a whole number")
]
MaskedIdNumber = Annotated[
    str,
    Field(
        pattern=r"^[0-9*]{9,12}$",
        description="Citizen ID number, masked: first and last three digits kept, e.g. 079******678",
    ),
    AfterValidator(_check_masked),
]
FullIdNumber = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{12}$",
        description="Full 12-digit citizen ID number. Only sent where the receiving agency needs it by law.",
    ),
]
