"""The dashboard's list pages (the ``<main>`` content): near-due, overdue, monthly evaluation.

Pure rendering of a :class:`~services.monitor.snapshot.Scoped` view; the views wrap the result in the layout.
Dossier codes link to the dossier's page (its slip and timeline).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.monitor.exports import evaluation_cells, near_due_cells, overdue_cells
from services.monitor.html import h, page_url, table
from services.monitor.i18n import Texts
from services.monitor.lists import NEAR_DUE_SORTS, AgencyEvaluation, NearDueRow, OverdueRow
from services.monitor.overview import dossier_link
from services.monitor.snapshot import Scoped

__all__ = ["evaluation_page", "near_due_page", "overdue_page", "recent_months"]


def _filters(view: Scoped, t: Texts, query: dict[str, str], path: str, export: str) -> str:
    def select(name: str, label: str, options: list[tuple[str, str]]) -> str:
        chosen = query.get(name, "")
        opts = f'<option value="">{h(t("filter_all"))}</option>' + "".join(
            f'<option value="{h(v)}"{" selected" if v == chosen else ""}>{h(text)}</option>' for v, text in options
        )
        return f'<label>{h(label)} <select name="{name}">{opts}</select></label>'

    agencies = [(a, t.agency(a)) for a in view.agencies()]
    procedures = [(p, t.procedure(p)) for p in view.procedure_codes()]
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{h(query[k])}">' for k in ("sort", "order", "lang") if query.get(k)
    )
    export_url = page_url(export, {k: query.get(k, "") for k in ("agency", "procedure", "sort", "order", "lang")})
    return (
        f'<form class="filters" method="get" action="{h(path)}">{select("agency", t("filter_agency"), agencies)}'
        f"{select('procedure', t('filter_procedure'), procedures)}{hidden}"
        f'<button type="submit">{h(t("filter_button"))}</button>'
        f'<a class="button" href="{h(export_url)}">{h(t("export_csv"))}</a></form>'
    )


def near_due_page(view: Scoped, rows: Sequence[NearDueRow], t: Texts, query: dict[str, str]) -> str:
    keys = ("kind", "dossier", "procedure", "step", None, "agency", "due", "remaining")
    labels = ("kind", "dossier_code", "procedure", "step", "from_agency", "holder", "due", "remaining")
    sort, order = query.get("sort", "due"), query.get("order", "asc")
    head = []
    for key, label in zip(keys, labels, strict=True):
        if key in NEAR_DUE_SORTS:
            flip = "desc" if sort == key and order == "asc" else "asc"
            mark = (" ▲" if order == "asc" else " ▼") if sort == key else ""
            url = page_url("/monitor/near-due", {**query, "sort": key, "order": flip})
            head.append(f'<a class="sort" href="{h(url)}">{h(t(label))}{mark}</a>')
        else:
            head.append(h(t(label)))
    body = []
    for r in rows:
        cells = [h(c) for c in near_due_cells(r, t)]
        cells[1] = dossier_link(r.dossier_code)
        cells[7] = f'<span class="{"bad" if r.remaining_hours < 4 else "warn"}">{cells[7]}</span>'
        body.append(cells)
    return (
        f'<section><h1>{h(t("near_due_title"))}</h1><p class="help">{h(t("near_due_help"))}</p>'
        + _filters(view, t, query, "/monitor/near-due", "/monitor/export/near-due.csv")
        + table(head, body, cls="near-due", empty=t("none"))
        + "</section>"
    )


def overdue_page(view: Scoped, rows: Sequence[OverdueRow], t: Texts, query: dict[str, str]) -> str:
    labels = (
        "dossier_code",
        "procedure",
        "received_at",
        "due",
        "status",
        "late_hours",
        "responsible",
        "causes",
        "reasons_given",
        "apology_issued",
    )
    body = []
    for r in rows:
        cells = [h(c) for c in overdue_cells(r, t)]
        cells[0] = dossier_link(r.dossier_code)
        cells[7] = cells[7].replace("; ", "<br>")
        body.append(cells)
    return (
        f"<section><h1>{h(t('overdue_title'))}</h1>"
        + _filters(view, t, query, "/monitor/overdue", "/monitor/export/overdue.csv")
        + table([h(t(k)) for k in labels], body, cls="overdue", empty=t("none"))
        + "</section>"
    )


def recent_months(current: str, count: int = 12) -> list[str]:
    """``current`` (YYYY-MM) and the months before it, newest first."""
    year, month = (int(part) for part in current.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def evaluation_page(month: str, rows: Sequence[AgencyEvaluation], t: Texts, query: dict[str, str], current: str) -> str:
    labels = (
        "agency",
        "finished",
        "early",
        "on_time",
        "late",
        "rate_early",
        "rate_on_time",
        "rate_late",
        "median",
        "overdue_open",
        "apologies",
    )
    export = page_url("/monitor/export/evaluation.csv", {"month": month, "lang": query.get("lang", "")})
    months = recent_months(current)
    if month not in months:
        months.append(month)
    options = "".join(
        f'<option value="{h(m)}"{" selected" if m == month else ""}>{h(t.month(m))}</option>' for m in months
    )
    form = (
        f'<form class="filters" method="get" action="/monitor/evaluation"><label>{h(t("month"))} '
        f'<select name="month">{options}</select></label>'
        f'<button type="submit">{h(t("filter_button"))}</button>'
        f'<a class="button" href="{h(export)}">{h(t("export_csv"))}</a></form>'
    )
    body = [[h(c) for c in evaluation_cells(r, t)] for r in rows]
    return (
        f'<section><h1>{h(t("evaluation_title"))} {h(t.month(month))}</h1><p class="help">{h(t("evaluation_help"))}</p>'
        + form
        + table([h(t(k)) for k in labels], body, cls="evaluation", empty=t("none"))
        + "</section>"
    )
