"""Deployment and monitoring checks: rollout, rollback, monitoring, SLOs, retraining, on-call."""

from __future__ import annotations

from langgraph_gates.checks._text import is_documented, short
from langgraph_gates.checks.base import CheckContext, Verdict, fail, ok, warn
from langgraph_gates.state import EvidenceRef, GateId, Outcome

__all__ = [
    "check_alerts_slo",
    "check_monitoring",
    "check_oncall",
    "check_post_launch",
    "check_retraining",
    "check_rollback",
    "check_rollout",
]

# Strategies that expose the model to a part of traffic first.
STAGED_STRATEGIES = frozenset(
    {"canary", "gradual", "staged", "blue_green", "blue-green", "shadow", "ab_test", "a/b", "ring"}
)
_NO_STRATEGY = frozenset({"big_bang", "big-bang", "bigbang", "all_at_once", "none", "direct"})


def _drifting_features(ctx: CheckContext) -> list[str]:
    """Features that data readiness saw drifting (cross-gate)."""
    drift = ctx.prior_finding("DR.DRIFT")
    if drift is None or drift.outcome not in (Outcome.WARN, Outcome.FAIL):
        return []
    names = drift.measured.get("drifting_features")
    return [str(n) for n in names] if isinstance(names, list) else []


def _drift_monitored(ctx: CheckContext) -> bool:
    monitoring = ctx.dossier.deployment.monitoring
    return bool(monitoring and monitoring.drift not in (None, False, "", "none"))


def check_rollout(ctx: CheckContext) -> Verdict:
    """Judges DEP.ROLLOUT: whether a staged rollout (not big bang) is declared."""
    rollout = ctx.dossier.deployment.rollout
    where = EvidenceRef(source="deployment.rollout")
    if rollout is None or not rollout.strategy:
        return fail(
            "No rollout strategy: the model would go to all traffic at once.", evidence=where
        )
    strategy = rollout.strategy.strip().lower()
    measured = {"strategy": strategy, "stages": list(rollout.stages)}
    if strategy in _NO_STRATEGY:
        return fail(
            f"Rollout strategy '{rollout.strategy}' sends all traffic at once.",
            evidence=where,
            measured=measured,
        )
    if strategy not in STAGED_STRATEGIES and not rollout.stages:
        return warn(
            f"Rollout strategy '{rollout.strategy}' is not a known staged strategy and "
            "lists no stages.",
            evidence=where,
            measured=measured,
        )
    stages = list(rollout.stages)
    # A 0% first stage is shadow mode (scored, not served): staged, and the safest start.
    live = stages[1:] if stages and stages[0] == 0 else stages
    if stages and (stages != sorted(stages) or stages[-1] > 100 or not live or live[0] <= 0):
        return warn(
            f"Rollout stages {stages} should rise to 100 percent (a first stage of 0 is "
            "shadow mode).",
            evidence=where,
            measured=measured,
        )
    stage_text = (
        " -> ".join(
            f"{s:g}%" + (" (shadow)" if i == 0 and s == 0 else "") for i, s in enumerate(stages)
        )
        if stages
        else "no stages listed"
    )
    return ok(
        f"Staged rollout '{rollout.strategy}': {stage_text}.", evidence=where, measured=measured
    )


def check_rollback(ctx: CheckContext) -> Verdict:
    """Judges DEP.ROLLBACK: whether a rollback plan is documented."""
    plan = ctx.dossier.deployment.rollback_plan
    where = EvidenceRef(source="deployment.rollback_plan")
    if not is_documented(plan):
        return fail("No rollback plan.", evidence=where)
    return ok(f"Rollback: {short(plan or '')}", evidence=where)


def _drift_unmeasured(ctx: CheckContext) -> str:
    """Why drift on declared serving data is unknown, or ''.

    Empty when drift was measured or no serving data is declared (a first launch has none,
    SPEC section 3).
    """
    found = ctx.prior_finding("DR.DRIFT")
    if found is None or found.outcome not in (Outcome.ERROR, Outcome.MISSING):
        return ""
    if found.outcome is Outcome.MISSING and not ctx.dossier.data.serving:
        return ""
    return f"DR.DRIFT {found.outcome.value}: {found.message}"


