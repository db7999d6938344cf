"""The tabular evidence engine: profiles against pandas, caching, bad files, determinism."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from langgraph_gates.checks.base import CheckContext, run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence import _duck
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.evidence.tabular import open_table, profile_table, type_family
from langgraph_gates.gates.data_readiness import SPEC as DATA_GATE
from langgraph_gates.gates.feature_engineering import SPEC as FEATURE_GATE
from langgraph_gates.policy import Policy
from langgraph_gates.state import Finding, Outcome

from ...conftest import MakeCtx, run_one
from .conftest import WriteTable, data_dossier

TABULAR_CHECKS = [
    *(c for c in DATA_GATE.checks if c.id not in ("DR.SOURCES", "DR.LABEL_QC")),
    *(c for c in FEATURE_GATE.checks if c.id not in ("FE.TRANSFORMS", "FE.IMPORTANCE")),
]

CSV_WITH_GAPS = """id,a,b,c,y
1,1.5,x,,0
2,NA,y,3,1
3,2.5,,4,0
4,,x,NaN,1
5,4.0,null,5,0
6,5.0,z,N/A,1
7,-1,x,7,0
"""


def run_all(ctx: CheckContext) -> dict[str, Finding]:
    """Run every tabular check of both gates; they must never raise."""
    out: dict[str, Finding] = {}
    for spec in TABULAR_CHECKS:
        findings = run_check(spec, ctx, owner="o")
        assert len(findings) == 1, spec.id
        out[spec.id] = findings[0]
    return out


# --- against pandas --------------------------------------------------------------------------


def test_missing_fractions_match_pandas_on_csv(
    make_ctx: MakeCtx, raw: Callable[[str, str], str], tmp_path: Path
) -> None:
    name = raw("train.csv", CSV_WITH_GAPS)
    ctx = make_ctx(data_dossier(train=name, excluded=["id"]))
    finding = run_one(check_spec("DR.MISSINGNESS"), ctx)
    expected = pd.read_csv(tmp_path / name).drop(columns=["id", "y"]).isna().mean()
    measured = finding.measured["missing_fraction"]
    assert isinstance(measured, dict)
    assert set(measured) == set(expected.index)
    for column, fraction in expected.items():
        assert measured[column] == pytest.approx(fraction, abs=1e-6), column
    # 3 of 7 missing in c: above the 30% fail line.
    assert finding.outcome is Outcome.FAIL
    assert finding.measured["worst_feature"] == "c"


def test_missing_fractions_count_nan_and_null_in_parquet(
    make_ctx: MakeCtx, parquet: WriteTable, tmp_path: Path
) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    x[rng.random(500) < 0.2] = np.nan
    z = [None if v < 0.07 else float(v) for v in rng.random(500)]
    name = parquet("train.parquet", {"x": x, "z": z, "y": rng.integers(0, 2, 500)})
    finding = run_one(check_spec("DR.MISSINGNESS"), make_ctx(data_dossier(train=name)))
    expected = pd.read_parquet(tmp_path / name).drop(columns=["y"]).isna().mean()
    measured = finding.measured["missing_fraction"]
    assert isinstance(measured, dict)
    for column, fraction in expected.items():
        assert measured[column] == pytest.approx(fraction, abs=1e-6)


def test_duplicates_and_classes_match_pandas(
    make_ctx: MakeCtx, parquet: WriteTable, tmp_path: Path
) -> None:
    rng = np.random.default_rng(2)
    n = 3000
    frame = pd.DataFrame(
        {
            "id": np.arange(n),  # excluded: unique, so it must not hide the copies
            "a": rng.integers(0, 6, n),
            "b": rng.choice(["u", "v", None], n),
            "y": rng.choice([0, 1, 2], n, p=[0.7, 0.25, 0.05]),
        }
    )
    name = "train.parquet"
    frame.to_parquet(tmp_path / name)
    ctx = make_ctx(data_dossier(train=name, excluded=["id"], task="multiclass_classification"))
    dups = run_one(check_spec("DR.DUPLICATES"), ctx)
    expected = int(frame.drop(columns=["id"]).duplicated().sum())
    assert dups.measured["duplicate_rows"] == expected
    assert dups.measured["duplicate_fraction"] == pytest.approx(expected / n, abs=1e-6)
    volume = run_one(check_spec("DR.VOLUME"), ctx)
    counts = frame["y"].value_counts()
    assert volume.measured["class_counts"] == {str(k): int(v) for k, v in counts.items()}


def test_csv_and_parquet_give_the_same_profile(
    raw: Callable[[str, str], str], tmp_path: Path
) -> None:
    csv_name = raw("t.csv", CSV_WITH_GAPS)
    frame = pd.read_csv(tmp_path / csv_name)
    frame.to_parquet(tmp_path / "t.parquet")
    nulls = Policy().data.csv_null_values
    profiles = [
        profile_table(
            open_table(tmp_path / n, n, null_values=nulls),
            label="y",
            timestamp=None,
            excluded=["id"],
            mode="reference",
        )
        for n in (csv_name, "t.parquet")
    ]
    for a, b in zip(profiles[0].columns, profiles[1].columns, strict=True):
        assert (a.name, a.family, a.n_missing) == (b.name, b.family, b.n_missing)
        assert a.edges == pytest.approx(b.edges)
        assert a.bins == b.bins
        assert a.categories == b.categories and a.category_counts == b.category_counts
    assert profiles[0].label == profiles[1].label
    assert profiles[0].duplicate_rows == profiles[1].duplicate_rows


# --- caching -------------------------------------------------------------------------------


def _full_case(parquet: WriteTable) -> dict[str, object]:
    rng = np.random.default_rng(3)
    n = 2000
    cols = {
        "ts": pd.date_range("2026-01-01", periods=n, freq="h").to_pydatetime().tolist(),
        "x": rng.normal(size=n),
        "c": rng.choice(["a", "b", "c"], n).tolist(),
        "y": rng.integers(0, 2, n),
    }
    train = parquet("train.parquet", cols)
    later = dict(cols, ts=[t + pd.Timedelta(days=200) for t in cols["ts"]])
    validation = parquet("valid.parquet", later)
    serving = parquet("serving.parquet", {k: v for k, v in later.items() if k != "y"})
    return data_dossier(
        train=train,
        validation=validation,
        serving=serving,
        timestamp="ts",
        sensitive=["c"],
        validation_strategy="time_split",
    )


def test_profiles_are_shared_and_a_rerun_recomputes_nothing(
    make_ctx: MakeCtx, parquet: WriteTable, tmp_path: Path
) -> None:
    dossier = _full_case(parquet)
    policy = Policy()
    cache = tmp_path / "cache"
    store = EvidenceStore(policy_fingerprint=policy.fingerprint(), cache_dir=cache)
    ctx = make_ctx(dossier, policy=policy)
    ctx.evidence = store
    first = run_all(ctx)
    assert all(f.outcome is not Outcome.ERROR for f in first.values()), first
    # One profile per file (train, serving, validation), one separation, one overlap, one
    # proxy scan per sensitive attribute: the DR and FE checks share them.
    assert sorted(store.computed) == sorted(
        ["tabular-profile"] * 3 + ["tabular-separation", "tabular-overlap", "tabular-proxy"]
    )
    again = run_all(ctx)
    assert len(store.computed) == 6, "the same store recomputed evidence"
    # A new process (new store) with the disk cache: nothing is recomputed either.
    fresh = EvidenceStore(policy_fingerprint=policy.fingerprint(), cache_dir=cache)
    ctx.evidence = fresh
    third = run_all(ctx)
    assert fresh.computed == []
    for cid in first:
        assert first[cid] == again[cid] == third[cid], cid


def test_a_changed_file_or_policy_is_recomputed(
    make_ctx: MakeCtx, parquet: WriteTable, tmp_path: Path
) -> None:
    dossier = _full_case(parquet)
    ctx = make_ctx(dossier)
    run_all(ctx)
    before = len(ctx.evidence.computed)
    rng = np.random.default_rng(4)
    parquet("serving.parquet", {"x": rng.normal(size=50), "c": ["a"] * 50, "ts": [None] * 50})
    run_one(check_spec("DR.DRIFT"), ctx)
    assert ctx.evidence.computed[before:] == ["tabular-profile"]
    other = Policy.model_validate({"data": {"psi_bins": 5}})
    ctx2 = make_ctx(dossier, policy=other)
    run_one(check_spec("DR.DRIFT"), ctx2)
    assert ctx2.evidence.computed == ["tabular-profile", "tabular-profile"]


# --- bad evidence --------------------------------------------------------------------------

GOOD_ROWS = "x,c,y\n" + "".join(f"{i % 7},{'ab'[i % 2]},{i % 2}\n" for i in range(40))


def _errors_for(ctx: CheckContext, ids: tuple[str, ...]) -> dict[str, Finding]:
    found = run_all(ctx)
    return {i: found[i] for i in ids}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "empty (0 bytes)"),
        ("header.csv", "x,c,y\n", "header but no data rows"),
        ("binary.csv", bytes(range(256)) * 20, "binary file"),
        ("truncated.parquet", b"PAR1" + b"\x15\x00" * 300, "truncated"),
        ("fake.parquet", b"x,y\n1,2\n", "not a Parquet file"),
        ("ragged.csv", "x,c,y\n1,2,3,4,5\n1\n1,2\n", "single column"),
        ("brokengz.csv", b"\x1f\x8b\x08\x00garbage", "broken gzip"),
    ],
)
def test_unusable_training_file_gives_error_findings(
    make_ctx: MakeCtx,
    raw: Callable[[str, str | bytes], str],
    name: str,
    content: str | bytes,
    reason: str,
) -> None:
    raw(name, content)
    ctx = make_ctx(data_dossier(train=name, validation=name, serving=name))
    found = run_all(ctx)
    for cid in ("DR.VOLUME", "DR.MISSINGNESS", "DR.DUPLICATES", "DR.DRIFT", "FE.TARGET_LEAKAGE"):
        f = found[cid]
        assert f.outcome is Outcome.ERROR, (cid, f.message)
        assert name in f.message and reason in f.message, f.message
        assert "\n" not in f.message and "Traceback" not in f.message


def test_missing_file_is_an_error_and_an_absent_reference_is_missing(
    make_ctx: MakeCtx,
) -> None:
    found = run_all(make_ctx(data_dossier(train="nowhere.parquet")))
    assert found["DR.VOLUME"].outcome is Outcome.ERROR
    assert "nowhere.parquet" in found["DR.VOLUME"].message
    assert "not found" in found["DR.VOLUME"].message
    none = run_all(make_ctx(data_dossier()))
    for cid in ("DR.VOLUME", "DR.MISSINGNESS", "DR.SCHEMA", "DR.DRIFT", "DR.DUPLICATES"):
        assert none[cid].outcome is Outcome.MISSING, cid
    assert none["FE.SPLIT_OVERLAP"].outcome is Outcome.MISSING
    assert none["FE.TARGET_LEAKAGE"].outcome is Outcome.MISSING


def test_gzip_named_csv_is_read_with_a_note(
    make_ctx: MakeCtx, raw: Callable[[str, str | bytes], str]
) -> None:
    raw("train.csv", gzip.compress(GOOD_ROWS.encode()))
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train="train.csv")))
    assert finding.outcome is Outcome.FAIL  # 20 rows per class: readable, and far too few
    assert finding.measured["class_counts"] == {"0": 20, "1": 20}
    assert "gzip-compressed" in finding.message


def test_semicolon_csv_is_sniffed(make_ctx: MakeCtx, raw: Callable[[str, str], str]) -> None:
    raw("train.csv", GOOD_ROWS.replace(",", ";"))
    ctx = make_ctx(data_dossier(train="train.csv"))
    finding = run_one(check_spec("DR.MISSINGNESS"), ctx)
    assert finding.outcome is Outcome.PASS
    assert set(finding.measured["judged_features"]) == {"x", "c"}  # type: ignore[arg-type]


def test_latin1_csv_is_read_with_a_note(
    make_ctx: MakeCtx, raw: Callable[[str, str | bytes], str], tmp_path: Path
) -> None:
    rows = "city,y\n" + "".join(f"{c},{i % 2}\n" for i, c in enumerate(["Zürich", "Köln"] * 20))
    raw("train.csv", rows.encode("latin-1"))
    ctx = make_ctx(data_dossier(train="train.csv"))
    volume = run_one(check_spec("DR.VOLUME"), ctx)
    assert volume.outcome is Outcome.FAIL and "not UTF-8" in volume.message
    table = open_table(tmp_path / "train.csv", "train.csv", null_values=[""])
    con = duckdb.connect()
    cities = {r[0] for r in con.execute(f"SELECT city FROM {table.relation}").fetchall()}
    assert cities == {"Zürich", "Köln"}


def test_mixed_types_after_the_sniff_sample_become_text(
    make_ctx: MakeCtx, raw: Callable[[str, str], str]
) -> None:
    body = "".join(f"{i},{i % 2}\n" for i in range(30_000))
    raw("train.csv", "x,y\n" + body + "unknown,1\n")
    raw("serving.csv", "x\n" + "".join(f"{i}\n" for i in range(100)))
    ctx = make_ctx(data_dossier(train="train.csv", serving="serving.csv"))
    volume = run_one(check_spec("DR.VOLUME"), ctx)
    assert "mixed types" in volume.message
    schema = run_one(check_spec("DR.SCHEMA"), ctx)
    # Training read x as text (one value is a word), serving has numbers: a changed type.
    assert schema.outcome is Outcome.FAIL
    assert "x" in schema.measured["type_mismatches"]  # type: ignore[operator]


def test_all_null_column(make_ctx: MakeCtx, parquet: WriteTable) -> None:
    rng = np.random.default_rng(5)
    n = 400
    train = parquet(
        "train.parquet",
        {"x": rng.normal(size=n), "empty": pa_nulls(n), "y": rng.integers(0, 2, n)},
    )
    serving = parquet("serving.parquet", {"x": rng.normal(size=n), "empty": pa_nulls(n)})
    ctx = make_ctx(data_dossier(train=train, serving=serving))
    found = run_all(ctx)
    miss = found["DR.MISSINGNESS"]
    assert miss.outcome is Outcome.FAIL
    assert miss.measured["missing_fraction"]["empty"] == 1.0  # type: ignore[index]
    assert found["DR.SCHEMA"].outcome is Outcome.PASS
    assert found["DR.DRIFT"].measured["psi"]["empty"] == 0.0  # type: ignore[index]
    leak = found["FE.TARGET_LEAKAGE"]
    assert leak.outcome is Outcome.PASS and "empty" in leak.measured["skipped"]  # type: ignore[operator]


def pa_nulls(n: int) -> list[None]:
    """A column of nulls only (Parquet type null)."""
    return [None] * n


def test_label_absent_one_class_and_mixed(
    make_ctx: MakeCtx, raw: Callable[[str, str], str]
) -> None:
    raw("nolabel.csv", "x,z\n" + "".join(f"{i},{i % 3}\n" for i in range(50)))
    found = run_all(make_ctx(data_dossier(train="nolabel.csv")))
    for cid in ("DR.VOLUME", "DR.BALANCE", "FE.TARGET_LEAKAGE"):
        assert found[cid].outcome is Outcome.ERROR, cid
        assert "'y' is not in nolabel.csv" in found[cid].message

    raw("oneclass.csv", "x,y\n" + "".join(f"{i},1\n" for i in range(50)))
    found = run_all(make_ctx(data_dossier(train="oneclass.csv")))
    assert found["DR.VOLUME"].outcome is Outcome.FAIL
    assert found["DR.VOLUME"].measured["min_class_count"] == 0
    assert found["DR.BALANCE"].outcome is Outcome.FAIL
    assert "Only one class" in found["DR.BALANCE"].message
    assert found["FE.TARGET_LEAKAGE"].outcome is Outcome.ERROR
    assert "1 class" in found["FE.TARGET_LEAKAGE"].message

    raw("mixed.csv", "x,y\n" + "".join(f"{i},{['0', '1', 'yes'][i % 3]}\n" for i in range(60)))
    found = run_all(make_ctx(data_dossier(train="mixed.csv")))
    assert found["DR.VOLUME"].outcome is Outcome.ERROR
    assert "3 values" in found["DR.VOLUME"].message


def test_regression_label_must_be_numeric(
    make_ctx: MakeCtx, raw: Callable[[str, str], str]
) -> None:
    raw("t.csv", "x,y\n" + "".join(f"{i},v{i}\n" for i in range(50)))
    found = run_one(
        check_spec("FE.TARGET_LEAKAGE"), make_ctx(data_dossier(train="t.csv", task="regression"))
    )
    assert found.outcome is Outcome.ERROR and "numeric label" in found.message


# --- determinism and bounds --------------------------------------------------------------


def test_sampled_edges_are_deterministic(parquet: WriteTable, tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    name = parquet(
        "big.parquet", {"x": rng.lognormal(size=20_000), "y": rng.integers(0, 2, 20_000)}
    )
    table = open_table(tmp_path / name, name, null_values=[""])
    runs = [
        profile_table(
            table, label="y", timestamp=None, mode="reference", quantile_sample_rows=2_000
        )
        for _ in range(3)
    ]
    assert runs[0] == runs[1] == runs[2]
    x = runs[0].column("x")
    assert x is not None and runs[0].quantile_sample_rows == 2_000
    # Edges and training shares come from the same sample, so its bins are near equal mass.
    sampled = sum(x.bins) + x.bin_missing
    assert 1_700 < sampled < 2_300
    assert max(x.bins) / min(x.bins) < 1.2
    exact = np.quantile(pd.read_parquet(tmp_path / name)["x"], [i / 10 for i in range(1, 10)])
    assert x.edges != pytest.approx(list(exact), rel=1e-12)  # sampled, not exact
    assert x.edges == pytest.approx(list(exact), rel=0.1)


def test_connections_are_bounded() -> None:
    con = _duck.connect()
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    assert limit is not None and threads is not None
    assert _duck.DUCKDB_MEMORY_LIMIT <= 1 << 30
    assert int(threads[0]) == _duck.DUCKDB_THREADS
    assert "MiB" in str(limit[0]) or "GiB" in str(limit[0]) or "MB" in str(limit[0])


def test_evidence_error_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "t.parquet").write_bytes(b"PAR1" + b"\x00" * 64)
    with pytest.raises(EvidenceError) as info:
        open_table(tmp_path / "t.parquet", "data/t.parquet", null_values=[""])
    assert info.value.one_line().startswith("data/t.parquet: truncated")


@pytest.mark.parametrize(
    ("dtype", "family"),
    [
        ("BIGINT", "numeric"),
        ("DECIMAL(10,2)", "numeric"),
        ("DOUBLE", "numeric"),
        ("VARCHAR", "categorical"),
        ("BOOLEAN", "boolean"),
        ("DATE", "temporal"),
        ("TIMESTAMP WITH TIME ZONE", "temporal"),
        ('"NULL"', "null"),
        ("INTEGER[]", "other"),
        ("INTERVAL", "other"),
    ],
)
def test_type_family(dtype: str, family: str) -> None:
    assert type_family(dtype) == family


def test_awkward_but_valid_files(make_ctx: MakeCtx, tmp_path: Path) -> None:
    """A column named like DuckDB's row number, quotes in names, lists, booleans, time zones."""
    rng = np.random.default_rng(8)
    n = 3000
    when = pd.Timestamp("2026-01-01", tz="UTC")
    frame = pd.DataFrame(
        {
            "file_row_number": np.arange(n),
            'we"ird col': rng.normal(size=n),
            "tags": [[1, 2]] * n,
            "ts": [when] * n,
            "y": rng.random(n) < 0.5,
        }
    )
    frame.to_parquet(tmp_path / "train.parquet")
    serving = frame.drop(columns=["y"]).assign(**{'we"ird col': rng.normal(size=n) + 1})
    serving.to_parquet(tmp_path / "serving.parquet")
    dossier = data_dossier(
        train="train.parquet",
        serving="serving.parquet",
        timestamp="ts",
        excluded=["file_row_number"],
    )
    policy = {"features": {"leakage_sample_rows": 1_000}, "data": {"quantile_sample_rows": 1_000}}
    found = run_all(make_ctx(dossier, policy=policy))
    assert all(f.outcome is not Outcome.ERROR for f in found.values()), {
        k: f.message for k, f in found.items() if f.outcome is Outcome.ERROR
    }
    assert found["DR.BALANCE"].measured["class_shares"].keys() == {"true", "false"}  # type: ignore[union-attr]
    drift = found["DR.DRIFT"]
    assert drift.measured["drifting_features"] == ['we"ird col']
    assert "tags" in drift.measured["skipped"]  # type: ignore[operator]
    leak = found["FE.TARGET_LEAKAGE"]
    assert 800 < leak.measured["rows_sampled"] < 1_200  # type: ignore[operator]
    again = run_one(check_spec("FE.TARGET_LEAKAGE"), make_ctx(dossier, policy=policy))
    assert again.measured == leak.measured  # a content-keyed sample is deterministic too
