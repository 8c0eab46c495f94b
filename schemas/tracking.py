"""Fold a dossier's events into its clocks: one for the dossier, one per step (cycles per handoff).

Pure: ``apply(state, event, workflow, calendar) -> state``, no I/O, so the watchdog (incrementally,
state in a table) and the dashboard (from the event log) get the same answers.

Rules, taken from the workflow data:

- ``DossierReceived`` starts the dossier clock (intake cut-off applied) and the first step;
- ``HandoffRequested`` starts its step under its ``handoff_id``; a step with
  ``starts_on: predecessor`` starts, under the same handoff, when all its predecessors completed;
- an event in a step's ``completed_by`` completes the running cycle it answers: the cycle of the
  event's ``handoff_id`` (``previous_handoff_id`` for a handoff), or, without one, the sender's;
- ``HandoffReturned`` stops the cycles of that handoff (outcome ``returned``) and starts a new
  cycle of the step it returns to (``return_to_step``, else the sender's latest step); the
  returning step starts a new cycle, with the whole budget, when the dossier is handed to it again;
- durations (elapsed, paused) are office time of the calendar, except for calendar-day steps;
- clock rules pause, resume and stop the dossier clock and the step clocks (events naming a
  handoff only touch that handoff's cycles).

Events that do not fit (unknown step, answer to an unknown handoff) are kept in ``anomalies``.

Usage::

    state = fold(events, workflow, calendar)
    state.clock.status(now, calendar).remaining
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.envelope import Envelope
from schemas.events import (
    ApologyIssued,
    DossierClosed,
    DossierReceived,
    HandoffAccepted,
    HandoffRequested,
    HandoffReturned,
)
from schemas.sla import SlaClock
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import ClockRules, Step, Workflow

__all__ = ["DossierState", "HandoffInfo", "StepRun", "apply", "fold", "start_dossier"]

_MAX_ANOMALIES = 50


class HandoffInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    handoff_id: str
    step_id: str
    from_agency: str
    to_agency: str
    requested_at: AwareDatetime
    due_declared: AwareDatetime
    accepted_at: AwareDatetime | None = None
    officer: str | None = None  # who accepted it at the receiving agency (the late report names them)
    returned_reason: str | None = None


class StepRun(BaseModel):
    """A step's clock; ``agency`` and ``pause_reasons`` belong to the current cycle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step_id: str
    agency: str
    clock: SlaClock
    pause_reasons: tuple[str, ...] = ()

    @property
    def completed(self) -> bool:
        cycle = self.clock.current
        return cycle is not None and cycle.outcome == "completed"


class DossierState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dossier_code: str
    workflow_key: str
    received_at: AwareDatetime
    appointment_at: AwareDatetime
    channel: str | None = None  # online, counter, postal
    submitted_at: AwareDatetime | None = None  # online: when the citizen submitted it on the portal
    clock: SlaClock
    pause_reasons: tuple[str, ...] = ()
    steps: dict[str, StepRun] = {}
    handoffs: dict[str, HandoffInfo] = {}
    apologies: tuple[tuple[AwareDatetime, AwareDatetime, str], ...] = ()  # (at, new appointment, agency)
    closed: bool = False
    anomalies: tuple[str, ...] = ()

    def open_handoffs(self) -> dict[str, str]:
        """``handoff_id -> agency`` holding it, for handoffs with a running step: the router lets an
        agency answer a handoff only if it holds it."""
        held: dict[str, str] = {}
        for run in self.steps.values():
            cycle = run.clock.current
            if cycle is not None and cycle.stopped_at is None and cycle.ref is not None:
                held[cycle.ref] = run.agency
        return held


def _handoff_ref(event: Envelope[Any]) -> str | None:
    data = event.data
    if isinstance(event, HandoffRequested):
        return event.data.previous_handoff_id
    ref = getattr(data, "handoff_id", None)
    return ref if isinstance(ref, str) else None


