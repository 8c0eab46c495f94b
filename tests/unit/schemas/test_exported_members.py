from __future__ import annotations

import schemas


def test_all_names_exist_and_are_unique() -> None:
    for name in schemas.__all__:
        assert hasattr(schemas, name), name
    assert len(set(schemas.__all__)) == len(schemas.__all__)


def test_public_surface_is_pinned() -> None:
    assert set(schemas.__all__) == {
        # events and their wire format
        "CONTENT_TYPE", "EVENT_CLASSES", "EVENT_TYPES", "SCHEMA_VERSION", "Envelope", "Event",
        "ApologyIssued", "CadastralInfoSent", "DossierCancelled", "DossierClosed", "DossierReceived",
        "DossierRefused", "DossierResumed", "DossierSuspended", "HandoffAccepted", "HandoffRequested",
        "HandoffReturned", "ListingEnded", "ListingStarted", "ObligationDetermined", "ObligationPaid",
        "ResultReady", "ResultReturned", "SupplementReceived", "SupplementRequested", "VerificationPosted",
        "new_event", "parse_event", "schema_uri", "to_json", "to_kafka", "from_kafka_value",
        "mask_id_number", "nfc",
        # errors
        "SchemaError", "EventValidationError", "EventDecodeError", "FieldError", "WorkflowError", "CalendarError",
        # agencies, workflows, calendar
        "Agency", "AgencyKind", "AgencyRegistry", "default_agencies", "load_agencies",
        "Budget", "Step", "Workflow", "WorkflowRegistry", "default_workflows", "load_workflows",
        "Plan", "PlannedStep", "plan_dossier",
        "CalendarConfig", "WorkingCalendar", "default_calendar", "load_calendar",
        # clocks
        "ClockStatus", "Cycle", "SlaClock", "Verdict", "verdict",
        "DossierState", "SlipRow", "apply", "fold", "slip", "start_dossier",
    }  # fmt: skip
