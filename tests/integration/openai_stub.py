"""A small OpenAI-compatible chat-completions server for tests (stdlib only, loopback only).

It answers ``POST .../chat/completions`` the way the real API does for structured output:

* ``response_format: {"type": "json_schema", ...}`` -> ``choices[0].message.content`` is a JSON
  instance of the schema;
* ``tools: [...]`` -> ``choices[0].message.tool_calls`` calls the first tool with a JSON instance
  of its parameters;

and always reports ``usage``. The instance is generated from the schema itself (every property
filled), so the stub needs no knowledge of the project's schemas. Strings read ``[stub] <field>``;
a field named ``proposed_status`` gets :attr:`StubState.proposed_status` (``Pass`` by default: the
adversarial model that tries to pass every gate), and a string field named in
:attr:`StubState.strings` gets that text (an injected model, e.g. a summary that says "Go").

Faults are queued per request (:meth:`StubState.queue`): ``"429"``, ``"500"``, ``"slow"``
(sleeps :attr:`StubState.slow_s` before answering, to exceed the client's timeout),
``"malformed"`` (content that is not JSON) and ``"ok"``. Every request is recorded, with the
usage the stub reported for it, so tests can count retries and check token accounting.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

__all__ = ["RecordedRequest", "RunningStub", "StubState", "openai_stub", "openai_stub_in_env"]

FAULTS = ("ok", "429", "500", "slow", "malformed")


@dataclass
class RecordedRequest:
    """One request the stub received and what it answered."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    fault: str
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def schema_name(self) -> str | None:
        """The name of the structured-output schema or tool the request asked for."""
        fmt = self.body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return str(fmt.get("json_schema", {}).get("name"))
        tools = self.body.get("tools") or []
        if tools:
            return str(tools[0].get("function", {}).get("name"))
        return None

    @property
    def prompt_text(self) -> str:
        """All message contents of the request, joined."""
        parts = []
        for m in self.body.get("messages", []):
            content = m.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts += [c.get("text", "") for c in content if isinstance(c, dict)]
        return "\n".join(parts)


@dataclass
class StubState:
    """What the stub answers and what it saw (shared with the handler threads)."""

    proposed_status: str = "Pass"
    strings: dict[str, str] = field(default_factory=dict)
    slow_s: float = 1.0
    retry_after: str | None = "1"
    faults: deque[str] = field(default_factory=deque)
    default_fault: str = "ok"
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def queue(self, *faults: str) -> None:
        """Answer the next requests with these faults, in order (then ``default_fault``)."""
        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            msg = f"unknown fault {unknown[0]!r}"
            raise ValueError(msg)
        with self.lock:
            self.faults.extend(faults)

    def next_fault(self) -> str:
        with self.lock:
            return self.faults.popleft() if self.faults else self.default_fault

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def answered(self) -> list[RecordedRequest]:
        """Requests answered with a parseable 200 response."""
        with self.lock:
            return [r for r in self.requests if r.fault == "ok"]

    @property
    def usage(self) -> tuple[int, int]:
        """Total (prompt, completion) tokens the stub reported."""
        with self.lock:
            return (
                sum(r.prompt_tokens for r in self.requests),
                sum(r.completion_tokens for r in self.requests),
            )


def _tokens(text: str) -> int:
    # A stand-in tokenizer: what matters is that the stub and the test agree on the numbers.
    return max(1, math.ceil(len(text) / 4))


