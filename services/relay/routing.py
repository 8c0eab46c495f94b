"""The router's decisions: given a dossier's ledger and one event, what opens, what closes, who is told.

Pure, no I/O: ``route(ledger, event, ctx) -> Decision``. The router (:mod:`services.relay.router`) sends
``decision.emits`` to the agencies' outbound topics and ``decision.quarantine`` to the quarantine topic,
then stores ``decision.ledger`` in the ``ledger`` store; tests call it directly.

The ledger keeps one record per handoff. A handoff is open while its agency has a current step under it;
a step with ``starts_on: predecessor`` continues under the same handoff (tax determines, then confirms
payment). When an event completes a step (its type is in the step's ``completed_by`` and it comes from the
agency holding that step), the router advances: successors whose predecessors are all complete start,
under the same handoff if the agency is the same, else under a handoff the router opens on behalf of the
completing agency (a ``HandoffRequested`` it emits). Steps owned by an agency *kind* (the ward where the
parcel lies) wait for the completing agency to name the ward in an explicit ``HandoffRequested``.

Who is told: a handoff goes to its receiver; a step's result goes to the agency that handed the work over,
to the agencies of the steps it starts, and to the one-stop-shop (which answers the citizen) — except the
cadastral form, which carries the taxpayer's full ID number and goes to tax only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from schemas.agencies import default_agencies
from schemas.envelope import Envelope
from schemas.events import (
    DossierCancelled,
    DossierClosed,
    DossierReceived,
    DossierRefused,
    HandoffAccepted,
    HandoffRequested,
    HandoffReturned,
    ResultReady,
    new_event,
)
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Step, Workflow, WorkflowRegistry

__all__ = ["Decision", "Emit", "HandoffRecord", "Ledger", "Quarantine", "RoutingContext", "fingerprint", "route"]

ONE_STOP = "one-stop"
_SEEN_LIMIT = 500
# The counter (one-stop-shop, Office) speaks for the citizen on any open handoff: the supplement arrived,
# the apology was issued; the agency holding the handoff is told.
_COUNTER_TYPES = {"vn.lienthong.supplement.received", "vn.lienthong.apology.issued"}
# Data minimisation: events carrying more personal data than others need reach only these kinds of agency.
_RECIPIENT_KINDS = {"vn.lienthong.cadastral.sent": {"tax"}}  # the taxpayer's full ID number
_NAMESPACE = uuid.UUID("6f1c6a52-6e8f-4f5e-9d0c-6c69656e7468")  # "lienth" — deterministic handoff ids


class HandoffRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    handoff_id: str
    from_agency: str
    to_agency: str
    step_id: str  # the step the receiving agency is working on now (or finished last)
    status: Literal["open", "completed", "returned", "closed"]
    opened_at: datetime
    due: datetime | None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    previous_handoff_id: str | None = None
    internal: bool = False  # the first step's own record, never sent anywhere


class Ledger(BaseModel):
    """A dossier's liaison state: the handoff ledger plus what the router needs to judge the next event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    procedure_code: str
    workflow_version: int
    receiving_unit: str
    received_at: datetime
    appointment_at: datetime
    status: Literal["open", "result_ready", "closed"] = "open"
    handoffs: dict[str, HandoffRecord] = {}
    completed_steps: tuple[str, ...] = ()
    awaiting: tuple[str, ...] = ()  # ready steps owned by an agency kind, waiting for an explicit handoff
    bounces: int = 0
    supplements: int = 0
    events: int = 0
    last_event_at: datetime | None = None
    seen: tuple[str, ...] = ()  # processed event ids (most recent last): duplicates are no-ops
    prints: dict[str, str] = {}  # event id -> fingerprint of what it carried (ids the agencies sent)

    def open_handoffs(self) -> list[HandoffRecord]:
        return [h for h in self.handoffs.values() if h.status == "open"]

    def held_by(self, agency: str) -> list[HandoffRecord]:
        return [h for h in self.open_handoffs() if h.to_agency == agency]


@dataclass(frozen=True)
class Emit:
    agency: str
    event: Envelope[Any]


@dataclass(frozen=True)
class Quarantine:
    code: str  # machine-readable reason
    reason_en: str
    reason_vi: str


