"""Notices to the citizen: apology and new appointment (phiếu xin lỗi và hẹn lại ngày trả kết quả), and
suspension (thông báo tạm dừng giải quyết hồ sơ); draft and print.

When the forecast says a dossier will be late, the watchdog drafts the notice for the agency holding
the delay: the reason, and a new appointment that adds whole working days to the due time (the delay
rounded up, plus the configured margin). The draft is an event on ``<prefix>.notices``, a printable
HTML page (``GET /v1/notices/{id}``) and a push to the one-stop-shop, which tells the citizen. The form
itself is data (``notice_templates.yaml``): the one in force on the dossier's intake day is used.

When an agency suspends a dossier, the citizen is told at once, as the council's resolution asks: the
watchdog drafts a suspension notice stating the ground (from the procedure's list), the agency's own
reason, the legal basis, the longest the suspension may last and that the appointment moves by the time
suspended. It travels as the apology does (``<prefix>.notices``, the one-stop-shop, ``/v1/notices/{id}``).

Usage::

    notice = draft_notice(state, workflow, evaluation.forecast, evaluation.culprit, rules, now, cal)
    html = render_notice(notice)
"""

from __future__ import annotations

import functools
import html
import json
import math
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from string import Template
from typing import Annotated, Any, Literal

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schemas.agencies import default_agencies
from schemas.events import TZ
from schemas.fields import nfc
from schemas.workcalendar import WorkingCalendar
from schemas.workflows import Workflow
from services.watchdog.compliance import suspension_limit
from services.watchdog.findings import hours_en, hours_vi
from services.watchdog.forecast import Culprit, Forecast
from services.watchdog.rules import RuleSet
from services.watchdog.state import WatchState

__all__ = [
    "NOTICE_TEMPLATES_PATH",
    "AnyNotice",
    "Notice",
    "NoticeTemplate",
    "SuspensionNotice",
    "draft_notice",
    "draft_suspension_notice",
    "load_templates",
    "notice_document",
    "parse_notice",
    "render_notice",
    "with_issued",
]

NOTICE_TEMPLATES_PATH = Path(__file__).with_name("notice_templates.yaml")
NOTICE_TYPE = "vn.lienthong.apology.drafted"
SUSPENSION_NOTICE_TYPE = "vn.lienthong.suspension.drafted"
SUSPENSION_TEMPLATE = "tam-dung"
_NAMESPACE = uuid.UUID("0b5e3f1c-8a4d-4c7e-9f21-6c69656e7468")


class NoticeTemplate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    form_no: str
    legal_basis: str
    valid_from: AwareDatetime
    title: str
    paragraphs: tuple[str, ...] = Field(min_length=1)
    signature: str
    signature_note: str = ""
    verified: bool = True  # False: the wording or number is not yet checked against the official text


class _TemplateFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    templates: tuple[NoticeTemplate, ...] = Field(min_length=1)


@functools.cache
def load_templates(path: Path = NOTICE_TEMPLATES_PATH) -> tuple[NoticeTemplate, ...]:
    parsed = _TemplateFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return tuple(sorted(parsed.templates, key=lambda t: t.valid_from))


def template_for(key: str, at: datetime) -> NoticeTemplate:
    """The form ``key`` in force at ``at`` (the latest taking effect by then; the earliest as a fallback)."""
    versions = [t for t in load_templates() if t.key == key] or list(load_templates())
    in_force = [t for t in versions if t.valid_from <= at]
    return in_force[-1] if in_force else versions[0]


