"""Benchmark: the paired bootstrap of MP.CHAMPION / RAI.GROUP_REGRESSION on large files.

Writes a predictions file of N rows (binary labels, the candidate's and the champion's scores
and decisions, a 5-level group column) as Parquet under ``benchmarks/data/``, then, in a child
process per size, runs :func:`langgraph_gates.evidence.champion.compare_champion` exactly as
the checks do (200 replicates, ROC AUC and accuracy, overall and per group) and records wall
time, CPU time and the child's peak RSS. The rows never become Python objects: DuckDB pairs
and aggregates them within its memory limit, so peak RSS should stay flat as N grows.

Usage::

    .venv/bin/python benchmarks/bench_champion.py [--sizes 100000,1000000] [--samples 200]

Not a test: it takes a minute or more.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUTPUT = HERE / "champion.md"


def write_data(n: int) -> Path:
    """A predictions file of n rows with the champion's columns (seeded; written once)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = DATA / f"champion_{n}.parquet"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(n)
    y = (rng.random(n) < 0.1).astype(np.int8)
    signed = 2.0 * y - 1

    def scores(skill: float) -> np.ndarray:
        return 1 / (1 + np.exp(-(skill * signed + rng.normal(0, 1, n) - 1.5)))

    cand, champ = scores(1.3), scores(1.1)
    table = pa.table(
        {
            "y_true": y,
            "y_score": cand,
            "y_pred": (cand >= 0.5).astype(np.int8),
            "champion_score": champ,
            "champion_pred": (champ >= 0.5).astype(np.int8),
            "region": rng.choice(["north", "south", "east", "west", "central"], n),
        }
    )
    pq.write_table(table, path, compression="zstd")
    return path


def child(path: Path, samples: int) -> None:
    """Run one comparison and print its measurements as JSON."""
    start_import = time.perf_counter()
    from langgraph_gates.evidence.champion import (
        BootstrapSettings,
        ChampionSource,
        compare_champion,
    )

    imported = time.perf_counter() - start_import
    wall, cpu = time.perf_counter(), time.process_time()
    result = compare_champion(
        (path, path.name),
        ChampionSource(None, None, "champion_pred", "champion_score"),
        task="binary_classification",
        metrics=["roc_auc", "accuracy"],
        group_columns=["region"],
        settings=BootstrapSettings(samples=samples, seed=0, auc_bins=500),
        level=0.95,
        null_values=[""],
    )
    auc = result.overall[0]
    print(
        json.dumps(
            {
                "rows": result.rows,
                "wall_s": time.perf_counter() - wall,
                "cpu_s": time.process_time() - cpu,
                "import_s": imported,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "groups": len(result.groups),
                "auc_change": [auc.improvement, auc.low, auc.high],
            }
        )
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--child", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.samples)
        return 0
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        path = write_data(n)
        cmd = [sys.executable, __file__, "--child", str(path), "--samples", str(args.samples)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(
            {
                **json.loads(out.strip().splitlines()[-1]),
                "load": os.getloadavg()[0],
                "file_mib": path.stat().st_size / 2**20,
            }
        )
        print(rows[-1], flush=True)
    write_report(rows, args.samples)
    return 0


def write_report(rows: list[dict[str, object]], samples: int) -> None:
    """Write benchmarks/champion.md: method, machine and one row per size."""
    from langgraph_gates.evidence._duck import DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Champion comparison: paired bootstrap",
        "",
        f"Written by `.venv/bin/python benchmarks/bench_champion.py` on {now} (`make bench-champion`).",
        "",
        "## Method",
        "",
        "A seeded predictions file (Parquet, 10% positives; the candidate's and the champion's",
        "scores and decisions as columns; a 5-level `region` column) of N rows. One child process",
        "per size runs `compare_champion` as MP.CHAMPION and RAI.GROUP_REGRESSION do: the rows are",
        f"paired in DuckDB, then {samples} Poisson bootstrap replicates (weights from",
        "`hash(row, replicate, seed)`, never materialised) are aggregated for ROC AUC (500",
        'equal-frequency score bins) and accuracy, overall and per region. "wall s" and "CPU s"',
        'cover the comparison only (imports excluded); "peak RSS" is the child\'s `ru_maxrss`.',
        f"DuckDB runs with threads = {DUCKDB_THREADS} and memory_limit = "
        f"{DUCKDB_MEMORY_LIMIT // 2**20} MiB (spilling beyond).",
        "",
        "## Machine",
        "",
        f"- nproc: {os.cpu_count()}",
        f"- python: {platform.python_version()}",
        "- shared with other agents: the last column is the 1-minute load average at the end of the row",
        "",
        "## Results",
        "",
        "| rows | file MiB | wall s | CPU s | peak RSS MiB | AUC change [95% interval] | load |",
        "|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        change = r["auc_change"]
        assert isinstance(change, list)
        lines.append(
            f"| {r['rows']:,} | {r['file_mib']:.1f} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
            f"{r['peak_rss_mib']:.0f} | {change[0]:+.4f} [{change[1]:+.4f}, {change[2]:+.4f}] | "
            f"{r['load']:.1f} |"
        )
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
