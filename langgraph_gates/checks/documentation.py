"""Checks that judge whether the dossier documents a practice (no data files needed).

They span several gates; each gate lists the ones it runs in ``langgraph_gates.gates``.
"""

from __future__ import annotations

from langgraph_gates.checks._text import is_documented, short
from langgraph_gates.checks.base import CheckContext, CheckSpec, Verdict, ok, warn
from langgraph_gates.state import EvidenceRef

__all__ = [
    "GOVERNANCE",
    "HARMS",
    "INPUT_VALIDATION",
    "LABEL_QC",
    "SENSITIVE_DECLARED",
    "SOURCES",
    "THREAT_MODEL",
    "TRANSFORMS",
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


LABEL_QC = CheckSpec(
    "DR.LABEL_QC",
    "data_readiness",
    "Labeling quality control",
    check_label_qc,
    mitigation="Describe how labels are produced and audited (double labeling, agreement rate).",
    reads=("data",),
    fail_level=False,
    needs="data.labeling_qc",
)
SOURCES = CheckSpec(
    "DR.SOURCES",
    "data_readiness",
    "Sources and ownership",
    check_sources,
    mitigation="List every data source with an accountable owner and its refresh cadence.",
    reads=("data",),
    fail_level=False,
    needs="data.sources with owners",
)
TRANSFORMS = CheckSpec(
    "FE.TRANSFORMS",
    "feature_engineering",
    "Documented transformations",
    check_transforms,
    mitigation="Document each transformation (encoding, scaling, windows) and where it runs.",
    reads=("features",),
    fail_level=False,
    needs="features.transformations",
)
SENSITIVE_DECLARED = CheckSpec(
    "RAI.SENSITIVE_DECLARED",
    "responsible_ai",
    "Sensitive attributes declared",
    check_sensitive_declared,
    mitigation="Declare the sensitive attributes (or justify in writing why there are none).",
    reads=("data",),
    fail_level=False,
    needs="data.sensitive_attributes or data.sensitive_justification",
)
HARMS = CheckSpec(
    "RAI.HARMS",
    "responsible_ai",
    "Harm scenarios",
    check_harms,
    mitigation="Run a harms workshop and list who could be hurt by errors, and how.",
    reads=("responsible_ai",),
    fail_level=False,
    needs="responsible_ai.harms",
)
GOVERNANCE = CheckSpec(
    "RAI.GOVERNANCE",
    "responsible_ai",
    "Governance and approval",
    check_governance,
    mitigation="Name the review board and the accountable approver for this model.",
    reads=("responsible_ai",),
    fail_level=False,
    needs="responsible_ai.governance",
)
THREAT_MODEL = CheckSpec(
    "SEC.THREAT_MODEL",
    "security_robustness",
    "Threat model",
    check_threat_model,
    mitigation="Write a threat model covering evasion, poisoning, extraction and abuse.",
    reads=("security",),
    fail_level=False,
    needs="security.threat_model",
)
INPUT_VALIDATION = CheckSpec(
    "SEC.INPUT_VALIDATION",
    "security_robustness",
    "Input validation",
    check_input_validation,
    mitigation="Validate inputs at the serving boundary (schema, ranges, sizes) and reject the rest.",
    reads=("security",),
    fail_level=False,
    needs="security.input_validation",
)