def check_monitoring(ctx: CheckContext) -> Verdict:
    """Judges DEP.MONITORING: whether latency, drift and quality are monitored."""
    monitoring = ctx.dossier.deployment.monitoring
    where = EvidenceRef(source="deployment.monitoring")
    drifting = _drifting_features(ctx)
    if monitoring is None:
        return fail(
            "No production monitoring is planned.",
            evidence=where,
            measured={"drifting_features": drifting},
        )
    covered = {
        "latency": monitoring.latency,
        "drift": _drift_monitored(ctx),
        "quality": bool(monitoring.quality),
    }
    absent = [k for k, v in covered.items() if not v]
    measured = {"covered": covered, "drifting_features": drifting}
    if drifting and not covered["drift"]:
        return fail(
            "Data readiness saw drift on "
            + ", ".join(drifting)
            + " but no drift monitoring is planned.",
            evidence=where,
            measured=measured,
            mitigation="Monitor drift (PSI) on every feature, starting with the drifting ones.",
        )
    unmeasured = _drift_unmeasured(ctx)
    if unmeasured and not covered["drift"]:
        # Fail closed: drift that could not be measured on declared serving data may be there.
        return fail(
            f"Data readiness could not measure drift ({unmeasured}), so it may be there, and "
            "no drift monitoring is planned.",
            evidence=where,
            measured=measured,
            mitigation="Fix the serving or training data so drift can be measured, and monitor "
            "drift (PSI) on every feature.",
        )
    if absent:
        return warn(
            f"Monitoring does not cover: {', '.join(absent)}.", evidence=where, measured=measured
        )
    return ok("Monitoring covers latency, drift and quality.", evidence=where, measured=measured)


def check_alerts_slo(ctx: CheckContext) -> Verdict:
    """Judges DEP.ALERTS_SLO: whether SLOs and alerts carry numeric thresholds."""
    dep = ctx.dossier.deployment
    alerts = dep.monitoring.alerts if dep.monitoring else {}
    measured = {"slo": dict(dep.slo), "alerts": dict(alerts)}
    where = EvidenceRef(source="deployment.slo / deployment.monitoring.alerts")
    absent = [name for name, v in (("SLOs", dep.slo), ("alert thresholds", alerts)) if not v]
    if absent:
        return warn(f"No numeric {' and no '.join(absent)}.", evidence=where, measured=measured)
    drifting = _drifting_features(ctx)
    watched = set(dep.monitoring.drift_features) if dep.monitoring else set()
    has_drift_alert = any(k.lower() in ("psi", "drift", "kl", "js") for k in alerts)
    unwatched = [f for f in drifting if watched and f not in watched]
    if drifting and (not has_drift_alert or unwatched):
        target = unwatched or drifting
        return warn(
            "Drift alerts do not cover the features data readiness saw drifting: "
            + ", ".join(target)
            + ".",
            evidence=where,
            measured={**measured, "uncovered_drifting_features": target},
            mitigation="Add PSI alert thresholds on the drifting features.",
        )
    slo = ", ".join(f"{k}={v:g}" for k, v in dep.slo.items())
    alert = ", ".join(f"{k}={v:g}" for k, v in alerts.items())
    return ok(f"SLOs: {slo}; alerts: {alert}.", evidence=where, measured=measured)


def check_retraining(ctx: CheckContext) -> Verdict:
    """Judges DEP.RETRAINING: whether a retraining trigger or drift monitoring is declared."""
    trigger = ctx.dossier.deployment.retraining_trigger
    where = EvidenceRef(source="deployment.retraining_trigger")
    drift = _drift_monitored(ctx)
    if not is_documented(trigger) and not drift:
        return fail(
            "No retraining trigger and no drift monitoring: model decay would go unseen.",
            evidence=where,
        )
    if not is_documented(trigger):
        return warn("Drift is monitored but no retraining trigger is defined.", evidence=where)
    return ok(f"Retraining: {short(trigger or '')}", evidence=where)


def check_oncall(ctx: CheckContext) -> Verdict:
    """Judges DEP.ONCALL: whether an on-call owner is named."""
    on_call = ctx.dossier.deployment.on_call
    where = EvidenceRef(source="deployment.on_call")
    if not (on_call or "").strip():
        return fail("No on-call owner for the model in production.", evidence=where)
    return ok(f"On-call: {on_call}.", evidence=where)


def check_post_launch(ctx: CheckContext) -> Verdict:
    """Judges DEP.POST_LAUNCH: whether a post-launch review is scheduled."""
    days = ctx.dossier.deployment.post_launch_review_days
    where = EvidenceRef(source="deployment.post_launch_review_days")
    if not days:
        return warn("No post-launch review is scheduled.", evidence=where)
    return ok(
        "Post-launch reviews at " + "/".join(str(d) for d in sorted(days)) + " days.",
        evidence=where,
        measured={"days": sorted(days)},
    )


_GATE: GateId = "deployment_monitoring"
