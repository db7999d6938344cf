"""Problem framing checks (PF.*) at their rules."""

from __future__ import annotations

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Outcome

from ..conftest import MakeCtx, run_one

OBJECTIVE = "Reduce voluntary churn of B2B accounts by flagging at-risk accounts 90 days ahead."


def test_objective(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("PF.OBJECTIVE"), make_ctx()).outcome is Outcome.FAIL
    assert run_one(check_spec("PF.OBJECTIVE"), make_ctx({"problem": {"objective": "TBD"}})).outcome is Outcome.FAIL
    assert run_one(check_spec("PF.OBJECTIVE"), make_ctx({"problem": {"objective": "Improve sales"}})).outcome is Outcome.FAIL
    vague = make_ctx({"problem": {"objective": "Use AI to improve sales."}})
    assert run_one(check_spec("PF.OBJECTIVE"), vague).outcome is Outcome.WARN
    vague_with_kpi = make_ctx(
        {"problem": {"objective": "Use AI to improve sales.", "kpis": [{"name": "revenue", "baseline": 1, "target": 2}]}}
    )
    assert run_one(check_spec("PF.OBJECTIVE"), vague_with_kpi).outcome is Outcome.PASS
    assert run_one(check_spec("PF.OBJECTIVE"), make_ctx({"problem": {"objective": OBJECTIVE}})).outcome is Outcome.PASS


def test_kpis(make_ctx: MakeCtx) -> None:
    f = run_one(check_spec("PF.KPIS"), make_ctx())
    assert f.outcome is Outcome.FAIL and f.mitigation
    partial = make_ctx({"problem": {"kpis": [{"name": "churn", "baseline": 0.04, "target": 0.03}, {"name": "nrr"}]}})
    f = run_one(check_spec("PF.KPIS"), partial)
    assert f.outcome is Outcome.WARN
    assert f.measured["without_baseline_or_target"] == ["nrr"]
    full = make_ctx({"problem": {"kpis": [{"name": "churn", "baseline": 0.04, "target": 0.03}]}})
    assert run_one(check_spec("PF.KPIS"), full).outcome is Outcome.PASS


def test_success_criteria(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("PF.SUCCESS_CRITERIA"), make_ctx()).outcome is Outcome.FAIL
    ctx = make_ctx({"problem": {"success_criteria": [{"metric": "rmse", "threshold": 3, "direction": "lower"}]}})
    f = run_one(check_spec("PF.SUCCESS_CRITERIA"), ctx)
    assert f.outcome is Outcome.PASS
    assert "rmse <= 3" in f.message


def test_scope_and_assumptions(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("PF.SCOPE"), make_ctx({"problem": {"in_scope": ["a"]}})).outcome is Outcome.WARN
    both = make_ctx({"problem": {"in_scope": ["a"], "out_of_scope": ["b"]}})
    assert run_one(check_spec("PF.SCOPE"), both).outcome is Outcome.PASS
    assert run_one(check_spec("PF.ASSUMPTIONS"), make_ctx()).outcome is Outcome.WARN
    assert run_one(check_spec("PF.ASSUMPTIONS"), make_ctx({"problem": {"assumptions": ["x"]}})).outcome is Outcome.PASS
