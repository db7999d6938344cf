"""Artifact scanners side by side on the peers' own sample sets: caught, benign failed, time.

    python benchmarks/bench_artifacts.py [--tools ours,picklescan,modelscan] [--repeat 3]

Reads ``tests/artifacts/peers/*/MANIFEST.tsv`` (built by ``benchmarks/peer_corpus.py``) and
runs every tool on every sample in one process, one after the other, so the ratio of their
times is measured on the same machine in the same run. A tool *fails* a sample when:

* ours: ``scan_artifact`` gives ``unsafe`` or ``unparseable`` (SEC.ARTIFACT_UNSAFE fails);
* picklescan 1.0.5: ``scan_file_path`` reports an infected file;
* modelscan 0.8.8: ``ModelScan().scan`` reports an issue;
* fickling 0.1.12: ``scan_file`` / ``scan_zip_archive`` (graceful) rate a file above
  LIKELY_SAFE.

A peer's scan errors (picklescan's ``scan_err``, modelscan's ``errors``) are counted apart, in
the "scan errors" column: those tools report them beside a pass, not as a failure.

Writes ``benchmarks/artifacts.md`` (assembled into BENCHMARKS.md) and prints the table.
Nothing is unpickled: every tool here scans statically.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "artifacts" / "peers"
sys.path.insert(0, str(ROOT))

Scanner = Callable[[Path], tuple[bool, bool]]
"""Returns (the tool fails the sample, the tool reported a scan error)."""


def ours() -> Scanner:
    """Our static scanner: fails on unsafe or unverifiable artifacts."""
    from langgraph_gates.evidence.artifact_scan import scan_artifact

    def run(path: Path) -> tuple[bool, bool]:
        scan = scan_artifact(path)
        return scan.verdict in ("unsafe", "unparseable"), scan.verdict == "unparseable"

    return run


def picklescan() -> Scanner:
    """picklescan's ``scan_file_path`` (directory scan for folders)."""
    from picklescan.scanner import scan_directory_path, scan_file_path

    def run(path: Path) -> tuple[bool, bool]:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = scan_directory_path(str(path)) if path.is_dir() else scan_file_path(str(path))
        return bool(result.infected_files), bool(result.scan_err)

    return run


def modelscan() -> Scanner:
    """modelscan's ``ModelScan().scan`` with its default settings."""
    from modelscan.modelscan import ModelScan

    def run(path: Path) -> tuple[bool, bool]:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = ModelScan().scan(path)
        return bool(result["issues"]), bool(result["errors"])

    return run


def fickling() -> Scanner:
    """fickling's ``scan_file`` (``scan_zip_archive`` for zips), graceful, file by file."""
    import zipfile

    from fickling import scan_file, scan_zip_archive

    def one(path: Path) -> tuple[bool, bool]:
        if zipfile.is_zipfile(path):
            results = list(scan_zip_archive(str(path), graceful=True).values())
        else:
            results = [scan_file(str(path), graceful=True)]
        return any(not r.is_safe for r in results), any(r.errors for r in results)

    def run(path: Path) -> tuple[bool, bool]:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        outcomes = [one(f) for f in files]
        return any(o[0] for o in outcomes), any(o[1] for o in outcomes)

    return run


TOOLS: dict[str, Callable[[], Scanner]] = {
    "ours": ours,
    "picklescan": picklescan,
    "modelscan": modelscan,
    "fickling": fickling,
}


