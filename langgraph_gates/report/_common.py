"""Formatting helpers shared by the text renderers (no statistics are computed here)."""

from __future__ import annotations

from typing import Any

import yaml

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report.model import ReviewReport
from langgraph_gates.state import Finding, GateResult

__all__ = ["extracted_yaml", "gate_heading", "measured_text", "model_line", "table_name"]


def table_name(gate: GateResult) -> str:
    """The gate's name in the gate table."""
    return GATES_BY_ID[gate.id].table_name


def gate_heading(gate: GateResult) -> str:
    """``🎯 1. PROBLEM FRAMING / KPIS``."""
    spec = GATES_BY_ID[gate.id]
    return f"{spec.emoji} {spec.number}. {spec.title.upper()}"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        inner = ", ".join(_value(x) for x in v[:6])
        return f"[{inner}{', …' if len(v) > 6 else ''}]"
    if isinstance(v, dict):
        inner = ", ".join(f"{k}={_value(x)}" for k, x in list(v.items())[:6])
        return "{" + inner + (", …" if len(v) > 6 else "") + "}"
    return str(v)


def measured_text(f: Finding, limit: int = 160) -> str:
    """The measured values of a finding on one line."""
    text = "; ".join(f"{k}={_value(v)}" for k, v in f.measured.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
