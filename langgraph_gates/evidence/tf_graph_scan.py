"""TensorFlow SavedModel graphs read statically: which ops touch files or run Python?

A SavedModel (``saved_model.pb``) is a graph of ops that TensorFlow runs when the model is
called. Ops such as ``ReadFile`` and ``WriteFile`` read or write any path on the serving host;
``PyFunc`` calls back into Python. The op names are read from the protobuf by field number
(:mod:`langgraph_gates.evidence.protobuf_wire`): every ``NodeDef.op`` of every meta graph and of
every function in its library. TensorFlow is never imported.

Schema (tensorflow/core/protobuf/saved_model.proto, meta_graph.proto, graph.proto,
function.proto): ``SavedModel.meta_graphs = 2``; ``MetaGraphDef.graph_def = 2``;
``GraphDef.node = 1``, ``GraphDef.library = 2``; ``FunctionDefLibrary.function = 1``;
``FunctionDef.node_def = 3``; ``NodeDef.op = 2``.
"""

from __future__ import annotations

from langgraph_gates.evidence.protobuf_wire import ProtobufError, fields

__all__ = ["UNSAFE_OPS", "TfGraphError", "saved_model_ops"]

UNSAFE_OPS = frozenset(
    {
        "ReadFile",  # reads any file (modelscan: HIGH)
        "WriteFile",  # writes any file (modelscan: HIGH)
        "MatchingFiles",  # lists the host's files (glob)
        "PyFunc",
        "PyFuncStateless",
        "EagerPyFunc",  # call back into Python functions
        "ImmutableConst",  # memory-maps a file named in the graph
    }
)
"""Ops that reach the host's files or Python from inside a model graph."""


class TfGraphError(Exception):
    """``saved_model.pb`` cannot be decoded as a SavedModel."""


def _node_ops(node_def: memoryview, out: set[str]) -> None:
    for num, value in fields(node_def):
        if num == 2 and isinstance(value, memoryview):
            out.add(str(value, "utf-8", errors="replace"))


def _graph_ops(graph_def: memoryview, out: set[str]) -> None:
    for num, value in fields(graph_def):
        if not isinstance(value, memoryview):
            continue
        if num == 1:
            _node_ops(value, out)
        elif num == 2:
            for fnum, function in fields(value):
                if fnum != 1 or not isinstance(function, memoryview):
                    continue
                for dnum, node_def in fields(function):
                    if dnum == 3 and isinstance(node_def, memoryview):
                        _node_ops(node_def, out)


def saved_model_ops(blob: bytes) -> set[str]:
    """Every op name used by a serialized SavedModel message.

    Raises:
        TfGraphError: the bytes are not a well-formed SavedModel, or hold no graph.
    """
    ops: set[str] = set()
    graphs = 0
    try:
        for num, meta_graph in fields(blob):
            if num != 2 or not isinstance(meta_graph, memoryview):
                continue
            for mnum, graph_def in fields(meta_graph):
                if mnum == 2 and isinstance(graph_def, memoryview):
                    graphs += 1
                    _graph_ops(graph_def, ops)
    except ProtobufError as exc:
        msg = f"saved_model.pb cannot be decoded: {exc}"
        raise TfGraphError(msg) from None
    if not graphs:
        msg = "saved_model.pb holds no graph"
        raise TfGraphError(msg)
    return ops
