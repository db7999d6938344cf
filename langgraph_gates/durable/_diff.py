"""Diffs between two runs of a review: the call, each gate's status and findings, the dossier."""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_gates.durable._edits import changed_fields
from langgraph_gates.durable._tree import Tree, as_state
from langgraph_gates.durable.models import FindingChange, FindingRef, GateDiff, ReviewDiff
from langgraph_gates.errors import ConfigError, ReviewStateError
from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.state import GATE_IDS, Finding, GateResult

__all__ = ["gate_diff", "review_diff"]


def _finding_keys(findings: Sequence[Finding]) -> dict[tuple[str, str, int], Finding]:
    """Key findings for a diff by check id, location and counter.

    The location is what the first evidence points at; the counter tells apart the findings a
    check reports several times on the same place.
    """
    out: dict[tuple[str, str, int], Finding] = {}
    for f in findings:
        ev = f.evidence[0] if f.evidence else None
        where = "/".join(x for x in (ev.column, ev.group) if x) if ev else ""
        n = 0
        while (f.check_id, where, n) in out:
            n += 1
        out[(f.check_id, where, n)] = f
    return out


def _ref(f: Finding) -> FindingRef:
    return FindingRef(check_id=f.check_id, outcome=f.outcome, message=f.message)


def gate_diff(gate: str, a: GateResult | None, b: GateResult | None, run_b: int) -> GateDiff:
    """Compare one gate's results of two runs."""
    spec = GATES_BY_ID[gate]
    keys_a = _finding_keys(a.findings if a else [])
    keys_b = _finding_keys(b.findings if b else [])
    return GateDiff(
        gate=gate,
        title=spec.title,
        status_a=a.status if a else None,
        status_b=b.status if b else None,
        rerun=b is not None and b.run == run_b,
        added=[_ref(f) for k, f in keys_b.items() if k not in keys_a],
        removed=[_ref(f) for k, f in keys_a.items() if k not in keys_b],
        changed=[
            FindingChange(
                check_id=f.check_id, before=keys_a[k].outcome, after=f.outcome, message=f.message
            )
            for k, f in keys_b.items()
            if k in keys_a and keys_a[k].outcome != f.outcome
        ],
    )


def review_diff(review_id: str, tree: Tree, run_a: int | None, run_b: int | None) -> ReviewDiff:
    """Status and finding changes per gate between two runs (default: the last two).

    Raises:
        ReviewStateError: no such run, or only one run to compare.
        ConfigError: one run given without the other.
    """
    runs = tree.runs()
    if run_a is None and run_b is None:
        if len(runs) < 2:
            msg = "the review has one run only; re-run it (`gates rerun`) to have two to diff"
            raise ReviewStateError(msg, source=review_id)
        run_a, run_b = runs[-2], runs[-1]
    elif run_a is None or run_b is None:
        msg = "give two runs (RUN_A RUN_B) or none for the last two"
        raise ConfigError(msg, field="RUN_B")
    snaps = []
    for run in (run_a, run_b):
        snap = tree.run_result(run)
        if snap is None:
            msg = f"no run {run} (runs: {', '.join(map(str, runs))})"
            raise ReviewStateError(msg, source=review_id)
        snaps.append(as_state(snap.values))
    a, b = snaps
    return ReviewDiff(
        review_id=review_id,
        run_a=run_a,
        run_b=run_b,
        recommendation_a=a.outcome.recommendation if a.outcome else None,
        recommendation_b=b.outcome.recommendation if b.outcome else None,
        gates=[gate_diff(g, a.gates.get(g), b.gates.get(g), run_b) for g in GATE_IDS],
        dossier=changed_fields(a.dossier or {}, b.dossier or {}),
    )
