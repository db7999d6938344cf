"""Fixtures shared by the integration tests: the OpenAI-compatible stub and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from langgraph_gates.llm import cached_narrator
from tests.conftest import PROVIDER_ENV, clear_provider_env
from tests.integration.openai_stub import RunningStub, openai_stub_in_env

from .pg_server import PgServer, pg_server_for_tests


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningStub]:
    clear_provider_env(monkeypatch, tmp_path, (*PROVIDER_ENV, "GATES_DB"))  # no stray .env
    # A narrator built by name is cached per process with the endpoint of its time: each
    # test's stub has a port of its own.
    cached_narrator.cache_clear()
    with openai_stub_in_env(monkeypatch) as running:
        yield running


@pytest.fixture(scope="module")
def server() -> Iterator[PgServer]:
    """A real PostgreSQL server for the module (skipped locally without the binaries; in CI,
    where .ci/run installs them, their absence fails)."""
    with pg_server_for_tests() as running:
        yield running
