"""`gates history --model` and `gates compare` on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from langgraph_gates.cli import app
from langgraph_gates.durable import compare_reviews, model_history, open_reviews
from langgraph_gates.errors import ReviewStateError
from langgraph_gates.state import Recommendation

from .small_dossier import write_small_dossier


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.xdist_group("postgres")]),
    ]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "reviews.sqlite")
    url: str = request.getfixturevalue("server").url()
    return url


def _version(tmp_path: Path, name: str, version: str, rows: str) -> Path:
    """A small dossier (MLOps level 2) with a training file of these rows."""
    path = write_small_dossier(
        tmp_path / f"v{version}",
        name=name,
        version=version,
        objective="Flag fraudulent card payments before settlement",
        label="fraud",
    )
    (path.parent / "train.csv").write_text(rows)
    dossier = yaml.safe_load(path.read_text())
    dossier["data"]["train"] = "train.csv"
    dossier["deployment"] = {"mlops_level": 2}
    path.write_text(yaml.safe_dump(dossier))
    return path


def _three_reviews(db: str, tmp_path: Path, prefix: str) -> tuple[str, str]:
    """Versions 1 and 2 of model ``lineage-<prefix>`` (v2 overridden, stricter policy) and
    another model (one PostgreSQL server serves the whole module, so names differ per test)."""
    v1 = _version(tmp_path, f"lineage-{prefix}", "1", "amount,fraud\n1,0\n2,1\n")
    v2 = _version(tmp_path, f"lineage-{prefix}", "2", "amount,fraud\n1,0\n2,1\n3,0\n")
    other = write_small_dossier(
        tmp_path / "other", name="other-model", version="9", objective="x", label="y"
    )
    a, b = f"{prefix}-v1", f"{prefix}-v2"
    with open_reviews(db) as reviews:
        reviews.start(v1, review_id=a, as_of="2026-01-05")
        reviews.start(
            v2,
            review_id=b,
            as_of="2026-02-01",
            policy={"data": {"psi": {"warn": 0.05, "fail": 0.2}}},
        )
        reviews.resume(b, overrides={"data_readiness": "Conditional"}, by="cto", reason="pilot")
        reviews.start(other, review_id=f"{prefix}-other", as_of="2026-03-01")
    return a, b


def test_model_history_lists_every_version_and_flags_overdue(db: str, tmp_path: Path) -> None:
    a, b = _three_reviews(db, tmp_path, "hist")
    with open_reviews(db) as reviews:
        history = model_history(reviews, "LINEAGE-hist", today=dt.date(2026, 12, 1))
        on_time = model_history(reviews, "lineage-hist", today=dt.date(2026, 3, 1))
        with pytest.raises(ReviewStateError, match="no review of this model"):
            model_history(reviews, "nobody")
    assert [r.review_id for r in history.reviews] == [a, b]
    assert [r.version for r in history.reviews] == ["1", "2"]
    first, second = history.reviews
    assert first.recommendation is Recommendation.NO_GO and len(first.gates) == 7
    assert second.overrides == ["data_readiness: Fail -> Conditional by cto: pilot"]
    assert second.next_review == "2026-05-03"  # level 2: quarterly (91 days)
    assert "quarterly" in second.review_cadence
    assert history.overdue and "2026-05-03" in history.overdue_note
    assert not on_time.overdue


def test_compare_names_gates_policy_and_evidence_changes(db: str, tmp_path: Path) -> None:
    a, b = _three_reviews(db, tmp_path, "cmp")
    with open_reviews(db) as reviews:
        comparison = compare_reviews(reviews, a, b)
        with pytest.raises(ReviewStateError, match="no review with this id"):
            compare_reviews(reviews, a, "missing")
    assert comparison.model_a == "lineage-cmp 1" and comparison.model_b == "lineage-cmp 2"
    assert {c.path for c in comparison.policy} == {"data.psi.warn", "data.psi.fail"}
    assert [e.field for e in comparison.evidence] == ["data.train"]
    assert comparison.evidence[0].before != comparison.evidence[0].after
    assert any(c.path == "model.version" for c in comparison.dossier)
    text = comparison.render()
    assert "Policy changes:" in text and "data.train:" in text


def _gates(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_history_and_compare(db: str, tmp_path: Path) -> None:
    a, b = _three_reviews(db, tmp_path, "cli")
    code, out, err = _gates(
        "history", "--model", "lineage-cli", "--db", db, "--as-of", "2026-12-01"
    )
    assert code == 0 and a in out and b in out
    assert "review overdue" in err
    code, out, _ = _gates("history", "--model", "lineage-cli", "--db", db, "--format", "json")
    assert code == 0 and [r["version"] for r in json.loads(out)["reviews"]] == ["1", "2"]
    code, out, _ = _gates("compare", a, b, "--db", db)
    assert code == 0 and "Evidence files changed" in out and "data.psi.warn" in out
    code, _, err = _gates("compare", a, "nope", "--db", db)
    assert code == 2 and "error [review_state_error]" in err and "Traceback" not in err
    code, _, err = _gates("history", "--db", db)
    assert code == 2 and "--model" in err


def test_html_report_shows_the_key_metric_trend(db: str, tmp_path: Path) -> None:
    reports = []
    for version, auc in (("1", 0.81), ("2", 0.86)):
        path = _version(tmp_path, "lineage-trend", version, "amount,fraud\n1,0\n2,1\n")
        dossier = yaml.safe_load(path.read_text())
        dossier["problem"]["success_criteria"] = [{"metric": "roc_auc", "threshold": 0.7}]
        dossier["performance"] = {"metrics": "metrics.json"}
        (path.parent / "metrics.json").write_text(json.dumps({"validation": {"roc_auc": auc}}))
        path.write_text(yaml.safe_dump(dossier))
        out = tmp_path / f"out{version}"
        code, _, err = _gates(
            "review",
            str(path),
            "--id",
            f"trend-{version}",
            "--db",
            db,
            "--format",
            "html",
            "-o",
            str(out),
            "--no-progress",
        )
        assert code == 0, err
        reports.append(next(out.glob("*.html")).read_text())
    assert "across versions" not in reports[0]  # one review: no trend yet
    trend = reports[1].split('<section id="trend">')[1].split("</section>")[0]
    assert "roc_auc across versions" in trend and "0.81" in trend and "0.86" in trend
