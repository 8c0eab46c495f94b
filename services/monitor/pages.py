"""The dashboard's list pages: near-due, overdue, open handoffs, the monthly evaluation, search results.

Pure: each function turns rows of a :class:`~services.monitor.snapshot.Scoped` view into the
:class:`~services.monitor.html.Page` its template draws; dossier codes link to the dossier's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.monitor.exports import evaluation_cells, near_due_cells, overdue_cells
from services.monitor.facts import CycleFact, DossierFact
from services.monitor.html import Page, page_url
from services.monitor.i18n import Texts
from services.monitor.lists import NEAR_DUE_SORTS, AgencyEvaluation, NearDueRow, OverdueRow
from services.monitor.snapshot import Scoped

__all__ = [
    "Filters",
    "Found",
    "evaluation_page",
    "handoffs_page",
    "near_due_page",
    "overdue_page",
    "recent_months",
    "search_page",
]


@dataclass(frozen=True)
class Filters:
    """The agency and procedure filters of a list page, and where its CSV export is."""

    path: str
    agencies: list[tuple[str, str]]
    procedures: list[tuple[str, str]]
    query: dict[str, str]
    hidden: list[tuple[str, str]]
    export: str | None


def _filters(view: Scoped, t: Texts, query: dict[str, str], path: str, export: str | None) -> Filters:
    keep = ("sort", "order", "lang", "kind", "overdue", "from", "to")
    export_url = (
        page_url(export, {k: query.get(k, "") for k in ("agency", "procedure", "sort", "order", "lang")})
        if export
        else None
    )
    return Filters(
        path,
        [(a, t.agency(a)) for a in view.agencies()],
        [(p, t.procedure(p)) for p in view.procedure_codes()],
        query,
        [(k, query[k]) for k in keep if query.get(k)],
        export_url,
    )


def near_due_page(view: Scoped, rows: Sequence[NearDueRow], t: Texts, query: dict[str, str]) -> Page:
    keys = ("kind", "dossier", "procedure", "step", None, "agency", "due", "remaining")
    labels = ("kind", "dossier_code", "procedure", "step", "from_agency", "holder", "due", "remaining")
    sort, order = query.get("sort", "due"), query.get("order", "asc")
    head: list[dict[str, str | None]] = []  # each column head's text and, if it sorts, its link
    for key, label in zip(keys, labels, strict=True):
        if key in NEAR_DUE_SORTS:
            flip = "desc" if sort == key and order == "asc" else "asc"
            mark = (" ▲" if order == "asc" else " ▼") if sort == key else ""
            head.append(
                {"text": t(label) + mark, "href": page_url("/monitor/near-due", {**query, "sort": key, "order": flip})}
            )
        else:
            head.append({"text": t(label), "href": None})
    body = [(r, near_due_cells(r, t)) for r in rows]
    return Page(
        t("nav_near_due"),
        "near_due.html",
        {
            "head": head,
            "rows": body,
            "filters": _filters(view, t, query, "/monitor/near-due", "/monitor/export/near-due.csv"),
        },
    )


def overdue_page(view: Scoped, rows: Sequence[OverdueRow], t: Texts, query: dict[str, str]) -> Page:
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
    body = [overdue_cells(r, t) for r in rows]
    return Page(
        t("nav_overdue"),
        "overdue.html",
        {
            "head": [t(k) for k in labels],
            "rows": body,
            "filters": _filters(view, t, query, "/monitor/overdue", "/monitor/export/overdue.csv"),
        },
    )


def handoffs_page(view: Scoped, rows: Sequence[CycleFact], t: Texts, query: dict[str, str]) -> Page:
    """The open handoffs (``overdue``: only those past due), of one agency pair when ``from``/``to`` are given."""
    overdue = query.get("overdue") == "1"
    pair = (query.get("from"), query.get("to"))
    title = t("handoffs_overdue_title" if overdue else "handoffs_title")
    other = {k: v for k, v in query.items() if k != "overdue"}
    switch = page_url("/monitor/handoffs", other if overdue else {**other, "overdue": "1"})
    return Page(
        title,
        "handoffs.html",
        {
            "rows": sorted(rows, key=lambda c: (c.due is None, c.due or c.started_at, c.dossier_code)),
            "overdue": overdue,
            "pair": pair if all(pair) else None,
            "switch": switch,
            "filters": _filters(view, t, query, "/monitor/handoffs", None),
        },
    )


@dataclass(frozen=True)
class Found:
    fact: DossierFact
    by: str  # "code", "name", or "open" (the list of open dossiers)


def search_page(
    found: Sequence[Found], t: Texts, q: str, *, office: bool, more: bool, short: bool, listing: bool = False
) -> Page:
    """Dossiers found by code or name; ``listing``: the list of open dossiers instead (no query)."""
    return Page(
        t("tile_dossiers_open") if listing else t("search_title"),
        "search.html",
        {"found": found, "q": q, "office": office, "more": more, "short": short, "listing": listing},
    )


def recent_months(current: str, count: int = 12) -> list[str]:
    """``current`` (YYYY-MM) and the months before it, newest first."""
    year, month = (int(part) for part in current.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def evaluation_page(
    month: str, rows: Sequence[AgencyEvaluation], t: Texts, query: dict[str, str], current: str
) -> Page:
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
    months = recent_months(current)
    if month not in months:
        months.append(month)
    return Page(
        t("nav_evaluation"),
        "evaluation.html",
        {
            "month": month,
            "months": months,
            "head": [t(k) for k in labels],
            "rows": [evaluation_cells(r, t) for r in rows],
            "export": page_url("/monitor/export/evaluation.csv", {"month": month, "lang": query.get("lang", "")}),
        },
    )
