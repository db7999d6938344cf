"""Huge and pathological evidence is scanned within a memory bound and ends with findings.

Data files are scanned by DuckDB with ``memory_limit`` = min(1 GiB, a quarter of the machine's
or cgroup's memory) and ``threads`` = the CPUs the process may use, spilling to a private
temporary folder beyond that (``langgraph_gates.evidence._duck``). Here a real ``gates review``
process runs under ``RLIMIT_AS`` = 3 GiB of address space (an allocation beyond it fails
instead of the machine swapping or the OOM killer stepping in) on evidence generated at test
time: a 2-million-row CSV with wide text cells, and a CSV of 1,000 columns. Each review must
finish with exit 0 and real findings, without a traceback.
"""

from __future__ import annotations

import re
import resource
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from langgraph_gates.evidence._duck import DUCKDB_MEMORY_LIMIT
from tests.corpus.build import AS_OF
from tests.corpus.records import Record, write_record
from tests.corpus.runner import run_subprocess

pytestmark = pytest.mark.slow

ADDRESS_SPACE = 3 << 30
# `gates` that reports its own peak resident memory on stderr when it exits.
MEASURED_GATES = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('peak RSS MB:', "
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr))\n"
    "from langgraph_gates.cli import main\n"
    "sys.argv = ['gates', *sys.argv[1:]]\n"
    "main()\n"
)


def _limit_address_space() -> None:  # runs in the child, between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _copy(sql: str, target: Path) -> None:
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        con.execute(f"COPY ({sql}) TO '{target}' (HEADER, DELIMITER ',')")
    finally:
        con.close()


def _long_text_csv(path: Path, rows: int) -> None:
    """``rows`` rows; ``note`` is a ~110-character text cell, nearly unique per row."""
    _copy(
        "SELECT (i % 997) / 10.0 + (hash(i) % 7)::DOUBLE AS x, "
        "(hash(i * 31) % 50)::INTEGER AS n, "
        "repeat(chr(65 + (i % 26)::INTEGER), 30) || '-' || (hash(i) % 100000)::VARCHAR || '-' "
        "|| repeat('lorem ipsum ', 6) AS note, "
        "DATE '2026-01-01' + (i % 300)::INTEGER AS ts, "
        "(hash(i * 7) % 3 = 0)::INTEGER AS y "
        f"FROM range({rows}) t(i)",
        path,
    )


def _wide_csv(path: Path, rows: int, columns: int) -> None:
    """``columns`` numeric features and a label."""
    cols = ", ".join(
        f"((hash(i * {k + 1}) % 1000) / 100.0)::DOUBLE AS f{k}" for k in range(columns)
    )
    _copy(f"SELECT {cols}, (i % 2)::INTEGER AS y FROM range({rows}) t(i)", path)


def _review(tmp_path: Path, dossier: dict[str, Any], name: str) -> dict[str, Any]:
    started = time.perf_counter()
    path = tmp_path / "dossier.yaml"
    path.write_text(yaml.safe_dump(dossier), encoding="utf-8")
    run_dir = tmp_path / "run"
    run = run_subprocess(
        [
            "review",
            str(path),
            "--db",
            str(run_dir / "reviews.sqlite"),
            "--output-dir",
            str(run_dir / "out"),
            "--format",
            "json",
            "--as-of",
            AS_OF,
            "--no-progress",
        ],
        out_dir=run_dir / "out",
        cwd=tmp_path,
        timeout=240,
        preexec_fn=_limit_address_space,
        launcher=("-c", MEASURED_GATES),
    )
    seconds = round(time.perf_counter() - started, 1)
    peak = re.search(r"peak RSS MB: (\d+)", run.stderr)
    peak_mb = int(peak.group(1)) if peak else None
    write_record(
        Record(
            suite="resources",
            name=name,
            inputs=1,
            tracebacks=run.tracebacks,
            expectation_failures=int(run.exit_code != 0),
            seconds=seconds,
            detail=[f"exit {run.exit_code} in {seconds} s, peak RSS {peak_mb} MB"],
        )
    )
    # A negative code is a signal (e.g. -9 from the OOM killer): it must not happen.
    assert run.exit_code == 0, run.output[-3000:]
    assert run.tracebacks == 0, run.output[-3000:]
    assert "MemoryError" not in run.output and "out of memory" not in run.output.lower()
    assert run.report is not None
    assert peak_mb is not None and peak_mb < ADDRESS_SPACE >> 20
    return {f["check_id"]: f for g in run.report["gates"] for f in g["findings"]}


def test_duckdb_memory_bound_is_set() -> None:
    assert 256 << 20 <= DUCKDB_MEMORY_LIMIT <= 1 << 30


def test_two_million_rows_of_wide_text_under_3_gib(tmp_path: Path) -> None:
    rows = 2_000_000
    (tmp_path / "data").mkdir()
    _long_text_csv(tmp_path / "data" / "train.csv", rows)
    size = (tmp_path / "data" / "train.csv").stat().st_size
    assert size > 200_000_000  # a fifth of the 1 GiB DuckDB bound before any decoding
    found = _review(
        tmp_path,
        {
            "model": {"name": "long", "task": "binary_classification"},
            "data": {
                "label": "y",
                "timestamp": "ts",
                "train": "data/train.csv",
                "serving": "data/train.csv",
            },
            "features": {"key": ["x", "n", "note"]},
        },
        f"{rows:,} rows, {size / 1e6:.0f} MB CSV",
    )
    assert found["DR.VOLUME"]["outcome"] == "pass"
    assert found["DR.VOLUME"]["measured"]["rows"] == rows
    assert found["DR.MISSINGNESS"]["outcome"] == "pass"
    assert found["DR.DUPLICATES"]["outcome"] == "pass"
    assert found["DR.DRIFT"]["outcome"] == "pass"  # the same file as serving data
    assert found["FE.TARGET_LEAKAGE"]["outcome"] in ("pass", "warn", "fail")


def test_a_thousand_columns_under_3_gib(tmp_path: Path) -> None:
    # 2,000 columns take about twice as long (DuckDB's CSV sniffer is linear in columns).
    columns, rows = 1000, 1500
    (tmp_path / "data").mkdir()
    _wide_csv(tmp_path / "data" / "train.csv", rows, columns)
    found = _review(
        tmp_path,
        {
            "model": {"name": "wide", "task": "binary_classification"},
            "data": {"label": "y", "train": "data/train.csv"},
        },
        f"{columns:,} columns x {rows:,} rows",
    )
    assert found["DR.VOLUME"]["measured"]["rows"] == rows
    missing = found["DR.MISSINGNESS"]
    assert missing["outcome"] == "pass" and len(missing["measured"]["judged_features"]) == columns
    assert found["FE.TARGET_LEAKAGE"]["outcome"] == "pass"
