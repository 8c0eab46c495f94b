"""The process-control slip (phiếu kiểm soát quá trình giải quyết hồ sơ), from a dossier's state.

One row per step cycle: who handed the dossier to whom and when, when it was accepted and
finished, its due time and the early / on-time / late verdict.

Usage::

    rows = slip(fold(events, workflow, calendar), workflow, now, calendar)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.sla import Verdict
from schemas.tracking import DossierState
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow

__all__ = ["SlipRow", "slip"]


@dataclass(frozen=True)
class SlipRow:
    """One row of the process-control slip (phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    step_id: str
    step_name_vi: str
    handoff_id: str | None
    from_agency: str
    to_agency: str
    handed_over_at: datetime
    accepted_at: datetime | None
    finished_at: datetime | None
    due: datetime | None
    verdict: Verdict | None
    outcome: str | None
    note: str | None


def slip(state: DossierState, workflow: Workflow, now: datetime, calendar: WorkingCalendar) -> list[SlipRow]:
    """Every step cycle in time order, with its verdict."""
    rows: list[SlipRow] = []
    for run in state.steps.values():
        step = workflow.step(run.step_id)
        for cycle, status in zip(run.clock.cycles, run.clock.statuses(now, calendar), strict=True):
            info = state.handoffs.get(status.ref) if status.ref else None
            # A step the same agency continues (or was bounced back to) was not handed over.
            handed = info is not None and info.step_id == step.id
            rows.append(
                SlipRow(
                    step_id=step.id,
                    step_name_vi=step.name_vi,
                    handoff_id=status.ref,
                    from_agency=info.from_agency if info and handed else run.agency,
                    to_agency=info.to_agency if info and handed else run.agency,
                    handed_over_at=cycle.started_at,  # when it was handed over (the due counts by its own rule)
                    accepted_at=info.accepted_at if info else None,
                    finished_at=status.stopped_at,
                    due=status.due,
                    verdict=status.verdict,
                    outcome=status.outcome,
                    note=info.returned_reason if info and status.outcome == "returned" else None,
                )
            )
    return sorted(rows, key=lambda r: r.handed_over_at)
