"""The graph LangGraph Studio and `langgraph dev` serve (see langgraph.json).

It is the library's review graph (:func:`langgraph_gates.graph_builder`), compiled without a
checkpointer because the LangGraph server brings its own, under the seed's entity id
``workflow_ml_prod_sequential``. Start a run with one of ``dossier_path`` (a file on the
server's disk, relative to the folder the server runs in), ``dossier`` (an inline mapping, with
``base_dir``) or ``text``; see :class:`langgraph_gates.ReviewInput`.

One difference from ``build_graph()``: the LangGraph server shows an exception's message only
for built-in error types such as ``ValueError`` and replaces any other with "An internal error
occurred". The dispatcher, the one node that rejects bad input, is wrapped here so that a
missing dossier file or an invalid field reaches Studio and the HTTP API as its one-line
message.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from langgraph_gates import GatesError, ReviewState, RunContext, graph_builder
from langgraph_gates.nodes import dispatcher
from langgraph_gates.tracing import setup_tracing

GRAPH_ID = "workflow_ml_prod_sequential"


def dispatcher_for_server(state: ReviewState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The dispatcher, with input errors raised as ``ValueError`` so the server shows them.

    Raises:
        ValueError: no input, an unreadable dossier file, or an invalid dossier or policy;
            the message is the error's one line (file and field).
    """
    try:
        return dispatcher(state, runtime)
    except GatesError as exc:
        raise ValueError(exc.one_line()) from exc


def server_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """The review graph as the LangGraph server runs it (no checkpointer of its own)."""
    builder = graph_builder()
    # Same name, same edges: only the dispatcher's callable changes.
    del builder.nodes["dispatcher"]
    builder.add_node("dispatcher", dispatcher_for_server)
    return builder.compile(name=GRAPH_ID)


# Gate spans go to an OTLP collector when the server's environment names one
# (OTEL_EXPORTER_OTLP_ENDPOINT); LangSmith tracing follows LANGSMITH_TRACING as everywhere.
setup_tracing()
graph = server_graph()
