"""How every ``lienthong`` command prints: one language policy, one time format, aligned tables, progress.

- **Language**: Vietnamese with English, as the dashboard pairs them (``services/monitor/labels.yaml``) and
  as the CLI's error lines and the API's refusals already do: every header, status word and summary line is
  ``tiếng Việt / English``; a free text a record carries in both languages (a reason) prints its Vietnamese
  text with the English one on the line under it. Codes (agencies, rules, topics, dossier codes) print as
  they are, so they can be searched for.
- **Times**: in Asia/Ho_Chi_Minh with the zone marked, to the minute: ``2026-12-02 13:05 +07``, whatever
  zone the record was written in (dead letters are stamped in UTC, alerts in Vietnam's time).
- **Tables** (rich): columns aligned by display width (Vietnamese diacritics included), long texts wrapped
  at spaces, never cut; codes and times are never wrapped. No colour or cursor codes when standard output
  is not a terminal (or ``NO_COLOR`` is set); piped, a table is ``COLUMNS`` (default 160) wide.
- **Progress** of a long read goes to standard error, never into the output: a transient bar on a
  terminal, else a line every few seconds (so a log shows a long read is moving).

Usage::

    table = Table([Column("Cơ quan", "Agency", nowrap=True), Column("Số", "Count", right=True)])
    table.add("tax", 3)
    table.print()                                   # or print_table(..., title="Tiêu đề / Title")
    when("2026-12-02T06:05:00+00:00")              # '2026-12-02 13:05 +07'
    with reading("lienthong.deadletter") as advance:
        read_letters(bootstrap, topic, advance=advance)
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

__all__ = ["TZ", "Column", "Table", "both", "console", "reading", "when"]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PIPED_WIDTH = 160  # a piped table: wide enough that a row of dlq list stays one line for grep


def when(value: datetime | str | float | None) -> str:
    """An instant as ``YYYY-MM-DD HH:MM +07`` (Vietnam's time, zone marked); ``-`` for none.

    Accepts a datetime (naive ones are taken as UTC, as the stores write them), an ISO 8601 text (``Z``
    allowed) or unix seconds. A text that is not a time is returned as it is rather than hidden."""
    if value is None or value == "":
        return "-"
    if isinstance(value, (int, float)):
        instant = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        instant = value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    local = instant.astimezone(TZ)
    offset = local.strftime("%z")  # +0700
    zone = offset[:3] if offset.endswith("00") else f"{offset[:3]}:{offset[3:]}"
    return f"{local:%Y-%m-%d %H:%M} {zone}"


def both(vi: str | None, en: str | None) -> str:
    """A text in Vietnamese with its English under it (once, when they are the same or one is missing)."""
    vi, en = (vi or "").strip(), (en or "").strip()
    if not vi or not en or vi == en:
        return vi or en or "-"
    return f"{vi}\n{en}"


def console(file: IO[str] | None = None) -> Any:
    """A rich console on ``file`` (standard output): plain text unless it is a terminal, no markup read in
    the data, and wide enough when piped that rows are not folded at 80 columns."""
    from rich.console import Console

    out = file if file is not None else sys.stdout
    terminal = hasattr(out, "isatty") and out.isatty()
    width = None
    if not terminal:
        try:
            width = int(os.environ.get("COLUMNS", "")) or PIPED_WIDTH
        except ValueError:
            width = PIPED_WIDTH
    return Console(file=out, width=width, highlight=False, markup=False, emoji=False, soft_wrap=False)


@dataclass(frozen=True)
class Column:
    """A column: its header in Vietnamese and English; right-aligned (numbers) or not; never wrapped
    (codes, times, references: a word cut in two could not be searched for)."""

    vi: str
    en: str = ""
    right: bool = False
    nowrap: bool = False

    @property
    def header(self) -> str:
        """Vietnamese over English: a narrow column of numbers stays narrow."""
        return both(self.vi, self.en)


@dataclass
class Table:
    """Rows under bilingual headers, printed by rich (aligned, wrapped at spaces)."""

    columns: Sequence[Column]
    title: str | None = None
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(tuple("-" if c is None else str(c) for c in cells))

    def renderable(self) -> Any:
        from rich import box
        from rich.table import Table as RichTable
        from rich.text import Text

        table = RichTable(
            title=Text(self.title) if self.title else None,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            safe_box=True,
            show_edge=False,
            pad_edge=False,
            header_style="bold",
            title_style="bold",
        )
        for col in self.columns:
            table.add_column(
                Text(col.header),
                justify="right" if col.right else "left",
                no_wrap=col.nowrap,
                overflow="fold",  # only a single word wider than its whole column is folded, never cut off
            )
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))
        return table

    def print(self, file: IO[str] | None = None) -> None:
        out = console(file)
        if out.is_terminal:
            out.print(self.renderable())
            return
        with out.capture() as captured:  # piped: without the padding rich puts after the last column
            out.print(self.renderable())
        out.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
        out.file.flush()


@contextlib.contextmanager
def reading(what: str, every_s: float = 5.0, file: IO[str] | None = None) -> Iterator[Callable[[int, int], None]]:
    """Progress of a long read on standard error: yields ``advance(done, total)`` (offsets read, offsets to
    read). On a terminal a transient bar; otherwise a line every ``every_s`` seconds once the read has
    lasted that long (a short read prints nothing)."""
    err = file if file is not None else sys.stderr
    if hasattr(err, "isatty") and err.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console(err),
            transient=True,
        ) as bar:
            task = bar.add_task(f"đang đọc / reading {what}", total=None)

            def advance_bar(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total or None)

            yield advance_bar
        return
    started = time.monotonic()
    next_at = started + every_s

    def advance_lines(done: int, total: int) -> None:
        nonlocal next_at
        now = time.monotonic()
        if now >= next_at:
            next_at = now + every_s
            share = f" ({100 * done / total:.0f} %)" if total else ""
            print(f"  … {what}: {done:,}/{total:,} bản ghi đã đọc / records read{share}", file=err, flush=True)

    yield advance_lines
