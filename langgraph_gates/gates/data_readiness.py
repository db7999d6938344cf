"""Gate 2: Data Readiness."""

from __future__ import annotations

from langgraph_gates.checks.base import CheckContext
from langgraph_gates.gates._narrative import findings_for, listing, not_provided, section
from langgraph_gates.gates.spec import declared_gate
from langgraph_gates.state import Finding


def _psi_method(findings: list[Finding]) -> str:
    """How PSI was computed, so that the numbers can be reproduced (they move with binning)."""
    drift = next((f for f in findings if f.check_id == "DR.DRIFT"), None)
    if drift is None or "bins" not in drift.measured:
        return ""
    m = drift.measured
    return (
        f"PSI per feature, training vs serving: {m['bins']} quantile bins cut from the training "
        f"data (numeric), the {m['max_categories']} most frequent training categories plus one "
        "bin for the rarer ones and one for unseen ones (categorical), missing values as a bin; "
        f"empty bins count as {m['epsilon']:g}."
    )


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    """The seed's Data Readiness outputs, written from the dossier and the findings."""
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
            _psi_method(findings),
        ),
    }


SPEC = declared_gate("data_readiness", write_sections)
