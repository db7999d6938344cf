"""Gate 2: Data Readiness."""

from __future__ import annotations

from langgraph_gates.checks import documentation
from langgraph_gates.checks.base import CheckContext
from langgraph_gates.gates._narrative import findings_for, listing, not_provided, section
from langgraph_gates.gates.spec import GateSpec
from langgraph_gates.state import Finding


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    d = ctx.dossier.data
    sources = [
        f"{s.name} — owner: {s.owner or 'none named'}"
        + (f", refreshed {s.refreshed.isoformat()}" if s.refreshed else "")
        for s in d.sources
    ]
    files = [
        f"{name}: {getattr(d, name)}"
        for name in ("train", "validation", "test", "serving")
        if getattr(d, name)
    ]
    return {
        "Data sources and ownership": section(
            sources or not_provided("data sources"),
            ("Files: " + "; ".join(files))
            if files
            else not_provided("training/serving data files"),
            findings_for(findings, "DR.SOURCES"),
        ),
        "Volume, freshness, and completeness": section(
            findings_for(findings, "DR.VOLUME", "DR.FRESHNESS", "DR.MISSINGNESS")
            or not_provided("training data to measure volume, freshness and completeness"),
        ),
        "Quality issues and labeling accuracy": section(
            f"Label column: {d.label}." if d.label else not_provided("label column"),
            f"Labeling QC: {d.labeling_qc}" if d.labeling_qc else "",
            findings_for(findings, "DR.DUPLICATES", "DR.SCHEMA", "DR.LABEL_QC"),
        ),
        "Bias and coverage gaps": section(
            "Sensitive attributes: "
            + listing(d.sensitive_attributes or [], empty="none declared")
            + ".",
            findings_for(findings, "DR.BALANCE"),
            "Group coverage is measured in the Responsible AI gate.",
        ),
        "Drift risks and mitigation strategies": section(
            findings_for(findings, "DR.DRIFT")
            or not_provided("serving data to compare with training data for drift"),
        ),
    }


SPEC = GateSpec(
    id="data_readiness",
    number=2,
    title="Data Readiness",
    table_name="Data Readiness",
    emoji="📊",
    focus="Data sources, quality, drift risk",
    outputs=(
        "Data sources and ownership",
        "Volume, freshness, and completeness",
        "Quality issues and labeling accuracy",
        "Bias and coverage gaps",
        "Drift risks and mitigation strategies",
    ),
    default_owner="Data engineering lead",
    checks=(
        documentation.LABEL_QC,
        documentation.SOURCES,
    ),
    write_sections=write_sections,
    extra_reads=("data", "features"),
)
