"""Durable reviews through the Python API (langgraph_gates.durable), on memory and SQLite.

Re-runs are checked against two independent counts of what ran: the graph's ``updates`` stream
(``ReviewStatus.executed``) and the ``gate_completed`` events each gate node emits itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from langgraph_gates.durable import Reviews, open_reviews
from langgraph_gates.durable._edits import (
    changed_fields,
    parse_assignment,
    parse_override,
    set_path,
)
from langgraph_gates.errors import ConfigError, DossierError, ReviewStateError
from langgraph_gates.gates import GATES
from langgraph_gates.policy import policy_from_mapping
from langgraph_gates.report import render
from langgraph_gates.state import GATE_IDS, Recommendation, Status

METRICS = {
    "train": {"roc_auc": 0.86},
    "validation": {"roc_auc": 0.84},
    "test": {"roc_auc": 0.83},
    "cv": {"roc_auc": [0.82, 0.84, 0.83]},
    "feature_importance": {"seats": 0.4, "tenure": 0.3},
}


def write_dossier(folder: Path, **sections: Any) -> Path:
    """A small dossier with a metrics file (so some evidence is computed and cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(METRICS))
    dossier: dict[str, Any] = {
        "model": {"name": "tiny-churn", "version": "1.0", "task": "binary_classification"},
        "problem": {
            "objective": "Reduce voluntary churn of B2B accounts by contacting them early",
            "kpis": [{"name": "monthly churn", "baseline": 0.05, "target": 0.04}],
            "success_criteria": [{"metric": "roc_auc", "threshold": 0.8}],
        },
        "data": {"label": "churned", "sources": [{"name": "crm", "owner": "data-eng"}]},
        "features": {"key": ["seats", "tenure"]},
        "performance": {"metrics": "metrics.json", "validation_strategy": "time_split"},
    }
    dossier.update(sections)
    path = folder / "dossier.yaml"
    path.write_text(yaml.safe_dump(dossier))
    return path


@pytest.fixture
def dossier(tmp_path: Path) -> Path:
    return write_dossier(tmp_path / "case")


@pytest.fixture(params=["memory", "sqlite"])
def reviews(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Reviews]:
    db = ":memory:" if request.param == "memory" else str(tmp_path / "db" / "reviews.sqlite")
    with open_reviews(db, cache_dir=tmp_path / "cache") as r:
        yield r


@pytest.fixture
def mem_reviews() -> Iterator[Reviews]:
    with open_reviews(":memory:") as r:
        yield r


def completed_events(events: list[dict[str, Any]]) -> list[str]:
    return [e["gate"] for e in events if e.get("event") == "gate_completed"]


# ------------------------------------------------------------------ re-run from every gate


@pytest.mark.parametrize("k", range(len(GATE_IDS)))
def test_rerun_from_each_gate_runs_exactly_that_gate_and_later(
    mem_reviews: Reviews, dossier: Path, k: int
) -> None:
    reviews = mem_reviews
    first = reviews.start(dossier, review_id="r")
    assert first.executed == ["dispatcher", *GATE_IDS, "formatter"]
    before = reviews.status("r").values["gates"]

    events: list[dict[str, Any]] = []
    again = reviews.rerun("r", from_gate=GATE_IDS[k], on_progress=events.append)

    assert again.executed == [*GATE_IDS[k:], "formatter"]
    assert completed_events(events) == list(GATE_IDS[k:])
    after = again.values["gates"]
    for gate in GATE_IDS[:k]:
        assert after[gate] == before[gate]  # untouched, down to its duration and run number
    assert all(after[g]["run"] == 2 for g in GATE_IDS[k:])
    assert again.run == 2 and again.finished


def test_reruns_fork_from_forks_and_keep_every_run(tmp_path: Path, dossier: Path) -> None:
    with open_reviews(str(tmp_path / "forks.sqlite")) as reviews:
        _reruns_fork_from_forks(reviews, dossier)


