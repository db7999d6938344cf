"""The seven gates, in the seed's order. The registry is this literal tuple."""

from __future__ import annotations

from langgraph_gates.gates import (
    data_readiness,
    deployment_monitoring,
    feature_engineering,
    model_performance,
    problem_framing,
    responsible_ai,
    security_robustness,
)
from langgraph_gates.gates.spec import GateSpec

__all__ = ["ALL_CHECK_IDS", "GATES", "GATES_BY_ID", "GateSpec", "gate_spec"]

GATES: tuple[GateSpec, ...] = (
    problem_framing.SPEC,
    data_readiness.SPEC,
    feature_engineering.SPEC,
    model_performance.SPEC,
    responsible_ai.SPEC,
    security_robustness.SPEC,
    deployment_monitoring.SPEC,
)

GATES_BY_ID: dict[str, GateSpec] = {g.id: g for g in GATES}

ALL_CHECK_IDS: frozenset[str] = frozenset(c.id for g in GATES for c in g.checks)


def gate_spec(gate_id: str) -> GateSpec:
    """The spec of a gate by id.

    Raises:
        KeyError: no such gate.
    """
    return GATES_BY_ID[gate_id]
