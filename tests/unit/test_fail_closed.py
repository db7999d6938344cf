"""Verdicts fail closed (SPEC section 3): errors on checks with a fail level and missing required
evidence fail the gate; the key risk is the worst finding, then the furthest past its threshold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from langgraph_gates.checks.base import (
    CheckContext,
    CheckSpec,
    error,
    fail,
    missing,
    run_check,
    warn,
)
from langgraph_gates.dossier import Dossier
from langgraph_gates.errors import PolicyError
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.policy import DEFAULT_REQUIRED, Policy, policy_from_mapping
from langgraph_gates.scoring import gate_status, key_finding, more_risks, risk_distance
from langgraph_gates.state import Finding, Outcome, Severity, Status, Threshold


def _ctx(dossier: dict | None = None, policy: Policy | None = None) -> CheckContext:
    return CheckContext(
        dossier=Dossier.model_validate(dossier or {}),
        policy=policy or Policy(),
        base_dir=Path("."),
        as_of=dt.date(2026, 12, 1),
        prior={},
        evidence=EvidenceStore(policy_fingerprint="t"),
    )


def _spec(cid: str, outcome_fn, *, fail_level=True, needs: str = "x.y") -> CheckSpec:  # type: ignore[no-untyped-def]
    return CheckSpec(cid, "data_readiness", "t", outcome_fn, "do it", fail_level=fail_level, needs=needs)


def test_error_on_a_check_with_a_fail_level_fails_the_gate() -> None:
    [f] = run_check(_spec("DR.SCHEMA", lambda c: error("unreadable")), _ctx(), owner="o")
    assert f.outcome is Outcome.ERROR and f.counts_as_fail and f.fails_gate
    assert f.severity is Severity.HIGH
    assert "fix it (x.y)" in f.mitigation and "--override data_readiness=Conditional" in f.mitigation
    assert gate_status([f]) is Status.FAIL


def test_error_on_a_warn_only_check_stays_conditional() -> None:
    [f] = run_check(_spec("DR.LABEL_QC", lambda c: error("x"), fail_level=False), _ctx(), owner="o")
    assert not f.counts_as_fail and gate_status([f]) is Status.CONDITIONAL


def test_fail_level_follows_the_policy_band() -> None:
    spec = CheckSpec(
        "DR.DUPLICATES", "data_readiness", "t", lambda c: error("x"), "m",
        fail_level=lambda p: p.data.duplicate_fraction.fail is not None,
    )
    [f] = run_check(spec, _ctx(), owner="o")
    assert not f.counts_as_fail  # the default band only warns
    strict = policy_from_mapping({"data": {"duplicate_fraction": {"direction": "above", "warn": 0.05, "fail": 0.2}}})
    [f] = run_check(spec, _ctx(policy=strict), owner="o")
    assert f.counts_as_fail


def test_missing_required_check_fails_and_says_what_to_declare() -> None:
    [f] = run_check(_spec("DR.VOLUME", lambda c: missing("no train"), needs="data.train"), _ctx(), owner="o")
    assert f.counts_as_fail and "required by the policy" in f.mitigation and "data.train" in f.mitigation
    assert gate_status([f]) is Status.FAIL


def test_missing_not_required_check_is_conditional() -> None:
    [f] = run_check(_spec("DR.DRIFT", lambda c: missing("no serving")), _ctx(), owner="o")
    assert not f.counts_as_fail and gate_status([f]) is Status.CONDITIONAL


def test_fairness_checks_are_required_only_with_sensitive_attributes() -> None:
    spec = _spec("RAI.DISPARATE_IMPACT", lambda c: missing("no predictions"))
    [without] = run_check(spec, _ctx(), owner="o")
    [with_attrs] = run_check(spec, _ctx({"data": {"sensitive_attributes": ["sex"]}}), owner="o")
    assert not without.counts_as_fail and with_attrs.counts_as_fail


def test_a_policy_can_stop_requiring_a_check() -> None:
    policy = policy_from_mapping({"required": [c for c in DEFAULT_REQUIRED if c != "DR.VOLUME"]})
    [f] = run_check(_spec("DR.VOLUME", lambda c: missing("no train")), _ctx(policy=policy), owner="o")
    assert not f.counts_as_fail


def test_policy_refuses_unknown_check_ids_with_a_suggestion() -> None:
    with pytest.raises(PolicyError) as exc:
        policy_from_mapping({"required": ["DR.VOLUME", "MP.OVERFITT"]})
    assert "MP.OVERFITT" in str(exc.value) and "did you mean 'MP.OVERFIT'" in str(exc.value)
    assert exc.value.field == "required"


def test_policy_refuses_a_check_both_required_and_disabled() -> None:
    with pytest.raises(PolicyError, match="both required and disabled"):
        policy_from_mapping({"disabled_checks": ["SEC.SECRETS"]})


def _finding(cid: str, outcome: Outcome, *, value: float | None = None, t: Threshold | None = None) -> Finding:
    return Finding(
        check_id=cid, gate="data_readiness", title="t", outcome=outcome, severity=Severity.MEDIUM,
        message=cid, value=value, threshold=t,
    )


def test_key_risk_is_the_finding_furthest_past_its_threshold() -> None:
    volume = _finding("DR.VOLUME", Outcome.FAIL, value=700, t=Threshold(metric="rows", direction="below", warn=10_000, fail=1_000))
    drift = _finding("DR.DRIFT", Outcome.FAIL, value=3.46, t=Threshold(metric="psi", direction="above", warn=0.1, fail=0.25))
    assert risk_distance(volume) == pytest.approx(0.3)
    assert risk_distance(drift) == pytest.approx((3.46 - 0.25) / 0.25)
    assert key_finding([volume, drift]) is drift
    assert more_risks([volume, drift], drift) == "+1 fail"


def test_key_risk_ranks_fail_then_counted_gaps_then_error_missing_warn() -> None:
    plain_warn = _finding("A", Outcome.WARN)
    gap = _finding("B", Outcome.MISSING)
    counted = _finding("C", Outcome.MISSING).model_copy(update={"counts_as_fail": True})
    err = _finding("D", Outcome.ERROR)
    assert key_finding([plain_warn, gap, err]) is err
    assert key_finding([plain_warn, gap, err, counted]) is counted
    real_fail = _finding("E", Outcome.FAIL, value=0.3, t=Threshold(metric="x", direction="above", fail=0.25))
    assert key_finding([counted, real_fail]) is real_fail
    assert more_risks([plain_warn, gap, err, counted, real_fail], real_fail) == "+1 fail, +3 conditional"


def test_warn_key_risk_distance_uses_the_warn_level() -> None:
    a = _finding("A", Outcome.WARN, value=0.12, t=Threshold(metric="x", direction="above", warn=0.1, fail=0.25))
    b = _finding("B", Outcome.WARN, value=0.2, t=Threshold(metric="x", direction="above", warn=0.1, fail=0.25))
    assert key_finding([a, b]) is b


def test_real_fail_verdict_is_not_marked_as_counted() -> None:
    [f] = run_check(_spec("DR.SCHEMA", lambda c: fail("bad")), _ctx(), owner="o")
    assert f.fails_gate and not f.counts_as_fail
    [w] = run_check(_spec("DR.SCHEMA", lambda c: warn("meh")), _ctx(), owner="o")
    assert not w.fails_gate
