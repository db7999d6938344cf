"""Gate 1: Problem Framing / KPIs."""

from __future__ import annotations

from langgraph_gates.checks.base import CheckContext
from langgraph_gates.gates._narrative import findings_for, not_provided, section
from langgraph_gates.gates.spec import declared_gate
from langgraph_gates.state import Finding


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    """The seed's Problem Framing outputs, written from the dossier and the findings."""
    p = ctx.dossier.problem
    m = ctx.dossier.model
    what = " — ".join(x for x in (m.name, m.use_case) if x)
    kpis = [
        f"{k.name}: baseline {k.baseline if k.baseline is not None else '?'}"
        f" -> target {k.target if k.target is not None else '?'}{' ' + k.unit if k.unit else ''}"
        for k in p.kpis
    ]
    criteria = [
        f"{c.metric} {'>=' if c.direction == 'higher' else '<='} {c.threshold:g}"
        for c in p.success_criteria
    ]
    return {
        "Business objectives and strategic alignment": section(
            f"Model: {what}." if what else "",
            f"Objective: {p.objective}" if p.objective else not_provided("business objective"),
            f"Strategic alignment: {p.strategic_alignment}" if p.strategic_alignment else "",
            findings_for(findings, "PF.OBJECTIVE"),
        ),
        "KPIs and target metrics": section(
            kpis or not_provided("KPIs with baselines and targets"),
            findings_for(findings, "PF.KPIS"),
        ),
        "Success criteria and acceptance thresholds": section(
            criteria or not_provided("measurable acceptance thresholds"),
            findings_for(findings, "PF.SUCCESS_CRITERIA"),
        ),
        "Scope boundaries (in-scope, out-of-scope)": section(
            ["In scope: " + s for s in p.in_scope] or not_provided("in-scope list"),
            ["Out of scope: " + s for s in p.out_of_scope] or not_provided("out-of-scope list"),
            findings_for(findings, "PF.SCOPE"),
        ),
        "Assumptions and open clarifications": section(
            ["Assumption: " + a for a in p.assumptions] or not_provided("assumptions"),
            ["Open question: " + q for q in p.open_questions],
            findings_for(findings, "PF.ASSUMPTIONS"),
        ),
    }


SPEC = declared_gate("problem_framing", write_sections)
