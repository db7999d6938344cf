"""Client memory and time of the data readiness profile on Spark as the table grows.

    python benchmarks/bench_spark.py [--rows 1000000 4000000]

Starts a local Spark Connect server (tests/spark/spark_server.py: local[2], 1 GiB driver), has
the *server* generate each table (``range(N)``: 12 numeric and 3 string features, a binary
label, 1% duplicate rows), then in a fresh client process per size opens it with
``open_spark_table`` and runs the reference profile (``profile_table``) through Spark Connect.
Reports the client's wall time and peak RSS (``ru_maxrss``). Writes benchmarks/spark.md.

One run per size on a shared machine: the times are indicative; the point is the client's
memory, which must not grow with the table (only aggregates and bounded samples come back).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

NUMERIC = 12
STRINGS = 3


def _uniform(seed: int) -> str:
    """A value in [0, 1) that is a function of the row's id (so a repeated id repeats the row)."""
    return f"(CAST(pmod(xxhash64(id, {seed}), 1000000) AS DOUBLE) / 1e6)"


def _table_sql(name: str, rows: int) -> str:
    numeric = ", ".join(
        f"CASE WHEN {_uniform(100 + i)} < 0.05 THEN NULL ELSE {_uniform(i)} * {i + 1} END AS x{i}"
        for i in range(NUMERIC)
    )
    strings = ", ".join(
        f"CAST(floor(pow({_uniform(200 + i)}, 3) * {10 ** (i + 1)}) AS STRING) AS c{i}"
        for i in range(STRINGS)
    )
    # 1% duplicates: every 100th id repeats its predecessor, and so every value of its row.
    return (
        f"CREATE TABLE {name} USING parquet AS "
        f"SELECT {numeric}, {strings}, CAST({_uniform(7)} < 0.08 AS INT) AS y "
        f"FROM (SELECT CASE WHEN id % 100 = 0 AND id > 0 THEN id - 1 ELSE id END AS id FROM range({rows}))"
    )


def child(url: str, name: str, sample_rows: int) -> None:
    os.environ["GATES_SPARK_REMOTE"] = url
    from langgraph_gates.evidence.spark_table import open_spark_table
    from langgraph_gates.evidence.tabular import profile_table

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    table = open_spark_table(name)
    profile = profile_table(
        table, label="y", timestamp=None, mode="reference", quantile_sample_rows=sample_rows
    )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "rows": profile.n_rows, "wall_s": wall, "peak_rss_mib": peak / 1024,
        "import_rss_mib": before / 1024, "duplicates": profile.duplicate_rows,
    }))  # fmt: skip


def measure_sizes(
    script: str,
    sizes: list[int],
    table_sql: Callable[[str, int], str],
    prefix: str,
    child_args: Sequence[str] = (),
) -> tuple[list[dict[str, Any]], float]:
    """Start a local server; per size, have it generate a table, then measure a fresh client.

    The client is ``script --child URL TABLE [child_args]``, which prints its result as one JSON
    line. Returns the results and the server's start-up time (s).
    """
    import warnings

    from tests.spark.spark_server import spark_server

    results = []
    with spark_server() as server:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql.connect.session import SparkSession
        session = SparkSession.builder.remote(server.url).create()
        for rows in sizes:
            name = f"spark_catalog.default.{prefix}_{rows}"
            session.sql(f"DROP TABLE IF EXISTS {name}")
            session.sql(table_sql(name, rows))
            out = subprocess.run(
                [sys.executable, "-W", "ignore", script, "--child", server.url, name,
                 *child_args],
                capture_output=True, text=True,
            )  # fmt: skip
            if out.returncode != 0:
                raise SystemExit(f"the client failed on {rows:,} rows:\n{out.stderr[-3000:]}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(results[-1], flush=True)
        session.stop()  # before the server stops: an open client retries for minutes at exit
        return results, server.startup_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 1_000_000, 3_000_000])
    # Below the policy's 1M default: Spark's exact percentile over a 1M-row sample of 12
    # columns stopped the 1 GiB local server (see spark.md); the sample bounds server memory.
    parser.add_argument("--sample-rows", type=int, default=200_000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "TABLE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.sample_rows)
        return
    results, startup = measure_sizes(
        __file__, args.rows, _table_sql, "bench", ["--sample-rows", str(args.sample_rows)]
    )
    _write(results, startup, args.sample_rows)


def _write(results: list[dict[str, float]], startup: float, sample_rows: int) -> None:
    lines = [
        "# Spark Connect: client memory as the table grows",
        "",
        f"Written by `.venv/bin/python benchmarks/bench_spark.py` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
        f"{os.cpu_count()} CPUs shared with other jobs; one run per size.",
        "",
        "A local Spark Connect server (local[2], 1 GiB driver; started in "
        f"{startup:.0f} s) generates each table itself ({NUMERIC} numeric features with 5% nulls, "
        f"{STRINGS} string features of 10 to {10 ** STRINGS:,} categories, a binary label, 1% "
        "duplicate rows); a fresh client process opens it and runs the reference profile "
        "(counts, missing values, min/max, label classes, quantile edges and bin counts on a "
        f"{sample_rows:,}-row sample, category counts, duplicates) through Spark Connect.",
        "",
        "| rows | client wall time | client peak RSS | client RSS after imports | duplicates found |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['rows']:,} | {r['wall_s']:.1f} s | {r['peak_rss_mib']:.0f} MiB | "
        f"{r['import_rss_mib']:.0f} MiB | {r['duplicates']:,} |"
        for r in results
    ]
    lines += [
        "",
        "The client holds aggregates and a few hundred result rows whatever the table's size, so "
        "its peak RSS stays at the size of the Python process and the Spark Connect client. On a "
        "cluster the scans run on the executors: the time is the cluster's (each profile pass is "
        "one distributed aggregation; the quantile edges come from a sample of at most "
        "`quantile_sample_rows` rows cached on the cluster), and the reviewing process is the same "
        "thin client as here.",
        "",
        "Server memory, not the client's, is the limit found: with the policy's default "
        "`quantile_sample_rows` (1M), Spark's exact `percentile` over the 1M-row sample of 12 "
        "columns stopped this 1 GiB local server (`Cannot call methods on a stopped "
        "SparkContext`, 2M-row table), hence the smaller sample here. A cluster driver has more; "
        "`percentile_approx` would bound it (not done yet: its edges are not interpolated, so "
        "parity with DuckDB would hold only within a tolerance).",
    ]
    (HERE / "spark.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
