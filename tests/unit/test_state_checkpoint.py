"""The review state round-trips through LangGraph's SQLite checkpointer without warnings or loss."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from langgraph_gates.graph import build_graph
from langgraph_gates.state import ReviewState, append_unique, merge_gates

from ..conftest import EXAMPLES


def test_reducers_store_plain_json() -> None:
    from langgraph_gates.state import GateResult, Status

    r = GateResult(id="problem_framing", title="PF", evidence_status=Status.PASS, status=Status.PASS)
    merged = merge_gates({}, {"problem_framing": r})
    assert merged == {"problem_framing": r.model_dump(mode="json")}
    assert isinstance(merged["problem_framing"]["status"], str)
    assert append_unique([{"a": 1}], [{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize("strict", [False, True])
def test_sqlite_round_trip_is_lossless_and_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, strict: bool
) -> None:
    if strict:
        monkeypatch.setenv("LANGGRAPH_STRICT_MSGPACK", "true")
    caplog.set_level(logging.WARNING)
    config = {"configurable": {"thread_id": "t"}}
    with SqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        graph = build_graph(saver)
        out = graph.invoke({"dossier_path": str(EXAMPLES / "weak_dossier" / "dossier.yaml")}, config)
    # Re-open the file in a new saver: what comes back validates to the same typed state.
    with SqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        values = build_graph(saver).get_state(config).values
    assert ReviewState.model_validate(values) == ReviewState.model_validate(out)
    assert len(values["gates"]) == 7
    assert not [r for r in caplog.records if "unregistered type" in r.getMessage()]
