"""The review graph: dispatcher -> seven gates in the seed's order -> formatter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from langgraph_gates._redaction import redact_values
from langgraph_gates.gates import GATES
from langgraph_gates.nodes import RunContext, dispatcher, formatter, make_gate_node
from langgraph_gates.state import ReviewInput, ReviewState

__all__ = ["NODE_ORDER", "ReviewGraph", "build_graph", "graph_builder"]

NODE_ORDER: tuple[str, ...] = ("dispatcher", *(g.id for g in GATES), "formatter")


class ReviewGraph(CompiledStateGraph[Any, Any, Any, Any]):
    """The compiled review graph: its input is redacted before LangGraph checkpoints it.

    LangGraph saves a run's input in the first checkpoint, before the dispatcher (which
    redacts) runs; so ``build_graph(saver).invoke({...})`` redacts the dossier, the free text
    and the names and reasons of overrides first, as ``review()`` and the CLI do. ``invoke``
    and ``ainvoke`` go through these two methods.
    """

    def stream(self, input: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`CompiledStateGraph.stream` on the redacted input."""
        return super().stream(redact_values(input), *args, **kwargs)

    def astream(self, input: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`CompiledStateGraph.astream` on the redacted input."""
        return super().astream(redact_values(input), *args, **kwargs)


def graph_builder() -> StateGraph[ReviewState, RunContext, ReviewState, ReviewState]:
    """The uncompiled review graph, for callers that compile it their own way."""
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        ReviewState, context_schema=RunContext, input_schema=ReviewInput
    )
    builder.add_node("dispatcher", dispatcher)
    for spec in GATES:
        builder.add_node(spec.id, make_gate_node(spec))
    builder.add_node("formatter", formatter)
    for a, b in zip((START, *NODE_ORDER), (*NODE_ORDER, END), strict=True):
        builder.add_edge(a, b)
    return builder


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    *,
    interrupt_after: Sequence[str] | None = None,
    name: str = "workflow_ml_prod_sequential",
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Build and compile the review graph.

    Args:
        checkpointer: where checkpoints go (``None``: no persistence; the LangGraph server
            brings its own).
        interrupt_after: node names to pause after (gate ids, ``dispatcher``).
        name: the graph's name (the seed's entity id by default).

    Returns:
        The compiled graph. Invoke it with one of ``dossier_path``, ``dossier`` or ``text``
        and, optionally, ``context=RunContext(...)``.
    """
    graph = graph_builder().compile(
        checkpointer=checkpointer,
        interrupt_after=list(interrupt_after) if interrupt_after else None,
        name=name,
    )
    # compile() builds the graph's parts; the subclass only changes how input enters.
    graph.__class__ = ReviewGraph
    return graph
