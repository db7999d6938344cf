"""The bundled champion example: a challenger better overall but worse for one region."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from langgraph_gates import review
from langgraph_gates.report import ReviewReport
from langgraph_gates.state import Finding, Outcome

from ..conftest import EXAMPLES
from .test_examples import _generator

pytestmark = pytest.mark.xdist_group("examples")
AS_OF = "2026-11-28"


def _findings(report: ReviewReport, check_id: str) -> list[Finding]:
    return [f for g in report.gates for f in g.findings if f.check_id == check_id]


def test_the_group_regression_is_caught_although_overall_improved() -> None:
    report = review(EXAMPLES / "churn" / "challenger.yaml", as_of=AS_OF).report
    overall, *slices = _findings(report, "MP.CHAMPION")
    assert overall.outcome is Outcome.PASS
    assert all(row["improvement"] > 0 for row in overall.measured["metrics"])  # type: ignore[index,union-attr]
    assert all(f.outcome is Outcome.PASS for f in slices) and len(slices) == 3
    (group,) = _findings(report, "RAI.GROUP_REGRESSION")
    assert group.outcome is Outcome.FAIL
    assert "region=LATAM" in group.message
    assert [g for g in ("APAC", "EMEA") if f"region={g} " in group.message] == []
    assert report.recommendation == "No-Go"
    assert report.next_review == "2027-02-27"  # level 2: quarterly after the review date
    assert report.key_metrics["roc_auc"] > 0.88


def test_a_challenger_better_everywhere_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "churn"
    shutil.copytree(EXAMPLES / "churn", folder)
    generate = _generator(monkeypatch)
    generate.write_churn_challenger(folder)
    committed = (EXAMPLES / "churn" / "eval" / "challenger_predictions.parquet").read_bytes()
    assert (folder / "eval" / "challenger_predictions.parquet").read_bytes() == committed
    assert (folder / "challenger.yaml").read_text() == (
        EXAMPLES / "churn" / "challenger.yaml"
    ).read_text()
    generate.write_churn_challenger(folder, degrade=None, name="better")
    report = review(
        folder / "better.yaml", as_of=AS_OF, policy={"champion": {"bootstrap_samples": 50}}
    ).report
    champion = _findings(report, "MP.CHAMPION")
    assert [f.outcome for f in champion] == [Outcome.PASS] * 4
    assert [f.outcome for f in _findings(report, "RAI.GROUP_REGRESSION")] == [Outcome.PASS]
