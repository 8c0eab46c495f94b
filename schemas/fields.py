"""Field types shared by events and workflows: codes, texts, instants, money, ID numbers.

Text rule: every text on the wire must already be Unicode NFC (the form Vietnamese keyboards and
the national portal produce). Non-NFC text is *rejected* with an error naming the field rather than
silently rewritten, so that the bytes an agency signed are the bytes stored; senders call
:func:`nfc` before building a payload.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, Strict

from schemas.errors import custom_error

__all__ = [
    "AgencyCode",
    "Day",
    "DossierCode",
    "EventId",
    "FullIdNumber",
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

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nfc(text: str) -> str:
    """Normalise ``text`` to Unicode NFC; use it on anything typed by a person before sending."""
    return unicodedata.normalize("NFC", text)


def _check_text(value: str) -> str:
    if not unicodedata.is_normalized("NFC", value):
        raise custom_error(
            "non_nfc",
            "Text must be Unicode NFC (composed Vietnamese characters); normalise it with nfc() first",
            "Văn bản phải ở dạng Unicode dựng sẵn (NFC); hãy chuẩn hóa bằng nfc() trước khi gửi.",
        )
    if _CONTROL.search(value):
        raise custom_error(
            "control_char", "Text must not contain control characters", "Văn bản không được chứa ký tự điều khiển."
        )
    if not value.strip():
        raise custom_error("blank", "Text must not be blank", "Văn bản không được để trống.")
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


ShortText = Annotated[str, _text(200, "Text, Unicode NFC, 1-200 characters"), AfterValidator(_check_text)]
LongText = Annotated[str, _text(2000, "Text, Unicode NFC, 1-2000 characters"), AfterValidator(_check_text)]
Reason = Annotated[
    str, _text(1000, "Reason stated to the citizen, Unicode NFC, 1-1000 characters"), AfterValidator(_check_text)
]
RefText = Annotated[
    str, _text(120, "Reference number or code, Unicode NFC, 1-120 characters"), AfterValidator(_check_text)
]

AgencyCode = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        max_length=64,
        description="Agency code from schemas/agencies.yaml: one-stop, land-registry, tax, office, "
        "ward-<name>, dept-<name>, city-dept-<name>",
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
    Field(description="Instant, ISO 8601 with offset, e.g. 2026-02-13T16:30:00+07:00"),
]
Day = Annotated[date, BeforeValidator(_no_number), Field(description="Calendar date, YYYY-MM-DD")]
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
