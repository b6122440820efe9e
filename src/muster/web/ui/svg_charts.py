"""Small server-side SVG bar charts: inline in the page, coloured by the theme's CSS
variables (so light and dark both read), with a title and a description for screen
readers and each bar's value in its own ``<title>`` (a hover tip) and ``data-value``.
The page prints the same numbers as a table beside each chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 44
MAX_X_LABELS = 16
MAX_BAR = 48.0  # a chart of few bars keeps them slim


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    fmt: Callable[[float], str] = _num,
) -> Markup:
    """A (grouped) bar chart: one group per label, one bar per series; a missing value
    draws no bar. ``fmt`` writes a value for people (axis and tips)."""
    peak = max((v for _n, values in series for v in values if v is not None), default=0.0)
    peak = peak or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = min(max(group_w * 0.8 / max(len(series), 1), 1.0), MAX_BAR)
    every = max(1, -(-len(labels) // MAX_X_LABELS))
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="chart-tick" x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">'
        f"{escape(fmt(peak))}</text>",
        f'<text class="chart-tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series):
            value = values[i] if i < len(values) else None
            if value is None:
                continue
            h = plot_h * value / peak
            tip = f"{label}: {fmt(value)}" + (f" ({name})" if len(series) > 1 else "")
            parts.append(
                f'<rect class="chart-bar chart-s{s}" x="{x0 + s * bar_w:.1f}" '
                f'y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'data-label="{escape(label)}" data-series="{escape(name)}" '
                f'data-value="{value}"><title>{escape(tip)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text class="chart-tick" x="{x0 + bar_w * len(series) / 2:.1f}" '
                f'y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if len(series) > 1:
        for s, (name, _values) in enumerate(series):
            x = LEFT + s * 140
            parts.append(
                f'<rect class="chart-s{s}" x="{x}" y="{HEIGHT - 14}" width="10" height="10"/>'
                f'<text class="chart-tick" x="{x + 14}" y="{HEIGHT - 5}">{escape(name)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)


def duration(seconds: float | None) -> str:
    """A time for people: 45s, 12m 05s, 3h 20m, 2d 4h; an em dash when unknown."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"