@dataclass(frozen=True)
class Decision:
    ledger: Ledger | None
    emits: tuple[Emit, ...] = ()
    quarantine: Quarantine | None = None
    duplicate: bool = False
    conflict: bool = False  # a duplicate id that carried something else: refused, the first one stands

    def generated(self, cause: Envelope[Any]) -> list[Envelope[Any]]:
        """Events the router wrote on an agency's behalf (handoffs it opened): they belong in the event
        log too, so every reader of the log sees the whole history. The ledger already counts them as
        seen, so reading them back is a no-op for the router."""
        return list({e.event.id: e.event for e in self.emits if e.event.id != cause.id}.values())


@dataclass(frozen=True)
class RoutingContext:
    workflows: WorkflowRegistry
    calendar: WorkingCalendar


def _q(code: str, en: str, vi: str) -> Decision:
    return Decision(ledger=None, quarantine=Quarantine(code, en, vi))


@dataclass
class _Work:
    """Mutable scratch state for one decision."""

    ledger: Ledger
    workflow: Workflow
    ctx: RoutingContext
    event: Envelope[Any]
    handoffs: dict[str, HandoffRecord] = field(default_factory=dict)
    completed: list[str] = field(default_factory=list)
    awaiting: list[str] = field(default_factory=list)
    emits: list[Emit] = field(default_factory=list)

    def tell(self, agencies: list[str], event: Envelope[Any] | None = None) -> None:
        sent = event or self.event
        allowed = _RECIPIENT_KINDS.get(sent.type)
        for agency in dict.fromkeys(agencies):
            if allowed is not None and default_agencies().kind_of(agency) not in allowed:
                continue
            if agency != self.event.source or sent is not self.event:
                if not any(e.agency == agency and e.event.id == sent.id for e in self.emits):
                    self.emits.append(Emit(agency, sent))

    def agency_of(self, step: Step) -> str | None:
        """Who does ``step`` on this event's day: a unit a reorganisation ended is replaced by its successor
        (a dossier opened on the old workflow version goes on without a new one)."""
        agency = self.ledger.receiving_unit if step.agency == ONE_STOP else step.agency
        return default_agencies().in_office(agency, self.event.time) if agency is not None else None


def fingerprint(event: Envelope[Any]) -> str:
    """What makes a repeat the same event: who sent what about which dossier (not ``time``, which a task
    endpoint stamps at each attempt)."""
    data = event.data.model_dump_json() if hasattr(event.data, "model_dump_json") else json.dumps(event.data)
    return hashlib.sha256(f"{event.source}\n{event.type}\n{event.subject}\n{data}".encode()).hexdigest()[:32]


def route(ledger: Ledger | None, event: Envelope[Any], ctx: RoutingContext) -> Decision:
    """Decide what ``event`` does to the dossier whose ledger is ``ledger`` (None: not received yet)."""
    if ledger is not None and event.id in ledger.seen:
        known = ledger.prints.get(event.id)
        return Decision(ledger=ledger, duplicate=True, conflict=known is not None and known != fingerprint(event))
    if isinstance(event, DossierReceived):
        return _receive(ledger, event, ctx)
    if ledger is None:
        return _q(
            "unknown_dossier",
            f"dossier {event.subject} was never received by the one-stop-shop",
            f"Hồ sơ {event.subject} chưa được Bộ phận Một cửa tiếp nhận.",
        )
    if ledger.status == "closed":
        return _q("dossier_closed", "the dossier is closed", "Hồ sơ đã kết thúc.")
    workflow = ctx.workflows.get(ledger.procedure_code, ledger.workflow_version)
    work = _Work(
        ledger, workflow, ctx, event, dict(ledger.handoffs), list(ledger.completed_steps), list(ledger.awaiting)
    )
    problem = _dispatch(work)
    if problem is not None:
        return Decision(ledger=None, quarantine=problem)
    return Decision(ledger=_finish(work), emits=tuple(work.emits))


