"""Procedure workflows as versioned data: ``schemas/workflows/<name>.v<version>.yaml``.

A workflow lists the steps of one procedure (mã TTHC): the responsible agency, the predecessors
(``after``: the handoff route; two steps after the same one run in parallel, a step after several
waits for all), the per-step budget, the events that complete a step and those that pause its
clock, and the overall appointment budget. A dossier keeps the version in force when it was
received (:meth:`WorkflowRegistry.in_force`); a new version only affects new dossiers.

Usage::

    registry = load_workflows()
    workflow = registry.in_force("1.004227.000.00.00.H42", received_at)
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.agencies import AgencyKind, default_agencies
from schemas.errors import WorkflowError
from schemas.events import EVENT_TYPES
from schemas.fields import GroundCode, ProcedureCode, StepId
from schemas.sla import Cycle, SlaClock, due_of
from schemas.workcalendar import Pause, WorkingCalendar

__all__ = [
    "WORKFLOWS_DIR",
    "Budget",
    "ClockRules",
    "Document",
    "Step",
    "Suspension",
    "SuspensionGround",
    "Workflow",
    "WorkflowRegistry",
    "default_workflows",
    "load_workflow",
    "load_workflows",
]

WORKFLOWS_DIR = Path(__file__).parent  # the YAML files sit beside this module (packaged as data)
_CLOSED = ConfigDict(frozen=True, extra="forbid")


def _known_types(types: tuple[str, ...], where: str) -> None:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"{where}: unknown event types {unknown}")


class Budget(BaseModel):
    """Exactly one of: working days, working hours (office time), or calendar days (e.g. a listing)."""

    model_config = _CLOSED

    working_days: float | None = Field(default=None, gt=0, le=365)
    working_hours: float | None = Field(default=None, gt=0, le=2000)
    calendar_days: int | None = Field(default=None, gt=0, le=365)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if sum(v is not None for v in (self.working_days, self.working_hours, self.calendar_days)) != 1:
            raise ValueError("give exactly one of working_days, working_hours, calendar_days")
        return self

    @property
    def basis(self) -> Literal["working", "calendar"]:
        return "calendar" if self.calendar_days is not None else "working"

    def clock(self, calendar: WorkingCalendar) -> SlaClock:
        """A clock with this budget (not started)."""
        return SlaClock(budget=self.duration(calendar), basis=self.basis, days=self.whole_days)

    def due(
        self, start: datetime, calendar: WorkingCalendar, cutoff: bool = False, pauses: Iterable[Pause] = ()
    ) -> datetime:
        """When work started at ``start`` with this budget is due, as every clock counts it (``cutoff``: a
        dossier received at the counter; ``pauses``: closed pauses, time not counted)."""
        cycle = Cycle(started_at=start, apply_cutoff=cutoff)
        due = due_of(cycle, self.clock(calendar), calendar, pauses=tuple(pauses))
        if due is None:
            raise WorkflowError("a budget's due is unknown while a pause is open")
        return due

    @property
    def whole_days(self) -> int | None:
        """N for a budget of N whole working days, counted as days (the Civil Code's way: the receipt day is
        not counted, the period ends at the end of its last day); None for hours and fractions of a day,
        which run from the instant."""
        days = self.working_days
        return int(days) if days is not None and float(days).is_integer() else None

    def duration(self, calendar: WorkingCalendar) -> timedelta:
        """Office time for a working budget, wall-clock time for a calendar-days budget."""
        if self.working_days is not None:
            return calendar.days(self.working_days)
        if self.working_hours is not None:
            return calendar.hours(self.working_hours)
        return timedelta(days=self.calendar_days or 0)


class ClockRules(BaseModel):
    """Events that pause, resume and stop a clock. ``pause_on[i]`` is undone by ``resume_on[i]``:
    a clock paused for two reasons (a supplement during a suspension) resumes when both are over."""

    model_config = _CLOSED

    pause_on: tuple[str, ...] = ()
    resume_on: tuple[str, ...] = ()
    stop_on: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _known(self) -> Self:
        _known_types(self.pause_on + self.resume_on + self.stop_on, "clock")
        if len(self.pause_on) != len(self.resume_on):
            raise ValueError("pause_on and resume_on are pairs: give them the same length")
        if len(set(self.pause_on)) != len(self.pause_on) or len(set(self.resume_on)) != len(self.resume_on):
            raise ValueError("an event may pause or resume for one reason only")
        return self


class Step(BaseModel):
    """One agency's share of the work. ``agency`` names a fixed agency; ``agency_kind`` (ward)
    means the agency of that kind chosen per dossier (the ward where the parcel lies)."""

    model_config = _CLOSED

    id: StepId
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    agency: str | None = None
    agency_kind: AgencyKind | None = None
    after: tuple[StepId, ...] = ()
    starts_on: Literal["handoff", "predecessor"] = Field(
        default="handoff",
        description="handoff: a HandoffRequested for this step starts it; predecessor: the same agency "
        "goes on under the same handoff when its predecessors complete",
    )
    budget: Budget | None = Field(default=None, description="None: time not counted (e.g. the citizen paying)")
    completed_by: tuple[str, ...] = Field(min_length=1)
    clock: ClockRules | None = Field(default=None, description="None: the workflow's step clock rules")
    pauses_dossier_clock: bool = Field(default=False, description="The dossier clock is paused during this step")
    may_return_to: tuple[StepId, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if (self.agency is None) == (self.agency_kind is None):
            raise ValueError(f"step {self.id}: give exactly one of agency, agency_kind")
        if self.agency is not None and self.agency not in default_agencies():
            raise ValueError(f"step {self.id}: unknown agency {self.agency!r}")
        _known_types(self.completed_by, f"step {self.id}")
        return self

    def accepts_agency(self, code: str) -> bool:
        if self.agency is not None:
            return code == self.agency
        return code in default_agencies() and default_agencies().kind_of(code) == self.agency_kind


class SuspensionGround(BaseModel):
    """A ground on which processing of the procedure may be suspended (tạm dừng), with its longest duration."""

    model_config = _CLOSED

    code: GroundCode
    name_vi: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    legal_basis: str = Field(min_length=1, max_length=300)
    max_working_days: int = Field(ge=1, le=365, description="A suspension longer than this raises an alert")


def _plain(text: str) -> str:
    """Text compared as a reader would: NFC, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class Document(BaseModel):
    """A document the procedure's dossier consists of (thành phần hồ sơ): a supplement may ask for these only."""

    model_config = _CLOSED

    code: GroundCode
    name_vi: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)

    def named_by(self, item: str) -> bool:
        """``item`` (a supplement request's item) names this document: its code, or its Vietnamese or English
        name followed by nothing or by a remark ("... (bản chính)", "... có đủ chữ ký các bên")."""
        said = _plain(item)
        if said == self.code:
            return True
        for name in (self.name_vi, self.name_en):
            plain = _plain(name.split(" (")[0])
            if said == plain or said.startswith((plain + " ", plain + ",")):
                return True
        return False


