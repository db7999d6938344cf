"""Traces of a review: LangSmith runs, OpenTelemetry spans over OTLP/HTTP, and the console.

LangSmith: the real langsmith client posts to a LangSmith-compatible endpoint on 127.0.0.1
(``langsmith_stub``), the chat model is the OpenAI stub; the test reads the trace back from
what was posted. OpenTelemetry: a review runs in a subprocess whose environment names a local
OTLP/HTTP receiver (a tracer provider is process-wide, so it must not outlive the test), and
``gates review --trace console`` prints its spans to stderr.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import langsmith.run_trees
import langsmith.utils
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from langgraph_gates import review
from langgraph_gates.llm import LLMSettings, build_narrator
from langgraph_gates.state import GATE_IDS
from tests.integration.langsmith_stub import LangSmithStub, langsmith_stub
from tests.integration.openai_stub import RunningStub

from ..conftest import EXAMPLES, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tracing")]

CHURN = EXAMPLES / "churn"
AS_OF = "2026-11-28"
FAST = LLMSettings(backoff_s=0.001, backoff_max_s=0.005, timeout_s=5.0)
LANGSMITH_KEY = "lsv2_pt_" + "0123456789abcdef" * 2


@pytest.fixture
def ls_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[LangSmithStub]:
    with langsmith_stub() as stub:
        for name in ("LANGCHAIN_TRACING_V2", "LANGCHAIN_API_KEY", "LANGCHAIN_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LANGSMITH_ENDPOINT", stub.url)
        monkeypatch.setenv("LANGSMITH_API_KEY", LANGSMITH_KEY)
        monkeypatch.setenv("LANGSMITH_PROJECT", "gates-tests")
        # langsmith caches its client and its reading of the environment per process: start
        # afresh, and leave nothing behind for the tests that run later in this process.
        monkeypatch.setattr(langsmith.run_trees, "_CLIENT", None)
        _forget_langsmith_env()
        yield stub
        langsmith.run_trees.get_cached_client().flush()
    _forget_langsmith_env()


def _forget_langsmith_env() -> None:
    langsmith.utils.get_env_var.cache_clear()
    langsmith.utils.get_tracer_project.cache_clear()


def _planted_dossier() -> tuple[dict[str, Any], str]:
    key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    dossier = yaml.safe_load((CHURN / "dossier.yaml").read_text())
    dossier["description"] = f"Reads the lake with aws_access_key_id = {key}."
    return dossier, key


def test_a_review_is_one_langsmith_trace_with_gate_runs_and_model_calls(
    ls_endpoint: LangSmithStub, stub: RunningStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    dossier, key = _planted_dossier()
    narrator = build_narrator("openai:stub", settings=FAST)
    result = review(dossier, base_dir=CHURN, narrator=narrator, as_of=AS_OF)

    roots = [r for r in ls_endpoint.runs.values() if not r.get("parent_run_id")]
    assert [r["name"] for r in roots] == ["churn-predictor 2.3.0"]  # the model under review
    root = roots[0]
    assert result.recommendation in root["tags"]
    trace = ls_endpoint.descendants(root["id"])
    gates = {r["name"]: r for r in trace if r["name"].startswith("gate:")}
    assert sorted(gates) == sorted(f"gate:{g}" for g in GATE_IDS)
    for gate in result.report.gates:
        meta = gates[f"gate:{gate.id}"]["extra"]["metadata"]
        assert meta["gate_id"] == gate.id and meta["status"] == gate.status.value
        counts = {o: sum(f.outcome.value == o for f in gate.findings) for o in meta["findings"]}
        assert meta["findings"] == counts
    # The data files are hashed where the gates that read them say so.
    data_hashes = gates["gate:data_readiness"]["extra"]["metadata"]["evidence_sha256"]
    assert data_hashes and all(len(h) == 64 for h in data_hashes.values())
    # Eight model calls (seven gates and the summary), each a child run with its token usage.
    calls = [r for r in trace if r.get("run_type") == "llm"]
    assert len(calls) == 8
    usage = [c["outputs"]["llm_output"]["token_usage"] for c in calls]
    assert sum(u["prompt_tokens"] for u in usage) == stub.state.usage[0]
    # Nothing secret left the process: neither the planted key nor the API keys.
    posted = b"".join(ls_endpoint.raw)
    for secret in (key, LANGSMITH_KEY, "sk-stub-not-a-secret"):
        assert secret.encode() not in posted


def test_with_tracing_off_nothing_is_posted(
    ls_endpoint: LangSmithStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGSMITH_TRACING", raising=False)  # key and endpoint stay set
    review(CHURN / "dossier.yaml", as_of=AS_OF)
    assert ls_endpoint.paths == []


class _OtlpReceiver(BaseHTTPRequestHandler):
    spans: list[Any]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.server.spans.extend(scope.spans)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()


def _attributes(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_", "OTEL_", "GATES_"))
    }
    return env | extra


def test_review_and_gate_spans_reach_an_otlp_collector(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpReceiver)
    server.spans = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    script = (
        "from langgraph_gates import review\n"
        f"print(review({str(CHURN / 'dossier.yaml')!r}, as_of={AS_OF!r}).recommendation)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=_clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=endpoint),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    spans = server.spans  # type: ignore[attr-defined]
    by_name = {s.name: s for s in spans}
    root = by_name["review churn-predictor 2.3.0"]
    assert _attributes(root)["gates.recommendation"] == done.stdout.strip()
    gates = [s for s in spans if s.name.startswith("gate ")]
    assert sorted(s.name for s in gates) == sorted(f"gate {g}" for g in GATE_IDS)
    for span in gates:
        assert span.trace_id == root.trace_id
        attrs = _attributes(span)
        assert attrs["gates.status"] in ("Pass", "Conditional", "Fail")
        assert "gates.findings.fail" in attrs


def test_trace_console_prints_the_spans_to_stderr(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "gates"), "review", str(CHURN / "dossier.yaml"),
               "--trace", "console", "--as-of", AS_OF, "--db", str(tmp_path / "r.sqlite"),
               "--output-dir", str(tmp_path / "out"), "--no-progress"]  # fmt: skip
    done = subprocess.run(
        command,
        env=_clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    printed = [json.loads(block) for block in _json_blocks(done.stderr)]
    names = [span["name"] for span in printed]
    assert "review churn-predictor 2.3.0" in names
    assert sorted(n for n in names if n.startswith("gate ")) == sorted(f"gate {g}" for g in GATE_IDS)
    assert '"trace_id"' not in done.stdout  # spans go to stderr; the report on stdout is clean


def _json_blocks(text: str) -> Iterator[str]:
    """The top-level JSON objects the console exporter printed, one after another."""
    decoder = json.JSONDecoder()
    index = text.find("{")
    while index != -1:
        try:
            _, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        yield text[index:end]
        index = text.find("{", end)
