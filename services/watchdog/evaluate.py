"""The alert rules applied to one dossier at one instant: what fires now, and when to look again.

``evaluate(state, workflow, rules, now, calendar)`` is pure. Every time rule has an instant at which its
condition becomes true if nothing else happens (a due, a due minus a threshold, a request plus X
working hours). At ``now``, a rule whose instant has passed and whose other conditions hold is a
:class:`Finding` (unless its key is already in ``state.fired``); a rule whose instant is still ahead is a
*wake-up*: the engine puts it in the deadline index, and the timer evaluates the dossier again then.
Nothing is removed from the index when an event moves a due: the entry left behind wakes the dossier up
for nothing, once (closed handoffs and moved dues are skipped lazily).

Usage::

    ev = evaluate(state, workflow, rules, now, calendar)
    ev.findings, ev.wakeups, ev.notice_needed
"""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.fields import nfc
from schemas.sla import Cycle, SlaClock, due_of, instant_after
from schemas.tracking import StepRun
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Step, Workflow
from services.watchdog.compliance import compliance
from services.watchdog.findings import Collector, Evaluation, Finding, name_vi, rule_key, when_en, when_vi
from services.watchdog.forecast import Culprit, culprit, forecast
from services.watchdog.rules import Audience, RuleSet
from services.watchdog.state import WatchState

__all__ = ["Evaluation", "Finding", "evaluate"]

_ZERO = timedelta(0)


class _Clock:
    """One running cycle's arithmetic (:mod:`schemas.sla`'s, the dashboard's): when ``amount`` of its counted
    time will have run, and when it is due (``extra`` later: an escalation level)."""

    def __init__(self, cycle: Cycle, clock: SlaClock, cal: WorkingCalendar) -> None:
        self.cycle, self.clock, self.cal = cycle, clock, cal

    def at(self, amount: timedelta) -> datetime | None:
        return instant_after(self.cycle, self.clock, amount, self.cal)

    def due(self, extra: timedelta = _ZERO) -> datetime | None:
        return due_of(self.cycle, self.clock, self.cal, extra)


def _after(due: datetime | None) -> datetime | None:
    """Overdue means past the due: the first microsecond after it (a due in days is the end of its day)."""
    return None if due is None else due + timedelta(microseconds=1)


def evaluate(state: WatchState, workflow: Workflow, rules: RuleSet, now: datetime, cal: WorkingCalendar) -> Evaluation:
    """Findings at ``now`` and the future instants worth a look (see the module docstring)."""
    c = Collector(state, now)
    compliance(c, state, workflow, rules, cal)
    if not state.finished:
        for run in state.dossier.steps.values():
            if run.clock.running:
                _handoff_rules(c, state, workflow.step(run.step_id), run, rules, cal)
        _dossier_rules(c, state, workflow, rules, cal)
    return c.out


def _handoff_rules(
    c: Collector, state: WatchState, step: Step, run: StepRun, rules: RuleSet, cal: WorkingCalendar
) -> None:
    cycle = run.clock.current
    assert cycle is not None
    agency, n = run.agency, len(run.clock.cycles)
    hid = cycle.ref or f"{state.code}:{step.id}"
    budget, basis = run.clock.budget, run.clock.basis

    def where_vi() -> str:
        return f"phiếu chuyển {hid} (bước «{step.name_vi}», {name_vi(agency)})"

    def where_en() -> str:
        return f"handoff {hid} (step '{step.name_en}', {agency})"

    def finding(
        rule: str, level: int, at: datetime, due: datetime | None, vi: str, en: str, aud: tuple[Audience, ...]
    ) -> None:
        c.fire(Finding(rule, level, hid, step.id, n, agency, aud, at, due, nfc(vi), en, cycle.ref))

    if budget is not None:
        clock = _Clock(cycle, run.clock, cal)
        due = clock.due()
        threshold = rules.due_soon.handoff.amount(
            budget, cal, wall=basis == "calendar", whole_days=run.clock.days is not None
        )
        if due is not None and (at := c.due(rule_key(hid, step.id, n, "due_soon"), clock.at(budget - threshold), due)):
            finding(
                "due_soon",
                1,
                at,
                due,
                f"Sắp đến hạn: {where_vi()} phải hoàn thành trước {when_vi(due)}.",
                f"Due soon: {where_en()} is due by {when_en(due)}.",
                ("unit",),
            )
        for lv in rules.overdue:
            days = lv.after_working_days
            extra = cal.days(days) if basis == "working" else timedelta(days=days)
            if at := c.due(rule_key(hid, step.id, n, "overdue", lv.level), _after(clock.due(extra))):
                since_vi = f" (hạn: {when_vi(due)})" if due else ""
                since_en = f" ({when_en(due)})" if due else ""
                finding(
                    "overdue",
                    lv.level,
                    at,
                    due,
                    f"Quá hạn (cảnh báo cấp {lv.level}): {where_vi()} đã quá hạn xử lý{since_vi}"
                    + (f", quá {days:g} ngày làm việc." if days else "."),
                    f"Overdue (level {lv.level}): {where_en()} passed its due{since_en}"
                    + (f" by {days:g} working days." if days else "."),
                    lv.audience,
                )
    info = state.dossier.handoffs.get(cycle.ref) if cycle.ref else None
    if info is not None and info.accepted_at is None and info.step_id == step.id:
        span, requested = rules.unacknowledged.working_hours, info.requested_at
        instant = cal.add(cal.next_office_instant(requested), rules.unacknowledged.delta, cycle.pauses)
        if at := c.due(rule_key(hid, step.id, n, "unacknowledged"), instant):
            finding(
                "unacknowledged",
                1,
                at,
                None,
                f"Chưa tiếp nhận: {name_vi(agency)} chưa nhận {where_vi()} sau {span:g} giờ làm việc"
                f" kể từ {when_vi(requested)}.",
                f"Unacknowledged: {agency} has not accepted {where_en()} within {span:g} working hours"
                f" of {when_en(requested)}.",
                ("unit",),
            )
    if budget is not None and basis == "working":  # a listing or the citizen paying is waiting, not stalling
        last = max(state.activity.get(hid, cycle.started_at), cycle.started_at)
        span = rules.stalled.working_hours
        instant = cal.add(cal.next_office_instant(last), rules.stalled.delta, cycle.pauses)
        if at := c.due(rule_key(hid, step.id, n, "stalled"), instant):
            finding(
                "stalled",
                1,
                at,
                None,
                f"Không có tiến triển: {where_vi()} không có cập nhật nào trong {span:g} giờ làm việc"
                f" (lần cuối {when_vi(last)}).",
                f"Stalled: no event on {where_en()} for {span:g} working hours (last {when_en(last)}).",
                ("unit", "head"),
            )


