"""Small inline-SVG charts for the HTML report: pure functions from numbers to markup.

No charting library and nothing fetched at view time: each chart is a few SVG elements with
text labels, so it prints, scales on narrow screens and reads without colour (reference lines
are dashed or dotted and labelled, bars beyond a line carry a text mark).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Bar", "Interval", "RefLine", "bar_chart", "curve_chart", "interval_chart"]


@dataclass(frozen=True)
class RefLine:
    """A labelled reference line (a policy threshold) across a chart."""

    value: float
    label: str
    kind: str = "warn"  # warn | fail | ref


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value and an optional state (pass, warn, fail) for its mark."""

    label: str
    value: float
    state: str = "pass"
    note: str = ""


_MARK = {"pass": "", "warn": " ▲", "fail": " ■"}


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    lines: Sequence[RefLine] = (),
    max_value: float | None = None,
    unit: str = "",
    limit: int = 20,
) -> str:
    """A horizontal bar chart with labelled threshold lines.

    Args:
        title: the chart's caption (also its accessible name).
        bars: the bars, drawn in the given order (at most ``limit``).
        lines: threshold lines.
        max_value: right end of the axis (default: the largest bar or line, plus 10%).
        unit: appended to value labels.
        limit: bars beyond this are summarised in a note.
    """
    shown = list(bars)[:limit]
    if not shown:
        return ""
    label_w, bar_w, row_h, pad = 170, 330, 22, 28
    top = max(0.0, *(b.value for b in shown), *(ln.value for ln in lines))
    scale_max = max_value if max_value is not None else (top * 1.1 if top > 0 else 1.0)
    height = pad + row_h * len(shown) + 26 + 13 * max(0, len(lines) - 1)
    width = label_w + bar_w + 90

    def x(v: float) -> float:
        return label_w + bar_w * max(0.0, min(v, scale_max)) / scale_max

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, b in enumerate(shown):
        y = pad + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" class="chart-label">'
            f"{escape(b.label[:28])}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{x(b.value) - label_w:.1f}" height="{row_h - 8}" '
            f'class="bar bar-{b.state}"><title>{escape(b.label)}: {_fmt(b.value)}{unit}</title></rect>'
        )
        parts.append(
            f'<text x="{x(b.value) + 4:.1f}" y="{y + 14}" class="chart-value">'
            f"{_fmt(b.value)}{escape(unit)}{_MARK.get(b.state, '')}{escape(b.note)}</text>"
        )
    axis_y = pad + row_h * len(shown)
    for i, ln in enumerate(lines):
        lx = x(ln.value)
        parts.append(
            f'<line x1="{lx:.1f}" y1="{pad - 4}" x2="{lx:.1f}" y2="{axis_y}" class="ref ref-{ln.kind}"/>'
        )
        parts.append(
            f'<text x="{lx:.1f}" y="{axis_y + 16 + 13 * i}" text-anchor="middle" class="ref-label">'
            f"{escape(ln.label)}</text>"
        )
    if len(bars) > limit:
        parts.append(
            f'<text x="0" y="{height - 2}" class="chart-note">+{len(bars) - limit} more not shown</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def curve_chart(
    title: str,
    points: Sequence[tuple[float, float]],
    *,
    x_label: str,
    y_label: str,
    diagonal: bool = True,
) -> str:
    """A line chart on [0, 1] x [0, 1] (e.g. a reliability curve), with the ideal diagonal."""
    pts = [(min(max(px, 0.0), 1.0), min(max(py, 0.0), 1.0)) for px, py in points]
    if not pts:
        return ""
    size, left, top = 240, 44, 26

    def sx(v: float) -> float:
        return left + size * v

    def sy(v: float) -> float:
        return top + size * (1 - v)

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {left + size + 20} '
        f'{top + size + 40}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" class="frame"/>',
    ]
    if diagonal:
        parts.append(
            f'<line x1="{sx(0)}" y1="{sy(0)}" x2="{sx(1)}" y2="{sy(1)}" class="ref ref-ref"/>'
        )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{sx(px):.1f},{sy(py):.1f}" for i, (px, py) in enumerate(pts)
    )
    parts.append(f'<path d="{path}" class="curve"/>')
    for px, py in pts:
        parts.append(
            f'<circle cx="{sx(px):.1f}" cy="{sy(py):.1f}" r="3" class="dot">'
            f"<title>{_fmt(px)}, {_fmt(py)}</title></circle>"
        )
    for v in (0, 0.5, 1):
        parts.append(
            f'<text x="{sx(v):.1f}" y="{top + size + 14}" text-anchor="middle" class="chart-label">{v:g}</text>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" class="chart-label">{v:g}</text>'
        )
    parts.append(
        f'<text x="{left + size / 2}" y="{top + size + 32}" text-anchor="middle" class="chart-label">'
        f"{escape(x_label)}</text>"
    )
    parts.append(
        f'<text x="10" y="{top + size / 2}" transform="rotate(-90 10 {top + size / 2})" '
        f'text-anchor="middle" class="chart-label">{escape(y_label)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: a point estimate, its interval and its state."""

    label: str
    value: float
    low: float | None
    high: float | None
    state: str = "pass"


def interval_chart(title: str, rows: Sequence[Interval], *, line: RefLine, limit: int = 20) -> str:
    """Point estimates with their intervals around zero and a labelled threshold line.

    Args:
        title: the chart's caption (also its accessible name).
        rows: the rows, drawn in the given order (at most ``limit``).
        line: the threshold (e.g. the change a candidate needs over its champion).
        limit: rows beyond this are left out, with a note.
    """
    shown = list(rows)[:limit]
    if not shown:
        return ""
    label_w, plot_w, row_h, pad = 200, 300, 22, 28
    values = [
        0.0,
        line.value,
        *(v for r in shown for v in (r.value, r.low, r.high) if v is not None),
    ]
    lo, hi = min(values), max(values)
    span = (hi - lo) * 1.15 or 1.0
    lo -= (span - (hi - lo)) / 2
    height, width = pad + row_h * len(shown) + 30, label_w + plot_w + 90

    def x(v: float) -> float:
        return label_w + plot_w * (v - lo) / span

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    axis_y = pad + row_h * len(shown)
    for value, kind, label in ((0.0, "ref", "0"), (line.value, line.kind, line.label)):
        parts.append(
            f'<line x1="{x(value):.1f}" y1="{pad - 4}" x2="{x(value):.1f}" y2="{axis_y}" '
            f'class="ref ref-{kind}"/>'
        )
        parts.append(
            f'<text x="{x(value):.1f}" y="{axis_y + 16 + (13 if kind != "ref" else 0)}" '
            f'text-anchor="middle" class="ref-label">{escape(label)}</text>'
        )
    for i, r in enumerate(shown):
        y = pad + i * row_h + 11
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 4}" text-anchor="end" class="chart-label">'
            f"{escape(r.label[:32])}</text>"
        )
        if r.low is not None and r.high is not None:
            parts.append(
                f'<line x1="{x(r.low):.1f}" y1="{y}" x2="{x(r.high):.1f}" y2="{y}" '
                f'class="bar-{r.state}" stroke="currentColor" stroke-width="3"/>'
            )
        parts.append(
            f'<circle cx="{x(r.value):.1f}" cy="{y}" r="4" class="bar bar-{r.state}">'
            f"<title>{escape(r.label)}: {_fmt(r.value)}</title></circle>"
        )
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 4}" class="chart-value">'
            f"{r.value:+.3g}{_MARK.get(r.state, '')}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
