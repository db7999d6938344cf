"""Checks judged from the metrics JSON: CV stability, baseline, validation strategy, importance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Outcome

from ..conftest import MakeCtx, run_one


def _metrics(tmp_path: Path, content: Any) -> dict[str, Any]:
    (tmp_path / "metrics.json").write_text(json.dumps(content) if not isinstance(content, str) else content)
    return {"performance": {"metrics": "metrics.json"}}


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([0.80, 0.80, 0.80], Outcome.PASS), ([0.70, 0.80, 0.90], Outcome.WARN), ([0.76, 0.80, 0.84], Outcome.PASS)],
)
def test_cv_stability(make_ctx: MakeCtx, tmp_path: Path, scores: list[float], expected: Outcome) -> None:
    # std of [0.76, 0.80, 0.84] is 0.04 (<= 0.05); of [0.7, 0.8, 0.9] it is 0.1.
    f = run_one(check_spec("MP.CV_STABILITY"), make_ctx(_metrics(tmp_path, {"cv": {"roc_auc": scores}})))
    assert f.outcome is expected


def test_cv_missing(make_ctx: MakeCtx, tmp_path: Path) -> None:
    assert run_one(check_spec("MP.CV_STABILITY"), make_ctx()).outcome is Outcome.MISSING
    f = run_one(check_spec("MP.CV_STABILITY"), make_ctx(_metrics(tmp_path, {"cv": {"roc_auc": [0.8]}})))
    assert f.outcome is Outcome.MISSING


def test_baseline(make_ctx: MakeCtx, tmp_path: Path) -> None:
    assert run_one(check_spec("MP.BASELINE"), make_ctx()).outcome is Outcome.WARN
    d = _metrics(tmp_path, {"validation": {"roc_auc": 0.72}, "test": {"roc_auc": 0.69, "rmse": 3.0}})
    d["performance"]["baseline"] = {"metric": "roc_auc", "value": 0.70}
    f = run_one(check_spec("MP.BASELINE"), make_ctx(d))
    assert f.outcome is Outcome.FAIL and f.measured["split"] == "test"  # test wins over validation
    d["performance"]["baseline"] = {"metric": "rmse", "value": 3.5}  # lower is better
    assert run_one(check_spec("MP.BASELINE"), make_ctx(d)).outcome is Outcome.PASS
    d["performance"]["baseline"] = {"metric": "f1", "value": 0.5}
    assert run_one(check_spec("MP.BASELINE"), make_ctx(d)).outcome is Outcome.MISSING


def test_validation_strategy(make_ctx: MakeCtx, tmp_path: Path) -> None:
    assert run_one(check_spec("MP.VALIDATION_STRATEGY"), make_ctx()).outcome is Outcome.MISSING
    for strategy, expected in (("none", Outcome.WARN), ("holdout", Outcome.WARN), ("kfold", Outcome.PASS),
                               ("time_split", Outcome.PASS)):
        ctx = make_ctx({"performance": {"validation_strategy": strategy}})
        assert run_one(check_spec("MP.VALIDATION_STRATEGY"), ctx).outcome is expected
    d = _metrics(tmp_path, {"cv": {"auc": [0.8, 0.81]}})
    d["performance"]["validation_strategy"] = "holdout"
    assert run_one(check_spec("MP.VALIDATION_STRATEGY"), make_ctx(d)).outcome is Outcome.PASS


def test_importance(make_ctx: MakeCtx, tmp_path: Path) -> None:
    assert run_one(check_spec("FE.IMPORTANCE"), make_ctx()).outcome is Outcome.WARN
    d = _metrics(tmp_path, {"feature_importance": {"a": 0.5, "b": 0.2}})
    assert run_one(check_spec("FE.IMPORTANCE"), make_ctx(d)).outcome is Outcome.PASS
    d["features"] = {"key": ["z"]}
    assert run_one(check_spec("FE.IMPORTANCE"), make_ctx(d)).outcome is Outcome.WARN


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ({"validation": {"roc_auc": "high"}}, "validation.roc_auc"),
        ({"cv": {"roc_auc": [0.8, "x"]}}, "cv.roc_auc[1]"),
        ([1, 2], "JSON object"),
        ({"train": {"auc": float("nan")}}, "finite"),
    ],
)
def test_bad_metrics_file_is_an_error_finding(make_ctx: MakeCtx, tmp_path: Path, content: Any, reason: str) -> None:
    text = content if isinstance(content, str) else json.dumps(content).replace("NaN", "NaN")
    f = run_one(check_spec("MP.CV_STABILITY"), make_ctx(_metrics(tmp_path, text)))
    assert f.outcome is Outcome.ERROR
    assert reason in f.message


def test_absent_metrics_file_is_an_error(make_ctx: MakeCtx) -> None:
    f = run_one(check_spec("MP.CV_STABILITY"), make_ctx({"performance": {"metrics": "nope.json"}}))
    assert f.outcome is Outcome.ERROR and "not found" in f.message
