"""Performance evidence from a predictions file: reading, bad evidence, metrics, calibration,
slice gaps. Expected numbers come from scikit-learn or a hand-written computation in the test."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from langgraph_gates.checks import predictions
from langgraph_gates.checks.base import CheckContext, run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.dossier import validate_dossier
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.policy import Policy
from langgraph_gates.state import Outcome

from ..conftest import MakeCtx, edges, run_one, write_csv


def dossier(**performance: Any) -> dict[str, Any]:
    """A binary-classification dossier reading predictions.csv."""
    perf = {"predictions": "predictions.csv", **performance}
    return {
        "model": {"task": "binary_classification"},
        "problem": {"success_criteria": [{"metric": "roc_auc", "threshold": 0.5}]},
        "performance": perf,
    }


def hand_ece(y: np.ndarray, s: np.ndarray, bins: int) -> float:
    """ECE written out plainly: bins (lo, hi], the first one also holds 0."""
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [
            (yy, ss) for yy, ss in zip(y, s, strict=True) if (lo < ss <= hi) or (b == 0 and ss == 0)
        ]
        if inside:
            rate = sum(yy for yy, _ in inside) / len(inside)
            mean = sum(ss for _, ss in inside) / len(inside)
            total += len(inside) / len(y) * abs(mean - rate)
    return total


# --------------------------------------------------------------------------- bad evidence


def _rows(n: int = 20) -> dict[str, list[Any]]:
    return {"y_true": [i % 2 for i in range(n)], "y_score": [0.2 + 0.6 * (i % 2) for i in range(n)]}


def _late_text(path: Path) -> None:
    # Past DuckDB's type-sniffing sample (20,480 rows): found only while reading.
    cols = _rows(30_000)
    cols["y_score"][25_000] = "oops"
    write_csv(path, cols)


BAD_FILES: list[tuple[str, Any, str]] = [
    ("missing", None, "not found"),
    ("empty", lambda p: p.write_text(""), "is empty"),
    ("header only", lambda p: p.write_text("y_true,y_score\n"), "no rows (header only)"),
    (
        "no y_true",
        lambda p: write_csv(p, {"label": [0, 1], "y_score": [0.1, 0.9]}),
        "no y_true column",
    ),
    ("no prediction", lambda p: write_csv(p, {"y_true": [0, 1]}), "needs a y_pred or y_score"),
    (
        "text score",
        lambda p: write_csv(p, {"y_true": [0, 1], "y_score": ["low", "high"]}),
        "holds text ('low')",
    ),
    (
        "text label",
        lambda p: write_csv(p, {"y_true": ["no", "yes"], "y_score": [0.1, 0.9]}),
        "y_true: holds text",
    ),
    ("late text", _late_text, "holds text ('oops') on line 25002"),
    (
        "one class",
        lambda p: write_csv(p, {"y_true": [1, 1, 1], "y_score": [0.1, 0.5, 0.9]}),
        "one class only",
    ),
    (
        "nan score",
        lambda p: write_csv(p, {"y_true": [0, 1, 1], "y_score": [0.1, "nan", 0.9]}),
        "1 of 3 value(s) are NaN",
    ),
    (
        "empty score",
        lambda p: write_csv(p, {"y_true": [0, 1, 1], "y_score": [0.1, "", 0.9]}),
        "1 of 3 value(s) are empty",
    ),
    (
        "score > 1",
        lambda p: write_csv(p, {"y_true": [0, 1], "y_score": [0.1, 1.2]}),
        "outside [0, 1]",
    ),
    (
        "score < 0",
        lambda p: write_csv(p, {"y_true": [0, 1], "y_score": [-0.1, 0.9]}),
        "outside [0, 1]",
    ),
    (
        "pred not 0/1",
        lambda p: write_csv(p, {"y_true": [0, 1], "y_pred": [0, 2]}),
        "y_pred: binary labels must be 0 or 1",
    ),
    ("label not 0/1", lambda p: write_csv(p, {"y_true": [1, 2], "y_pred": [1, 1]}), "found 2"),
]


@pytest.mark.parametrize(("name", "write", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_predictions_file_is_one_line_error(
    make_ctx: MakeCtx, tmp_path: Path, name: str, write: Any, reason: str
) -> None:
    if write is not None:
        write(tmp_path / "predictions.csv")
    ctx = make_ctx(dossier())
    for spec in (check_spec("MP.CALIBRATION"), check_spec("MP.SUCCESS_CRITERIA_MET"), check_spec("MP.OVERFIT")):
        f = run_one(spec, ctx)
        assert f.outcome is Outcome.ERROR, (spec.id, f.message)
        assert reason in f.message, f.message
        assert "\n" not in f.message and "predictions.csv" in f.message


def test_other_bad_inputs(make_ctx: MakeCtx, tmp_path: Path) -> None:
    (tmp_path / "preds.json").write_text("{}")
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier(predictions="preds.json")))
    assert f.outcome is Outcome.ERROR and "unsupported format" in f.message
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier(predictions="../outside.csv")))
    assert f.outcome is Outcome.ERROR and "performance.predictions" in f.message
    write_csv(tmp_path / "predictions.csv", {"y_true": [0, 1, 2], "y_score": [0.1, 0.5, 0.9]})
    d = dossier()
    d["model"]["task"] = "multiclass_classification"
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(d))
    assert f.outcome is Outcome.ERROR and "multiclass predictions need a y_pred column" in f.message


def test_junk_in_unused_columns_is_ignored(make_ctx: MakeCtx, tmp_path: Path) -> None:
    cols: dict[str, list[Any]] = _rows(40)
    cols["notes"] = ['free, "quoted" text' if i % 3 else "" for i in range(40)]
    cols["amount"] = ["n/a" if i == 7 else i for i in range(40)]
    write_csv(tmp_path / "predictions.csv", cols)
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier()))
    # Scores 0.2 on negatives and 0.8 on positives: every bin is 0.2 off, whatever the junk.
    assert f.outcome is Outcome.WARN and f.measured["ece"] == pytest.approx(0.2)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def cancer() -> dict[str, np.ndarray]:
    """A logistic regression on breast cancer: train and test scores, and a size segment."""
    x, y = load_breast_cancer(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.4, random_state=0, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000)).fit(
        x_tr, y_tr
    )
    split = np.array(["train"] * len(y_tr) + ["test"] * len(y_te))
    xs = np.vstack([x_tr, x_te])
    size = np.where(xs[:, 0] > np.median(xs[:, 0]), "large", "small")  # mean radius
    return {
        "y_true": np.r_[y_tr, y_te],
        "y_score": np.round(
            np.r_[model.predict_proba(x_tr)[:, 1], model.predict_proba(x_te)[:, 1]], 6
        ),
        "split": split,
        "size": size,
    }


def _write_cancer(path: Path, data: dict[str, np.ndarray], *, with_pred: bool = True) -> None:
    cols: dict[str, Any] = {
        "split": data["split"],
        "y_true": data["y_true"],
        "y_score": data["y_score"],
    }
    if with_pred:
        cols["y_pred"] = (data["y_score"] >= 0.5).astype(int)
    cols["size"] = data["size"]
    write_csv(path, cols)


def test_binary_metrics_match_sklearn_on_breast_cancer(
    make_ctx: MakeCtx, tmp_path: Path, cancer: dict[str, np.ndarray]
) -> None:
    _write_cancer(tmp_path / "predictions.csv", cancer)
    ctx = make_ctx(dossier(slices=["size"]))
    summary = predictions.load_predictions(ctx)
    assert summary is not None and summary.task == "binary_classification"
    for split in ("train", "test"):
        m = cancer["split"] == split
        y, s = cancer["y_true"][m], cancer["y_score"][m]
        p = (s >= 0.5).astype(int)
        expected = {
            "roc_auc": skm.roc_auc_score(y, s),
            "accuracy": skm.accuracy_score(y, p),
            "precision": skm.precision_score(y, p),
            "recall": skm.recall_score(y, p),
            "f1": skm.f1_score(y, p),
            "log_loss": skm.log_loss(y, s),
            "brier": skm.brier_score_loss(y, s),
            "average_precision": skm.average_precision_score(y, s),
        }
        assert summary.split_rows[split] == int(m.sum())
        for name, value in expected.items():
            assert summary.splits[split][name] == pytest.approx(value, abs=1e-9), (split, name)

    test = cancer["split"] == "test"
    y, s = cancer["y_true"][test], cancer["y_score"][test]
    f = run_one(check_spec("MP.CALIBRATION"), ctx)
    assert f.measured["ece"] == pytest.approx(hand_ece(y, s, 10), abs=1e-6)
    assert f.measured["split"] == "test" and f.measured["rows"] == int(test.sum())
    curve = f.measured["reliability_curve"]
    assert isinstance(curve, list) and sum(b["count"] for b in curve) == int(test.sum())  # type: ignore[index]
    assert f.outcome is (Outcome.WARN if hand_ece(y, s, 10) > 0.10 else Outcome.PASS)
    # Success criteria read the same numbers (test split preferred over train).
    crit = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), ctx)
    assert crit.outcome is Outcome.PASS and crit.measured["source"] == "predictions"
    assert crit.measured["criteria"][0]["value"] == pytest.approx(skm.roc_auc_score(y, s), abs=1e-6)  # type: ignore[index]


def test_parquet_gives_the_same_summary_as_csv(
    make_ctx: MakeCtx, tmp_path: Path, cancer: dict[str, np.ndarray]
) -> None:
    _write_cancer(tmp_path / "predictions.csv", cancer)
    table = pa.table(
        {
            "split": cancer["split"].tolist(),
            "y_true": cancer["y_true"].astype(bool),  # booleans are read as 0/1
            "y_score": cancer["y_score"],
            "y_pred": (cancer["y_score"] >= 0.5).astype(np.int8),
            "size": cancer["size"].tolist(),
        }
    )
    pq.write_table(table, tmp_path / "predictions.parquet")
    from_csv = predictions.load_predictions(make_ctx(dossier(slices=["size"])))
    from_pq = predictions.load_predictions(
        make_ctx(dossier(predictions="predictions.parquet", slices=["size"]))
    )
    assert from_csv is not None and from_pq is not None
    assert from_pq.splits == from_csv.splits
    assert from_pq.calibration == from_csv.calibration
    assert from_pq.slices == from_csv.slices


def test_decision_from_score_when_no_y_pred(
    make_ctx: MakeCtx, tmp_path: Path, cancer: dict[str, np.ndarray]
) -> None:
    _write_cancer(tmp_path / "predictions.csv", cancer, with_pred=False)
    summary = predictions.load_predictions(make_ctx(dossier()))
    assert summary is not None and summary.pred_from_score and not summary.has_pred
    test = cancer["split"] == "test"
    p = (cancer["y_score"][test] >= 0.5).astype(int)
    assert summary.splits["test"]["accuracy"] == pytest.approx(
        skm.accuracy_score(cancer["y_true"][test], p)
    )


def test_multiclass_metrics_match_sklearn_on_wine(make_ctx: MakeCtx, tmp_path: Path) -> None:
    x, y = load_wine(return_X_y=True)
    names = np.array(["barolo", "grignolino", "barbera"])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=1000)).fit(x, y)
    pred = model.predict(x)
    write_csv(tmp_path / "predictions.csv", {"y_true": names[y], "y_pred": names[pred]})
    d = dossier()
    d["model"]["task"] = "multiclass_classification"
    summary = predictions.load_predictions(make_ctx(d))
    assert summary is not None and summary.held_out_split == "all"
    got = summary.splits["all"]
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert got["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(d))
    assert f.outcome is Outcome.MISSING and "binary task" in f.message


def test_regression_metrics_match_sklearn_on_diabetes(make_ctx: MakeCtx, tmp_path: Path) -> None:
    x, y = load_diabetes(return_X_y=True)
    pred = LinearRegression().fit(x, y).predict(x)
    write_csv(tmp_path / "predictions.csv", {"y_true": y, "y_pred": np.round(pred, 8)})
    d = {"model": {"task": "regression"}, "performance": {"predictions": "predictions.csv"}}
    summary = predictions.load_predictions(make_ctx(d))
    assert summary is not None
    got, p = summary.splits["all"], np.round(pred, 8)
    assert got["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(y, p)))
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert got["r2"] == pytest.approx(skm.r2_score(y, p))
    assert got["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, p))
    assert summary.key_metric == "rmse"
    # Without model.task, float targets are inferred as regression.
    d["model"] = {}
    inferred = predictions.load_predictions(make_ctx(d))
    assert inferred is not None and inferred.task == "regression" and inferred.task_inferred


def test_text_regression_values_are_an_error(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", {"y_true": [1.5, 2.5, 3.0], "y_pred": ["a", "b", "c"]})
    d = {
        "model": {"task": "regression"},
        "performance": {"predictions": "predictions.csv"},
        "data": {"sensitive_attributes": ["g"]},
    }
    f = run_one(check_spec("MP.OVERFIT"), make_ctx(d))
    assert f.outcome is Outcome.ERROR and "y_pred: holds text ('a'); expected numbers" in f.message


def test_split_aliases_and_other_splits(make_ctx: MakeCtx, tmp_path: Path) -> None:
    split = ["Training", " VALID ", "holdout", "oot"] * 10
    write_csv(tmp_path / "predictions.csv", {"split": split, **_rows(40)})
    summary = predictions.load_predictions(make_ctx(dossier()))
    assert summary is not None
    assert summary.split_rows == {"train": 10, "validation": 10, "test": 10, "oot": 10}
    assert summary.held_out_split == "test"


def test_summary_is_computed_once_per_file(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", _rows(40))
    ctx = make_ctx(dossier())
    for spec in (check_spec("MP.CALIBRATION"), check_spec("MP.SLICE_GAP"), check_spec("MP.SUCCESS_CRITERIA_MET")):
        run_check(spec, ctx, owner="o")
    assert ctx.evidence.computed.count("predictions") == 1


# --------------------------------------------------------------------------- calibration


@pytest.mark.parametrize(
    ("positives", "expected"),
    edges(15, Outcome.WARN, Outcome.PASS, Outcome.PASS),
    ids=["ece 0.11", "ece 0.10 (at)", "ece 0.09"],
)
def test_calibration_threshold(
    make_ctx: MakeCtx, tmp_path: Path, positives: int, expected: Outcome
) -> None:
    # Every score is 0.25, so ECE = |0.25 - share of positives|; at 15/100 it is exactly 0.10.
    y = [1] * positives + [0] * (100 - positives)
    write_csv(tmp_path / "predictions.csv", {"y_true": y, "y_score": [0.25] * 100})
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier()))
    assert f.measured["ece"] == pytest.approx(abs(0.25 - positives / 100), abs=1e-12)
    assert f.outcome is expected
    assert f.measured["reliability_curve"] == [
        {
            "lower": 0.2,
            "upper": 0.3,
            "mean_score": 0.25,
            "observed_rate": positives / 100,
            "count": 100,
        }
    ]


def test_calibration_missing_cases(make_ctx: MakeCtx, tmp_path: Path) -> None:
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx({"model": {"task": "binary_classification"}}))
    assert f.outcome is Outcome.MISSING and "No predictions file" in f.message
    write_csv(tmp_path / "predictions.csv", {"y_true": [0, 1] * 5, "y_pred": [0, 1] * 5})
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier()))
    assert f.outcome is Outcome.MISSING and "no y_score column" in f.message
    write_csv(tmp_path / "predictions.csv", {"split": ["train"] * 10, **_rows(10)})
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier()))
    assert f.outcome is Outcome.MISSING and "no held-out rows" in f.message
    write_csv(tmp_path / "predictions.csv", _rows(10))
    d = dossier()
    d["model"]["task"] = "ranking"
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(d))
    assert f.outcome is Outcome.MISSING and "task ranking" in f.message


def test_calibration_bins_come_from_policy(
    make_ctx: MakeCtx, tmp_path: Path, cancer: dict[str, np.ndarray]
) -> None:
    _write_cancer(tmp_path / "predictions.csv", cancer)
    test = cancer["split"] == "test"
    f = run_one(
        check_spec("MP.CALIBRATION"),
        make_ctx(dossier(), policy={"performance": {"calibration_bins": 5}}),
    )
    assert f.measured["bins"] == 5
    assert f.measured["ece"] == pytest.approx(
        hand_ece(cancer["y_true"][test], cancer["y_score"][test], 5), abs=1e-6
    )


# --------------------------------------------------------------------------- slice gap


def _slice_file(path: Path, correct_a: int, correct_b: int, n_b: int = 100) -> None:
    """Two segments: a (100 rows) and b (n_b rows) with the given number of right decisions."""
    y: list[int] = []
    pred: list[int] = []
    seg: list[str] = []
    for name, n, correct in (("a", 100, correct_a), ("b", n_b, correct_b)):
        for i in range(n):
            truth = i % 2
            y.append(truth)
            pred.append(truth if i < correct else 1 - truth)
            seg.append(name)
    write_csv(path, {"y_true": y, "y_pred": pred, "segment": seg})


def _slice_dossier() -> dict[str, Any]:
    d = dossier(slices=["segment"])
    d["problem"]["success_criteria"] = [{"metric": "accuracy", "threshold": 0.0}]
    return d


@pytest.mark.parametrize(
    ("correct_a", "expected"),
    edges(24, Outcome.PASS, Outcome.PASS, Outcome.WARN),
    ids=["gap 0.095", "gap 0.10 (at)", "gap 0.105"],
)
def test_slice_gap_threshold(
    make_ctx: MakeCtx, tmp_path: Path, correct_a: int, expected: Outcome
) -> None:
    _slice_file(tmp_path / "predictions.csv", correct_a, 4)
    f = run_one(check_spec("MP.SLICE_GAP"), make_ctx(_slice_dossier()))
    overall = (correct_a + 4) / 200
    gap = overall - 4 / 100
    assert f.measured["overall"] == pytest.approx(overall)
    assert f.measured["worst"] == {"column": "segment", "group": "b", "gap": round(gap, 6)}
    assert f.measured["metric"] == "accuracy" and f.measured["gap_kind"] == "points"
    assert f.outcome is expected


@pytest.mark.parametrize(("n_b", "judged"), [(29, False), (30, True)])
def test_small_slices_are_not_judged(
    make_ctx: MakeCtx, tmp_path: Path, n_b: int, judged: bool
) -> None:
    _slice_file(tmp_path / "predictions.csv", 100, 0, n_b=n_b)  # b is always wrong
    f = run_one(check_spec("MP.SLICE_GAP"), make_ctx(_slice_dossier()))
    rows = {r["group"]: r for r in f.measured["columns"]["segment"]}  # type: ignore[index,union-attr]
    assert rows["b"]["judged"] is judged and rows["b"]["n"] == n_b
    assert f.outcome is (Outcome.WARN if judged else Outcome.PASS)


def test_slice_gap_absent_column_and_missing_cases(make_ctx: MakeCtx, tmp_path: Path) -> None:
    _slice_file(tmp_path / "predictions.csv", 90, 88)
    d = _slice_dossier()
    d["performance"]["slices"] = ["segment", "plan"]
    findings = run_check(check_spec("MP.SLICE_GAP"), make_ctx(d), owner="o")
    assert [f.outcome for f in findings] == [Outcome.ERROR, Outcome.PASS]
    assert "plan" in findings[0].message and findings[0].evidence[0].column == "plan"
    d["performance"]["slices"] = []
    f = run_one(check_spec("MP.SLICE_GAP"), make_ctx(d))
    assert f.outcome is Outcome.MISSING and "No slice columns" in f.message


def test_slice_gap_relative_for_error_metrics(make_ctx: MakeCtx, tmp_path: Path) -> None:
    # Regression: rmse on segment b is 2.0 vs overall sqrt(2.5); the gap is relative.
    y = [10.0] * 100
    pred = [11.0] * 50 + [12.0] * 50
    write_csv(
        tmp_path / "predictions.csv",
        {"y_true": y, "y_pred": pred, "segment": ["a"] * 50 + ["b"] * 50},
    )
    d = {
        "model": {"task": "regression"},
        "performance": {"predictions": "predictions.csv", "slices": ["segment"]},
    }
    f = run_one(check_spec("MP.SLICE_GAP"), make_ctx(d))
    overall = math.sqrt((50 * 1 + 50 * 4) / 100)
    assert f.measured["gap_kind"] == "relative" and f.measured["metric"] == "rmse"
    assert f.measured["worst"]["gap"] == pytest.approx((2.0 - overall) / overall, abs=1e-6)  # type: ignore[index]
    assert f.outcome is Outcome.WARN  # 26% worse than overall


def test_numeric_segment_is_binned(make_ctx: MakeCtx, tmp_path: Path) -> None:
    rows = _rows(400)
    write_csv(tmp_path / "predictions.csv", {**rows, "age": list(range(400))})
    summary = predictions.load_predictions(make_ctx(dossier(slices=["age"])))
    assert summary is not None
    col = summary.slices["age"]
    assert col.binned and [g.n for g in col.groups] == [100, 100, 100, 100]


def test_summary_survives_the_disk_cache(tmp_path: Path, cancer: dict[str, np.ndarray]) -> None:
    _write_cancer(tmp_path / "predictions.csv", cancer)
    d = dossier(slices=["size"])
    d["data"] = {"sensitive_attributes": ["size"]}
    policy = Policy()

    def ctx() -> CheckContext:
        store = EvidenceStore(policy_fingerprint=policy.fingerprint(), cache_dir=tmp_path / "cache")
        return CheckContext(validate_dossier(d), policy, tmp_path, dt.date(2026, 11, 28), {}, store)

    first, second = ctx(), ctx()
    computed = predictions.load_predictions(first)
    cached = predictions.load_predictions(second)
    assert first.evidence.computed == ["predictions"] and second.evidence.computed == []
    assert cached == computed and cached is not None and cached.fairness["size"].classes


def test_all_empty_score_column_is_reported_as_empty(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", {"y_true": [0, 1, 1], "y_score": ["", "", ""]})
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier()))
    assert f.outcome is Outcome.ERROR and "y_score: 3 of 3 value(s) are empty" in f.message


def test_text_labels_without_a_task_are_an_error(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", {"y_true": ["cat", "dog"], "y_pred": ["cat", "cat"]})
    f = run_one(
        check_spec("MP.SUCCESS_CRITERIA_MET"),
        make_ctx(
            {
                "performance": {"predictions": "predictions.csv"},
                "problem": {"success_criteria": [{"metric": "accuracy", "threshold": 0.5}]},
            }
        ),
    )
    assert f.outcome is Outcome.ERROR and "set model.task to multiclass_classification" in f.message


@pytest.mark.parametrize("with_pred", [True, False])
def test_decisions_are_the_held_out_confusion_matrix(
    make_ctx: MakeCtx, tmp_path: Path, cancer: dict[str, np.ndarray], with_pred: bool
) -> None:
    """The reports' decision threshold and confusion matrix match sklearn on the held-out rows."""
    _write_cancer(tmp_path / "predictions.csv", cancer, with_pred=with_pred)
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier()))
    test = cancer["split"] == "test"
    y, p = cancer["y_true"][test], (cancer["y_score"][test] >= 0.5).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, p, labels=[0, 1]).ravel()
    assert f.measured["decisions"] == {
        "split": "test", "threshold": None if with_pred else 0.5,
        "tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp),
    }


def test_decisions_travel_even_without_scores(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_csv(tmp_path / "predictions.csv", {"y_true": [0, 1, 1, 0, 1], "y_pred": [0, 1, 0, 1, 1]})
    f = run_one(check_spec("MP.CALIBRATION"), make_ctx(dossier()))
    assert f.outcome is Outcome.MISSING  # no scores: calibration is not judged
    assert f.measured["decisions"] == {"split": "all", "threshold": None, "tn": 1, "fp": 1, "fn": 1, "tp": 2}
