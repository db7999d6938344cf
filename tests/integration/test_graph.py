"""The review graph: node order, streaming progress, and gates that read earlier gates."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_gates import build_graph, review
from langgraph_gates.graph import NODE_ORDER
from langgraph_gates.state import Outcome

from ..conftest import EXAMPLES

WEAK = EXAMPLES / "weak_dossier" / "dossier.yaml"


def test_nodes_run_once_in_the_seed_order() -> None:
    graph = build_graph()
    ran = [next(iter(chunk)) for chunk in graph.stream({"dossier_path": str(WEAK)}, stream_mode="updates")]
    assert ran == list(NODE_ORDER)
    assert NODE_ORDER[1:-1] == (
        "problem_framing", "data_readiness", "feature_engineering", "model_performance",
        "responsible_ai", "security_robustness", "deployment_monitoring",
    )


def test_progress_is_streamed_per_gate() -> None:
    events: list[dict[str, Any]] = []
    review(WEAK, on_progress=events.append)
    done = [e for e in events if e["event"] == "gate_completed"]
    assert [e["number"] for e in done] == [1, 2, 3, 4, 5, 6, 7]
    assert all({"gate", "status", "key_risk", "duration_s"} <= e.keys() for e in done)
    assert events[-1]["event"] == "review_completed"


def test_gates_see_only_earlier_gates_and_use_them() -> None:
    report = review({"model": {"name": "m"}, "performance": {"metrics": "m.json"}}).report
    mp = report.gate("model_performance")
    assert mp is not None
    criteria = mp.finding("MP.SUCCESS_CRITERIA_MET")
    assert criteria is not None and criteria.outcome is Outcome.MISSING
    assert "problem framing found none" in criteria.message


def test_inputs_mapping_file_and_text_agree() -> None:
    from_file = review(WEAK, as_of="2026-11-28").report
    import yaml

    mapping = yaml.safe_load(WEAK.read_text())
    from_mapping = review(mapping, base_dir=WEAK.parent, as_of="2026-11-28").report
    def outcomes(r: object) -> list[tuple[str, str, str]]:
        return [(g.id, f.check_id, f.outcome.value) for g in r.gates for f in g.findings]  # type: ignore[attr-defined]

    assert outcomes(from_file) == outcomes(from_mapping)
    overfit = from_mapping.gate("model_performance").finding("MP.OVERFIT")  # type: ignore[union-attr]
    assert overfit is not None and overfit.outcome is Outcome.FAIL  # evidence found via base_dir
    from_text = review(text="A churn model for our SaaS customers.").report
    assert from_text.recommendation.value == "No-Go"
    assert any("free text" in n for n in from_text.notes)


def test_same_inputs_same_statuses() -> None:
    a = review(EXAMPLES / "churn" / "dossier.yaml", as_of="2026-11-28").report
    b = review(EXAMPLES / "churn" / "dossier.yaml", as_of="2026-11-28").report
    assert [(g.id, g.status, [f.outcome for f in g.findings]) for g in a.gates] == [
        (g.id, g.status, [f.outcome for f in g.findings]) for g in b.gates
    ]


def test_dispatcher_refuses_no_input() -> None:
    from langgraph_gates.errors import DossierError

    with pytest.raises(DossierError, match="no input"):
        build_graph(InMemorySaver()).invoke({}, {"configurable": {"thread_id": "x"}})
