"""Report renderers (layout, not numbers) and the atomic, non-overwriting writer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from langgraph_gates import review
from langgraph_gates.gates import GATES
from langgraph_gates.report import ReviewReport, render, write_reports
from langgraph_gates.report.model import DISCLAIMERS

from ..conftest import EXAMPLES


@pytest.fixture(scope="module")
def report() -> ReviewReport:
    return review(EXAMPLES / "weak_dossier" / "dossier.yaml", as_of="2026-11-28").report


def _positions(text: str, needles: list[str]) -> list[int]:
    positions = [text.find(n) for n in needles]
    assert all(p >= 0 for p in positions), [n for n, p in zip(needles, positions, strict=True) if p < 0]
    return positions


def test_txt_follows_the_seed_layout(report: ReviewReport) -> None:
    txt = render(report, "txt")
    headings = [f"{g.emoji} {g.number}. {g.title.upper()}" for g in GATES]
    order = ["🤖 ML MODEL PRODUCTIONIZATION GATE REVIEW", "EXECUTIVE SUMMARY (Heuristic – refine manually):",
             *headings, "📋 GATE TABLE", "Gate | Status | Key Risk | Suggested Mitigation | Owner",
             "Overall Recommendation: No-Go", "⏱️ Elapsed Time:", "⚠️ This workflow generates"]
    pos = _positions(txt, order)
    assert pos == sorted(pos)
    for spec in GATES:
        for output in spec.outputs:
            assert f"{output}:" in txt
    table = txt[txt.index("Gate | Status"):txt.index("Overall Recommendation")].strip().splitlines()
    assert len(table) == 2 + 7
    for title, text in DISCLAIMERS:
        assert f"{title} - {text}" in txt


def test_md_has_real_tables(report: ReviewReport) -> None:
    md = render(report, "md")
    assert md.startswith("# 🤖 ML Model Productionization Gate Review")
    pos = _positions(md, [f"## {g.emoji} {g.number}. {g.title}" for g in GATES] + ["## 📋 Gate Table"])
    assert pos == sorted(pos)
    table = md[md.index("| Gate | Status |"):].splitlines()
    assert table[1] == "|---|---|---|---|---|"
    rows = [r for r in table[2:9]]
    assert all(r.count(" | ") >= 4 for r in rows)
    assert "**Overall Recommendation: No-Go**" in md


def test_json_contract(report: ReviewReport) -> None:
    data = json.loads(render(report, "json"))
    assert data["schema_version"] == "1.1"  # 1.1 added integrity and frameworks
    assert data["recommendation"] == "No-Go"
    assert [g["id"] for g in data["gates"]] == [g.id for g in GATES]
    for g in data["gates"]:
        assert {"id", "title", "status", "findings", "sections", "key_risk", "mitigation", "owner"} <= g.keys()
        for f in g["findings"]:
            assert {"check_id", "outcome", "severity", "measured", "threshold", "evidence", "message"} <= f.keys()
    assert data["overrides"] == []
    assert isinstance(data["elapsed_s"], float)
    assert "dossier" not in data  # only the model card reads it; a dossier can hold a secret
    assert data["integrity"]["report_sha256"]
    assert ReviewReport.model_validate(data) == report.sealed().model_copy(update={"dossier": None})


def test_writer_never_overwrites_and_leaves_no_temp_files(report: ReviewReport, tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 28, 9, 30, 0)
    first = write_reports(report, tmp_path, ["txt", "md", "json"], now=now)
    second = write_reports(report, tmp_path, ["txt", "md", "json"], now=now)
    assert first["txt"].name == "ml_production_gate_review_20261128_093000.txt"
    assert second["txt"].name == "ml_production_gate_review_20261128_093000_2.txt"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in first.values()] + [p.name for p in second.values()]
    )
    assert first["md"].read_text() == render(report, "md")


def test_unknown_format(report: ReviewReport) -> None:
    from langgraph_gates.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown report format"):
        render(report, "pdf")
