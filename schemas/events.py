"""The liaison lifecycle as events: one class per fact, one discriminated union ``Event`` over ``type``.

Usage::

    event = parse_event(body)                 # bytes | str | dict -> Event, or EventValidationError
    event = new_event(HandoffRequested, source="one-stop", subject=code, data={...})
    if isinstance(event, HandoffRequested): ...
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, overload
from zoneinfo import ZoneInfo

from pydantic import Field, TypeAdapter, ValidationError

from schemas.envelope import SCHEMA_VERSION, SPEC_VERSION, Envelope, schema_uri
from schemas.errors import EventDecodeError, EventValidationError
from schemas.payloads import (
    ApologyIssuedData,
    CadastralInfoSentData,
    DossierCancelledData,
    DossierClosedData,
    DossierReceivedData,
    DossierRefusedData,
    DossierResumedData,
    DossierSuspendedData,
    HandoffAcceptedData,
    HandoffRequestedData,
    HandoffReturnedData,
    ListingEndedData,
    ListingStartedData,
    ObligationDeterminedData,
    ObligationPaidData,
    Payload,
    ResultReadyData,
    ResultReturnedData,
    SupplementReceivedData,
    SupplementRequestedData,
    VerificationPostedData,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_P = "vn.lienthong."


class DossierReceived(Envelope[DossierReceivedData]):
    """Hồ sơ đã được tiếp nhận. The one-stop received a dossier; the dossier clock starts."""

    allowed_source_kinds = frozenset({"one-stop"})
    type: Literal["vn.lienthong.dossier.received"]


class HandoffRequested(Envelope[HandoffRequestedData]):
    """Chuyển hồ sơ liên thông. An agency hands the dossier (one workflow step) to another, with a due time."""

    type: Literal["vn.lienthong.handoff.requested"]


class HandoffAccepted(Envelope[HandoffAcceptedData]):
    """Đã nhận hồ sơ liên thông. The receiving agency took the handoff into its queue."""

    type: Literal["vn.lienthong.handoff.accepted"]


class HandoffReturned(Envelope[HandoffReturnedData]):
    """Chuyển trả hồ sơ. The receiving agency bounced the handoff back, with a reason."""

    type: Literal["vn.lienthong.handoff.returned"]


class VerificationPosted(Envelope[VerificationPostedData]):
    """Kết quả xác minh. The land registry or a ward posts its verification (land origin, use status...)."""

    allowed_source_kinds = frozenset({"land-registry", "ward"})
    type: Literal["vn.lienthong.verification.posted"]


class ListingStarted(Envelope[ListingStartedData]):
    """Bắt đầu niêm yết công khai. The ward started the public listing (typically 15 days)."""

    allowed_source_kinds = frozenset({"ward"})
    type: Literal["vn.lienthong.listing.started"]


class ListingEnded(Envelope[ListingEndedData]):
    """Kết thúc niêm yết công khai. The ward ended the public listing and reports objections, if any."""

    allowed_source_kinds = frozenset({"ward"})
    type: Literal["vn.lienthong.listing.ended"]


class CadastralInfoSent(Envelope[CadastralInfoSentData]):
    """Phiếu chuyển thông tin địa chính. The land registry sent cadastral information to tax."""

    allowed_source_kinds = frozenset({"land-registry"})
    type: Literal["vn.lienthong.cadastral.sent"]


class ObligationDetermined(Envelope[ObligationDeterminedData]):
    """Thông báo nghĩa vụ tài chính. Tax determined the amounts due (VND) and the payment deadline."""

    allowed_source_kinds = frozenset({"tax"})
    type: Literal["vn.lienthong.obligation.determined"]


class ObligationPaid(Envelope[ObligationPaidData]):
    """Xác nhận hoàn thành nghĩa vụ tài chính. Tax confirms the citizen paid."""

    allowed_source_kinds = frozenset({"tax"})
    type: Literal["vn.lienthong.obligation.paid"]


class SupplementRequested(Envelope[SupplementRequestedData]):
    """Yêu cầu bổ sung hồ sơ. One complete request with reasons and legal basis; pauses the clock."""

    type: Literal["vn.lienthong.supplement.requested"]


class SupplementReceived(Envelope[SupplementReceivedData]):
    """Đã nhận hồ sơ bổ sung. The citizen supplied the items; the clock resumes."""

    type: Literal["vn.lienthong.supplement.received"]


class DossierSuspended(Envelope[DossierSuspendedData]):
    """Tạm dừng giải quyết. Processing is suspended, with a stated reason; the clock pauses."""

    type: Literal["vn.lienthong.dossier.suspended"]


class DossierResumed(Envelope[DossierResumedData]):
    """Tiếp tục giải quyết. Processing resumes after a suspension, with a stated reason."""

    type: Literal["vn.lienthong.dossier.resumed"]


class DossierRefused(Envelope[DossierRefusedData]):
    """Từ chối giải quyết. The dossier is refused, with reason and legal basis; the clock stops."""

    type: Literal["vn.lienthong.dossier.refused"]


class DossierCancelled(Envelope[DossierCancelledData]):
    """Hủy hồ sơ. The dossier is cancelled (withdrawn by the citizen or cancelled by an agency)."""

    allowed_source_kinds = frozenset({"one-stop", "office"})
    type: Literal["vn.lienthong.dossier.cancelled"]


class ApologyIssued(Envelope[ApologyIssuedData]):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả. Apology with reason, responsible agency, new date."""

    type: Literal["vn.lienthong.apology.issued"]


