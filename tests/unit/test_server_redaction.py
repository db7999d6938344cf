"""The server middleware's redaction of run and state requests (pure functions, no server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from langgraph_gates.server import RedactSecretsMiddleware, redact_request_body

KEY = "AKIAZ7Q2XW4PLM9RT3KD"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def test_inputs_state_updates_commands_and_supersteps_are_redacted() -> None:
    dossier = {
        "description": f"aws_access_key_id = {KEY}",
        "security": {"artifact_sha256": SHA},  # a digest by design: kept
    }
    override = {"gate": "security_robustness", "by": f"ana {KEY}", "reason": f"key {KEY}"}
    body = {
        "input": {"dossier": dossier, "text": f"key {KEY}", "as_of": "2026-11-28"},
        "values": {"overrides": [override]},
        "command": {"update": {"audit": [override]}, "resume": f"ok {KEY}"},
        "supersteps": [{"updates": [{"values": {"dossier": dossier}, "as_node": "x"}]}],
        "assistant_id": "workflow_ml_prod_sequential",
    }
    out = redact_request_body(body)
    assert KEY not in json.dumps(out)
    assert out["input"]["dossier"]["security"]["artifact_sha256"] == SHA
    assert out["input"]["as_of"] == "2026-11-28"
    assert out["values"]["overrides"][0]["reason"].startswith("key ‹redacted:AWS Access Key")
    assert out["assistant_id"] == body["assistant_id"]


def _call(path: str, body: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["body"] = (await receive())["body"]
        seen["headers"] = dict(scope["headers"])

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"content-length", b"1")]}
    asyncio.run(RedactSecretsMiddleware(app)(scope, receive, send))
    return seen["body"], seen["headers"]


def test_the_middleware_rewrites_run_bodies_and_their_length() -> None:
    raw = json.dumps({"input": {"text": f"key {KEY}"}}).encode()
    body, headers = _call("/threads/t1/runs/wait", raw)
    assert KEY.encode() not in body
    assert headers[b"content-length"] == str(len(body)).encode()
    # Other routes and bodies that are not JSON objects pass untouched.
    assert _call("/assistants/search", raw)[0] == raw
    assert _call("/runs", b"not json")[0] == b"not json"


def test_in_process_settings_never_come_from_a_client() -> None:
    body = {
        "input": {"dossier_path": "examples/churn/dossier.yaml"},
        "context": {"model": "openai:gpt-4o-mini", "allow_outside": True, "cache_dir": "/tmp/x"},
        "config": {"configurable": {"allow_outside": True, "thread_id": "t"}},
    }
    out = redact_request_body(body)
    assert out["context"] == {"model": "openai:gpt-4o-mini"}
    assert out["config"] == {"configurable": {"thread_id": "t"}}
    assert out["input"] == body["input"]
