"""The TXT report, in the seed's layout."""

from __future__ import annotations

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report._common import (
    extracted_yaml,
    gate_heading,
    measured_text,
    model_line,
    table_name,
)
from langgraph_gates.report.model import DISCLAIMER_HEADLINE, DISCLAIMERS, ReviewReport
from langgraph_gates.state import GateResult

__all__ = ["render_txt"]

WIDTH = 78
HEAVY = "═" * WIDTH
LIGHT = "─" * WIDTH


def _summary_title(report: ReviewReport) -> str:
    if report.summary_source == "model":
        return "EXECUTIVE SUMMARY (model-written – validate manually):"
    return "EXECUTIVE SUMMARY (Heuristic – refine manually):"


def render_txt(report: ReviewReport) -> str:
    """Render the review as plain text in the seed's layout."""
    out: list[str] = _header(report) + _executive_summary(report)
    for gate in report.gates:
        out += _gate(gate)
    out += _gate_table(report) + _audit_trail(report) + _footer(report)
    return "\n".join(out) + "\n"


# Section renderers, in report order: each returns its lines (none for an absent section).
def _header(report: ReviewReport) -> list[str]:
    out: list[str] = ["🤖 ML MODEL PRODUCTIONIZATION GATE REVIEW", HEAVY, ""]
    out.append(model_line(report))
    meta = [f"Review: {report.review_id or '(not saved)'}", f"run {report.run}"]
    if report.as_of:
        meta.append(f"as of {report.as_of}")
    meta.append(f"policy: {report.policy.get('name', 'default')}")
    out += [" | ".join(meta), ""]
    return out


def _executive_summary(report: ReviewReport) -> list[str]:
    out = [_summary_title(report)]
    out += [f"- {line}" for line in report.executive_summary]
    for note in report.notes:
        out.append(f"Note: {note}")
    out.append("")
    if report.extracted_dossier:
        out.append("DOSSIER EXTRACTED FROM FREE TEXT BY THE MODEL (verify before relying on it):")
        out += [f"  {line}" for line in extracted_yaml(report).splitlines()]
        out.append("")
    return out


def _gate(gate: GateResult) -> list[str]:
    spec = GATES_BY_ID[gate.id]
    out = [gate_heading(gate), LIGHT]
    status = f"Status: {gate.status.value}"
    if gate.override:
        status += (
            f" (overridden from {gate.override.previous_status.value if gate.override.previous_status else '?'}"
            f" by {gate.override.by}: {gate.override.reason})"
        )
    out.append(status)
    out.append(f"Key risk: {gate.key_risk_line}")
    out.append(
        f"Mitigation: {gate.mitigation} | Owner: {gate.owner} | "
        f"Severity: {gate.severity.value} | Due: {gate.due}"
    )
    out.append("")
    for title in spec.outputs:
        out.append(f"{title}:")
        body = gate.sections.get(title, "").strip() or "(nothing recorded)"
        out += [f"  {line}" for line in body.splitlines()]
        out.append("")
    extra = [t for t in gate.sections if t not in spec.outputs]
    for title in extra:
        out.append(f"{title}:")
        out += [f"  {line}" for line in gate.sections[title].splitlines()]
        out.append("")
    out += _checks(gate)
    for note in gate.notes:
        out.append(f"  Note: {note}")
    out.append("")
    return out


def _checks(gate: GateResult) -> list[str]:
    out = ["Checks:"]
    for f in gate.findings:
        mark = f.outcome.value.upper() + ("->FAIL" if f.counts_as_fail else "")
        line = f"  [{mark:7}] {f.check_id} ({f.severity.value}): {f.message}"
        out.append(line)
        m = measured_text(f)
        if m:
            out.append(f"            measured: {m}")
        if f.threshold is not None:
            out.append(f"            threshold: {f.threshold.describe()}")
    return out


def _gate_table(report: ReviewReport) -> list[str]:
    out = [HEAVY, "📋 GATE TABLE", HEAVY]
    out.append("Gate | Status | Key Risk | Suggested Mitigation | Owner")
    out.append("-----|--------|----------|----------------------|-------")
    for gate in report.gates:
        cells = [
            table_name(gate),
            gate.status.value,
            gate.key_risk_line,
            gate.mitigation,
            gate.owner,
        ]
        out.append(" | ".join(" ".join(c.split()) for c in cells))
    out.append("")
    out.append(f"Overall Recommendation: {report.recommendation.value} ({report.rationale})")
    out.append(report.next_review_line)
    return out


def _audit_trail(report: ReviewReport) -> list[str]:
    out: list[str] = []
    if report.overrides:
        out += ["", "Overrides and audit trail:"]
        for o in report.overrides:
            out.append(f"- {o.at} {o.by} set {o.gate} to {o.status.value}: {o.reason}")
    for a in report.audit:
        if a.action != "override":
            out.append(
                f"- {a.at} {a.by} {a.action}: {a.detail}" + (f" ({a.reason})" if a.reason else "")
            )
    return out


def _footer(report: ReviewReport) -> list[str]:
    out: list[str] = []
    if report.tokens.calls:
        t = report.tokens
        out.append(f"Model tokens: {t.input_tokens} in, {t.output_tokens} out, {t.calls} calls")
    out += ["", f"⏱️ Elapsed Time: {report.elapsed_s:.2f} seconds", ""]
    out.append(f"⚠️ {DISCLAIMER_HEADLINE}")
    out += [f"- {title} - {text}" for title, text in DISCLAIMERS]
    return out