def _dossier_rules(c: Collector, state: WatchState, workflow: Workflow, rules: RuleSet, cal: WorkingCalendar) -> None:
    sla = state.dossier.clock
    cycle, budget = sla.current, sla.budget
    if cycle is None or cycle.stopped_at is not None or budget is None:
        return
    now, code, n = c.now, state.code, len(sla.cycles)
    clock = _Clock(cycle, sla, cal)
    due = clock.due()
    if due is None:  # paused (the citizen supplementing or paying): nothing runs against the dossier
        return
    c.out.dossier_due = due
    fc = c.out.forecast = forecast(state.dossier, workflow, now, cal)

    def blame() -> Culprit:
        if c.out.culprit is None:
            c.out.culprit = culprit(state.dossier, now, cal, state.ledger.receiving_unit)
        return c.out.culprit

    def finding(rule: str, level: int, at: datetime, vi: str, en: str, aud: tuple[Audience, ...]) -> None:
        who = blame()
        c.fire(Finding(rule, level, code, "-", n, who.agency, aud, at, due, nfc(vi), en, who.handoff_id))

    threshold = rules.due_soon.dossier.amount(budget, cal, whole_days=sla.days is not None)
    if at := c.due(rule_key(code, "-", n, "due_soon"), clock.at(budget - threshold), due):
        finding(
            "due_soon",
            1,
            at,
            f"Sắp đến hạn trả kết quả: hồ sơ {code} phải có kết quả trước {when_vi(due)}.",
            f"Due soon: dossier {code} must have its result by {when_en(due)}.",
            ("unit", "office"),
        )
    office: tuple[Audience, ...] = ("office",)
    for lv in rules.overdue:
        days = lv.after_working_days
        if at := c.due(rule_key(code, "-", n, "overdue", lv.level), _after(clock.due(cal.days(days)))):
            finding(
                "overdue",
                lv.level,
                at,
                f"Hồ sơ trễ hạn (cảnh báo cấp {lv.level}): hồ sơ {code} đã quá hạn trả kết quả (hạn: {when_vi(due)})"
                + (f", quá {days:g} ngày làm việc." if days else "."),
                f"Dossier late (level {lv.level}): dossier {code} passed its result due {when_en(due)}"
                + (f" by {days:g} working days." if days else "."),
                lv.audience if "office" in lv.audience else (*lv.audience, *office),
            )
    if fc is not None and fc.crossing is not None and fc.crossing > now:
        c.out.wakeups.add(fc.crossing)  # the forecast turns late then if nothing moves
    will_be_late = fc is not None and fc.late
    if state.dossier.apologies:
        return
    lead = rules.compliance.apology_lead_working_days
    deadline = clock.at(budget - cal.days(lead))
    if deadline is not None and (deadline > now or will_be_late):
        if at := c.due(rule_key(code, "-", n, "apology_missing"), deadline):
            finding(
                "apology_missing",
                1,
                at,
                f"Chưa có phiếu xin lỗi: hồ sơ {code} sẽ trễ hạn ({when_vi(due)}) nhưng chưa có phiếu xin lỗi"
                f" và hẹn lại ngày trả kết quả {lead:g} ngày làm việc trước hạn.",
                f"No apology: dossier {code} will be late (due {when_en(due)}) and no apology with a new"
                f" appointment was issued {lead:g} working day(s) before its due.",
                ("unit", "office"),
            )
    draft_at = clock.at(budget - cal.days(rules.notices.draft_lead_working_days))
    if draft_at is not None and draft_at > now:
        c.out.wakeups.add(draft_at)
    c.out.notice_needed = will_be_late and (draft_at is None or draft_at <= now)
    if c.out.notice_needed:
        blame()
