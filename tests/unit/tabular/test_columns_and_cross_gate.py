"""DR.COLUMNS, the schema check under a wrong label, unmeasured drift in DEP.MONITORING, the
time-split requirement and misspelt importance names (verdicts fail closed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from langgraph_gates.checks.base import run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.scoring import gate_status, key_finding
from langgraph_gates.state import GateResult, Outcome, Status

from ...conftest import MakeCtx, run_one
from .conftest import WriteTable, data_dossier


def _frame(n: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "risk": rng.integers(0, 2, n),
        "age": rng.integers(18, 80, n),
        "sex": rng.choice(["f", "m"], n),
        "when": np.array(["2026-01-01"] * n),
    }


def test_declared_columns_present_pass(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    train = parquet("train.parquet", _frame())
    d = data_dossier(train=train, label="risk", timestamp="when", sensitive=["sex"])
    f = run_one(check_spec("DR.COLUMNS"), make_ctx(d))
    assert f.outcome is Outcome.PASS and "risk" in f.message


def test_wrong_label_names_the_file_and_its_columns_first_in_key_risk(
    make_ctx: MakeCtx, parquet: WriteTable
) -> None:
    train = parquet("train.parquet", _frame())
    serving = parquet("serving.parquet", {k: v for k, v in _frame(seed=1).items() if k != "risk"})
    d = data_dossier(train=train, serving=serving, label="risky", sensitive=["gender"])
    ctx = make_ctx(d)
    f = run_one(check_spec("DR.COLUMNS"), ctx)
    assert f.outcome is Outcome.FAIL
    assert "data.label 'risky' is not a column of train.parquet (did you mean 'risk'?)" in f.message
    assert "data.sensitive_attributes 'gender' is not a column" in f.message
    assert "its columns: risk, age, sex, when" in f.message
    schema = run_one(check_spec("DR.SCHEMA"), ctx)
    assert schema.outcome is Outcome.ERROR and schema.counts_as_fail
    assert "missing in serving" not in schema.message and "'risky'" in schema.message
    findings = [
        f
        for spec in (check_spec("DR.COLUMNS"), check_spec("DR.VOLUME"), check_spec("DR.SCHEMA"), check_spec("DR.DRIFT"))
        for f in run_check(spec, ctx, owner="o")
    ]
    assert gate_status(findings) is Status.FAIL
    top = key_finding(findings)
    assert top is not None and top.check_id == "DR.COLUMNS"


def test_columns_missing_without_train_and_error_when_unreadable(
    make_ctx: MakeCtx, raw: Callable[[str, str | bytes], str]
) -> None:
    assert run_one(check_spec("DR.COLUMNS"), make_ctx(data_dossier(label="y"))).outcome is Outcome.MISSING
    bad = raw("train.parquet", b"not parquet")
    f = run_one(check_spec("DR.COLUMNS"), make_ctx(data_dossier(train=bad, label="y")))
    assert f.outcome is Outcome.ERROR and f.counts_as_fail


def _prior_drift(outcome: Outcome, message: str = "m") -> dict[str, GateResult]:
    from langgraph_gates.state import Finding, Severity

    finding = Finding(
        check_id="DR.DRIFT", gate="data_readiness", title="t", outcome=outcome,
        severity=Severity.HIGH, message=message,
    )
    result = GateResult(
        id="data_readiness", title="Data Readiness", evidence_status=Status.FAIL,
        status=Status.FAIL, findings=[finding],
    )
    return {"data_readiness": result}


def test_unmeasured_drift_on_declared_serving_data_demands_drift_monitoring(
    make_ctx: MakeCtx,
) -> None:
    d = {"data": {"serving": "serving.csv"}, "deployment": {"monitoring": {"latency": True, "quality": ["auc"]}}}
    f = run_one(check_spec("DEP.MONITORING"), make_ctx(d, prior=_prior_drift(Outcome.ERROR, "unreadable")))
    assert f.outcome is Outcome.FAIL and "could not measure drift" in f.message
    # A first launch (no serving data declared): drift unknown is only a gap, not a fail.
    first = {"deployment": {"monitoring": {"latency": True, "quality": ["auc"]}}}
    f = run_one(check_spec("DEP.MONITORING"), make_ctx(first, prior=_prior_drift(Outcome.MISSING)))
    assert f.outcome is Outcome.WARN
    # With drift monitored, nothing more is asked.
    watched = {"data": {"serving": "s.csv"}, "deployment": {"monitoring": {"latency": True, "drift": "psi", "quality": ["auc"]}}}
    f = run_one(check_spec("DEP.MONITORING"), make_ctx(watched, prior=_prior_drift(Outcome.ERROR)))
    assert f.outcome is Outcome.PASS


def test_a_declared_time_split_requires_the_temporal_check(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    train = parquet("train.parquet", _frame())
    declared = data_dossier(train=train, label="risk", timestamp="when", validation_strategy="time_split")
    f = run_one(check_spec("FE.TEMPORAL_LEAKAGE"), make_ctx(declared))
    assert f.outcome is Outcome.MISSING and f.counts_as_fail
    undeclared = data_dossier(train=train, label="risk", timestamp="when", validation_strategy="kfold")
    g = run_one(check_spec("FE.TEMPORAL_LEAKAGE"), make_ctx(undeclared))
    assert not g.counts_as_fail


def test_misspelt_importance_names_are_reported(make_ctx: MakeCtx, parquet: WriteTable, tmp_path: Path) -> None:
    train = parquet("train.parquet", _frame())
    (tmp_path / "metrics.json").write_text(
        json.dumps({"feature_importance": {"agee": 0.5, "sex": 0.2, "sex_m": 0.1}})
    )
    d = data_dossier(train=train, label="risk")
    d["performance"] = {"metrics": "metrics.json"}
    f = run_one(check_spec("FE.IMPORTANCE"), make_ctx(d))
    assert f.outcome is Outcome.WARN and f.measured["misspelt"] == {"agee": "age"}