class Notice(BaseModel):
    """A drafted apology notice, as stored (``watchdog-notices`` table) and sent (``data`` of the event)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["apology"] = "apology"
    id: str
    dossier_code: str
    procedure_code: str
    procedure_name_vi: str
    receiving_unit: str
    responsible_agency: str
    handoff_id: str | None
    step_id: str | None
    received_at: AwareDatetime
    due: AwareDatetime
    new_appointment_at: AwareDatetime
    delay_working_days: int
    reason_vi: str  # the watchdog's own account of the delay, for the agency: never printed as the reason
    reason_en: str
    applicant_name: str | None
    drafted_at: AwareDatetime
    template: str
    sequence: int = 0  # apologies issued on the dossier before this draft: the one it leads to is the next
    # Filled from the apology the responsible agency then issued (``apology.issued``), when it has:
    stated_reason: str | None = None  # its own stated reason: the one printed
    issued_at: AwareDatetime | None = None
    issued_by: str | None = None  # the responsible agency it named
    issued_new_appointment_at: AwareDatetime | None = None


class SuspensionNotice(BaseModel):
    """A suspension notice to the citizen (stored and sent as :class:`Notice` is)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["suspension"] = "suspension"
    id: str
    dossier_code: str
    procedure_code: str
    procedure_name_vi: str
    receiving_unit: str
    responsible_agency: str  # the agency that suspended the dossier, and signs the notice
    handoff_id: str | None
    received_at: AwareDatetime
    appointment_at: AwareDatetime  # the appointment the citizen holds (it moves by the time suspended)
    suspended_at: AwareDatetime
    ground: str | None  # the ground's code, as given
    ground_vi: str | None  # its name in the procedure's list (None: not a listed ground)
    ground_en: str | None
    reason: str  # the suspending agency's own stated reason: printed as given
    legal_basis: str | None  # as stated, else the listed ground's
    max_working_days: int
    resume_by: AwareDatetime | None  # the end of the last working day the suspension may last
    applicant_name: str | None
    drafted_at: AwareDatetime
    template: str = SUSPENSION_TEMPLATE


AnyNotice = Annotated[Notice | SuspensionNotice, Field(discriminator="kind")]
_ANY_NOTICE: TypeAdapter[Notice | SuspensionNotice] = TypeAdapter(AnyNotice)


def parse_notice(raw: bytes | str) -> Notice | SuspensionNotice:
    """A stored notice of either kind (those stored before suspension notices existed, without ``kind``,
    are apologies)."""
    doc = json.loads(raw)
    if isinstance(doc, dict):
        doc.setdefault("kind", "apology")
    return _ANY_NOTICE.validate_python(doc)


def suspension_notice_id(code: str, suspended_at: datetime) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{code}|suspension|{suspended_at.isoformat()}"))


def draft_suspension_notice(
    state: WatchState, workflow: Workflow, rules: RuleSet, now: datetime, cal: WorkingCalendar
) -> SuspensionNotice | None:
    """The notice of the suspension under way (the latest, not yet resumed); None if there is none."""
    if not state.suspensions or state.suspensions[-1].until is not None:
        return None
    mark = state.suspensions[-1]
    ground = workflow.suspension.ground(mark.kind or None)
    days, resume_by = suspension_limit(mark, workflow, rules, cal)
    return SuspensionNotice(
        id=suspension_notice_id(state.code, mark.at),
        dossier_code=state.code,
        procedure_code=workflow.procedure_code,
        procedure_name_vi=workflow.name_vi,
        receiving_unit=state.ledger.receiving_unit,
        responsible_agency=mark.agency,
        handoff_id=mark.subject if mark.subject != state.code else None,
        received_at=state.dossier.received_at,
        appointment_at=state.dossier.appointment_at,
        suspended_at=mark.at,
        ground=mark.kind or None,
        ground_vi=ground.name_vi if ground is not None else None,
        ground_en=ground.name_en if ground is not None else None,
        reason=nfc(mark.note),
        legal_basis=mark.basis or (ground.legal_basis if ground is not None else None) or None,
        max_working_days=days,
        resume_by=resume_by,
        applicant_name=state.applicant,
        drafted_at=now,
    )


