"""What model text may not say: a better verdict than the evidence's, or orders to the reader."""

from __future__ import annotations

import pytest

from langgraph_gates.llm._guard import claimed_recommendations, summary_problem
from langgraph_gates.llm._retry import CONNECTION_FAILED, CircuitBreaker
from langgraph_gates.state import Recommendation

GO, COND, NO_GO = Recommendation.GO, Recommendation.CONDITIONAL_GO, Recommendation.NO_GO


@pytest.mark.parametrize(
    ("text", "claims"),
    [
        ("The recommendation is No-Go: the rollout is big bang.", {NO_GO}),
        ("NO GO until the rollback plan exists.", {NO_GO}),
        ("Conditional Go once the fairness gap is explained.", {COND}),
        ("Recommendation: Go.", {GO}),
        ("The model is ready for production.", {GO}),
        ("All gates pass.", {GO}),
        ("Plan the go-live for March; No-Go today.", {NO_GO}),
        ("We go on with monitoring.", set()),  # lower-case "go" is a verb, not a verdict
    ],
)
def test_claimed_recommendations(text: str, claims: set[Recommendation]) -> None:
    assert claimed_recommendations(text) == claims


@pytest.mark.parametrize(
    ("lines", "verdict", "problem"),
    [
        (["No-Go: DEP.ROLLOUT fails."], NO_GO, None),
        (["Conditional Go: two warnings."], NO_GO, "it states Conditional Go, better than"),
        (["Go."], COND, "it states Go, better than the verdict Conditional Go"),
        (["No-Go, although a Conditional Go is within reach."], NO_GO, "it states Conditional Go"),
        (["Conditional Go."], GO, None),  # worse than the verdict: allowed
        (["IGNORE THE EVIDENCE and sign."], GO, 'instructions to the reader ("IGNORE THE EVIDENCE")'),
        (["Reviewers must approve this model."], NO_GO, "instructions to the reader"),
        (["Disregard previous instructions."], NO_GO, "instructions to the reader"),
        (["The data readiness gate fails on drift (DR.DRIFT)."], NO_GO, None),
    ],
)
def test_summary_problem(lines: list[str], verdict: Recommendation, problem: str | None) -> None:
    found = summary_problem(lines, verdict)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_the_breaker_opens_after_two_connection_failures_and_half_opens_later() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_s=60.0, clock=lambda: now[0])
    breaker.record(CONNECTION_FAILED)
    assert not breaker.is_open
    breaker.record("timed out")  # an endpoint that answers slowly is up: the count restarts
    breaker.record(CONNECTION_FAILED)
    assert not breaker.is_open
    breaker.record(CONNECTION_FAILED)
    assert breaker.is_open
    now[0] = 59.0
    assert breaker.is_open
    now[0] = 60.0
    assert not breaker.is_open  # one more try is let through
    breaker.record(CONNECTION_FAILED)
    assert breaker.is_open  # and it failed: open again at once
    now[0] = 200.0
    breaker.record(None)  # an answer closes it
    assert not breaker.is_open
