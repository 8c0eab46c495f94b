"""The dossier page (slip and timeline), the printable slip, and the connector page.

Pure: each function returns the :class:`~services.monitor.html.Page` its template draws (the printable slip
is a document of its own); the views do the look-ups and the access checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.monitor.dossier import DossierView, SlipLine
from services.monitor.html import Page, page_url, render
from services.monitor.i18n import Texts
from services.monitor.technical import DeliveryStats, GroupStatus

__all__ = ["dossier_page", "facts", "slip_print", "technical_page", "verdict_of"]


def verdict_of(line: SlipLine, t: Texts) -> tuple[str, str]:
    """A slip line's result in words, and its tone."""
    if line.due is None and line.finished_at is None:
        return t("not_counted"), ""
    text = t.verdict(line.verdict, line.outcome, open_=line.open)
    return text, {"late": "bad", "on_time": "ok", "early": "ok"}.get(line.verdict or "", "")


def facts(view: DossierView, t: Texts) -> list[tuple[str, str]]:
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
        pairs.append((t("suspended_time"), f"{t.span(round(f.suspended_h, 2))}{now}"))
    return pairs


def _details(details: dict[str, str], t: Texts, procedure_code: str) -> str:
    parts = []
    for key, value in details.items():
        shown = t.value(key, value)
        if key in ("step_id", "return_to_step"):
            shown = t.step(procedure_code, value)
        elif key in ("due", "new_appointment_at", "paid_at"):
            shown = t.dt(datetime.fromisoformat(value))
        elif key in ("from_agency", "to_agency", "responsible_agency"):
            shown = t.agency_short(value)
        parts.append(f"{t('d_' + key)}: {shown}")
    return "; ".join(parts)


def _slip(view: DossierView, t: Texts) -> list[dict[str, object]]:
    code = view.fact.procedure_code
    return [
        {
            "line": line,
            "name": t.step(code, line.step_id) if t.lang == "en" else line.step_name_vi,
            "verdict": verdict_of(line, t),
        }
        for line in view.slip
    ]


def dossier_page(view: DossierView, t: Texts, lang_query: dict[str, str], check: str | None = None) -> Page:
    """``check``: the citizen's check code, for viewers who may give it (the Office, the receiving unit)."""
    code = view.fact.code
    events = [{"entry": e, "details": _details(e.details, t, view.fact.procedure_code)} for e in view.timeline]
    return Page(
        f"{t('dossier_title')} {code}",
        "dossier.html",
        {
            "code": code,
            "facts": facts(view, t),
            "slip": _slip(view, t),
            "events": events,
            "print_url": page_url(f"/monitor/dossiers/{code}/slip", lang_query),
            "check": check,
        },
    )


def slip_print(view: DossierView, t: Texts, as_of: datetime, lang_query: dict[str, str]) -> str:
    code = view.fact.code
    return render(
        "slip.html",
        t=t,
        code=code,
        back=page_url(f"/monitor/dossiers/{code}", lang_query),
        org=t.agency(view.fact.receiving_unit),
        heading=t("slip_title").upper() if t.lang == "vi" else t("slip_title"),
        facts=facts(view, t),
        slip=_slip(view, t),
        as_of=as_of,
    )


def technical_page(
    groups: Sequence[GroupStatus],
    topics: dict[str, int | None],
    deliveries: Sequence[DeliveryStats],
    t: Texts,
    error: str | None,
) -> Page:
    return Page(
        t("nav_technical"),
        "technical.html",
        {
            "groups": groups,
            "topics": sorted(topics.items()),
            "deliveries": deliveries,
            "error": error,
        },
    )