def draft_notice(
    state: WatchState,
    workflow: Workflow,
    fc: Forecast,
    who: Culprit,
    rules: RuleSet,
    now: datetime,
    cal: WorkingCalendar,
) -> Notice:
    """The notice for a dossier that will be late (``fc.late``); its id is stable per dossier clock cycle."""
    assert fc.due is not None
    days = max(1, math.ceil(fc.delay / cal.day_length)) + rules.notices.extra_working_days
    # a new appointment is a day, as the first one: the end of the day ``days`` working days after it
    moved = cal.add(fc.due, cal.days(days)) or fc.due + timedelta(days=days)
    new_date = cal.end_of_day(moved) if state.dossier.clock.days is not None else moved
    agency_vi = default_agencies().name_vi(who.agency, now)
    step = next((s for s in workflow.steps if s.id == who.step_id), None)
    if step is not None and who.overdue > timedelta(0):
        reason_vi = (
            f"Hồ sơ đang chậm ở bước «{step.name_vi}» do {agency_vi} xử lý: đã quá hạn {hours_vi(who.overdue)}"
            " giờ làm việc."
        )
        reason_en = (
            f"The dossier is held up at step '{step.name_en}' ({who.agency}),"
            f" {hours_en(who.overdue)} working hours overdue."
        )
    else:
        reason_vi = (
            f"Thời gian giải quyết còn lại ({hours_vi(max(fc.remaining, timedelta(0)))} giờ làm việc) không đủ cho"
            f" các bước còn lại ({hours_vi(fc.needed)} giờ làm việc); chậm tại {agency_vi}."
        )
        reason_en = (
            f"The time left ({hours_en(max(fc.remaining, timedelta(0)))} working hours) is shorter than the remaining"
            f" steps need ({hours_en(fc.needed)} working hours); held up at {who.agency}."
        )
    cycle = len(state.dossier.clock.cycles)
    return Notice(
        id=str(uuid.uuid5(_NAMESPACE, f"{state.code}|apology|{cycle}|{len(state.dossier.apologies)}")),
        dossier_code=state.code,
        procedure_code=workflow.procedure_code,
        procedure_name_vi=workflow.name_vi,
        receiving_unit=state.ledger.receiving_unit,
        responsible_agency=who.agency,
        handoff_id=who.handoff_id,
        step_id=who.step_id or None,
        received_at=state.dossier.received_at,
        due=fc.due,
        new_appointment_at=new_date,
        delay_working_days=days,
        reason_vi=nfc(reason_vi),
        reason_en=reason_en,
        applicant_name=state.applicant,
        drafted_at=now,
        template=template_for(rules.notices.template, state.dossier.received_at).key,
        sequence=len(state.dossier.apologies),
    )


def with_issued(notice: Notice, state: WatchState | None) -> Notice:
    """``notice`` with the apology it led to, once the responsible agency issued it: the form then prints that
    agency's own reason and new date."""
    if state is None or len(state.apologies) <= notice.sequence:
        return notice
    issued = state.apologies[notice.sequence]
    return notice.model_copy(
        update={
            "stated_reason": issued.reason,
            "issued_at": issued.at,
            "issued_by": issued.responsible_agency,
            "issued_new_appointment_at": issued.new_appointment_at,
        }
    )


