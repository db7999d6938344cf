"""Spark tables end to end: ``gates review --spark-remote`` on the churn example's data as tables
on a real Spark Connect server, against the same review of the same rows as Parquet files.

Also the failures that need a live server: a table that does not exist, and data on two engines.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Outcome

from ..conftest import EXAMPLES, MakeCtx, run_one
from ..unit.tabular.conftest import data_dossier, write_parquet
from .conftest import MakeTable

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]

DATA = {"train": "train", "validation": "valid", "serving": "serving_sample"}


def _review(folder: Path, *extra: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "langgraph_gates", "review", "dossier.yaml", "--as-of", "2026-11-28",
         "--format", "json", "--no-progress", "--db", str(folder / "reviews.sqlite"), *extra],
        cwd=folder, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = next((folder / "workflow_outputs").glob("*.json"))
    return dict(json.loads(report.read_text()))


def _outcomes(report: dict[str, Any], gate: str) -> dict[str, str]:
    found = next(g for g in report["gates"] if g["id"] == gate)
    return {f["check_id"]: f["outcome"] for f in found["findings"]}


def _as_parquet(csv: Path) -> Path:
    """The predictions CSV as Parquet, read as the predictions reader reads a CSV (DuckDB)."""
    target = csv.with_suffix(".parquet")
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}', header = true)) TO '{target}'")
    return target


def test_a_dossier_of_spark_tables_reviews_end_to_end(
    tmp_path: Path, spark_table: MakeTable, spark_connect: Any
) -> None:
    """The issue's bar: data and predictions as tables, the same statuses as on the files."""
    files = tmp_path / "files"
    shutil.copytree(EXAMPLES / "churn", files)
    tables = tmp_path / "tables"
    shutil.copytree(EXAMPLES / "churn", tables)
    dossier = yaml.safe_load((tables / "dossier.yaml").read_text())
    for field, stem in DATA.items():
        name = spark_table(f"churn_{stem}", files / "data" / f"{stem}.parquet")
        dossier["data"][field] = {"table": name, "engine": "spark"}
    predictions = spark_table("churn_predictions", _as_parquet(files / "eval" / "predictions.csv"))
    dossier["performance"]["predictions"] = {"table": predictions, "engine": "spark"}
    (tables / "dossier.yaml").write_text(yaml.safe_dump(dossier, sort_keys=False))
    shutil.rmtree(tables / "data")  # nothing to read on this machine: the rows are on Spark
    (tables / "eval" / "predictions.csv").unlink()

    on_files = _review(files)
    on_spark = _review(tables, "--spark-remote", spark_connect.url)

    assert on_spark["recommendation"] == on_files["recommendation"]
    for gate in on_files["gates"]:
        on_tables = _outcomes(on_spark, gate["id"])
        assert on_tables == _outcomes(on_files, gate["id"]), gate["id"]
        assert "error" not in on_tables.values(), gate["id"]
    statuses = {g["id"]: g["status"] for g in on_spark["gates"]}
    assert statuses == {g["id"]: g["status"] for g in on_files["gates"]}
    # The rows that leakage, overlap, proxies and the predictions checks read came from Spark.
    text = json.dumps(on_spark)
    assert "spark:spark_catalog.default.churn_train" in text
    assert "spark:spark_catalog.default.churn_predictions" in text


@pytest.mark.usefixtures("spark_remote")
def test_a_missing_table_is_an_error_naming_it(make_ctx: MakeCtx) -> None:
    missing = {"table": "spark_catalog.default.no_such_table", "engine": "spark"}
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train=missing)))
    assert finding.outcome is Outcome.ERROR
    assert "TABLE_OR_VIEW_NOT_FOUND" in finding.message and "\n" not in finding.message


@pytest.mark.usefixtures("spark_remote")
def test_a_table_and_a_file_cannot_be_compared(
    make_ctx: MakeCtx, tmp_path: Path, spark_table: MakeTable
) -> None:
    columns = {"x": [float(i % 17) for i in range(200)], "y": [i % 2 for i in range(200)]}
    write_parquet(tmp_path, "serving.parquet", columns)
    train = spark_table("mixed_train", tmp_path / "serving.parquet")
    ctx = make_ctx(
        data_dossier(
            train={"table": train, "engine": "spark"},
            validation="serving.parquet",
            serving="serving.parquet",
        )
    )
    assert run_one(check_spec("DR.VOLUME"), ctx).outcome is not Outcome.ERROR
    for check in ("DR.DRIFT", "FE.SPLIT_OVERLAP"):  # row hashes of two engines never match
        finding = run_one(check_spec(check), ctx)
        assert finding.outcome is Outcome.ERROR, check
        assert "one engine" in finding.message and "\n" not in finding.message
    # Leakage needs no validation rows: it scores categories out-of-fold, and says why.
    leakage = run_one(check_spec("FE.TARGET_LEAKAGE"), ctx)
    assert leakage.outcome is not Outcome.ERROR, leakage.message
    assert leakage.measured["categorical_scoring"] == "out_of_fold"
    assert any("one engine" in n for n in leakage.measured["notes"])  # type: ignore[union-attr]


def test_a_token_against_a_plaintext_server_fails_in_seconds_not_minutes(
    spark_connect: Any,
) -> None:
    """A ``;token=`` URL makes the client speak TLS; the local server does not: a one-line
    error after a short back-off (the client's own policy retries for 10 minutes or more)."""
    from langgraph_gates.errors import EvidenceError
    from langgraph_gates.evidence.spark_table import open_spark_table

    with pytest.raises(EvidenceError) as raised:
        open_spark_table("spark_catalog.default.t", remote=f"{spark_connect.url}/;token=s3cret")
    message = raised.value.one_line()
    assert "TLS" in message and "\n" not in message
    assert "InactiveRpcError" not in message  # the gRPC status and details, not its repr
    assert "s3cret" not in message
