"""The review graph: dispatcher -> seven gates in the seed's order -> formatter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from langgraph_gates.gates import GATES
from langgraph_gates.nodes import RunContext, dispatcher, formatter, make_gate_node
from langgraph_gates.state import ReviewInput, ReviewState

__all__ = ["NODE_ORDER", "build_graph", "graph_builder"]

NODE_ORDER: tuple[str, ...] = ("dispatcher", *(g.id for g in GATES), "formatter")


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
    return graph_builder().compile(
        checkpointer=checkpointer,
        interrupt_after=list(interrupt_after) if interrupt_after else None,
        name=name,
    )
