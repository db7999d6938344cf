"""Gate 3: Feature Engineering."""

from __future__ import annotations

from langgraph_gates.checks.base import CheckContext
from langgraph_gates.gates._narrative import findings_for, not_provided, section
from langgraph_gates.gates.spec import declared_gate
from langgraph_gates.state import Finding


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    """The seed's Feature Engineering outputs, written from the dossier and the findings."""
    f = ctx.dossier.features
    groups = [f"{name}: {', '.join(cols)}" for name, cols in f.groups.items()]
    return {
        "Key feature groups and lineage": section(
            ("Key features: " + ", ".join(f.key)) if f.key else not_provided("key features"),
            groups,
            f"Lineage: {f.lineage}" if f.lineage else "",
            ("Excluded from features: " + ", ".join(f.excluded)) if f.excluded else "",
            findings_for(findings, "FE.SENSITIVE_FEATURE", "FE.PROXY"),
        ),
        "Transformations and preprocessing": section(
            f.transformations or not_provided("transformations"),
            findings_for(findings, "FE.TRANSFORMS"),
        ),
        "Potential data leakage risks": section(
            findings_for(findings, "FE.TARGET_LEAKAGE", "FE.TEMPORAL_LEAKAGE", "FE.SPLIT_OVERLAP")
            or not_provided("training/validation data to test for leakage"),
        ),
        "Missingness handling strategies": section(
            f.missingness_strategy or not_provided("missingness strategy"),
            findings_for(findings, "FE.MISSINGNESS_STRATEGY"),
        ),
        "Feature importance expectations": section(
            findings_for(findings, "FE.IMPORTANCE"),
        ),
    }


SPEC = declared_gate("feature_engineering", write_sections)
