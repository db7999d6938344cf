"""Fixtures shared by the integration tests that talk to the OpenAI-compatible stub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from langgraph_gates.llm import cached_narrator
from tests.conftest import PROVIDER_ENV, clear_provider_env
from tests.integration.openai_stub import RunningStub, openai_stub_in_env


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningStub]:
    clear_provider_env(monkeypatch, tmp_path, (*PROVIDER_ENV, "GATES_DB"))  # no stray .env
    # A narrator built by name is cached per process with the endpoint of its time: each
    # test's stub has a port of its own.
    cached_narrator.cache_clear()
    with openai_stub_in_env(monkeypatch) as running:
        yield running