def _receive(ledger: Ledger | None, event: DossierReceived, ctx: RoutingContext) -> Decision:
    if ledger is not None:
        return _q("already_received", "this dossier code was already received", "Mã hồ sơ này đã được tiếp nhận.")
    data = event.data
    try:
        if data.workflow_version is not None:
            workflow = ctx.workflows.get(data.procedure_code, data.workflow_version)
        else:
            workflow = ctx.workflows.in_force(data.procedure_code, data.received_at)
    except Exception as exc:  # noqa: BLE001 - WorkflowError: the message says which
        return _q("unknown_workflow", str(exc), f"Không có quy trình cho thủ tục {data.procedure_code}.")
    first = workflow.first_step
    start = HandoffRecord(
        handoff_id=f"{event.subject}:{first.id}",
        from_agency=event.source,
        to_agency=event.source if first.agency == ONE_STOP else (first.agency or event.source),
        step_id=first.id,
        status="open",
        opened_at=event.time,
        due=_due(first, event.time, ctx.calendar, data.appointment_at),
        internal=True,
    )
    fresh = Ledger(
        code=event.subject,
        procedure_code=workflow.procedure_code,
        workflow_version=workflow.version,
        receiving_unit=event.source,
        received_at=data.received_at,
        appointment_at=data.appointment_at,
        handoffs={start.handoff_id: start},
        events=1,
        last_event_at=event.time,
        seen=(event.id,),
        prints={event.id: fingerprint(event)},
    )
    return Decision(ledger=fresh)


def _due(step: Step, start: datetime, calendar: WorkingCalendar, appointment: datetime) -> datetime | None:
    """The handoff's due as every clock counts it (:meth:`schemas.workflows.Budget.due`)."""
    if step.budget is None:
        return appointment
    return step.budget.due(start, calendar)


def _finish(work: _Work) -> Ledger:
    ledger, event = work.ledger, work.event
    status = ledger.status
    if isinstance(event, ResultReady):
        status = "result_ready"
    if isinstance(event, DossierClosed | DossierCancelled):
        status = "closed"
    if isinstance(event, DossierRefused):
        status = "closed"
    seen = (*ledger.seen, event.id, *_generated_ids(work))[-_SEEN_LIMIT:]
    return ledger.model_copy(
        update={
            "handoffs": work.handoffs,
            "completed_steps": tuple(work.completed),
            "awaiting": tuple(dict.fromkeys(work.awaiting)),
            "status": status,
            "events": ledger.events + 1,
            "last_event_at": event.time,
            "bounces": ledger.bounces + (1 if isinstance(event, HandoffReturned) else 0),
            "supplements": ledger.supplements + (1 if event.type == "vn.lienthong.supplement.requested" else 0),
            "seen": seen,
            "prints": _prints(ledger.prints, event, seen),
        }
    )


def _prints(prints: dict[str, str], event: Envelope[Any], seen: tuple[str, ...]) -> dict[str, str]:
    kept = set(seen)
    return {**{k: v for k, v in prints.items() if k in kept}, event.id: fingerprint(event)}


def _generated_ids(work: _Work) -> list[str]:
    return list(dict.fromkeys(e.event.id for e in work.emits if e.event is not work.event))


def _dispatch(work: _Work) -> Quarantine | None:
    event = work.event
    if isinstance(event, HandoffRequested):
        return _handoff(work, event)
    if isinstance(event, DossierClosed | DossierCancelled):
        return _close_all(work)
    ref = getattr(event.data, "handoff_id", None)
    counter = event.type in _COUNTER_TYPES and event.source in (work.ledger.receiving_unit, "office")
    if ref is not None:
        handoff = work.handoffs.get(ref)
        if handoff is None or (handoff.to_agency != event.source and not counter):
            return Quarantine(
                "not_addressed",
                f"handoff {ref} is not addressed to {event.source}",
                f"Phiếu chuyển {ref} không gửi cho {event.source}.",
            )
        if handoff.status != "open":
            return Quarantine(
                "handoff_not_open",
                f"handoff {ref} is {handoff.status}: its step is no longer open",
                f"Phiếu chuyển {ref} không còn mở (bước đã xong, đã trả lại hoặc đã đóng).",
            )
        if handoff.to_agency != event.source:  # the counter speaks about another agency's handoff
            work.tell([handoff.to_agency, handoff.from_agency])
            return None
        held = [handoff]
    else:
        held = work.ledger.held_by(event.source)
        if not held and event.source not in (ONE_STOP, work.ledger.receiving_unit, "office"):
            return Quarantine(
                "no_open_handoff",
                f"{event.source} holds no open handoff on this dossier",
                f"{event.source} không giữ phiếu chuyển nào đang mở của hồ sơ này.",
            )
    if isinstance(event, HandoffAccepted):
        h = held[0] = held[0].model_copy(update={"accepted_at": event.time})
        work.handoffs[h.handoff_id] = h
        if event.type not in work.workflow.step(h.step_id).completed_by:
            work.tell([h.from_agency])
            return None
    if isinstance(event, HandoffReturned):
        return _bounce(work, held[0], event)
    if isinstance(event, DossierRefused):
        return _close_all(work)
    for h in held:
        step = work.workflow.step(h.step_id)
        if event.type in step.completed_by:
            return _complete(work, h, step)
    # Not a completion: news on the dossier for whoever handed the work over, and the one-stop-shop.
    waiting = [h.from_agency for h in held if not h.internal]
    if not held:
        waiting = [h.to_agency for h in work.ledger.open_handoffs() if not h.internal]
    work.tell([*waiting, work.ledger.receiving_unit])
    return None


