"""Durable reviews from the CLI alone, including a review process killed with SIGKILL.

The kill tests start a real ``gates`` process whose one gate is made slow by a small script
that patches that gate's first check (nodes read no environment variable for this), kill it
once the gate has started, and let ``gates resume`` finish the review. What ran is counted from
the checkpoints themselves, walking ``parent_config`` from the head of the thread.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from langgraph_gates.checkpoint import open_checkpointer
from langgraph_gates.cli import app
from langgraph_gates.graph import build_graph
from langgraph_gates.state import GATE_IDS

from .slow_gate import start_slow_gate

TITLES = {
    "problem_framing": "[1/7]",
    "data_readiness": "[2/7]",
    "feature_engineering": "[3/7]",
    "model_performance": "[4/7]",
    "responsible_ai": "[5/7]",
    "security_robustness": "[6/7]",
    "deployment_monitoring": "[7/7]",
}

TRANSFORMS = (
    "log(seats) and tenure in months, one-hot encoded region; all fitted on the training split "
    "only, inside the serving pipeline"
)


def write_dossier(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dossier = {
        "model": {"name": "story-model", "version": "0.9", "task": "binary_classification"},
        "problem": {
            "objective": "Reduce voluntary churn of B2B accounts by contacting them early",
            "kpis": [{"name": "monthly churn", "baseline": 0.05, "target": 0.04}],
        },
        "data": {"label": "churned", "sources": [{"name": "crm", "owner": "data-eng"}]},
        "features": {"key": ["seats"]},
    }
    path = folder / "dossier.yaml"
    path.write_text(yaml.safe_dump(dossier))
    return path


def cli(*args: str, ok: bool = True, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    if ok:
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def start_killed(tmp_path: Path, gate: str, *args: str) -> None:
    """Run ``gates ARGS`` with ``gate`` slow and SIGKILL the process while the gate runs."""
    proc = start_slow_gate(tmp_path, gate, tmp_path / f"{gate}.started", *args)
    try:
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def branch_executions(db: str, review_id: str) -> tuple[Counter[str], dict[str, Any]]:
    """Nodes executed on the current branch, counted from the checkpoints, and the head values."""
    with open_checkpointer(db) as saver:
        graph = build_graph(saver)
        snap = graph.get_state({"configurable": {"thread_id": review_id}})
        head = snap.values
        ran: Counter[str] = Counter()
        while snap.parent_config is not None:
            parent = graph.get_state(snap.parent_config)
            if (
                snap.metadata.get("source") == "loop"
                and parent.next
                and parent.next[0] != "__start__"
            ):
                ran[parent.next[0]] += 1
            snap = parent
    return ran, head


def progress_lines(stdout: str) -> Counter[str]:
    return Counter(
        gate for gate, tag in TITLES.items() for line in stdout.splitlines() if tag in line
    )


@pytest.mark.slow
def test_killed_review_resumes_with_each_gate_once(tmp_path: Path) -> None:
    dossier = write_dossier(tmp_path / "case")
    db = str(tmp_path / "db" / "reviews.sqlite")
    start_killed(
        tmp_path,
        "model_performance",
        "review",
        str(dossier),
        "--id",
        "k",
        "--db",
        db,
        "--no-progress",
    )
    ran, head = branch_executions(db, "k")
    assert set(head["gates"]) == set(GATE_IDS[:3])  # three gates were checkpointed

    out = cli("resume", "k", "--db", db, "-o", str(tmp_path / "out"))
    assert progress_lines(out.stdout) == Counter(GATE_IDS[3:])  # only what was left
    ran, head = branch_executions(db, "k")
    assert ran == Counter(["dispatcher", *GATE_IDS, "formatter"])
    assert list(head["gates"]) == list(GATE_IDS) and head["outcome"]["recommendation"]
    assert "database is locked" not in out.stderr


@pytest.mark.slow
def test_story_from_the_cli_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pause after data readiness, edit, resume, override, edit again, re-run from feature
    engineering (killed in the middle and resumed), then history, diff, show and list."""
    monkeypatch.chdir(tmp_path)
    dossier = write_dossier(tmp_path / "case")
    db = str(tmp_path / "db" / "reviews.sqlite")
    common = ["--db", db, "-o", str(tmp_path / "out")]

    out = cli("review", str(dossier), "--id", "s", "--pause-after", "data_readiness", *common)
    assert "paused after data_readiness" in out.stdout and "gates resume s" in out.stdout
    assert progress_lines(out.stdout) == Counter(GATE_IDS[:2])

    # A bad edit is one line, exit 2, and writes nothing.
    bad = cli("edit", "s", "--db", db, "--set", "performance.validation_strategy=vibes", ok=False)
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "validation_strategy" in bad.stderr

    out = cli(
        "edit", "s", "--db", db, "--set", "data.labeling_qc=Two annotators; kappa 0.82",
        "--by", "ana", "--reason", "QC documented",
    )  # fmt: skip
    assert "data.labeling_qc" in out.stdout and "re-runs data_readiness" in out.stdout

    out = cli("resume", "s", "--approve", "--by", "ana", *common)
    assert progress_lines(out.stdout) == Counter(GATE_IDS[1:])  # data readiness again, then on
    assert "Overall Recommendation" in out.stdout

    for missing in (["--by", "cto"], ["--reason", "accepted"]):
        refused = cli(
            "resume", "s", "--override", "deployment_monitoring=Conditional", *missing, *common,
            ok=False,
        )  # fmt: skip
        assert refused.exit_code == 2 and "--by NAME and --reason TEXT" in refused.stderr
    out = cli(
        "resume", "s", "--override", "deployment_monitoring=Conditional",
        "--by", "cto", "--reason", "pilot with 1% traffic only", *common,
    )  # fmt: skip
    assert "only the formatter re-ran" in out.stdout

    out = cli("edit", "s", "--db", db, "--set", f"features.transformations={TRANSFORMS}")
    assert "gates rerun s" in out.stdout

    # The re-run is killed while model performance runs, then resumed by another process.
    start_killed(
        tmp_path, "model_performance",
        "rerun", "s", "--from", "feature_engineering", *common, "--no-progress",
    )  # fmt: skip
    resumed = cli("resume", "s", *common)
    assert progress_lines(resumed.stdout) == Counter(GATE_IDS[3:])

    ran, head = branch_executions(db, "s")
    assert ran == Counter(["dispatcher", *GATE_IDS, "formatter"])
    assert [head["gates"][g]["run"] for g in GATE_IDS] == [1, 1, 2, 2, 2, 2, 2]

    history = json.loads(cli("history", "s", "--format", "json", env={"GATES_DB": db}).stdout)
    assert [(r["run"], r["state"], r["from_gate"]) for r in history["runs"]] == [
        (1, "finished", "problem_framing"),
        (2, "finished", "feature_engineering"),
    ]
    text = cli("history", "s", "--db", db).stdout
    assert "cto override deployment_monitoring" in text and "ran formatter" in text

    diff = cli("diff", "s", "--db", db).stdout
    assert "run 1 -> run 2" in diff
    assert f"features.transformations: None -> '{TRANSFORMS[:20]}" in diff
    assert cli("diff", "s", "1", "2", "--db", db).stdout == diff
    # The diff's finding changes, against the two runs' own reports.
    report_1 = json.loads(cli("show", "s", "--run", "1", "--format", "json", "--db", db).stdout)
    report = json.loads(cli("show", "s", "--format", "json", "--db", db).stdout)
    fe_1, fe_2 = (
        {f["check_id"]: f["outcome"] for f in r["gates"][2]["findings"]} for r in (report_1, report)
    )
    assert fe_1["FE.TRANSFORMS"] != "pass" and fe_2["FE.TRANSFORMS"] == "pass"
    for check_id in fe_1.keys() & fe_2.keys():
        line = f"~ {check_id} {fe_1[check_id]} -> {fe_2[check_id]}"
        assert (line in diff) == (fe_1[check_id] != fe_2[check_id]), line

    assert [(o["gate"], o["status"], o["by"]) for o in report["overrides"]] == [
        ("deployment_monitoring", "Conditional", "cto")
    ]
    actions = [a["action"] for a in report["audit"]]
    assert actions == ["edit", "approve", "override", "edit", "rerun", "resume"]
    for fmt in ("txt", "md"):
        assert "pilot with 1% traffic only" in cli("show", "s", "--format", fmt, "--db", db).stdout
    listed = json.loads(cli("list", "--db", db, "--format", "json").stdout)
    assert [(r["review_id"], r["run"], r["state"]) for r in listed] == [("s", 2, "finished")]


def test_commands_refuse_bad_input_with_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "r.sqlite")
    for args in (
        ["resume", "nope", "--db", db],
        ["show", "nope", "--db", db],
        ["history", "nope", "--db", db],
        ["diff", "nope", "--db", db],
        ["edit", "nope", "--db", db, "--set", "data.label=y"],
        ["edit", "nope", "--db", db, "--set", "no-equals-sign"],
        ["resume", "nope", "--db", db, "--override", "vibes=Pass", "--by", "a", "--reason", "b"],
        ["rerun", "nope", "--db", db, "--from", "data_readiness"],
        ["show", "nope", "--db", db, "--format", "pdf"],
    ):
        result = cli(*args, ok=False)
        assert result.exit_code == 2, (args, result.stdout, result.exception)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
    assert "No reviews" in cli("list", "--db", db).stdout
