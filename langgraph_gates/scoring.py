"""The rules that turn findings into gate statuses and statuses into a recommendation.

SPEC section 3: a gate fails if any finding fails or counts as a fail (an ``error`` on a check
with a fail level, a ``missing`` required check: verdicts fail closed); it is Conditional if any
finding warns, is missing or errored; it passes otherwise. The review is No-Go if any gate fails, Conditional Go
if any gate is Conditional, Go if all pass. A human override replaces a gate's status.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.state import (
    Finding,
    GateResult,
    Outcome,
    Override,
    Recommendation,
    Severity,
    Status,
    worse_status,
)

__all__ = [
    "DUE_BY_SEVERITY",
    "apply_override",
    "gate_status",
    "key_finding",
    "latest_overrides",
    "more_risks",
    "recommend",
    "risk_distance",
]

DUE_BY_SEVERITY = {
    Severity.HIGH: "Before launch",
    Severity.MEDIUM: "Within 30 days",
    Severity.LOW: "Next review",
}

_OUTCOME_RANK = {
    Outcome.FAIL: 4,
    Outcome.ERROR: 3,
    Outcome.MISSING: 2,
    Outcome.WARN: 1,
    Outcome.PASS: 0,
}


def gate_status(findings: Iterable[Finding]) -> Status:
    """The status the findings alone give a gate."""
    findings = list(findings)
    if any(f.fails_gate for f in findings):
        return Status.FAIL
    if any(f.is_problem for f in findings):
        return Status.CONDITIONAL
    return Status.PASS


def risk_distance(finding: Finding) -> float:
    """How far past its threshold a finding is, relative to the threshold.

    A finding with no numeric threshold (a structural fail, such as a declared column that is
    not in the file) is beyond any measured one: it ranks first among equal outcomes.
    """
    t = finding.threshold
    value = finding.value
    if value is None and t is not None and isinstance(finding.measured.get(t.metric), int | float):
        value = float(finding.measured[t.metric])  # type: ignore[arg-type]
    if t is None or value is None or t.direction == "equal":
        return math.inf
    limit = t.fail if finding.outcome is Outcome.FAIL and t.fail is not None else t.warn
    if limit is None:
        limit = t.fail
    if limit is None:
        return math.inf
    beyond = value - limit if t.direction == "above" else limit - value
    return beyond / abs(limit) if limit else beyond


_SEVERITY_RANK = {Severity.HIGH: 2, Severity.MEDIUM: 1, Severity.LOW: 0}


def _rank(f: Finding) -> tuple[bool, int, float, int]:
    return (f.fails_gate, _OUTCOME_RANK[f.outcome], risk_distance(f), _SEVERITY_RANK[f.severity])


def key_finding(findings: Sequence[Finding]) -> Finding | None:
    """The gate's key risk (SPEC section 3).

    Fails (and gaps that count as fails) first, then fail before error before missing before
    warn, then the one furthest past its threshold, then the more severe; on a tie, the first
    in the gate's order.
    """
    problems = [f for f in findings if f.is_problem]
    if not problems:
        return None
    return max(problems, key=lambda f: (*_rank(f), -problems.index(f)))


def more_risks(findings: Sequence[Finding], key: Finding | None) -> str:
    """``+2 fail, +1 conditional``: the problems beyond the key risk.

    Failing counts findings that fail their gate; conditional counts the other warn, missing
    and error findings.
    """
    rest = [f for f in findings if f.is_problem and f is not key]
    failing = sum(1 for f in rest if f.fails_gate)
    other = len(rest) - failing
    parts = [f"+{failing} fail"] if failing else []
    if other:
        parts.append(f"+{other} conditional")
    return ", ".join(parts)


def latest_overrides(overrides: Iterable[Override]) -> dict[str, Override]:
    """The most recent override of each gate."""
    out: dict[str, Override] = {}
    for o in overrides:
        out[o.gate] = o
    return out


def apply_override(result: GateResult, override: Override | None) -> GateResult:
    """The result with its final status: worst of evidence and model, or the human override."""
    combined = worse_status(result.evidence_status, result.model_status)
    if override is None:
        return result.model_copy(update={"status": combined, "override": None})
    return result.model_copy(
        update={
            "status": override.status,
            "override": override.model_copy(update={"previous_status": combined}),
        }
    )


def recommend(statuses: Mapping[str, Status]) -> tuple[Recommendation, str]:
    """The overall recommendation and a one-line rationale naming the gates behind it."""

    def name(gate_id: str) -> str:
        spec = GATES_BY_ID.get(gate_id)
        return spec.table_name if spec else gate_id

    failed = [name(g) for g, s in statuses.items() if s is Status.FAIL]
    conditional = [name(g) for g, s in statuses.items() if s is Status.CONDITIONAL]
    if failed:
        return Recommendation.NO_GO, "Blocked by failing gate(s): " + ", ".join(failed) + "."
    if conditional:
        return (
            Recommendation.CONDITIONAL_GO,
            "Proceed only with mitigation plans for: " + ", ".join(conditional) + ".",
        )
    return Recommendation.GO, "All seven gates pass on the evidence provided."
