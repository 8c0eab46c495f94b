"""What the watchdog keeps per dossier, and how one event changes it.

The watchdog reads the same event log as the router (``<prefix>.events``), which holds every event:
accepted ones, the handoffs the router opened itself, but also events the router quarantined and
repeats. So :func:`advance` first asks the router's own pure decision (``route``) on a private copy
of the ledger: what the router refused or already saw changes nothing here, and the handoffs the
router opens are folded at once (their copies in the log are then repeats). The clocks come from
``schemas.tracking``; the few facts the alert rules need on top (last activity per handoff,
supplement requests, unreasoned stops, bounces, result ready/returned) are kept beside them, with the
keys of the alerts already raised (deduplication lives in the same record as the state it guards).

Usage::

    state = advance(None, received, ctx, rules)          # None: the router refused it (or a repeat)
    state = advance(state, handoff, ctx, rules) or state
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.envelope import Envelope
from schemas.events import (
    ApologyIssued,
    DossierCancelled,
    DossierReceived,
    DossierRefused,
    DossierResumed,
    DossierSuspended,
    HandoffRequested,
    HandoffReturned,
    ResultReady,
    ResultReturned,
    SupplementRequested,
)
from schemas.tracking import DossierState, apply, start_dossier
from schemas.workflows import Workflow
from services.relay.routing import Ledger, RoutingContext, route
from services.stream.decoded import Decoded
from services.watchdog.rules import RuleSet

__all__ = ["STATES", "Mark", "Pending", "Stated", "WatchState", "advance", "workflow_of"]

_MAX_MARKS = 50


class Mark(BaseModel):
    """A fact with its time and the agency behind it (a supplement request, a bounce, a bare stop)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    agency: str
    subject: str  # the handoff id it names, else the dossier code
    kind: str = ""
    missing: str = ""  # for an unreasoned stop: "reason", "legal_basis"
    until: AwareDatetime | None = None  # for a suspension: when it was resumed
    unlisted: tuple[str, ...] = ()  # for a supplement request: the items naming none of the procedure's documents
    note: str = ""  # for a suspension: the reason stated (the citizen's notice prints it)
    basis: str = ""  # for a suspension: the legal basis stated, if any


class Stated(BaseModel):
    """An apology the responsible agency issued: its own stated reason and new appointment (the notice prints
    them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    agency: str  # who posted it
    responsible_agency: str
    reason: str
    new_appointment_at: AwareDatetime


class Pending(BaseModel):
    """An alert or notice decided but not yet acknowledged by Kafka: kept in the state row that records it
    as raised (one write), so a crash before the send cannot lose it; dropped once the send is acknowledged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: Literal["alerts", "notices"]
    id: str
    value: str  # the record's JSON, as it is sent
    at: AwareDatetime | None = None  # when it was raised (the audit tells a send under way from a stuck one)


