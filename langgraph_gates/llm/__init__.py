"""The optional chat model (SPEC section 4): narratives, summary and extraction, never verdicts.

    from langgraph_gates import review
    from langgraph_gates.llm import build_narrator

    narrator = build_narrator("openai:gpt-4o-mini", context_mode="digest")
    review("dossier.yaml", narrator=narrator)

The model is built in one place (:func:`build_chat_model`); prompts live in
:mod:`langgraph_gates.llm.prompts` and output schemas in :mod:`langgraph_gates.llm.schemas`.
LangSmith tracing follows LangChain's usual environment variables (``LANGSMITH_TRACING``,
``LANGSMITH_API_KEY``, ``LANGSMITH_PROJECT``); every call is named ``gates:<gate id>``.
"""

from __future__ import annotations

import functools
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from pydantic import ValidationError

from langgraph_gates.errors import ConfigError
from langgraph_gates.llm._context import ContextMode
from langgraph_gates.llm._model import build_chat_model, parse_model_string
from langgraph_gates.llm.narrator import LLMNarrator, LLMSettings

__all__ = [
    "ContextMode",
    "LLMNarrator",
    "LLMSettings",
    "build_chat_model",
    "build_narrator",
    "cached_narrator",
    "parse_model_string",
]


def build_narrator(
    model: str | BaseChatModel,
    *,
    context_mode: str | None = None,
    temperature: float | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    settings: LLMSettings | None = None,
    env_file: Path | None = None,
) -> LLMNarrator:
    """Build the narrator a review uses when a model is configured.

    Args:
        model: ``PROVIDER:MODEL`` (e.g. ``openai:gpt-4o-mini``) or a ready chat model
            (then ``temperature`` and ``timeout`` are the model's own business).
        context_mode: ``digest`` (the default) or ``full_history``.
        temperature: sampling temperature; the provider's default when ``None``.
        timeout: seconds one request may take (60 by default).
        max_retries: tries after the first one per call (3 by default).
        settings: base settings (backoff, ...); the arguments above override its fields.
        env_file: ``.env`` to load (``./.env`` by default); it never overrides the environment.

    Raises:
        ConfigError: a bad setting, model string, missing provider package or credentials.
    """
    base = (settings or LLMSettings()).model_dump()
    given = {
        "context_mode": context_mode,
        "temperature": temperature,
        "timeout_s": timeout,
        "max_retries": max_retries,
    }
    try:
        resolved = LLMSettings.model_validate(
            base | {k: v for k, v in given.items() if v is not None}
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = {"timeout_s": "timeout", "context_mode": "context-mode"}.get(
            str(err["loc"][0]), str(err["loc"][0]).replace("_", "-")
        )
        raise ConfigError(err["msg"], field=f"--{field}") from None
    if isinstance(model, BaseChatModel):
        return LLMNarrator(model, resolved)
    chat = build_chat_model(
        model,
        temperature=resolved.temperature,
        timeout=resolved.timeout_s,
        env_file=env_file,
    )
    return LLMNarrator(chat, resolved, name=model)


@functools.lru_cache(maxsize=16)
def cached_narrator(model: str, context_mode: str = "digest") -> LLMNarrator:
    """The narrator for ``PROVIDER:MODEL``, built once per process and setting.

    For callers that name a model per run (the LangGraph server's ``context``, a resumed
    review): building a chat model costs an import and a client, and the narrator is
    thread-safe, so runs share it. Keys come from the process's environment or ``./.env``.

    Raises:
        ConfigError: the model cannot be built (malformed string, unknown provider, no key).
    """
    return build_narrator(model, context_mode=context_mode)
