"""Problem framing checks: objective, KPIs, success criteria, scope, assumptions."""

from __future__ import annotations

from langgraph_gates.checks._text import is_documented, short
from langgraph_gates.checks.base import CheckContext, Verdict, fail, ok, warn
from langgraph_gates.state import EvidenceRef, Severity

__all__ = [
    "check_assumptions",
    "check_kpis",
    "check_objective",
    "check_scope",
    "check_success_criteria",
]

_VAGUE = ("improve", "better", "optimi", "enhance", "leverage", "ai-driven", "use ai", "use ml")


def check_objective(ctx: CheckContext) -> Verdict:
    """Judges PF.OBJECTIVE: whether a business objective is stated."""
    objective = ctx.dossier.problem.objective
    where = EvidenceRef(source="problem.objective")
    if not is_documented(objective, min_words=4):
        return fail(
            "No business objective is stated (or it is a placeholder of a few words).",
            evidence=where,
            measured={"words": len((objective or "").split())},
        )
    assert objective is not None
    words = objective.split()
    if (
        len(words) < 8
        and any(v in objective.lower() for v in _VAGUE)
        and not ctx.dossier.problem.kpis
    ):
        return warn(
            f"The objective '{short(objective)}' is vague and no KPI makes it measurable.",
            evidence=where,
            measured={"words": len(words)},
        )
    return ok(f"Objective: {short(objective)}", evidence=where, measured={"words": len(words)})


def check_kpis(ctx: CheckContext) -> Verdict:
    """Judges PF.KPIS: whether KPIs are listed, each with a numeric baseline and target."""
    kpis = ctx.dossier.problem.kpis
    where = EvidenceRef(source="problem.kpis")
    if not kpis:
        return fail("No KPI is named, so business impact cannot be measured.", evidence=where)
    incomplete = [k.name for k in kpis if k.baseline is None or k.target is None]
    measured = {"kpis": len(kpis), "without_baseline_or_target": incomplete}
    if incomplete:
        return warn(
            f"{len(incomplete)} of {len(kpis)} KPI(s) lack a numeric baseline and target: "
            + ", ".join(incomplete),
            evidence=where,
            measured=measured,
            mitigation="Give every KPI a numeric baseline and target value.",
        )
    names = ", ".join(f"{k.name} ({k.baseline:g} -> {k.target:g})" for k in kpis)  # type: ignore[str-format]
    return ok(
        f"{len(kpis)} KPI(s) with baseline and target: {names}", evidence=where, measured=measured
    )


def check_success_criteria(ctx: CheckContext) -> Verdict:
    """Judges PF.SUCCESS_CRITERIA: whether a measurable acceptance threshold is stated."""
    criteria = ctx.dossier.problem.success_criteria
    where = EvidenceRef(source="problem.success_criteria")
    if not criteria:
        return fail(
            "No measurable acceptance threshold (metric, threshold, direction) is defined.",
            evidence=where,
        )
    text = ", ".join(
        f"{c.metric} {'>=' if c.direction == 'higher' else '<='} {c.threshold:g}" for c in criteria
    )
    return ok(
        f"Acceptance thresholds: {text}",
        evidence=where,
        measured={"criteria": [c.model_dump(mode="json") for c in criteria]},
    )


def check_scope(ctx: CheckContext) -> Verdict:
    """Judges PF.SCOPE: whether what is in and out of scope is stated."""
    problem = ctx.dossier.problem
    where = EvidenceRef(source="problem.in_scope / problem.out_of_scope")
    absent = [n for n in ("in_scope", "out_of_scope") if not getattr(problem, n)]
    measured = {"in_scope": len(problem.in_scope), "out_of_scope": len(problem.out_of_scope)}
    if absent:
        return warn(
            f"Scope boundaries are incomplete: {' and '.join(absent)} not listed.",
            evidence=where,
            measured=measured,
        )
    return ok("In-scope and out-of-scope boundaries are listed.", evidence=where, measured=measured)


def check_assumptions(ctx: CheckContext) -> Verdict:
    """Judges PF.ASSUMPTIONS: whether assumptions are listed."""
    assumptions = ctx.dossier.problem.assumptions
    where = EvidenceRef(source="problem.assumptions")
    if not assumptions:
        return warn("No assumptions are listed.", evidence=where, severity=Severity.LOW)
    return ok(f"{len(assumptions)} assumption(s) listed.", evidence=where)