def notice_document(notice: Notice | SuspensionNotice) -> dict[str, Any]:
    """The event on ``<prefix>.notices`` (CloudEvents structured mode; the applicant's name is left out)."""
    data = notice.model_dump(mode="json", exclude={"applicant_name"})
    data["document"] = f"/v1/notices/{notice.id}"
    return {
        "specversion": "1.0",
        "id": notice.id,
        "source": "urn:lienthong:watchdog",
        "type": NOTICE_TYPE if isinstance(notice, Notice) else SUSPENSION_NOTICE_TYPE,
        "subject": notice.dossier_code,
        "time": notice.drafted_at.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def _date_vi(at: datetime) -> str:
    return f"{at.astimezone(TZ):%d/%m/%Y}"


def _name(code: str, on: datetime) -> str:
    """The agency's name in force on the day the notice is issued."""
    return default_agencies().name_vi(code, on)


def render_notice(notice: Notice | SuspensionNotice, place: str = "Nha Trang") -> str:
    """The printable HTML page (A4, Times New Roman), filled from the form in force."""
    if isinstance(notice, SuspensionNotice):
        return _render_suspension(notice, place)
    on = notice.drafted_at
    values = {
        "received_date": _date_vi(notice.received_at),
        "receiving_name": _name(notice.receiving_unit, on),  # who received the dossier: the one-stop-shop
        "agency_name": _name(notice.issued_by or notice.responsible_agency, on),  # who is late, and apologises
        "procedure_name": notice.procedure_name_vi,
        "dossier_code": notice.dossier_code,
        "due_date": _date_vi(notice.due),  # the form says "ngày ...": the date alone, never "ngày 08:00 ngày ..."
        # the responsible agency's own reason, as it issued it; until then a line for it to write on
        "reason": notice.stated_reason or "\u2026" * 40,
        "new_date": _date_vi(notice.issued_new_appointment_at or notice.new_appointment_at),
    }
    template = template_for(notice.template, notice.received_at)
    return _page(template, values, notice.drafted_at, notice.applicant_name, place, "PXL")


def _render_suspension(notice: SuspensionNotice, place: str) -> str:
    if notice.ground_vi is not None:
        ground = notice.ground_vi
    else:
        ground = f"{notice.ground} (không có trong danh mục của thủ tục)" if notice.ground else "(không nêu căn cứ)"
    values = {
        "received_date": _date_vi(notice.received_at),
        "receiving_name": _name(notice.receiving_unit, notice.drafted_at),
        "agency_name": _name(notice.responsible_agency, notice.drafted_at),
        "procedure_name": notice.procedure_name_vi,
        "dossier_code": notice.dossier_code,
        "appointment_date": _date_vi(notice.appointment_at),
        "suspended_date": _date_vi(notice.suspended_at),
        "ground": ground,
        "reason": notice.reason or "\u2026" * 40,  # none recorded (suspended before reasons were kept): a line
        "legal_basis": notice.legal_basis or "(không nêu)",
        "max_days": str(notice.max_working_days),
        "resume_by": _date_vi(notice.resume_by) if notice.resume_by is not None else "\u2026" * 10,
    }
    template = template_for(notice.template, notice.received_at)
    return _page(template, values, notice.drafted_at, notice.applicant_name, place, "TB")


def _page(
    template: NoticeTemplate, values: dict[str, str], drafted: datetime, to_name: str | None, place: str, mark: str
) -> str:
    escaped = {k: html.escape(v) for k, v in values.items()}
    paragraphs = "\n".join(f"<p>{Template(html.escape(p)).safe_substitute(escaped)}</p>" for p in template.paragraphs)
    drafted = drafted.astimezone(TZ)
    to = html.escape(to_name) if to_name else "&hellip;&hellip;&hellip;&hellip;"
    form = " — ".join(html.escape(part) for part in (template.form_no, template.legal_basis) if part)
    if not template.verified:
        form += ' <span class="unverified">(mẫu chưa đối chiếu với văn bản gốc / wording not yet verified)</span>'
    page = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(template.title)} — {escaped["dossier_code"]}</title>
<style>
@page {{ size: A4; margin: 20mm 20mm 20mm 30mm; }}
body {{ font-family: "Times New Roman", serif; font-size: 13pt; line-height: 1.5; max-width: 170mm; margin: auto; }}
.head {{ display: flex; justify-content: space-between; text-align: center; }}
.head div {{ width: 48%; }} h1 {{ font-size: 14pt; text-align: center; margin-top: 2em; }}
.sign {{ margin-left: 50%; text-align: center; margin-top: 2em; }} .note {{ font-style: italic; font-size: 11pt; }}
.form {{ text-align: right; font-style: italic; font-size: 11pt; }}
@media print {{ .unverified {{ display: none; }} }}
</style></head><body>
<div class="form">{form}</div>
<div class="head">
  <div><b>{escaped["agency_name"]}</b><br>Số: &hellip;&hellip;/{mark}<br>Mã hồ sơ: {escaped["dossier_code"]}</div>
  <div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><b>Độc lập - Tự do - Hạnh phúc</b><br>
  <i>{html.escape(place)}, ngày {drafted:%d} tháng {drafted:%m} năm {drafted:%Y}</i></div>
</div>
<h1>{html.escape(template.title)}</h1>
<p>Kính gửi: {to}</p>
{paragraphs}
<div class="sign"><b>{html.escape(template.signature)}</b><br>
<span class="note">{html.escape(template.signature_note)}</span></div>
</body></html>
"""
    return nfc(page)