def _complete(work: _Work, handoff: HandoffRecord, step: Step) -> Quarantine | None:
    event = work.event
    work.completed.append(step.id)
    work.handoffs[handoff.handoff_id] = handoff.model_copy(update={"status": "completed", "closed_at": event.time})
    told = [] if handoff.internal else [handoff.from_agency]
    for nxt in work.workflow.successors(step.id):
        if nxt.id in work.completed or not set(nxt.after) <= set(work.completed):
            continue
        agency = work.agency_of(nxt)
        if agency == handoff.to_agency or (agency is None and nxt.starts_on == "predecessor"):
            work.handoffs[handoff.handoff_id] = handoff.model_copy(update={"step_id": nxt.id, "status": "open"})
        elif agency is None:
            work.awaiting.append(nxt.id)
        else:
            told.append(agency)
            _open(work, handoff, nxt, agency)
    work.tell([*told, work.ledger.receiving_unit])
    return None


def _open(work: _Work, previous: HandoffRecord, step: Step, agency: str) -> None:
    event = work.event
    handoff_id = str(uuid.uuid5(_NAMESPACE, f"{event.id}:{step.id}"))
    due = _due(step, event.time, work.ctx.calendar, work.ledger.appointment_at)
    if due is None or due <= event.time:  # already late (the appointment has passed): due at once
        due = event.time + timedelta(seconds=1)
    requested = new_event(
        HandoffRequested,
        source=previous.to_agency,
        subject=work.ledger.code,
        correlationid=event.correlationid,
        causationid=event.id,
        time=event.time,
        id=handoff_id,
        rulesetversion=work.workflow.key,
        data={
            "handoff_id": handoff_id,
            "step_id": step.id,
            "from_agency": previous.to_agency,
            "to_agency": agency,
            "due": due,
            "procedure_code": work.workflow.procedure_code,
            "workflow_version": work.workflow.version,
            "previous_handoff_id": None if previous.internal else previous.handoff_id,
        },
    )
    work.handoffs[handoff_id] = HandoffRecord(
        handoff_id=handoff_id,
        from_agency=previous.to_agency,
        to_agency=agency,
        step_id=step.id,
        status="open",
        opened_at=event.time,
        due=due,
        previous_handoff_id=previous.handoff_id,
    )
    work.tell([agency], requested)
    work.tell([agency])  # and the result that made it ready


