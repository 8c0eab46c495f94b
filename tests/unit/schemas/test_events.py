"""Event models: JSON round trips, and invalid payloads rejected with the field named."""

from __future__ import annotations

import copy
import json
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import (
    EVENT_CLASSES,
    EVENT_TYPES,
    DossierReceived,
    EventValidationError,
    HandoffRequested,
    ObligationDetermined,
    mask_id_number,
    new_event,
    nfc,
    parse_event,
    schema_uri,
    to_json,
)
from schemas.examples import example_event

from .conftest import DOSSIER, vn


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_round_trips_json(event_type: str) -> None:
    raw = example_event(event_type)
    event = parse_event(json.dumps(raw, ensure_ascii=False).encode())
    assert type(event) is EVENT_TYPES[event_type]
    assert parse_event(to_json(event)) == event
    assert parse_event(event.model_dump_json()) == event
    assert parse_event(event.model_dump(mode="json")) == event
    assert json.loads(to_json(event)) == raw  # the example is exactly what we put on the wire


def test_there_is_one_class_per_type_and_types_have_no_version() -> None:
    assert len(EVENT_CLASSES) == len(EVENT_TYPES) == 20
    for event_type in EVENT_TYPES:
        assert event_type.startswith("vn.lienthong.")
        assert not any(part.startswith("v") and part[1:].isdigit() for part in event_type.split("."))


def test_models_are_frozen() -> None:
    event = parse_event(example_event("vn.lienthong.dossier.received"))
    with pytest.raises(ValidationError):
        event.subject = "other"  # type: ignore[misc]


def test_new_event_fills_the_envelope() -> None:
    event = new_event(
        HandoffRequested,
        source="land-registry",
        subject=DOSSIER,
        time=vn(2026, 2, 25, 10),
        causationid="abc",
        data={
            "handoff_id": "H-2",
            "step_id": "tax-assess",
            "from_agency": "land-registry",
            "to_agency": "tax",
            "due": vn(2026, 2, 27, 17),
            "procedure_code": "1.004227.000.00.00.H42",
            "workflow_version": 2,
        },
    )
    assert isinstance(event, HandoffRequested)
    assert event.specversion == "1.0"
    assert event.schemaversion == 1
    assert event.correlationid == DOSSIER
    assert event.dataschema == schema_uri("vn.lienthong.handoff.requested")
    assert len(event.id) == 36
    by_name = new_event(
        "vn.lienthong.handoff.requested", source="land-registry", subject=DOSSIER, data=event.data, time=event.time
    )
    assert isinstance(by_name, HandoffRequested)


