"""lienthong's shared language: events, agencies, workflows, the working-day calendar, SLA clocks.

Everything here is pure (no network, no clients, nothing read at import); packaged YAML data
(agencies, workflows, calendar) is loaded on first use.
"""

from __future__ import annotations

from schemas.agencies import Agency, AgencyKind, AgencyRegistry, default_agencies, load_agencies
from schemas.codec import CONTENT_TYPE, from_kafka_value, to_json, to_kafka
from schemas.envelope import SCHEMA_VERSION, Envelope, schema_uri
from schemas.errors import (
    CalendarError,
    EventDecodeError,
    EventValidationError,
    FieldError,
    SchemaError,
    WorkflowError,
)
from schemas.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    ApologyIssued,
    CadastralInfoSent,
    DossierCancelled,
    DossierClosed,
    DossierReceived,
    DossierRefused,
    DossierResumed,
    DossierSuspended,
    Event,
    HandoffAccepted,
    HandoffRequested,
    HandoffReturned,
    ListingEnded,
    ListingStarted,
    ObligationDetermined,
    ObligationPaid,
    ResultReady,
    ResultReturned,
    SupplementReceived,
    SupplementRequested,
    VerificationPosted,
    new_event,
    parse_event,
)
from schemas.fields import mask_id_number, nfc
from schemas.planning import Plan, PlannedStep, plan_dossier
from schemas.sla import ClockStatus, Cycle, SlaClock, Verdict, verdict
from schemas.slip import SlipRow, slip
from schemas.tracking import DossierState, apply, fold, start_dossier
from schemas.workcalendar import CalendarConfig, WorkingCalendar, default_calendar, load_calendar
from schemas.workflows import Budget, Step, Workflow, WorkflowRegistry, default_workflows, load_workflows

__all__ = [
    "CONTENT_TYPE",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "Agency",
    "AgencyKind",
    "AgencyRegistry",
    "ApologyIssued",
    "Budget",
    "CadastralInfoSent",
    "CalendarConfig",
    "CalendarError",
    "ClockStatus",
    "Cycle",
    "DossierCancelled",
    "DossierClosed",
    "DossierReceived",
    "DossierRefused",
    "DossierResumed",
    "DossierState",
    "DossierSuspended",
    "Envelope",
    "Event",
    "EventDecodeError",
    "EventValidationError",
    "FieldError",
    "HandoffAccepted",
    "HandoffRequested",
    "HandoffReturned",
    "ListingEnded",
    "ListingStarted",
    "ObligationDetermined",
    "ObligationPaid",
    "Plan",
    "PlannedStep",
    "ResultReady",
    "ResultReturned",
    "SchemaError",
    "SlaClock",
    "SlipRow",
    "Step",
    "SupplementReceived",
    "SupplementRequested",
    "Verdict",
    "VerificationPosted",
    "WorkflowError",
    "Workflow",
    "WorkflowRegistry",
    "WorkingCalendar",
    "apply",
    "default_agencies",
    "default_calendar",
    "default_workflows",
    "fold",
    "from_kafka_value",
    "load_agencies",
    "load_calendar",
    "load_workflows",
    "mask_id_number",
    "new_event",
    "nfc",
    "parse_event",
    "plan_dossier",
    "schema_uri",
    "slip",
    "start_dossier",
    "to_json",
    "to_kafka",
    "verdict",
]
