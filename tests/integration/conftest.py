"""Fixtures shared by the integration tests that talk to the OpenAI-compatible stub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from langgraph_gates.llm import cached_narrator
from tests.integration.openai_stub import RunningStub, openai_stub

ENV_NAMES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "OPENAI_API_VERSION",
    "GATES_MODEL",
)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningStub]:
    for name in ENV_NAMES:
        monkeypatch.setenv(name, "placeholder")  # so that undo also clears what .env sets
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    # A narrator built by name is cached per process with the endpoint of its time: each
    # test's stub has a port of its own.
    cached_narrator.cache_clear()
    with openai_stub() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-secret")
        yield running


