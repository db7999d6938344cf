"""Large-dossier benchmark: one `gates review` of a ~5 MB dossier, end to end.

    python benchmarks/bench_dossier.py [--items 54000] [--label after] [--out benchmarks/dossier.md]

The dossier is the churn example (`examples/churn`, copied to a temporary folder) with
`problem.assumptions` replaced by N sentences ("An assumption about seasonality ... #i"):
about 4.9 MB of list items at the default N. The review runs as a child process
(`gates review dossier.yaml --db review.sqlite --no-progress`, offline) wrapped so that it also
counts the secrets scanner's passes over the dossier. Measured: wall time of the child, its
peak RSS (`ru_maxrss`), the SQLite file size afterwards (WAL checkpointed), the size of the
reports, and the scanner passes (characters given to the scanner / characters of the dossier's
list items, rounded).

Each run adds or replaces one row (by `--label`) in the results table of `--out`; the table is
kept between runs so that a "before" row measured on the base commit stays next to "after".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ITEM = "An assumption about seasonality and account mix that must hold for the model #{i}"

# Run inside the child: count what the secrets scanner is given, then run the CLI.
_CHILD = r"""
import atexit, json, sys
from langgraph_gates.evidence import secrets
scanned, spy_file = [], sys.argv[1]
_orig = secrets._scan_strings
def _spy(values):
    scanned.append(sum(len(v) for v in values))
    return _orig(values)
secrets._scan_strings = _spy
atexit.register(lambda: open(spy_file, "w").write(json.dumps(scanned)))
from langgraph_gates.cli import main
sys.argv = ["gates", *sys.argv[2:]]
main()
"""


def build(folder: Path, items: int) -> tuple[Path, int]:
    """Copy the churn example into ``folder`` and swell its assumptions; return (file, chars)."""
    shutil.copytree(ROOT / "examples" / "churn", folder, dirs_exist_ok=True)
    path = folder / "dossier.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assumptions = [ITEM.format(i=i) for i in range(items)]
    data["problem"]["assumptions"] = assumptions
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(data, Dumper=dumper, sort_keys=False, width=200), encoding="utf-8")
    return path, sum(len(a) for a in assumptions)


def run(items: int) -> dict[str, object]:
    """One review of a freshly built dossier; the measurements."""
    with tempfile.TemporaryDirectory(prefix="gates-bench-dossier-") as tmp:
        folder = Path(tmp) / "churn"
        dossier, chars = build(folder, items)
        db, out, spy = folder / "review.sqlite", folder / "reports", folder / "scanned.json"
        cmd = [sys.executable, "-c", _CHILD, str(spy), "review", str(dossier), "--db", str(db)]
        cmd += ["--no-progress", "--output-dir", str(out)]
        env = {**os.environ, "LANGSMITH_TRACING": "false"}
        env.pop("GATES_MODEL", None)
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode not in (0, 3):
            sys.stderr.write(proc.stdout + proc.stderr)
            msg = f"review failed with exit code {proc.returncode}"
            raise SystemExit(msg)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            tables = {
                name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        scanned = json.loads(spy.read_text())
        return {
            "dossier_mb": round(dossier.stat().st_size / 1e6, 2),
            "wall_s": round(wall, 1),
            "peak_rss_mb": round(rss),
            "db_mb": round(db.stat().st_size / 1e6, 1),
            "reports_mb": round(
                sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6, 1
            ),
            "scanner_passes": round(sum(scanned) / chars, 1),
            "rows": tables,
        }


_HEADER = (
    "| run | commit | dossier MB | wall s | peak RSS MB | SQLite MB | reports MB "
    "| scanner passes | rows (checkpoints / writes) | machine load |"
)


def _row(label: str, r: dict[str, object], commit: str | None) -> str:
    rows = r["rows"]
    assert isinstance(rows, dict)
    commit = commit or subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load = os.getloadavg()[0]
    return (
        f"| {label} | {commit} | {r['dossier_mb']} | {r['wall_s']} | {r['peak_rss_mb']} "
        f"| {r['db_mb']} | {r['reports_mb']} | {r['scanner_passes']} "
        f"| {rows.get('checkpoints', '?')} / {rows.get('writes', '?')} | {load:.1f} |"
    )


def write(out: Path, label: str, row: str, items: int) -> None:
    """Replace or add the row of ``label`` in the table of ``out``; rewrite the method text."""
    kept: list[str] = []
    if out.exists():
        lines = out.read_text(encoding="utf-8").splitlines()
        kept = [ln for ln in lines if ln.startswith("| ") and not ln.startswith(("| run ", "|--"))]
        kept = [ln for ln in kept if ln.split("|")[1].strip() != label]
    kept.append(row)
    cpu = platform.processor() or platform.machine()
    text = [
        "# Large-dossier benchmark",
        "",
        f"Written by `.venv/bin/python benchmarks/bench_dossier.py` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC (`make bench-dossier`).",
        "",
        "## Method",
        "",
        "The churn example (`examples/churn`, copied to a temporary folder) with",
        f'`problem.assumptions` replaced by {items:,} sentences ("{ITEM.format(i="i")}"),',
        "written with PyYAML. One offline review as a child process:",
        "`gates review dossier.yaml --db review.sqlite --no-progress --output-dir reports`.",
        '"wall s" is the child\'s wall time (interpreter start-up included); "peak RSS" its',
        '`ru_maxrss`; "SQLite MB" the checkpoint database after a WAL checkpoint; "reports MB"',
        'the three reports (txt, md, json). "scanner passes" = characters handed to the secrets',
        "scanner (`evidence/secrets.py: _scan_strings`, spied on in the child) / characters of the",
        "dossier's list items: how many times redaction really scanned the dossier.",
        '"before" was measured on the base commit of issue 13\'s performance branch, "after"',
        "on the commit shown. Timings move with the load of this shared machine (last column:",
        "1-minute load average when the row was written).",
        "",
        "What moved the numbers (issue 13): the YAML is parsed by libyaml (`CSafeLoader`, the",
        "alias and depth guards run on its event stream); redaction is memoized by content, so",
        "the input's redaction, the dispatcher's and SEC.SECRETS' share one scan (an unseen",
        "mapping is always scanned); the checkpointers (`langgraph_gates/_blob_saver.py`)",
        "stores every value over 16 KiB once per database in `gates_blobs`, by content hash,",
        "with a reference in each checkpoint and write, instead of the whole dossier in all 11",
        "checkpoints. The reports (16 MB: the gate tables quote the 54,000 assumptions) are",
        "unchanged.",
        "",
        "## Machine",
        "",
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}.",
        "",
        "## Results",
        "",
        _HEADER,
        "|" + "---|" * _HEADER.count(" | ") + "---|",
        *kept,
    ]
    out.write_text("\n".join(text) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=54_000)
    parser.add_argument("--label", default="after")
    parser.add_argument("--out", type=Path, default=HERE / "dossier.md")
    parser.add_argument(
        "--commit",
        help="commit to show for the row (when PYTHONPATH points the child at another tree)",
    )
    args = parser.parse_args()
    result = run(args.items)
    print(json.dumps(result))
    write(args.out, args.label, _row(args.label, result, args.commit), args.items)


if __name__ == "__main__":
    main()