class WatchState(BaseModel):
    """One dossier as the watchdog sees it (the value of the ``watchdog-state`` table, key = dossier code)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    ledger: Ledger
    dossier: DossierState
    applicant: str | None = None  # printed on the apology notice only
    activity: dict[str, AwareDatetime] = {}  # handoff id -> last event on it
    supplements: tuple[Mark, ...] = ()
    bounces: tuple[Mark, ...] = ()
    unreasoned: tuple[Mark, ...] = ()
    suspensions: tuple[Mark, ...] = ()  # kind: the ground given ("" for none); until: when resumed
    apologies: tuple[Stated, ...] = ()  # issued, in order
    result_ready_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    cancelled: Mark | None = None  # kind: who asked (citizen, agency); missing: "reason" when not of substance
    fired: tuple[str, ...] = ()  # keys of the alerts raised: subject|step|cycle|rule|level
    notices: tuple[str, ...] = ()  # ids of the notices drafted (apologies, suspensions)
    scheduled: tuple[int, ...] = ()  # instants (unix ms) of this dossier's entries in the deadline index
    outbox: tuple[Pending, ...] = ()  # raised here, not yet acknowledged on its topic

    @property
    def finished(self) -> bool:
        """Closed, refused or cancelled: no rule watches it any more."""
        return self.ledger.status == "closed" or self.dossier.closed


STATES = Decoded.of(WatchState)  # read by each event of the dossier, the timer and the Office's views


def workflow_of(state: WatchState, ctx: RoutingContext) -> Workflow:
    return ctx.workflows.get(state.ledger.procedure_code, state.ledger.workflow_version)


def advance(state: WatchState | None, event: Envelope[Any], ctx: RoutingContext, rules: RuleSet) -> WatchState | None:
    """The state after ``event``; None when the event changes nothing (refused by the router, a repeat)."""
    decision = route(state.ledger if state is not None else None, event, ctx)
    if decision.duplicate or decision.quarantine is not None or decision.ledger is None:
        return None
    ledger = decision.ledger
    workflow = ctx.workflows.get(ledger.procedure_code, ledger.workflow_version)
    events: list[Envelope[Any]] = [event, *decision.generated(event)]
    if state is None:
        if not isinstance(event, DossierReceived):  # pragma: no cover - route() only opens on reception
            return None
        dossier = start_dossier(event, workflow, ctx.calendar)
        state = WatchState(code=event.subject, ledger=ledger, dossier=dossier, applicant=event.data.applicant.name)
        events = events[1:]
    state = state.model_copy(update={"ledger": ledger})
    for item in events:
        held = state.dossier.open_handoffs()
        dossier = apply(state.dossier, item, workflow, ctx.calendar)
        state = _facts(state.model_copy(update={"dossier": dossier}), item, held, rules, workflow)
        state = _suspensions(state, item)
    return state


def _facts(
    state: WatchState, event: Envelope[Any], held: dict[str, str], rules: RuleSet, workflow: Workflow
) -> WatchState:
    at, source = event.time, event.source
    update: dict[str, Any] = {}
    refs: list[str] = []
    data = event.data
    if isinstance(event, HandoffRequested):
        refs = [data.handoff_id] + ([data.previous_handoff_id] if data.previous_handoff_id else [])
    elif isinstance(getattr(data, "handoff_id", None), str):
        refs = [data.handoff_id]
    else:  # news on the dossier from an agency: activity on every handoff it holds
        refs = [ref for ref, agency in held.items() if agency == source]
    if refs:
        update["activity"] = {**state.activity, **{ref: _later(state.activity.get(ref), at) for ref in refs}}
    subject = refs[0] if refs else state.code
    if isinstance(event, SupplementRequested):
        unlisted = workflow.unlisted(data.items)
        mark = Mark(at=at, agency=source, subject=subject, unlisted=unlisted)
        update["supplements"] = _push(state.supplements, mark)
    elif isinstance(event, HandoffReturned):
        update["bounces"] = _push(state.bounces, Mark(at=at, agency=source, subject=data.handoff_id))
    elif isinstance(event, DossierSuspended | DossierRefused):
        kind = "suspended" if isinstance(event, DossierSuspended) else "refused"
        missing = ""
        if not rules.compliance.substantive(event.data.reason):
            missing = "reason"
        elif kind == "suspended" and rules.compliance.suspension_needs_legal_basis and not event.data.legal_basis:
            missing = "legal_basis"
        if missing:
            mark = Mark(at=at, agency=source, subject=subject, kind=kind, missing=missing)
            update["unreasoned"] = _push(state.unreasoned, mark)
    elif isinstance(event, DossierCancelled) and state.cancelled is None:
        missing = "" if rules.compliance.substantive(event.data.reason) else "reason"
        update["cancelled"] = Mark(
            at=at, agency=source, subject=state.code, kind=event.data.requested_by, missing=missing
        )
    elif isinstance(event, ApologyIssued):
        stated = Stated(
            at=at,
            agency=source,
            responsible_agency=data.responsible_agency,
            reason=data.reason,
            new_appointment_at=data.new_appointment_at,
        )
        update["apologies"] = (*state.apologies, stated)[-_MAX_MARKS:]
    elif isinstance(event, ResultReady) and state.result_ready_at is None:
        update["result_ready_at"] = at
    elif isinstance(event, ResultReturned) and state.returned_at is None:
        update["returned_at"] = at
    return state.model_copy(update=update) if update else state


def _suspensions(state: WatchState, event: Envelope[Any]) -> WatchState:
    """A suspension opens a mark with its ground; a resumption closes the latest open one."""
    if isinstance(event, DossierSuspended):
        subject = event.data.handoff_id or state.code
        data = event.data
        mark = Mark(
            at=event.time,
            agency=event.source,
            subject=subject,
            kind=data.ground or "",
            note=data.reason,
            basis=data.legal_basis or "",
        )
        return state.model_copy(update={"suspensions": _push(state.suspensions, mark)})
    if isinstance(event, DossierResumed) and state.suspensions and state.suspensions[-1].until is None:
        last = state.suspensions[-1].model_copy(update={"until": event.time})
        return state.model_copy(update={"suspensions": (*state.suspensions[:-1], last)})
    return state


def _later(previous: datetime | None, at: datetime) -> datetime:
    return at if previous is None or at > previous else previous


def _push(marks: tuple[Mark, ...], mark: Mark) -> tuple[Mark, ...]:
    return (*marks, mark)[-_MAX_MARKS:]
