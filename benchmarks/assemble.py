"""Assemble BENCHMARKS.md from the per-area result files each benchmark writes.

    python benchmarks/assemble.py

Each benchmark writes its own file (benchmarks/evidence.md, llm.md, reliability.md, dossier.md) with its
method and machine; this script only stitches them together under one table of contents.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = [
    ("evidence.md", "Evidence engine: speed and memory", "make bench-evidence"),
    ("llm.md", "LLM context: prompt tokens and re-run calls", "make bench-llm"),
    ("reliability.md", "Reliability: hostile and broken input", "make reliability"),
    ("artifacts.md", "Artifact scanners side by side", "make bench-artifacts"),
    ("dossier.md", "Large dossier: one review of 5 MB", "make bench-dossier"),
    ("champion.md", "Champion comparison: paired bootstrap", "make bench-champion"),
    ("spark.md", "Spark Connect: client memory as the table grows", "make bench-spark"),
    (
        "spark_evidence.md",
        "The 10M-row evidence set on DuckDB and on Spark Connect",
        "make bench-spark-evidence",
    ),
    (
        "spark_predictions.md",
        "Spark Connect: predictions read from a table",
        "make bench-spark-predictions",
    ),
]


def main() -> None:
    out = [
        "# Benchmarks",
        "",
        "Speed, memory and token goals are measured here, never asserted as timings in tests.",
        "Each section says how it was measured, on which machine, and the command that",
        "reproduces it. Regenerate a section with its command, then `python benchmarks/assemble.py`.",
        "",
    ]
    present = [(f, t, c) for f, t, c in PARTS if (HERE / f).exists()]
    out += [f"- [{title}](#{_anchor(title)}) — `{cmd}`" for _, title, cmd in present]
    for name, title, cmd in present:
        body = (HERE / name).read_text(encoding="utf-8").strip().splitlines()
        if body and body[0].startswith("# "):
            body = body[1:]  # replaced by the section title below; its subsections go one level down
        out += ["", f"## {title}", "", f"Reproduce: `{cmd}` (writes `benchmarks/{name}`).", ""]
        out += ["#" + line if line.startswith("#") else line for line in body]
    (HERE.parent / "BENCHMARKS.md").write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


def _anchor(title: str) -> str:
    keep = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -")
    return keep.replace(" ", "-")


if __name__ == "__main__":
    main()
