"""A Spark table that cannot be used fails closed, with one line, before any server is needed.

Each way in gives an ``error`` finding (never ``missing`` or ``pass``): no server configured,
a server that does not answer, a URL that is not Spark Connect's, and the same for the checks
that read rows themselves (leakage, overlap, proxies); predictions from a table do not run on
Spark yet. The failures that need a live server (a missing table, data on two engines) are in
tests/spark.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Outcome

from ...conftest import MakeCtx, run_one
from .conftest import WriteTable, data_dossier

TABLE = {"table": "spark_catalog.default.train", "engine": "spark"}


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # released on exit: nothing listens there


@pytest.fixture
def no_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATES_SPARK_REMOTE", raising=False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)


@pytest.mark.usefixtures("no_remote")
@pytest.mark.parametrize("check", ["DR.VOLUME", "DR.MISSINGNESS", "DR.DUPLICATES"])
def test_a_table_without_a_configured_server_is_an_error(make_ctx: MakeCtx, check: str) -> None:
    finding = run_one(check_spec(check), make_ctx(data_dossier(train=TABLE)))
    assert finding.outcome is Outcome.ERROR
    assert "--spark-remote" in finding.message and "GATES_SPARK_REMOTE" in finding.message
    assert "\n" not in finding.message


@pytest.mark.usefixtures("no_remote")
def test_a_server_that_does_not_answer_is_an_error(
    make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARK_REMOTE", f"sc://127.0.0.1:{_closed_port()}/;token=hunter2")
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train=TABLE)))
    assert finding.outcome is Outcome.ERROR
    assert "cannot be reached" in finding.message
    assert "hunter2" not in finding.message  # the URL's parameters may hold a token


@pytest.mark.usefixtures("no_remote")
def test_gates_spark_remote_wins_over_spark_remote(
    make_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATES_SPARK_REMOTE", "http://127.0.0.1:1")
    monkeypatch.setenv("SPARK_REMOTE", f"sc://127.0.0.1:{_closed_port()}")
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train=TABLE)))
    assert finding.outcome is Outcome.ERROR
    assert "is not a Spark Connect URL" in finding.message


@pytest.mark.usefixtures("no_remote")
@pytest.mark.parametrize(
    ("check", "dossier"),
    [
        ("FE.SPLIT_OVERLAP", {"train": TABLE, "validation": "validation.parquet"}),
        ("FE.SPLIT_OVERLAP", {"train": "train.parquet", "validation": TABLE}),
        ("FE.TARGET_LEAKAGE", {"train": TABLE}),
        ("FE.PROXY", {"train": TABLE, "sensitive": ["s"]}),
    ],
)
def test_checks_that_read_rows_need_a_server_for_a_table(
    make_ctx: MakeCtx, parquet: WriteTable, check: str, dossier: dict[str, Any]
) -> None:
    for name in ("train.parquet", "validation.parquet"):
        parquet(name, {"x": [float(i) for i in range(40)], "y": [i % 2 for i in range(40)]})
    finding = run_one(check_spec(check), make_ctx(data_dossier(**dossier)))
    assert finding.outcome is Outcome.ERROR
    assert "needs a Spark Connect server" in finding.message and "\n" not in finding.message


@pytest.mark.usefixtures("no_remote")
def test_an_unusable_validation_table_leaves_leakage_scored_out_of_fold(
    make_ctx: MakeCtx, parquet: WriteTable
) -> None:
    # As an unreadable validation file does: the training rows alone still score every feature.
    parquet("train.parquet", {"c": [str(i % 3) for i in range(60)], "y": [i % 2 for i in range(60)]})
    ctx = make_ctx(data_dossier(train="train.parquet", validation=TABLE))
    finding = run_one(check_spec("FE.TARGET_LEAKAGE"), ctx)
    assert finding.outcome is not Outcome.ERROR, finding.message
    assert finding.measured["categorical_scoring"] == "out_of_fold"


@pytest.mark.usefixtures("no_remote")
@pytest.mark.parametrize(
    "check", ["MP.CALIBRATION", "MP.SUCCESS_CRITERIA_MET", "RAI.DISPARATE_IMPACT"]
)
def test_predictions_from_a_table_need_a_server(make_ctx: MakeCtx, check: str) -> None:
    dossier = {
        "model": {"task": "binary_classification"},
        "problem": {"success_criteria": [{"metric": "roc_auc", "threshold": 0.8}]},
        "data": {"sensitive_attributes": ["sex"]},
        "performance": {"predictions": {"table": "cat.db.preds", "engine": "spark"}},
    }
    finding = run_one(check_spec(check), make_ctx(dossier))
    assert finding.outcome is Outcome.ERROR
    assert "spark:cat.db.preds" in finding.message and "--spark-remote" in finding.message
    assert "\n" not in finding.message
