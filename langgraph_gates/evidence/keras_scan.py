"""Keras model configs read statically: does the model carry code (Lambda layers)?

Keras rebuilds a model from a JSON config. Most layers are classes the loader imports by name,
but a ``Lambda`` layer carries its function in the file (marshalled Python bytecode, or a
lambda's source), which runs when the model is loaded or called. The config is found in

* a Keras 3 ``.keras`` archive: the ``config.json`` member;
* a Keras 2 / tf-keras ``.h5`` file: the ``model_config`` attribute of the HDF5 root, read
  with ``h5py`` in a child process (an optional dependency:
  ``pip install 'langgraph-gates[artifacts]'``);
* a SavedModel folder written by tf-keras: ``keras_metadata.pb``, whose records hold each
  layer's JSON metadata.

Nothing is imported from Keras or TensorFlow. A config that cannot be read is reported as a
problem by the caller (the artifact then fails as unverifiable).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

__all__ = [
    "CODE_LAYERS",
    "KerasConfigError",
    "code_layers",
    "hdf5_model_config",
    "keras_metadata_configs",
]

CODE_LAYERS = frozenset({"Lambda"})
"""Layer classes whose config carries executable code."""
MAX_CONFIG_BYTES = 64 * 2**20
_MAX_DEPTH = 200


class KerasConfigError(Exception):
    """A Keras config or metadata record cannot be read."""


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        msg = "the model config is nested too deeply to be read"
        raise KerasConfigError(msg)
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, depth + 1)


def _carries_code(node: dict[str, Any]) -> bool:
    if node.get("class_name") in CODE_LAYERS:
        return True
    # Keras 3 serialises a lambda as {"class_name": "__lambda__", "config": {"code": ...}}.
    return node.get("class_name") == "__lambda__"


def code_layers(config: Any) -> list[str]:
    """Names of the layers (or functions) in a parsed config that carry code."""
    found = []
    for node in _walk(config):
        if _carries_code(node):
            cfg = node.get("config")
            name = cfg.get("name") if isinstance(cfg, dict) else None
            found.append(f"{node.get('class_name')} layer {name!r}" if name else "Lambda")
    return found


def parse_json(data: bytes | str, what: str) -> Any:
    """Parse a JSON config, with a clear error when it is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        msg = f"{what} is not valid JSON ({type(exc).__name__})"
        raise KerasConfigError(msg) from None


def hdf5_model_config(path: str) -> Any | None:
    """The parsed ``model_config`` of an HDF5 file (``None``: a weights-only file).

    The attribute is read out of process (:mod:`langgraph_gates.evidence.hdf5_reader`).

    Raises:
        ImportError: h5py is not installed.
        KerasConfigError: the file cannot be read as HDF5 (or reading it hangs), or the
            config is not JSON.
    """
    from langgraph_gates.evidence.hdf5_reader import Hdf5ReadError, read_root_attr

    try:
        raw = read_root_attr(path, "model_config")
    except Hdf5ReadError as exc:
        msg = f"cannot be read as HDF5 ({exc})"
        raise KerasConfigError(msg) from None
    if raw is None:
        return None
    return parse_json(raw, "the HDF5 model_config attribute")


def keras_metadata_configs(blob: bytes) -> list[Any]:
    """The JSON metadata of every record of a tf-keras ``keras_metadata.pb``.

    The message is ``SavedMetadata { repeated SavedObject nodes = 1; }`` and each
    ``SavedObject`` keeps its JSON in field 5 (``metadata``).
    """
    from langgraph_gates.evidence.protobuf_wire import ProtobufError, fields

    configs = []
    try:
        for num, value in fields(blob):
            if num != 1 or not isinstance(value, memoryview):
                continue
            for inner_num, inner in fields(value):
                if inner_num == 5 and isinstance(inner, memoryview) and len(inner):
                    configs.append(parse_json(bytes(inner), "a keras_metadata.pb record"))
    except ProtobufError as exc:
        msg = f"keras_metadata.pb cannot be decoded: {exc}"
        raise KerasConfigError(msg) from None
    return configs