def instance(
    schema: dict[str, Any], root: dict[str, Any], name: str, state: StubState, depth: int = 0
) -> Any:
    """A JSON value valid against ``schema`` (``$ref`` resolved in ``root``)."""
    if depth > 12:
        return None
    if "$ref" in schema:
        ref = schema["$ref"].removeprefix("#/")
        target: Any = root
        for part in ref.split("/"):
            target = target[part]
        return instance(target, root, name, state, depth + 1)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return instance(options[0], root, name, state, depth + 1)
    if "allOf" in schema:
        return instance(schema["allOf"][0], root, name, state, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        if name == "proposed_status" and state.proposed_status in schema["enum"]:
            return state.proposed_status
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {
            key: instance(sub, root, key, state, depth + 1)
            for key, sub in props.items()
            if key != "description"  # the dossier's own free text stays with the caller
        }
    if kind == "array":
        return [instance(schema.get("items") or {"type": "string"}, root, name, state, depth + 1)]
    if kind == "string":
        if schema.get("format") == "date":
            return "2026-01-15"
        return state.strings.get(name, f"[stub] {name}")
    if kind == "integer":
        return 1
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return True
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _StubServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        # A client that timed out has gone; there is nobody to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": {"message": "bad JSON", "type": "invalid_request_error"}})
            return
        if not self.path.split("?")[0].endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        fault = state.next_fault()
        headers = {
            k.lower(): v for k, v in self.headers.items() if k.lower() in ("api-key", "user-agent")
        }
        if self.headers.get("Authorization"):
            headers["authorization"] = self.headers["Authorization"]
        rec = RecordedRequest(path=self.path, body=body, headers=headers, fault=fault)
        state.record(rec)
        if fault == "429":
            extra = {"retry-after": state.retry_after} if state.retry_after else {}
            self._send(
                429,
                {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}},
                extra,
            )
            return
        if fault == "500":
            self._send(500, {"error": {"message": "The server had an error", "type": "server"}})
            return
        if fault == "slow":
            time.sleep(state.slow_s)
        message, content_text = self._message(body, state, malformed=fault == "malformed")
        rec.prompt_tokens = _tokens(json.dumps(body.get("messages", [])))
        rec.completion_tokens = _tokens(content_text)
        self._send(
            200,
            {
                "id": f"chatcmpl-stub-{len(state.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": rec.prompt_tokens,
                    "completion_tokens": rec.completion_tokens,
                    "total_tokens": rec.prompt_tokens + rec.completion_tokens,
                },
            },
        )

    @staticmethod
    def _message(
        body: dict[str, Any], state: StubState, *, malformed: bool
    ) -> tuple[dict[str, Any], str]:
        fmt = body.get("response_format") or {}
        tools = body.get("tools") or []
        if fmt.get("type") == "json_schema":
            schema = fmt["json_schema"]["schema"]
            text = json.dumps(instance(schema, schema, "root", state))
            if malformed:
                text = text[: len(text) // 2]  # cut mid-object: not JSON
            return {"role": "assistant", "content": text, "refusal": None}, text
        if tools:
            fn = tools[0]["function"]
            schema = fn.get("parameters") or {}
            args = json.dumps(instance(schema, schema, "root", state))
            if malformed:
                args = args[: len(args) // 2]
            call = {"id": "call_stub", "type": "function", "function": {"name": fn["name"]}}
            call["function"]["arguments"] = args
            return {"role": "assistant", "content": None, "tool_calls": [call]}, args
        text = "[stub] plain answer"
        return {"role": "assistant", "content": text}, text


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping for a "slow" fault must not block shutdown

    def __init__(self, state: StubState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@dataclass
class RunningStub:
    """A started stub: its base URL (``.../v1``) and its state."""

    url: str
    root: str
    state: StubState


@contextmanager
def openai_stub(state: StubState | None = None) -> Iterator[RunningStub]:
    """Start the stub on a free loopback port; stop it on exit."""
    server = _StubServer(state or StubState())
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="openai-stub", daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    root = f"http://{host}:{port}"
    try:
        yield RunningStub(url=f"{root}/v1", root=root, state=server.state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def openai_stub_in_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningStub]:
    """The stub, reachable by this process and by child processes (``OPENAI_BASE_URL`` and a
    placeholder ``OPENAI_API_KEY`` set through ``monkeypatch``)."""
    with openai_stub() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-secret")
        yield running
