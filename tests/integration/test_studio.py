"""The graph as LangGraph Studio meets it: a real `langgraph dev` server, driven over HTTP.

One server serves the whole module. It runs the repository's `langgraph.json` (graph paths made
absolute) from a temporary folder, so its working files (`.langgraph_api/`) land there and not
in the repository. Verdicts that come back over HTTP are compared with the same review run
in-process through `langgraph_gates.review`, so the server path (input schema, no runtime
context, its own checkpointer and serializer) must not change a single finding.
"""

from __future__ import annotations

import copy
import json
import re
import runpy
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from langgraph_gates import Override, Recommendation, Status, review
from langgraph_gates.state import GATE_IDS

from ..conftest import EXAMPLES, ROOT
from .dev_server import dev_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("studio")]

GRAPH_ID = "workflow_ml_prod_sequential"
CHURN = EXAMPLES / "churn"
AS_OF = "2026-11-28"  # fixed, so the freshness check cannot move between the two runs


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a `langgraph dev` server on a free port, stopped after the module."""
    with dev_server(tmp_path_factory.mktemp("langgraph-dev")) as running:
        yield running.url


@pytest.fixture(scope="module")
def client(server: str) -> SyncLangGraphClient:
    """An SDK client of the module's server (no API key: the dev server needs none)."""
    return get_sync_client(url=server, api_key=None)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    """The churn review computed in this process, for comparison with the server's."""
    result = review(CHURN / "dossier.yaml", as_of=AS_OF)
    return {g.id: g.model_dump(mode="json") for g in result.report.gates} | {
        "recommendation": result.recommendation
    }


@pytest.fixture(scope="module")
def churn_thread(client: SyncLangGraphClient) -> dict[str, Any]:
    """A finished review of the churn dossier file on the server (thread id + final values)."""
    return _run_to_end(client, {"dossier_path": str(CHURN / "dossier.yaml"), "as_of": AS_OF})


def _findings(gate: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["check_id"], f["outcome"], f["message"]) for f in gate["findings"]]


def _run_to_end(client: SyncLangGraphClient, payload: dict[str, Any]) -> dict[str, Any]:
    """Create a thread and a run, wait for it, and return the final state values."""
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], GRAPH_ID, input=payload)
    values = client.runs.join(thread["thread_id"], run["run_id"])
    finished = client.runs.get(thread["thread_id"], run["run_id"])
    assert finished["status"] == "success", finished
    return {"thread_id": thread["thread_id"], **values}


def test_the_config_serves_the_seed_entity_without_a_checkpointer(
    client: SyncLangGraphClient,
) -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert list(config["graphs"]) == [GRAPH_ID]
    assert config["env"] == ".env" and config["dependencies"] == ["."]
    # The server refuses a graph compiled with a checkpointer of its own.
    served = runpy.run_path(str(ROOT / "graphs" / "review.py"))["graph"]
    assert served.checkpointer is None and served.name == GRAPH_ID
    assistants = client.assistants.search(graph_id=GRAPH_ID)
    assert [a["graph_id"] for a in assistants] == [GRAPH_ID]


def test_the_input_form_offers_a_file_a_mapping_or_text(client: SyncLangGraphClient) -> None:
    assistant = client.assistants.search(graph_id=GRAPH_ID)[0]
    schemas = client.assistants.get_schemas(assistant["assistant_id"])
    form = schemas["input_schema"]["properties"]
    assert {"dossier_path", "dossier", "text"} <= set(form)
    assert not schemas["input_schema"].get("required")  # any one of them is enough
    for field in ("dossier_path", "dossier", "text", "policy", "base_dir", "as_of"):
        assert form[field].get("description"), field
    # The state schema carries the gate results Studio shows after each node.
    assert "gates" in schemas["state_schema"]["properties"]


