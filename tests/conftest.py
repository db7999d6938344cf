"""Shared fixtures. Tests never reach the network: connections leave loopback only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from langgraph_gates.checks.base import CheckContext, CheckSpec, run_check
from langgraph_gates.dossier import validate_dossier
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.policy import Policy, policy_from_mapping
from langgraph_gates.state import Finding, GateResult

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCHEMAS = Path(__file__).resolve().parent / "schemas"


def run_gates(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `gates` CLI as a user does: a real process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "langgraph_gates", *args],
        cwd=cwd, capture_output=True, text=True, timeout=300, env=env,
    )

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(host) if self.family == socket.AF_INET else host)
        except (OSError, ValueError):
            ip = None
        if ip is None or not ip.is_loopback:
            msg = f"tests may not reach the network (tried {address!r})"
            raise OSError(msg)
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    # Tracing would try to reach LangSmith; it is opt-in and never on in tests.
    monkeypatch.delenv("LANGSMITH_TRACING", raising=False)
    monkeypatch.delenv("LANGCHAIN_TRACING_V2", raising=False)
    monkeypatch.setenv("LANGGRAPH_CLI_NO_ANALYTICS", "1")
    yield


MakeCtx = Callable[..., CheckContext]


@pytest.fixture
def make_ctx(tmp_path: Path) -> MakeCtx:
    """Build a CheckContext from a partial dossier mapping (paths resolve under tmp_path)."""

    def build(
        dossier: dict[str, Any] | None = None,
        *,
        policy: Policy | dict[str, Any] | None = None,
        prior: dict[str, GateResult] | None = None,
        as_of: dt.date = dt.date(2026, 11, 28),
        base_dir: Path | None = None,
    ) -> CheckContext:
        pol = policy if isinstance(policy, Policy) else policy_from_mapping(policy)
        return CheckContext(
            dossier=validate_dossier(dossier or {}),
            policy=pol,
            base_dir=base_dir or tmp_path,
            as_of=as_of,
            prior=prior or {},
            evidence=EvidenceStore(policy_fingerprint=pol.fingerprint()),
        )

    return build


def run_one(spec: CheckSpec, ctx: CheckContext) -> Finding:
    """Run a check that yields exactly one finding and return it."""
    findings = run_check(spec, ctx, owner="owner")
    assert len(findings) == 1, findings
    return findings[0]
