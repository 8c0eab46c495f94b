"""The Office's daily digest: dossiers and handoffs nearing their deadline, grouped by the agency holding them.

"Nearing" means exactly what the ``due_soon`` rule means: due within its threshold and not yet overdue.
The digest replaces the Office's daily manual extraction; it is sent at a configured hour
(Asia/Ho_Chi_Minh) by email and on the alerts topic, and served at ``GET /v1/digest``.

Usage::

    items = near_due(state, workflow, rules, now, calendar)
    document = digest_document(items, now)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas.sla import due_of
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.watchdog.forecast import at_elapsed
from services.watchdog.rules import RuleSet
from services.watchdog.state import WatchState

__all__ = ["DIGEST_TYPE", "NearDue", "digest_document", "digest_text", "near_due"]

DIGEST_TYPE = "vn.lienthong.digest.published"


@dataclass(frozen=True)
class NearDue:
    kind: str  # "handoff" or "dossier"
    dossier_code: str
    handoff_id: str | None
    step_id: str | None
    agency: str
    due: datetime
    remaining_hours: float


def near_due(
    state: WatchState, workflow: Workflow, rules: RuleSet, now: datetime, cal: WorkingCalendar
) -> list[NearDue]:
    """The dossier's handoffs (and the dossier itself) due within the ``due_soon`` threshold, not yet overdue."""
    if state.finished:
        return []
    items: list[NearDue] = []
    for run in state.dossier.steps.values():
        cycle, budget = run.clock.current, run.clock.budget
        if cycle is None or cycle.stopped_at is not None or budget is None:
            continue
        threshold = rules.due_soon.handoff.amount(
            budget, cal, wall=run.clock.basis == "calendar", whole_days=run.clock.days is not None
        )
        due = due_of(cycle, run.clock, cal)
        soon = at_elapsed(cycle, run.clock, budget - threshold, cal)
        if due is not None and soon is not None and soon <= now < due:
            remaining = run.clock.status(now, cal).remaining or timedelta(0)
            hid = cycle.ref or f"{state.code}:{run.step_id}"
            items.append(NearDue("handoff", state.code, hid, run.step_id, run.agency, due, _h(remaining)))
    clock = state.dossier.clock
    if clock.running and clock.budget is not None and clock.current is not None:
        due = due_of(clock.current, clock, cal)
        ahead = rules.due_soon.dossier.amount(clock.budget, cal, whole_days=clock.days is not None)
        soon = at_elapsed(clock.current, clock, clock.budget - ahead, cal)
        if due is not None and soon is not None and soon <= now < due:
            holders = [r.agency for r in state.dossier.steps.values() if r.clock.running and r.clock.budget]
            remaining = clock.status(now, cal).remaining or timedelta(0)
            agency = holders[0] if holders else state.ledger.receiving_unit
            items.append(NearDue("dossier", state.code, None, None, agency, due, _h(remaining)))
    return items


def _h(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def digest_document(items: list[NearDue], now: datetime, agency: str | None = None) -> dict[str, Any]:
    """The digest as CloudEvents structured JSON; ``data.agencies`` maps agency -> its near-due items."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.agency, i.due, i.dossier_code)):
        if agency is None or item.agency == agency:
            grouped[item.agency].append({**asdict(item), "due": item.due.isoformat()})
    day = f"{now:%Y-%m-%d}"
    return {
        "specversion": "1.0",
        "id": f"digest-{day}",
        "source": "urn:lienthong:watchdog",
        "type": DIGEST_TYPE,
        "subject": f"digest-{day}",
        "time": now.isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "date": day,
            "title_vi": f"Danh sách hồ sơ sắp đến hạn ngày {now:%d/%m/%Y}",
            "title_en": f"Dossiers nearing their deadline, {day}",
            "count": sum(len(v) for v in grouped.values()),
            "agencies": dict(sorted(grouped.items())),
        },
    }


def digest_text(document: dict[str, Any]) -> str:
    """A plain-text rendering for email."""
    data = document["data"]
    lines = [data["title_vi"], data["title_en"], ""]
    if not data["agencies"]:
        lines.append("Không có hồ sơ nào sắp đến hạn. / Nothing is nearing its deadline.")
    for agency, items in data["agencies"].items():
        lines.append(f"{agency} ({len(items)}):")
        for item in items:
            what = item["handoff_id"] or "(hồ sơ / dossier)"
            hours = f"{item['remaining_hours']:g}"
            lines.append(f"  - {item['dossier_code']}  {what}  hạn/due {item['due'][:16]}  còn/left {hours} h")
        lines.append("")
    return "\n".join(lines)
