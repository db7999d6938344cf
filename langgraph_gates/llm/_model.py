"""The one place a chat model is built: ``PROVIDER:MODEL`` -> a LangChain chat model.

``openai:`` and ``azure_openai:`` work with the default install (``langchain-openai``); other
providers need their LangChain package, installed as an extra (``langgraph-gates[anthropic]``,
``[ollama]``) or by hand. Credentials come from the environment or from a ``.env`` file in the
working directory, which never overrides a variable that is already set.

The client's own retries are switched off: :mod:`langgraph_gates.llm._retry` retries every
failure kind (including output that does not parse) in one bounded loop, so retries are not
multiplied and can be counted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from langgraph_gates.errors import ConfigError

__all__ = ["build_chat_model", "load_env_file", "parse_model_string"]

# Providers with an extra of their own in pyproject.toml: the hint names it.
_EXTRAS = {"anthropic": "anthropic", "ollama": "ollama"}
_FIELD = "--model"


def parse_model_string(model: str) -> tuple[str, str]:
    """Split ``"openai:gpt-4o-mini"`` into ``("openai", "gpt-4o-mini")``.

    Raises:
        ConfigError: not of the form ``PROVIDER:MODEL``.
    """
    provider, sep, name = model.strip().partition(":")
    provider = provider.strip().lower().replace("-", "_")
    if not sep or not provider or not name.strip():
        msg = f"expected PROVIDER:MODEL (e.g. openai:gpt-4o-mini), got {model!r}"
        raise ConfigError(msg, field=_FIELD)
    return provider, name.strip()


def load_env_file(path: Path | None = None) -> bool:
    """Load ``.env`` (from the working directory by default) without overriding the environment.

    Returns:
        Whether a file was loaded.
    """
    from dotenv import load_dotenv

    env = path or Path.cwd() / ".env"
    if not env.is_file():
        return False
    return bool(load_dotenv(env, override=False))


_SECRETISH = re.compile(r"\b(sk|pk|key|token)[-_][A-Za-z0-9_\-]{6,}", re.IGNORECASE)


def _safe_message(exc: BaseException) -> str:
    """The first line of an error, cut short, with anything key-like masked."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    first = _SECRETISH.sub("***", first)
    return first if len(first) <= 220 else first[:219] + "…"


def _package_for(provider: str, exc: ImportError) -> str:
    found = re.search(r"requires the ([\w\-]+) package", str(exc))
    return found.group(1) if found else f"langchain-{provider.replace('_', '-')}"


def _provider_kwargs(
    provider: str, name: str, *, temperature: float | None, timeout: float | None
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if temperature is not None:
        # Only when asked: some models (reasoning models) refuse any temperature.
        kwargs["temperature"] = temperature
    if provider == "ollama":
        # ChatOllama has no retry setting; its HTTP client takes the timeout.
        if timeout is not None:
            kwargs["client_kwargs"] = {"timeout": timeout}
        return kwargs
    kwargs["max_retries"] = 0
    if timeout is not None:
        kwargs["timeout"] = timeout
    if provider == "azure_openai":
        kwargs["azure_deployment"] = name
    return kwargs


def build_chat_model(
    model: str,
    *,
    temperature: float | None = None,
    timeout: float | None = None,
    env_file: Path | None = None,
) -> BaseChatModel:
    """Build the chat model named by ``PROVIDER:MODEL`` through LangChain's ``init_chat_model``.

    Args:
        model: e.g. ``openai:gpt-4o-mini``, ``azure_openai:<deployment>``,
            ``anthropic:claude-sonnet-4-5``, ``ollama:llama3.1``.
        temperature: sampling temperature (the provider's default when ``None``).
        timeout: seconds one request may take.
        env_file: a ``.env`` file to load first (``./.env`` when ``None``); variables already
            set in the environment win.

    Returns:
        The chat model, with the client's own retries switched off.

    Raises:
        ConfigError: a malformed string, an unknown provider, a provider whose package is not
            installed, or settings (keys, endpoint) the provider refuses.
    """
    provider, name = parse_model_string(model)
    load_env_file(env_file)
    from langchain.chat_models import init_chat_model  # heavy import, only when a model is used

    kwargs = _provider_kwargs(provider, name, temperature=temperature, timeout=timeout)
    try:
        return init_chat_model(name, model_provider=provider, **kwargs)
    except ImportError as exc:
        pkg = _package_for(provider, exc)
        extra = _EXTRAS.get(provider)
        how = f"pip install 'langgraph-gates[{extra}]'" if extra else f"pip install {pkg}"
        msg = f"provider {provider!r} needs the {pkg} package ({how})"
        raise ConfigError(msg, field=_FIELD) from None
    except ValueError as exc:
        if "Unsupported" in str(exc) or "infer model provider" in str(exc):
            msg = f"unknown model provider {provider!r} (e.g. openai, azure_openai, anthropic, ollama)"
            raise ConfigError(msg, field=_FIELD) from None
        msg = f"cannot build {provider}:{name}: {_safe_message(exc)}"
        raise ConfigError(msg, field=_FIELD) from None
    except Exception as exc:  # missing key or endpoint: each provider raises its own type
        msg = f"cannot build {provider}:{name}: {_safe_message(exc)}"
        raise ConfigError(msg, field=_FIELD) from None
