"""Fairness checks on a predictions file: disparate impact, equalized odds, group coverage.

Thresholds are tested at, just below and just above each value with generated predictions;
numbers on real data (load_diabetes's sex column, load_wine) are compared with fairlearn's own
functions and with a plain numpy computation written in the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from langgraph_gates.checks.base import run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Finding, Outcome

from ..conftest import MakeCtx, run_one, write_csv

NO_BOOT = {"fairness": {"bootstrap_samples": 0}}


def dossier(attributes: list[str], task: str = "binary_classification") -> dict[str, Any]:
    """A dossier with predictions.csv and the given sensitive attributes."""
    return {
        "model": {"task": task},
        "data": {"sensitive_attributes": attributes},
        "performance": {"predictions": "predictions.csv"},
    }


def group_rows(spec: dict[str, tuple[int, int, int, int]]) -> dict[str, list[Any]]:
    """Rows from group -> (positives, true positives, negatives, false positives)."""
    y: list[int] = []
    pred: list[int] = []
    g: list[str] = []
    for name, (pos, tp, neg, fp) in spec.items():
        y += [1] * pos + [0] * neg
        pred += [1] * tp + [0] * (pos - tp) + [1] * fp + [0] * (neg - fp)
        g += [name] * (pos + neg)
    return {"y_true": y, "y_pred": pred, "g": g}


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --------------------------------------------------------------------------- thresholds


@pytest.mark.parametrize(
    ("selected_a", "expected"),
    [
        (79, Outcome.FAIL),  # ratio 0.79
        (80, Outcome.WARN),  # 0.80: at the fail line, not below it
        (81, Outcome.WARN),
        (89, Outcome.WARN),
        (90, Outcome.PASS),  # 0.90: at the warn line
        (91, Outcome.PASS),
    ],
)
def test_disparate_impact_threshold(
    make_ctx: MakeCtx, tmp_path: Path, selected_a: int, expected: Outcome
) -> None:
    # 200 rows per group; group b selects 100 (rate 0.5), group a selects `selected_a`.
    half = selected_a // 2
    rows = group_rows({"a": (100, half, 100, selected_a - half), "b": (100, 50, 100, 50)})
    write_csv(tmp_path / "predictions.csv", rows)
    f = run_one(check_spec("RAI.DISPARATE_IMPACT"), make_ctx(dossier(["g"]), policy=NO_BOOT))
    ratio = (selected_a / 200) / (100 / 200)
    assert f.measured["selection_rate_ratio"] == pytest.approx(ratio, abs=1e-12)
    assert f.outcome is expected
    assert f.measured["lowest_group"] == "a" and f.measured["ci"] is None
    groups = {g["group"]: g for g in f.measured["groups"]}  # type: ignore[index,union-attr]
    assert groups["a"]["selection_rate"] == selected_a / 200 and groups["b"]["n"] == 200


@pytest.mark.parametrize(
    ("tp_a", "tp_b", "expected"),
    [
        (10, 19, Outcome.PASS),  # TPR gap 0.09
        (10, 20, Outcome.PASS),  # 0.10 exactly: at the warn line
        (10, 21, Outcome.WARN),
        (20, 39, Outcome.WARN),
        (20, 40, Outcome.WARN),  # 0.20 exactly: at the fail line
        (20, 41, Outcome.FAIL),
    ],
)
def test_equalized_odds_threshold(
    make_ctx: MakeCtx, tmp_path: Path, tp_a: int, tp_b: int, expected: Outcome
) -> None:
    # 100 positives and 100 negatives per group, the same FPR (0.1): only the TPR gap differs.
    rows = group_rows({"a": (100, tp_a, 100, 10), "b": (100, tp_b, 100, 10)})
    write_csv(tmp_path / "predictions.csv", rows)
    f = run_one(check_spec("RAI.EQUALIZED_ODDS"), make_ctx(dossier(["g"]), policy=NO_BOOT))
    gap = tp_b / 100 - tp_a / 100
    assert f.measured["equalized_odds_difference"] == pytest.approx(gap, abs=1e-12)
    assert f.measured["tpr_difference"] == pytest.approx(gap) and f.measured["fpr_difference"] == 0
    assert f.outcome is expected


@pytest.mark.parametrize(
    ("sizes", "expected", "small"),
    [
        ((99, 900), Outcome.WARN, ["a"]),  # fewer than 100 rows
        ((100, 900), Outcome.PASS, []),
        ((100, 9_901), Outcome.WARN, ["a"]),  # 100 / 10,001 < 1%
        ((100, 9_900), Outcome.PASS, []),  # exactly 1%
    ],
)
def test_group_coverage_threshold(
    make_ctx: MakeCtx, tmp_path: Path, sizes: tuple[int, int], expected: Outcome, small: list[str]
) -> None:
    n_a, n_b = sizes
    rows = {
        "y_true": [i % 2 for i in range(n_a + n_b)],
        "y_pred": [(i // 2) % 2 for i in range(n_a + n_b)],
        "g": ["a"] * n_a + ["b"] * n_b,
    }
    write_csv(tmp_path / "predictions.csv", rows)
    f = run_one(check_spec("RAI.GROUP_COVERAGE"), make_ctx(dossier(["g"])))
    assert f.outcome is expected and f.measured["small_groups"] == small
    assert f.measured["groups"] == [
        {"group": "a", "n": n_a, "share": round(n_a / (n_a + n_b), 6)},
        {"group": "b", "n": n_b, "share": round(n_b / (n_a + n_b), 6)},
    ]


# --------------------------------------------------------------------------- small groups


def test_small_groups_passing_point_estimate_is_inconclusive(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    # Ratio 0.95 and TPR gap 0.05 pass as points; 40-row groups make both intervals cross the line.
    small = group_rows({"a": (20, 9, 20, 10), "b": (20, 10, 20, 10)})
    write_csv(tmp_path / "predictions.csv", small)
    ctx = make_ctx(dossier(["g"]))
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), ctx)
    assert di.measured["selection_rate_ratio"] == pytest.approx(19 / 20)
    ci = di.measured["ci"]
    assert isinstance(ci, dict) and ci["low"] < 0.9 < ci["high"]  # type: ignore[operator]
    assert di.outcome is Outcome.WARN and "inconclusive" in di.message
    eo = run_one(check_spec("RAI.EQUALIZED_ODDS"), ctx)
    assert eo.measured["equalized_odds_difference"] == pytest.approx(0.05)
    assert eo.outcome is Outcome.WARN and "inconclusive" in eo.message

    # The same rates on 2,000-row groups: no interval (above bootstrap_below_rows), a pass.
    large = group_rows({"a": (1000, 450, 1000, 500), "b": (1000, 500, 1000, 500)})
    write_csv(tmp_path / "predictions.csv", large)
    ctx = make_ctx(dossier(["g"]))
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), ctx)
    assert di.outcome is Outcome.PASS and di.measured["ci"] is None
    assert run_one(check_spec("RAI.EQUALIZED_ODDS"), ctx).outcome is Outcome.PASS


def test_interval_inside_the_band_passes_and_fail_stays_fail(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    rows = group_rows({"a": (1000, 480, 1000, 500), "b": (1000, 500, 1000, 500)})  # ratio 0.98
    write_csv(tmp_path / "predictions.csv", rows)
    ctx = make_ctx(dossier(["g"]), policy={"fairness": {"bootstrap_below_rows": 10_000}})
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), ctx)
    assert di.measured["ci"]["low"] > 0.9  # type: ignore[index,operator]
    assert di.outcome is Outcome.PASS
    rows = group_rows({"a": (20, 5, 20, 5), "b": (20, 10, 20, 10)})  # ratio 0.5 on 40-row groups
    write_csv(tmp_path / "predictions.csv", rows)
    assert run_one(check_spec("RAI.DISPARATE_IMPACT"), make_ctx(dossier(["g"]))).outcome is Outcome.FAIL


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def diabetes() -> dict[str, np.ndarray]:
    """A classifier of 'progression above the median' on load_diabetes; groups = its sex column."""
    data = load_diabetes()
    x, target = data.data, data.target
    y = (target > np.median(target)).astype(int)
    features = np.delete(x, 1, axis=1)  # column 1 is sex: kept out of the model
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(features, y)
    score = np.round(model.predict_proba(features)[:, 1], 6)
    sex = np.where(x[:, 1] > 0, "sex_2", "sex_1")
    return {"y_true": y, "y_score": score, "y_pred": (score >= 0.5).astype(int), "sex": sex}


def test_group_rates_match_fairlearn_and_numpy_on_diabetes(
    make_ctx: MakeCtx, tmp_path: Path, diabetes: dict[str, np.ndarray]
) -> None:
    y, p, sex = diabetes["y_true"], diabetes["y_pred"], diabetes["sex"]
    write_csv(
        tmp_path / "predictions.csv",
        {"y_true": y, "y_pred": p, "y_score": diabetes["y_score"], "sex": sex},
    )
    ctx = make_ctx(dossier(["sex"]))
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), ctx)
    eo = run_one(check_spec("RAI.EQUALIZED_ODDS"), ctx)

    frame = MetricFrame(
        metrics={"sr": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=y,
        y_pred=p,
        sensitive_features=sex,
    )
    groups = {g["group"]: g for g in di.measured["groups"]}  # type: ignore[index,union-attr]
    for name in ("sex_1", "sex_2"):
        m = sex == name
        by_hand = {
            "n": int(m.sum()),
            "sr": p[m].mean(),
            "tpr": p[m & (y == 1)].mean(),
            "fpr": p[m & (y == 0)].mean(),
        }
        got = groups[name]
        assert got["n"] == by_hand["n"]
        for ours, key in (("selection_rate", "sr"), ("tpr", "tpr"), ("fpr", "fpr")):
            assert got[ours] == pytest.approx(frame.by_group.loc[name, key], abs=1e-6)
            assert got[ours] == pytest.approx(by_hand[key], abs=1e-6)
    assert di.measured["selection_rate_ratio"] == pytest.approx(
        demographic_parity_ratio(y, p, sensitive_features=sex), abs=1e-6
    )
    assert eo.measured["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y, p, sensitive_features=sex), abs=1e-6
    )
    # 442 rows, both groups below bootstrap_below_rows: intervals are reported.
    assert di.measured["ci"] is not None and eo.measured["ci"] is not None


def test_bootstrap_interval_matches_a_row_resampling_bootstrap(
    make_ctx: MakeCtx, tmp_path: Path, diabetes: dict[str, np.ndarray]
) -> None:
    y, p, sex = diabetes["y_true"], diabetes["y_pred"], diabetes["sex"]
    write_csv(tmp_path / "predictions.csv", {"y_true": y, "y_pred": p, "sex": sex})
    policy = {"fairness": {"bootstrap_samples": 2000}}
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), make_ctx(dossier(["sex"]), policy=policy))
    # Independent: resample each group's rows with replacement, 2,000 times.
    rng = np.random.default_rng(7)
    idx = {g: np.flatnonzero(sex == g) for g in ("sex_1", "sex_2")}
    ratios = []
    for _ in range(2000):
        rates = [p[rng.choice(ix, size=len(ix))].mean() for ix in idx.values()]
        ratios.append(min(rates) / max(rates))
    low, high = np.quantile(ratios, [0.025, 0.975])
    ci = di.measured["ci"]
    assert isinstance(ci, dict)
    assert ci["low"] == pytest.approx(low, abs=0.03) and ci["high"] == pytest.approx(high, abs=0.03)
    assert ci["samples"] == 2000 and ci["level"] == 0.95


def test_selection_from_score_when_no_y_pred(
    make_ctx: MakeCtx, tmp_path: Path, diabetes: dict[str, np.ndarray]
) -> None:
    y, s, sex = diabetes["y_true"], diabetes["y_score"], diabetes["sex"]
    write_csv(tmp_path / "predictions.csv", {"y_true": y, "y_score": s, "sex": sex})
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), make_ctx(dossier(["sex"])))
    assert di.measured["selection_from_score"] is True and "y_score >= 0.5" in di.message
    assert di.measured["selection_rate_ratio"] == pytest.approx(
        demographic_parity_ratio(y, (s >= 0.5).astype(int), sensitive_features=sex), abs=1e-6
    )


def test_multiclass_is_judged_one_vs_rest_on_wine(make_ctx: MakeCtx, tmp_path: Path) -> None:
    x, y = load_wine(return_X_y=True)
    pred = (
        make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=1000))
        .fit(x, y)
        .predict(x)
    )
    alcohol = x[:, 0]  # numeric with many values: cut into quartiles
    write_csv(tmp_path / "predictions.csv", {"y_true": y, "y_pred": pred, "alcohol": alcohol})
    ctx = make_ctx(dossier(["alcohol"], task="multiclass_classification"))
    di = run_one(check_spec("RAI.DISPARATE_IMPACT"), ctx)
    assert di.measured["binned"] is True and len(di.measured["groups"]) == 4  # type: ignore[arg-type]
    edges = np.quantile(alcohol, [0, 0.25, 0.5, 0.75, 1])
    quartile = np.clip(np.searchsorted(edges, alcohol, side="right") - 1, 0, 3)
    per_class = {
        str(c): demographic_parity_ratio(
            (y == c).astype(int), (pred == c).astype(int), sensitive_features=quartile
        )
        for c in (0, 1, 2)
    }
    classes = di.measured["classes"]
    assert isinstance(classes, dict)
    for label, ratio in per_class.items():
        assert classes[label]["selection_rate_ratio"] == pytest.approx(ratio, abs=1e-6)  # type: ignore[index]
    worst = min(per_class, key=lambda c: per_class[c])
    assert di.measured["label"] == worst and f"class {worst} vs rest" in di.message


def test_regression_fairness_says_what_applies(make_ctx: MakeCtx, tmp_path: Path) -> None:
    data = load_diabetes()
    pred = LinearRegression().fit(data.data, data.target).predict(data.data)
    sex = np.where(data.data[:, 1] > 0, "sex_2", "sex_1")
    write_csv(
        tmp_path / "predictions.csv",
        {"y_true": data.target, "y_pred": np.round(pred, 6), "sex": sex},
    )
    ctx = make_ctx(dossier(["sex"], task="regression"))
    for spec in (check_spec("RAI.DISPARATE_IMPACT"), check_spec("RAI.EQUALIZED_ODDS")):
        f = run_one(spec, ctx)
        assert f.outcome is Outcome.MISSING and "regression" in f.message
    groups = {g["group"]: g for g in f.measured["groups"]}  # type: ignore[index,union-attr]
    m = sex == "sex_1"
    assert groups["sex_1"]["mae"] == pytest.approx(
        np.abs(data.target[m] - np.round(pred, 6)[m]).mean(), abs=1e-5
    )
    assert run_one(check_spec("RAI.GROUP_COVERAGE"), ctx).outcome is Outcome.PASS


# --------------------------------------------------------------------------- edge cases


def test_not_declared_justified_and_no_predictions(make_ctx: MakeCtx) -> None:
    for spec in (check_spec("RAI.DISPARATE_IMPACT"), check_spec("RAI.EQUALIZED_ODDS"), check_spec("RAI.GROUP_COVERAGE")):
        assert run_one(spec, make_ctx({})).outcome is Outcome.MISSING
        justified = make_ctx(
            {"data": {"sensitive_attributes": [], "sensitive_justification": "B2B accounts only"}}
        )
        f = run_one(spec, justified)
        assert f.outcome is Outcome.PASS and "Not applicable" in f.message
        f = run_one(spec, make_ctx({"data": {"sensitive_attributes": ["g"]}}))
        assert f.outcome is Outcome.MISSING and "No predictions file" in f.message


def test_absent_attribute_is_an_error_beside_a_judged_one(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    rows = group_rows({"a": (100, 50, 100, 50), "b": (100, 50, 100, 50)})
    write_csv(tmp_path / "predictions.csv", rows)
    findings = run_check(
        check_spec("RAI.DISPARATE_IMPACT"), make_ctx(dossier(["g", "region"]), policy=NO_BOOT), owner="o"
    )
    assert [(f.outcome, f.measured["attribute"]) for f in findings] == [
        (Outcome.PASS, "g"),
        (Outcome.ERROR, "region"),
    ]
    assert findings[1].evidence[0].column == "region"


def test_group_without_positives_is_left_out_of_the_tpr_range(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    rows = group_rows({"a": (100, 50, 100, 10), "b": (100, 55, 100, 12), "c": (0, 0, 100, 11)})
    write_csv(tmp_path / "predictions.csv", rows)
    f = run_one(check_spec("RAI.EQUALIZED_ODDS"), make_ctx(dossier(["g"]), policy=NO_BOOT))
    # fairlearn counts c's undefined TPR as 0 (a 0.55 gap); here c only enters the FPR range.
    assert f.measured["tpr_difference"] == pytest.approx(0.05) and f.measured[
        "fpr_difference"
    ] == pytest.approx(0.02)
    assert f.measured["equalized_odds_difference"] == pytest.approx(0.05)
    assert f.measured["undefined_rate_groups"] == ["c"] and f.outcome is Outcome.PASS
    groups = {g["group"]: g for g in f.measured["groups"]}  # type: ignore[index,union-attr]
    assert groups["c"]["tpr"] is None and groups["c"]["fpr"] == pytest.approx(0.11)


def test_empty_attribute_cells_form_a_missing_group(make_ctx: MakeCtx, tmp_path: Path) -> None:
    rows = group_rows({"a": (100, 50, 100, 50), "b": (100, 50, 100, 50)})
    rows["g"] = ["" if i % 10 == 0 else v for i, v in enumerate(rows["g"])]
    write_csv(tmp_path / "predictions.csv", rows)
    f = run_one(check_spec("RAI.GROUP_COVERAGE"), make_ctx(dossier(["g"])))
    counts = {g["group"]: g["n"] for g in f.measured["groups"]}  # type: ignore[index,union-attr]
    assert counts == {"(missing)": 40, "a": 180, "b": 180}


def test_each_attribute_gets_its_own_finding(make_ctx: MakeCtx, tmp_path: Path) -> None:
    rows = group_rows({"a": (100, 30, 100, 30), "b": (100, 50, 100, 50)})  # g: ratio 0.6
    rows["h"] = ["x", "y"] * 200  # h: balanced
    write_csv(tmp_path / "predictions.csv", rows)
    findings = run_check(
        check_spec("RAI.DISPARATE_IMPACT"), make_ctx(dossier(["g", "h"]), policy=NO_BOOT), owner="o"
    )
    assert {f.measured["attribute"]: f.outcome for f in findings} == {
        "g": Outcome.FAIL,
        "h": Outcome.PASS,
    }
    assert one([f for f in findings if f.outcome is Outcome.FAIL]).severity.value == "High"


def test_too_many_classes_is_missing_with_a_reason(make_ctx: MakeCtx, tmp_path: Path) -> None:
    labels = [f"c{i % 25}" for i in range(500)]
    write_csv(
        tmp_path / "predictions.csv",
        {"y_true": labels, "y_pred": labels[1:] + labels[:1], "g": ["a", "b"] * 250},
    )
    ctx = make_ctx(dossier(["g"], task="multiclass_classification"))
    for spec in (check_spec("RAI.DISPARATE_IMPACT"), check_spec("RAI.EQUALIZED_ODDS")):
        f = run_one(spec, ctx)
        assert f.outcome is Outcome.MISSING and "at most 20 classes" in f.message
    assert run_one(check_spec("RAI.GROUP_COVERAGE"), ctx).outcome is Outcome.PASS
