"""Secrets out of what the LangGraph server stores: its requests are redacted on the way in.

The LangGraph server (``langgraph dev``, ``langgraph up``, Studio) stores a run's input in its
run record and checkpoints it before the first node runs, so the dispatcher redacts too late
for it. :class:`RedactSecretsMiddleware` is plain ASGI middleware, mounted through
``langgraph.json``'s ``http.app`` (see ``graphs/http_app.py``): it rewrites the JSON bodies of
requests under ``/threads`` and ``/runs`` before the server reads them. Whatever starts a run
(the SDK, Studio's form, Studio's state editor, a resume ``command``), the secrets in it are
masked as ``‹redacted:KIND:xx…yy›`` before anything is written.

What is redacted: the dossier (as a dossier: its SHA-256 field is a digest, not a key), free
text, and the names and reasons of overrides and audit entries. Everything else in a request
is machine-made (policy numbers, gate results) and passes unchanged.

The same middleware drops the run settings meant for in-process callers only
(:data:`IN_PROCESS_SETTINGS`: ``allow_outside``, ``cache_dir`` ...) from a request's
``context`` and ``config.configurable``: a client of the server must not let dossier paths
leave their folder on the server's disk, or choose where the server writes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from langgraph_gates._redaction import redact_command, redact_values

__all__ = ["IN_PROCESS_SETTINGS", "RedactSecretsMiddleware", "redact_request_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PATHS = ("/threads", "/runs")
#: RunContext fields for in-process callers, never taken from an HTTP client.
IN_PROCESS_SETTINGS = frozenset({"allow_outside", "cache_dir", "narrator", "evidence"})
_METHODS = frozenset({"POST", "PUT", "PATCH"})


def redact_request_body(body: dict[str, Any]) -> dict[str, Any]:
    """A LangGraph API request body with every place a run or state carries values redacted.

    Covers ``input`` (runs), ``values`` (state updates), ``command`` (resume / update) and
    ``supersteps`` (threads created with state).
    """
    out = _without_in_process_settings(body)
    if "input" in out:
        out["input"] = redact_values(out["input"])
    if "values" in out:
        values = out["values"]
        out["values"] = (
            [redact_values(v) for v in values]
            if isinstance(values, list)
            else redact_values(values)
        )
    if "command" in out:
        out["command"] = redact_command(out["command"])
    if isinstance(out.get("supersteps"), list):
        out["supersteps"] = [_redact_superstep(s) for s in out["supersteps"]]
    return out


def _without_in_process_settings(body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    if isinstance(out.get("context"), dict):
        out["context"] = {k: v for k, v in out["context"].items() if k not in IN_PROCESS_SETTINGS}
    config = out.get("config")
    if isinstance(config, dict) and isinstance(config.get("configurable"), dict):
        configurable = {
            k: v for k, v in config["configurable"].items() if k not in IN_PROCESS_SETTINGS
        }
        out["config"] = {**config, "configurable": configurable}
    return out


def _redact_superstep(step: Any) -> Any:
    if not isinstance(step, dict) or not isinstance(step.get("updates"), list):
        return step
    updates = [
        {
            **u,
            "values": redact_values(u.get("values")),
            "command": redact_command(u.get("command")),
        }
        if isinstance(u, dict)
        else u
        for u in step["updates"]
    ]
    return {**step, "updates": updates}


def _applies(scope: Scope) -> bool:
    return (
        scope.get("type") == "http"
        and scope.get("method") in _METHODS
        and str(scope.get("path", "")).startswith(_PATHS)
    )


class RedactSecretsMiddleware:
    """ASGI middleware: JSON bodies of run and state requests are redacted before the server.

    Args:
        app: the application it wraps (the LangGraph server's).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redact the body of a run or state request, then hand it to the wrapped app."""
        if not _applies(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        body = await _redacted_bytes(body)
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {**scope, "headers": headers}
        await self.app(
            scope,
            _replay([{"type": "http.request", "body": body, "more_body": False}], receive),
            send,
        )


async def _redacted_bytes(body: bytes) -> bytes:
    """The body redacted; one that is not a JSON object passes unchanged (the server says no)."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return body
    if not isinstance(parsed, dict):
        return body
    import anyio.to_thread  # the server's own dependency; detect-secrets is CPU work

    redacted = await anyio.to_thread.run_sync(redact_request_body, parsed)
    if redacted == parsed:
        return body
    return json.dumps(redacted, ensure_ascii=False).encode("utf-8")


def _replay(messages: list[Message], then: Receive) -> Receive:
    """Hand out ``messages`` first, then the real channel.

    A streaming response waits on the real channel for the client's disconnect.
    """
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive
