"""Predictions as a Spark table: the same frame, so the same verdicts and numbers, as a file.

The predictions reader runs one set of queries (the SELECT list, the text-sample query) on
DuckDB for a Parquet file and, translated, on a real Spark Connect server for a table holding
the same rows. Every statistic is computed from the frame those queries return, so each
predictions-based check must give the same outcome, message and measured numbers on both (the
file's name replaced by the table's). Bad tables give the file's one-line reasons.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from langgraph_gates.checks.base import run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.predictions import read_predictions, read_predictions_table
from langgraph_gates.evidence.spark_table import open_spark_table
from langgraph_gates.state import Finding, Outcome

from ..conftest import MakeCtx, run_one
from ..unit.tabular.conftest import write_parquet
from .conftest import MakeTable

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

PREDICTION_CHECKS = (
    "MP.SUCCESS_CRITERIA_MET",
    "MP.OVERFIT",
    "MP.BASELINE",
    "MP.CALIBRATION",
    "MP.SLICE_GAP",
    "RAI.DISPARATE_IMPACT",
    "RAI.EQUALIZED_ODDS",
    "RAI.GROUP_COVERAGE",
)
GROUPS = ["region", "age", "sex", "channel"]  # channel is absent: reported the same way


def _predictions(rows: int, seed: int) -> dict[str, Any]:
    """Binary predictions with splits (and their aliases), text and numeric groups, nulls."""
    rng = np.random.default_rng(seed)
    sex: list[str | None] = [str(v) for v in rng.choice(["f", "m", "x"], rows, p=[0.5, 0.47, 0.03])]
    for i in rng.choice(rows, rows // 40, replace=False):
        sex[i] = None  # its own group, "(missing)"
    region = rng.choice(["north", "south", "east", "west"], rows)
    y_true = (rng.random(rows) < 0.3).astype(int)
    # Weaker in the south and for x, so slices and fairness have something to find.
    noise = np.where(region == "south", 0.45, 0.25) + np.where(np.array(sex) == "x", 0.2, 0)
    score = np.clip(0.25 + 0.5 * y_true + rng.normal(0, noise), 0, 1)
    return {
        "y_true": y_true,
        "y_score": score,
        "y_pred": (score >= 0.5).astype(int),
        "split": rng.choice(["train", "Valid", "test", "holdout"], rows, p=[0.5, 0.2, 0.2, 0.1]),
        "region": region,
        "age": rng.integers(18, 90, rows),  # many levels: cut into quantile bins
        "sex": sex,
    }


def _dossier(predictions: Any) -> dict[str, Any]:
    return {
        "model": {"task": "binary_classification"},
        "problem": {
            "success_criteria": [
                {"metric": "roc_auc", "threshold": 0.8},
                {"metric": "accuracy", "threshold": 0.7},
            ]
        },
        "data": {"sensitive_attributes": ["sex", "age"]},
        "performance": {
            "predictions": predictions,
            "slices": ["region", "channel"],
            "baseline": {"metric": "roc_auc", "value": 0.75},
        },
    }


def _table_ref(name: str) -> dict[str, str]:
    return {"table": name, "engine": "spark"}


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("predictions")
    write_parquet(folder, "predictions.parquet", _predictions(2400, seed=5))
    return folder


@pytest.fixture(scope="module")
def table(evidence: Path, spark_table: MakeTable) -> str:
    return spark_table("preds_parity", evidence / "predictions.parquet")


def _findings(ctx: Any) -> list[Finding]:
    return [
        f for check in PREDICTION_CHECKS for f in run_check(check_spec(check), ctx, owner="owner")
    ]


def test_every_predictions_check_gives_the_same_finding_on_a_table(
    make_ctx: MakeCtx, evidence: Path, table: str, spark_remote: str
) -> None:
    on_file = _findings(make_ctx(_dossier("predictions.parquet"), base_dir=evidence))
    on_table = _findings(make_ctx(_dossier(_table_ref(table)), base_dir=evidence))
    assert [f.check_id for f in on_table] == [f.check_id for f in on_file]
    for local, remote in zip(on_file, on_table, strict=True):
        # The same frame gives the same numbers: compared exactly, as JSON, names aside.
        expected = local.model_dump_json().replace("predictions.parquet", f"spark:{table}")
        assert remote.model_dump_json() == expected, remote.check_id
    # The data exercise the checks rather than pass them; the one error is the absent slice.
    assert len({f.outcome for f in on_file}) >= 3
    errors = [f for f in on_table if f.outcome is Outcome.ERROR]
    assert [f.check_id for f in errors] == ["MP.SLICE_GAP"] and "channel" in errors[0].message
    slice_gap = next(f for f in on_table if f.check_id == "MP.SLICE_GAP" and f.measured)
    assert f"spark:{table}" in slice_gap.evidence[0].source


def _rows(frame: Any) -> list[tuple[Any, ...]]:
    """The frame's rows as sorted tuples (a table's row order is not the file's)."""
    columns = [frame.y_true, frame.y_pred, frame.y_score, frame.split]
    columns += [np.ma.filled(frame.groups[g].astype(object), None) for g in sorted(frame.groups)]
    return sorted(zip(*(c.tolist() for c in columns), strict=True), key=repr)


