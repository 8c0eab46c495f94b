"""The planned schedule of a dossier: every step's start and due if each step used its whole budget.

One-stop officers use it to set the appointment date (ngày hẹn trả); tests use it to check that a
workflow's steps fit in its appointment budget.

Usage::

    plan = plan_dossier(workflow, received_at, default_calendar())
    plan.appointment_at, plan.step("tax-assess").due
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.errors import WorkflowError
from schemas.workcalendar import Pause, WorkingCalendar
from schemas.workflows import Workflow

__all__ = ["Plan", "PlannedStep", "plan_dossier"]


@dataclass(frozen=True)
class PlannedStep:
    step_id: str
    agency: str  # an agency code, or an agency kind (ward) chosen per dossier
    start: datetime
    due: datetime
    counted: bool  # False: the dossier clock is paused during the step (listing, payment)


@dataclass(frozen=True)
class Plan:
    counted_from: datetime
    appointment_at: datetime
    result_due: datetime  # due of the step whose completion stops the dossier clock
    steps: tuple[PlannedStep, ...]

    def step(self, step_id: str) -> PlannedStep:
        for planned in self.steps:
            if planned.step_id == step_id:
                return planned
        raise KeyError(step_id)

    @property
    def fits(self) -> bool:
        """Whether the steps' budgets fit in the appointment budget."""
        return self.result_due <= self.appointment_at


def plan_dossier(workflow: Workflow, received_at: datetime, calendar: WorkingCalendar) -> Plan:
    """Walk the route from intake to result; each step starts when all its predecessors are due, and is due
    as its clock will count it (:meth:`schemas.workflows.Budget.due`). Steps without a budget (the citizen
    paying) are planned as taking no time. The appointment is the dossier clock's due."""
    appointment_clock = workflow.appointment_budget
    counted_from = (
        calendar.day_count_start(received_at)
        if appointment_clock.whole_days is not None
        else calendar.intake_start(received_at)
    )
    planned: dict[str, PlannedStep] = {}
    for step in workflow.steps:
        first = not step.after
        start = max((planned[a].due for a in step.after), default=received_at)
        due = start if step.budget is None else step.budget.due(start, calendar, cutoff=first)
        planned[step.id] = PlannedStep(
            step_id=step.id,
            agency=step.agency or str(step.agency_kind),
            start=start,
            due=due,
            counted=not step.pauses_dossier_clock,
        )
    pauses: list[Pause] = [(p.start, p.due) for p in planned.values() if not p.counted]
    appointment = appointment_clock.due(received_at, calendar, cutoff=True, pauses=pauses)
    stop = set(workflow.dossier_clock.stop_on)
    finishing = [planned[s.id].due for s in workflow.steps if stop & set(s.completed_by)]
    if not finishing:
        raise WorkflowError(f"{workflow.key}: no step completes the dossier clock")
    return Plan(
        counted_from=counted_from,
        appointment_at=appointment,
        result_due=max(finishing),
        steps=tuple(planned.values()),
    )
