"""The rules that turn findings into gate statuses and statuses into a recommendation.

SPEC section 3: a gate fails if any finding fails; it is Conditional if any finding warns, is
missing or errored; it passes otherwise. The review is No-Go if any gate fails, Conditional Go
if any gate is Conditional, Go if all pass. A human override replaces a gate's status.
"""

from __future__ import annotations

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
    "recommend",
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
_SEVERITY_RANK = {Severity.HIGH: 2, Severity.MEDIUM: 1, Severity.LOW: 0}


def gate_status(findings: Iterable[Finding]) -> Status:
    """The status the findings alone give a gate."""
    outcomes = {f.outcome for f in findings}
    if Outcome.FAIL in outcomes:
        return Status.FAIL
    if outcomes & {Outcome.WARN, Outcome.MISSING, Outcome.ERROR}:
        return Status.CONDITIONAL
    return Status.PASS


def key_finding(findings: Sequence[Finding]) -> Finding | None:
    """The finding that is the gate's key risk: worst outcome, then highest severity, first."""
    problems = [f for f in findings if f.outcome is not Outcome.PASS]
    if not problems:
        return None
    return max(
        problems,
        key=lambda f: (_OUTCOME_RANK[f.outcome], _SEVERITY_RANK[f.severity], -problems.index(f)),
    )


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