def _start_step(
    state: DossierState,
    step: Step,
    agency: str,
    at: datetime,
    ref: str | None,
    cal: WorkingCalendar,
    apply_cutoff: bool = False,
) -> DossierState:
    run = state.steps.get(step.id)
    if run is None:
        budget = step.budget.duration(cal) if step.budget is not None else None
        basis = step.budget.basis if step.budget is not None else "working"
        days = step.budget.whole_days if step.budget is not None else None
        run = StepRun(step_id=step.id, agency=agency, clock=SlaClock(budget=budget, basis=basis, days=days))
    run = run.model_copy(
        update={"agency": agency, "clock": run.clock.start(at, apply_cutoff=apply_cutoff, ref=ref), "pause_reasons": ()}
    )
    return state.model_copy(update={"steps": {**state.steps, step.id: run}})


def _pause_resume(
    clock: SlaClock, reasons: tuple[str, ...], rules: ClockRules, event_type: str, at: datetime
) -> tuple[SlaClock, tuple[str, ...]]:
    if event_type in rules.pause_on and event_type not in reasons:
        return clock.pause(at), (*reasons, event_type)
    if event_type in rules.resume_on:
        reason = rules.pause_on[rules.resume_on.index(event_type)]
        left = tuple(r for r in reasons if r != reason)
        return (clock.resume(at) if not left else clock), left
    return clock, reasons


def _note(state: DossierState, message: str) -> DossierState:
    return state.model_copy(update={"anomalies": (*state.anomalies, message)[-_MAX_ANOMALIES:]})


def start_dossier(event: DossierReceived, workflow: Workflow, calendar: WorkingCalendar) -> DossierState:
    """The state right after reception: dossier clock and first step running."""
    data = event.data
    appointment = workflow.appointment_budget
    clock = SlaClock(budget=appointment.duration(calendar), days=appointment.whole_days)
    state = DossierState(
        dossier_code=event.subject,
        workflow_key=workflow.key,
        received_at=data.received_at,
        appointment_at=data.appointment_at,
        channel=data.channel,
        submitted_at=data.submitted_at,
        clock=clock.start(data.received_at, apply_cutoff=True),
    )
    return _start_step(state, workflow.first_step, event.source, data.received_at, None, calendar, apply_cutoff=True)


