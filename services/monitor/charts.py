"""Small charts as inline SVG, drawn on the server: no script, no font and no file from the internet.

Pure: ``chart(labels, series, ...)`` lays a chart out (a :class:`Chart`: grid, ticks, bars, points, lines,
legend, in SVG user units); the template ``_chart.html`` draws it. Bars and lines share one value axis
from zero; a missing value (None) leaves a gap. Only SVG presentation attributes are used (no ``style``),
so the page's Content-Security-Policy can forbid inline styles.

Usage::

    layout = chart(["20/11", "21/11"], [Series("Trung vị", [3.5, None], "#1f6feb", "line")], title="...")
    svg = render_chart(layout)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Chart", "Series", "chart", "intervals", "nice_max", "render_chart"]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str
    kind: Literal["bar", "line"] = "line"


def nice_max(value: float) -> float:
    """The smallest 1-2-2.5-5 step ceiling at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def intervals(top: float) -> int:
    """Grid intervals that give round ticks: four for a top of 2 (times a power of ten), else five."""
    mantissa = top / 10 ** math.floor(math.log10(top))
    return 4 if round(mantissa, 6) == 2.0 else 5


@dataclass(frozen=True)
class Mark:
    """A bar (x, y, width, height) or a point (x, y) with its colour and tooltip."""

    x: float
    y: float
    color: str
    tip: str
    width: float = 0.0
    height: float = 0.0


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    left: float
    right: float  # x of the plot's right edge
    top: float
    bottom: float  # y of the value axis' zero
    grid: list[tuple[float, str]] = field(default_factory=list)  # (y, tick label)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (x, category label)
    bars: list[Mark] = field(default_factory=list)
    points: list[Mark] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (SVG points, colour)
    legend: list[tuple[float, str, str]] = field(default_factory=list)  # (x, colour, name)


def chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    width: int = 560,
    height: int = 230,
    integer: bool = False,
) -> Chart:
    """``integer``: the values are counts, so the value axis only shows whole numbers."""
    left, right, top, bottom = 44, 12, 28, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    top_value = nice_max(max(values, default=0.0))
    if integer:
        top_value = max(top_value, 5.0)
    slot = plot_w / max(len(labels), 1)

    def x(i: int) -> float:
        return round(left + slot * (i + 0.5), 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - v / top_value), 1)

    out = Chart(title, width, height, left, width - right, top, top + plot_h)
    steps = intervals(top_value)
    out.grid.extend((y(top_value * k / steps), fmt(top_value * k / steps)) for k in range(steps + 1))
    every = max(1, math.ceil(len(labels) / 10))
    last = len(labels) - 1
    out.ticks.extend(
        (x(i), label) for i, label in enumerate(labels) if (i % every == 0 and last - i >= every) or i == last
    )
    bars = [s for s in series if s.kind == "bar"]
    bar_w = slot * 0.7 / max(len(bars), 1)
    for b, s in enumerate(bars):
        for i, v in enumerate(s.values):
            if v is None or i >= len(labels):
                continue
            x0 = round(x(i) - slot * 0.35 + b * bar_w, 1)
            tip = f"{labels[i]} · {s.name}: {fmt(v)}"
            out.bars.append(Mark(x0, y(v), s.color, tip, round(bar_w, 1), round(top + plot_h - y(v), 1)))
    for s in (s for s in series if s.kind == "line"):
        segment: list[str] = []
        for i, v in enumerate(list(s.values) + [None]):
            if v is not None and i < len(labels):
                segment.append(f"{x(i):.1f},{y(v):.1f}")
                out.points.append(Mark(x(i), y(v), s.color, f"{labels[i]} · {s.name}: {fmt(v)}"))
                continue
            if len(segment) > 1:
                out.lines.append((" ".join(segment), s.color))
            segment = []
    legend_x = float(left)
    for s in series:
        out.legend.append((legend_x, s.color, s.name))
        legend_x += 24 + 7 * len(s.name)
    return out


def render_chart(layout: Chart) -> str:
    from services.monitor.html import render  # the templates import nothing from here

    return render("_chart.html", chart=layout)