class Suspension(BaseModel):
    """The grounds a procedure may be suspended on. None listed: every suspension raises the ground alert."""

    model_config = _CLOSED

    grounds: tuple[SuspensionGround, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        codes = [g.code for g in self.grounds]
        if len(codes) != len(set(codes)):
            raise ValueError("suspension ground codes must be unique")
        return self

    def ground(self, code: str | None) -> SuspensionGround | None:
        return next((g for g in self.grounds if g.code == code), None)


class Workflow(BaseModel):
    """One version of one procedure's workflow."""

    model_config = _CLOSED

    procedure_code: ProcedureCode
    version: int = Field(ge=1)
    valid_from: AwareDatetime
    name_vi: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    legal_basis: tuple[str, ...] = Field(min_length=1)
    appointment_budget: Budget
    dossier_clock: ClockRules
    step_clock: ClockRules = ClockRules()
    steps: tuple[Step, ...] = Field(min_length=1)
    suspension: Suspension = Suspension()
    documents: tuple[Document, ...] = Field(
        default=(), description="The documents of the dossier; empty: supplement requests are not checked"
    )

    def unlisted(self, items: Iterable[str]) -> tuple[str, ...]:
        """The items of a supplement request that name none of the procedure's documents."""
        if not self.documents:
            return ()
        return tuple(item for item in items if not any(d.named_by(item) for d in self.documents))

    @model_validator(mode="after")
    def _valid(self) -> Self:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError("step ids must be unique")
        roots = [s.id for s in self.steps if not s.after]
        if len(roots) != 1:
            raise ValueError(f"exactly one first step (without 'after') expected, got {roots}")
        seen: set[str] = set()
        for step in self.steps:  # listed in route order: predecessors first, which also rules out cycles
            missing = [a for a in step.after if a not in seen]
            if missing:
                raise ValueError(f"step {step.id}: predecessors {missing} must be listed before it")
            wrong = [r for r in step.may_return_to if r not in self.ancestors(step.id)]
            if wrong:
                raise ValueError(f"step {step.id}: may_return_to {wrong} are not earlier steps")
            if step.pauses_dossier_clock and not set(step.completed_by) <= set(self.dossier_clock.resume_on):
                raise ValueError(f"step {step.id} pauses the dossier clock: its completion must resume it")
            seen.add(step.id)
        if self.appointment_budget.basis != "working":
            raise ValueError("the appointment budget is counted in working time")
        return self

    @property
    def key(self) -> str:
        """``<procedure code>@<version>``: the envelope's ``rulesetversion``."""
        return f"{self.procedure_code}@{self.version}"

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise WorkflowError(f"{self.key} has no step {step_id!r}")

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    def successors(self, step_id: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if step_id in s.after)

    def ancestors(self, step_id: str) -> set[str]:
        found: set[str] = set()
        todo = list(next((s.after for s in self.steps if s.id == step_id), ()))
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(next((s.after for s in self.steps if s.id == current), ()))
        return found

    def step_clock_rules(self, step: Step) -> ClockRules:
        return step.clock or self.step_clock


class WorkflowRegistry:
    """All versions of all workflows, by procedure code."""

    def __init__(self, workflows: list[Workflow]) -> None:
        self._by_code: dict[str, list[Workflow]] = {}
        for workflow in sorted(workflows, key=lambda w: (w.procedure_code, w.version)):
            versions = self._by_code.setdefault(workflow.procedure_code, [])
            if versions and versions[-1].version == workflow.version:
                raise WorkflowError(f"{workflow.key} is defined twice")
            if versions and versions[-1].valid_from >= workflow.valid_from:
                raise WorkflowError(f"{workflow.key} must take effect after version {versions[-1].version}")
            versions.append(workflow)

    def __iter__(self) -> Iterator[Workflow]:
        return (w for versions in self._by_code.values() for w in versions)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_code.values())

    @property
    def procedure_codes(self) -> tuple[str, ...]:
        return tuple(self._by_code)

    def get(self, procedure_code: str, version: int) -> Workflow:
        for workflow in self._by_code.get(procedure_code, ()):
            if workflow.version == version:
                return workflow
        raise WorkflowError(f"no workflow {procedure_code}@{version}")

    def in_force(self, procedure_code: str, at: datetime) -> Workflow:
        """The version in force at ``at`` (the dossier's reception): the latest taking effect by then."""
        if at.tzinfo is None:
            raise WorkflowError("'at' must be timezone-aware")
        versions = self._by_code.get(procedure_code)
        if not versions:
            raise WorkflowError(f"no workflow for procedure {procedure_code!r}")
        candidates = [w for w in versions if w.valid_from <= at]
        if not candidates:
            raise WorkflowError(f"no version of {procedure_code} in force at {at.isoformat()}")
        return candidates[-1]


def load_workflow(path: Path) -> Workflow:
    try:
        return Workflow.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise WorkflowError(f"invalid workflow {path.name}: {exc}") from exc


def load_workflows(directory: Path | None = None) -> WorkflowRegistry:
    """Load and validate every ``*.yaml`` workflow in ``directory`` (default: the packaged ones)."""
    folder = directory or WORKFLOWS_DIR
    return WorkflowRegistry([load_workflow(p) for p in sorted(folder.glob("*.yaml"))])


@functools.cache
def default_workflows() -> WorkflowRegistry:
    return load_workflows()
