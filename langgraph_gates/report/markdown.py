"""The Markdown report, in the seed's layout with real tables."""

from __future__ import annotations

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report._common import (
    coverage_rows,
    extracted_yaml,
    gate_action,
    measured_text,
    model_line,
    sign_off_entries,
    table_name,
    tokens_line,
    unlisted_findings,
)
from langgraph_gates.report.frameworks import FrameworkCoverage
from langgraph_gates.report.model import DISCLAIMER_HEADLINE, DISCLAIMERS, ReviewReport
from langgraph_gates.state import Finding, GateResult, Outcome, Status

__all__ = ["render_md", "render_summary_md"]

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
    """Render the review as Markdown: each finding once, in the section it belongs to."""
    out: list[str] = _header(report) + _executive_summary(report) + _extracted(report)
    for gate in report.gates:
        out += _gate(gate)
    out += _gate_table(report)
    for coverage in report.frameworks:
        out += _coverage(coverage)
    out += _sign_off(report) + _footer(report)
    return "\n".join(out) + "\n"


def render_summary_md(report: ReviewReport) -> str:
    """A short Markdown summary (a CI job page): the call, the gate table, the open findings."""
    out = _header(report) + _gate_table(report)
    open_findings = [f for g in report.gates for f in g.findings if f.outcome is not Outcome.PASS]
    if open_findings:
        out += ["### Open findings", ""]
        out += [_finding_line(f) for f in open_findings] + [""]
    return "\n".join(out)


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
    action = gate_action(gate)
    if action is None:
        out += [f"No open risk. Owner: {_cell(gate.owner)}.", ""]
    else:
        out.append(f"- **Key risk:** {_cell(gate.key_risk_line)}")
        out += [f"- **Mitigation:** {_cell(action)}", ""]
    titles = list(spec.outputs) + [t for t in gate.sections if t not in spec.outputs]
    for title in titles:  # a heading needs no blank line after it: the report stays compact
        body = gate.sections.get(title, "").strip() or "_Nothing recorded._"
        out += [f"### {title}", body, ""]
    out += _decisions(gate) + _other_checks(gate)
    for note in gate.notes:
        out += [f"> Note: {_cell(note)}", ""]
    return out


def _decisions(gate: GateResult) -> list[str]:
    """The decision threshold and confusion matrix, where the predictions file gave them."""
    found = next(
        (f.measured["decisions"] for f in gate.findings if "decisions" in f.measured), None
    )
    if not isinstance(found, dict):
        return []
    cut = found.get("threshold")
    rule = f"y_score >= {cut}" if cut is not None else "the y_pred column as given"
    return [
        f"### Decisions on the {found.get('split')} split",
        f"Decision rule: {rule}.",
        "",
        "| | predicted 0 | predicted 1 |",
        "|---|---|---|",
        f"| **actual 0** | {found.get('tn')} (true negatives) | {found.get('fp')} (false positives) |",
        f"| **actual 1** | {found.get('fn')} (false negatives) | {found.get('tp')} (true positives) |",
        "",
    ]


def _finding_line(f: Finding) -> str:
    mark = _OUTCOME_MARK[f.outcome] + (_COUNTED if f.counts_as_fail else "")
    line = f"- {mark} `{f.check_id}`: {_cell(f.message)}"
    if f.threshold is not None and f.outcome is not Outcome.PASS:
        line += f" _(policy: {_cell(f.threshold.describe())})_"
    return line


def _other_checks(gate: GateResult) -> list[str]:
    """Findings no section shows yet, once each, with what they measured."""
    rest = unlisted_findings(gate)
    passed = [f"`{f.check_id}`" for f in rest if f.outcome is Outcome.PASS]
    problems = [f for f in rest if f.outcome is not Outcome.PASS]
    if not rest:
        return []
    out = ["### Other checks", ""]
    for f in problems:
        out.append(_finding_line(f))
        measured = measured_text(f)
        if measured:
            out.append(f"  Measured: {_cell(measured)}")
    if passed:
        out.append(f"- ✅ Also passed: {', '.join(passed)}")
    return [*out, ""]


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
            f"{_cell(gate.mitigation) if gate_action(gate) else '—'} | {_cell(gate.owner)} |"
        )
    out += [
        "",
        f"**Overall Recommendation: {report.recommendation.value}** ({_cell(report.rationale)})",
        "",
        report.next_review_line,
        "",
    ]
    return out


def _coverage(coverage: FrameworkCoverage) -> list[str]:
    out = [
        f"## Framework coverage: {coverage.title}",
        "",
        "Which items this review's checks evidence (mapping and sources: docs/frameworks.md); "
        "an item's outcome is the worst of its checks.",
        "",
        "| Item | Requirement | Checks | Outcome |",
        "|---|---|---|---|",
    ]
    out += [f"| {i} | {_cell(t)} | {c} | {o} |" for i, t, c, o in coverage_rows(coverage)]
    uncovered = coverage.uncovered
    out += ["", f"**Not evidenced by any check ({len(uncovered)}):** "]
    out[-1] += "; ".join(f"{i.item} {_cell(i.title)}" for i in uncovered) or "none"
    return [*out, ""]


def _sign_off(report: ReviewReport) -> list[str]:
    """Who approved or overrode what and when, then lines for the board to sign."""
    out = ["## Sign-off", ""]
    entries = sign_off_entries(report)
    if entries:
        out += ["| When | Who | Action | What | Reason |", "|---|---|---|---|---|"]
        out += [
            f"| {a.at} | {_cell(a.by)} | {a.action} | {_cell(a.detail)} | {_cell(a.reason)} |"
            for a in entries
        ]
    else:
        out.append("No reviewer has approved or overridden a gate of this review yet.")
    out += [
        "",
        "| Role | Name | Decision | Date | Signature |",
        "|---|---|---|---|---|",
        "| Model owner | | | | |",
        "| Approver | | | | |",
        "",
    ]
    return out


def _footer(report: ReviewReport) -> list[str]:
    tokens = tokens_line(report)
    out = [tokens, ""] if tokens else []
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
