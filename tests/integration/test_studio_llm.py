"""Studio and the SDK with a chat model, and secrets that never reach the server's storage.

One real `langgraph dev` server for the module, whose environment points `openai:` at the
OpenAI-compatible stub on 127.0.0.1 (the key comes from the server's environment, never from
the run). A run picks the model through the graph's context (`context={"model": ...}`), as
Studio's assistant form does. The last test plants a cloud key and a password in an inline
dossier, stops the server (so it flushes its files) and searches everything it wrote and
returned.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from typing import Any

import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from langgraph_gates.state import GATE_IDS

from .dev_server import DevServer, dev_server
from .openai_stub import RunningStub, openai_stub

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("studio_llm")]

GRAPH_ID = "workflow_ml_prod_sequential"
AS_OF = "2026-11-28"
STUB_KEY = "sk-stub-not-a-secret"

DOSSIER: dict[str, Any] = {
    "model": {"name": "churn-predictor", "version": "2.3.0", "task": "binary_classification"},
    "problem": {
        "objective": "Reduce voluntary churn by targeting at-risk accounts",
        "success_criteria": [{"metric": "roc_auc", "threshold": 0.8}],
    },
    "deployment": {"on_call": "ml-oncall", "rollout": {"strategy": "canary"}},
}


@pytest.fixture(scope="module")
def stub() -> Iterator[RunningStub]:
    with openai_stub() as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, stub: RunningStub) -> Iterator[DevServer]:
    env = {"OPENAI_BASE_URL": stub.url, "OPENAI_API_KEY": STUB_KEY}
    with dev_server(tmp_path_factory.mktemp("langgraph-dev-llm"), env) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: DevServer) -> SyncLangGraphClient:
    return get_sync_client(url=server.url, api_key=None)


def _run(client: SyncLangGraphClient, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    thread_id = client.threads.create()["thread_id"]
    values = client.runs.wait(thread_id, GRAPH_ID, input=payload, **kw)
    assert isinstance(values, dict) and "__error__" not in values, values
    return {"thread_id": thread_id, **values}


def test_the_assistant_form_offers_the_run_settings(client: SyncLangGraphClient) -> None:
    assistant = client.assistants.search(graph_id=GRAPH_ID)[0]
    schema = client.assistants.get_schemas(assistant["assistant_id"])["context_schema"]
    assert {"model", "context_mode", "as_of"} <= set(schema["properties"])
    for name in ("model", "context_mode", "as_of"):
        assert schema["properties"][name].get("description"), name
    # Python objects (narrator, evidence store) are not offered in the form.
    assert not {"narrator", "evidence"} & set(schema["properties"])


def test_a_run_with_a_model_in_its_context_has_model_narrative(
    client: SyncLangGraphClient, stub: RunningStub
) -> None:
    before = len(stub.state.requests)
    values = _run(
        client,
        {"dossier": DOSSIER},
        context={"model": "openai:stub", "context_mode": "digest", "as_of": AS_OF},
    )
    gates = values["gates"]
    assert list(gates) == list(GATE_IDS)
    assert {g["narrative_source"] for g in gates.values()} == {"model"}
    assert values["outcome"]["summary_source"] == "model"
    assert values["as_of"] == AS_OF  # the review date came from the context
    # Seven gates and the summary, each one request; the key was the server's.
    requests = stub.state.requests[before:]
    assert len(requests) == 8
    assert {r.headers.get("authorization") for r in requests} == {f"Bearer {STUB_KEY}"}
    # The choice is saved with the review, so a resume uses the same model.
    assert values["llm"] == {"model": "openai:stub", "context_mode": "digest"}


def test_a_run_without_a_model_stays_offline(
    client: SyncLangGraphClient, stub: RunningStub
) -> None:
    before = len(stub.state.requests)
    values = _run(client, {"dossier": DOSSIER, "as_of": AS_OF})
    assert {g["narrative_source"] for g in values["gates"].values()} == {"offline"}
    assert values["outcome"]["summary_source"] == "offline"
    assert values.get("llm") is None
    assert len(stub.state.requests) == before


def test_a_model_that_cannot_be_built_fails_the_run_with_one_line(
    client: SyncLangGraphClient,
) -> None:
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(
        thread_id, GRAPH_ID, input={"dossier": DOSSIER}, context={"model": "gpt-without-provider"}
    )
    error = client.runs.join(thread_id, run["run_id"])["__error__"]
    assert error["error"] == "ValueError"
    assert "PROVIDER:MODEL" in error["message"] and "\n" not in error["message"]


def _planted() -> tuple[str, str]:
    alphabet = string.ascii_uppercase + string.digits
    key = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    password = "Pw" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(18))
    return key, password


def _returned(client: SyncLangGraphClient, thread_id: str, run_id: str) -> list[Any]:
    """Everything the server hands back about a thread and its run."""
    return [
        client.threads.get(thread_id),
        client.threads.get_state(thread_id),
        client.threads.get_history(thread_id, limit=100),
        client.threads.search(limit=100),
        client.runs.get(thread_id, run_id),
        client.runs.list(thread_id),
    ]


def test_planted_secrets_are_found_nowhere_the_server_wrote_or_returned(
    client: SyncLangGraphClient, server: DevServer, stub: RunningStub
) -> None:
    key, password = _planted()
    dossier = DOSSIER | {
        "description": f"Loads features with aws_access_key_id = {key} from the lake.",
        "security": {"threat_model": f'db password: "{password}" (rotated yearly)'},
    }
    overrides = [
        {
            "gate": "security_robustness",
            "status": "Conditional",
            "by": "ana",
            "reason": f"accepted; the old key {key} is revoked",
            "at": "2026-11-28T10:00:00+00:00",
        }
    ]
    thread_id = client.threads.create()["thread_id"]
    seen: list[Any] = []
    for part in client.runs.stream(
        thread_id,
        GRAPH_ID,
        input={"dossier": dossier, "text": f"backup key {key}", "as_of": AS_OF},
        context={"model": "openai:stub"},
        stream_mode=["values", "updates", "custom", "debug", "tasks", "checkpoints"],
        interrupt_after=["problem_framing"],
    ):
        seen.append(part.data)
    # A reviewer edits the paused state in Studio: an override whose reason holds the key.
    client.threads.update_state(thread_id, {"overrides": overrides}, as_node="problem_framing")
    final = client.runs.wait(thread_id, GRAPH_ID, input=None, context={"model": "openai:stub"})
    run_id = client.runs.list(thread_id)[0]["run_id"]
    seen += [final, *_returned(client, thread_id, run_id)]

    returned = repr(seen)
    assert "redacted:AWS Access Key" in returned  # the key was there, masked
    sec = final["gates"]["security_robustness"]
    assert sec["override"]["reason"].startswith("accepted; the old key ‹redacted:")
    prompts = "".join(r.prompt_text for r in stub.state.requests)
    for secret in (key, password):
        assert secret not in returned
        assert secret not in prompts  # nor sent to the model

    server.stop()  # a graceful stop flushes the server's stores to its folder
    written = [p for p in server.folder.rglob("*") if p.is_file()]
    assert any(".langgraph_api" in p.parts for p in written)
    for path in written:
        data = path.read_bytes()
        for secret in (key, password):
            assert secret.encode() not in data, path