@dataclass
class Tally:
    """What one tool did on one sample set."""

    malicious: int = 0
    caught: int = 0
    benign: int = 0
    benign_failed: int = 0
    seconds: float = 0.0
    crashed: int = 0
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Add another tally's counts and seconds (not its lists of files) to this one."""
        for name in ("malicious", "caught", "benign", "benign_failed", "crashed", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def load_manifest(set_dir: Path) -> list[tuple[Path, str]]:
    """The (sample path, label) rows of one sample set."""
    rows = []
    for line in (set_dir / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        rel, label, _origin = line.split("\t")
        rows.append((set_dir / rel, label))
    return rows


def run_tool(scan: Scanner, samples: list[tuple[Path, str]], repeat: int) -> Tally:
    """Scan every sample ``repeat`` times; keep the best total time."""
    best = float("inf")
    tally = Tally()
    for round_ in range(repeat):
        current = Tally()
        start = time.perf_counter()
        for path, label in samples:
            try:
                failed, errored = scan(path)
            except Exception:  # a tool that raises has not passed the sample
                failed, errored = True, True
            current.crashed += errored
            if label == "malicious":
                current.malicious += 1
                current.caught += failed
                if not failed:
                    current.missed.append(path.name)
            elif label == "benign":
                current.benign += 1
                current.benign_failed += failed
                if failed:
                    current.false_positives.append(path.name)
        current.seconds = time.perf_counter() - start
        if current.seconds < best:
            best = current.seconds
            tally = current
        del round_
    return tally


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("picklescan", "modelscan", "fickling"):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            out.append(f"{pkg} (not installed)")
    return ", ".join(out)


def main() -> None:
    """Run the comparison and write benchmarks/artifacts.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "artifacts.md")
    parser.add_argument("--verbose", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = [n.strip() for n in args.tools.split(",") if n.strip()]
    sets = sorted(d for d in CORPUS.iterdir() if (d / "MANIFEST.tsv").exists())
    scanners = {n: TOOLS[n]() for n in names}
    results: dict[tuple[str, str], Tally] = {}
    for set_dir in sets:
        samples = load_manifest(set_dir)
        for name, scan in scanners.items():
            results[(set_dir.name, name)] = run_tool(scan, samples, args.repeat)
    lines = [
        "# Artifact scanners on the peers' own sample sets",
        "",
        f"Written by `benchmarks/bench_artifacts.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "### Method",
        "",
        "Samples: `tests/artifacts/peers/*/MANIFEST.tsv` (picklescan's committed test files, "
        "modelscan's fixtures, the pickles fickling's bypass tests judge, and real benign "
        "models; see `tests/artifacts/peers/README.md`). Tools: this scanner and "
        f"{_versions()}. A sample counts as failed by a tool when ours says `unsafe` or "
        "`unparseable`, picklescan reports an infected file, modelscan reports an issue, "
        "fickling rates a file above LIKELY_SAFE. "
        "Each tool scans every sample of a set in turn in this one process (imports done "
        "before timing); the time is the best of the repeats (so our HDF5 reader process, "
        "started once per process, is warm).",
        "",
        "### Results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; best of {args.repeat} runs, one process, tools one "
        "after the other.",
        "Command: `make bench-artifacts` "
        f"(`python benchmarks/bench_artifacts.py --repeat {args.repeat}`).",
        "",
        "Ours fails a file it cannot verify (its scan errors are failures); the peers report "
        "scan errors beside a pass.",
        "",
        "| sample set | tool | malicious caught | benign failed | scan errors | seconds |",
        "|---|---|---|---|---|---|",
    ]
    totals: dict[str, Tally] = {n: Tally() for n in names}
    for set_dir in sets:
        for name in names:
            t = results[(set_dir.name, name)]
            totals[name].add(t)
            lines.append(
                f"| {set_dir.name} | {name} | {t.caught}/{t.malicious} | "
                f"{t.benign_failed}/{t.benign} | {t.crashed} | {t.seconds:.3f} |"
            )
            if args.verbose and (t.missed or t.false_positives):
                print(f"{set_dir.name} {name}: missed {t.missed} false {t.false_positives}")
    for name in names:
        t = totals[name]
        lines.append(
            f"| **all** | {name} | {t.caught}/{t.malicious} | {t.benign_failed}/{t.benign} | "
            f"{t.crashed} | {t.seconds:.3f} |"
        )
    if "ours" in totals:
        lines.append("")
        for peer in names:
            if peer != "ours" and totals["ours"].seconds:
                ratio = totals[peer].seconds / totals["ours"].seconds
                lines.append(f"- {peer} takes {ratio:.2f}x our time on the whole corpus.")
        # Per set too: the whole-corpus ratio is dominated by the few large pickles.
        for set_dir in sets:
            mine = results[(set_dir.name, "ours")].seconds
            for peer in names:
                theirs = results[(set_dir.name, peer)].seconds
                if peer != "ours" and mine:
                    lines.append(f"- {set_dir.name}: {peer} takes {theirs / mine:.2f}x our time.")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
