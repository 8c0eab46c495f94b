"""The ``data`` of each lifecycle event: frozen, closed (unknown fields rejected), citizen data minimal.

Citizen data: the applicant's name and, optionally, a *masked* ID number. The one exception is
:class:`CadastralInfoSentData.taxpayer_id_number`, which tax needs to identify the taxpayer.
Money is integer VND. Texts must be Unicode NFC (see :mod:`schemas.fields`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationInfo, field_validator, model_validator

from schemas.errors import custom_error
from schemas.fields import (
    AgencyCode,
    Day,
    FullIdNumber,
    GroundCode,
    HandoffId,
    Instant,
    LongText,
    MaskedIdNumber,
    MoneyVnd,
    ProcedureCode,
    Reason,
    RefText,
    ShortText,
    StepId,
)

Channel = Literal["online", "counter", "postal"]
Uri = Annotated[str, Field(pattern=r"^(https?|urn|s3):\S+$", max_length=500, description="URI of the document")]
Count = Annotated[int, Strict(), Field(ge=0, le=1_000_000)]


class Payload(BaseModel):
    """Base of every event's ``data``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def after_event_time(self) -> dict[str, datetime | date]:
        """Fields that must fall after the event's ``time`` (dates: on or after its day)."""
        return {}


class Applicant(BaseModel):
    """The citizen, kept minimal: name and optionally a masked ID number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ShortText
    id_number_masked: MaskedIdNumber | None = None


class DocumentRef(BaseModel):
    """A document held by an agency system, referenced rather than copied."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: RefText
    title: ShortText
    uri: Uri | None = None


