"""How a run of a review is driven: the stream loop, its trace, and the model it runs with."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from langgraph_gates.durable.models import ProgressCallback
from langgraph_gates.nodes import RunContext
from langgraph_gates.state import ModelChoice
from langgraph_gates.tracing import review_trace

__all__ = ["drive", "with_saved_model"]


def model_under_review(values: Mapping[str, Any]) -> str:
    """A trace's name: the reviewed model's name and version (``review`` if unnamed)."""
    model = (values.get("dossier") or {}).get("model") or {}
    name = " ".join(str(model[k]) for k in ("name", "version") if model.get(k))
    return name or "review"


def _trace_metadata(values: Mapping[str, Any], context: RunContext) -> dict[str, Any]:
    narrator = context.narrator
    chat = getattr(narrator, "name", None) if narrator is not None else context.model
    return {"run": int(values.get("run") or 1), "narrative_model": chat or "offline"}


def drive(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    payload: Any,
    config: RunnableConfig,
    context: RunContext,
    pauses: Sequence[str],
    on_progress: ProgressCallback | None,
    about: Mapping[str, Any],
) -> list[str]:
    """Stream one run of a review (input ``payload``, or ``None`` to go on); the nodes run.

    Each run is one trace when tracing is on (:mod:`langgraph_gates.tracing`), named after
    the model under review (read from ``about``, the review's values) and tagged with the
    recommendation when the run finishes the review.
    """
    executed: list[str] = []
    recommendation: str | None = None
    review_id = str(config.get("configurable", {}).get("thread_id"))
    with review_trace(
        model_under_review(about), review_id=review_id, metadata=_trace_metadata(about, context)
    ) as traced:
        # With a list of stream modes LangGraph yields (mode, chunk) pairs; its stub types the
        # items as ``dict[str, Any] | Any``, which unpacks to ``str``: say what they are.
        mode: str
        chunk: Any
        for mode, chunk in graph.stream(
            payload,
            config,
            context=context,
            stream_mode=["custom", "updates"],
            durability="sync",
            interrupt_after=list(pauses) or None,
        ):
            if mode == "updates":
                executed += [node for node in chunk if not node.startswith("__")]
                outcome = (chunk.get("formatter") or {}).get("outcome") or {}
                recommendation = outcome.get("recommendation") or recommendation
            elif on_progress is not None:
                on_progress(chunk)
        traced.finish(recommendation, review_id)
    return executed


def with_saved_model(
    context: RunContext, values: Mapping[str, Any], *, reuse: bool, notes: list[str]
) -> RunContext:
    """The context with the model a review was started with, unless ``reuse`` is off.

    The model is built here, before anything is written, so a model that can no longer be
    built (a key gone from the environment) stops the command with the review unchanged. What
    was decided is added to ``notes``, so the user sees which model finishes the review.

    Raises:
        ConfigError: the saved model cannot be built.
    """
    saved = ModelChoice.model_validate(values["llm"]) if values.get("llm") else None
    if saved is None:
        return context
    if not reuse:
        notes.append(f"finishing offline, as asked (the review was started with {saved.model})")
        return context
    context = dataclasses.replace(context, model=saved.model, context_mode=saved.context_mode)
    context.resolved_narrator()
    notes.append(
        f"using the model the review was started with: {saved.model} "
        f"({saved.context_mode}); --model picks another, --offline none"
    )
    return context
