"""Small charts as inline SVG, drawn on the server: no script, no font and no file from the internet.

Pure: ``chart(labels, series, ...)`` returns an ``<svg>`` element. Bars and lines share one value axis
from zero; a missing value (None) leaves a gap. Only SVG presentation attributes are used (no ``style``),
so the page's Content-Security-Policy can forbid inline styles.

Usage::

    svg = chart(["20/11", "21/11"], [Series("Trung vị", [3.5, None], "#1f6feb", "line")], title="...")
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

__all__ = ["Series", "chart", "intervals", "nice_max"]


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


def chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    width: int = 560,
    height: int = 230,
    integer: bool = False,
) -> str:
    """``integer``: the values are counts, so the value axis only shows whole numbers."""
    left, right, top, bottom = 44, 12, 28, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    top_value = nice_max(max(values, default=0.0))
    if integer:
        top_value = max(top_value, 5.0)
    slot = plot_w / max(len(labels), 1)

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    steps = intervals(top_value)
    for k in range(steps + 1):  # grid and value axis
        tick = top_value * k / steps
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#d0d7de"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#57606a">{escape(fmt(tick))}</text>'
        )
    every = max(1, math.ceil(len(labels) / 10))
    last = len(labels) - 1
    for i, label in enumerate(labels):
        if (i % every == 0 and last - i >= every) or i == last:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="12" '
                f'fill="#57606a">{escape(label)}</text>'
            )
    bars = [s for s in series if s.kind == "bar"]
    bar_w = slot * 0.7 / max(len(bars), 1)
    for b, s in enumerate(bars):
        for i, v in enumerate(s.values):
            if v is None or i >= len(labels):
                continue
            x0 = x(i) - slot * 0.35 + b * bar_w
            parts.append(
                f'<rect x="{x0:.1f}" y="{y(v):.1f}" width="{bar_w:.1f}" height="{top + plot_h - y(v):.1f}" '
                f'fill="{s.color}" opacity="0.75"><title>{escape(f"{labels[i]} · {s.name}: {fmt(v)}")}</title></rect>'
            )
    for s in (s for s in series if s.kind == "line"):
        segment: list[str] = []
        for i, v in enumerate(list(s.values) + [None]):
            if v is not None and i < len(labels):
                segment.append(f"{x(i):.1f},{y(v):.1f}")
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{s.color}">'
                    f"<title>{escape(f'{labels[i]} · {s.name}: {fmt(v)}')}</title></circle>"
                )
                continue
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{s.color}" stroke-width="2"/>'
                )
            segment = []
    legend_x = left
    for s in series:
        parts.append(
            f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{s.color}"/>'
            f'<text x="{legend_x + 14}" y="17" font-size="12" fill="#24292f">{escape(s.name)}</text>'
        )
        legend_x += 24 + 7 * len(s.name)
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#8c959f" stroke-width="1"/></svg>'
    )
    return "".join(parts)
