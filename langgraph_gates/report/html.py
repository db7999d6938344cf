"""The self-contained HTML report: one file, inline CSS and SVG, nothing fetched at view time.

Charts are drawn from the findings' measured values and thresholds (never from numbers of
their own); a finding without the values a chart needs simply has no chart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report._common import measured_text
from langgraph_gates.report.model import DISCLAIMER_HEADLINE, DISCLAIMERS, ReviewReport
from langgraph_gates.report.svg import (
    Bar,
    Interval,
    RefLine,
    bar_chart,
    curve_chart,
    interval_chart,
)
from langgraph_gates.scoring import DUE_BY_SEVERITY
from langgraph_gates.state import Finding, GateResult, Outcome, Recommendation, Status

__all__ = ["chart_for", "render_html"]

_STATUS = {
    Status.PASS: ("s-pass", "●"),
    Status.CONDITIONAL: ("s-cond", "▲"),
    Status.FAIL: ("s-fail", "■"),
}
_REC = {
    Recommendation.GO: ("rec-go", "●"),
    Recommendation.CONDITIONAL_GO: ("rec-cond", "▲"),
    Recommendation.NO_GO: ("rec-nogo", "■"),
}
_OUTCOME_MARK = {
    "pass": "● pass",
    "warn": "▲ warn",
    "fail": "■ fail",
    "missing": "? missing",
    "error": "✖ error",
}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _band_lines(f: Finding) -> list[RefLine]:
    t = f.threshold
    lines = []
    if t is not None and t.warn is not None:
        lines.append(RefLine(t.warn, f"warn {t.warn:g}", "warn"))
    if t is not None and t.fail is not None:
        lines.append(RefLine(t.fail, f"fail {t.fail:g}", "fail"))
    return lines


def _state(f: Finding, value: float) -> str:
    t = f.threshold
    if t is None or t.direction == "equal":
        return "pass"

    def beyond(limit: float | None) -> bool:
        if limit is None:
            return False
        if t.direction == "above":
            return value >= limit if t.inclusive else value > limit
        return value <= limit if t.inclusive else value < limit

    return "fail" if beyond(t.fail) else "warn" if beyond(t.warn) else "pass"


def _per_feature(f: Finding, key: str, title: str, *, unit: str = "") -> str:
    values = f.measured.get(key)
    if not isinstance(values, Mapping):
        return ""
    bars = [
        Bar(str(name), v, _state(f, v))
        for name, raw in values.items()
        if (v := _num(raw)) is not None
    ]
    bars.sort(key=lambda b: -b.value)
    return bar_chart(title, bars, lines=_band_lines(f), unit=unit)


def _drift(f: Finding) -> str:
    return _per_feature(f, "psi", "PSI per feature (train vs serving)")


def _missing(f: Finding) -> str:
    return _per_feature(f, "missing_fraction", "Missing fraction per feature")


def _groups(f: Finding) -> list[Mapping[str, Any]]:
    groups = f.measured.get("groups")
    return [g for g in groups if isinstance(g, Mapping)] if isinstance(groups, list) else []


def _selection_rates(f: Finding) -> str:
    groups = [g for g in _groups(f) if _num(g.get("selection_rate")) is not None]
    if not groups:
        return ""
    top = max(float(g["selection_rate"]) for g in groups)
    t = f.threshold
    ratio_fail = t.fail if t is not None and t.fail is not None else 0.8
    ratio_warn = t.warn if t is not None and t.warn is not None else None

    def state(rate: float) -> str:
        if top <= 0:
            return "pass"
        r = rate / top
        return (
            "fail"
            if r < ratio_fail
            else "warn"
            if ratio_warn is not None and r < ratio_warn
            else "pass"
        )

    bars = [
        Bar(str(g.get("group")), float(g["selection_rate"]), state(float(g["selection_rate"])))
        for g in groups
    ]
    lines = [RefLine(top * ratio_fail, f"{ratio_fail:g} × max (four-fifths)", "fail")]
    if ratio_warn is not None:
        lines.insert(0, RefLine(top * ratio_warn, f"{ratio_warn:g} × max", "warn"))
    attr = f.measured.get("attribute", "group")
    return bar_chart(
        f"Selection rate by {attr}{_favourable(f)}",
        bars,
        lines=lines,
        max_value=max(top * 1.15, 0.01),
    )


def _favourable(f: Finding) -> str:
    """`` (favourable outcome: 1)``: which decision the rates count."""
    label = f.measured.get("favorable_label")
    return f" (favourable outcome: {label})" if label is not None else ""


def _odds(f: Finding) -> str:
    bars: list[Bar] = []
    for g in _groups(f):
        tpr, fpr = _num(g.get("tpr")), _num(g.get("fpr"))
        if tpr is not None:
            bars.append(Bar(f"{g.get('group')} TPR", tpr))
        if fpr is not None:
            bars.append(Bar(f"{g.get('group')} FPR", fpr))
    if not bars:
        return ""
    attr = f.measured.get("attribute", "group")
    return bar_chart(f"TPR and FPR by {attr}{_favourable(f)}", bars, max_value=1.0)


def _calibration(f: Finding) -> str:
    curve = f.measured.get("reliability_curve")
    if not isinstance(curve, list):
        return ""
    points = []
    for b in curve:
        if isinstance(b, Mapping):
            x, y = _num(b.get("mean_score")), _num(b.get("observed_rate"))
            if x is not None and y is not None:
                points.append((x, y))
    return curve_chart(
        "Calibration (reliability curve)",
        points,
        x_label="mean predicted score",
        y_label="observed rate",
    )


def _criteria(f: Finding) -> str:
    rows = f.measured.get("criteria")
    if not isinstance(rows, list):
        return ""
    charts = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        value, threshold = _num(row.get("value")), _num(row.get("threshold"))
        if value is None or threshold is None:
            continue
        splits = row.get("splits")
        bars = []
        if isinstance(splits, Mapping):
            bars = [Bar(str(s), v) for s, raw in splits.items() if (v := _num(raw)) is not None]
        if not bars:
            bars = [Bar(str(row.get("split", "held-out")), value)]
        met = bool(row.get("met", True))
        bars = [
            Bar(b.label, b.value, "pass" if met or b.label not in (row.get("split"),) else "fail")
            for b in bars
        ]
        charts.append(
            bar_chart(
                f"{row.get('metric')} by split vs success criterion",
                bars,
                lines=[RefLine(threshold, f"criterion {threshold:g}", "fail")],
                max_value=max(1.0, value, threshold) if value <= 1 and threshold <= 1 else None,
            )
        )
    return "".join(charts)


def _overfit(f: Finding) -> str:
    metric = f.measured.get("metric")
    bars = [
        Bar(split, v)
        for split in ("train", "validation", "test")
        if (v := _num(f.measured.get(split))) is not None
    ]
    if len(bars) < 2:
        return ""
    return bar_chart(
        f"{metric}: train vs held-out", bars, max_value=max(1.0, *(b.value for b in bars))
    )


def _change_rows(rows: Any, prefix: str = "") -> list[Interval]:
    """Interval rows from a champion finding's judged metrics (improvement over the champion)."""
    out = []
    for row in rows if isinstance(rows, list) else []:
        value = _num(row.get("improvement")) if isinstance(row, Mapping) else None
        if value is None:
            continue
        state = {"fail": "fail", "warn": "warn"}.get(str(row.get("outcome")), "pass")
        out.append(
            Interval(
                f"{prefix}{row.get('metric')}",
                value,
                _num(row.get("low")),
                _num(row.get("high")),
                state,
            )
        )
    return out


