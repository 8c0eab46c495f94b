"""Errors raised by the ``schemas`` package, with bilingual field-level detail.

Exception tree::

    SchemaError (ValueError)
    ├── EventValidationError      an event payload is invalid; ``errors()`` lists the fields
    │   └── EventDecodeError      the bytes are not UTF-8 JSON (Kafka value, HTTP body)
    ├── WorkflowError             workflow data invalid, unknown procedure, no version in force
    └── CalendarError             calendar data invalid, naive datetime, date out of range

``EventValidationError.errors()`` returns plain dicts ``{"field", "message_vi", "message_en"}``
that the ingress API returns as 4xx detail as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

__all__ = [
    "CalendarError",
    "EventDecodeError",
    "EventValidationError",
    "FieldError",
    "SchemaError",
    "WorkflowError",
    "custom_error",
]

# Vietnamese wording for pydantic's built-in error types; English comes from pydantic itself.
_VI: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc.",
    "extra_forbidden": "Trường này không được phép.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_too_short": "Phải có ít nhất {min_length} ký tự.",
    "string_too_long": "Không được dài quá {max_length} ký tự.",
    "string_pattern_mismatch": "Không đúng định dạng.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "float_type": "Phải là số.",
    "float_parsing": "Phải là số.",
    "bool_type": "Phải là true hoặc false.",
    "greater_than": "Phải lớn hơn {gt}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "too_short": "Phải có ít nhất {min_length} phần tử.",
    "too_long": "Không được có quá {max_length} phần tử.",
    "literal_error": "Giá trị không hợp lệ; giá trị được chấp nhận: {expected}.",
    "enum": "Giá trị không hợp lệ; giá trị được chấp nhận: {expected}.",
    "datetime_type": "Phải là thời điểm theo ISO 8601, có múi giờ.",
    "datetime_parsing": "Phải là thời điểm theo ISO 8601, có múi giờ.",
    "datetime_from_date_parsing": "Phải là thời điểm theo ISO 8601, có múi giờ.",
    "timezone_aware": "Thời điểm phải có múi giờ (ví dụ +07:00).",
    "date_type": "Phải là ngày dạng YYYY-MM-DD.",
    "date_parsing": "Phải là ngày dạng YYYY-MM-DD.",
    "date_from_datetime_parsing": "Phải là ngày dạng YYYY-MM-DD.",
    "time_type": "Phải là giờ dạng HH:MM.",
    "time_parsing": "Phải là giờ dạng HH:MM.",
    "json_invalid": "Dữ liệu không phải JSON hợp lệ.",
    "json_type": "Dữ liệu không phải JSON hợp lệ.",
    "model_type": "Phải là một đối tượng JSON.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "list_type": "Phải là một mảng.",
    "tuple_type": "Phải là một mảng.",
    "frozen_instance": "Đối tượng không được sửa sau khi tạo.",
}


def custom_error(code: str, message_en: str, message_vi: str, field: str | None = None) -> PydanticCustomError:
    """A pydantic error carrying its Vietnamese text and, for model-level checks, the sub-field
    (relative to the validated model) it concerns.

    Raise it from a validator: ``raise custom_error("non_nfc", "...", "...")``.
    """
    ctx: dict[str, Any] = {"message_vi": message_vi}
    if field is not None:
        ctx["field"] = field
    return PydanticCustomError(f"lienthong_{code}", message_en, ctx)


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a dotted path (``data.amounts.0.amount_vnd``) and bilingual messages."""

    field: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message_vi": self.message_vi, "message_en": self.message_en}


class SchemaError(ValueError):
    """Base of every error raised by ``schemas``."""


class WorkflowError(SchemaError):
    """Workflow data is invalid, or no workflow matches a procedure code / version / instant."""


class CalendarError(SchemaError):
    """Calendar data is invalid, or an instant cannot be placed on the calendar."""


class EventValidationError(SchemaError):
    """An event is invalid. ``errors()`` gives field-level bilingual detail for a 4xx response.

    Usage::

        try:
            parse_event(body)
        except EventValidationError as exc:
            return 422, {"errors": exc.errors()}
    """

    def __init__(self, field_errors: Sequence[FieldError]) -> None:
        self.field_errors: tuple[FieldError, ...] = tuple(field_errors)
        summary = "; ".join(f"{e.field or '<event>'}: {e.message_en}" for e in self.field_errors[:5])
        super().__init__(f"invalid event ({len(self.field_errors)} error(s)): {summary}")

    def errors(self) -> list[dict[str, str]]:
        return [e.as_dict() for e in self.field_errors]

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.field_errors]

    @classmethod
    def from_pydantic(cls, exc: ValidationError, event_types: frozenset[str] = frozenset()) -> EventValidationError:
        return cls([_field_error(err, event_types) for err in exc.errors(include_url=False)])


class EventDecodeError(EventValidationError):
    """The bytes are not a JSON object in UTF-8 (a poison Kafka record, a broken HTTP body)."""

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__([FieldError(field="", message_vi=message_vi, message_en=message_en)])


def _kind_of(err: Mapping[str, Any]) -> str:
    return str(err.get("type", ""))


def _field_error(err: Mapping[str, Any], event_types: frozenset[str]) -> FieldError:
    loc = list(err.get("loc", ()))
    # A discriminated union prefixes the location with the tag (the event type): drop it.
    if loc and isinstance(loc[0], str) and loc[0] in event_types:
        loc = loc[1:]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    if _kind_of(err) in {"union_tag_invalid", "union_tag_not_found"}:
        # The discriminator itself is wrong or missing: name it, keep the message short.
        name = str(ctx.get("discriminator", "type")).strip("'")
        tag = ctx.get("tag")
        return FieldError(
            field=".".join([*map(str, loc), name]),
            message_vi=f"Loại sự kiện không được hỗ trợ: {tag}." if tag else f"Thiếu trường '{name}'.",
            message_en=f"Unknown event type '{tag}' (see schemas/json/README.md)" if tag else f"Missing '{name}'",
        )
    if ctx.get("field"):
        # A model-level check names the sub-field it concerns, relative to the model's location.
        loc.extend(str(ctx["field"]).split("."))
    field = ".".join(str(part) for part in loc)
    kind = _kind_of(err)
    message_en = str(err.get("msg", ""))
    if "message_vi" in ctx:
        message_vi = str(ctx["message_vi"])
    elif kind in _VI:
        try:
            message_vi = _VI[kind].format(**ctx)
        except (KeyError, IndexError):
            message_vi = _VI[kind]
    else:
        message_vi = f"Giá trị không hợp lệ ({message_en})."
    return FieldError(field=field, message_vi=message_vi, message_en=message_en)
