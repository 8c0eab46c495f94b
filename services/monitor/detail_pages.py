"""The dossier page (slip and timeline), the printable slip, and the connector page.

Pure rendering; the views do the look-ups and the access checks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime

from services.monitor.dossier import DossierView, SlipLine
from services.monitor.html import h, page_url, table, template
from services.monitor.i18n import Texts
from services.monitor.technical import DeliveryStats, GroupStatus

__all__ = ["dossier_page", "slip_print", "slip_table", "technical_page"]


def _verdict(line: SlipLine, t: Texts) -> str:
    if line.due is None and line.finished_at is None:
        text, tone = t("not_counted"), ""
    else:
        text = t.verdict(line.verdict, line.outcome, open_=line.open)
        tone = {"late": "bad", "on_time": "ok", "early": "ok"}.get(line.verdict or "", "")
    return f'<span class="verdict {tone}">{h(text)}</span>'


def _party(agency: str, officer: str | None, t: Texts) -> str:
    who = f"<br><small>{h(t('officer'))}: {h(officer)}</small>" if officer else ""
    return f"{h(t.agency(agency))}{who}"


def slip_table(view: DossierView, t: Texts, procedure_code: str) -> str:
    head = [
        h(t(k))
        for k in (
            "step",
            "handed_by",
            "received_by",
            "handed_at",
            "accepted_at",
            "due",
            "finished_at",
            "result",
            "note",
        )
    ]
    rows = []
    for n, line in enumerate(view.slip, start=1):
        name = t.step(procedure_code, line.step_id) if t.lang == "en" else line.step_name_vi
        rows.append(
            [
                f"{n}. {h(name)}",
                _party(line.from_agency, line.from_officer, t),
                _party(line.to_agency, line.to_officer, t),
                h(t.dt(line.handed_over_at)),
                h(t.dt(line.accepted_at)),
                h(t.dt(line.due)),
                h(t.dt(line.finished_at)),
                _verdict(line, t),
                h(line.note or ""),
            ]
        )
    return table(head, rows, cls="slip", empty=t("none"))


def _facts(view: DossierView, t: Texts) -> str:
    f = view.fact
    status = t.verdict(f.verdict, None, open_=f.open, paused=f.paused) if f.open else t.verdict(f.verdict, f.outcome)
    pairs = [
        (t("dossier_code"), f.code),
        (t("procedure"), f"{t.procedure(f.procedure_code)} ({f.procedure_code})"),
        (t("receiving_unit"), t.agency(f.receiving_unit)),
        (t("received_at"), t.dt(f.received_at)),
        (t("appointment_at"), t.dt(f.appointment_at)),
        (t("status"), status),
    ]
    if f.submitted_at is not None:
        pairs.insert(3, (t("submitted_at"), t.dt(f.submitted_at)))
    if f.suspended or f.suspended_h:
        now = f" ({t('suspended_now').lower()})" if f.suspended else ""
        pairs.append((t("suspended_time"), f"{t.num(round(f.suspended_h, 2))}{now}"))
    return "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in pairs)


def _details(details: dict[str, str], t: Texts, procedure_code: str) -> str:
    parts = []
    for key, value in details.items():
        shown = value
        if key in ("step_id", "return_to_step"):
            shown = t.step(procedure_code, value)
        elif key in ("due", "new_appointment_at", "paid_at"):
            shown = t.dt(datetime.fromisoformat(value))
        elif key in ("from_agency", "to_agency", "responsible_agency"):
            shown = t.agency_short(value)
        parts.append(f"{h(t('d_' + key))}: {h(shown)}")
    return "; ".join(parts)


def dossier_page(view: DossierView, t: Texts, lang_query: dict[str, str]) -> str:
    code = view.fact.code
    events = [
        [
            h(t.dt(e.at)),
            h(t.event(e.type)) + ("" if e.recorded else f' <span class="bad">({h(t("not_recorded"))})</span>'),
            h(t.agency_short(e.source)),
            f'<span class="code small">{h(e.handoff_id or "")}</span>',
            _details(e.details, t, view.fact.procedure_code),
        ]
        for e in view.timeline
    ]
    head = [h(t(k)) for k in ("time", "event", "agency", "handoff_id", "details")]
    print_url = page_url(f"/monitor/dossiers/{code}/slip", lang_query)
    return (
        f'<section><h1>{h(t("dossier_title"))} <span class="code">{h(code)}</span></h1>'
        f'<dl class="facts">{_facts(view, t)}</dl></section>'
        f"<section><h2>{h(t('slip_title'))}</h2>"
        f'<p><a class="button" href="{h(print_url)}" id="print-slip">{h(t("print_slip"))}</a></p>'
        f"{slip_table(view, t, view.fact.procedure_code)}</section>"
        f"<section><h2>{h(t('timeline_title'))}</h2>{table(head, events, cls='timeline', empty=t('none'))}</section>"
    )


def slip_print(view: DossierView, t: Texts, as_of: datetime, lang_query: dict[str, str]) -> str:
    code = view.fact.code
    html = template("slip.html").substitute(
        lang=t.lang,
        title=h(t("slip_title")),
        code=h(code),
        back=h(page_url(f"/monitor/dossiers/{code}", lang_query)),
        back_label=h(t("back")),
        print_label=h(t("print_slip")),
        org=h(t.agency(view.fact.receiving_unit)),
        heading=h(t("slip_title").upper() if t.lang == "vi" else t("slip_title")),
        facts=_facts(view, t),
        table=slip_table(view, t, view.fact.procedure_code),
        as_of_label=h(t("as_of")),
        as_of=h(t.dt(as_of)),
    )
    return unicodedata.normalize("NFC", html)


def technical_page(
    groups: Sequence[GroupStatus],
    topics: dict[str, int | None],
    deliveries: Sequence[DeliveryStats],
    t: Texts,
    error: str | None,
) -> str:
    tone = {"OK": "ok", "WARN": "warn"}
    group_rows = [
        [
            h(g.group),
            h(g.state),
            str(g.members),
            f'<span class="verdict {tone.get(g.status, "bad")}">{h(t.status(g.status))}</span>',
            str(g.total_lag),
            h(t.num(g.max_lag_seconds)),
            h(t.clock(g.sampled_at)),
        ]
        for g in groups
    ]
    group_head = [h(t(k)) for k in ("group", "status", "members")] + [
        "Burrow",
        h(t("lag")),
        h(t("lag_seconds")),
        h(t("time")),
    ]
    part_rows = [
        [
            h(g.group),
            h(p.topic),
            str(p.partition),
            str(p.committed),
            str(p.log_end),
            str(p.lag),
            h(("≥ " if p.approximate else "") + t.num(p.lag_seconds)),
            f'<span class="verdict {tone.get(p.status, "bad")}">{h(p.status)}</span>',
        ]
        for g in groups
        for p in g.partitions
    ]
    part_head = [h(t(k)) for k in ("group", "topic", "partition", "committed", "log_end", "lag", "lag_seconds")] + [
        "Burrow"
    ]
    topic_rows = [[h(name), "—" if n is None else str(n)] for name, n in sorted(topics.items())]
    delivery_rows = [
        [h(t.agency(d.agency)), str(d.delivered), str(d.dead_lettered), h(t.pct(d.success_rate)), str(d.retries)]
        for d in deliveries
    ]
    delivery_head = [h(t(k)) for k in ("agency", "delivered", "dead_lettered", "success_rate", "retries")]
    warn = f'<p class="message error">{h(error)}</p>' if error else ""
    empty = t("no_sample")
    return (
        f'<section><h1>{h(t("technical_title"))}</h1><p class="help">{h(t("technical_help"))}</p>{warn}'
        + table(group_head, group_rows, empty=empty)
        + table(part_head, part_rows, cls="partitions", empty=empty)
        + f"</section><section><h2>{h(t('deadletter'))} / {h(t('quarantine'))}</h2>"
        + table([h(t("topic")), h(t("records"))], topic_rows, empty=empty)
        + f"</section><section><h2>{h(t('deliveries_title'))}</h2>"
        + table(delivery_head, delivery_rows, empty=t("none"))
        + "</section>"
    )
