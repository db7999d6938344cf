"""Deployment and monitoring checks (DEP.*), including the cross-gate drift rules."""

from __future__ import annotations

from typing import Any

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Finding, GateResult, Outcome, Severity, Status

from ..conftest import MakeCtx, run_one

GOOD: dict[str, Any] = {
    "deployment": {
        "rollout": {"strategy": "canary", "stages": [5, 25, 50, 100]},
        "rollback_plan": "Switch the model alias back to the previous version.",
        "slo": {"latency_p95_ms": 200, "availability": 99.9},
        "monitoring": {"latency": True, "drift": "psi", "quality": ["roc_auc"], "alerts": {"psi": 0.2}},
        "retraining_trigger": "Monthly or when PSI exceeds 0.2 on a key feature.",
        "on_call": "ml-oncall",
        "post_launch_review_days": [30, 60, 90],
    }
}


def _with(**changes: Any) -> dict[str, Any]:
    dep = dict(GOOD["deployment"])
    dep.update(changes)
    return {"deployment": {k: v for k, v in dep.items() if v is not None}}


def _drift_prior(features: list[str], outcome: Outcome = Outcome.FAIL) -> dict[str, GateResult]:
    finding = Finding(
        check_id="DR.DRIFT", gate="data_readiness", title="Drift", outcome=outcome,
        severity=Severity.HIGH, message="drift", measured={"drifting_features": features},
    )
    result = GateResult(id="data_readiness", title="Data Readiness", evidence_status=Status.FAIL,
                        status=Status.FAIL, findings=[finding])
    return {"data_readiness": result}


def test_all_pass_on_a_complete_plan(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(GOOD)
    for spec in (check_spec("DEP.ROLLOUT"), check_spec("DEP.ROLLBACK"), check_spec("DEP.MONITORING"), check_spec("DEP.ALERTS_SLO"),
                 check_spec("DEP.RETRAINING"), check_spec("DEP.ONCALL"), check_spec("DEP.POST_LAUNCH")):
        assert run_one(spec, ctx).outcome is Outcome.PASS, spec.id


def test_rollout(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("DEP.ROLLOUT"), make_ctx()).outcome is Outcome.FAIL
    for strategy in ("big_bang", "Big-Bang", "none"):
        assert run_one(check_spec("DEP.ROLLOUT"), make_ctx(_with(rollout={"strategy": strategy}))).outcome is Outcome.FAIL
    unsorted = make_ctx(_with(rollout={"strategy": "canary", "stages": [50, 5, 100]}))
    assert run_one(check_spec("DEP.ROLLOUT"), unsorted).outcome is Outcome.WARN
    unknown = make_ctx(_with(rollout={"strategy": "vibes"}))
    assert run_one(check_spec("DEP.ROLLOUT"), unknown).outcome is Outcome.WARN


def test_rollback_oncall_retraining(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("DEP.ROLLBACK"), make_ctx(_with(rollback_plan="TBD"))).outcome is Outcome.FAIL
    assert run_one(check_spec("DEP.ONCALL"), make_ctx(_with(on_call=" "))).outcome is Outcome.FAIL
    no_drift = {"latency": True, "quality": ["auc"]}
    nothing = make_ctx(_with(retraining_trigger=None, monitoring=no_drift))
    assert run_one(check_spec("DEP.RETRAINING"), nothing).outcome is Outcome.FAIL
    drift_only = make_ctx(_with(retraining_trigger=None))
    assert run_one(check_spec("DEP.RETRAINING"), drift_only).outcome is Outcome.WARN


def test_monitoring_levels(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("DEP.MONITORING"), make_ctx(_with(monitoring=None))).outcome is Outcome.FAIL
    f = run_one(check_spec("DEP.MONITORING"), make_ctx(_with(monitoring={"latency": True})))
    assert f.outcome is Outcome.WARN
    assert "drift" in f.message and "quality" in f.message


def test_drift_seen_by_data_readiness_demands_drift_monitoring(make_ctx: MakeCtx) -> None:
    prior = _drift_prior(["logins_30d"])
    ctx = make_ctx(_with(monitoring={"latency": True, "quality": ["auc"]}), prior=prior)
    f = run_one(check_spec("DEP.MONITORING"), ctx)
    assert f.outcome is Outcome.FAIL and "logins_30d" in f.message
    # Without the earlier finding the same plan only warns.
    ctx = make_ctx(_with(monitoring={"latency": True, "quality": ["auc"]}))
    assert run_one(check_spec("DEP.MONITORING"), ctx).outcome is Outcome.WARN


def test_drift_alerts_must_cover_drifting_features(make_ctx: MakeCtx) -> None:
    mon = {"latency": True, "drift": "psi", "quality": ["auc"], "alerts": {"latency_ms": 300},
           "drift_features": []}
    ctx = make_ctx(_with(monitoring=mon), prior=_drift_prior(["logins_30d"], Outcome.WARN))
    f = run_one(check_spec("DEP.ALERTS_SLO"), ctx)
    assert f.outcome is Outcome.WARN and f.measured["uncovered_drifting_features"] == ["logins_30d"]
    mon = {**mon, "alerts": {"psi": 0.2}, "drift_features": ["seats"]}
    ctx = make_ctx(_with(monitoring=mon), prior=_drift_prior(["logins_30d"], Outcome.WARN))
    assert run_one(check_spec("DEP.ALERTS_SLO"), ctx).outcome is Outcome.WARN
    mon = {**mon, "drift_features": ["seats", "logins_30d"]}
    ctx = make_ctx(_with(monitoring=mon), prior=_drift_prior(["logins_30d"], Outcome.WARN))
    assert run_one(check_spec("DEP.ALERTS_SLO"), ctx).outcome is Outcome.PASS


def test_alerts_slo_and_post_launch(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("DEP.ALERTS_SLO"), make_ctx(_with(slo={}))).outcome is Outcome.WARN
    assert run_one(check_spec("DEP.POST_LAUNCH"), make_ctx(_with(post_launch_review_days=[]))).outcome is Outcome.WARN
