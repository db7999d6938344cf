"""Gate 7: Deployment & Monitoring."""

from __future__ import annotations

from langgraph_gates.checks.base import CheckContext
from langgraph_gates.gates._narrative import findings_for, not_provided, section
from langgraph_gates.gates.spec import declared_gate
from langgraph_gates.state import Finding


def write_sections(ctx: CheckContext, findings: list[Finding]) -> dict[str, str]:
    """The seed's Deployment & Monitoring outputs, written from the dossier and the findings."""
    dep = ctx.dossier.deployment
    mon = dep.monitoring
    monitored = []
    if mon is not None:
        monitored = [
            "latency" if mon.latency else "",
            f"drift ({mon.drift})" if mon.drift not in (None, False, "") else "",
            ("quality: " + ", ".join(mon.quality)) if mon.quality else "",
        ]
    return {
        "Rollout strategy (staging, canary, gradual)": section(
            findings_for(findings, "DEP.ROLLOUT", "DEP.ROLLBACK"),
        ),
        "Monitoring metrics (latency, drift, quality)": section(
            ("Monitored: " + ", ".join(m for m in monitored if m))
            if any(monitored)
            else not_provided("monitoring plan"),
            findings_for(findings, "DEP.MONITORING"),
        ),
        "Alert thresholds and SLOs": section(findings_for(findings, "DEP.ALERTS_SLO")),
        "Retraining triggers": section(findings_for(findings, "DEP.RETRAINING")),
        "On-call ownership": section(findings_for(findings, "DEP.ONCALL")),
        "Post-launch success review plan": section(findings_for(findings, "DEP.POST_LAUNCH")),
    }


SPEC = declared_gate("deployment_monitoring", write_sections)