def _reruns_fork_from_forks(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="r")
    # Each re-run starts from the head of the previous fork: walking parent_config must find
    # the right input checkpoint even when the tree has many branches.
    for n, k in enumerate(reversed(range(len(GATE_IDS))), start=2):
        status = reviews.rerun("r", from_gate=GATE_IDS[k])
        assert status.executed == [*GATE_IDS[k:], "formatter"]
        assert status.run == n
    history = reviews.history("r")
    assert [r.run for r in history.runs] == list(range(1, 9))
    assert all(r.state == "finished" for r in history.runs)
    assert [r.from_gate for r in history.runs] == ["problem_framing", *reversed(GATE_IDS)]
    # Run n+1 re-ran gates k..7 only: the number of gates it produced says so.
    assert [len(r.gates_run) for r in history.runs] == [7, 1, 2, 3, 4, 5, 6, 7]
    diff = reviews.diff("r", 1, 8)
    assert not diff.dossier and diff.recommendation_a == diff.recommendation_b


# ------------------------------------------------------------------ pause, edit, resume


def test_pause_plan_survives_a_new_process(tmp_path: Path, dossier: Path) -> None:
    db = str(tmp_path / "r.sqlite")
    with open_reviews(db) as r:
        status = r.start(
            dossier, review_id="p", pause_after=["data_readiness", "model_performance"]
        )
        assert status.next == ("feature_engineering",)
        assert status.completed_gates == ["problem_framing", "data_readiness"]
    with open_reviews(db) as r:  # another "process": only the database carries the plan
        status = r.resume("p", approve=True, by="ana")
        assert status.executed == ["feature_engineering", "model_performance"]
        assert status.next == ("responsible_ai",)
    with open_reviews(db) as r:
        status = r.resume("p", by="ana")
        assert status.executed == [*GATE_IDS[4:], "formatter"]
        assert status.finished
        audit = status.report().audit
    assert [(a.action, a.by, a.detail) for a in audit] == [
        ("approve", "ana", "after data_readiness"),
        ("resume", "ana", "after model_performance"),
    ]


def test_edit_of_a_computed_gate_is_rerun_on_resume(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="e", pause_after=["data_readiness"])
    dr_before = reviews.status("e").values["gates"]["data_readiness"]
    result = reviews.edit(
        "e", {"data.labeling_qc": "Two annotators, disagreements adjudicated"}, by="ana"
    )
    assert [c.path for c in result.changes] == ["data.labeling_qc"]
    readers = [g.id for g in GATES if "data" in g.reads]
    assert result.affected == readers
    assert result.stale == [g for g in readers if g in ("problem_framing", "data_readiness")]

    status = reviews.resume("e", approve=True, by="ana")
    first_stale = result.stale[0]
    assert status.executed == [*GATE_IDS[GATE_IDS.index(first_stale) :], "formatter"]
    assert status.run == 1  # the same run: a resume is not a re-run
    dr_after = status.values["gates"]["data_readiness"]
    outcome = {f["check_id"]: f["outcome"] for f in dr_after["findings"]}
    before = {f["check_id"]: f["outcome"] for f in dr_before["findings"]}
    assert before["DR.LABEL_QC"] != "pass" and outcome["DR.LABEL_QC"] == "pass"
    assert status.stale_gates == []


def test_invalid_edit_writes_nothing(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="x")
    n_checkpoints = len(reviews.history("x").checkpoints)
    before = reviews.status("x").values["dossier"]
    with pytest.raises(DossierError, match="validation_strategy"):
        reviews.edit("x", {"performance.validation_strategy": "vibes"})
    with pytest.raises(DossierError, match="unknown field"):
        reviews.edit("x", {"data.lable": "y"})
    with pytest.raises(DossierError, match="leaves the dossier"):
        reviews.edit("x", {"performance.metrics": "../../etc/passwd"})
    with pytest.raises(DossierError, match="not a mapping"):
        reviews.edit("x", {"data.label.inner": 1})
    assert len(reviews.history("x").checkpoints) == n_checkpoints
    assert reviews.status("x").values["dossier"] == before


