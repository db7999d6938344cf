"""Gate status, recommendation and override rules (SPEC section 3)."""

from __future__ import annotations

import pytest

from langgraph_gates import Finding, GateResult, Outcome, Override, Recommendation, Severity, Status
from langgraph_gates.scoring import (
    apply_override,
    gate_status,
    key_finding,
    latest_overrides,
    recommend,
)
from langgraph_gates.state import worse_status


def _f(outcome: Outcome, cid: str = "X.Y", severity: Severity = Severity.MEDIUM) -> Finding:
    return Finding(check_id=cid, gate="data_readiness", title="t", outcome=outcome, severity=severity, message=cid)


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ([], Status.PASS),
        ([Outcome.PASS, Outcome.PASS], Status.PASS),
        ([Outcome.PASS, Outcome.WARN], Status.CONDITIONAL),
        ([Outcome.MISSING], Status.CONDITIONAL),
        ([Outcome.ERROR, Outcome.PASS], Status.CONDITIONAL),
        ([Outcome.WARN, Outcome.FAIL, Outcome.ERROR], Status.FAIL),
    ],
)
def test_gate_status(outcomes: list[Outcome], status: Status) -> None:
    assert gate_status([_f(o) for o in outcomes]) is status


def test_recommendation() -> None:
    assert recommend({"problem_framing": Status.PASS, "security_robustness": Status.PASS})[0] is Recommendation.GO
    rec, why = recommend({"problem_framing": Status.PASS, "security_robustness": Status.CONDITIONAL})
    assert rec is Recommendation.CONDITIONAL_GO and "Security" in why and "Problem" not in why
    rec, why = recommend({"problem_framing": Status.FAIL, "security_robustness": Status.CONDITIONAL})
    assert rec is Recommendation.NO_GO and "Problem Framing" in why and "Security" not in why


def test_key_finding_prefers_worst_outcome_then_severity() -> None:
    findings = [
        _f(Outcome.WARN, "A", Severity.HIGH),
        _f(Outcome.FAIL, "B", Severity.MEDIUM),
        _f(Outcome.FAIL, "C", Severity.HIGH),
        _f(Outcome.FAIL, "D", Severity.HIGH),
    ]
    top = key_finding(findings)
    assert top is not None and top.check_id == "C"
    assert key_finding([_f(Outcome.PASS)]) is None


def test_worse_status() -> None:
    assert worse_status(Status.PASS, None) is Status.PASS
    assert worse_status(Status.PASS, Status.CONDITIONAL) is Status.CONDITIONAL
    assert worse_status(Status.FAIL, Status.PASS) is Status.FAIL


def _result(evidence: Status, model: Status | None = None) -> GateResult:
    return GateResult(id="security_robustness", title="S", evidence_status=evidence, model_status=model, status=evidence)


def test_model_can_only_make_status_worse() -> None:
    assert apply_override(_result(Status.FAIL, Status.PASS), None).status is Status.FAIL
    assert apply_override(_result(Status.CONDITIONAL, Status.PASS), None).status is Status.CONDITIONAL
    assert apply_override(_result(Status.PASS, Status.FAIL), None).status is Status.FAIL


def test_override_replaces_status_and_keeps_previous() -> None:
    o = Override(gate="security_robustness", status=Status.CONDITIONAL, by="ana", reason="accepted risk", at="2026-11-28T00:00:00+00:00")
    r = apply_override(_result(Status.FAIL), o)
    assert r.status is Status.CONDITIONAL
    assert r.override is not None and r.override.previous_status is Status.FAIL
    later = o.model_copy(update={"status": Status.PASS, "at": "2026-11-29T00:00:00+00:00"})
    assert latest_overrides([o, later])["security_robustness"].status is Status.PASS


def test_override_requires_name_and_reason() -> None:
    with pytest.raises(ValueError):
        Override(gate="security_robustness", status=Status.PASS, by="", reason="x", at="t")
    with pytest.raises(ValueError):
        Override(gate="security_robustness", status=Status.PASS, by="x", reason="", at="t")