@pytest.mark.parametrize("form", ["dossier_path", "dossier"])
def test_a_run_over_http_gives_the_same_verdict_as_in_process(
    client: SyncLangGraphClient,
    churn_thread: dict[str, Any],
    expected: dict[str, Any],
    form: str,
) -> None:
    if form == "dossier_path":
        values = churn_thread
    else:
        payload = {
            "dossier": yaml.safe_load((CHURN / "dossier.yaml").read_text()),
            "base_dir": str(CHURN),
            "as_of": AS_OF,
        }
        values = _run_to_end(client, payload)

    assert list(values["gates"]) == list(GATE_IDS)
    for gate_id, gate in values["gates"].items():
        assert gate["status"] in {s.value for s in Status}
        assert gate["findings"], gate_id
        assert gate["status"] == expected[gate_id]["status"], gate_id
        assert _findings(gate) == _findings(expected[gate_id]), gate_id
    assert values["outcome"]["recommendation"] == expected["recommendation"]
    assert values["outcome"]["recommendation"] in {r.value for r in Recommendation}
    assert values["dossier_source"] == ("file" if form == "dossier_path" else "mapping")


def test_free_text_alone_is_reviewed_and_progress_streams(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    events: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for part in client.runs.stream(
        thread["thread_id"],
        GRAPH_ID,
        input={"text": "A gradient-boosted churn model for our B2B accounts.", "as_of": AS_OF},
        stream_mode=["custom", "values"],
    ):
        if part.event == "custom":
            events.append(part.data)
        elif part.event == "values":
            values = part.data
    completed = [e["gate"] for e in events if e.get("event") == "gate_completed"]
    assert completed == list(GATE_IDS)
    assert events[-1] == {
        "event": "review_completed",
        "recommendation": values["outcome"]["recommendation"],
    }
    assert values["dossier_source"] == "text"
    assert len(values["gates"]) == 7
    # No objective was given: problem framing cannot pass on free text alone.
    objective = next(
        f for f in values["gates"]["problem_framing"]["findings"] if f["check_id"] == "PF.OBJECTIVE"
    )
    assert objective["outcome"] != "pass"


BAD_INPUTS: list[tuple[dict[str, Any], str]] = [
    ({}, "no input: give a dossier file"),
    ({"dossier_path": "no/such/dossier.yaml"}, "dossier file not found"),
    ({"dossier": {"model": {"task": "astrology"}}}, "model.task"),
]


def test_bad_input_reaches_the_client_as_its_one_line_message(
    client: SyncLangGraphClient,
) -> None:
    # The server replaces the message of non-builtin exceptions with "An internal error
    # occurred"; graphs/review.py re-raises input errors as ValueError so Studio shows them.
    # The runs go concurrently: the server takes about a second to settle a failed run.
    runs = []
    for payload, message in BAD_INPUTS:
        thread_id = client.threads.create()["thread_id"]
        runs.append((thread_id, client.runs.create(thread_id, GRAPH_ID, input=payload), message))
    for thread_id, run, message in runs:
        error = client.runs.join(thread_id, run["run_id"])["__error__"]
        assert error["error"] == "ValueError"
        assert message in error["message"]
        assert "\n" not in error["message"] and "Traceback" not in error["message"]
        assert client.runs.get(thread_id, run["run_id"])["status"] == "error"


def test_pause_after_a_gate_edit_the_state_and_resume(
    client: SyncLangGraphClient, expected: dict[str, Any]
) -> None:
    thread_id = client.threads.create()["thread_id"]
    client.runs.wait(
        thread_id,
        GRAPH_ID,
        input={"dossier_path": str(CHURN / "dossier.yaml"), "as_of": AS_OF},
        interrupt_after=["data_readiness"],
    )
    paused = client.threads.get_state(thread_id)
    assert paused["next"] == ["feature_engineering"]
    assert list(paused["values"]["gates"]) == ["problem_framing", "data_readiness"]
    assert paused["values"].get("outcome") is None

    # What a reviewer does in Studio's state editor: change the dossier and record an override.
    dossier = copy.deepcopy(paused["values"]["dossier"])
    dossier["deployment"]["rollout"] = {"strategy": "big_bang"}
    override = Override(
        gate="responsible_ai",
        status=Status.PASS,
        by="ana",
        reason="The model-risk committee accepted the regional gap.",
        at="2026-11-28T10:00:00+00:00",
    )
    client.threads.update_state(
        thread_id,
        {"dossier": dossier, "overrides": [override.model_dump(mode="json")]},
        as_node="data_readiness",  # the node before the one that should run next
    )
    assert client.threads.get_state(thread_id)["next"] == ["feature_engineering"]

    final = client.runs.wait(thread_id, GRAPH_ID, input=None)  # resume
    assert client.threads.get_state(thread_id)["next"] == []
    gates = final["gates"]
    assert list(gates) == list(GATE_IDS)
    # Gates before the pause were not re-run.
    for gate_id in ("problem_framing", "data_readiness"):
        assert gates[gate_id] == paused["values"]["gates"][gate_id]
    # The edit reached the later gate: the bundled dossier's canary rollout passes, big bang
    # does not.
    rollout_before = next(
        f for f in expected["deployment_monitoring"]["findings"] if f["check_id"] == "DEP.ROLLOUT"
    )
    rollout_after = next(
        f for f in gates["deployment_monitoring"]["findings"] if f["check_id"] == "DEP.ROLLOUT"
    )
    assert rollout_before["outcome"] == "pass"
    assert rollout_after["outcome"] == "fail"
    assert gates["deployment_monitoring"]["status"] == Status.FAIL.value
    assert final["outcome"]["recommendation"] == Recommendation.NO_GO.value
    # The override replaced the status but kept the evidence's own verdict beside it.
    ethics = gates["responsible_ai"]
    assert ethics["status"] == Status.PASS.value
    assert ethics["override"]["by"] == "ana"
    assert ethics["evidence_status"] == expected["responsible_ai"]["evidence_status"]
    assert _findings(ethics) == _findings(expected["responsible_ai"])


def test_rerun_from_a_gate_by_forking_a_checkpoint(
    client: SyncLangGraphClient, churn_thread: dict[str, Any], expected: dict[str, Any]
) -> None:
    first = churn_thread
    thread_id = first["thread_id"]
    history = client.threads.get_history(thread_id, limit=50)
    before_mp = next(s for s in history if s["next"] == ["model_performance"])

    # A stricter fairness policy from model performance on, as Studio's "fork" would write it.
    policy = copy.deepcopy(before_mp["values"]["policy"])
    policy["fairness"]["selection_rate_ratio"] |= {"warn": 0.95, "fail": 0.9}
    fork = client.threads.update_state(
        thread_id,
        {"policy": policy},
        as_node="feature_engineering",
        checkpoint_id=before_mp["checkpoint"]["checkpoint_id"],
    )
    rerun = client.runs.wait(
        thread_id, GRAPH_ID, input=None, checkpoint_id=fork["checkpoint"]["checkpoint_id"]
    )

    strict = review(
        CHURN / "dossier.yaml",
        as_of=AS_OF,
        policy={"fairness": {"selection_rate_ratio": {"warn": 0.95, "fail": 0.9}}},
    )
    strict_gates = {g.id: g.model_dump(mode="json") for g in strict.report.gates}
    kept, rerun_gates = GATE_IDS[:3], GATE_IDS[3:]
    for gate_id in kept:
        assert rerun["gates"][gate_id] == first["gates"][gate_id], gate_id
    for gate_id in rerun_gates:
        assert rerun["gates"][gate_id]["status"] == strict_gates[gate_id]["status"], gate_id
        assert _findings(rerun["gates"][gate_id]) == _findings(strict_gates[gate_id]), gate_id
    assert rerun["outcome"]["recommendation"] == strict.recommendation
    # The stricter policy must have changed something, or this test could not tell a re-run
    # from the first run's results.
    assert (
        any(_findings(rerun["gates"][g]) != _findings(expected[g]) for g in rerun_gates)
        or strict.recommendation != expected["recommendation"]
    )


def test_the_readme_studio_example_runs_as_written(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## LangGraph Studio\n")
    section = text[start : text.find("\n## ", start + 1)]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    # The README talks to `make studio` from the repository root; this server runs elsewhere.
    assert "http://127.0.0.1:8099" in block and '"examples/churn/dossier.yaml"' in block
    block = block.replace("http://127.0.0.1:8099", server)
    block = block.replace('"examples/churn/dossier.yaml"', repr(str(CHURN / "dossier.yaml")))
    exec(compile(block, "README.md (LangGraph Studio)", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    # What the snippet's comments promise: big bang is No-Go, the forked canary re-run is not.
    assert printed == [Recommendation.NO_GO.value, Recommendation.CONDITIONAL_GO.value]