def test_edit_values_are_yaml_and_keep_strings(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="y")
    changes = dict(
        parse_assignment(a)
        for a in (
            "data.sensitive_attributes=[region, company_size]",
            "problem.kpis[0].target=0.035",
            "model.version=2.4",  # YAML reads a number; the schema wants text
            "data.timestamp=",
        )
    )
    result = reviews.edit("y", changes, by="ana", reason="from the data card")
    dossier_now = reviews.status("y").values["dossier"]
    assert dossier_now["data"]["sensitive_attributes"] == ["region", "company_size"]
    assert dossier_now["problem"]["kpis"][0]["target"] == 0.035
    assert dossier_now["model"]["version"] == "2.4"
    paths = {c.path for c in result.changes}
    assert paths == {"data.sensitive_attributes", "problem.kpis[0].target", "model.version"}
    audit = reviews.status("y").values["audit"]
    assert audit[-1]["action"] == "edit" and audit[-1]["reason"] == "from the data card"


def test_rerun_without_from_starts_at_earliest_reader(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="z")
    with pytest.raises(ReviewStateError, match="nothing to re-run"):
        reviews.rerun("z")
    reviews.edit("z", {"deployment.on_call": "ml-oncall"})
    expected = next(g.id for g in GATES if "deployment" in g.reads)
    status = reviews.rerun("z", by="ana")
    assert status.executed[0] == expected
    assert status.executed == [*GATE_IDS[GATE_IDS.index(expected) :], "formatter"]
    diff = reviews.diff("z")
    assert [c.path for c in diff.dossier] == ["deployment.on_call"]
    assert (diff.run_a, diff.run_b) == (1, 2)


def test_rerun_refuses_a_gate_that_has_not_run(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="w", pause_after=["problem_framing"])
    with pytest.raises(ReviewStateError, match="has not run"):
        reviews.rerun("w", from_gate="model_performance")
    with pytest.raises(ConfigError, match="unknown gate"):
        reviews.rerun("w", from_gate="vibes")


# ------------------------------------------------------------------ overrides


def test_override_on_finished_review_reruns_only_the_formatter(
    reviews: Reviews, tmp_path: Path
) -> None:
    # No deployment section: the deployment gate fails on the evidence.
    path = write_dossier(tmp_path / "weak")
    done = reviews.start(path, review_id="o")
    failing = [g for g, v in done.values["gates"].items() if v["status"] == "Fail"]
    assert failing and done.recommendation is Recommendation.NO_GO

    with pytest.raises(ConfigError, match="--by"):
        reviews.resume("o", overrides={failing[0]: "Pass"}, by="ana")
    with pytest.raises(ConfigError, match="--reason"):
        reviews.resume("o", overrides={failing[0]: "Pass"}, reason="because")
    assert reviews.status("o").values.get("overrides") == []

    status = reviews.resume(
        "o", overrides=dict.fromkeys(failing, "pass"), by="cto", reason="accepted risk, ticket 42"
    )
    assert status.executed == ["formatter"]
    gates = status.values["gates"]
    assert all(gates[g]["status"] == "Pass" for g in failing)
    assert status.recommendation is not Recommendation.NO_GO
    report = status.report()
    assert {o.gate for o in report.overrides} == set(failing)
    assert all(o.previous_status is Status.FAIL for o in report.overrides)
    txt, md = render(report, "txt"), render(report, "md")
    assert "accepted risk, ticket 42" in txt and "accepted risk, ticket 42" in md
    data = json.loads(render(report, "json"))
    assert [o["by"] for o in data["overrides"]] == ["cto"] * len(failing)
    # The override is kept by a later re-run: the gate is recomputed, the decision stands.
    rerun = reviews.rerun("o", from_gate=failing[0])
    assert rerun.values["gates"][failing[0]]["status"] == "Pass"


def test_override_before_a_gate_runs_applies_when_it_runs(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="f", pause_after=["problem_framing"])
    status = reviews.resume(
        "f", overrides={"deployment_monitoring": "Conditional"}, by="cto", reason="pilot only"
    )
    dm = status.values["gates"]["deployment_monitoring"]
    assert dm["status"] == "Conditional" and dm["override"]["by"] == "cto"


# ------------------------------------------------------------------ evidence cache