class Parcel(BaseModel):
    """A land parcel as the cadastral map identifies it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    map_sheet: RefText
    parcel_number: RefText
    area_m2: float = Field(gt=0, le=1e9)
    land_use_code: str = Field(pattern=r"^[A-Z]{2,4}$", description="Land use purpose code, e.g. ODT, CLN")
    address: ShortText | None = None


class DossierReceivedData(Payload):
    procedure_code: ProcedureCode
    workflow_version: int | None = Field(
        default=None, ge=1, description="Workflow version; omitted: the version in force at received_at"
    )
    receiving_unit: AgencyCode
    channel: Channel
    submitted_at: Instant | None = Field(
        default=None,
        description="Online dossiers: when the citizen submitted it on the portal (received_at is when the "
        "one-stop-shop took it in; the Office sees the delay between the two). Not after received_at.",
    )
    received_at: Instant
    appointment_at: Instant = Field(description="Appointment to return the result (ngày hẹn trả)")
    applicant: Applicant
    title: ShortText | None = None

    @model_validator(mode="after")
    def _submitted_online(self) -> Self:
        if self.submitted_at is None:
            return self
        if self.channel != "online":
            raise custom_error(
                "not_online",
                "submitted_at is given for online dossiers only",
                "Thời điểm nộp trực tuyến chỉ dùng cho hồ sơ nộp trực tuyến.",
                field="submitted_at",
            )
        if self.submitted_at > self.received_at:
            raise custom_error(
                "submitted_after_received",
                "submitted_at must not be after received_at",
                "Thời điểm nộp không được sau thời điểm tiếp nhận.",
                field="submitted_at",
            )
        return self

    @field_validator("appointment_at")
    @classmethod
    def _after_received(cls, value: datetime, info: ValidationInfo) -> datetime:
        received = info.data.get("received_at")
        if received is not None and value <= received:
            raise custom_error(
                "due_before_start",
                "appointment_at must be after received_at",
                "Ngày hẹn trả phải sau thời điểm tiếp nhận.",
            )
        return value


class HandoffRequestedData(Payload):
    handoff_id: HandoffId
    step_id: StepId
    from_agency: AgencyCode
    to_agency: AgencyCode
    due: Instant
    procedure_code: ProcedureCode
    workflow_version: int = Field(ge=1)
    previous_handoff_id: HandoffId | None = Field(
        default=None, description="The handoff this one continues; the sender's step on it is done"
    )
    note: LongText | None = None
    documents: tuple[DocumentRef, ...] = Field(default=(), max_length=50)

    @field_validator("to_agency")
    @classmethod
    def _not_self(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("from_agency"):
            raise custom_error(
                "self_handoff", "to_agency must differ from from_agency", "Cơ quan nhận phải khác cơ quan chuyển."
            )
        return value

    def after_event_time(self) -> dict[str, datetime | date]:
        return {"due": self.due}


class HandoffAcceptedData(Payload):
    handoff_id: HandoffId
    officer: ShortText | None = None
    note: LongText | None = None


class HandoffReturnedData(Payload):
    handoff_id: HandoffId
    reason: Reason
    return_to_step: StepId | None = None


class VerificationPostedData(Payload):
    handoff_id: HandoffId
    scope: tuple[Literal["land_origin", "use_status", "dispute", "planning", "boundary", "other"], ...] = Field(
        min_length=1, max_length=6
    )
    outcome: Literal["confirmed", "not_confirmed", "inconclusive"]
    findings: LongText
    document_refs: tuple[DocumentRef, ...] = Field(default=(), max_length=50)


class ListingStartedData(Payload):
    handoff_id: HandoffId
    location: ShortText
    starts_on: Day
    ends_on: Day

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("starts_on")
        if start is not None and value <= start:
            raise custom_error(
                "due_before_start", "ends_on must be after starts_on", "Ngày kết thúc niêm yết phải sau ngày bắt đầu."
            )
        return value


class ListingEndedData(Payload):
    handoff_id: HandoffId
    ended_on: Day
    objections_received: Count
    outcome: Literal["no_objection", "objections_received"]
    findings: LongText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.objections_received > 0) != (self.outcome == "objections_received"):
            raise custom_error(
                "inconsistent",
                "outcome must be 'objections_received' exactly when objections_received > 0",
                "Kết quả phải là 'objections_received' khi và chỉ khi có ý kiến phản ánh.",
                field="outcome",
            )
        return self


class CadastralInfoSentData(Payload):
    handoff_id: HandoffId
    form_number: RefText = Field(description="Number of the cadastral information form (phiếu chuyển thông tin)")
    parcel: Parcel
    declared_value_vnd: MoneyVnd | None = None
    taxpayer_name: ShortText
    taxpayer_id_number: FullIdNumber = Field(
        description="Full citizen ID number: tax needs it to identify the taxpayer (the only unmasked ID)"
    )


ObligationKind = Literal["registration_fee", "personal_income_tax", "land_use_fee", "other"]


class ObligationAmount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ObligationKind
    amount_vnd: MoneyVnd
    note: ShortText | None = Field(default=None, description="Required when kind is 'other'")

    @model_validator(mode="after")
    def _other_needs_note(self) -> Self:
        if self.kind == "other" and self.note is None:
            raise custom_error(
                "note_required", "note is required for kind 'other'", "Khoản 'other' phải có ghi chú.", field="note"
            )
        return self


class ObligationDeterminedData(Payload):
    handoff_id: HandoffId
    notice_number: RefText = Field(description="Number of the payment notice (thông báo nộp tiền)")
    amounts: tuple[ObligationAmount, ...] = Field(min_length=1, max_length=20)
    total_vnd: MoneyVnd
    payment_deadline: Day

    @field_validator("amounts")
    @classmethod
    def _unique_kinds(cls, value: tuple[ObligationAmount, ...]) -> tuple[ObligationAmount, ...]:
        kinds = [a.kind for a in value if a.kind != "other"]
        if len(kinds) != len(set(kinds)):
            raise custom_error(
                "duplicate", "each obligation kind may appear once", "Mỗi loại nghĩa vụ chỉ được xuất hiện một lần."
            )
        return value

    @field_validator("total_vnd")
    @classmethod
    def _total(cls, value: int, info: ValidationInfo) -> int:
        amounts = info.data.get("amounts")
        if amounts is not None and value != sum(a.amount_vnd for a in amounts):
            raise custom_error(
                "total", "total_vnd must equal the sum of amounts", "Tổng tiền phải bằng tổng các khoản."
            )
        return value

    def after_event_time(self) -> dict[str, datetime | date]:
        return {"payment_deadline": self.payment_deadline}


class ObligationPaidData(Payload):
    handoff_id: HandoffId
    notice_number: RefText
    amount_paid_vnd: MoneyVnd
    paid_at: Instant
    receipt_ref: RefText


class SupplementRequestedData(Payload):
    handoff_id: HandoffId | None = None
    reasons: tuple[Reason, ...] = Field(min_length=1, max_length=20)
    items: tuple[ShortText, ...] = Field(min_length=1, max_length=50)
    legal_basis: ShortText = Field(description="Provision requiring the items: no supplement outside the rules")
    reply_by: Day | None = None


class SupplementReceivedData(Payload):
    handoff_id: HandoffId | None = None
    items_received: tuple[ShortText, ...] = Field(min_length=1, max_length=50)
    note: LongText | None = None


class DossierSuspendedData(Payload):
    handoff_id: HandoffId | None = None
    ground: GroundCode | None = Field(
        default=None,
        description="The ground of the suspension, from the procedure's list (suspension.grounds of its "
        "workflow); a suspension without one, or on a ground not listed, raises a compliance alert",
    )
    reason: Reason
    legal_basis: ShortText | None = None


class DossierResumedData(Payload):
    handoff_id: HandoffId | None = None
    reason: Reason


class DossierRefusedData(Payload):
    handoff_id: HandoffId | None = None
    reason: Reason
    legal_basis: ShortText


class DossierCancelledData(Payload):
    reason: Reason
    requested_by: Literal["citizen", "agency"]


class ApologyIssuedData(Payload):
    handoff_id: HandoffId | None = None
    reason: Reason
    responsible_agency: AgencyCode
    new_appointment_at: Instant
    channel: Literal["counter", "email", "sms", "zalo", "postal", "portal"]

    def after_event_time(self) -> dict[str, datetime | date]:
        return {"new_appointment_at": self.new_appointment_at}


class ResultReadyData(Payload):
    handoff_id: HandoffId | None = None
    result: ShortText = Field(description="What the result is, e.g. 'Giấy chứng nhận đã chỉnh lý biến động'")
    signed_by: ShortText | None = Field(default=None, description="Title of the signing leader")
    document_refs: tuple[DocumentRef, ...] = Field(default=(), max_length=50)


class ResultReturnedData(Payload):
    channel: Channel
    recipient: Literal["applicant", "authorised_person"]
    note: LongText | None = None


class DossierClosedData(Payload):
    outcome: Literal["result_returned", "refused", "cancelled"]
    note: LongText | None = None
