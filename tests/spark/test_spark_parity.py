"""Same data, same verdicts: the data readiness checks on Parquet files (DuckDB) and on the same
rows as tables on a real Spark Connect server (the profile's SQL transpiled to Spark SQL).

Counts must be identical. PSI must agree within ``PSI_TOLERANCE``: both engines cut the bin
edges with the same definition (linear interpolation between order statistics, DuckDB's
``quantile_cont`` and Spark's exact ``percentile``) on the same rows (below
``quantile_sample_rows`` every row is used), so only float summation order can differ.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from langgraph_gates.checks._loaders import serving_profile, train_profile, validation_profile
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Finding

from ..conftest import MakeCtx, run_one
from ..unit.tabular.conftest import data_dossier, write_parquet
from .conftest import MakeTable, assert_same, spark_ref

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

AS_OF = dt.date(2026, 11, 28)
PSI_TOLERANCE = 1e-9
DATA_CHECKS = (
    "DR.COLUMNS",
    "DR.VOLUME",
    "DR.BALANCE",
    "DR.MISSINGNESS",
    "DR.FRESHNESS",
    "DR.DUPLICATES",
    "DR.SCHEMA",
    "DR.DRIFT",
)


def _columns(rows: int, seed: int, *, shift: float = 0.0, unseen: bool = False) -> dict[str, Any]:
    """Mixed columns: floats with NaN and nulls, integers, text with nulls, booleans, times."""
    rng = np.random.default_rng(seed)
    x1: list[float | None] = list(rng.normal(shift, 1.0, rows))
    for i in rng.choice(rows, rows // 20, replace=False):
        x1[i] = math.nan if i % 2 else None
    cats = ["a", "b", "c", "d", "e", "f"] + (["zz"] if unseen else [])
    cat: list[str | None] = [str(v) for v in rng.choice(cats, rows)]
    for i in rng.choice(rows, rows // 50, replace=False):
        cat[i] = None
    start = dt.datetime(2026, 10, 1)
    ts = [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 50, rows)]
    return {
        "id": np.arange(rows),
        "x1": x1,
        "x2": rng.integers(0, 40, rows),
        "cat": cat,
        "flag": [bool(v) for v in rng.integers(0, 2, rows)],
        "ts": ts,
        "y": (rng.random(rows) < 0.12).astype(int),
    }


def _with_duplicates(columns: dict[str, Any], copies: int) -> dict[str, Any]:
    return {k: [*list(v), *list(v)[:copies]] for k, v in columns.items()}


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parity")
    train = _columns(3000, 1)
    train.pop("id")  # duplicates are whole-row copies: an id column would make every row unique
    write_parquet(folder, "train.parquet", _with_duplicates(train, 90))
    write_parquet(folder, "validation.parquet", _columns(800, 2))
    write_parquet(folder, "serving.parquet", _columns(2000, 3, shift=0.4, unseen=True))
    return folder


def _dossier(train: Any, validation: Any, serving: Any) -> dict[str, Any]:
    return data_dossier(
        train=train, validation=validation, serving=serving, timestamp="ts", key=["x1", "cat"]
    )


@pytest.fixture(scope="module")
def tables(evidence: Path, spark_table: MakeTable) -> dict[str, str]:
    return {n: spark_table(f"parity_{n}", evidence / f"{n}.parquet") for n in ("train", "validation", "serving")}


def _findings(ctx: Any) -> dict[str, Finding]:
    return {check: run_one(check_spec(check), ctx) for check in DATA_CHECKS}


def test_data_readiness_gives_the_same_verdicts_on_duckdb_and_spark(
    make_ctx: MakeCtx, evidence: Path, tables: dict[str, str], spark_remote: str
) -> None:
    files = make_ctx(
        _dossier("train.parquet", "validation.parquet", "serving.parquet"),
        base_dir=evidence,
        as_of=AS_OF,
    )
    spark = make_ctx(
        _dossier(*(spark_ref(tables[n]) for n in ("train", "validation", "serving"))),
        base_dir=evidence,
        as_of=AS_OF,
    )
    on_duckdb, on_spark = _findings(files), _findings(spark)
    names = {f"{n}.parquet": f"spark:{tables[n]}" for n in tables}
    for check in DATA_CHECKS:
        assert on_spark[check].outcome is on_duckdb[check].outcome, (check, on_spark[check].message)
        assert_same(on_duckdb[check].measured, on_spark[check].measured, check, names, PSI_TOLERANCE)
    # The data are made to exercise the checks, not to pass them: several outcomes appear.
    assert len({f.outcome for f in on_duckdb.values()}) >= 3
    assert on_duckdb["DR.DRIFT"].measured, "drift measured nothing"


def test_profiles_agree_statistic_by_statistic(
    make_ctx: MakeCtx, evidence: Path, tables: dict[str, str], spark_remote: str
) -> None:
    files = make_ctx(
        _dossier("train.parquet", "validation.parquet", "serving.parquet"), base_dir=evidence
    )
    spark = make_ctx(
        _dossier(*(spark_ref(tables[n]) for n in ("train", "validation", "serving"))),
        base_dir=evidence,
    )
    for load in (train_profile, validation_profile, serving_profile):
        local, remote = load(files), load(spark)
        assert local is not None and remote is not None
        assert remote.format == "spark" and remote.source.startswith("spark:")
        skip = {"source", "format", "reference_source", "notes"}
        assert_same(
            local.model_dump(exclude=skip),
            remote.model_dump(exclude=skip),
            load.__name__,
            tol=PSI_TOLERANCE,
        )
    train = train_profile(spark)
    assert train is not None and train.duplicate_rows == 90
    assert train.label is not None and sum((train.label.classes or {}).values()) == 3090


@pytest.mark.usefixtures("spark_remote")
def test_fetchnumpy_reads_a_spark_result_as_duckdb_reads_a_file(
    tmp_path: Path, spark_table: MakeTable
) -> None:
    """The samples that leakage and proxies read come back in DuckDB's shape on both engines."""
    import duckdb

    from langgraph_gates.evidence.engine import run_scan
    from langgraph_gates.evidence.spark_table import open_spark_table

    path = tmp_path / write_parquet(tmp_path, "mixed.parquet", _columns(300, seed=7))
    table = open_spark_table(spark_table("fetch_mixed", path))
    query = "SELECT x1, x2, cat, flag, hash(x2, cat) AS h FROM {rel} ORDER BY id"
    on_spark = run_scan(
        [table], lambda con: con.execute(query.format(rel=table.relation)).fetchnumpy()
    )
    on_duck = duckdb.sql(query.format(rel=f"read_parquet('{path}')")).fetchnumpy()
    assert set(on_spark) == set(on_duck)
    for name, fill in (("x1", 0.0), ("x2", 0), ("cat", ""), ("flag", False)):
        spark_col, duck_col = on_spark[name], on_duck[name]
        assert np.ma.getmaskarray(spark_col).tolist() == np.ma.getmaskarray(duck_col).tolist()
        assert np.ma.filled(spark_col, fill).astype(str).tolist() == (
            np.ma.filled(duck_col, fill).astype(str).tolist()
        ), name
    # A row hash is an unsigned 64-bit number on both engines (other functions, same range).
    assert on_spark["h"].dtype == np.uint64 and on_duck["h"].dtype == np.uint64
    assert len(set(on_spark["h"].tolist())) == len(set(on_duck["h"].tolist()))