class ResultReady(Envelope[ResultReadyData]):
    """Đã có kết quả. The result is signed and ready; the dossier clock stops here."""

    type: Literal["vn.lienthong.result.ready"]


class ResultReturned(Envelope[ResultReturnedData]):
    """Đã trả kết quả. The one-stop returned the result to the citizen."""

    allowed_source_kinds = frozenset({"one-stop"})
    type: Literal["vn.lienthong.result.returned"]


class DossierClosed(Envelope[DossierClosedData]):
    """Kết thúc hồ sơ. The dossier is closed in the electronic one-stop system."""

    allowed_source_kinds = frozenset({"one-stop", "office"})
    type: Literal["vn.lienthong.dossier.closed"]


EVENT_CLASSES: tuple[type[Envelope[Any]], ...] = (
    DossierReceived,
    HandoffRequested,
    HandoffAccepted,
    HandoffReturned,
    VerificationPosted,
    ListingStarted,
    ListingEnded,
    CadastralInfoSent,
    ObligationDetermined,
    ObligationPaid,
    SupplementRequested,
    SupplementReceived,
    DossierSuspended,
    DossierResumed,
    DossierRefused,
    DossierCancelled,
    ApologyIssued,
    ResultReady,
    ResultReturned,
    DossierClosed,
)

Event = Annotated[
    DossierReceived
    | HandoffRequested
    | HandoffAccepted
    | HandoffReturned
    | VerificationPosted
    | ListingStarted
    | ListingEnded
    | CadastralInfoSent
    | ObligationDetermined
    | ObligationPaid
    | SupplementRequested
    | SupplementReceived
    | DossierSuspended
    | DossierResumed
    | DossierRefused
    | DossierCancelled
    | ApologyIssued
    | ResultReady
    | ResultReturned
    | DossierClosed,
    Field(discriminator="type"),
]

EVENT_TYPES: dict[str, type[Envelope[Any]]] = {cls.event_type(): cls for cls in EVENT_CLASSES}
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
_TYPE_SET = frozenset(EVENT_TYPES)
E = TypeVar("E", bound=Envelope[Any])


def parse_event(obj: bytes | str | dict[str, Any]) -> Event:
    """Validate a wire event (UTF-8 JSON bytes, a JSON string, or a decoded dict).

    Raises :class:`EventDecodeError` for bytes that are not UTF-8 JSON, and
    :class:`EventValidationError` naming every invalid field otherwise.
    """
    try:
        if isinstance(obj, dict):
            return EVENT_ADAPTER.validate_python(obj)
        if isinstance(obj, bytes):
            try:
                obj = obj.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EventDecodeError(
                    f"event is not valid UTF-8: {exc.reason} at byte {exc.start}",
                    "Dữ liệu sự kiện không phải UTF-8 hợp lệ.",
                ) from None
        return EVENT_ADAPTER.validate_json(obj)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0] if exc.error_count() else None
        if first is not None and first["type"] in {"json_invalid", "json_type"}:
            raise EventDecodeError(
                f"event is not valid JSON: {first['msg']}", "Dữ liệu sự kiện không phải JSON hợp lệ."
            ) from None
        if (
            first is not None
            and not first["loc"]
            and first["type"] in {"model_attributes_type", "dict_type", "model_type"}
        ):
            raise EventDecodeError("event must be a JSON object", "Sự kiện phải là một đối tượng JSON.") from None
        raise EventValidationError.from_pydantic(exc, _TYPE_SET) from None


@overload
def new_event(
    type_or_cls: type[E],
    *,
    source: str,
    subject: str,
    data: Payload | dict[str, Any],
    correlationid: str | None = None,
    causationid: str | None = None,
    time: datetime | None = None,
    id: str | None = None,
    rulesetversion: str | None = None,
) -> E: ...
@overload
def new_event(
    type_or_cls: str,
    *,
    source: str,
    subject: str,
    data: Payload | dict[str, Any],
    correlationid: str | None = None,
    causationid: str | None = None,
    time: datetime | None = None,
    id: str | None = None,
    rulesetversion: str | None = None,
) -> Event: ...
def new_event(
    type_or_cls: type[Envelope[Any]] | str,
    *,
    source: str,
    subject: str,
    data: Payload | dict[str, Any],
    correlationid: str | None = None,
    causationid: str | None = None,
    time: datetime | None = None,
    id: str | None = None,
    rulesetversion: str | None = None,
) -> Envelope[Any]:
    """Build and validate an event. Defaults: a fresh UUID, now in Asia/Ho_Chi_Minh, the dossier code
    as correlation id, and the ``dataschema`` URI of the type. Raises :class:`EventValidationError`."""
    if isinstance(type_or_cls, str):
        if type_or_cls not in EVENT_TYPES:
            raise EventValidationError.from_pydantic(_unknown_type(type_or_cls))
        cls = EVENT_TYPES[type_or_cls]
    else:
        cls = type_or_cls
    event_type = cls.event_type()
    fields: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": id or str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "subject": subject,
        "time": time or datetime.now(TZ),
        "schemaversion": SCHEMA_VERSION,
        "dataschema": schema_uri(event_type),
        "correlationid": correlationid or subject,
        "causationid": causationid,
        "rulesetversion": rulesetversion,
        "data": data,
    }
    try:
        return cls.model_validate(fields)
    except ValidationError as exc:
        raise EventValidationError.from_pydantic(exc, _TYPE_SET) from None


def _unknown_type(event_type: str) -> ValidationError:
    try:
        EVENT_ADAPTER.validate_python({"type": event_type})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")  # pragma: no cover
