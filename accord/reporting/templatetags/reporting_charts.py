"""Server-side SVG charts: horizontal bars (the funnel) and lines (trends). No JavaScript, no CDN."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
PALETTE = ("#2952cc", "#1c7c4a", "#b45309", "#7c3aed", "#b42318")


@register.simple_tag
def bar_chart(rows: list[tuple[str, float]], title: str = "", width: int = 560) -> SafeString:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    bar_h, gap, label_w = 26, 8, 150
    top = max((float(v or 0) for _, v in rows), default=0) or 1
    height = len(rows) * (bar_h + gap) + gap
    parts = [
        f'<svg class="chart chart-bars" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    span = width - label_w - 70
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(1.0, span * float(value or 0) / top)
        parts.append(
            f'<g class="bar"><text x="{label_w - 8}" y="{y + bar_h * 0.68:.1f}" text-anchor="end" '
            f'font-size="13">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{PALETTE[0]}"></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.68:.1f}" font-size="13" '
            f'class="bar-value">{escape(_fmt(value))}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


@register.simple_tag
def line_chart(
    labels: list[str], series: dict[str, list[float]], title: str = "", width: int = 560
) -> SafeString:
    """One polyline per series over shared x labels, with a legend and a zero-based y axis."""
    height, left, bottom, top_pad = 220, 40, 28, 24
    top = max((float(v or 0) for values in series.values() for v in values), default=0) or 1
    n = max(len(labels), 2)
    plot_w, plot_h = width - left - 10, height - bottom - top_pad

    def x(i: int) -> float:
        return left + plot_w * i / (n - 1)

    def y(v: Any) -> float:
        return top_pad + plot_h * (1 - float(v or 0) / top)

    parts = [
        f'<svg class="chart chart-lines" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" y2="{top_pad + plot_h}" stroke="#c4cad3"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="11">{escape(_fmt(top))}</text>',
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" font-size="11">{escape(label)}</text>'
        )
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        parts.append(
            f'<rect x="{left + 10 + k * 90}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 24 + k * 90}" y="13" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    number = float(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"
