"""The Markdown report, in the seed's layout with real tables."""

from __future__ import annotations

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report._common import extracted_yaml, measured_text, model_line, table_name
from langgraph_gates.report.model import DISCLAIMER_HEADLINE, DISCLAIMERS, ReviewReport
from langgraph_gates.state import GateResult, Outcome, Status

__all__ = ["render_md"]

_STATUS_MARK = {Status.PASS: "✅ Pass", Status.CONDITIONAL: "⚠️ Conditional", Status.FAIL: "❌ Fail"}
_OUTCOME_MARK = {
    Outcome.PASS: "✅ pass",
    Outcome.WARN: "⚠️ warn",
    Outcome.FAIL: "❌ fail",
    Outcome.MISSING: "❔ missing",
    Outcome.ERROR: "💥 error",
}
_COUNTED = " (counts as fail)"  # a gap that fails its gate (SPEC section 3)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_md(report: ReviewReport) -> str:
    """Render the review as Markdown."""
    out: list[str] = _header(report) + _executive_summary(report) + _extracted(report)
    for gate in report.gates:
        out += _gate(gate)
    out += _gate_table(report) + _audit_trail(report) + _footer(report)
    return "\n".join(out) + "\n"


# Section renderers, in report order: each returns its lines (none for an absent section).
def _header(report: ReviewReport) -> list[str]:
    out: list[str] = ["# 🤖 ML Model Productionization Gate Review", ""]
    out.append(f"**{model_line(report)}**  ")
    meta = f"Review `{report.review_id or 'not saved'}` · run {report.run}"
    if report.as_of:
        meta += f" · as of {report.as_of}"
    meta += f" · policy `{report.policy.get('name', 'default')}`"
    out += [meta, ""]
    out.append(
        f"> **Overall Recommendation: {report.recommendation.value}** — {_cell(report.rationale)}"
    )
    out.append("")
    return out


def _executive_summary(report: ReviewReport) -> list[str]:
    heading = (
        "model-written – validate manually"
        if report.summary_source == "model"
        else "Heuristic – refine manually"
    )
    out = [f"## Executive Summary ({heading})", ""]
    out += [f"- {_cell(line)}" for line in report.executive_summary]
    out += [f"- _Note: {_cell(n)}_" for n in report.notes]
    out.append("")
    return out


def _extracted(report: ReviewReport) -> list[str]:
    if not report.extracted_dossier:
        return []
    return [
        "### Dossier extracted from free text by the model (verify before relying on it)",
        "",
        "```yaml",
        extracted_yaml(report).rstrip(),
        "```",
        "",
    ]


def _gate(gate: GateResult) -> list[str]:
    spec = GATES_BY_ID[gate.id]
    out = [f"## {spec.emoji} {spec.number}. {spec.title}", ""]
    status = f"**Status: {_STATUS_MARK[gate.status]}**"
    if gate.override:
        prev = gate.override.previous_status.value if gate.override.previous_status else "?"
        status += (
            f" _(overridden from {prev} by {gate.override.by}: {_cell(gate.override.reason)})_"
        )
    out += [status, ""]
    out.append(f"- **Key risk:** {_cell(gate.key_risk_line)}")
    out.append(f"- **Mitigation:** {_cell(gate.mitigation)}")
    out.append(
        f"- **Owner:** {_cell(gate.owner)} · **Severity:** {gate.severity.value} · **Due:** {gate.due}"
    )
    out.append("")
    titles = list(spec.outputs) + [t for t in gate.sections if t not in spec.outputs]
    for title in titles:
        out += [f"### {title}", ""]
        body = gate.sections.get(title, "").strip() or "_Nothing recorded._"
        out += [body, ""]
    out += _checks(gate)
    for note in gate.notes:
        out += [f"> Note: {_cell(note)}", ""]
    return out


def _checks(gate: GateResult) -> list[str]:
    out = [
        "### Checks",
        "",
        "| Check | Outcome | Severity | Finding | Measured | Threshold |",
        "|---|---|---|---|---|---|",
    ]
    for f in gate.findings:
        threshold = f.threshold.describe() if f.threshold else ""
        out.append(
            f"| `{f.check_id}` | {_OUTCOME_MARK[f.outcome]}{_COUNTED if f.counts_as_fail else ''} "
            f"| {f.severity.value} | "
            f"{_cell(f.message)} | {_cell(measured_text(f))} | {_cell(threshold)} |"
        )
    out.append("")
    return out


def _gate_table(report: ReviewReport) -> list[str]:
    out = [
        "## 📋 Gate Table",
        "",
        "| Gate | Status | Key Risk | Suggested Mitigation | Owner |",
        "|---|---|---|---|---|",
    ]
    for gate in report.gates:
        out.append(
            f"| {table_name(gate)} | {_STATUS_MARK[gate.status]} | {_cell(gate.key_risk_line)} | "
            f"{_cell(gate.mitigation)} | {_cell(gate.owner)} |"
        )
    out += [
        "",
        f"**Overall Recommendation: {report.recommendation.value}** ({_cell(report.rationale)})",
        "",
        report.next_review_line,
        "",
    ]
    return out


def _audit_trail(report: ReviewReport) -> list[str]:
    if not (report.overrides or report.audit):
        return []
    out = [
        "## Audit Trail",
        "",
        "| When | Who | Action | Detail | Reason |",
        "|---|---|---|---|---|",
    ]
    for a in report.audit:
        out.append(
            f"| {a.at} | {_cell(a.by)} | {a.action} | {_cell(a.detail)} | {_cell(a.reason)} |"
        )
    audited = {(a.at, a.by) for a in report.audit if a.action == "override"}
    for o in report.overrides:
        if (o.at, o.by) not in audited:
            out.append(
                f"| {o.at} | {_cell(o.by)} | override | {o.gate} -> {o.status.value} | {_cell(o.reason)} |"
            )
    out.append("")
    return out


def _footer(report: ReviewReport) -> list[str]:
    out: list[str] = []
    if report.tokens.calls:
        t = report.tokens
        out += [f"Model tokens: {t.input_tokens} in, {t.output_tokens} out, {t.calls} calls", ""]
    out += [
        f"⏱️ **Elapsed Time:** {report.elapsed_s:.2f} seconds",
        "",
        "---",
        "",
        f"⚠️ **{DISCLAIMER_HEADLINE}**",
        "",
    ]
    out += [f"- **{title}** - {text}" for title, text in DISCLAIMERS]
    return out
