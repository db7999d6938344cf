"""Same data, same verdicts: the feature checks that read rows (FE.TARGET_LEAKAGE,
FE.SPLIT_OVERLAP, FE.PROXY) on Parquet files (DuckDB) and on the same rows as Spark tables.

The SQL of each statistic is written once and translated for Spark. What must agree, and how:

* overlap counts: identically (64-bit hashes of the same canonical values on both engines);
* below the sample size every labelled row is sampled on both engines, so numeric scores,
  categorical scores learned on training rows and scored on validation rows, and Cramér's V
  agree within ``EXACT`` (float summation order only);
* out-of-fold categorical scores (no validation data; the AUC of a categorical feature against
  a sensitive attribute) put rows in folds by a hash of the row key, which is a row number in a
  file and a row hash in a table: the folds differ, and the scores agree within ``FOLDS``, about
  three standard errors of an AUC on 3,000 rows. Measured on this data: at most 0.015 (leakage,
  categorical features, out-of-fold) and 0.003 (proxy AUCs);
* above the sample size the two engines sample different rows (a table has no row numbers):
  scores agree within ``SAMPLED``, about three standard errors on 1,000 rows. Measured: at most
  0.018.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Finding, Outcome

from ..conftest import MakeCtx, run_one
from ..unit.tabular.conftest import data_dossier, write_parquet
from .conftest import MakeTable, assert_same, spark_ref

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

EXACT = 1e-9
FOLDS = 0.03
SAMPLED = 0.06
CHECKS = ("FE.TARGET_LEAKAGE", "FE.SPLIT_OVERLAP", "FE.PROXY")
COPIED = 40  # training rows repeated in the validation data


def _columns(rows: int, seed: int) -> dict[str, Any]:
    """A leaky feature, a category tied to the label, a proxy of ``grp`` (numeric and not)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.3).astype(int)
    grp = rng.choice(["g1", "g2", "g3"], rows)
    level = np.array([int(g[1]) for g in grp])
    num: list[float | None] = list(rng.normal(0, 1, rows))
    for i in rng.choice(rows, rows // 20, replace=False):
        num[i] = float("nan") if i % 2 else None
    tied = np.where(
        rng.random(rows) < 0.7, np.where(y == 1, "p", "q"), rng.choice(["p", "q"], rows)
    )
    region = np.where(rng.random(rows) < 0.8, np.char.add("r", grp), rng.choice(["r1", "r4"], rows))
    cat: list[str | None] = [str(c) for c in rng.choice(list("abcdef"), rows)]
    for i in rng.choice(rows, rows // 50, replace=False):
        cat[i] = None
    return {
        "leak": y * 1.5 + rng.normal(0, 0.4, rows),
        "num": num,
        "cat": cat,
        "tied": [str(t) for t in tied],
        "zip": level * 10.0 + rng.normal(0, 4, rows),
        "region": [str(r) for r in region],
        "grp": [str(g) for g in grp],
        "y": y,
    }


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("features")
    train = _columns(3000, 11)
    fresh = _columns(800, 12)
    validation = {k: [*list(fresh[k]), *list(v)[:COPIED]] for k, v in train.items()}
    write_parquet(folder, "train.parquet", train)
    write_parquet(folder, "validation.parquet", validation)
    return folder


@pytest.fixture(scope="module")
def tables(evidence: Path, spark_table: MakeTable) -> dict[str, str]:
    return {
        n: spark_table(f"features_{n}", evidence / f"{n}.parquet") for n in ("train", "validation")
    }


def _both(
    make_ctx: MakeCtx,
    evidence: Path,
    tables: dict[str, str],
    *,
    validation: bool = True,
    policy: dict[str, Any] | None = None,
) -> tuple[dict[str, Finding], dict[str, Finding]]:
    """The three checks' findings on the files and on the tables."""

    def dossier(train: Any, valid: Any) -> dict[str, Any]:
        return data_dossier(
            train=train, validation=valid if validation else None, sensitive=["grp"]
        )

    files = make_ctx(
        dossier("train.parquet", "validation.parquet"), base_dir=evidence, policy=policy
    )
    spark = make_ctx(
        dossier(spark_ref(tables["train"]), spark_ref(tables["validation"])),
        base_dir=evidence,
        policy=policy,
    )
    checks = CHECKS if validation else CHECKS[::2]
    return (
        {c: run_one(check_spec(c), files) for c in checks},
        {c: run_one(check_spec(c), spark) for c in checks},
    )


def _names(tables: dict[str, str]) -> dict[str, str]:
    return {f"{n}.parquet": f"spark:{tables[n]}" for n in tables}


def _differences(duck: dict[str, Any], spark: dict[str, Any]) -> dict[str, float]:
    return {k: abs(float(duck[k]) - float(spark[k])) for k in duck}


def _proxy_aucs(finding: Finding) -> dict[str, float]:
    associations = finding.measured["associations"]
    assert isinstance(associations, dict)
    grp = associations["grp"]
    assert isinstance(grp, dict)
    return {f: s["auc"] for f, s in grp.items() if isinstance(s, dict) and s["auc"] is not None}


@pytest.mark.usefixtures("spark_remote")
def test_feature_checks_give_the_same_verdicts_on_duckdb_and_spark(
    make_ctx: MakeCtx, evidence: Path, tables: dict[str, str]
) -> None:
    on_duckdb, on_spark = _both(make_ctx, evidence, tables)
    for check in CHECKS:
        assert on_spark[check].outcome is on_duckdb[check].outcome, (check, on_spark[check].message)
        assert on_spark[check].outcome is not Outcome.ERROR, on_spark[check].message
    # The data are made to trip each check: a leak, copied rows, proxies of grp.
    assert on_duckdb["FE.TARGET_LEAKAGE"].outcome is Outcome.FAIL
    assert on_duckdb["FE.PROXY"].outcome is Outcome.WARN
    overlap = on_spark["FE.SPLIT_OVERLAP"].measured
    assert overlap["overlapping_rows"] == COPIED and overlap["validation_rows"] == 800 + COPIED
    names = _names(tables)
    assert_same(on_duckdb["FE.SPLIT_OVERLAP"].measured, overlap, "overlap", names)
    # Every row sampled, categories scored on the validation rows: the same scores.
    leak_duck, leak_spark = on_duckdb["FE.TARGET_LEAKAGE"], on_spark["FE.TARGET_LEAKAGE"]
    assert leak_spark.measured["categorical_scoring"] == "validation"
    assert_same(leak_duck.measured, leak_spark.measured, "leakage", names, EXACT)
    # Cramér's V exactly; the AUC of a category against grp is out-of-fold (other folds).
    proxy_duck, proxy_spark = on_duckdb["FE.PROXY"].measured, on_spark["FE.PROXY"].measured
    for feature, stats in proxy_duck["associations"]["grp"].items():  # type: ignore[index,union-attr]
        other = proxy_spark["associations"]["grp"][feature]  # type: ignore[index,call-overload]
        assert_same(stats["cramers_v"], other["cramers_v"], feature, tol=EXACT)
    aucs = _differences(_proxy_aucs(on_duckdb["FE.PROXY"]), _proxy_aucs(on_spark["FE.PROXY"]))
    assert aucs["zip"] <= EXACT and max(aucs.values()) <= FOLDS, aucs
    assert {p["feature"] for p in proxy_spark["proxies"]} >= {"zip", "region"}  # type: ignore[index,union-attr]


@pytest.mark.usefixtures("spark_remote")
def test_out_of_fold_scores_agree_within_the_stated_tolerance(
    make_ctx: MakeCtx, evidence: Path, tables: dict[str, str]
) -> None:
    on_duckdb, on_spark = _both(make_ctx, evidence, tables, validation=False)
    duck, spark = on_duckdb["FE.TARGET_LEAKAGE"], on_spark["FE.TARGET_LEAKAGE"]
    assert spark.outcome is duck.outcome and spark.measured["categorical_scoring"] == "out_of_fold"
    gaps = _differences(duck.measured["scores"], spark.measured["scores"])  # type: ignore[arg-type]
    assert max(gaps["leak"], gaps["num"]) <= EXACT, gaps  # by value: fold-free
    assert max(gaps.values()) <= FOLDS, gaps
    assert duck.measured["rows_sampled"] == spark.measured["rows_sampled"] == 3000


@pytest.mark.usefixtures("spark_remote")
def test_above_the_sample_size_the_samples_differ_but_not_the_verdicts(
    make_ctx: MakeCtx, evidence: Path, tables: dict[str, str]
) -> None:
    policy = {"features": {"leakage_sample_rows": 1000}}
    on_duckdb, on_spark = _both(make_ctx, evidence, tables, policy=policy)
    for check in CHECKS:
        assert on_spark[check].outcome is on_duckdb[check].outcome, (check, on_spark[check].message)
    duck, spark = on_duckdb["FE.TARGET_LEAKAGE"].measured, on_spark["FE.TARGET_LEAKAGE"].measured
    # About 1,000 of 3,000 rows on each engine, but not the same rows.
    assert abs(spark["rows_sampled"] - 1000) < 150 and spark["rows_sampled"] < 3000  # type: ignore[operator]
    gaps = _differences(duck["scores"], spark["scores"])  # type: ignore[arg-type]
    assert max(gaps.values()) <= SAMPLED, gaps