def _handoff(work: _Work, event: HandoffRequested) -> Quarantine | None:
    data = event.data
    try:
        target = work.workflow.step(data.step_id)
    except Exception:  # noqa: BLE001 - WorkflowError
        return Quarantine(
            "unknown_step",
            f"step {data.step_id} is not in workflow {work.workflow.key}",
            f"Bước {data.step_id} không có trong quy trình {work.workflow.key}.",
        )
    if data.from_agency != event.source:
        return Quarantine(
            "wrong_sender",
            "from_agency must be the sending agency",
            "Cơ quan chuyển phải là cơ quan gửi sự kiện.",
        )
    if not target.accepts_agency(data.to_agency) and work.agency_of(target) != data.to_agency:
        return Quarantine(
            "wrong_receiver",
            f"step {target.id} is not done by {data.to_agency}",
            f"Bước {target.id} không do {data.to_agency} thực hiện.",
        )
    if (gone := default_agencies().ceased(data.to_agency, event.time)) is not None:
        return Quarantine(  # a reorganisation (data: agencies.yaml) ended it: its successor does the work now
            "agency_ceased",
            f"{data.to_agency} ceased after {gone.until:%Y-%m-%d}; hand over to {gone.successor}",
            f"{data.to_agency} đã chấm dứt hoạt động từ sau ngày {gone.until:%d/%m/%Y}; chuyển cho {gone.successor}.",
        )
    already = target.id in work.completed or any(
        h.step_id == target.id and h.status == "open" for h in work.handoffs.values()
    )
    if data.handoff_id in work.handoffs or already:
        return Quarantine(
            "already_open",
            f"step {target.id} already has a handoff",
            f"Bước {target.id} đã được chuyển xử lý.",
        )
    current = next(
        (h for h in work.ledger.held_by(event.source) if h.step_id in target.after),
        None,
    )
    awaited = (
        target.id in work.awaiting
        and set(target.after) <= set(work.completed)
        and any(h.step_id in target.after and h.to_agency == event.source for h in work.handoffs.values())
    )
    if current is None and not awaited:
        return Quarantine(
            "out_of_order",
            f"{event.source} holds no step that hands over to {target.id}",
            f"{event.source} không giữ bước nào được chuyển sang bước {target.id}.",
        )
    if current is not None:
        step = work.workflow.step(current.step_id)
        if event.type not in step.completed_by:
            return Quarantine(
                "out_of_order",
                f"step {step.id} is completed by {', '.join(step.completed_by)}, not by a handoff",
                f"Bước {step.id} không kết thúc bằng việc chuyển hồ sơ.",
            )
        work.completed.append(step.id)
        work.handoffs[current.handoff_id] = current.model_copy(update={"status": "completed", "closed_at": event.time})
        for nxt in work.workflow.successors(step.id):
            if nxt.id == target.id or not set(nxt.after) <= set(work.completed):
                continue
            if nxt.starts_on == "predecessor" and work.agency_of(nxt) in (None, event.source):
                # parallel work the sender goes on with under its own handoff (survey beside the ward's check)
                work.handoffs[current.handoff_id] = current.model_copy(update={"step_id": nxt.id})
            else:  # another branch the sender hands over next, in its own HandoffRequested
                work.awaiting.append(nxt.id)
    if target.id in work.awaiting:
        work.awaiting.remove(target.id)
    work.handoffs[data.handoff_id] = HandoffRecord(
        handoff_id=data.handoff_id,
        from_agency=event.source,
        to_agency=data.to_agency,
        step_id=target.id,
        status="open",
        opened_at=event.time,
        due=data.due,
        previous_handoff_id=current.handoff_id if current else data.previous_handoff_id,
    )
    work.tell([data.to_agency])
    return None


def _bounce(work: _Work, handoff: HandoffRecord, event: HandoffReturned) -> Quarantine | None:
    step = work.workflow.step(handoff.step_id)
    back_to = event.data.return_to_step
    previous = work.handoffs.get(handoff.previous_handoff_id or "")
    if back_to is None:
        back_to = previous.step_id if previous else work.workflow.first_step.id
    if back_to not in work.workflow.ancestors(step.id):
        return Quarantine(
            "bad_return",
            f"step {step.id} cannot return to {back_to}",
            f"Bước {step.id} không thể chuyển trả về bước {back_to}.",
        )
    redo = {back_to} | {s.id for s in work.workflow.steps if back_to in work.workflow.ancestors(s.id)}
    work.completed = [s for s in work.completed if s not in redo]
    work.handoffs[handoff.handoff_id] = handoff.model_copy(update={"status": "returned", "closed_at": event.time})
    if previous is not None:
        work.handoffs[previous.handoff_id] = previous.model_copy(
            update={"step_id": back_to, "status": "open", "closed_at": None}
        )
    work.tell([handoff.from_agency, work.ledger.receiving_unit])
    return None


def _close_all(work: _Work) -> Quarantine | None:
    event = work.event
    holders = [h.to_agency for h in work.ledger.open_handoffs() if not h.internal]
    for h in work.ledger.open_handoffs():
        work.handoffs[h.handoff_id] = h.model_copy(update={"status": "closed", "closed_at": event.time})
    work.tell([*holders, work.ledger.receiving_unit])
    return None
