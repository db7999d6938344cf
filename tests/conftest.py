"""Shared fixtures. Tests never reach the network: connections leave loopback only."""

from __future__ import annotations

import csv
import datetime as dt
import ipaddress
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from langgraph_gates.checks.base import CheckContext, CheckSpec, run_check
from langgraph_gates.dossier import validate_dossier
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.policy import Policy, policy_from_mapping
from langgraph_gates.state import Finding, GateResult, Outcome

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


# The variables that choose and reach a chat model: the LLM tests start with none of them set.
PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "OPENAI_API_VERSION",
    "GATES_MODEL",
)


def clear_provider_env(
    monkeypatch: pytest.MonkeyPatch, cwd: Path, names: tuple[str, ...] = PROVIDER_ENV
) -> None:
    """No provider settings from the machine, no stray .env (the test runs in ``cwd``); undo
    also removes whatever .env loading sets during the test."""
    for name in names:
        # setenv first, so that undo removes a variable a .env file sets during the test.
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.chdir(cwd)


# Text-only sections, so the evidence is fast and deterministic: problem framing passes, the
# data and deployment gates do not.
TEXT_DOSSIER: dict[str, Any] = {
    "model": {"name": "churn-predictor", "version": "2.3.0", "task": "binary_classification"},
    "problem": {
        "objective": "Reduce voluntary churn by targeting at-risk accounts",
        "kpis": [{"name": "monthly churn rate", "baseline": 0.042, "target": 0.035}],
        "success_criteria": [{"metric": "roc_auc", "threshold": 0.8}],
        "in_scope": ["B2B accounts"],
        "out_of_scope": ["consumer plans"],
        "assumptions": ["labels from billing are correct"],
    },
    "data": {"sources": [{"name": "crm", "owner": "sales-ops"}], "labeling_qc": "monthly audit"},
    "deployment": {"on_call": "ml-oncall", "rollout": {"strategy": "big_bang"}},
}

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


def edges(line: int, below: Outcome, at: Outcome, above: Outcome) -> list[tuple[int, Outcome]]:
    """Parametrize cases one below, at and one above a threshold, with the outcome of each."""
    return [(line - 1, below), (line, at), (line + 1, above)]


def run_one(spec: CheckSpec, ctx: CheckContext) -> Finding:
    """Run a check that yields exactly one finding and return it."""
    findings = run_check(spec, ctx, owner="owner")
    assert len(findings) == 1, findings
    return findings[0]


def write_csv(path: Path, columns: dict[str, Sequence[Any]]) -> None:
    """Write columns of equal length as a CSV with a header."""
    names = list(columns)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        w.writerows(zip(*(columns[n] for n in names), strict=True))
