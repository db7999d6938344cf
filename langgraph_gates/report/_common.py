"""Formatting helpers shared by the text renderers (no statistics are computed here)."""

from __future__ import annotations

from typing import Any

import yaml

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report.frameworks import FrameworkCoverage
from langgraph_gates.report.model import ReviewReport
from langgraph_gates.state import AuditEntry, Finding, GateResult, Outcome, Status

__all__ = [
    "SIGN_OFF_ACTIONS",
    "coverage_rows",
    "extracted_yaml",
    "gate_action",
    "gate_heading",
    "measured_text",
    "model_line",
    "sign_off_entries",
    "table_name",
    "tokens_line",
    "unlisted_findings",
]

SIGN_OFF_ACTIONS = ("approve", "override", "edit", "rerun")
_SHOWN_ITEMS = 6  # items of a list or mapping shown before "and N more"


def table_name(gate: GateResult) -> str:
    """The gate's name in the gate table."""
    return GATES_BY_ID[gate.id].table_name


def gate_heading(gate: GateResult) -> str:
    """``🎯 1. PROBLEM FRAMING / KPIS``."""
    spec = GATES_BY_ID[gate.id]
    return f"{spec.emoji} {spec.number}. {spec.title.upper()}"


def _more(shown: list[str], total: int) -> str:
    text = ", ".join(shown)
    return text + (f" and {total - len(shown)} more" if total > len(shown) else "")


def _value(v: Any, depth: int = 0) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) >= 1000 else f"{v:.4g}"
    if isinstance(v, int):
        return f"{v:,}"
    if depth >= 1 and isinstance(v, list | dict):
        return f"({len(v)} item(s))"  # nested detail is in the JSON report
    if isinstance(v, list):
        return "none" if not v else _more([_value(x, depth + 1) for x in v[:_SHOWN_ITEMS]], len(v))
    if isinstance(v, dict):
        pairs = [f"{k} {_value(x, depth + 1)}" for k, x in list(v.items())[:_SHOWN_ITEMS]]
        return "(" + _more(pairs, len(v)) + ")"
    return str(v)


def measured_text(f: Finding) -> str:
    """The measured values of a finding as readable text, cut at whole items, never mid-word.

    ``rows 42,000; class counts (0 37,821, 1 4,179)``: long lists end in "and N more" and
    nested detail is counted, not dumped (the JSON report has all of it).
    """
    return "; ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in f.measured.items())


def unlisted_findings(gate: GateResult) -> list[Finding]:
    """Findings the gate's sections do not already show (each finding appears once)."""
    text = "\n".join(gate.sections.values())
    return [f for f in gate.findings if f"{f.check_id}:" not in text]


def gate_action(gate: GateResult) -> str | None:
    """The gate's mitigation line, or None for a clean pass (no boilerplate advice)."""
    if (
        gate.status is Status.PASS
        and not gate.override
        and not any(f.outcome is not Outcome.PASS for f in gate.findings)
    ):
        return None
    return f"{gate.mitigation} (owner {gate.owner}; {gate.severity.value}, due {gate.due})"


def sign_off_entries(report: ReviewReport) -> list[AuditEntry]:
    """Who approved, overrode, edited or re-ran what, and when (overrides never dropped)."""
    entries = [a for a in report.audit if a.action in SIGN_OFF_ACTIONS]
    audited = {(a.at, a.by) for a in entries if a.action == "override"}
    for o in report.overrides:
        if (o.at, o.by) not in audited:
            entries.append(
                AuditEntry(
                    at=o.at,
                    by=o.by,
                    action="override",
                    detail=f"{o.gate} -> {o.status.value}",
                    reason=o.reason,
                )
            )
    return sorted(entries, key=lambda a: a.at)


def coverage_rows(coverage: FrameworkCoverage) -> list[tuple[str, str, str, str]]:
    """``(item, title, checks with outcomes, item outcome)`` for each covered item."""
    return [
        (
            i.item,
            i.title,
            ", ".join(f"{c} {o.value}" for c, o in i.outcomes.items()),
            i.outcome.value if i.outcome else "",
        )
        for i in coverage.items
        if i.outcome is not None
    ]


def model_line(report: ReviewReport) -> str:
    """``Model: churn-predictor 2.3.0 (binary_classification) — Customer churn ...``."""
    m = report.model
    parts = [p for p in (m.name, m.version) if p]
    line = "Model: " + (" ".join(parts) if parts else "(unnamed)")
    if m.task:
        line += f" ({m.task})"
    if m.use_case:
        line += f" — {m.use_case}"
    return line


def extracted_yaml(report: ReviewReport) -> str:
    """The dossier a model extracted from free text, as YAML (empty sections left out)."""

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            kept = {k: prune(v) for k, v in value.items()}
            return {k: v for k, v in kept.items() if v not in (None, [], {}, "")}
        return value

    return yaml.safe_dump(
        prune(report.extracted_dossier or {}), sort_keys=False, allow_unicode=True
    )


def tokens_line(report: ReviewReport) -> str | None:
    """The chat model's token use, when a model wrote narrative."""
    t = report.tokens
    if not t.calls:
        return None
    return f"Model tokens: {t.input_tokens} in, {t.output_tokens} out, {t.calls} calls"
