"""MP.CHAMPION and RAI.GROUP_REGRESSION: the candidate against the champion on the same rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from langgraph_gates.checks.base import run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.checks.champion import judge_change
from langgraph_gates.errors import PolicyError
from langgraph_gates.evidence.champion import (
    BootstrapSettings,
    ChampionSource,
    MetricChange,
    compare_champion,
)
from langgraph_gates.policy import Policy, policy_from_mapping
from langgraph_gates.state import Finding, Outcome

from ..conftest import MakeCtx

CHAMPION = check_spec("MP.CHAMPION")
GROUP_REGRESSION = check_spec("RAI.GROUP_REGRESSION")


def _scores(rng: np.random.Generator, y: np.ndarray, skill: float) -> np.ndarray:
    """Scores whose ranking quality grows with ``skill``."""
    return np.round(1 / (1 + np.exp(-(skill * (2 * y - 1) + rng.normal(0, 1, len(y))))), 5)


def write_pair(
    folder: Path,
    *,
    n: int = 2000,
    cand_skill: float = 1.2,
    champ_skill: float = 0.8,
    worse_group: str | None = None,
    task: str = "binary_classification",
) -> Path:
    """A predictions file with the champion's columns; the candidate is worse in one group."""
    rng = np.random.default_rng(7)
    region = rng.choice(["north", "south", "east"], n)
    if task == "regression":
        y = rng.normal(10, 3, n)
        cand = y + rng.normal(0, 1.0, n)
        champ = y + rng.normal(0, 1.5, n)
        if worse_group:
            hit = region == worse_group
            cand[hit] = y[hit] + rng.normal(0, 2.0, hit.sum())
        df = pd.DataFrame({"y_true": y, "y_pred": cand, "champion_pred": champ, "region": region})
    else:
        y = rng.integers(0, 2, n)
        cand = _scores(rng, y, cand_skill)
        champ = _scores(rng, y, champ_skill)
        if worse_group:
            hit = region == worse_group
            cand[hit] = _scores(rng, y[hit], 0.1)
        df = pd.DataFrame(
            {
                "y_true": y,
                "y_score": cand,
                "y_pred": (cand >= 0.5).astype(int),
                "champion_score": champ,
                "champion_pred": (champ >= 0.5).astype(int),
                "region": region,
            }
        )
    path = folder / "preds.csv"
    df.to_csv(path, index=False)
    return path


_POLICY = {"champion": {"bootstrap_samples": 60}}
_COLUMNS = {"y_pred": "champion_pred", "y_score": "champion_score"}


