"""Readers of single-file model formats: pickle, numpy, safetensors, Keras, HDF5, TensorFlow.

Each turns one file or member into a :class:`~langgraph_gates.evidence.artifact_verdict._Part`;
none of them loads the model. A model embedded in a pickle is handed back to the scanner
(``lim.scan_blob``) to be recognised like any file.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from langgraph_gates.evidence.artifact_io import (
    MAX_NESTED_BYTES,
    Opener,
    _buffered,
    _guarded,
    _Limits,
    _read_all,
    _UnverifiableError,
)
from langgraph_gates.evidence.artifact_verdict import (
    _KERAS_MODULE,
    _TF_OPS_MODULE,
    _flagged,
    _Part,
    _problem_part,
)
from langgraph_gates.evidence.keras_scan import (
    KerasConfigError,
    code_layers,
    hdf5_model_config,
    keras_metadata_configs,
    parse_json,
)
from langgraph_gates.evidence.pickle_scan import (
    EmbeddedModel,
    PickleScanError,
    Source,
    scan_pickle_source,
)
from langgraph_gates.evidence.tf_graph_scan import UNSAFE_OPS, TfGraphError, saved_model_ops

MAX_SAFETENSORS_HEADER = 100 * 2**20
MAX_CONFIG_BYTES = 64 * 2**20
MAX_GRAPH_BYTES = 1024 * 2**20


# Names that say "pickle" even without a protocol header (protocols 0 and 1 have none).
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".sav", ".p")


# Plain data formats that a model file name may carry by mistake (picklescan's bad_pytorch.pt
# is a PNG): no loader runs code from them.
_DATA_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
)


_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_TF_CHECKPOINT = re.compile(r"(^|/)variables\.(index|data-\d{5}-of-\d{5})$")


def _looks_like_pickle(head: bytes, name: str) -> bool:
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return True
    return name.lower().endswith(_PICKLE_SUFFIXES)


def _safetensors(head: bytes, opener: Opener, size: int | None) -> bool:
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    if n < 2 or n > MAX_SAFETENSORS_HEADER or (size is not None and 8 + n > size):
        return False
    if head[8:9] != b"{":
        return False
    with opener() as fh:
        fh.read(8)
        blob = fh.read(n)
    try:
        header = json.loads(blob)
    except (ValueError, UnicodeDecodeError, RecursionError):  # not a safetensors header
        return False
    return isinstance(header, dict)


def _pickle_part(
    name: str,
    fmt: str,
    opener: Opener,
    lim: _Limits,
    offset: int = 0,
    *,
    file_size: int | None = None,
) -> _Part:
    """Scan a pickle; ``file_size`` is given for a plain file, so array payloads are seeked."""

    def open_source() -> Source:
        if file_size is not None:
            fh = opener()
            fh.seek(offset)
            return Source(fh, seekable_size=file_size)
        fh = _buffered(opener())
        if offset:
            fh.read(offset)
        return Source(fh, limit=lim.max_decompressed)

    part = _Part(name, fmt, pickle_based=True)
    try:
        part.scan = scan_pickle_source(open_source, label=name, extra_allowed=lim.extra)
    except PickleScanError as exc:
        part.scan.problems.append(f"{name}: {exc}")
    if part.scan.joblib and fmt == "pickle":
        part.format = "joblib"
    for model in part.scan.embedded:
        member = f"{name}!embedded model @{model.pos}"
        part.children += _guarded(member, partial(_embedded_parts, member, model, open_source, lim))
    return part


def _embedded_parts(
    name: str, model: EmbeddedModel, open_source: Callable[[], Source], lim: _Limits
) -> list[_Part]:
    """Scan a model archive that a pickle hands to Keras' deserializer."""
    data = model.data
    if data is None:
        if model.size > min(lim.max_decompressed, MAX_NESTED_BYTES):
            raise _UnverifiableError("the embedded model is larger than the size cap")
        src = open_source()
        try:
            src.skip(model.start, "bytes before the embedded model")
            data = src.read_exact(model.size, "the embedded model")
        finally:
            src.close()
    blob = data
    return lim.scan_blob(name, lambda: io.BytesIO(blob), len(blob), lim, 1)


def _npy_part(
    name: str, head: bytes, opener: Opener, lim: _Limits, file_size: int | None = None
) -> _Part:
    major = head[6] if len(head) > 6 else 0
    width = 2 if major == 1 else 4
    start = 8 + width
    hlen = int.from_bytes(head[8:start], "little") if len(head) >= start else 0
    with opener() as fh:
        fh.read(start)
        text = fh.read(hlen)
    try:
        header = ast.literal_eval(text.decode("latin-1"))  # a literal dict; never eval()
        descr = header["descr"]
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
        part = _Part(name, "numpy .npy", pickle_based=True)
        part.scan.problems.append(f"{name}: the .npy header cannot be read")
        return part
    if "O" in repr(descr):
        # np.save pickles object arrays after the header (np.load(allow_pickle=True) runs it).
        return _pickle_part(
            name,
            "numpy .npy (object array, pickled)",
            opener,
            lim,
            start + hlen,
            file_size=file_size,
        )
    return _Part(name, "numpy .npy")


