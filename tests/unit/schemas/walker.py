"""Drive a dossier through a workflow with events, each step finishing exactly at its due time.

A test helper (not production code): it plays every agency, emits the events a real one would
send, and folds them with ``schemas.tracking`` so tests can read every step's due time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from schemas import (
    DossierReceived,
    DossierState,
    Envelope,
    Step,
    Workflow,
    WorkingCalendar,
    apply,
    new_event,
    start_dossier,
)

from .conftest import DOSSIER

WARD = "ward-loc-tho"
POLICE = "police-loc-tho"  # the police of the ward the walker plays


@dataclass
class Walk:
    workflow: Workflow
    cal: WorkingCalendar
    payment_takes: timedelta = timedelta(0)
    events: list[Envelope[Any]] = field(default_factory=list)
    state: DossierState | None = None
    handoffs: int = 0

    def emit(self, event_type: str, source: str, at: datetime, data: dict[str, Any]) -> None:
        event = new_event(
            event_type, source=source, subject=DOSSIER, time=at, data=data, rulesetversion=self.workflow.key
        )
        self.events.append(event)
        assert self.state is not None
        self.state = apply(self.state, event, self.workflow, self.cal)

    def receive(self, received_at: datetime, appointment_at: datetime) -> None:
        event = new_event(
            DossierReceived,
            source="one-stop",
            subject=DOSSIER,
            time=received_at,
            data={
                "procedure_code": self.workflow.procedure_code,
                "workflow_version": self.workflow.version,
                "receiving_unit": "one-stop",
                "channel": "counter",
                "received_at": received_at,
                "appointment_at": appointment_at,
                "applicant": {"name": "Nguyễn Thị Hồng"},
            },
        )
        self.events.append(event)
        self.state = start_dossier(event, self.workflow, self.cal)

    def agency_of(self, step: Step) -> str:
        return step.agency or (POLICE if step.agency_kind == "police" else WARD)

    def hand_over(self, done: Step, agency: str, ref: str | None, at: datetime, previous: str | None) -> None:
        """Hand the dossier to every successor of ``done`` that starts on a handoff and is ready."""
        assert self.state is not None
        for successor in self.workflow.successors(done.id):
            # ``done`` counts as complete: for some steps the handoff is what completes them.
            ready = all(
                a == done.id or (a in self.state.steps and self.state.steps[a].completed) for a in successor.after
            )
            if successor.starts_on != "handoff" or not ready:
                continue
            target = self.agency_of(successor)
            assert target != agency, f"{successor.id}: a handoff needs two agencies"
            self.handoffs += 1
            budget = successor.budget.duration(self.cal) if successor.budget else self.cal.days(1)
            due = (
                self.cal.add(at, budget) if not successor.budget or successor.budget.basis == "working" else at + budget
            )
            self.emit(
                "vn.lienthong.handoff.requested",
                agency,
                at,
                {
                    "handoff_id": f"H-{self.handoffs}-{successor.id}",
                    "step_id": successor.id,
                    "from_agency": agency,
                    "to_agency": target,
                    "due": due,
                    "procedure_code": self.workflow.procedure_code,
                    "workflow_version": self.workflow.version,
                    "previous_handoff_id": previous,
                },
            )

    def finish(self, step: Step, at: datetime) -> None:
        """The agency of ``step`` completes it at ``at`` with the step's completion event."""
        assert self.state is not None
        run = self.state.steps[step.id]
        agency, ref = run.agency, run.clock.cycles[-1].ref
        kind = step.completed_by[0]
        if kind == "vn.lienthong.handoff.requested":
            self.hand_over(step, agency, ref, at, ref)
            return
        self.emit(kind, agency, at, _completion_data(kind, ref, at))
        self.hand_over(step, agency, ref, at, ref)

    def run(self, received_at: datetime, appointment_at: datetime) -> DossierState:
        self.receive(received_at, appointment_at)
        started_listing: set[str] = set()
        for _ in range(100):
            assert self.state is not None
            running = [(sid, r) for sid, r in self.state.steps.items() if r.clock.running]
            if not running:
                return self.state
            now = max(e.time for e in self.events)
            ends = []
            for sid, run in running:
                step = self.workflow.step(sid)
                status = run.clock.status(now, self.cal)
                if step.completed_by[0] == "vn.lienthong.listing.ended" and sid not in started_listing:
                    started_listing.add(sid)
                    start = status.counted_from
                    self.emit(
                        "vn.lienthong.listing.started",
                        run.agency,
                        start,
                        {
                            "handoff_id": run.clock.cycles[-1].ref,
                            "location": "Trụ sở UBND phường",
                            "starts_on": start.date().isoformat(),
                            "ends_on": (start + timedelta(days=15)).date().isoformat(),
                        },
                    )
                    break
                end = status.due if status.due is not None else status.counted_from + self.payment_takes
                ends.append((end, sid))
            else:
                end, sid = min(ends)
                self.finish(self.workflow.step(sid), end)
        raise AssertionError("the walk did not finish")


def _completion_data(kind: str, ref: str | None, at: datetime) -> dict[str, Any]:
    doc = [{"ref": "KQ-1", "title": "Kết quả"}]
    match kind:
        case "vn.lienthong.cadastral.sent":
            return {
                "handoff_id": ref,
                "form_number": "PCTT-1",
                "taxpayer_name": "Nguyễn Thị Hồng",
                "taxpayer_id_number": "056190654321",
                "parcel": {"map_sheet": "12", "parcel_number": "215", "area_m2": 84.5, "land_use_code": "ODT"},
            }
        case "vn.lienthong.obligation.determined":
            return {
                "handoff_id": ref,
                "notice_number": "TB-1",
                "total_vnd": 62_500_000,
                "amounts": [
                    {"kind": "registration_fee", "amount_vnd": 12_500_000},
                    {"kind": "personal_income_tax", "amount_vnd": 50_000_000},
                ],
                "payment_deadline": (at + timedelta(days=30)).date().isoformat(),
            }
        case "vn.lienthong.obligation.paid":
            return {
                "handoff_id": ref,
                "notice_number": "TB-1",
                "amount_paid_vnd": 62_500_000,
                "paid_at": at.isoformat(),
                "receipt_ref": "BL-1",
            }
        case "vn.lienthong.verification.posted":
            return {"handoff_id": ref, "scope": ["land_origin"], "outcome": "confirmed", "findings": "Đủ điều kiện."}
        case "vn.lienthong.listing.ended":
            return {
                "handoff_id": ref,
                "ended_on": at.date().isoformat(),
                "objections_received": 0,
                "outcome": "no_objection",
            }
        case "vn.lienthong.result.ready":
            return {"handoff_id": ref, "result": "Giấy chứng nhận", "document_refs": doc}
        case "vn.lienthong.handoff.accepted":
            return {"handoff_id": ref}
        case "vn.lienthong.result.returned":
            return {"channel": "counter", "recipient": "applicant"}
    raise AssertionError(f"no completion payload for {kind}")