def dossier(champion: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """A dossier whose candidate predictions are preds.csv, with this champion."""
    task = extra.pop("task", "binary_classification")
    metric = extra.pop("metric", "roc_auc")
    perf: dict[str, Any] = {"predictions": "preds.csv", **extra}
    if champion is not None:
        perf["champion"] = champion
    return {
        "model": {"name": "m", "version": "2", "task": task},
        "problem": {"success_criteria": [{"metric": metric, "threshold": 0.0}]},
        "data": {"sensitive_attributes": ["region"]},
        "performance": perf,
    }


def findings(spec: Any, ctx: Any) -> list[Finding]:
    return run_check(spec, ctx, owner="owner")


# --------------------------------------------------------------------------- the rule


def _change(
    improvement: float, low: float | None, *, metric: str = "roc_auc", champion: float = 0.8
) -> MetricChange:
    return MetricChange(
        metric=metric,
        candidate=champion + improvement,
        champion=champion,
        improvement=improvement,
        low=low,
        high=None if low is None else improvement + 0.01,
    )


@pytest.mark.parametrize(
    ("improvement", "low", "expected"),
    [
        (-0.005, -0.005, Outcome.PASS),  # exactly at the tolerance, interval too: meets it
        (-0.0051, -0.004, Outcome.FAIL),  # point past the tolerance: fail
        (0.01, -0.0051, Outcome.WARN),  # interval straddles the tolerance: warn
        (0.01, -0.005, Outcome.PASS),
        (0.01, None, Outcome.WARN),  # no interval: cannot pass
    ],
)
def test_default_tolerance_edges(improvement: float, low: float | None, expected: Outcome) -> None:
    outcome, needed = judge_change(_change(improvement, low), Policy())
    assert outcome is expected
    assert needed == pytest.approx(-0.005)


def test_relative_and_absolute_thresholds_both_hold() -> None:
    policy = policy_from_mapping(
        {
            "champion": {
                "change": {"auc": {"min_absolute_change": 0.01, "min_relative_change": 0.02}}
            }
        }
    )
    # 2% of 0.8 = 0.016 is the stricter of the two.
    assert judge_change(_change(0.016, 0.016), policy) == (Outcome.PASS, pytest.approx(0.016))
    assert judge_change(_change(0.0159, 0.0159), policy)[0] is Outcome.FAIL
    only_abs = policy_from_mapping(
        {"champion": {"change": {"roc_auc": {"min_absolute_change": 0.01}}}}
    )
    assert judge_change(_change(0.0159, 0.012), only_abs)[0] is Outcome.PASS


def test_error_metric_uses_the_relative_default() -> None:
    # RMSE 10 -> 10.1 is 1% worse: exactly the default tolerance for unbounded metrics.
    edge = MetricChange(metric="rmse", candidate=10.1, champion=10.0, improvement=-0.1, low=-0.1)
    assert judge_change(edge, Policy()) == (Outcome.PASS, pytest.approx(-0.1))
    past = edge.model_copy(update={"improvement": -0.11})
    assert judge_change(past, Policy())[0] is Outcome.FAIL


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"roc_acu": {"min_absolute_change": 0.0}}, "did you mean 'roc_auc'"),
        ({"roc_auc": {}}, "set min_absolute_change"),
        ({"roc_auc": {"min_relative_change": float("nan")}}, "finite"),
    ],
)
def test_policy_refuses_bad_change_thresholds(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(PolicyError, match=reason):
        policy_from_mapping({"champion": {"change": change}})


# --------------------------------------------------------------------------- the bootstrap


def test_point_estimates_match_sklearn_and_seed_reproduces(tmp_path: Path) -> None:
    path = write_pair(tmp_path)
    df = pd.read_csv(path)

    def run(seed: int) -> Any:
        return compare_champion(
            (path, "preds.csv"),
            ChampionSource(None, None, "champion_pred", "champion_score"),
            task="binary_classification",
            metrics=["roc_auc", "accuracy"],
            group_columns=["region"],
            settings=BootstrapSettings(samples=50, seed=seed, auc_bins=500),
            level=0.9,
            null_values=[""],
        )

    first = run(0)
    auc, acc = first.overall
    assert auc.candidate == pytest.approx(roc_auc_score(df.y_true, df.y_score), abs=1 / 1000)
    assert auc.champion == pytest.approx(roc_auc_score(df.y_true, df.champion_score), abs=1 / 1000)
    assert acc.candidate == pytest.approx(accuracy_score(df.y_true, df.y_pred))
    assert auc.low is not None and auc.high is not None and auc.low < auc.improvement < auc.high
    assert run(0) == first
    assert run(1).overall[0].low != first.overall[0].low
    assert {g.group for g in first.groups} == {"north", "south", "east"}
    assert sum(g.rows for g in first.groups) == first.rows == 2000


# --------------------------------------------------------------------------- the checks


def test_no_champion_is_missing_and_not_required(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_pair(tmp_path)
    ctx = make_ctx(dossier(None), policy=_POLICY)
    for spec in (CHAMPION, GROUP_REGRESSION):
        (f,) = findings(spec, ctx)
        assert f.outcome is Outcome.MISSING and not f.counts_as_fail
        assert "performance.champion" in f.message


def test_better_everywhere_passes(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_pair(tmp_path)
    ctx = make_ctx(dossier({"columns": _COLUMNS}), policy=_POLICY)
    assert [f.outcome for f in findings(CHAMPION, ctx)] == [Outcome.PASS]
    assert [f.outcome for f in findings(GROUP_REGRESSION, ctx)] == [Outcome.PASS]


def test_group_regression_caught_although_overall_improves(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    write_pair(tmp_path, cand_skill=1.6, worse_group="south")
    ctx = make_ctx(dossier({"columns": _COLUMNS}, slices=["region"]), policy=_POLICY)
    overall, by_slice = findings(CHAMPION, ctx)
    assert overall.outcome is Outcome.PASS
    assert by_slice.outcome is Outcome.FAIL and "region=south" in by_slice.message
    (group,) = findings(GROUP_REGRESSION, ctx)
    assert group.outcome is Outcome.FAIL
    assert "region=south" in group.message and "region=north" not in group.message
    assert group.measured["groups"]["south"]["metrics"][0]["outcome"] == "fail"  # type: ignore[index]


def test_worse_overall_fails(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_pair(tmp_path, cand_skill=0.5, champ_skill=1.2)
    ctx = make_ctx(dossier({"columns": _COLUMNS}), policy=_POLICY)
    (f,) = findings(CHAMPION, ctx)
    assert f.outcome is Outcome.FAIL and f.value is not None and f.value < 0


def test_a_no_champion_claim_never_hides_a_declared_champion(
    make_ctx: MakeCtx, tmp_path: Path
) -> None:
    # Fail closed: with both given, the evidence is judged and the claim is ignored.
    write_pair(tmp_path, cand_skill=0.5, champ_skill=1.2)
    d = dossier({"columns": _COLUMNS}, no_champion="First release: nothing in production.")
    (f,) = findings(CHAMPION, make_ctx(d, policy=_POLICY))
    assert f.outcome is Outcome.FAIL


def test_regression_error_metric_is_oriented(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_pair(tmp_path, task="regression", worse_group="east")
    ctx = make_ctx(
        dossier({"columns": {"y_pred": "champion_pred"}}, task="regression", metric="rmse"),
        policy=_POLICY,
    )
    (f,) = findings(CHAMPION, ctx)
    row = f.measured["metrics"][0]  # type: ignore[index]
    assert row["candidate"] < row["champion"] and row["improvement"] > 0  # lower RMSE is better
    (g,) = findings(GROUP_REGRESSION, ctx)
    assert g.outcome is Outcome.FAIL and "region=east" in g.message


def test_champion_file_paired_by_key_in_any_order(make_ctx: MakeCtx, tmp_path: Path) -> None:
    path = write_pair(tmp_path)
    df = pd.read_csv(path).assign(row_id=lambda d: range(len(d)))
    df.to_csv(path, index=False)
    champ = df[["row_id", "y_true", "champion_score", "champion_pred"]].rename(
        columns={"champion_score": "y_score", "champion_pred": "y_pred"}
    )
    champ.sample(frac=1, random_state=1).to_csv(tmp_path / "champ.csv", index=False)
    by_key = make_ctx(dossier({"predictions": "champ.csv", "key": "row_id"}), policy=_POLICY)
    by_columns = make_ctx(dossier({"columns": _COLUMNS}), policy=_POLICY)
    (a,) = findings(CHAMPION, by_key)
    (b,) = findings(CHAMPION, by_columns)
    assert a.outcome is Outcome.PASS
    assert a.measured["metrics"] == b.measured["metrics"]


def _broken(tmp_path: Path, case: str) -> dict[str, Any]:
    path = write_pair(tmp_path)
    df = pd.read_csv(path).assign(row_id=lambda d: range(len(d)))
    df.to_csv(path, index=False)
    champ = df[["row_id", "y_true", "champion_score"]].rename(columns={"champion_score": "y_score"})
    if case == "missing file":
        return {"predictions": "nope.csv"}
    if case == "row count":
        champ.iloc[:-5].to_csv(tmp_path / "champ.csv", index=False)
        return {"predictions": "champ.csv"}
    if case == "unmatched key":
        champ.assign(row_id=champ.row_id + 10).to_csv(tmp_path / "champ.csv", index=False)
        return {"predictions": "champ.csv", "key": "row_id"}
    if case == "truth differs":
        champ.assign(y_true=1 - champ.y_true).to_csv(tmp_path / "champ.csv", index=False)
        return {"predictions": "champ.csv"}
    if case == "absent column":
        return {"columns": {"y_score": "champ_scor"}}
    champ.assign(y_score=np.where(champ.row_id == 3, np.nan, champ.y_score)).to_csv(
        tmp_path / "champ.csv", index=False
    )
    return {"predictions": "champ.csv"}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing file", "file not found"),
        ("row count", "1995 rows"),
        ("unmatched key", "have no champion row"),
        ("truth differs", "y_true differs"),
        ("absent column", "champ_scor"),
        ("empty score", "empty"),
    ],
)
def test_unusable_champion_is_an_error_that_fails(
    make_ctx: MakeCtx, tmp_path: Path, case: str, reason: str
) -> None:
    ctx = make_ctx(dossier(_broken(tmp_path, case)), policy=_POLICY)
    for spec in (CHAMPION, GROUP_REGRESSION):
        (f,) = findings(spec, ctx)
        assert f.outcome is Outcome.ERROR and f.counts_as_fail, f.message
        assert reason in f.message


def test_reported_metrics_only_is_at_best_a_warn(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_pair(tmp_path)
    auc = roc_auc_score(*pd.read_csv(tmp_path / "preds.csv")[["y_true", "y_score"]].T.to_numpy())
    better = make_ctx(dossier({"metrics": {"auc": auc - 0.05}}), policy=_POLICY)
    (f,) = findings(CHAMPION, better)
    assert f.outcome is Outcome.WARN and "no paired interval" in f.message
    worse = make_ctx(dossier({"metrics": {"auc": auc + 0.05}}), policy=_POLICY)
    assert findings(CHAMPION, worse)[0].outcome is Outcome.FAIL
    (g,) = findings(GROUP_REGRESSION, better)
    assert g.outcome is Outcome.MISSING


def test_absent_slice_column_is_an_error(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_pair(tmp_path)
    ctx = make_ctx(dossier({"columns": _COLUMNS}, slices=["segment"]), policy=_POLICY)
    outcomes = {f.outcome for f in findings(CHAMPION, ctx)}
    assert outcomes == {Outcome.PASS, Outcome.ERROR}


def test_no_sensitive_attributes_is_missing(make_ctx: MakeCtx, tmp_path: Path) -> None:
    write_pair(tmp_path)
    d = dossier({"columns": _COLUMNS})
    d["data"] = {}
    (f,) = findings(GROUP_REGRESSION, make_ctx(d, policy=_POLICY))
    assert f.outcome is Outcome.MISSING and "sensitive" in f.message


@pytest.mark.parametrize(
    ("no_champion", "expected"),
    [
        (None, Outcome.MISSING),  # neither declared: the comparison is missing
        ("TBD", Outcome.MISSING),  # a placeholder is no reason
        ("First release: no model serves this decision today.", Outcome.PASS),
    ],
)
def test_a_first_release_says_why_there_is_no_champion(
    make_ctx: MakeCtx, no_champion: str | None, expected: Outcome
) -> None:
    ctx = make_ctx(
        {
            "model": {"task": "binary_classification"},
            "performance": {"no_champion": no_champion},
            "data": {"sensitive_attributes": ["region"]},
        }
    )
    for spec in (CHAMPION, GROUP_REGRESSION):
        assert [f.outcome for f in findings(spec, ctx)] == [expected], spec.id


def test_candidate_predictions_on_a_spark_table_fail_closed(make_ctx: MakeCtx) -> None:
    # The pairing runs in DuckDB on files; a table is not silently skipped.
    d = dossier(
        {"columns": {"y_pred": "champion_pred", "y_score": "champion_score"}},
        predictions={"table": "main.ml.preds", "engine": "spark"},
    )
    for spec in (CHAMPION, GROUP_REGRESSION):
        (f,) = findings(spec, make_ctx(d))
        assert f.outcome is Outcome.ERROR and f.counts_as_fail, spec.id
        assert "Spark table" in f.message