def _champion_table(rows: Any) -> str:
    """The champion-vs-challenger table of the overall metrics."""
    body = "".join(
        f"<tr><td>{escape(str(r.get('metric')))}</td><td>{_fmt(r.get('champion'))}</td>"
        f"<td>{_fmt(r.get('candidate'))}</td><td>{_fmt(r.get('improvement'), '+')}</td>"
        f"<td>{_fmt(r.get('low'), '+')} … {_fmt(r.get('high'), '+')}</td>"
        f"<td>≥ {_fmt(r.get('required'), '+')}</td><td>{escape(str(r.get('outcome')))}</td></tr>"
        for r in rows
        if isinstance(r, Mapping)
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("metric", "champion", "challenger", "improvement", "interval", "needs", "outcome")
    )
    return f'<table class="champion"><tr>{head}</tr>{body}</table>'


def _fmt(value: Any, sign: str = "") -> str:
    number = _num(value)
    return "–" if number is None else f"{number:{sign}.4g}"


def _champion(f: Finding) -> str:
    line = RefLine(0.0, "", "ref")
    needed = [_num(r.get("required")) for r in _judged(f) if isinstance(r, Mapping)]
    if needed and needed[0] is not None:
        line = RefLine(needed[0], f"needs {needed[0]:+.3g}", "fail")
    if "groups" in f.measured:
        groups = f.measured["groups"]
        rows = [
            row
            for name, g in (groups.items() if isinstance(groups, Mapping) else [])
            if isinstance(g, Mapping)
            for row in _change_rows(g.get("metrics"), f"{f.measured.get('attribute')}={name}: ")
        ]
        title = "Challenger minus champion by group (positive = better)"
        return interval_chart(title, rows, line=line)
    chart = interval_chart(
        "Challenger minus champion (positive = better)",
        _change_rows(f.measured.get("metrics")),
        line=line,
    )
    return _champion_table(f.measured.get("metrics")) + chart