def test_rerun_does_not_recompute_unchanged_evidence(tmp_path: Path, dossier: Path) -> None:
    db, cache = str(tmp_path / "r.sqlite"), tmp_path / "cache"
    policy = policy_from_mapping(None)
    with open_reviews(db, cache_dir=cache) as r:
        r.start(dossier, review_id="c")
        assert r.evidence_for(policy).computed  # the metrics file was read once
    with open_reviews(db, cache_dir=cache) as r:  # a new process: empty memory, same disk
        r.rerun("c", from_gate="feature_engineering")
        assert r.evidence_for(policy).computed == []
    changed = dict(METRICS, test={"roc_auc": 0.7})
    (dossier.parent / "metrics.json").write_text(json.dumps(changed))
    with open_reviews(db, cache_dir=cache) as r:
        r.rerun("c", from_gate="model_performance")
        assert r.evidence_for(policy).computed  # new content, computed again
        changed_gates = [g.gate for g in r.diff("c").gates if g.has_changes]
    assert "model_performance" in changed_gates


# ------------------------------------------------------------------ reading


def test_history_list_show_and_errors(reviews: Reviews, dossier: Path) -> None:
    reviews.start(dossier, review_id="a")
    reviews.start(dossier, review_id="b", pause_after=["data_readiness"])
    with pytest.raises(ReviewStateError, match="exists"):
        reviews.start(dossier, review_id="a")
    listed = {s.review_id: s for s in reviews.list_reviews()}
    assert set(listed) == {"a", "b"}
    assert listed["a"].state == "finished" and listed["a"].model == "tiny-churn"
    assert listed["b"].state == "waiting before feature_engineering"
    assert listed["b"].recommendation is None

    with pytest.raises(ReviewStateError, match="waiting before feature_engineering"):
        reviews.report("b")
    with pytest.raises(ReviewStateError, match="no review"):
        reviews.status("nope")
    with pytest.raises(ReviewStateError, match="one run"):
        reviews.diff("a")
    with pytest.raises(ReviewStateError, match="no run 5"):
        reviews.report("a", run=5)

    history = reviews.history("a")
    events = [c.event for c in history.checkpoints]
    assert events[0] == "review submitted"
    assert [e.split(":")[0] for e in events if e.startswith("ran ")] == [
        "ran dispatcher",
        *(f"ran {g}" for g in GATE_IDS),
        "ran formatter",
    ]
    assert all(c.on_branch for c in history.checkpoints)


# ------------------------------------------------------------------ small parts


def test_parsers_and_path_setting() -> None:
    assert parse_override("data_readiness=pass") == ("data_readiness", Status.PASS)
    assert parse_override(" security_robustness = CONDITIONAL ") == (
        "security_robustness",
        Status.CONDITIONAL,
    )
    for bad in ("data_readiness", "nope=Pass", "data_readiness=Maybe", "=Pass"):
        with pytest.raises(ConfigError):
            parse_override(bad)
    assert parse_assignment("a.b=[x, y]") == ("a.b", ["x", "y"])
    assert parse_assignment("a.b=") == ("a.b", None)
    assert parse_assignment("a.b=0.5") == ("a.b", 0.5)
    with pytest.raises(ConfigError):
        parse_assignment("no-equals")
    with pytest.raises(ConfigError, match="YAML"):
        parse_assignment("a=[unclosed")

    doc = {"p": {"kpis": [{"t": 1}]}}
    assert set_path(doc, "p.kpis[0].t", 2) == {"p": {"kpis": [{"t": 2}]}}
    assert set_path(doc, "p.kpis.1.t", 3)["p"]["kpis"][1] == {"t": 3}
    assert set_path(doc, "q.r", 1)["q"] == {"r": 1}
    assert doc == {"p": {"kpis": [{"t": 1}]}}  # the input is not modified
    with pytest.raises(DossierError, match="out of range"):
        set_path(doc, "p.kpis[5].t", 1)
    with pytest.raises(DossierError):
        set_path(doc, "p..x", 1)

    changes = changed_fields(
        {"a": {"b": 1, "c": [1, 2]}, "k": [{"t": 1}, {"t": 2}]},
        {"a": {"b": 2, "c": [1, 2]}, "k": [{"t": 1}, {"t": 3}], "n": None},
    )
    assert [(c.path, c.before, c.after) for c in changes] == [("a.b", 1, 2), ("k[1].t", 2, 3)]
