"""Success criteria, overfitting and baseline: from the predictions file when one is given,
from the metrics JSON otherwise, and which source was used."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Finding, GateResult, Outcome, Severity

from ..conftest import MakeCtx, run_one, write_csv


def dossier(criteria: list[dict[str, Any]], **performance: Any) -> dict[str, Any]:
    return {
        "model": {"task": "binary_classification"},
        "problem": {"success_criteria": criteria},
        "performance": performance,
    }


def write_metrics(tmp_path: Path, content: dict[str, Any]) -> str:
    (tmp_path / "metrics.json").write_text(json.dumps(content))
    return "metrics.json"


@pytest.fixture
def scored(tmp_path: Path) -> dict[str, np.ndarray]:
    """Noisy scores for train (better) and validation rows, written to predictions.csv."""
    rng = np.random.default_rng(3)
    out: dict[str, list[Any]] = {"split": [], "y_true": [], "y_score": []}
    for split, noise in (("train", 0.8), ("validation", 1.2)):
        y = rng.integers(0, 2, 400)
        score = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, noise, 400))))
        out["split"] += [split] * 400
        out["y_true"] += y.tolist()
        out["y_score"] += np.round(score, 6).tolist()
    write_csv(tmp_path / "predictions.csv", out)
    return {k: np.asarray(v) for k, v in out.items()}


# --------------------------------------------------------------------------- metrics JSON only


@pytest.mark.parametrize(
    ("value", "expected"), [(0.79, Outcome.FAIL), (0.80, Outcome.PASS), (0.81, Outcome.PASS)]
)
def test_success_criteria_from_metrics_json(
    make_ctx: MakeCtx, tmp_path: Path, value: float, expected: Outcome
) -> None:
    m = write_metrics(tmp_path, {"validation": {"roc_auc": value}})
    f = run_one(
        check_spec("MP.SUCCESS_CRITERIA_MET"),
        make_ctx(dossier([{"metric": "roc_auc", "threshold": 0.8}], metrics=m)),
    )
    assert f.outcome is expected and f.measured["source"] == "metrics file"
    assert f.evidence[0].source == "metrics.json"


def test_success_criteria_lower_is_better_and_aliases(make_ctx: MakeCtx, tmp_path: Path) -> None:
    m = write_metrics(
        tmp_path, {"validation": {"AUC": 0.9, "Log Loss": 0.31}, "test": {"auc": 0.85}}
    )
    crit = [
        {"metric": "roc_auc", "threshold": 0.8},
        {"metric": "logloss", "threshold": 0.3, "direction": "lower"},
    ]
    f = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), make_ctx(dossier(crit, metrics=m)))
    assert f.outcome is Outcome.FAIL and "logloss = 0.31" in f.message
    rows = {r["metric"]: r for r in f.measured["criteria"]}  # type: ignore[index,union-attr]
    assert rows["roc_auc"]["split"] == "test" and rows["roc_auc"]["value"] == 0.85  # test wins


def test_success_criteria_missing_cases(make_ctx: MakeCtx, tmp_path: Path) -> None:
    f = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), make_ctx(dossier([])))
    assert f.outcome is Outcome.MISSING
    f = run_one(
        check_spec("MP.SUCCESS_CRITERIA_MET"), make_ctx(dossier([{"metric": "f1", "threshold": 0.5}]))
    )
    assert f.outcome is Outcome.MISSING and "No predictions file or metrics file" in f.message
    m = write_metrics(tmp_path, {"train": {"f1": 0.9}})
    f = run_one(
        check_spec("MP.SUCCESS_CRITERIA_MET"),
        make_ctx(dossier([{"metric": "f1", "threshold": 0.5}], metrics=m)),
    )
    assert f.outcome is Outcome.MISSING and f.measured["not_reported"] == [
        "f1"
    ]  # train is not held out


def test_cross_gate_note_when_framing_found_none(make_ctx: MakeCtx) -> None:
    framing = Finding(
        check_id="PF.SUCCESS_CRITERIA",
        gate="problem_framing",
        title="t",
        outcome=Outcome.FAIL,
        severity=Severity.HIGH,
        message="none",
    )
    prior = {
        "problem_framing": GateResult(
            id="problem_framing",
            title="PF",
            evidence_status="Fail",
            status="Fail",
            findings=[framing],
        )
    }
    f = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), make_ctx(dossier([]), prior=prior))
    assert f.outcome is Outcome.MISSING and "problem framing found none" in f.message


@pytest.mark.parametrize(
    ("validation", "expected"),
    [
        (0.6, Outcome.PASS),  # gap 4%
        (0.59375, Outcome.PASS),  # 0.03125 / 0.625 = 5% exactly: at the warn line
        (0.59, Outcome.WARN),
        (0.5625, Outcome.WARN),  # 10% exactly: at the fail line
        (0.56, Outcome.FAIL),
    ],
)
def test_overfit_from_metrics_json(
    make_ctx: MakeCtx, tmp_path: Path, validation: float, expected: Outcome
) -> None:
    m = write_metrics(
        tmp_path, {"train": {"roc_auc": 0.625}, "validation": {"roc_auc": validation}}
    )
    f = run_one(
        check_spec("MP.OVERFIT"),
        make_ctx(dossier([{"metric": "roc_auc", "threshold": 0.5}], metrics=m)),
    )
    assert f.measured["relative_gap"] == pytest.approx((0.625 - validation) / 0.625, abs=1e-6)
    assert f.outcome is expected and f.measured["source"] == "metrics file"


def test_overfit_lower_is_better_and_missing(make_ctx: MakeCtx, tmp_path: Path) -> None:
    m = write_metrics(tmp_path, {"train": {"rmse": 2.0}, "validation": {"rmse": 2.5}})
    f = run_one(check_spec("MP.OVERFIT"), make_ctx(dossier([], metrics=m)))
    assert f.measured["relative_gap"] == pytest.approx(0.25) and f.outcome is Outcome.FAIL
    m = write_metrics(tmp_path, {"validation": {"rmse": 2.5}})
    f = run_one(check_spec("MP.OVERFIT"), make_ctx(dossier([], metrics=m)))
    assert f.outcome is Outcome.MISSING and "train" in f.message
    assert run_one(check_spec("MP.OVERFIT"), make_ctx(dossier([]))).outcome is Outcome.MISSING


# --------------------------------------------------------------------------- predictions first


def test_predictions_are_preferred_over_the_metrics_json(
    make_ctx: MakeCtx, tmp_path: Path, scored: dict[str, np.ndarray]
) -> None:
    # The JSON claims 0.99; the predictions say otherwise, and they win.
    m = write_metrics(
        tmp_path,
        {"train": {"roc_auc": 0.99}, "validation": {"roc_auc": 0.99, "precision_at_10": 0.7}},
    )
    crit = [
        {"metric": "roc_auc", "threshold": 0.95},
        {"metric": "precision_at_10", "threshold": 0.5},
    ]
    ctx = make_ctx(dossier(crit, metrics=m, predictions="predictions.csv"))
    val = scored["split"] == "validation"
    auc = skm.roc_auc_score(scored["y_true"][val], scored["y_score"][val])
    f = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), ctx)
    rows = {r["metric"]: r for r in f.measured["criteria"]}  # type: ignore[index,union-attr]
    assert rows["roc_auc"]["value"] == pytest.approx(auc, abs=1e-6)
    assert rows["roc_auc"]["source"] == "predictions" and rows["roc_auc"]["split"] == "validation"
    # A metric the predictions cannot give comes from the JSON, and says so.
    assert rows["precision_at_10"]["source"] == "metrics file"
    assert f.measured["source"] == ["predictions", "metrics file"]
    assert f.outcome is Outcome.FAIL and "from the predictions" in f.message


def test_overfit_from_predictions(
    make_ctx: MakeCtx, tmp_path: Path, scored: dict[str, np.ndarray]
) -> None:
    ctx = make_ctx(dossier([{"metric": "auc", "threshold": 0.5}], predictions="predictions.csv"))
    f = run_one(check_spec("MP.OVERFIT"), ctx)
    auc = {
        s: skm.roc_auc_score(
            scored["y_true"][scored["split"] == s], scored["y_score"][scored["split"] == s]
        )
        for s in ("train", "validation")
    }
    gap = (auc["train"] - auc["validation"]) / auc["train"]
    assert f.measured["source"] == "predictions" and f.measured["metric"] == "roc_auc"
    assert f.measured["relative_gap"] == pytest.approx(gap, abs=1e-6)
    band = {"warn": 0.05, "fail": 0.10}
    assert f.outcome is (
        Outcome.FAIL if gap > band["fail"] else Outcome.WARN if gap > band["warn"] else Outcome.PASS
    )


def test_predictions_without_split_column(make_ctx: MakeCtx, tmp_path: Path) -> None:
    y = [0, 1] * 50
    s = [0.3, 0.7] * 50
    write_csv(tmp_path / "predictions.csv", {"y_true": y, "y_score": s})
    m = write_metrics(tmp_path, {"train": {"roc_auc": 0.9}, "validation": {"roc_auc": 0.8}})
    ctx = make_ctx(
        dossier([{"metric": "roc_auc", "threshold": 0.8}], metrics=m, predictions="predictions.csv")
    )
    f = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), ctx)
    assert f.measured["criteria"][0]["split"] == "all" and f.measured["source"] == "predictions"  # type: ignore[index]
    assert "on all rows" in f.message
    # No train rows in the predictions: the train/validation gap comes from the JSON.
    o = run_one(check_spec("MP.OVERFIT"), ctx)
    assert o.measured["source"] == "metrics file" and o.measured["relative_gap"] == pytest.approx(
        0.1 / 0.9, abs=1e-6
    )


def test_broken_predictions_fall_back_to_the_metrics_json_but_never_pass(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    # SPEC section 3: fall back to the other source before giving up; a pass measured on the
    # fallback alone is a warn (the declared predictions cannot be used and may disagree).
    (tmp_path / "predictions.csv").write_text("y_true,y_score\n0,0.2\n1,7\n")
    m = write_metrics(tmp_path, {"train": {"roc_auc": 0.9}, "validation": {"roc_auc": 0.85}})
    d = dossier([{"metric": "roc_auc", "threshold": 0.8}], metrics=m, predictions="predictions.csv")
    d["performance"]["baseline"] = {"metric": "roc_auc", "value": 0.7}
    ctx = make_ctx(d)
    for spec in (check_spec("MP.SUCCESS_CRITERIA_MET"), check_spec("MP.OVERFIT"), check_spec("MP.BASELINE")):
        f = run_one(spec, ctx)
        assert f.outcome is Outcome.WARN, (spec.id, f.message)
        assert f.measured["source"] == "metrics file"
        assert "Fallback:" in f.message and "y_score: 1 score(s) outside [0, 1]" in f.message
    # Without the metrics JSON there is nothing to fall back to: the reason is the error.
    ctx = make_ctx(dossier([{"metric": "roc_auc", "threshold": 0.8}], predictions="predictions.csv"))
    for spec in (check_spec("MP.SUCCESS_CRITERIA_MET"), check_spec("MP.OVERFIT")):
        f = run_one(spec, ctx)
        assert f.outcome is Outcome.ERROR and "y_score: 1 score(s) outside [0, 1]" in f.message
        assert f.counts_as_fail
    ctx = make_ctx(d)
    # CV stability and importance read the JSON only and are unaffected.
    assert run_one(check_spec("FE.IMPORTANCE"), ctx).outcome is Outcome.WARN


def test_unsupported_task_reads_the_metrics_json(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", {"y_true": [3, 1, 2], "y_pred": [1, 2, 3]})
    m = write_metrics(tmp_path, {"test": {"ndcg@10": 0.61}})
    d = dossier([{"metric": "ndcg@10", "threshold": 0.6}], metrics=m, predictions="predictions.csv")
    d["model"]["task"] = "ranking"
    f = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), make_ctx(d))
    assert f.outcome is Outcome.PASS and f.measured["source"] == "metrics file"


def test_baseline_from_predictions(
    make_ctx: MakeCtx, tmp_path: Path, scored: dict[str, np.ndarray]
) -> None:
    val = scored["split"] == "validation"
    auc = skm.roc_auc_score(scored["y_true"][val], scored["y_score"][val])
    for base, expected in ((auc - 0.01, Outcome.PASS), (auc + 0.01, Outcome.FAIL)):
        d = dossier(
            [], predictions="predictions.csv", baseline={"metric": "roc_auc", "value": base}
        )
        f = run_one(check_spec("MP.BASELINE"), make_ctx(d))
        assert f.outcome is expected and f.measured["source"] == "predictions"
        assert f.measured["model"] == pytest.approx(auc, abs=1e-9)
