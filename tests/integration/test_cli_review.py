"""`gates review` end to end, as a user runs it: real process, real files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import EXAMPLES
from ..conftest import run_gates as gates

GATE_TITLES = [
    "Problem Framing / KPIs", "Data Readiness", "Feature Engineering", "Model Performance",
    "Responsible AI / Fairness", "Security & Robustness", "Deployment & Monitoring",
]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def test_churn_example_full_review(workdir: Path) -> None:
    out = gates("review", str(EXAMPLES / "churn" / "dossier.yaml"), "--fail-on", "no-go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    positions = [next(i for i, line in enumerate(lines) if f"] {title}" in line) for title in GATE_TITLES]
    assert positions == sorted(positions)
    assert "GATE TABLE" in out.stdout
    assert "Overall Recommendation:" in out.stdout and "Elapsed Time:" in out.stdout
    files = sorted((workdir / "workflow_outputs").iterdir())
    assert [f.suffix for f in files] == [".json", ".md", ".txt"]
    assert all(f.name.startswith("ml_production_gate_review_") for f in files)
    data = json.loads(files[0].read_text())
    assert data["recommendation"] in ("Go", "Conditional Go")
    assert (workdir / ".gates" / "reviews.sqlite").exists()


def test_weak_example_fails_the_pipeline(workdir: Path) -> None:
    out = gates("review", str(EXAMPLES / "weak_dossier" / "dossier.yaml"), "--fail-on", "no-go", cwd=workdir)
    assert out.returncode == 3, out.stdout + out.stderr
    assert "No-Go" in out.stdout


def test_fail_on_conditional(workdir: Path) -> None:
    out = gates("review", str(EXAMPLES / "churn" / "dossier.yaml"), "--fail-on", "conditional",
                "--format", "json", cwd=workdir)
    report = json.loads(next((workdir / "workflow_outputs").glob("*.json")).read_text())
    expected = 3 if report["recommendation"] != "Go" else 0
    assert out.returncode == expected


def _bad(workdir: Path, text: str | bytes) -> Path:
    path = workdir / "bad.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("model: [oops\n", "not valid YAML/JSON"),
        ("model:\n  task: telepathy\n", "model.task"),
        ("problem:\n  kpis: 3\n", "problem.kpis"),
        ("", "empty"),
        ("data:\n  train: ../../etc/passwd\n", "data.train"),
    ],
)
def test_bad_dossier_exit_2_one_line(workdir: Path, content: str, expected: str) -> None:
    out = gates("review", str(_bad(workdir, content)), cwd=workdir)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    err = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(err) == 1 and expected in err[0] and "bad.yaml" in err[0]
    assert not (workdir / "workflow_outputs").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fail-on", "sometimes"], "--fail-on"),
        (["--format", "pdf"], "--format"),
        (["--pause-after", "nonsense"], "--pause-after"),
        (["--policy", "absent.yaml"], "absent.yaml"),
        (["--as-of", "yesterday"], "--as-of"),
    ],
)
def test_bad_flags_exit_2(workdir: Path, args: list[str], expected: str) -> None:
    out = gates("review", str(EXAMPLES / "weak_dossier" / "dossier.yaml"), *args, cwd=workdir)
    assert out.returncode == 2, out.stdout
    assert expected in out.stderr and "Traceback" not in out.stderr


def test_missing_file_dossier_argument(workdir: Path) -> None:
    out = gates("review", "nope.yaml", cwd=workdir)
    assert out.returncode == 2 and "nope.yaml" in out.stderr and "not found" in out.stderr


def test_missing_evidence_file_is_a_finding(workdir: Path) -> None:
    (workdir / "d.yaml").write_text("performance:\n  metrics: eval/absent.json\n")
    out = gates("review", "d.yaml", "--format", "json", cwd=workdir)
    assert out.returncode == 0, out.stderr
    data = json.loads(next((workdir / "workflow_outputs").glob("*.json")).read_text())
    mp = next(g for g in data["gates"] if g["id"] == "model_performance")
    outcomes = {f["check_id"]: f["outcome"] for f in mp["findings"]}
    assert outcomes["MP.OVERFIT"] == "error"


def test_text_only_review(workdir: Path) -> None:
    out = gates("review", "--text", "Fraud model for card payments, launching next week.", cwd=workdir)
    assert out.returncode == 0 and "No-Go" in out.stdout


def test_policy_flag_changes_thresholds(workdir: Path) -> None:
    (workdir / "p.yaml").write_text("name: lenient\nperformance:\n  overfit_relative_gap: {warn: 0.3, fail: 0.5}\n")
    out = gates("review", str(EXAMPLES / "weak_dossier" / "dossier.yaml"), "--policy", "p.yaml",
                "--format", "json", cwd=workdir)
    assert out.returncode == 0
    data = json.loads(next((workdir / "workflow_outputs").glob("*.json")).read_text())
    mp = next(g for g in data["gates"] if g["id"] == "model_performance")
    overfit = next(f for f in mp["findings"] if f["check_id"] == "MP.OVERFIT")
    assert overfit["outcome"] == "pass" and overfit["threshold"]["fail"] == 0.5
    assert data["policy"]["name"] == "lenient"


def test_schema_and_init(workdir: Path) -> None:
    out = gates("schema", cwd=workdir)
    schema = json.loads(out.stdout)
    assert "problem" in schema["properties"] and "deployment" in schema["properties"]
    assert gates("init", "d.yaml", cwd=workdir).returncode == 0
    assert gates("init", "d.yaml", cwd=workdir).returncode == 2  # never overwrites by default
    out = gates("review", "d.yaml", "--format", "json", cwd=workdir)
    assert out.returncode == 0, out.stderr
