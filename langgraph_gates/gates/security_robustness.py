"""Gate 6: Security & Robustness."""

from __future__ import annotations

from langgraph_gates.checks.base import CheckContext
from langgraph_gates.gates._narrative import findings_for, not_provided, section
from langgraph_gates.gates.spec import declared_gate
from langgraph_gates.state import Finding, Outcome


def _hardening(findings: list[Finding]) -> list[str]:
    return [
        f"{f.check_id}: {f.mitigation}"
        for f in findings
        if f.outcome is not Outcome.PASS and f.mitigation
    ]


def _redaction_note(findings: list[Finding]) -> str:
    secrets_found = [
        f for f in findings if f.check_id == "SEC.SECRETS" and f.outcome is Outcome.FAIL
    ]
    if not secrets_found:
        return ""
    return (
        "Secret values are never shown: previews keep at most the first and last two "
        "characters, and secrets in the dossier were replaced by redaction markers before "
        "the review stored it."
    )


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    """The seed's Security & Robustness outputs, written from the dossier and the findings."""
    sec = ctx.dossier.security
    return {
        "Threat model (evasion, poisoning)": section(
            sec.threat_model or not_provided("threat model"),
            findings_for(findings, "SEC.THREAT_MODEL"),
        ),
        "Supply chain risks (model artifacts, dependencies)": section(
            findings_for(findings, "SEC.ARTIFACT_UNSAFE", "SEC.DEPENDENCIES"),
        ),
        "Model and artifact integrity controls": section(
            findings_for(findings, "SEC.ARTIFACT_INTEGRITY")
            or not_provided("model artifact and its SHA-256"),
        ),
        "Credential and secret safeguards": section(
            findings_for(findings, "SEC.SECRETS")
            or not_provided("code or config paths to scan for secrets"),
            _redaction_note(findings),
        ),
        "Runtime abuse scenarios": section(
            sec.input_validation or not_provided("input validation"),
            findings_for(findings, "SEC.INPUT_VALIDATION"),
        ),
        "Hardening actions": section(
            _hardening(findings) or "No hardening action required by the evidence.",
        ),
    }


SPEC = declared_gate("security_robustness", write_sections)
