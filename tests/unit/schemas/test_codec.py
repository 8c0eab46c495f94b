"""The CloudEvents Kafka binding, structured mode."""

from __future__ import annotations

import json

import pytest

from schemas import CONTENT_TYPE, EventDecodeError, EventValidationError, from_kafka_value, parse_event, to_kafka
from schemas.examples import example_event

from .conftest import DOSSIER


def test_record_is_key_dossier_value_whole_event_and_content_type_header() -> None:
    event = parse_event(example_event("vn.lienthong.handoff.requested"))
    key, value, headers = to_kafka(event)
    assert key == DOSSIER.encode()
    assert headers == [("content-type", b"application/cloudevents+json; charset=utf-8")]
    assert CONTENT_TYPE.startswith("application/cloudevents+json")
    body = json.loads(value.decode("utf-8"))
    assert body["type"] == "vn.lienthong.handoff.requested"
    assert body["data"]["handoff_id"]
    assert all(v is not None for v in body.values())  # absent attributes are omitted, not null
    assert "Hồ sơ" in value.decode("utf-8")  # UTF-8, not \u escapes
    assert from_kafka_value(value, headers) == event


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b'{"specversion": "1.0", ', "JSON"),
        (b"[1, 2, 3]", "object"),
        (b"42", "object"),
        (None, "tombstone"),
    ],
)
def test_poison_values_raise_a_decode_error(value: bytes | None, message: str) -> None:
    with pytest.raises(EventDecodeError, match=message) as caught:
        from_kafka_value(value)
    assert caught.value.errors()[0]["field"] == ""
    assert caught.value.errors()[0]["message_vi"]


def test_valid_json_but_invalid_event_raises_a_validation_error() -> None:
    raw = example_event("vn.lienthong.dossier.closed")
    del raw["subject"]
    with pytest.raises(EventValidationError) as caught:
        from_kafka_value(json.dumps(raw).encode())
    assert not isinstance(caught.value, EventDecodeError)
    assert caught.value.fields == ["subject"]


def test_binary_mode_records_are_refused() -> None:
    _, value, _ = to_kafka(parse_event(example_event("vn.lienthong.dossier.closed")))
    with pytest.raises(EventDecodeError, match="structured"):
        from_kafka_value(value, [("content-type", b"application/json")])
    with pytest.raises(EventDecodeError, match="missing content-type"):
        from_kafka_value(value, [("ce_id", b"1")])
    assert from_kafka_value(value, [("Content-Type", b"application/cloudevents+json")]).type.endswith("closed")