@pytest.mark.usefixtures("spark_remote")
def test_the_frame_is_the_same_on_both_engines(evidence: Path, table: str) -> None:
    local = read_predictions(
        evidence / "predictions.parquet", source="predictions.parquet", group_columns=GROUPS
    )
    remote = read_predictions_table(open_spark_table(table), max_rows=10_000, group_columns=GROUPS)
    assert (remote.rows, remote.columns, remote.absent) == (local.rows, local.columns, ["channel"])
    assert (
        remote.group_is_numeric
        == local.group_is_numeric
        == {"region": False, "age": True, "sex": False}
    )
    for name in ("y_true", "y_pred", "y_score", "split"):
        assert getattr(remote, name).dtype == getattr(local, name).dtype, name
    assert _rows(remote) == _rows(local)


@pytest.mark.usefixtures("spark_remote")
def test_a_table_over_the_row_cap_is_an_error(make_ctx: MakeCtx, table: str) -> None:
    ctx = make_ctx(
        _dossier(_table_ref(table)), policy={"performance": {"max_table_prediction_rows": 1000}}
    )
    finding = run_one(check_spec("MP.CALIBRATION"), ctx)
    assert finding.outcome is Outcome.ERROR
    assert "2,400 rows" in finding.message and "max_table_prediction_rows" in finding.message
    assert f"spark:{table}" in finding.message and "\n" not in finding.message


def _nan_score() -> dict[str, Any]:
    return {"y_true": [0, 1, 1], "y_score": np.array([0.1, math.nan, 0.9])}


BAD_TABLES: list[tuple[str, Any, str]] = [
    ("no prediction", {"y_true": [0, 1]}, "needs a y_pred or y_score"),
    ("text score", {"y_true": [0, 1], "y_score": ["low", "high"]}, "holds text ('low')"),
    ("text label", {"y_true": ["no", "yes"], "y_score": [0.1, 0.9]}, "y_true: holds text"),
    (
        "empty score",
        {"y_true": [0, 1, 1], "y_score": [0.1, None, 0.9]},
        "1 of 3 value(s) are empty",
    ),
    ("nan score", _nan_score(), "1 of 3 value(s) are NaN"),
    ("score > 1", {"y_true": [0, 1], "y_score": [0.1, 1.2]}, "outside [0, 1]"),
    ("one class", {"y_true": [1, 1, 1], "y_score": [0.1, 0.5, 0.9]}, "one class only"),
]


@pytest.mark.usefixtures("spark_remote")
@pytest.mark.parametrize(("name", "columns", "reason"), BAD_TABLES, ids=[b[0] for b in BAD_TABLES])
def test_a_bad_table_gives_the_files_reason(
    make_ctx: MakeCtx, tmp_path: Path, spark_table: MakeTable, name: str, columns: Any, reason: str
) -> None:
    write_parquet(tmp_path, "predictions.parquet", columns)
    table = spark_table(
        f"preds_bad_{name.replace(' ', '_').replace('>', 'gt')}", tmp_path / "predictions.parquet"
    )
    on_file = run_one(check_spec("MP.CALIBRATION"), make_ctx(_dossier("predictions.parquet")))
    on_table = run_one(check_spec("MP.CALIBRATION"), make_ctx(_dossier(_table_ref(table))))
    assert on_file.outcome is on_table.outcome is Outcome.ERROR
    assert reason in on_file.message
    assert on_table.message == on_file.message.replace("predictions.parquet", f"spark:{table}")


@pytest.mark.usefixtures("spark_remote")
def test_a_table_without_rows_is_an_error(
    make_ctx: MakeCtx, tmp_path: Path, spark_table: MakeTable
) -> None:
    schema = pa.schema([("y_true", pa.int64()), ("y_score", pa.float64())])
    pq.write_table(schema.empty_table(), tmp_path / "empty.parquet")
    table = spark_table("preds_empty", tmp_path / "empty.parquet")
    finding = run_one(check_spec("MP.SUCCESS_CRITERIA_MET"), make_ctx(_dossier(_table_ref(table))))
    assert finding.outcome is Outcome.ERROR
    assert f"spark:{table}" in finding.message and "no rows" in finding.message


@pytest.mark.usefixtures("spark_remote")
def test_a_missing_table_is_an_error_for_every_check(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_dossier(_table_ref("spark_catalog.default.no_such_predictions")))
    findings = _findings(ctx)
    assert {f.outcome for f in findings} == {Outcome.ERROR}
    assert all("no_such_predictions" in f.message and "\n" not in f.message for f in findings)
    assert ctx.evidence.failed.count("open-spark-table") == 1  # opened once, failure reused


@pytest.mark.usefixtures("spark_remote")
def test_a_table_rewritten_while_it_is_read_is_an_error(
    evidence: Path, tmp_path: Path, spark_table: MakeTable
) -> None:
    name = spark_table("preds_changing", evidence / "predictions.parquet")
    opened = open_spark_table(name)  # 2,400 rows counted here
    write_parquet(tmp_path, "fewer.parquet", _predictions(100, seed=6))
    spark_table("preds_changing", tmp_path / "fewer.parquet")  # rewritten before the read
    with pytest.raises(EvidenceError) as caught:
        read_predictions_table(opened, max_rows=10_000, group_columns=GROUPS)
    # Spark refuses the vanished files itself; the reader's own count check is the backstop.
    assert caught.value.source == f"spark:{name}" and "\n" not in caught.value.one_line()
