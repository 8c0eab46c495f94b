"""The CloudEvents 1.0 envelope shared by every lienthong event.

Attributes keep their CloudEvents names (``specversion``, ``id``, ``source``, ``type``, ``subject``,
``time``, ``datacontenttype``, ``dataschema``); lienthong adds four extension attributes, lowercase
alphanumeric as CloudEvents requires:

- ``correlationid``  the liaison case the event belongs to (by default the dossier code);
- ``causationid``    the id of the event this one answers (absent for a spontaneous event);
- ``schemaversion``  version of the event's schema (the type name carries no version);
- ``rulesetversion`` the workflow pinned for the dossier, ``<procedure code>@<version>``.

``source`` is the sending agency's code, ``subject`` the dossier code. Unknown attributes are rejected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from schemas.agencies import AgencyKind, default_agencies
from schemas.errors import custom_error
from schemas.fields import AgencyCode, DossierCode, EventId, Instant, RulesetVersion
from schemas.payloads import Payload

__all__ = ["SCHEMA_VERSION", "SPEC_VERSION", "Envelope", "schema_uri"]

SPEC_VERSION = "1.0"
SCHEMA_VERSION = 1

DataT = TypeVar("DataT", bound=Payload)

CorrelationId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        max_length=128,
        description="Liaison case id (extension); by default the dossier code",
    ),
]


def schema_uri(event_type: str, version: int = SCHEMA_VERSION) -> str:
    """The ``dataschema`` URI of an event type; it is also the ``$id`` of its JSON Schema file."""
    return f"urn:lienthong:schema:{event_type}:v{version}"


class Envelope(BaseModel, Generic[DataT]):
    """Base of every event: CloudEvents attributes, lienthong extensions and a typed ``data``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Agency kinds allowed as ``source``; None: any registered agency.
    allowed_source_kinds: ClassVar[frozenset[AgencyKind] | None] = None

    specversion: Literal["1.0"] = Field(description="CloudEvents version, always 1.0")
    id: EventId
    source: AgencyCode = Field(description="Code of the sending agency (schemas/agencies.yaml)")
    type: str
    subject: DossierCode
    time: Instant = Field(description="When the fact happened at the sending agency, ISO 8601 with offset")
    datacontenttype: Literal["application/json"] = "application/json"
    schemaversion: Literal[1] = Field(description="Version of this event's schema (extension attribute)")
    dataschema: str | None = Field(default=None, max_length=200, description="URI of this event's JSON Schema")
    correlationid: CorrelationId
    causationid: EventId | None = Field(default=None, description="Id of the event this one answers (extension)")
    rulesetversion: RulesetVersion | None = None
    data: DataT

    @classmethod
    def event_type(cls) -> str:
        """The ``type`` string of this event class."""
        annotation = cls.model_fields["type"].annotation
        args: tuple[object, ...] = getattr(annotation, "__args__", ())
        if len(args) != 1 or not isinstance(args[0], str):
            raise TypeError(f"{cls.__name__} does not pin a single type")
        return str(args[0])

    @field_validator("source")
    @classmethod
    def _source_kind(cls, value: str) -> str:
        allowed = cls.allowed_source_kinds
        if allowed is not None and default_agencies().kind_of(value) not in allowed:
            kinds = ", ".join(sorted(allowed))
            raise custom_error(
                "source_kind",
                f"this event type may only be sent by an agency of kind: {kinds}",
                f"Loại sự kiện này chỉ được gửi bởi cơ quan thuộc loại: {kinds}.",
            )
        return value

    @field_validator("dataschema")
    @classmethod
    def _dataschema(cls, value: str | None, info: ValidationInfo) -> str | None:
        version = info.data.get("schemaversion", SCHEMA_VERSION)
        if value is not None and value != schema_uri(cls.event_type(), version):
            expected = schema_uri(cls.event_type(), version)
            raise custom_error(
                "dataschema",
                f"dataschema must be {expected} or absent",
                f"dataschema phải là {expected} hoặc bỏ trống.",
            )
        return value

    @field_validator("data")
    @classmethod
    def _after_time(cls, value: DataT, info: ValidationInfo) -> DataT:
        time = info.data.get("time")
        if not isinstance(time, datetime):
            return value
        for name, bound in value.after_event_time().items():
            # A date (payment deadline) may fall on the event's own day; an instant must be later.
            too_early = bound <= time if isinstance(bound, datetime) else bound < time.date()
            if too_early:
                raise custom_error(
                    "due_before_start",
                    f"{name} must be after the event time",
                    f"Trường {name} phải sau thời điểm của sự kiện.",
                    field=name,
                )
        return value
