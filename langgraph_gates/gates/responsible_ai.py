"""Gate 5: Responsible AI / Fairness."""

from __future__ import annotations

from langgraph_gates.checks import champion, documentation, fairness
from langgraph_gates.checks.base import CheckContext
from langgraph_gates.checks.unknown_names import UNKNOWN_FIELDS
from langgraph_gates.gates._narrative import findings_for, not_provided, section
from langgraph_gates.gates.spec import GateSpec
from langgraph_gates.state import Finding, Outcome

_ACT_ON = (Outcome.FAIL, Outcome.WARN)

_DEFAULT_METRICS = (
    "selection rate ratio (four-fifths rule)",
    "equalized odds difference (TPR and FPR gaps)",
    "calibration by group",
)


def _fairness_actions(findings: list[Finding]) -> list[str]:
    """The mitigations of the fairness findings that did not pass, one per check."""
    out: list[str] = []
    for cid in ("RAI.DISPARATE_IMPACT", "RAI.EQUALIZED_ODDS", "RAI.GROUP_COVERAGE"):
        bad = [f for f in findings if f.check_id == cid and f.outcome in _ACT_ON]
        if bad and bad[0].mitigation:
            attrs = sorted({str(f.measured.get("attribute", "")) for f in bad} - {""})
            where = f" ({', '.join(attrs)})" if attrs else ""
            out.append(f"{cid}{where}: {bad[0].mitigation}")
    return out


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    """The seed's Responsible AI outputs, written from the dossier and the findings."""
    rai = ctx.dossier.responsible_ai
    d = ctx.dossier.data
    gov = rai.governance
    return {
        "Sensitive attributes (if any)": section(
            ("Declared: " + ", ".join(d.sensitive_attributes)) if d.sensitive_attributes else "",
            f"Justification: {d.sensitive_justification}" if d.sensitive_justification else "",
            findings_for(findings, "RAI.SENSITIVE_DECLARED"),
        ),
        "Potential harm scenarios": section(
            list(rai.harms) or not_provided("harm scenarios"),
            findings_for(findings, "RAI.HARMS"),
        ),
        "Fairness metrics needed": section(
            list(rai.fairness_metrics) or list(_DEFAULT_METRICS),
            findings_for(findings, "RAI.DISPARATE_IMPACT", "RAI.EQUALIZED_ODDS"),
        ),
        "Bias detection plan": section(
            findings_for(findings, "RAI.GROUP_COVERAGE")
            or "Measure group metrics on every release from the predictions file.",
        ),
        "Mitigation strategies": section(
            rai.bias_mitigation or not_provided("bias mitigation strategy"),
            _fairness_actions(findings),
        ),
        "Governance and review requirements": section(
            f"Review board: {gov.review_board or 'none'}; approver: {gov.approver or 'none'}."
            if gov
            else not_provided("governance"),
            findings_for(findings, "RAI.GOVERNANCE"),
        ),
    }


SPEC = GateSpec(
    id="responsible_ai",
    number=5,
    title="Responsible AI / Fairness",
    table_name="Responsible AI",
    emoji="⚖️",
    focus="Bias risks, harm scenarios",
    outputs=(
        "Sensitive attributes (if any)",
        "Potential harm scenarios",
        "Fairness metrics needed",
        "Bias detection plan",
        "Mitigation strategies",
        "Governance and review requirements",
    ),
    default_owner="Responsible AI lead",
    checks=(
        documentation.SENSITIVE_DECLARED,
        fairness.DISPARATE_IMPACT,
        fairness.EQUALIZED_ODDS,
        fairness.GROUP_COVERAGE,
        champion.GROUP_REGRESSION,
        documentation.HARMS,
        documentation.GOVERNANCE,
        UNKNOWN_FIELDS["responsible_ai"],
    ),
    write_sections=write_sections,
    extra_reads=("responsible_ai", "data", "performance"),
)
