"""Checks that judge whether the dossier documents a practice (no data files needed).

They span several gates; each gate lists the ones it runs in ``langgraph_gates.gates``.
"""

from __future__ import annotations

from langgraph_gates.checks._text import is_documented, short
from langgraph_gates.checks.base import CheckContext, Verdict, ok, warn
from langgraph_gates.state import EvidenceRef

__all__ = [
    "check_governance",
    "check_harms",
    "check_input_validation",
    "check_label_qc",
    "check_sensitive_declared",
    "check_sources",
    "check_threat_model",
    "check_transforms",
]


def _documented(text: str | None, field: str, what: str) -> Verdict:
    where = EvidenceRef(source=field)
    if not is_documented(text):
        return warn(f"No {what} is described.", evidence=where)
    assert text is not None
    return ok(f"{what.capitalize()}: {short(text)}", evidence=where)


def check_label_qc(ctx: CheckContext) -> Verdict:
    """Judges DR.LABEL_QC: whether labeling quality control is described."""
    return _documented(ctx.dossier.data.labeling_qc, "data.labeling_qc", "labeling quality control")


def check_sources(ctx: CheckContext) -> Verdict:
    """Judges DR.SOURCES: whether every data source names its owner."""
    sources = ctx.dossier.data.sources
    where = EvidenceRef(source="data.sources")
    if not sources:
        return warn("No data sources are listed.", evidence=where)
    unowned = [s.name for s in sources if not (s.owner and s.owner.strip())]
    future = [s.name for s in sources if s.refreshed is not None and s.refreshed > ctx.as_of]
    measured = {"sources": len(sources), "without_owner": unowned, "refreshed_in_future": future}
    if unowned:
        return warn(
            f"{len(unowned)} of {len(sources)} source(s) have no owner: {', '.join(unowned)}.",
            evidence=where,
            measured=measured,
        )
    if future:
        return warn(
            f"Refresh dates lie in the future for: {', '.join(future)} (review date {ctx.as_of}).",
            evidence=where,
            measured=measured,
            mitigation="Correct the refresh dates; a date in the future hides real staleness.",
        )
    return ok(f"{len(sources)} source(s), each with an owner.", evidence=where, measured=measured)


def check_transforms(ctx: CheckContext) -> Verdict:
    """Judges FE.TRANSFORMS: whether the feature transformations are documented."""
    return _documented(
        ctx.dossier.features.transformations, "features.transformations", "feature transformations"
    )


def check_threat_model(ctx: CheckContext) -> Verdict:
    """Judges SEC.THREAT_MODEL: whether a threat model is documented."""
    return _documented(ctx.dossier.security.threat_model, "security.threat_model", "threat model")


def check_input_validation(ctx: CheckContext) -> Verdict:
    """Judges SEC.INPUT_VALIDATION: whether input validation at serving is documented."""
    return _documented(
        ctx.dossier.security.input_validation, "security.input_validation", "input validation"
    )


def check_sensitive_declared(ctx: CheckContext) -> Verdict:
    """Judges RAI.SENSITIVE_DECLARED: sensitive attributes declared, or their absence justified."""
    data = ctx.dossier.data
    where = EvidenceRef(source="data.sensitive_attributes")
    if data.sensitive_attributes:
        return ok(
            f"Sensitive attributes declared: {', '.join(data.sensitive_attributes)}.",
            evidence=where,
            measured={"sensitive_attributes": list(data.sensitive_attributes)},
        )
    if is_documented(data.sensitive_justification):
        return ok(
            f"No sensitive attributes, justified: {short(data.sensitive_justification or '')}",
            evidence=EvidenceRef(source="data.sensitive_justification"),
        )
    return warn(
        "No sensitive attributes are declared and no justification is given, so fairness "
        "cannot be assessed.",
        evidence=where,
    )


def check_harms(ctx: CheckContext) -> Verdict:
    """Judges RAI.HARMS: whether harm scenarios are described."""
    harms = [h for h in ctx.dossier.responsible_ai.harms if is_documented(h, min_words=2)]
    where = EvidenceRef(source="responsible_ai.harms")
    if not harms:
        return warn("No harm scenarios are identified.", evidence=where)
    return ok(f"{len(harms)} harm scenario(s) identified.", evidence=where)


def check_governance(ctx: CheckContext) -> Verdict:
    """Judges RAI.GOVERNANCE: whether a review board or approver is named."""
    gov = ctx.dossier.responsible_ai.governance
    where = EvidenceRef(source="responsible_ai.governance")
    if gov is None:
        return warn(
            "No governance: neither a review board nor an approver is named.", evidence=where
        )
    absent = [n for n in ("review_board", "approver") if not (getattr(gov, n) or "").strip()]
    if absent:
        return warn(f"Governance is incomplete: no {' and no '.join(absent)}.", evidence=where)
    return ok(f"Review board: {gov.review_board}; approver: {gov.approver}.", evidence=where)
