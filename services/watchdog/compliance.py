"""Compliance rules: facts about how a dossier was handled, not about time running out (except the last).

Repeated or late supplement requests, suspensions and refusals without a substantive reason or legal basis,
a cancellation the citizen did not ask for, of a dossier already late, or without a reason of substance,
bouncing a dossier back and forth, and a result left unreturned in the one-stop software.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from schemas.fields import nfc
from schemas.sla import due_of
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.watchdog.findings import Collector, Finding, name_vi, rule_key, when_en, when_vi
from services.watchdog.rules import Audience, RuleSet
from services.watchdog.state import Mark, WatchState

__all__ = ["compliance", "suspension_limit"]


def compliance(c: Collector, state: WatchState, workflow: Workflow, rules: RuleSet, cal: WorkingCalendar) -> None:
    """The compliance findings of ``state`` (and the wake-up of the result-not-returned rule)."""
    code, comp = state.code, rules.compliance
    both: tuple[Audience, ...] = ("unit", "office")

    def finding(
        rule: str, subject: str, kind: str, at: datetime, agency: str, vi: str, en: str, cycle: int = 1, level: int = 1
    ) -> None:
        """Fire ``rule``; its key (subject, kind, cycle, rule, level) is the one ``c.due`` was asked about."""
        c.fire(Finding(rule, level, subject, kind, cycle, agency, both, at, None, nfc(vi), en))

    if len(state.supplements) > comp.max_supplement_requests:
        extra = state.supplements[comp.max_supplement_requests]
        count = comp.max_supplement_requests + 1
        if at := c.due(rule_key(code, "-", 1, "second_supplement"), extra.at):
            finding(
                "second_supplement",
                code,
                "-",
                at,
                extra.agency,
                f"Yêu cầu bổ sung nhiều lần: hồ sơ {code} bị {name_vi(extra.agency)} yêu cầu bổ sung lần thứ {count}"
                " (quy định chỉ yêu cầu bổ sung một lần, đầy đủ).",
                f"Repeated supplement request: {extra.agency} asked for supplement no. {count} on dossier {code}"
                " (the rules allow one complete request).",
            )
    if state.supplements and state.dossier.clock.cycles and rule_key(code, "-", 1, "late_supplement") not in c.fired:
        limit = cal.days(comp.supplement_within_working_days)

        def received(mark: Mark) -> datetime:
            """When the asking agency received the dossier: its handoff, else the intake at the counter."""
            info = state.dossier.handoffs.get(mark.subject)
            return info.requested_at if info is not None else cal.intake_start(state.dossier.clock.cycles[0].started_at)

        late = next((m for m in state.supplements if cal.elapsed(received(m), m.at) > limit), None)
        if late is not None and (at := c.due(rule_key(code, "-", 1, "late_supplement"), late.at)):
            days = math.floor(cal.elapsed(received(late), late.at) / cal.day_length * 10) / 10
            days_vi = f"{days:g}".replace(".", ",")
            finding(
                "late_supplement",
                code,
                "-",
                at,
                late.agency,
                f"Yêu cầu bổ sung muộn: {name_vi(late.agency)} yêu cầu bổ sung hồ sơ {code} sau {days_vi} ngày"
                f" làm việc kể từ khi nhận hồ sơ (tối đa {comp.supplement_within_working_days:g} ngày).",
                f"Late supplement request: {late.agency} asked to supplement dossier {code} {days:g} working days"
                f" after it received it (at most {comp.supplement_within_working_days:g}).",
            )
    for number, mark in enumerate(state.supplements, start=1):
        if mark.unlisted and (at := c.due(rule_key(code, "-", number, "unlisted_supplement"), mark.at)):
            asked = "; ".join(f"«{item}»" for item in mark.unlisted)
            finding(
                "unlisted_supplement",
                code,
                "-",
                at,
                mark.agency,
                f"Yêu cầu bổ sung ngoài thành phần hồ sơ: {name_vi(mark.agency)} yêu cầu hồ sơ {code} bổ sung {asked},"
                " không thuộc thành phần hồ sơ của thủ tục.",
                f"Supplement outside the dossier's documents: {mark.agency} asked dossier {code} for {asked},"
                " which the procedure does not list.",
                number,
            )
    for mark in state.unreasoned:
        if at := c.due(rule_key(mark.subject, mark.kind, 1, "no_reason"), mark.at):
            what_vi = "tạm dừng" if mark.kind == "suspended" else "từ chối"
            lacks_vi = "lý do cụ thể" if mark.missing == "reason" else "căn cứ pháp lý"
            lacks_en = "a substantive reason" if mark.missing == "reason" else "a legal basis"
            finding(
                "no_reason",
                mark.subject,
                mark.kind,
                at,
                mark.agency,
                f"{what_vi.capitalize()} không đúng quy định: {name_vi(mark.agency)} {what_vi} giải quyết hồ sơ"
                f" {code} mà không nêu {lacks_vi}.",
                f"Improper stop: {mark.agency} {mark.kind} dossier {code} without {lacks_en}.",
            )
    if state.suspensions:
        _suspensions(c, state, workflow, rules, cal, finding)
    if state.cancelled is not None:
        _cancellation(c, state, state.cancelled, cal, finding)
    if state.dossier.apologies:
        _reappointments(c, state, cal, finding)
    if len(state.bounces) > comp.max_bounces:
        bounce = state.bounces[comp.max_bounces]
        count = comp.max_bounces + 1
        if at := c.due(rule_key(code, "-", 1, "bounced"), bounce.at):
            finding(
                "bounced",
                code,
                "-",
                at,
                bounce.agency,
                f"Chuyển trả nhiều lần: hồ sơ {code} đã bị chuyển trả {count} lần (tối đa {comp.max_bounces} lần),"
                f" lần này do {name_vi(bounce.agency)}.",
                f"Bounced back and forth: dossier {code} was returned {count} times (at most {comp.max_bounces}),"
                f" this time by {bounce.agency}.",
            )
    ready = state.result_ready_at
    if ready is not None and state.returned_at is None and not state.finished:
        span = comp.close_within_working_hours
        instant = cal.add(cal.next_office_instant(ready), timedelta(hours=span))
        if at := c.due(rule_key(code, "-", 1, "result_not_closed"), instant):
            finding(
                "result_not_closed",
                code,
                "-",
                at,
                state.ledger.receiving_unit,
                f"Chưa trả kết quả: hồ sơ {code} đã có kết quả lúc {when_vi(ready)} nhưng sau {span:g} giờ làm việc"
                " vẫn chưa trả kết quả hoặc kết thúc trên phần mềm một cửa.",
                f"Result not returned: dossier {code} has had its result since {when_en(ready)} but was not"
                f" returned or closed in the one-stop software within {span:g} working hours.",
            )


def _cancellation(c: Collector, state: WatchState, mark: Mark, cal: WorkingCalendar, finding: Any) -> None:
    """The resolution asks the Office to watch improper cancellations: one finding naming every fault."""
    code = state.code
    status = state.dossier.clock.status(mark.at, cal)
    faults_vi, faults_en = [], []
    if mark.kind != "citizen":
        faults_vi.append("công dân không yêu cầu hủy")
        faults_en.append("the citizen did not ask for it")
    if status.verdict == "late":
        faults_vi.append(f"hồ sơ đã trễ hạn ({when_vi(status.due)})" if status.due else "hồ sơ đã trễ hạn")
        faults_en.append(f"the dossier was already late ({when_en(status.due)})" if status.due else "already late")
    if mark.missing:
        faults_vi.append("không nêu lý do cụ thể")
        faults_en.append("no reason of substance was given")
    if faults_vi and (at := c.due(rule_key(code, "-", 1, "improper_cancellation"), mark.at)):
        finding(
            "improper_cancellation",
            code,
            "-",
            at,
            mark.agency,
            f"Hủy hồ sơ không đúng quy định: {name_vi(mark.agency)} hủy hồ sơ {code}: " + "; ".join(faults_vi) + ".",
            f"Improper cancellation: {mark.agency} cancelled dossier {code}: " + "; ".join(faults_en) + ".",
        )


def suspension_limit(
    mark: Mark, workflow: Workflow, rules: RuleSet, cal: WorkingCalendar
) -> tuple[int, datetime | None]:
    """How long the suspension ``mark`` may last: its ground's working days (the rules' default for a ground
    the procedure does not list), and the end of its last day, counted from the day after it began."""
    ground = workflow.suspension.ground(mark.kind or None)
    days = ground.max_working_days if ground is not None else rules.compliance.max_suspension_working_days
    return days, cal.due_in_days(mark.at, days, cutoff=False)


def _suspensions(
    c: Collector, state: WatchState, workflow: Workflow, rules: RuleSet, cal: WorkingCalendar, finding: Any
) -> None:
    """A suspension is on a ground the procedure lists (level 1), and no longer than that ground allows (level
    2: fired at the end of its last day while still suspended, or at once when it was resumed later)."""
    code, allowed = state.code, workflow.suspension.grounds
    for number, mark in enumerate(state.suspensions, start=1):
        ground = workflow.suspension.ground(mark.kind or None)
        if ground is None and (hit := c.due(rule_key(code, "-", number, "suspension", 1), mark.at)):
            given_vi = f"với căn cứ «{mark.kind}» không có trong danh mục" if mark.kind else "không nêu căn cứ"
            given_en = f"on ground '{mark.kind}', which is not listed" if mark.kind else "without a ground"
            listed_vi = "; ".join(f"{g.code}: {g.name_vi}" for g in allowed) or "không có"
            listed_en = "; ".join(g.code for g in allowed) or "none"
            finding(
                "suspension",
                code,
                "-",
                hit,
                mark.agency,
                f"Tạm dừng không đúng căn cứ: {name_vi(mark.agency)} tạm dừng hồ sơ {code} {given_vi}"
                f" (căn cứ được phép của thủ tục: {listed_vi}).",
                f"Suspension without a valid ground: {mark.agency} suspended dossier {code} {given_en}"
                f" (the procedure's grounds: {listed_en}).",
                number,
                1,
            )
        days, limit = suspension_limit(mark, workflow, rules, cal)
        still = mark.until is None and not state.finished
        if limit is None or not (still or (mark.until is not None and mark.until > limit)):
            continue
        if hit := c.due(rule_key(code, "-", number, "suspension", 2), limit):
            finding(
                "suspension",
                code,
                "-",
                hit,
                mark.agency,
                f"Tạm dừng quá thời hạn: hồ sơ {code} bị {name_vi(mark.agency)} tạm dừng từ {when_vi(mark.at)},"
                f" quá {days} ngày làm việc được phép ({when_vi(limit)}).",
                f"Suspension too long: {mark.agency} suspended dossier {code} on {when_en(mark.at)}, beyond the"
                f" {days} working days allowed ({when_en(limit)}).",
                number,
                2,
            )


def _reappointments(c: Collector, state: WatchState, cal: WorkingCalendar, finding: Any) -> None:
    """A dossier may be given a new appointment once, and only a later one than it had."""
    code = state.code
    first = state.dossier.clock.cycles[0] if state.dossier.clock.cycles else None
    appointment = due_of(first, state.dossier.clock, cal) if first is not None else None
    for number, (at, new_date, agency) in enumerate(state.dossier.apologies, start=1):
        if appointment is not None and new_date <= appointment:
            if hit := c.due(rule_key(code, "-", number, "reappointment", 1), at):
                finding(
                    "reappointment",
                    code,
                    "-",
                    hit,
                    agency,
                    f"Hẹn lại không hợp lệ: ngày hẹn mới của hồ sơ {code} ({when_vi(new_date)}) không sau ngày hẹn"
                    f" trước ({when_vi(appointment)}).",
                    f"Invalid new appointment: the new date of dossier {code} ({when_en(new_date)}) is not after the"
                    f" one before ({when_en(appointment)}).",
                    number,
                    1,
                )
        if number > 1 and (hit := c.due(rule_key(code, "-", number, "reappointment", 2), at)):
            finding(
                "reappointment",
                code,
                "-",
                hit,
                agency,
                f"Hẹn lại nhiều lần: hồ sơ {code} được hẹn lại lần thứ {number} (chỉ được hẹn lại một lần).",
                f"Repeated new appointment: dossier {code} was given new appointment no. {number} (once is allowed).",
                number,
                2,
            )
        appointment = new_date