def _judged(f: Finding) -> list[Any]:
    rows = f.measured.get("metrics")
    if isinstance(rows, list):
        return rows
    groups = f.measured.get("groups")
    out: list[Any] = []
    for g in groups.values() if isinstance(groups, Mapping) else []:
        metrics = g.get("metrics") if isinstance(g, Mapping) else None
        out += metrics if isinstance(metrics, list) else []
    return out


_CHARTS: dict[str, Callable[[Finding], str]] = {
    "MP.CHAMPION": _champion,
    "RAI.GROUP_REGRESSION": _champion,
    "DR.DRIFT": _drift,
    "DR.MISSINGNESS": _missing,
    "RAI.DISPARATE_IMPACT": _selection_rates,
    "RAI.EQUALIZED_ODDS": _odds,
    "MP.CALIBRATION": _calibration,
    "MP.SUCCESS_CRITERIA_MET": _criteria,
    "MP.OVERFIT": _overfit,
}


def chart_for(f: Finding) -> str:
    """The inline SVG chart of a finding, or ``""`` when its check has none or lacks values."""
    draw = _CHARTS.get(f.check_id)
    if draw is None or f.outcome in (Outcome.MISSING, Outcome.ERROR):
        return ""
    try:
        return draw(f)
    except (TypeError, ValueError, KeyError):  # odd measured values: no chart, never no report
        return ""


@dataclass(frozen=True)
class _GateView:
    result: GateResult
    spec: Any
    css: str
    mark: str
    counts: str
    charts: list[str]
    section_titles: list[str]


@dataclass(frozen=True)
class _Blocker:
    finding: Finding
    gate_name: str
    chart: str


def _gate_view(g: GateResult) -> _GateView:
    spec = GATES_BY_ID[g.id]
    css, mark = _STATUS[g.status]
    tally: dict[str, int] = {}
    for f in g.findings:
        tally[f.outcome.value] = tally.get(f.outcome.value, 0) + 1
    counts = ", ".join(f"{n} {o}" for o, n in tally.items())
    charts = [c for f in g.findings if (c := chart_for(f))]
    titles = list(spec.outputs) + [t for t in g.sections if t not in spec.outputs]
    return _GateView(g, spec, css, mark, counts, charts, titles)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("langgraph_gates", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _trend(report: ReviewReport) -> list[str]:
    """One small chart per key metric across the model's reviewed versions (two or more)."""
    if len(report.trend) < 2:
        return []
    metrics = list(dict.fromkeys(m for p in report.trend for m in p.key_metrics))
    charts = []
    for metric in metrics:
        bars = [
            Bar(f"{p.version or p.review_id} ({p.reviewed_on or '?'})", p.key_metrics[metric])
            for p in report.trend
            if metric in p.key_metrics
        ]
        top = max(b.value for b in bars)
        charts.append(
            bar_chart(f"{metric} across versions", bars, max_value=1.0 if top <= 1 else None)
        )
    return charts


def render_html(report: ReviewReport) -> str:
    """Render the review as one self-contained HTML page."""
    gates = [_gate_view(g) for g in report.gates]
    fails = [
        _Blocker(f, GATES_BY_ID[g.id].table_name, chart_for(f))
        for g in report.gates
        for f in g.findings
        if f.fails_gate
    ]
    blockers = (
        fails
        or [
            _Blocker(f, GATES_BY_ID[g.id].table_name, chart_for(f))
            for g in report.gates
            for f in g.findings
            if f.outcome is Outcome.WARN
        ][:6]
    )
    # Checks with a chart first: the picture that shows the problem belongs on the first screen.
    blockers.sort(key=lambda b: not b.chart)
    shown, more = blockers[:6], max(0, len(blockers) - 6)
    audited = {(a.at, a.by) for a in report.audit if a.action == "override"}
    rec_class, rec_mark = _REC[report.recommendation]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=report,
            model_name=report.model.name or "unnamed model",
            rec_class=rec_class,
            rec_mark=rec_mark,
            gates=gates,
            blockers=shown,
            more_blockers=more,
            has_fail=bool(fails),
            outcome_mark=_OUTCOME_MARK,
            due={s.value: d for s, d in DUE_BY_SEVERITY.items()},
            measured=measured_text,
            unaudited_overrides=[o for o in report.overrides if (o.at, o.by) not in audited],
            disclaimers=DISCLAIMERS,
            disclaimer_headline=DISCLAIMER_HEADLINE,
            trend=_trend(report),
        )
    )
