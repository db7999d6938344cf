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
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from langgraph_gates.evidence.secrets import redact_dossier_secrets, redact_text

__all__ = ["RedactSecretsMiddleware", "redact_request_body", "redact_values"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PATHS = ("/threads", "/runs")
_METHODS = frozenset({"POST", "PUT", "PATCH"})
_PEOPLE_FIELDS = ("by", "reason")


def _redacted_entries(entries: Any) -> Any:
    """Overrides or audit entries with the text people typed (``by``, ``reason``) masked."""
    if not isinstance(entries, list):
        return entries
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            entry = dict(entry)
            for key in _PEOPLE_FIELDS:
                if isinstance(entry.get(key), str):
                    entry[key] = redact_text(entry[key])[0]
        out.append(entry)
    return out


def redact_values(values: Any) -> Any:
    """A run input or a state update with its secrets masked (other values unchanged)."""
    if not isinstance(values, dict):
        return values
    out = dict(values)
    if isinstance(out.get("dossier"), dict):
        out["dossier"] = redact_dossier_secrets(out["dossier"])[0]
    for key in ("text", "dossier_path", "base_dir", "review_id"):
        if isinstance(out.get(key), str):
            out[key] = redact_text(out[key])[0]
    for key in ("overrides", "audit"):
        if key in out:
            out[key] = _redacted_entries(out[key])
    if isinstance(out.get("notes"), list):
        out["notes"] = [redact_text(n)[0] if isinstance(n, str) else n for n in out["notes"]]
    return out


def _redact_command(command: Any) -> Any:
    if not isinstance(command, dict):
        return command
    out = dict(command)
    if "update" in out:
        out["update"] = redact_values(out["update"])
    if isinstance(out.get("resume"), str):
        out["resume"] = redact_text(out["resume"])[0]
    return out


def redact_request_body(body: dict[str, Any]) -> dict[str, Any]:
    """A LangGraph API request body with every place a run or state carries values redacted.

    Covers ``input`` (runs), ``values`` (state updates), ``command`` (resume / update) and
    ``supersteps`` (threads created with state).
    """
    out = dict(body)
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
        out["command"] = _redact_command(out["command"])
    if isinstance(out.get("supersteps"), list):
        out["supersteps"] = [_redact_superstep(s) for s in out["supersteps"]]
    return out


def _redact_superstep(step: Any) -> Any:
    if not isinstance(step, dict) or not isinstance(step.get("updates"), list):
        return step
    updates = [
        {
            **u,
            "values": redact_values(u.get("values")),
            "command": _redact_command(u.get("command")),
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
