"""Client memory and time of reading predictions from a Spark table, as the table grows.

    python benchmarks/bench_spark_predictions.py [--rows 250000 1000000 2000000]

Unlike the data profile (only aggregates come back), the predictions checks need every row's
label, decision, score, split and group values in the reviewing process: this measures what
that costs, to set ``policy.performance.max_table_prediction_rows``. Starts a local Spark
Connect server (tests/spark/spark_server.py), has the *server* generate each table (binary
labels, scores, decisions, three splits, a text and a numeric group column), then in a fresh
client process per size reads it with ``read_predictions_table`` and summarises it
(``summarize_predictions``: metrics per split, calibration, slices, fairness). Reports wall time
and peak RSS (``ru_maxrss``); writes benchmarks/spark_predictions.md. One run per size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_spark import _uniform, measure_sizes  # noqa: E402  (the same per-row values)

GROUPS = ["region", "age"]


def _table_sql(name: str, rows: int) -> str:
    score = "least(1.0, greatest(0.0, 0.25 + 0.5 * y_true + (u - 0.5) * 0.8))"
    return (
        f"CREATE TABLE {name} USING parquet AS SELECT y_true, {score} AS y_score, "
        f"CAST({score} >= 0.5 AS INT) AS y_pred, split, region, age FROM ("
        f"SELECT CAST({_uniform(7)} < 0.3 AS INT) AS y_true, {_uniform(3)} AS u, "
        "element_at(array('train', 'validation', 'test'), CAST(pmod(id, 3) AS INT) + 1) AS split, "
        f"CAST(floor({_uniform(1)} * 8) AS STRING) AS region, "
        f"CAST(18 + floor({_uniform(2)} * 70) AS INT) AS age FROM range({rows}))"
    )


def child(url: str, name: str) -> None:
    os.environ["GATES_SPARK_REMOTE"] = url
    from langgraph_gates.evidence.predictions import read_predictions_table, summarize_predictions
    from langgraph_gates.evidence.spark_table import open_spark_table
    from langgraph_gates.policy import Policy

    policy = Policy()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    table = open_spark_table(name)
    frame = read_predictions_table(table, max_rows=table.n_rows, group_columns=GROUPS)
    summary = summarize_predictions(
        frame, task="binary_classification", sensitive=GROUPS, slices=GROUPS,
        criteria=["roc_auc"], performance=policy.performance, fairness=policy.fairness,
        favorable=None,
    )  # fmt: skip
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "rows": summary.rows, "wall_s": wall, "peak_rss_mib": peak / 1024,
        "import_rss_mib": before / 1024,
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 1_000_000, 2_000_000])
    parser.add_argument("--child", nargs=2, metavar=("URL", "TABLE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results, _ = measure_sizes(__file__, args.rows, _table_sql, "bench_predictions")
    _write(results)


def _write(results: list[dict[str, float]]) -> None:
    lines = [
        "# Spark Connect: predictions read from a table",
        "",
        f"Written by `.venv/bin/python benchmarks/bench_spark_predictions.py` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
        f"{os.cpu_count()} CPUs shared with other jobs; one run per size.",
        "",
        "A local Spark Connect server (local[2], 1 GiB driver) generates each predictions table "
        "(y_true, y_score, y_pred, a three-way split, a text and a numeric group column); a fresh "
        "client process reads the needed columns of every row and summarises them (metrics per "
        "split, calibration, slices, fairness).",
        "",
        "| rows | client wall time | client peak RSS | client RSS after imports |",
        "|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['rows']:,} | {r['wall_s']:.1f} s | {r['peak_rss_mib']:.0f} MiB | "
        f"{r['import_rss_mib']:.0f} MiB |"
        for r in results
    ]
    lines += [
        "",
        "Unlike the profile, this grows with the table: the metrics need every prediction. "
        "`policy.performance.max_table_prediction_rows` (2M by default: about 800 MiB of client "
        "memory, measured by `make bench-spark-predictions`) refuses a bigger table "
        "before any row is fetched.",
    ]
    (HERE / "spark_predictions.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