def _mutate(event_type: str, path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(example_event(event_type))
    *parents, last = path.split(".")
    target: Any = raw
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return raw


_DELETE = object()
_DECOMPOSED = unicodedata.normalize("NFD", "Nguyễn Thị Hồng")

INVALID = [
    # (case, event type, path, new value, field named in the error)
    ("missing field", "vn.lienthong.dossier.received", "data.channel", _DELETE, "data.channel"),
    ("missing envelope attribute", "vn.lienthong.handoff.accepted", "id", _DELETE, "id"),
    (
        "wrong type",
        "vn.lienthong.obligation.determined",
        "data.amounts.0.amount_vnd",
        "12500000",
        "data.amounts.0.amount_vnd",
    ),
    ("wrong type (float money)", "vn.lienthong.obligation.paid", "data.amount_paid_vnd", 1.5, "data.amount_paid_vnd"),
    ("wrong type (object)", "vn.lienthong.dossier.received", "data.applicant", "Nguyễn", "data.applicant"),
    ("unknown event type", "vn.lienthong.dossier.received", "type", "vn.lienthong.dossier.teleported", "type"),
    ("unknown agency", "vn.lienthong.handoff.requested", "data.to_agency", "ward-atlantis", "data.to_agency"),
    ("unknown source", "vn.lienthong.handoff.accepted", "source", "dept-magic", "source"),
    ("source of the wrong kind", "vn.lienthong.obligation.determined", "source", "ward-loc-tho", "source"),
    (
        "due before received",
        "vn.lienthong.dossier.received",
        "data.appointment_at",
        "2026-02-13T08:00:00+07:00",
        "data.appointment_at",
    ),
    (
        "handoff due before its time",
        "vn.lienthong.handoff.requested",
        "data.due",
        "2026-02-23T08:00:00+07:00",
        "data.due",
    ),
    ("listing ends before it starts", "vn.lienthong.listing.started", "data.ends_on", "2026-03-01", "data.ends_on"),
    (
        "negative amount",
        "vn.lienthong.obligation.determined",
        "data.amounts.1.amount_vnd",
        -5,
        "data.amounts.1.amount_vnd",
    ),
    ("total does not add up", "vn.lienthong.obligation.determined", "data.total_vnd", 1, "data.total_vnd"),
    ("overlong text", "vn.lienthong.handoff.returned", "data.reason", "x" * 1001, "data.reason"),
    ("empty reason", "vn.lienthong.dossier.suspended", "data.reason", "   ", "data.reason"),
    ("control character", "vn.lienthong.result.ready", "data.result", "Giấy\x07", "data.result"),
    ("C1 control", "vn.lienthong.dossier.received", "data.applicant.name", "Lê Thị\u0085Mai", "data.applicant.name"),
    (
        "right-to-left override",
        "vn.lienthong.dossier.received",
        "data.applicant.name",
        "Nguyễn \u202eiaM",
        "data.applicant.name",
    ),
    (
        "only zero-width",
        "vn.lienthong.dossier.received",
        "data.applicant.name",
        "\u200b\u200d\ufeff",
        "data.applicant.name",
    ),
    ("year 9999", "vn.lienthong.dossier.closed", "time", "9999-12-31T23:00:00+07:00", "time"),
    ("past year 9999 in UTC", "vn.lienthong.dossier.closed", "time", "9999-12-31T23:00-12:00", "time"),
    ("before year 1 in UTC", "vn.lienthong.dossier.closed", "time", "0001-01-01T00:00+14:00", "time"),
    (
        "appointment in year 9999",
        "vn.lienthong.dossier.received",
        "data.appointment_at",
        "9999-01-01T08:00:00+07:00",
        "data.appointment_at",
    ),
    (
        "unmasked ID number",
        "vn.lienthong.dossier.received",
        "data.applicant.id_number_masked",
        "056190654321",
        "data.applicant.id_number_masked",
    ),
    ("unknown field", "vn.lienthong.dossier.closed", "data.secret", "x", "data.secret"),
    ("unknown envelope attribute", "vn.lienthong.dossier.closed", "traceparent", "x", "traceparent"),
    ("naive time", "vn.lienthong.dossier.closed", "time", "2026-03-05T08:35:00", "time"),
    ("timestamp as number", "vn.lienthong.dossier.closed", "time", 1772674500, "time"),
    ("wrong specversion", "vn.lienthong.dossier.closed", "specversion", "0.3", "specversion"),
    ("unsupported schema version", "vn.lienthong.dossier.closed", "schemaversion", 2, "schemaversion"),
    (
        "dataschema of another type",
        "vn.lienthong.dossier.closed",
        "dataschema",
        "urn:lienthong:schema:x:v1",
        "dataschema",
    ),
    ("bad dossier code", "vn.lienthong.dossier.closed", "subject", "hồ sơ 1", "subject"),
    ("self handoff", "vn.lienthong.handoff.requested", "data.to_agency", "one-stop", "data.to_agency"),
    ("outcome inconsistent", "vn.lienthong.listing.ended", "data.objections_received", 2, "data.outcome"),
    ("other without note", "vn.lienthong.obligation.determined", "data.amounts.1.kind", "other", "data.amounts.1.note"),
    (
        "duplicate obligation kind",
        "vn.lienthong.obligation.determined",
        "data.amounts.1.kind",
        "registration_fee",
        "data.amounts",
    ),
    ("no supplement reason", "vn.lienthong.supplement.requested", "data.reasons", [], "data.reasons"),
    ("missing legal basis", "vn.lienthong.supplement.requested", "data.legal_basis", _DELETE, "data.legal_basis"),
    (
        "apology date in the past",
        "vn.lienthong.apology.issued",
        "data.new_appointment_at",
        "2026-03-01T09:00:00+07:00",
        "data.new_appointment_at",
    ),
    (
        "portal submission of a counter dossier",
        "vn.lienthong.dossier.received",
        "data.submitted_at",
        "2026-02-13T10:00:00+07:00",
        "data.submitted_at",
    ),
    ("suspension ground not a code", "vn.lienthong.dossier.suspended", "data.ground", "Tranh chấp", "data.ground"),
    (
        "payment deadline before notice",
        "vn.lienthong.obligation.determined",
        "data.payment_deadline",
        "2026-02-01",
        "data.payment_deadline",
    ),
]


@pytest.mark.parametrize(
    ("event_type", "path", "value", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_payload_is_rejected_naming_the_field(event_type: str, path: str, value: Any, field: str) -> None:
    raw = _mutate(event_type, path, value)
    with pytest.raises(EventValidationError) as caught:
        parse_event(json.dumps(raw, ensure_ascii=False))
    errors = caught.value.errors()
    assert field in [e["field"] for e in errors], errors
    for error in errors:
        assert set(error) == {"field", "message_vi", "message_en"}
        assert error["message_vi"]
        assert error["message_en"]
        assert unicodedata.is_normalized("NFC", error["message_vi"])
    json.dumps(errors)  # serialisable as a 4xx body


def test_an_online_dossier_is_submitted_before_it_is_taken_in() -> None:
    raw = _mutate("vn.lienthong.dossier.received", "data.channel", "online")
    raw["data"]["submitted_at"] = "2026-02-13T10:00:00+07:00"
    event = parse_event(json.dumps(raw, ensure_ascii=False))
    assert event.data.submitted_at.isoformat() == "2026-02-13T10:00:00+07:00"
    raw["data"]["submitted_at"] = "2026-02-13T17:00:00+07:00"  # after received_at (16:30)
    with pytest.raises(EventValidationError) as caught:
        parse_event(json.dumps(raw, ensure_ascii=False))
    [error] = caught.value.errors()
    assert error["field"] == "data.submitted_at"
    assert error["message_vi"] == "Thời điểm nộp không được sau thời điểm tiếp nhận."


def test_error_messages_are_bilingual() -> None:
    raw = _mutate("vn.lienthong.dossier.received", "data.applicant.name", "Lê \u202eMai")
    with pytest.raises(EventValidationError) as caught:
        parse_event(raw)
    (error,) = caught.value.errors()
    assert "U+202E" in error["message_en"]
    assert "U+202E" in error["message_vi"]
    assert "Văn bản" in error["message_vi"]
    assert caught.value.fields == ["data.applicant.name"]


def test_decomposed_text_is_accepted_and_stored_composed() -> None:
    """Some input methods and operating systems type NFD: accepted, stored (and forwarded) as NFC."""
    event = parse_event(_mutate("vn.lienthong.dossier.received", "data.applicant.name", _DECOMPOSED))
    assert isinstance(event, DossierReceived)
    assert event.data.applicant.name == nfc(_DECOMPOSED)
    assert unicodedata.is_normalized("NFC", event.data.applicant.name)
    assert _DECOMPOSED != nfc(_DECOMPOSED)


def test_mask_id_number() -> None:
    assert mask_id_number("056190654321") == "056******321"
    assert mask_id_number("123456789") == "123***789"
    with pytest.raises(ValueError, match="digits"):
        mask_id_number("12AB")


def test_new_event_with_unknown_type_names_the_type() -> None:
    with pytest.raises(EventValidationError) as caught:
        new_event("vn.lienthong.nope", source="one-stop", subject=DOSSIER, data={})
    assert caught.value.fields == ["type"]


texts = (
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), min_size=1, max_size=200)
    .map(nfc)
    .filter(lambda s: s.strip() != "" and len(s) <= 200)
)


@settings(max_examples=100, deadline=None)
@given(
    name=texts,
    minutes=st.integers(min_value=1, max_value=60 * 24 * 60),
    channel=st.sampled_from(["online", "counter", "postal"]),
)
def test_dossier_received_round_trips_for_any_text(name: str, minutes: int, channel: str) -> None:
    received = vn(2026, 2, 13, 9)
    event = new_event(
        DossierReceived,
        source="one-stop",
        subject=DOSSIER,
        time=received,
        data={
            "procedure_code": "1.004227.000.00.00.H42",
            "receiving_unit": "one-stop",
            "channel": channel,
            "received_at": received,
            "appointment_at": received + timedelta(minutes=minutes),
            "applicant": {"name": name},
        },
    )
    assert parse_event(to_json(event)) == event


@settings(max_examples=100, deadline=None)
@given(amounts=st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=3))
def test_obligation_round_trips_for_any_amounts(amounts: list[int]) -> None:
    kinds = ["registration_fee", "personal_income_tax", "land_use_fee"]
    event = new_event(
        ObligationDetermined,
        source="tax",
        subject=DOSSIER,
        time=vn(2026, 2, 27, 15),
        data={
            "handoff_id": "H-1",
            "notice_number": "TB-1",
            "amounts": [{"kind": k, "amount_vnd": a} for k, a in zip(kinds, amounts, strict=False)],
            "total_vnd": sum(amounts),
            "payment_deadline": "2026-03-29",
        },
    )
    assert parse_event(to_json(event)) == event
    assert isinstance(event.data.total_vnd, int)
