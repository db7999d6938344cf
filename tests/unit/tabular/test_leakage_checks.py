"""Feature engineering checks on data, against scikit-learn/SciPy on real data sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.metrics import roc_auc_score

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import GateResult, Outcome, Status

from ...conftest import MakeCtx, edges, run_one
from .conftest import WriteTable, data_dossier


def _frame(loader: object) -> pd.DataFrame:
    frame = loader(as_frame=True).frame  # type: ignore[operator]
    return frame.rename(columns=lambda c: str(c).replace(" ", "_").replace("/", "_"))


def _sym(auc: float) -> float:
    return max(auc, 1.0 - auc)


def _scores(finding: object) -> dict[str, float]:
    scores = finding.measured["scores"]  # type: ignore[attr-defined]
    assert isinstance(scores, dict)
    return scores


# --- FE.TARGET_LEAKAGE: the statistic against independent computations -------------------


def test_single_feature_auc_matches_sklearn(make_ctx: MakeCtx, tmp_path: Path) -> None:
    frame = _frame(load_breast_cancer)
    frame.to_parquet(tmp_path / "train.parquet")
    finding = run_one(
        check_spec("FE.TARGET_LEAKAGE"), make_ctx(data_dossier(train="train.parquet", label="target"))
    )
    scores = _scores(finding)
    features = [c for c in frame.columns if c != "target"]
    assert set(scores) == set(features)
    for name in features:
        expected = _sym(roc_auc_score(frame["target"], frame[name]))
        assert scores[name] == pytest.approx(expected, abs=1e-6), name
    # worst_perimeter alone reaches AUC ~0.975 on this data set: a real single-feature
    # separation, which the check must report as such.
    best = max(scores, key=lambda k: scores[k])
    assert scores[best] >= 0.95 and finding.outcome is Outcome.FAIL
    assert finding.measured["rows_sampled"] == len(frame)
    assert finding.measured["metric"] == "auc"


def test_multiclass_auc_is_the_macro_one_vs_rest(make_ctx: MakeCtx, tmp_path: Path) -> None:
    frame = _frame(load_wine)
    frame.to_parquet(tmp_path / "train.parquet")
    ctx = make_ctx(
        data_dossier(train="train.parquet", label="target", task="multiclass_classification")
    )
    scores = _scores(run_one(check_spec("FE.TARGET_LEAKAGE"), ctx))
    for name in ("alcohol", "flavanoids", "proline"):
        per_class = [
            _sym(roc_auc_score(frame["target"] == k, frame[name]))
            for k in sorted(frame["target"].unique())
        ]
        assert scores[name] == pytest.approx(float(np.mean(per_class)), abs=1e-6), name


def test_regression_uses_abs_spearman(make_ctx: MakeCtx, tmp_path: Path) -> None:
    frame = _frame(load_diabetes)
    frame.to_parquet(tmp_path / "train.parquet")
    finding = run_one(
        check_spec("FE.TARGET_LEAKAGE"),
        make_ctx(data_dossier(train="train.parquet", label="target", task="regression")),
    )
    scores = _scores(finding)
    for name in [c for c in frame.columns if c != "target"]:
        rho = spearmanr(frame[name], frame["target"]).statistic
        assert scores[name] == pytest.approx(abs(rho), abs=1e-6), name
    assert finding.outcome is Outcome.PASS  # bmi, the best, has |rho| ~0.56
    assert finding.measured["metric"] == "spearman"


@pytest.mark.parametrize(
    ("offset", "field", "outcome"),
    [
        (+1e-7, "warn", Outcome.PASS),
        (0.0, "warn", Outcome.WARN),  # inclusive: reaching the line warns
        (-1e-7, "warn", Outcome.WARN),
        (+1e-7, "fail", Outcome.WARN),
        (0.0, "fail", Outcome.FAIL),
        (-1e-7, "fail", Outcome.FAIL),
    ],
)
def test_leakage_thresholds_around_the_measured_value(
    make_ctx: MakeCtx, tmp_path: Path, offset: float, field: str, outcome: Outcome
) -> None:
    frame = _frame(load_breast_cancer)[["mean_radius", "target"]]
    frame.to_parquet(tmp_path / "train.parquet")
    dossier = data_dossier(train="train.parquet", label="target")
    expected = _sym(roc_auc_score(frame["target"], frame["mean_radius"]))
    measured = _scores(run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(dossier)))["mean_radius"]
    assert measured == pytest.approx(expected, abs=1e-6)
    line = measured + offset
    band = {"warn": line, "fail": 1.0} if field == "warn" else {"warn": 0.5, "fail": line}
    policy = {"features": {"single_feature_auc": band}}
    finding = run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(dossier, policy=policy))
    assert finding.outcome is outcome
    if outcome is not Outcome.PASS:
        assert finding.measured["leaky_features"] == ["mean_radius"]


def _churn_like(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    status = np.where(y == 1, "cancelled", "active").astype(object)
    flip = rng.random(n) < 0.01
    status[flip] = np.where(y[flip] == 1, "active", "cancelled")
    return pd.DataFrame(
        {
            "account": [f"acc-{seed}-{i}" for i in range(n)],  # an ID used as a feature
            "status": status,  # computed from the outcome: leaks
            "plan": rng.choice(["basic", "pro", "team"], n),
            "usage": rng.normal(size=n) + 0.3 * y,
            "cancel_reason_len": np.where(y == 1, rng.integers(5, 50, n), np.nan),
            "y": y,
        }
    )


@pytest.mark.parametrize("with_validation", [True, False])
def test_categorical_leaks_are_found_and_ids_are_not(
    make_ctx: MakeCtx, tmp_path: Path, with_validation: bool
) -> None:
    train, valid = _churn_like(3000, 1), _churn_like(1000, 2)
    train.to_parquet(tmp_path / "train.parquet")
    valid.to_parquet(tmp_path / "valid.parquet")
    dossier = data_dossier(
        train="train.parquet", validation="valid.parquet" if with_validation else None
    )
    finding = run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(dossier))
    scores = _scores(finding)
    assert finding.outcome is Outcome.FAIL
    assert set(finding.measured["leaky_features"]) == {"status", "cancel_reason_len"}  # type: ignore[arg-type]
    assert scores["account"] < 0.6, "an ID must not look leaky"
    # cancel_reason_len exists only for churners: its missingness is the leak.
    assert finding.measured["missingness_scores"] == {"cancel_reason_len": 1.0}
    expected_mode = "validation" if with_validation else "out_of_fold"
    assert finding.measured["categorical_scoring"] == expected_mode
    if with_validation:
        rates = train.groupby("status")["y"].mean()
        encoded = valid["status"].map(rates).fillna(train["y"].mean())
        assert scores["status"] == pytest.approx(_sym(roc_auc_score(valid["y"], encoded)), abs=1e-6)
        plan = valid["plan"].map(train.groupby("plan")["y"].mean())
        assert scores["plan"] == pytest.approx(_sym(roc_auc_score(valid["y"], plan)), abs=1e-6)


def test_large_files_are_scored_on_a_bounded_deterministic_sample(
    make_ctx: MakeCtx, parquet: WriteTable
) -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    y = rng.integers(0, 2, n)
    name = parquet("train.parquet", {"x": rng.normal(size=n) + y, "y": y})
    dossier = data_dossier(train=name)
    policy = {"features": {"leakage_sample_rows": 2_000}}
    first = run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(dossier, policy=policy))
    second = run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(dossier, policy=policy))
    assert first == second
    sampled = first.measured["rows_sampled"]
    assert isinstance(sampled, int) and 1_700 < sampled < 2_300
    assert first.measured["rows_total"] == n
    assert "deterministic sample" in first.message
    full = run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(dossier))
    assert abs(_scores(first)["x"] - _scores(full)["x"]) < 0.03


def test_leakage_without_label_or_data_is_missing(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    name = parquet("train.parquet", {"x": [1.0, 2.0], "y": [0, 1]})
    assert run_one(
        check_spec("FE.TARGET_LEAKAGE"), make_ctx(data_dossier(train=name, label=None))
    ).outcome is (Outcome.MISSING)
    assert run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(data_dossier())).outcome is Outcome.MISSING
    generation = make_ctx(data_dossier(train=name, task="generation"))
    assert run_one(check_spec("FE.TARGET_LEAKAGE"), generation).outcome is Outcome.PASS


# --- FE.TEMPORAL_LEAKAGE ------------------------------------------------------------------


def _timed(
    parquet: WriteTable, train_end: dt.datetime, valid_start: dt.datetime
) -> dict[str, object]:
    train_ts = [train_end - dt.timedelta(days=i) for i in range(50)]
    valid_ts = [valid_start + dt.timedelta(days=i) for i in range(20)]
    parquet("train.parquet", {"ts": train_ts, "x": list(range(50)), "y": [0, 1] * 25})
    parquet("valid.parquet", {"ts": valid_ts, "x": list(range(20)), "y": [0, 1] * 10})
    return data_dossier(
        train="train.parquet",
        validation="valid.parquet",
        timestamp="ts",
        validation_strategy="time_split",
    )


@pytest.mark.parametrize(
    ("gap", "outcome"),
    [
        (dt.timedelta(days=1), Outcome.PASS),
        (dt.timedelta(0), Outcome.PASS),  # train ends exactly when validation starts
        (-dt.timedelta(seconds=1), Outcome.FAIL),
        (-dt.timedelta(days=30), Outcome.FAIL),
    ],
)
def test_temporal_leakage(
    make_ctx: MakeCtx, parquet: WriteTable, gap: dt.timedelta, outcome: Outcome
) -> None:
    end = dt.datetime(2026, 6, 30)
    finding = run_one(check_spec("FE.TEMPORAL_LEAKAGE"), make_ctx(_timed(parquet, end, end + gap)))
    assert finding.outcome is outcome
    assert finding.measured["gap_days"] == pytest.approx(gap.total_seconds() / 86_400, abs=1e-3)


def test_temporal_leakage_applicability(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    end = dt.datetime(2026, 6, 30)
    dossier = _timed(parquet, end, end - dt.timedelta(days=5))
    kfold = dict(dossier, performance={"validation_strategy": "kfold"})
    assert run_one(check_spec("FE.TEMPORAL_LEAKAGE"), make_ctx(kfold)).outcome is Outcome.PASS
    undeclared = {k: v for k, v in dossier.items() if k != "performance"}
    assert run_one(check_spec("FE.TEMPORAL_LEAKAGE"), make_ctx(undeclared)).outcome is Outcome.MISSING
    no_valid = dict(dossier, data={**dossier["data"], "validation": None})  # type: ignore[dict-item]
    assert run_one(check_spec("FE.TEMPORAL_LEAKAGE"), make_ctx(no_valid)).outcome is Outcome.MISSING
    no_ts = dict(dossier, data={**dossier["data"], "timestamp": None})  # type: ignore[dict-item]
    assert run_one(check_spec("FE.TEMPORAL_LEAKAGE"), make_ctx(no_ts)).outcome is Outcome.MISSING


# --- FE.SPLIT_OVERLAP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("copies", "outcome"),
    # exactly 1% (10) is not above the warn line
    [*edges(10, Outcome.PASS, Outcome.PASS, Outcome.WARN), (50, Outcome.WARN), (51, Outcome.FAIL)],
)
def test_split_overlap(
    make_ctx: MakeCtx, parquet: WriteTable, copies: int, outcome: Outcome
) -> None:
    train_x = np.arange(2000, dtype=float)
    valid_x = np.concatenate([train_x[:copies], 10_000 + np.arange(1000 - copies)])
    parquet("train.parquet", {"x": train_x, "c": ["a"] * 2000, "y": [0] * 2000})
    # Same values, other integer type: compared as numbers, so still identical rows.
    parquet("valid.parquet", {"x": valid_x.astype(np.int64), "c": ["a"] * 1000, "y": [0] * 1000})
    finding = run_one(
        check_spec("FE.SPLIT_OVERLAP"),
        make_ctx(data_dossier(train="train.parquet", validation="valid.parquet")),
    )
    assert finding.outcome is outcome
    assert finding.measured["overlapping_rows"] == copies
    assert finding.measured["columns_compared"] == ["x", "c", "y"]


def test_split_overlap_needs_both_files(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    name = parquet("train.parquet", {"x": [1.0], "y": [1]})
    assert run_one(check_spec("FE.SPLIT_OVERLAP"), make_ctx(data_dossier(train=name))).outcome is (
        Outcome.MISSING
    )


# --- FE.MISSINGNESS_STRATEGY (cross-gate) -------------------------------------------------


def _prior(make_ctx: MakeCtx, dossier: dict[str, object]) -> dict[str, GateResult]:
    finding = run_one(check_spec("DR.MISSINGNESS"), make_ctx(dossier))
    return {
        "data_readiness": GateResult(
            id="data_readiness",
            title="Data Readiness",
            evidence_status=Status.CONDITIONAL,
            status=Status.CONDITIONAL,
            findings=[finding],
        )
    }


def test_missingness_strategy_reads_data_readiness(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    name = parquet(
        "train.parquet", {"a": [1.0, None, 3.0, 4.0], "b": [1, 2, 3, 4], "y": [0, 1, 0, 1]}
    )
    dossier = data_dossier(train=name, key=["b"])
    prior = _prior(make_ctx, dossier)
    # The key feature b is complete, but a is missing 25%: features do have missing values.
    finding = run_one(check_spec("FE.MISSINGNESS_STRATEGY"), make_ctx(dossier, prior=prior))
    assert finding.outcome is Outcome.WARN
    assert finding.measured["features_with_missing"] == {"a": 0.25}
    assert finding.measured["measured_by"] == "DR.MISSINGNESS"
    documented = data_dossier(
        train=name, key=["b"], strategy="Median imputation for a, with a missing indicator."
    )
    assert (
        run_one(check_spec("FE.MISSINGNESS_STRATEGY"), make_ctx(documented, prior=prior)).outcome
        is Outcome.PASS
    )
    # Without the earlier gate's finding the check measures the file itself.
    alone = run_one(check_spec("FE.MISSINGNESS_STRATEGY"), make_ctx(dossier))
    assert alone.outcome is Outcome.WARN and alone.measured["measured_by"] == name


def test_missingness_strategy_without_missing_values(
    make_ctx: MakeCtx, parquet: WriteTable
) -> None:
    name = parquet("train.parquet", {"a": [1.0, 2.0], "y": [0, 1]})
    assert (
        run_one(check_spec("FE.MISSINGNESS_STRATEGY"), make_ctx(data_dossier(train=name))).outcome
        is Outcome.PASS
    )
    assert run_one(check_spec("FE.MISSINGNESS_STRATEGY"), make_ctx(data_dossier())).outcome is (
        Outcome.MISSING
    )


# --- FE.SENSITIVE_FEATURE -----------------------------------------------------------------


def test_sensitive_feature(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    name = parquet("train.parquet", {"region": ["eu", "us"], "age": [30, 40], "y": [0, 1]})
    used = run_one(
        check_spec("FE.SENSITIVE_FEATURE"), make_ctx(data_dossier(train=name, sensitive=["region", "age"]))
    )
    assert used.outcome is Outcome.WARN
    assert used.measured["used_as_features"] == ["region", "age"]
    assert {e.column for e in used.evidence} == {"region", "age"}
    excluded = make_ctx(data_dossier(train=name, sensitive=["region"], excluded=["region"]))
    assert run_one(check_spec("FE.SENSITIVE_FEATURE"), excluded).outcome is Outcome.PASS
    assert run_one(check_spec("FE.SENSITIVE_FEATURE"), make_ctx(data_dossier(train=name))).outcome is (
        Outcome.MISSING
    )
    none = make_ctx(data_dossier(train=name, sensitive=[]))
    assert run_one(check_spec("FE.SENSITIVE_FEATURE"), none).outcome is Outcome.PASS
    declared_only = make_ctx(data_dossier(sensitive=["age"], key=["age", "tenure"]))
    assert run_one(check_spec("FE.SENSITIVE_FEATURE"), declared_only).outcome is Outcome.WARN
