"""What the monitor measures in one dossier: a fact per step cycle, a fact for the dossier clock.

Pure: built from the watchdog's :class:`~services.watchdog.state.WatchState` (the router's ledger and the
SLA clocks ``schemas.tracking`` folded), with ``schemas.sla``'s statuses, so every verdict here is the one
the watchdog alerts on and the process-control slip prints.

A *cycle* is one run of a step's clock. It belongs to an agency pair when a handoff started it (the
handoff's sending and receiving agencies, as the slip shows them). A cycle an agency goes on with under its
own handoff (payment after the payment notice), or the first step at the one-stop-shop, has
``handed=False`` and the same agency on both sides.

Turnaround is office time (working hours) from the cycle's start (the handoff, the reception) to its stop,
paused time excluded, whatever the budget's unit: it measures the work, while the due (a budget in days is
counted from the day after the handoff, ``schemas.sla``) judges it.

Usage::

    cycles = cycle_facts(state, workflow, now, calendar)
    dossier = dossier_fact(state, now, calendar)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.agencies import default_agencies
from schemas.sla import Cycle, Verdict
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.watchdog.state import WatchState

__all__ = [
    "CycleFact",
    "DossierFact",
    "MarkFact",
    "cycle_facts",
    "dossier_fact",
    "hours",
    "mark_facts",
    "sees_all",
    "sees_cycle",
]

OVERSEER_KINDS = frozenset({"office"})


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def sees_all(agency: str) -> bool:
    """Office staff see everything; any other agency sees its own handoffs."""
    return agency in default_agencies() and default_agencies().kind_of(agency) in OVERSEER_KINDS


@dataclass(frozen=True, slots=True)
class CycleFact:
    dossier_code: str
    procedure_code: str
    step_id: str
    cycle: int  # 1-based index of the run of this step
    handoff_id: str | None
    from_agency: str
    to_agency: str  # the agency holding the cycle
    handed: bool
    started_at: datetime  # when the handoff (or the reception) started it; the due counts from the clock's rule
    accepted_at: datetime | None
    finished_at: datetime | None
    due: datetime | None
    budgeted: bool
    verdict: Verdict | None  # schemas.sla: early / on_time / late (a running cycle past its due is late)
    outcome: str | None  # completed, returned, restarted, refused, cancelled; None while open
    paused: bool
    elapsed_h: float  # working hours so far (or in all, once stopped)
    remaining_h: float | None

    @property
    def open(self) -> bool:
        return self.finished_at is None

    @property
    def overdue(self) -> bool:
        return self.open and self.verdict == "late"

    @property
    def finished_verdict(self) -> Verdict | None:
        """The verdict counted in the early / on-time / late rates: completed work, and work stopped (a cancelled
        or closed dossier) once it was late: cancelling a late dossier does not take it out of the figures."""
        if self.outcome == "completed":
            return self.verdict
        return "late" if self.verdict == "late" and self.outcome in ("cancelled", "closed", "refused") else None

    @property
    def pair(self) -> tuple[str, str]:
        return (self.from_agency, self.to_agency)

    def concerns(self, agency: str) -> bool:
        return agency in (self.from_agency, self.to_agency)


@dataclass(frozen=True, slots=True)
class DossierFact:
    code: str
    procedure_code: str
    workflow_version: int
    receiving_unit: str
    status: str  # the router's: open, result_ready, closed
    received_at: datetime
    appointment_at: datetime
    due: datetime | None  # the dossier clock's due (None while paused with budget left)
    finished_at: datetime | None  # when the dossier clock stopped
    outcome: str | None  # ready, refused, cancelled
    verdict: Verdict | None
    paused: bool
    elapsed_h: float
    remaining_h: float | None
    bounces: int
    supplements: int
    apologies: int
    online: bool = False  # submitted on the portal
    online_intake_h: float | None = None  # working hours from the portal submission to the intake
    submitted_at: datetime | None = None  # on the portal
    suspended: bool = False  # suspended now (tạm dừng): its clock stands still, shown rather than hidden
    suspended_h: float = 0.0  # working hours suspended in all, to now

    @property
    def open(self) -> bool:
        return self.finished_at is None and self.status != "closed"

    @property
    def overdue(self) -> bool:
        return self.open and self.verdict == "late"

    @property
    def finished_verdict(self) -> Verdict | None:
        """Counted in the Decision 766 processing-progress rates: a cancelled dossier only if it was late (it stays
        late in the figures)."""
        if self.finished_at is None:
            return None
        if self.outcome == "cancelled":
            return "late" if self.verdict == "late" else None
        return self.verdict


@dataclass(frozen=True, slots=True)
class MarkFact:
    """A supplement request or a bounce, on the agency pair of the handoff it names (if any)."""

    kind: str  # "supplement" or "bounce"
    dossier_code: str
    procedure_code: str
    at: datetime
    agency: str  # who asked / who returned
    pair: tuple[str, str] | None

    def concerns(self, agency: str) -> bool:
        return self.agency == agency or (self.pair is not None and agency in self.pair)


def _elapsed_h(cycle: Cycle, now: datetime, cal: WorkingCalendar) -> float:
    end = cycle.stopped_at or now
    pauses = [(s, e if e is not None else end) for s, e in cycle.pauses]
    return hours(cal.elapsed(cycle.started_at, end, pauses))


def cycle_facts(state: WatchState, workflow: Workflow, now: datetime, cal: WorkingCalendar) -> list[CycleFact]:
    """Every step cycle of the dossier, in start order."""
    dossier = state.dossier
    facts: list[CycleFact] = []
    for run in dossier.steps.values():
        step = workflow.step(run.step_id)
        for index, (cycle, status) in enumerate(zip(run.clock.cycles, run.clock.statuses(now, cal), strict=True)):
            info = dossier.handoffs.get(cycle.ref) if cycle.ref else None
            handed = info is not None and info.step_id == step.id  # as the slip: else the agency goes on
            facts.append(
                CycleFact(
                    dossier_code=state.code,
                    procedure_code=state.ledger.procedure_code,
                    step_id=step.id,
                    cycle=index + 1,
                    handoff_id=cycle.ref,
                    from_agency=info.from_agency if info is not None and handed else run.agency,
                    to_agency=info.to_agency if info is not None and handed else run.agency,
                    handed=handed,
                    started_at=cycle.started_at,
                    accepted_at=info.accepted_at if info is not None else None,
                    finished_at=status.stopped_at,
                    due=status.due,
                    budgeted=status.budget is not None,
                    verdict=status.verdict,
                    outcome=status.outcome,
                    paused=status.paused,
                    elapsed_h=_elapsed_h(cycle, now, cal),
                    remaining_h=hours(status.remaining) if status.remaining is not None else None,
                )
            )
    return sorted(facts, key=lambda f: (f.started_at, f.step_id, f.cycle))


def dossier_fact(state: WatchState, now: datetime, cal: WorkingCalendar) -> DossierFact:
    dossier, ledger = state.dossier, state.ledger
    status = dossier.clock.status(now, cal)
    return DossierFact(
        code=state.code,
        procedure_code=ledger.procedure_code,
        workflow_version=ledger.workflow_version,
        receiving_unit=ledger.receiving_unit,
        status=ledger.status,
        received_at=dossier.received_at,
        appointment_at=dossier.appointment_at,
        due=status.due,
        finished_at=status.stopped_at,
        outcome=status.outcome,
        verdict=status.verdict,
        paused=status.paused,
        elapsed_h=_elapsed_h(dossier.clock.cycles[-1], now, cal),
        remaining_h=hours(status.remaining) if status.remaining is not None else None,
        bounces=len(state.bounces),
        supplements=len(state.supplements),
        apologies=len(dossier.apologies),
        online=dossier.channel == "online",
        submitted_at=dossier.submitted_at,
        suspended=bool(state.suspensions) and state.suspensions[-1].until is None and not state.finished,
        suspended_h=sum(hours(cal.elapsed(m.at, m.until or status.stopped_at or now)) for m in state.suspensions),
        online_intake_h=(
            hours(cal.elapsed(dossier.submitted_at, dossier.received_at)) if dossier.submitted_at is not None else None
        ),
    )


def mark_facts(state: WatchState) -> list[MarkFact]:
    """Supplement requests and bounces, each on the pair of the handoff it names."""
    out: list[MarkFact] = []
    handoffs = state.dossier.handoffs
    for kind, marks in (("supplement", state.supplements), ("bounce", state.bounces)):
        for mark in marks:
            info = handoffs.get(mark.subject)
            pair = (info.from_agency, info.to_agency) if info is not None else None
            out.append(MarkFact(kind, state.code, state.ledger.procedure_code, mark.at, mark.agency, pair))
    return out


def sees_cycle(agency: str | None, fact: CycleFact) -> bool:
    """``agency`` None: the Office (everything)."""
    return agency is None or fact.concerns(agency)
