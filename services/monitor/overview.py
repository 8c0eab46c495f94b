"""The overview page: tiles, the agency-pair matrix, charts, figures per pair and per procedure.

Pure: turns a :class:`~services.monitor.snapshot.Scoped` view into the :class:`~services.monitor.html.Page`
that ``overview.html`` draws. Every tile with a list behind it links to that list; every matrix cell links
to the open handoffs of its pair, and shows its figures as text (no tooltip-only detail).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.agencies import default_agencies
from schemas.workcalendar import WorkingCalendar
from services.monitor.business import LagFigures, PairLag
from services.monitor.charts import Chart, Series, chart
from services.monitor.html import Page, page_url
from services.monitor.i18n import Texts
from services.monitor.service import LagPoint
from services.monitor.snapshot import Scoped
from services.monitor.technical import GroupStatus

__all__ = ["Cell", "Tile", "agency_order", "handoffs_url", "matrix", "overview_page"]

_STATUS_ORDER = ("OK", "WARN", "STALL", "STOP", "REWIND")


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    tone: str = ""
    href: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Cell:
    figures: LagFigures
    tone: str
    href: str


def agency_order(codes: set[str]) -> list[str]:
    registry = list(default_agencies())
    return sorted(codes, key=lambda c: (registry.index(c) if c in registry else len(registry), c))


def handoffs_url(t: Texts, **query: str) -> str:
    return page_url("/monitor/handoffs", {**query, "lang": "en" if t.lang == "en" else ""})


def matrix(pairs: Sequence[PairLag], t: Texts) -> tuple[list[str], list[tuple[str, list[Cell | None]]]]:
    """The receivers (columns) and, per sender, its row of cells (None: no handoff between the two)."""
    senders = agency_order({p.from_agency for p in pairs})
    receivers = agency_order({p.to_agency for p in pairs})
    found = {(p.from_agency, p.to_agency): p.figures for p in pairs}
    rows: list[tuple[str, list[Cell | None]]] = []
    for s in senders:
        cells: list[Cell | None] = []
        for r in receivers:
            f = found.get((s, r))
            if f is None:
                cells.append(None)
                continue
            tone = "bad" if f.overdue else ("warn" if f.late else "ok")
            cells.append(Cell(f, tone, handoffs_url(t, **{"from": s, "to": r})))
        rows.append((s, cells))
    return receivers, rows


def _tiles(view: Scoped, cal: WorkingCalendar, t: Texts, groups: Sequence[GroupStatus], dead: int | None) -> list[Tile]:
    o = view.overview(cal)

    def warn(n: int, tone: str) -> str:
        return tone if n else ""

    lang = {"lang": "en"} if t.lang == "en" else {}
    done = t("month_dossiers" if o.month_basis == "dossiers" else "month_handoffs")
    tiles = [
        Tile(
            "dossiers-open",
            t("tile_dossiers_open"),
            str(o.dossiers_open),
            href=page_url("/monitor/search", {"open": "1", **lang}),
        ),
        Tile(
            "dossiers-overdue",
            t("tile_dossiers_overdue"),
            str(o.dossiers_overdue),
            warn(o.dossiers_overdue, "bad"),
            page_url("/monitor/overdue", lang),
        ),
        Tile(
            "dossiers-near-due",
            t("tile_dossiers_near_due"),
            str(o.dossiers_near_due),
            warn(o.dossiers_near_due, "warn"),
            page_url("/monitor/near-due", {"kind": "dossier", **lang}),
        ),
        Tile("handoffs-open", t("tile_handoffs_open"), str(o.handoffs_open), href=handoffs_url(t)),
        Tile(
            "handoffs-overdue",
            t("tile_handoffs_overdue"),
            str(o.handoffs_overdue),
            warn(o.handoffs_overdue, "bad"),
            handoffs_url(t, overdue="1"),
        ),
        Tile(
            "handoffs-near-due",
            t("tile_handoffs_near_due"),
            str(o.handoffs_near_due),
            warn(o.handoffs_near_due, "warn"),
            page_url("/monitor/near-due", {"kind": "handoff", **lang}),
        ),
        Tile(
            "on-time",
            t("tile_on_time_rate"),
            t.pct(o.month_in_time_rate),
            note=f"{t('month')} {t.month(o.month)}: {o.month_finished} {done}",
            href=page_url("/monitor/evaluation", lang),
        ),
    ]
    if groups:
        worst = max(groups, key=lambda g: _STATUS_ORDER.index(g.status))
        tone = "ok" if worst.status == "OK" else "warn" if worst.status == "WARN" else "bad"
        note = f"{t('lag')}: {sum(g.total_lag for g in groups)}"
        technical = page_url("/monitor/technical", lang)
        tiles.append(Tile("connector", t("tile_connector"), t("status_" + worst.status), tone, technical, note))
        value = "—" if dead is None else str(dead)
        tiles.append(Tile("deadletter", t("tile_deadletter"), value, warn(dead or 0, "warn"), technical))
    return tiles


def _charts(view: Scoped, cal: WorkingCalendar, t: Texts, history: Sequence[LagPoint]) -> list[Chart]:
    daily = view.daily(cal)
    labels = [t.day(p.period) for p in daily]
    charts = [
        chart(
            labels,
            [
                Series(t("finished"), [p.finished for p in daily], "#8c959f", "bar"),
                Series(t("late"), [p.late for p in daily], "#cf222e", "bar"),
                Series(f"{t('median')} ({t('unit_days')})", [t.days(p.median_h) for p in daily], "#0969da"),
            ],
            title=t("trend_title"),
            fmt=t.num,
        ),
        chart(
            labels,
            [
                Series(t("open"), [p.open_end for p in daily], "#0969da", "line"),
                Series(t("overdue"), [p.overdue_end for p in daily], "#cf222e", "line"),
            ],
            title=t("backlog_title"),
            fmt=lambda v: t.num(v, 0),
            integer=True,
        ),
    ]
    weekly = view.weekly(cal)
    charts.append(
        chart(
            [t.day(p.period) for p in weekly],
            [
                Series(f"{t('median')} ({t('unit_days')})", [t.days(p.median_h) for p in weekly], "#0969da"),
                Series(t("late"), [p.late for p in weekly], "#cf222e", "bar"),
            ],
            title=t("weekly_title"),
            fmt=t.num,
        )
    )
    if history:
        groups = sorted({g for point in history for g in point.lag})
        colors = ("#8250df", "#1a7f37", "#bf8700", "#0969da")
        charts.append(
            chart(
                [t.clock(p.at) for p in history],
                [
                    Series(g, [p.lag.get(g) for p in history], colors[i % len(colors)], "line")
                    for i, g in enumerate(groups)
                ],
                title=t("lag_title"),
                fmt=lambda v: t.num(v, 0),
                integer=True,
            )
        )
    return charts


def overview_page(
    view: Scoped,
    cal: WorkingCalendar,
    t: Texts,
    groups: Sequence[GroupStatus],
    dead: int | None,
    history: Sequence[LagPoint],
) -> Page:
    pairs = view.pairs()
    receivers, rows = matrix(pairs, t)
    return Page(
        t("nav_overview"),
        "overview.html",
        {
            "tiles": _tiles(view, cal, t, groups, dead),
            "receivers": receivers,
            "matrix_rows": rows,
            "charts": _charts(view, cal, t, history),
            "pairs": [(p, handoffs_url(t, **{"from": p.from_agency, "to": p.to_agency})) for p in pairs],
            "procedures": view.procedures(),
        },
    )
