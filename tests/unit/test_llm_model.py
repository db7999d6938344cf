"""Building the chat model: model strings, providers, settings, .env, clear one-line errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from typer.testing import CliRunner

from langgraph_gates.cli import app
from langgraph_gates.errors import ConfigError
from langgraph_gates.llm import build_chat_model, build_narrator, parse_model_string
from langgraph_gates.llm._model import _safe_message

from ..conftest import clear_provider_env


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_provider_env(monkeypatch, tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        (" Azure-OpenAI:my-deploy ", ("azure_openai", "my-deploy")),
        ("ollama:llama3.1:8b", ("ollama", "llama3.1:8b")),
    ],
)
def test_parse_model_string(text: str, expected: tuple[str, str]) -> None:
    assert parse_model_string(text) == expected


@pytest.mark.parametrize("text", ["gpt-4o-mini", "openai:", ":gpt-4o", ""])
def test_a_model_string_without_provider_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="expected PROVIDER:MODEL") as info:
        parse_model_string(text)
    assert info.value.field == "--model"


def test_openai_model_gets_the_settings_and_no_client_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    model = build_chat_model("openai:gpt-4o-mini", temperature=0.2, timeout=12.5)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-4o-mini"
    assert model.temperature == 0.2
    assert model.request_timeout == 12.5
    assert model.max_retries == 0  # our retry loop is the only one
    untouched = build_chat_model("openai:o3-mini")
    assert untouched.temperature is None  # reasoning models refuse a temperature


def test_azure_settings_come_from_dotenv_without_overriding_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "AZURE_OPENAI_ENDPOINT=https://example-resource.openai.azure.com\n"
        "AZURE_OPENAI_API_KEY=key-from-dotenv\n"
        "OPENAI_API_VERSION=2024-10-21\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "key-from-environment")
    model = build_chat_model("azure_openai:churn-gpt4o")
    assert isinstance(model, AzureChatOpenAI)
    assert model.deployment_name == "churn-gpt4o"
    assert model.azure_endpoint == "https://example-resource.openai.azure.com"
    assert model.openai_api_version == "2024-10-21"
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "key-from-environment"


def test_missing_credentials_are_one_clear_line() -> None:
    with pytest.raises(ConfigError) as info:
        build_chat_model("openai:gpt-4o-mini")
    line = info.value.one_line()
    assert line.startswith("--model: cannot build openai:gpt-4o-mini:")
    assert "OPENAI_API_KEY" in line
    assert "\n" not in line


def test_unknown_provider() -> None:
    with pytest.raises(ConfigError, match="unknown model provider 'nosuch'"):
        build_chat_model("nosuch:model")


@pytest.mark.skipif(
    importlib.util.find_spec("langchain_anthropic") is not None,
    reason="langchain-anthropic is installed here",
)
def test_a_provider_without_its_package_names_the_package_and_extra() -> None:
    with pytest.raises(ConfigError) as info:
        build_chat_model("anthropic:claude-sonnet-4-5")
    line = info.value.one_line()
    assert "langchain-anthropic" in line
    assert "langgraph-gates[anthropic]" in line


@pytest.mark.skipif(
    importlib.util.find_spec("langchain_mistralai") is not None,
    reason="langchain-mistralai is installed here",
)
def test_a_provider_without_an_extra_names_its_package() -> None:
    with pytest.raises(ConfigError, match=r"needs the langchain-mistralai package \(pip install"):
        build_chat_model("mistralai:mistral-large-latest")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"context_mode": "everything"}, "--context-mode"),
        ({"timeout": 0}, "--timeout"),
        ({"max_retries": -1}, "--max-retries"),
        ({"temperature": 3.0}, "--temperature"),
    ],
)
def test_bad_settings_are_config_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_narrator("openai:gpt-4o-mini", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_error_messages_mask_key_like_values() -> None:
    exc = RuntimeError("Incorrect API key provided: sk-proj-abcdef123456. See the docs.\nmore")
    message = _safe_message(exc)
    assert "abcdef123456" not in message
    assert message == "Incorrect API key provided: ***. See the docs."


def test_cli_bad_model_string_exits_2_with_one_line(tmp_path: Path) -> None:
    dossier = tmp_path / "dossier.yaml"
    dossier.write_text("model: {name: m}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["review", str(dossier), "--model", "gpt-4o", "--db", str(tmp_path / "r.sqlite")]
    )
    assert result.exit_code == 2
    assert "expected PROVIDER:MODEL" in result.output
    assert "Traceback" not in result.output


def test_cli_model_from_environment_and_bad_retry_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dossier = tmp_path / "dossier.yaml"
    dossier.write_text("model: {name: m}\n", encoding="utf-8")
    monkeypatch.setenv("GATES_MODEL", "nosuch:model")
    db = str(tmp_path / "r.sqlite")
    result = CliRunner().invoke(app, ["review", str(dossier), "--db", db])
    assert result.exit_code == 2
    assert "unknown model provider 'nosuch'" in result.output
    result = CliRunner().invoke(app, ["review", str(dossier), "--db", db, "--max-retries", "-1"])
    assert result.exit_code == 2
