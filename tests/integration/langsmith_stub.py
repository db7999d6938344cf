"""A LangSmith-compatible endpoint on 127.0.0.1 that records what the client posts (stdlib only).

The langsmith client (0.15) asks ``GET /info`` first, then sends runs as multipart form data to
``POST /runs/multipart``: one part per run event, named ``post.<run id>`` or ``patch.<run id>``,
with the run's inputs, outputs and other large fields in parts of their own
(``post.<run id>.inputs`` ...). It falls back to ``POST /runs/batch`` (JSON ``{"post": [...],
"patch": [...]}``) and single ``POST /runs`` / ``PATCH /runs/<id>``; all are recorded. Every
request's raw bytes are kept too, so a test can search them for secrets.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LangSmithStub", "langsmith_stub"]


@dataclass
class LangSmithStub:
    """What the endpoint received: raw request bodies and the runs they describe, by id."""

    url: str = ""
    paths: list[str] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def merge(self, run_id: str, values: dict[str, Any]) -> None:
        with self.lock:
            self.runs.setdefault(run_id, {}).update(values)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.runs.values() if r.get("name") == name]

    def children(self, parent_id: str) -> list[dict[str, Any]]:
        return [r for r in self.runs.values() if r.get("parent_run_id") == parent_id]

    def descendants(self, root_id: str) -> list[dict[str, Any]]:
        return [r for r in self.runs.values() if r.get("trace_id") == root_id]


def _multipart(body: bytes, content_type: str) -> list[tuple[str, bytes]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        parts.append((str(name), part.get_payload(decode=True) or b""))
    return parts


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.stub.lock:
            self.server.stub.paths.append(f"{self.command} {self.path}")
            self.server.stub.raw.append(body)
        return body

    def do_GET(self) -> None:
        self._body()
        self._reply(200, {"version": "0.10.0"} if self.path.startswith("/info") else {})

    def do_PATCH(self) -> None:
        body = self._body()
        run_id = self.path.rstrip("/").split("/")[-1]
        self.server.stub.merge(run_id, json.loads(body or b"{}"))
        self._reply(200, {})

    def do_POST(self) -> None:
        body = self._body()
        stub = self.server.stub
        path = self.path.split("?")[0]
        if path == "/runs/multipart":
            for name, payload in _multipart(body, self.headers["Content-Type"]):
                _, run_id, *extra = name.split(".")
                value = json.loads(payload or b"null")
                stub.merge(run_id, {extra[0]: value} if extra else value)
        elif path == "/runs/batch":
            batch = json.loads(body or b"{}")
            for run in [*batch.get("post", []), *batch.get("patch", [])]:
                stub.merge(str(run["id"]), run)
        elif path == "/runs":
            run = json.loads(body or b"{}")
            stub.merge(str(run["id"]), run)
        self._reply(200, {})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: LangSmithStub) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stub = stub


@contextmanager
def langsmith_stub() -> Iterator[LangSmithStub]:
    """Start the endpoint on a free loopback port; stop it on exit."""
    stub = LangSmithStub()
    server = _Server(stub)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    stub.url = f"http://{host}:{port}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
