"""PSI: the pure function, and DR.DRIFT against an independent NumPy implementation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.evidence.psi import clean_edges, psi, quantile_levels
from langgraph_gates.state import Finding, GateResult, Outcome, Status

from ...conftest import MakeCtx, run_one
from .conftest import data_dossier

EPS = 1e-4


# --- an independent reference implementation --------------------------------------------


def numpy_psi_numeric(train: np.ndarray, serving: np.ndarray, bins: int = 10) -> float:
    """Quantile bins of the training values, one more bin for NaN, empty shares -> EPS."""
    present = train[~np.isnan(train)]
    edges = np.unique(np.quantile(present, np.arange(1, bins) / bins))

    def shares(x: np.ndarray) -> np.ndarray:
        values = x[~np.isnan(x)]
        counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
        counts = np.append(counts, np.isnan(x).sum())
        out = counts / x.size
        return np.where(counts == 0, EPS, out)

    p, q = shares(train), shares(serving)
    return float(np.sum((q - p) * np.log(q / p)))


def numpy_psi_categorical(train: list[Any], serving: list[Any], keep: int = 50) -> float:
    """Bins: the most frequent training categories, the rarer training categories, categories
    never seen in training, and missing values."""
    t = pd.Series(train, dtype=object)
    s = pd.Series(serving, dtype=object)
    counts = t.dropna().value_counts()
    ranked = sorted(counts.index, key=lambda c: (-counts[c], c))[:keep]
    known = set(counts.index)

    def shares(x: pd.Series) -> np.ndarray:
        present = x.dropna()
        per = [int((present == c).sum()) for c in ranked]
        unseen = int((~present.isin(known)).sum())
        other = int(present.size - sum(per) - unseen)
        hist = np.array([*per, other, unseen, int(x.isna().sum())], dtype=float)
        return np.where(hist == 0, EPS, hist / x.size)

    p, q = shares(t), shares(s)
    return float(np.sum((q - p) * np.log(q / p)))


# --- the pure function -------------------------------------------------------------------


def test_psi_basics() -> None:
    assert psi([10, 20, 30], [10, 20, 30], epsilon=EPS) == 0.0
    assert psi([5, 5], [50, 50], epsilon=EPS) == 0.0  # shares, not counts
    a, b = [30, 50, 20], [20, 50, 30]
    assert psi(a, b, epsilon=EPS) == pytest.approx(psi(b, a, epsilon=EPS))
    expected = (0.2 - 0.3) * math.log(0.2 / 0.3) + (0.3 - 0.2) * math.log(0.3 / 0.2)
    assert psi(a, b, epsilon=EPS) == pytest.approx(expected)
    # An empty bin on one side counts with epsilon; empty on both sides adds nothing.
    one_sided = psi([10, 0], [9, 1], epsilon=EPS)
    assert one_sided == pytest.approx(
        (0.9 - 1.0) * math.log(0.9) + (0.1 - EPS) * math.log(0.1 / EPS)
    )
    assert psi([10, 0, 0], [9, 1, 0], epsilon=EPS) == pytest.approx(one_sided)
    with pytest.raises(ValueError, match="differ in length"):
        psi([1, 2], [1, 2, 3], epsilon=EPS)
    with pytest.raises(ValueError, match="no values"):
        psi([0, 0], [1, 2], epsilon=EPS)


def test_edges_and_levels() -> None:
    assert quantile_levels(4) == [0.25, 0.5, 0.75]
    assert clean_edges([3.0, 1.0, 1.0, float("nan"), None, float("inf"), 2.0]) == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError):
        quantile_levels(1)


# --- DR.DRIFT on real data ---------------------------------------------------------------


@pytest.fixture
def cancer() -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    return frame.rename(columns=lambda c: c.replace(" ", "_"))


def _write(folder: Path, name: str, frame: pd.DataFrame) -> str:
    frame.to_parquet(folder / name, index=False)
    return name


def _shifted(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = frame.drop(columns=["target"]).copy()
    out["mean_radius"] = out["mean_radius"] + out["mean_radius"].std()  # a strong shift
    out["mean_texture"] = out["mean_texture"] * 1.05  # a mild one
    worst = out["worst_area"].to_numpy(copy=True)
    worst[rng.random(worst.size) < 0.15] = np.nan  # missingness appears in serving
    out["worst_area"] = worst
    return out


def test_numeric_psi_matches_numpy_reference(
    make_ctx: MakeCtx, cancer: pd.DataFrame, tmp_path: Path
) -> None:
    serving = _shifted(cancer)
    ctx = make_ctx(
        data_dossier(
            train=_write(tmp_path, "train.parquet", cancer),
            serving=_write(tmp_path, "serving.parquet", serving),
            label="target",
        )
    )
    finding = run_one(check_spec("DR.DRIFT"), ctx)
    measured = finding.measured["psi"]
    assert isinstance(measured, dict)
    features = [c for c in cancer.columns if c != "target"]
    assert set(measured) == set(features)
    for name in features:
        expected = numpy_psi_numeric(
            cancer[name].to_numpy(dtype=float), serving[name].to_numpy(dtype=float)
        )
        assert measured[name] == pytest.approx(expected, abs=2e-6), name
    assert measured["mean_radius"] >= 0.25  # the strong shift fails
    assert finding.outcome is Outcome.FAIL
    drifting = finding.measured["drifting_features"]
    assert isinstance(drifting, list) and drifting[0] == "mean_radius"
    assert all(measured[f] >= 0.10 for f in drifting)
    assert all(measured[f] < 0.10 for f in features if f not in drifting)
    assert finding.measured["bins"] == 10 and finding.measured["epsilon"] == EPS


def test_bins_come_from_the_policy(make_ctx: MakeCtx, cancer: pd.DataFrame, tmp_path: Path) -> None:
    serving = _shifted(cancer)
    dossier = data_dossier(
        train=_write(tmp_path, "train.parquet", cancer),
        serving=_write(tmp_path, "serving.parquet", serving),
        label="target",
    )
    five = run_one(check_spec("DR.DRIFT"), make_ctx(dossier, policy={"data": {"psi_bins": 5}}))
    psi5 = five.measured["psi"]
    assert isinstance(psi5, dict)
    expected = numpy_psi_numeric(
        cancer["mean_texture"].to_numpy(dtype=float),
        serving["mean_texture"].to_numpy(dtype=float),
        bins=5,
    )
    assert psi5["mean_texture"] == pytest.approx(expected, abs=2e-6)
    assert five.measured["bins"] == 5


def test_categorical_psi_with_unseen_and_missing(make_ctx: MakeCtx, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    train = rng.choice(["a", "b", "c", "d"], 3000, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    serving = rng.choice(["a", "b", "c", "e", "f"], 2000, p=[0.3, 0.3, 0.2, 0.1, 0.1]).astype(
        object
    )
    serving[rng.random(2000) < 0.05] = None
    pd.DataFrame({"c": train, "y": rng.integers(0, 2, 3000)}).to_parquet(tmp_path / "t.parquet")
    pd.DataFrame({"c": serving}).to_parquet(tmp_path / "s.parquet")
    ctx = make_ctx(data_dossier(train="t.parquet", serving="s.parquet"))
    measured = run_one(check_spec("DR.DRIFT"), ctx).measured["psi"]
    assert isinstance(measured, dict)
    assert measured["c"] == pytest.approx(
        numpy_psi_categorical(list(train), list(serving)), abs=2e-6
    )
    unseen = run_one(check_spec("DR.DRIFT"), ctx).measured["unseen_category_share"]
    assert unseen == {"c": pytest.approx(float(np.isin(serving, ["e", "f"]).mean()), abs=1e-6)}
    # With two categories kept, c and d share one bin; e and f (never in training) another.
    ctx2 = make_ctx(
        data_dossier(train="t.parquet", serving="s.parquet"),
        policy={"data": {"psi_max_categories": 2}},
    )
    two = run_one(check_spec("DR.DRIFT"), ctx2).measured["psi"]
    assert isinstance(two, dict)
    expected = numpy_psi_categorical(list(train), list(serving), keep=2)
    assert two["c"] == pytest.approx(expected, abs=2e-6)


@pytest.mark.parametrize(
    ("offset", "field", "outcome"),
    [
        (+1e-7, "warn", Outcome.PASS),  # warn line just above the measured PSI
        (0.0, "warn", Outcome.WARN),  # at the line: inclusive, warns
        (-1e-7, "warn", Outcome.WARN),
        (+1e-7, "fail", Outcome.WARN),
        (0.0, "fail", Outcome.FAIL),
        (-1e-7, "fail", Outcome.FAIL),
    ],
)
def test_drift_thresholds_around_the_measured_value(
    make_ctx: MakeCtx,
    cancer: pd.DataFrame,
    tmp_path: Path,
    offset: float,
    field: str,
    outcome: Outcome,
) -> None:
    frame = cancer[["mean_texture", "target"]]
    serving = _shifted(cancer)[["mean_texture"]]
    dossier = data_dossier(
        train=_write(tmp_path, "train.parquet", frame),
        serving=_write(tmp_path, "serving.parquet", serving),
        label="target",
    )
    value = numpy_psi_numeric(
        frame["mean_texture"].to_numpy(dtype=float), serving["mean_texture"].to_numpy(dtype=float)
    )
    measured = run_one(check_spec("DR.DRIFT"), make_ctx(dossier)).measured["max_psi"]
    assert isinstance(measured, float)
    assert measured == pytest.approx(value, abs=2e-6)
    line = measured + offset
    band = {"warn": line, "fail": 10.0} if field == "warn" else {"warn": 0.0, "fail": line}
    finding = run_one(check_spec("DR.DRIFT"), make_ctx(dossier, policy={"data": {"psi": band}}))
    assert finding.outcome is outcome
    assert finding.threshold is not None and finding.threshold.metric == "psi"


def test_no_shift_passes_and_deployment_reads_drifting_features(
    make_ctx: MakeCtx, cancer: pd.DataFrame, tmp_path: Path
) -> None:
    rng = np.random.default_rng(11)
    order = rng.permutation(len(cancer))
    half_a, half_b = cancer.iloc[order[:285]], cancer.iloc[order[285:]]
    same = run_one(
        check_spec("DR.DRIFT"),
        make_ctx(
            data_dossier(
                train=_write(tmp_path, "a.parquet", half_a),
                serving=_write(tmp_path, "b.parquet", half_b.drop(columns=["target"])),
                label="target",
            )
        ),
    )
    assert same.outcome is not Outcome.FAIL
    shifted = run_one(
        check_spec("DR.DRIFT"),
        make_ctx(
            data_dossier(
                train=_write(tmp_path, "train.parquet", cancer),
                serving=_write(tmp_path, "serving.parquet", _shifted(cancer)),
                label="target",
            )
        ),
    )
    prior = {
        "data_readiness": GateResult(
            id="data_readiness",
            title="Data Readiness",
            evidence_status=Status.FAIL,
            status=Status.FAIL,
            findings=[Finding.model_validate(shifted.model_dump())],
        )
    }
    dossier = {"deployment": {"monitoring": {"latency": True, "quality": ["roc_auc"]}}}
    monitoring = run_one(check_spec("DEP.MONITORING"), make_ctx(dossier, prior=prior))
    assert monitoring.outcome is Outcome.FAIL
    assert "mean_radius" in monitoring.message


def test_average_ranks_match_scipy() -> None:
    import numpy as np
    from scipy.stats import rankdata

    from langgraph_gates.evidence.separation import average_ranks

    rng = np.random.default_rng(7)
    for _ in range(50):
        values = rng.integers(0, 15, size=int(rng.integers(1, 400))).astype(float)
        assert np.allclose(average_ranks(values), rankdata(values))
