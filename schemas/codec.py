"""Events on Kafka: the CloudEvents Kafka protocol binding, **structured content mode**.

- record value: the whole CloudEvent as JSON, UTF-8 (attributes, extensions and ``data`` together);
- header ``content-type: application/cloudevents+json; charset=utf-8``;
- record key: the dossier code (``subject``), so every event of a dossier lands in one partition, in order.

Structured mode keeps the record self-describing: an archived value, a dead-letter entry or an HTTP
body is the same bytes, and it validates against the JSON Schema in ``schemas/json/``.
Absent optional attributes are omitted, never sent as ``null``.

Usage::

    key, value, headers = to_kafka(event)
    event = from_kafka_value(value)   # EventDecodeError / EventValidationError on a poison record
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schemas.envelope import Envelope
from schemas.errors import EventDecodeError
from schemas.events import Event, parse_event

__all__ = ["CONTENT_TYPE", "CONTENT_TYPE_HEADER", "from_kafka_value", "to_json", "to_kafka"]

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
CONTENT_TYPE_HEADER = "content-type"


def to_json(event: Envelope[Any]) -> bytes:
    """The structured-mode CloudEvent JSON of ``event`` (UTF-8, no ``null`` attributes)."""
    return event.model_dump_json(exclude_none=True).encode("utf-8")


def to_kafka(event: Envelope[Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """``(key, value, headers)`` for a Kafka producer: key = dossier code, value = CloudEvent JSON."""
    return (
        event.subject.encode("utf-8"),
        to_json(event),
        [(CONTENT_TYPE_HEADER, CONTENT_TYPE.encode("ascii"))],
    )


def from_kafka_value(value: bytes | None, headers: Iterable[tuple[str, bytes]] | None = None) -> Event:
    """Decode a record value. With ``headers``, also checks they announce structured mode
    (a binary-mode record would carry the attributes in ``ce_*`` headers instead)."""
    if value is None:
        raise EventDecodeError("record has no value (tombstone)", "Bản ghi không có giá trị.")
    if headers is not None:
        _check_content_type(headers)
    return parse_event(value)


def _check_content_type(headers: Iterable[tuple[str, bytes]]) -> None:
    for name, raw in headers:
        if name.lower() != CONTENT_TYPE_HEADER:
            continue
        media_type = raw.decode("latin-1").split(";", 1)[0].strip().lower()
        if media_type != "application/cloudevents+json":
            raise EventDecodeError(
                f"content-type {media_type!r} is not application/cloudevents+json (structured mode)",
                "Tiêu đề content-type phải là application/cloudevents+json (chế độ structured).",
            )
        return
    raise EventDecodeError(
        "missing content-type header (expected application/cloudevents+json)",
        "Thiếu tiêu đề content-type (cần application/cloudevents+json).",
    )
