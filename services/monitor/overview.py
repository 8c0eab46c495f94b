"""The overview page: tiles, the agency-pair matrix, charts, figures per pair and per procedure.

Pure rendering of a :class:`~services.monitor.snapshot.Scoped` view (the views wrap it in the layout).
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.agencies import default_agencies
from schemas.workcalendar import WorkingCalendar
from services.monitor.business import LagFigures, PairLag
from services.monitor.charts import Series, chart
from services.monitor.html import h, message, table, tile
from services.monitor.i18n import Texts
from services.monitor.service import LagPoint
from services.monitor.snapshot import Scoped
from services.monitor.technical import GroupStatus

__all__ = ["dossier_link", "matrix", "overview_page"]


def dossier_link(code: str) -> str:
    return f'<a class="code" href="/monitor/dossiers/{h(code)}">{h(code)}</a>'


def _agency_order(codes: set[str]) -> list[str]:
    registry = list(default_agencies())
    return sorted(codes, key=lambda c: (registry.index(c) if c in registry else len(registry), c))


def _cell(f: LagFigures, t: Texts) -> str:
    tone = "bad" if f.overdue else ("warn" if f.late else "ok")
    tip = (
        f"{t('open')}: {f.open} · {t('overdue')}: {f.overdue} · {t('finished')}: {f.finished} · "
        f"{t('median')}: {t.num(f.median_h)} · {t('p90')}: {t.num(f.p90_h)} · "
        f"{t('early')}/{t('on_time')}/{t('late')}: {f.early}/{f.on_time}/{f.late}"
    )
    overdue = f' <span class="over">({f.overdue})</span>' if f.overdue else ""
    return (
        f'<td class="cell {tone}" title="{h(tip)}"><span class="big">{f.open}</span>{overdue}'
        f'<span class="small">{h(t.num(f.median_h))} {h(t("hours_unit"))}</span></td>'
    )


def matrix(pairs: Sequence[PairLag], t: Texts) -> str:
    if not pairs:
        return message(t("none"))
    senders = _agency_order({p.from_agency for p in pairs})
    receivers = _agency_order({p.to_agency for p in pairs})
    found = {(p.from_agency, p.to_agency): p.figures for p in pairs}
    head = "".join(f'<th scope=col title="{h(t.agency(r))}">{h(t.agency_short(r))}</th>' for r in receivers)
    rows = []
    for s in senders:
        cells = "".join(
            _cell(found[(s, r)], t) if (s, r) in found else '<td class="cell none">·</td>' for r in receivers
        )
        rows.append(f'<tr><th scope=row title="{h(t.agency(s))}">{h(t.agency_short(s))}</th>{cells}</tr>')
    corner = f"{h(t('from_agency'))} ↓ · {h(t('to_agency'))} →"
    return (
        f'<div class="table-wrap"><table class="matrix" id="matrix"><thead><tr><th class="corner">{corner}</th>{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _count(n: int, pct: float | None, t: Texts, tone: str = "") -> str:
    share = f" <small>({h(t.pct(pct))})</small>" if pct is not None and n else ""
    return f'<span class="{tone if n else ""}">{n}</span>{share}'


def _figure_cells(f: LagFigures, t: Texts) -> list[str]:
    """Open: count, overdue, oldest; finished: count, early, on time, late, median, p90; supplements, bounces."""
    oldest = (
        dossier_link(f.oldest_open_code) + f"<br><small>{h(t.dt(f.oldest_open_at))}</small>"
        if f.oldest_open_code
        else "—"
    )
    return [
        str(f.open),
        _count(f.overdue, None, t, "bad"),
        oldest,
        str(f.finished),
        _count(f.early, f.early_rate, t),
        _count(f.on_time, f.on_time_rate, t),
        _count(f.late, f.late_rate, t, "bad"),
        h(t.num(f.median_h)),
        h(t.num(f.p90_h)),
        str(f.supplements),
        str(f.bounces),
    ]


def _figure_head(t: Texts) -> tuple[list[str], list[tuple[str, int]]]:
    keys = ("open", "overdue", "oldest_open", "count", "early", "on_time", "late", "median", "p90")
    head = [h(t(k)) for k in keys] + [h(t("supplements")), h(t("bounces"))]
    return head, [(t("group_open"), 3), (t("group_finished"), 6), (t("group_other"), 2)]


def _tiles(view: Scoped, cal: WorkingCalendar, t: Texts, groups: Sequence[GroupStatus], dead: int | None) -> str:
    o = view.overview(cal)

    def warn(n: int, tone: str) -> str:
        return tone if n else ""

    done = t("month_dossiers" if o.month_basis == "dossiers" else "month_handoffs")
    tiles = [
        tile(t("tile_dossiers_open"), str(o.dossiers_open)),
        tile(
            t("tile_dossiers_overdue"),
            str(o.dossiers_overdue),
            tone=warn(o.dossiers_overdue, "bad"),
            href="/monitor/overdue",
        ),
        tile(
            t("tile_dossiers_near_due"),
            str(o.dossiers_near_due),
            tone=warn(o.dossiers_near_due, "warn"),
            href="/monitor/near-due",
        ),
        tile(t("tile_handoffs_open"), str(o.handoffs_open)),
        tile(t("tile_handoffs_overdue"), str(o.handoffs_overdue), tone=warn(o.handoffs_overdue, "bad")),
        tile(
            t("tile_handoffs_near_due"),
            str(o.handoffs_near_due),
            tone=warn(o.handoffs_near_due, "warn"),
            href="/monitor/near-due",
        ),
        tile(
            t("tile_on_time_rate"),
            t.pct(o.month_in_time_rate),
            note=f"{t('month')} {t.month(o.month)}: {o.month_finished} {done}",
            href="/monitor/evaluation",
        ),
    ]
    if groups:
        order = ("OK", "WARN", "STALL", "STOP", "REWIND")
        worst = max(groups, key=lambda g: order.index(g.status))
        tone = "ok" if worst.status == "OK" else "warn" if worst.status == "WARN" else "bad"
        note = f"{t('status_' + worst.status)} · {t('lag')}: {sum(g.total_lag for g in groups)}"
        tiles.append(tile(t("tile_connector"), worst.status, tone=tone, href="/monitor/technical", note=note))
        tiles.append(
            tile(
                t("tile_deadletter"),
                "—" if dead is None else str(dead),
                tone=warn(dead or 0, "warn"),
                href="/monitor/technical",
            )
        )
    return f'<section class="tiles">{"".join(tiles)}</section>'


def _charts(view: Scoped, cal: WorkingCalendar, t: Texts, history: Sequence[LagPoint]) -> str:
    daily = view.daily(cal)
    labels = [t.day(p.period) for p in daily]
    turnaround = chart(
        labels,
        [
            Series(t("finished"), [p.finished for p in daily], "#8c959f", "bar"),
            Series(t("late"), [p.late for p in daily], "#cf222e", "bar"),
            Series(t("median"), [p.median_h for p in daily], "#0969da", "line"),
        ],
        title=t("trend_title"),
        fmt=t.num,
    )
    backlog = chart(
        labels,
        [
            Series(t("open"), [p.open_end for p in daily], "#0969da", "line"),
            Series(t("overdue"), [p.overdue_end for p in daily], "#cf222e", "line"),
        ],
        title=t("backlog_title"),
        fmt=lambda v: t.num(v, 0),
        integer=True,
    )
    weekly = view.weekly(cal)
    weeks = chart(
        [t.day(p.period) for p in weekly],
        [
            Series(t("median"), [p.median_h for p in weekly], "#0969da", "line"),
            Series(t("late"), [p.late for p in weekly], "#cf222e", "bar"),
        ],
        title=t("weekly_title"),
        fmt=t.num,
    )
    figures = [("trend_title", turnaround), ("backlog_title", backlog), ("weekly_title", weeks)]
    if history:
        groups = sorted({g for point in history for g in point.lag})
        colors = ("#8250df", "#1a7f37", "#bf8700", "#0969da")
        lag = chart(
            [t.clock(p.at) for p in history],
            [Series(g, [p.lag.get(g) for p in history], colors[i % len(colors)], "line") for i, g in enumerate(groups)],
            title=t("lag_title"),
            fmt=lambda v: t.num(v, 0),
            integer=True,
        )
        figures.append(("lag_title", lag))
    return "".join(f'<figure class="chart-box"><figcaption>{h(t(k))}</figcaption>{svg}</figure>' for k, svg in figures)


def overview_page(
    view: Scoped,
    cal: WorkingCalendar,
    t: Texts,
    groups: Sequence[GroupStatus],
    dead: int | None,
    history: Sequence[LagPoint],
) -> str:
    pairs = view.pairs()
    head, spans = _figure_head(t)
    pair_rows = [
        [f"{h(t.agency_short(p.from_agency))} → {h(t.agency_short(p.to_agency))}", *_figure_cells(p.figures, t)]
        for p in pairs
    ]
    pair_table = table(
        [h(f"{t('from_agency')} → {t('to_agency')}"), *head],
        pair_rows,
        empty=t("none"),
        groups=[("", 1), *spans],
        cls="figures",
    )
    proc_rows = []
    for p in view.procedures():
        d, f = p.dossiers, p.handoffs
        proc_rows.append(
            [
                f'<span title="{h(p.procedure_code)}">{h(t.procedure(p.procedure_code))}</span>',
                str(d.received),
                str(d.open),
                _count(d.overdue, None, t, "bad"),
                _count(d.suspended, None, t, "warn"),
                str(d.finished),
                _count(d.early, d.early_rate, t),
                _count(d.on_time, d.on_time_rate, t),
                _count(d.late, d.late_rate, t, "bad"),
                _count(d.online, d.online_rate, t),
                h(t.num(d.online_intake_median_h)),
                str(f.open),
                _count(f.overdue, None, t, "bad"),
                h(t.num(f.median_h)),
                str(f.supplements),
                str(f.bounces),
            ]
        )
    proc_keys = (
        "received",
        "status_open",
        "overdue",
        "resolved",
        "early",
        "on_time",
        "late",
        "online",
        "online_intake",
    )
    proc_head = [h(t("procedure")), *(h(t(k)) for k in proc_keys)]
    proc_head += [h(t(k)) for k in ("open", "overdue", "median", "supplements", "bounces")]
    proc_spans = [("", 1), (t("group_dossiers"), 10), (t("group_handoffs"), 5)]
    proc_table = table(proc_head, proc_rows, empty=t("none"), groups=proc_spans, cls="figures")
    return (
        _tiles(view, cal, t, groups, dead)
        + f'<section><h2>{h(t("matrix_title"))}</h2><p class="help">{h(t("matrix_help"))}</p>'
        + f"{matrix(pairs, t)}</section>"
        + f'<section class="charts">{_charts(view, cal, t, history)}</section>'
        + f"<section><h2>{h(t('pairs_title'))}</h2>{pair_table}</section>"
        + f"<section><h2>{h(t('procedures_title'))}</h2>{proc_table}</section>"
    )