def _unrecognised(name: str, opener: Opener, lim: _Limits, file_size: int | None) -> _Part:
    """Protocol 0/1 pickles have no header: a file that parses cleanly as one is one."""
    attempt = _pickle_part(name, "pickle", opener, lim, file_size=file_size)
    if not attempt.scan.problems:
        return attempt
    hidden = [g for g in attempt.scan.blocked if g.module.replace(".", "").isidentifier()]
    if hidden:
        # It imported something dangerous before failing: an unpickler would have run it.
        attempt.format = "pickle (malformed)"
        attempt.scan.imports = hidden
        return attempt
    return _Part(name, "unrecognised", unknown=True)


def _keras_config_part(name: str, opener: Opener, strict: bool = True) -> _Part:
    """A root ``config.json``, judged for Keras layers that carry code.

    In a ``.keras`` archive it must parse; elsewhere it may be any JSON or text (e.g. a Hugging
    Face config), and only a parsed one is judged.
    """
    data = _read_all(opener, MAX_CONFIG_BYTES, "the Keras config")
    try:
        layers = code_layers(parse_json(data, "config.json"))
    except KerasConfigError as exc:
        if not strict:
            return _Part(name, "text")
        return _problem_part(name, "Keras config", str(exc))
    return _code_layer_part(name, "Keras config" if strict else "JSON config", layers)


def _code_layer_part(name: str, fmt: str, layers: list[str]) -> _Part:
    part = _Part(name, fmt)
    for layer in layers:
        part.scan.imports.append(
            _flagged(name, _KERAS_MODULE, layer, "a Lambda layer carries Python code")
        )
    return part


def _hdf5_part(name: str, opener: Opener, lim: _Limits, path: Path | None) -> _Part:
    """An HDF5 file: a Keras model config is judged, anything else is data.

    libhdf5 reads a file by name, in a child process: a member of an archive is written to
    a temporary file first (up to the nested-size cap).
    """
    try:
        if path is not None:
            config = hdf5_model_config(str(path))
        else:
            data = _read_all(opener, min(lim.max_decompressed, MAX_NESTED_BYTES), "an HDF5 member")
            with tempfile.TemporaryDirectory(prefix="gates-h5-") as tmp:
                member = Path(tmp) / "member.h5"
                member.write_bytes(data)
                del data
                config = hdf5_model_config(str(member))
    except ImportError:
        return _problem_part(
            name,
            "HDF5",
            "HDF5 (e.g. a Keras .h5 model) needs the h5py package to be verified "
            "(pip install 'langgraph-gates[artifacts]')",
        )
    except KerasConfigError as exc:
        return _problem_part(name, "HDF5", str(exc))
    if config is None:
        return _Part(name, "HDF5 (no model config: weights or data)")
    try:
        layers = code_layers(config)
    except KerasConfigError as exc:
        return _problem_part(name, "Keras HDF5", str(exc))
    return _code_layer_part(name, "Keras HDF5 model", layers)


def _saved_model_part(name: str, opener: Opener) -> _Part:
    blob = _read_all(opener, MAX_GRAPH_BYTES, "saved_model.pb")
    try:
        ops = saved_model_ops(blob)
    except TfGraphError as exc:
        return _problem_part(name, "TensorFlow SavedModel", str(exc))
    part = _Part(name, "TensorFlow SavedModel")
    for op in sorted(ops & UNSAFE_OPS):
        part.scan.imports.append(
            _flagged(name, _TF_OPS_MODULE, op, "reads or writes host files, or runs Python")
        )
    return part


def _keras_metadata_part(name: str, opener: Opener) -> _Part:
    blob = _read_all(opener, MAX_GRAPH_BYTES, "keras_metadata.pb")
    try:
        layers = [layer for cfg in keras_metadata_configs(blob) for layer in code_layers(cfg)]
    except KerasConfigError as exc:
        return _problem_part(name, "Keras metadata", str(exc))
    return _code_layer_part(name, "Keras metadata", layers)


def _by_name(name: str, opener: Opener) -> _Part | None:
    """Formats told by their file name inside a model folder (TensorFlow's protobufs)."""
    lower = name.lower().replace("!", "/")
    if lower.endswith("/saved_model.pb") or lower == "saved_model.pb":
        return _saved_model_part(name, opener)
    if lower.endswith("keras_metadata.pb"):
        return _keras_metadata_part(name, opener)
    if lower.endswith("fingerprint.pb"):
        return _Part(name, "SavedModel fingerprint")
    if _TF_CHECKPOINT.search(lower):
        return _Part(name, "TensorFlow checkpoint (tensor data)")
    return None
