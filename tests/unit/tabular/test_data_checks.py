"""Data readiness checks at and around each policy threshold, on small real files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Outcome

from ...conftest import MakeCtx, edges, run_one
from .conftest import WriteTable, data_dossier

AS_OF = dt.date(2026, 11, 28)


def _labels(counts: dict[int, int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(n, k) for k, n in counts.items()])
    return rng.permutation(y)


# --- DR.VOLUME ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minority", "outcome"),
    [
        *edges(1000, Outcome.FAIL, Outcome.WARN, Outcome.WARN),
        *edges(10_000, Outcome.WARN, Outcome.PASS, Outcome.PASS),
    ],
)
def test_volume_per_class(
    make_ctx: MakeCtx, parquet: WriteTable, minority: int, outcome: Outcome
) -> None:
    y = _labels({0: 12_000, 1: minority})
    name = parquet("train.parquet", {"x": np.arange(y.size, dtype=float), "y": y})
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train=name)))
    assert finding.outcome is outcome
    assert finding.measured["min_class_count"] == minority
    assert finding.measured["class_counts"] == {"0": 12_000, "1": minority}
    assert finding.threshold is not None and finding.threshold.metric == "rows_per_class"


@pytest.mark.parametrize(
    ("rows", "outcome"), [(999, Outcome.FAIL), (1000, Outcome.WARN), (10_000, Outcome.PASS)]
)
def test_volume_in_rows_for_regression(
    make_ctx: MakeCtx, parquet: WriteTable, rows: int, outcome: Outcome
) -> None:
    name = parquet("train.parquet", {"x": np.arange(rows, dtype=float), "y": np.ones(rows)})
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train=name, task="regression")))
    assert finding.outcome is outcome
    assert finding.measured["rows"] == rows
    undeclared = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train=name, task=None)))
    assert "not declared" in undeclared.message and undeclared.outcome is outcome


def test_volume_counts_unlabelled_rows(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    y: list[int | None] = [0] * 1500 + [1] * 1200 + [None] * 30
    name = parquet("train.parquet", {"x": list(range(len(y))), "y": y})
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train=name)))
    assert finding.measured["unlabelled_rows"] == 30
    assert finding.measured["class_counts"] == {"0": 1500, "1": 1200}
    assert finding.outcome is Outcome.WARN


# --- DR.BALANCE ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minority", "outcome"),
    # exactly 1% (100) is not below the fail line
    [
        *edges(100, Outcome.FAIL, Outcome.WARN, Outcome.WARN),
        *edges(500, Outcome.WARN, Outcome.PASS, Outcome.PASS),
    ],
)
def test_balance(make_ctx: MakeCtx, parquet: WriteTable, minority: int, outcome: Outcome) -> None:
    y = _labels({0: 10_000 - minority, 1: minority})
    name = parquet("train.parquet", {"x": np.zeros(y.size), "y": y})
    finding = run_one(check_spec("DR.BALANCE"), make_ctx(data_dossier(train=name)))
    assert finding.outcome is outcome
    assert finding.measured["minority_share"] == pytest.approx(minority / 10_000)
    assert finding.measured["minority_class"] == "1"


def test_balance_applies_to_classification_only(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    name = parquet("train.parquet", {"x": [1.0, 2.0], "y": [0.5, 1.5]})
    assert run_one(check_spec("DR.BALANCE"), make_ctx(data_dossier(train=name, task="regression"))).outcome is (
        Outcome.PASS
    )
    assert run_one(check_spec("DR.BALANCE"), make_ctx(data_dossier(train=name, task=None))).outcome is (
        Outcome.MISSING
    )


def test_multiclass_balance_three_percent_warns(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    y = _labels({0: 5000, 1: 4700, 2: 300})
    name = parquet("train.parquet", {"x": np.zeros(y.size), "y": y})
    finding = run_one(
        check_spec("DR.BALANCE"), make_ctx(data_dossier(train=name, task="multiclass_classification"))
    )
    assert finding.measured["minority_class"] == "2"
    assert finding.measured["minority_share"] == pytest.approx(0.03)
    assert finding.outcome is Outcome.WARN


# --- DR.MISSINGNESS -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_missing", "outcome"),
    # exactly 10% (100) is not above the warn line
    [
        *edges(100, Outcome.PASS, Outcome.PASS, Outcome.WARN),
        *edges(300, Outcome.WARN, Outcome.WARN, Outcome.FAIL),
    ],
)
def test_missingness_of_a_key_feature(
    make_ctx: MakeCtx, parquet: WriteTable, n_missing: int, outcome: Outcome
) -> None:
    key: list[float | None] = [None] * n_missing + [1.0] * (1000 - n_missing)
    other: list[float | None] = [None] * 600 + [2.0] * 400  # not key: not judged
    name = parquet("train.parquet", {"k": key, "o": other, "y": [0, 1] * 500})
    finding = run_one(check_spec("DR.MISSINGNESS"), make_ctx(data_dossier(train=name, key=["k"])))
    assert finding.outcome is outcome
    fractions = finding.measured["missing_fraction"]
    assert fractions == {"k": pytest.approx(n_missing / 1000), "o": pytest.approx(0.6)}
    assert finding.measured["judged_features"] == ["k"]
    # Without key features every feature is judged, and o's 60% fails.
    everything = run_one(check_spec("DR.MISSINGNESS"), make_ctx(data_dossier(train=name)))
    assert everything.outcome is Outcome.FAIL and everything.measured["worst_feature"] == "o"


def test_an_absent_key_feature_fails(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    name = parquet("train.parquet", {"a": [1.0, 2.0], "y": [0, 1]})
    finding = run_one(check_spec("DR.MISSINGNESS"), make_ctx(data_dossier(train=name, key=["a", "ghost"])))
    assert finding.outcome is Outcome.FAIL
    assert finding.measured["absent_key_features"] == ["ghost"]
    assert "ghost" in finding.message


# --- DR.FRESHNESS -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_old", "outcome"),
    [*edges(183, Outcome.PASS, Outcome.PASS, Outcome.WARN), (-1, Outcome.PASS)],
)
def test_freshness(make_ctx: MakeCtx, parquet: WriteTable, days_old: int, outcome: Outcome) -> None:
    newest = dt.datetime.combine(AS_OF - dt.timedelta(days=days_old), dt.time(12, 0))
    stamps = [newest - dt.timedelta(days=i) for i in range(100)]
    name = parquet("train.parquet", {"ts": stamps, "x": list(range(100)), "y": [0, 1] * 50})
    finding = run_one(
        check_spec("DR.FRESHNESS"), make_ctx(data_dossier(train=name, timestamp="ts"), as_of=AS_OF)
    )
    assert finding.outcome is outcome
    assert finding.measured["age_days"] == days_old
    assert finding.measured["newest"] == newest.replace(tzinfo=dt.UTC).isoformat()


def test_future_timestamps_are_a_finding(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    stamps = [dt.datetime(2026, 12, 5), dt.datetime(2026, 1, 1)]
    name = parquet("train.parquet", {"ts": stamps, "y": [0, 1]})
    finding = run_one(
        check_spec("DR.FRESHNESS"), make_ctx(data_dossier(train=name, timestamp="ts"), as_of=AS_OF)
    )
    assert finding.outcome is Outcome.WARN
    assert "7 days after the review date" in finding.message


def test_freshness_from_text_dates_and_sources(
    make_ctx: MakeCtx, raw: Callable[[str, str], str]
) -> None:
    raw("t.csv", "when,y\n2026-01-01,0\nnot a date,1\n2026-02-01,1\n")
    # A column of mixed text: parsed where possible, the rest counted.
    finding = run_one(
        check_spec("DR.FRESHNESS"), make_ctx(data_dossier(train="t.csv", timestamp="when"), as_of=AS_OF)
    )
    assert finding.measured["newest"] == "2026-02-01T00:00:00+00:00"
    assert finding.measured["unparseable_values"] == 1
    assert finding.outcome is Outcome.WARN  # 300 days old
    raw("bad.csv", "when,y\nsoon,0\nlater,1\n")
    bad = run_one(
        check_spec("DR.FRESHNESS"), make_ctx(data_dossier(train="bad.csv", timestamp="when"), as_of=AS_OF)
    )
    assert bad.outcome is Outcome.ERROR and "no value parses" in bad.message
    sources = {"data": {"sources": [{"name": "crm", "owner": "x", "refreshed": "2026-11-01"}]}}
    from_sources = run_one(check_spec("DR.FRESHNESS"), make_ctx(sources, as_of=AS_OF))
    assert from_sources.outcome is Outcome.PASS and from_sources.measured["age_days"] == 27
    assert run_one(check_spec("DR.FRESHNESS"), make_ctx({}, as_of=AS_OF)).outcome is Outcome.MISSING


# --- DR.SCHEMA ----------------------------------------------------------------------------


def _schema(
    make_ctx: MakeCtx, tmp_path: Path, serving: pd.DataFrame, **policy: str
) -> tuple[Outcome, dict[str, object]]:
    train = pd.DataFrame({"id": [1, 2], "a": [1.0, 2.0], "b": ["x", "y"], "t": [1, 2], "y": [0, 1]})
    train.to_parquet(tmp_path / "train.parquet")
    serving.to_parquet(tmp_path / "serving.parquet")
    ctx = make_ctx(
        data_dossier(
            train="train.parquet", serving="serving.parquet", excluded=["id"], timestamp="t"
        ),
        policy={"data": policy} if policy else None,
    )
    finding = run_one(check_spec("DR.SCHEMA"), ctx)
    return finding.outcome, finding.measured


def test_schema(make_ctx: MakeCtx, tmp_path: Path) -> None:
    same = pd.DataFrame({"a": [3, 4], "b": ["z", "x"]})  # int vs float: the same family
    assert _schema(make_ctx, tmp_path, same)[0] is Outcome.PASS
    outcome, measured = _schema(make_ctx, tmp_path, pd.DataFrame({"a": [1.0]}))
    assert outcome is Outcome.FAIL and measured["missing_in_serving"] == ["b"]
    outcome, measured = _schema(make_ctx, tmp_path, pd.DataFrame({"a": ["1"], "b": ["x"]}))
    assert outcome is Outcome.FAIL and "a" in measured["type_mismatches"]  # type: ignore[operator]
    extra = pd.DataFrame({"a": [1.0], "b": ["x"], "request_id": ["r1"]})
    outcome, measured = _schema(make_ctx, tmp_path, extra)
    assert outcome is Outcome.WARN and measured["extra_in_serving"] == ["request_id"]
    assert _schema(make_ctx, tmp_path, extra, schema_extra_columns="fail")[0] is Outcome.FAIL
    assert _schema(make_ctx, tmp_path, extra, schema_extra_columns="ignore")[0] is Outcome.PASS
    empty = pd.DataFrame({"a": [None, None], "b": ["x", "y"]}, dtype=object)
    outcome, measured = _schema(make_ctx, tmp_path, empty)
    assert outcome is Outcome.WARN and measured["empty_in_serving"] == ["a"]


def test_schema_and_drift_without_serving_are_missing(
    make_ctx: MakeCtx, parquet: WriteTable
) -> None:
    name = parquet("train.parquet", {"a": [1.0], "y": [1]})
    ctx = make_ctx(data_dossier(train=name))
    assert run_one(check_spec("DR.SCHEMA"), ctx).outcome is Outcome.MISSING
    assert run_one(check_spec("DR.DRIFT"), ctx).outcome is Outcome.MISSING


# --- DR.DUPLICATES ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("copies", "outcome"),
    edges(50, Outcome.PASS, Outcome.PASS, Outcome.WARN),
)
def test_duplicates(make_ctx: MakeCtx, parquet: WriteTable, copies: int, outcome: Outcome) -> None:
    unique = 1000 - copies
    x = list(range(unique)) + list(range(copies))  # each copy repeats an earlier row
    ids = list(range(1000))  # a unique id, excluded, must not hide the copies
    name = parquet("train.parquet", {"id": ids, "x": x, "y": [v % 2 for v in x]})
    finding = run_one(check_spec("DR.DUPLICATES"), make_ctx(data_dossier(train=name, excluded=["id"])))
    assert finding.outcome is outcome
    assert finding.measured["duplicate_rows"] == copies
    assert finding.measured["ignored_columns"] == ["id"]
