"""A real `langgraph dev` server for tests: started from the repository's langgraph.json.

The server runs the repository's `langgraph.json` (paths made absolute) from a temporary folder,
so its working files (`.langgraph_api/`) land there and not in the repository. It gets an empty
`.env` of its own and an environment without keys or tracing settings, plus what a test adds.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import ROOT

STARTUP_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _langgraph_cli() -> Path:
    # The CLI of the interpreter running the tests (.venv/bin under `make test`).
    for candidate in (Path(sys.executable).parent / "langgraph", ROOT / ".venv/bin/langgraph"):
        if candidate.exists():
            return candidate
    pytest.fail("langgraph CLI not found: install the dev extras (pip install -e '.[dev]')")


def _server_config(folder: Path) -> Path:
    """The repository's langgraph.json with its paths anchored at the repository."""
    config = json.loads((ROOT / "langgraph.json").read_text())
    config["graphs"] = {
        graph_id: f"{(ROOT / spec.split(':')[0]).resolve()}:{spec.split(':')[1]}"
        for graph_id, spec in config["graphs"].items()
    }
    config["dependencies"] = [str((ROOT / dep).resolve()) for dep in config["dependencies"]]
    if "http" in config:
        app_path, _, attr = config["http"]["app"].partition(":")
        config["http"]["app"] = f"{(ROOT / app_path).resolve()}:{attr}"
    # An empty .env of its own: a developer's .env (API keys, tracing) must not reach tests.
    (folder / ".env").write_text("")
    config["env"] = str(folder / ".env")
    path = folder / "langgraph.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def _server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_", "ANTHROPIC_", "GATES_"))
    }
    env |= {
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "PYTHONUNBUFFERED": "1",
    }
    return env | (extra or {})


def _wait_until_ok(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"langgraph dev exited with {proc.returncode}:\n{tail}")
        try:
            with opener.open(f"{url}/ok", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:]
    pytest.fail(f"langgraph dev did not answer GET /ok in {STARTUP_TIMEOUT_S:.0f} s:\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its reloader/worker children: the whole process group."""
    if proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class DevServer:
    """A started server: its URL, the folder it writes to, and its process."""

    url: str
    folder: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop it (a graceful SIGTERM first, so it flushes its files to disk)."""
        _stop(self.proc)


@contextmanager
def dev_server(folder: Path, env: dict[str, str] | None = None) -> Iterator[DevServer]:
    """A `langgraph dev` server on a free port, working in ``folder``; stopped on exit."""
    config = _server_config(folder)
    port = _free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(_langgraph_cli()),
                "dev",
                "--port",
                str(port),
                "--no-browser",
                "--no-reload",
                "--config",
                str(config),
            ],
            cwd=folder,
            env=_server_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the finalizer reaches children
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ok(url, proc, log)
        yield DevServer(url=url, folder=folder, proc=proc)
    finally:
        _stop(proc)
