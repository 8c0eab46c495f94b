"""The lists as table cells (shared by the HTML pages and the exports) and as CSV files for Excel.

CSV: UTF-8 with a byte-order mark (so Excel shows Vietnamese correctly), comma-separated, CRLF, one header
row. Times ``dd/mm/yyyy HH:MM`` (Asia/Ho_Chi_Minh); numbers without thousands separators, with a decimal
comma in Vietnamese (for Excel set to Vietnamese) and a decimal point in English (``?lang=en``).

Usage::

    body = to_csv(NEAR_DUE_HEADER, [near_due_cells(r, t) for r in rows], t)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from services.monitor.i18n import Texts
from services.monitor.lists import AgencyEvaluation, NearDueRow, OverdueRow
from services.watchdog.report import Cause

__all__ = [
    "BOM",
    "EVALUATION_HEADER",
    "NEAR_DUE_HEADER",
    "OVERDUE_HEADER",
    "cause_text",
    "evaluation_cells",
    "header",
    "near_due_cells",
    "overdue_cells",
    "to_csv",
]

BOM = b"\xef\xbb\xbf"
NEAR_DUE_HEADER = ("kind", "dossier_code", "procedure", "step", "from_agency", "holder", "due", "remaining")
OVERDUE_HEADER = (
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
EVALUATION_HEADER = (
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


# columns holding working time: words on the pages (``1,5 ngày``), plain working days in the CSV files
DURATIONS = ("remaining", "late_hours", "median")


def header(keys: Sequence[str], t: Texts) -> list[str]:
    """The CSV header: durations say their unit (working days)."""
    return [f"{t(k)} ({t('in_workdays')})" if k in DURATIONS else t(k) for k in keys]


def _duration(hours: float | None, t: Texts, plain: bool) -> str:
    return t.workdays(hours) if plain else t.span(hours)


def cause_text(cause: Cause, procedure_code: str, t: Texts) -> str:
    step = t.step(procedure_code, cause.step_id)
    who = f"{t.agency(cause.agency)} ({cause.officer})" if cause.officer else t.agency(cause.agency)
    return f"{step} — {who}: +{t.span(cause.late_hours)}"


def near_due_cells(row: NearDueRow, t: Texts, plain: bool = False) -> list[str]:
    """``plain``: for the CSV file (durations as numbers of working days)."""
    return [
        t("kind_" + row.kind),
        row.dossier_code,
        t.procedure(row.procedure_code),
        t.step(row.procedure_code, row.step_id) if row.step_id else "—",
        t.agency(row.from_agency) if row.from_agency else "—",
        t.agency(row.agency),
        t.dt(row.due),
        _duration(row.remaining_hours, t, plain),
    ]


def overdue_cells(row: OverdueRow, t: Texts, plain: bool = False) -> list[str]:
    causes = [cause_text(c, row.procedure_code, t) for c in row.causes]
    if row.unattributed_hours > 0:
        causes.append(f"{t('unattributed')}: +{t.span(row.unattributed_hours)}")
    return [
        row.dossier_code,
        t.procedure(row.procedure_code),
        t.dt(row.received_at),
        t.dt(row.due),
        t("status_open") if row.finished_at is None else t("status_finished"),
        _duration(row.late_hours, t, plain),
        t.agency(row.responsible_agency) if row.responsible_agency else t("unattributed"),
        "; ".join(causes),
        "; ".join(f"{t.agency_short(r.agency)}: {r.text}" for r in row.reasons),
        t("answer_yes") if row.apology_issued else t("answer_no"),
    ]


def evaluation_cells(row: AgencyEvaluation, t: Texts, plain: bool = False) -> list[str]:
    return [
        t.agency(row.agency),
        str(row.finished),
        str(row.early),
        str(row.on_time),
        str(row.late),
        t.pct(row.early_rate),
        t.pct(row.on_time_rate),
        t.pct(row.late_rate),
        _duration(row.median_h, t, plain),
        str(row.overdue_open),
        str(row.apologies),
    ]


def to_csv(keys: Sequence[str], rows: Iterable[Sequence[str]], t: Texts) -> bytes:
    """Rows of display cells as CSV; display numbers are made plain (no grouping) for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["STT" if t.lang == "vi" else "No.", *header(keys, t)])
    for n, row in enumerate(rows, start=1):
        writer.writerow([str(n), *(_excel(cell, t) for cell in row)])
    return BOM + buffer.getvalue().encode("utf-8")


def _excel(cell: str, t: Texts) -> str:
    """A display number (``1.234,5`` / ``1,234.5`` / ``95,2%``) without its grouping; other text as is."""
    body = cell[:-1] if cell.endswith("%") else cell
    group, decimal = (".", ",") if t.lang == "vi" else (",", ".")
    digits = body.replace(group, "")
    probe = digits.replace(decimal, ".", 1).lstrip("-")
    if body and probe.replace(".", "", 1).isdigit() and not any(c in cell for c in "/:"):
        return digits + ("%" if cell.endswith("%") else "")
    return cell
