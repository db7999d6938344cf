"""The TXT report, in the seed's layout."""

from __future__ import annotations

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report._common import (
    coverage_rows,
    extracted_yaml,
    gate_action,
    gate_heading,
    measured_text,
    model_line,
    sign_off_entries,
    table_name,
    tokens_line,
    unlisted_findings,
)
from langgraph_gates.report.frameworks import FrameworkCoverage
from langgraph_gates.report.model import DISCLAIMER_HEADLINE, DISCLAIMERS, ReviewReport
from langgraph_gates.state import GateResult, Outcome

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
    out += _gate_table(report)
    for coverage in report.frameworks:
        out += _coverage(coverage)
    out += _sign_off(report) + _footer(report)
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
    action = gate_action(gate)
    if action is None:
        out.append(f"No open risk. Owner: {gate.owner}")
    else:
        out += [f"Key risk: {gate.key_risk_line}", f"Mitigation: {action}"]
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
    """Findings no section shows yet, once each (the sections carry the rest)."""
    rest = unlisted_findings(gate)
    if not rest:
        return []
    out = ["Other checks:"]
    for f in rest:
        if f.outcome is Outcome.PASS:
            continue
        mark = f.outcome.value.upper() + ("->FAIL" if f.counts_as_fail else "")
        out.append(f"  [{mark:7}] {f.check_id} ({f.severity.value}): {f.message}")
        m = measured_text(f)
        if m:
            out.append(f"            measured: {m}")
        if f.threshold is not None:
            out.append(f"            threshold: {f.threshold.describe()}")
    passed = [f.check_id for f in rest if f.outcome is Outcome.PASS]
    if passed:
        out.append(f"  Also passed: {', '.join(passed)}")
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
            gate.mitigation if gate_action(gate) else "-",
            gate.owner,
        ]
        out.append(" | ".join(" ".join(c.split()) for c in cells))
    out.append("")
    out.append(f"Overall Recommendation: {report.recommendation.value} ({report.rationale})")
    out.append(report.next_review_line)
    return out


def _coverage(coverage: FrameworkCoverage) -> list[str]:
    out = ["", f"FRAMEWORK COVERAGE: {coverage.title}", LIGHT]
    out += [
        f"{item} | {outcome} | {checks}" for item, _, checks, outcome in coverage_rows(coverage)
    ]
    uncovered = coverage.uncovered
    out.append(f"Not evidenced by any check ({len(uncovered)}): ")
    out[-1] += "; ".join(i.item for i in uncovered) or "none"
    return out


def _sign_off(report: ReviewReport) -> list[str]:
    out = ["", "SIGN-OFF", LIGHT]
    entries = sign_off_entries(report)
    for a in entries:
        out.append(
            f"- {a.at} {a.by} {a.action}: {a.detail}" + (f" ({a.reason})" if a.reason else "")
        )
    if not entries:
        out.append("No reviewer has approved or overridden a gate of this review yet.")
    out += [
        "Model owner: ____________  Date: ________",
        "Approver:    ____________  Date: ________",
    ]
    return out


def _footer(report: ReviewReport) -> list[str]:
    tokens = tokens_line(report)
    out = [tokens] if tokens else []
    out += ["", f"⏱️ Elapsed Time: {report.elapsed_s:.2f} seconds", ""]
    out.append(f"⚠️ {DISCLAIMER_HEADLINE}")
    out += [f"- {title} - {text}" for title, text in DISCLAIMERS]
    return out
