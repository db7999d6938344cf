"""MP.CHAMPION and RAI.GROUP_REGRESSION when the candidate's predictions are a Spark table.

The champion comparison pairs the rows and runs the Poisson paired bootstrap as SQL; on a table
the same SQL runs translated on a real Spark Connect server. The point estimates (every row's
weight is 1) are the same numbers as on the Parquet file holding the same rows. The replicate
weights are not: they come from ``hash(row id, replicate, seed)``, which is DuckDB's hash on a
file and xxhash64 on Spark (and a table's row id is its rank by row hash, a file's its row
number), so the intervals are two independent bootstraps of the same rows and agree within
bootstrap error only: each bound within half the file's interval width (:data:`INTERVAL_TOL`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from langgraph_gates.checks.base import run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.evidence.champion import (
    BootstrapSettings,
    ChampionComparison,
    ChampionSource,
    MetricChange,
    compare_champion,
)
from langgraph_gates.evidence.spark_table import open_spark_table
from langgraph_gates.state import Outcome

from ..conftest import MakeCtx, run_one
from ..unit.tabular.conftest import write_parquet
from .conftest import MakeTable, spark_ref

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

CHECKS = ("MP.CHAMPION", "RAI.GROUP_REGRESSION")
SAMPLES = 60
POLICY = {"champion": {"bootstrap_samples": SAMPLES}}
COLUMNS = {"y_pred": "champion_pred", "y_score": "champion_score"}
INTERVAL_TOL = 0.5
"""Each interval bound: within this share of the file's interval width (bootstrap error)."""


def _scores(rng: np.random.Generator, y: np.ndarray, skill: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(skill * (2 * y - 1) + rng.normal(0, 1, len(y)))))


def _predictions(rows: int, seed: int) -> dict[str, Any]:
    """A better candidate overall that is much worse than the champion in the south."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east"], rows)
    y = rng.integers(0, 2, rows)
    cand = _scores(rng, y, 1.4)
    south = region == "south"
    cand[south] = _scores(rng, y[south], 0.1)
    champ = _scores(rng, y, 1.0)
    sex: list[str | None] = [str(v) for v in rng.choice(["f", "m"], rows)]
    for i in rng.choice(rows, rows // 50, replace=False):
        sex[i] = None  # its own group, "(missing)"
    return {
        "y_true": y,
        "y_score": cand,
        "y_pred": (cand >= 0.5).astype(int),
        "champion_score": champ,
        "champion_pred": (champ >= 0.5).astype(int),
        "split": rng.choice(["train", "test"], rows, p=[0.3, 0.7]),
        "region": region,
        "sex": sex,
    }


def _dossier(predictions: Any, champion: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "model": {"name": "m", "version": "2", "task": "binary_classification"},
        "problem": {
            "success_criteria": [
                {"metric": "roc_auc", "threshold": 0.0},
                {"metric": "accuracy", "threshold": 0.0},
            ]
        },
        "data": {"sensitive_attributes": ["region"]},
        "performance": {
            "predictions": predictions,
            "slices": ["sex"],
            "champion": champion or {"name": "m", "version": "1", "columns": COLUMNS},
        },
    }


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory, spark_table: MakeTable) -> tuple[Path, str]:
    """The predictions as a Parquet file (its folder) and as a Spark table (its name)."""
    folder = tmp_path_factory.mktemp("champion")
    write_parquet(folder, "predictions.parquet", _predictions(3000, seed=11))
    return folder, spark_table("champion_parity", folder / "predictions.parquet")


def _compare(candidate: Any) -> ChampionComparison:
    return compare_champion(
        candidate,
        ChampionSource(None, None, "champion_pred", "champion_score"),
        task="binary_classification",
        metrics=["roc_auc", "accuracy"],
        group_columns=["region", "sex"],
        settings=BootstrapSettings(samples=SAMPLES, seed=0, auc_bins=500),
        level=0.95,
        null_values=[],
    )


def _assert_close(local: MetricChange, remote: MetricChange, where: str) -> None:
    assert remote.metric == local.metric, where
    for name in ("candidate", "champion", "improvement"):
        a, b = getattr(local, name), getattr(remote, name)
        assert a is not None and b is not None, (where, name)
        assert abs(a - b) <= 1e-9, (where, name, a, b)
    assert local.low is not None and local.high is not None, where
    assert remote.low is not None and remote.high is not None, where
    tol = INTERVAL_TOL * (local.high - local.low)
    assert abs(remote.low - local.low) <= tol, (where, "low", local.low, remote.low, tol)
    assert abs(remote.high - local.high) <= tol, (where, "high", local.high, remote.high, tol)


@pytest.mark.usefixtures("spark_remote")
def test_the_comparison_is_the_same_on_a_table(evidence: tuple[Path, str]) -> None:
    folder, table = evidence
    local = _compare((folder / "predictions.parquet", "predictions.parquet"))
    remote = _compare(open_spark_table(table))
    assert (remote.rows, remote.split, remote.samples) == (local.rows, "test", SAMPLES)
    assert remote.source == f"spark:{table}"
    assert remote.champion_source == f"spark:{table} (champion columns)"
    assert remote.unsupported == local.unsupported == {}
    for a, b in zip(local.overall, remote.overall, strict=True):
        _assert_close(a, b, f"overall {a.metric}")
    keys = [(g.column, g.group, g.rows) for g in local.groups]
    assert [(g.column, g.group, g.rows) for g in remote.groups] == keys
    assert ("sex", "(missing)") in {k[:2] for k in keys}
    for g_local, g_remote in zip(local.groups, remote.groups, strict=True):
        for a, b in zip(g_local.metrics, g_remote.metrics, strict=True):
            _assert_close(a, b, f"{g_local.column}={g_local.group} {a.metric}")


@pytest.mark.usefixtures("spark_remote")
def test_both_checks_give_the_same_outcomes_on_a_table(
    make_ctx: MakeCtx, evidence: tuple[Path, str]
) -> None:
    folder, table = evidence
    on_file = make_ctx(_dossier("predictions.parquet"), policy=POLICY, base_dir=folder)
    on_table = make_ctx(_dossier(spark_ref(table)), policy=POLICY, base_dir=folder)
    for check in CHECKS:
        local = run_check(check_spec(check), on_file, owner="owner")
        remote = run_check(check_spec(check), on_table, owner="owner")
        assert [f.outcome for f in remote] == [f.outcome for f in local], check
        assert all(f"spark:{table}" in f.evidence[0].source for f in remote), check
    # The south is far worse than the champion: both checks find it, on both engines.
    regression = run_one(check_spec("RAI.GROUP_REGRESSION"), on_table)
    assert regression.outcome is Outcome.FAIL and "region=south" in regression.message


@pytest.mark.usefixtures("spark_remote")
def test_a_champion_file_with_a_candidate_table_is_an_error(
    make_ctx: MakeCtx, evidence: tuple[Path, str]
) -> None:
    folder, table = evidence
    champion = {"predictions": "predictions.parquet", "key": "y_score"}
    ctx = make_ctx(_dossier(spark_ref(table), champion), policy=POLICY, base_dir=folder)
    for check in CHECKS:
        finding = run_one(check_spec(check), ctx)
        assert finding.outcome is Outcome.ERROR, finding.message
        assert "two engines" in finding.message and "\n" not in finding.message