def apply(state: DossierState, event: Envelope[Any], workflow: Workflow, calendar: WorkingCalendar) -> DossierState:
    """The state after ``event`` (an event of this dossier, in log order)."""
    if event.subject != state.dossier_code:
        return _note(state, f"{event.id}: event of dossier {event.subject} ignored")
    at, kind, ref = event.time, event.type, _handoff_ref(event)
    if isinstance(event, HandoffRequested) and ref is not None and ref not in state.handoffs:
        state = _note(state, f"{event.id}: previous handoff {ref} unknown")
    elif not isinstance(event, HandoffRequested) and ref is not None and ref not in state.handoffs:
        state = _note(state, f"{event.id}: answers unknown handoff {ref}")

    # 1. completions (before a handoff starts the next step)
    completed: list[StepRun] = []
    steps = dict(state.steps)
    for step_id, run in state.steps.items():
        cycle = run.clock.current
        if cycle is None or cycle.stopped_at is not None or kind not in workflow.step(step_id).completed_by:
            continue
        if (cycle.ref == ref) if ref is not None else (run.agency == event.source):
            steps[step_id] = run.model_copy(update={"clock": run.clock.stop(at), "pause_reasons": ()})
            completed.append(steps[step_id])
    state = state.model_copy(update={"steps": steps})

    # 2. what the event itself starts or records
    if isinstance(event, HandoffRequested):
        data = event.data
        info = HandoffInfo(
            handoff_id=data.handoff_id,
            step_id=data.step_id,
            from_agency=data.from_agency,
            to_agency=data.to_agency,
            requested_at=at,
            due_declared=data.due,
        )
        state = state.model_copy(update={"handoffs": {**state.handoffs, data.handoff_id: info}})
        step = next((s for s in workflow.steps if s.id == data.step_id), None)
        if step is None:
            state = _note(state, f"{event.id}: {workflow.key} has no step {data.step_id}")
        else:
            if not step.accepts_agency(data.to_agency):
                state = _note(state, f"{event.id}: step {step.id} is not handled by {data.to_agency}")
            state = _start_step(state, step, data.to_agency, at, data.handoff_id, calendar)
    elif isinstance(event, HandoffAccepted) and ref in state.handoffs:
        info = state.handoffs[ref].model_copy(update={"accepted_at": at, "officer": event.data.officer})
        state = state.model_copy(update={"handoffs": {**state.handoffs, ref: info}})
    elif isinstance(event, HandoffReturned) and ref in state.handoffs:
        state = _bounce(state, event, ref, workflow, calendar)
    elif isinstance(event, ApologyIssued):
        apology = (at, event.data.new_appointment_at, event.data.responsible_agency)
        state = state.model_copy(update={"apologies": (*state.apologies, apology)})
    elif isinstance(event, DossierClosed):
        state = state.model_copy(update={"closed": True})

    # 3. steps that start when their predecessors are done (same agency, same handoff)
    for done in completed:
        for successor in workflow.successors(done.step_id):
            if successor.starts_on == "predecessor" and all(
                state.steps.get(a) is not None and state.steps[a].completed for a in successor.after
            ):
                state = _start_step(state, successor, done.agency, at, done.clock.cycles[-1].ref, calendar)

    # 4. pauses, resumptions and stops
    steps = dict(state.steps)
    for step_id, run in state.steps.items():
        if not run.clock.running:
            continue
        if (
            ref is not None
            and run.clock.current
            and run.clock.current.ref != ref
            and not isinstance(event, DossierClosed)
        ):
            continue
        rules = workflow.step_clock_rules(workflow.step(step_id))
        clock, reasons = _pause_resume(run.clock, run.pause_reasons, rules, kind, at)
        if kind in rules.stop_on or isinstance(event, DossierClosed):
            # a closed dossier has no open handoff left, as the router's ledger says: one truth for "open"
            clock = clock.stop(at, kind.rsplit(".", 1)[-1])
        steps[step_id] = run.model_copy(update={"clock": clock, "pause_reasons": reasons})
    clock, reasons = _pause_resume(state.clock, state.pause_reasons, workflow.dossier_clock, kind, at)
    if kind in workflow.dossier_clock.stop_on:
        clock = clock.stop(at, kind.rsplit(".", 1)[-1])
    return state.model_copy(update={"steps": steps, "clock": clock, "pause_reasons": reasons})


def _bounce(
    state: DossierState, event: HandoffReturned, ref: str, workflow: Workflow, calendar: WorkingCalendar
) -> DossierState:
    """Stop the returned handoff's cycles; the step it goes back to starts a new cycle."""
    at = event.time
    info = state.handoffs[ref].model_copy(update={"returned_reason": event.data.reason})
    steps = {
        sid: run.model_copy(update={"clock": run.clock.stop(at, "returned")})
        if run.clock.running and run.clock.current and run.clock.current.ref == ref
        else run
        for sid, run in state.steps.items()
    }
    state = state.model_copy(update={"handoffs": {**state.handoffs, ref: info}, "steps": steps})
    # Back to the named step, or to the sender's latest step.
    target = event.data.return_to_step
    if target is None:
        sent = [r for r in state.steps.values() if r.agency == info.from_agency and r.clock.current]
        latest = max(sent, key=lambda r: r.clock.cycles[-1].started_at, default=None)
        target = latest.step_id if latest is not None else None
    if target is None or target not in state.steps:
        return _note(state, f"{event.id}: no step to return {ref} to")
    back = state.steps[target]
    step = workflow.step(target)
    return _start_step(state, step, back.agency, at, back.clock.cycles[-1].ref, calendar)


def fold(events: Iterable[Envelope[Any]], workflow: Workflow, calendar: WorkingCalendar) -> DossierState:
    """Replay a dossier's event log (starting with its ``DossierReceived``)."""
    state: DossierState | None = None
    for event in events:
        if state is None:
            if not isinstance(event, DossierReceived):
                raise ValueError("a dossier's log starts with DossierReceived")
            state = start_dossier(event, workflow, calendar)
        else:
            state = apply(state, event, workflow, calendar)
    if state is None:
        raise ValueError("empty event log")
    return state
