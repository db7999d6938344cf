"""Static inspection of a model artifact: which format it is, and can it run code on load?

The format is recognised from the content (magic bytes), not the file name, then:

* **pickle-based** (plain pickle, joblib, legacy ``torch.save``, numpy ``.npy`` with objects,
  any ``.pkl`` member of a zip such as PyTorch's ``*/data.pkl``): every pickle stream is scanned
  by :mod:`langgraph_gates.evidence.pickle_scan` without loading it;
* **compressed** (joblib's zlib, gzip, bz2, xz, lzma): decompressed with the standard library
  as a stream, under a size cap, and the content is recognised again;
* **archives** (zip, tar, 7z, nested in each other): every member is recognised and scanned
  (a malicious member anywhere fails the artifact). Zip members are read the way PyTorch reads
  them, whatever their flag bits and CRC say (:mod:`~langgraph_gates.evidence.zip_reader`);
  7z needs ``py7zr`` (the ``artifacts`` extra) and fails closed without it;
* **Keras and TensorFlow** (``.keras``, ``.h5``, SavedModel folders): the model config is read
  for layers that carry code (:mod:`~langgraph_gates.evidence.keras_scan`; HDF5 needs ``h5py``,
  the ``artifacts`` extra, and fails closed without it) and the graph for ops that touch files
  or run Python (:mod:`~langgraph_gates.evidence.tf_graph_scan`);
* **non-executable** (safetensors, ONNX, GGUF, numpy arrays without objects, skops):
  loading them does not run code through the format itself. skops archives hold a JSON
  schema and are loaded by skops' own loader, which refuses untrusted types unless told
  otherwise: they are treated as non-executable, and any pickle inside is still scanned;
* anything else is **unknown**: it cannot be said whether it runs code.

Whatever goes wrong while reading a file (a library error, a bug here) becomes a *problem* of
that file, never an exception: a file that cannot be verified fails (SPEC: verdicts fail closed).

A folder artifact (e.g. a Hugging Face model folder) is scanned file by file.
"""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import json
import lzma
import os
import re
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, Field

from langgraph_gates.evidence import zip_reader
from langgraph_gates.evidence.archive_7z import sevenzip_members
from langgraph_gates.evidence.keras_scan import (
    KerasConfigError,
    code_layers,
    hdf5_model_config,
    keras_metadata_configs,
    parse_json,
)
from langgraph_gates.evidence.pickle_scan import (
    EmbeddedModel,
    ImportedGlobal,
    PickleScanError,
    Source,
    StreamScan,
    scan_pickle_source,
)
from langgraph_gates.evidence.tf_graph_scan import UNSAFE_OPS, TfGraphError, saved_model_ops

__all__ = ["ArtifactScan", "BlockedImport", "Verdict", "scan_artifact"]

Verdict = Literal["unsafe", "unparseable", "pickle", "unknown", "safe", "too_large"]
Opener = Callable[[], IO[bytes]]

MAX_MEMBERS = 10_000
MAX_FOLDER_FILES = 2_000
MAX_DEPTH = 3
MAX_SAFETENSORS_HEADER = 100 * 2**20
IN_MEMORY_BYTES = 8 * 2**20
"""Files up to this size are read into memory once instead of being reopened per pass."""
MAX_NESTED_BYTES = 1024 * 2**20
"""Largest forward-only member (of a compressed archive) read into memory to be opened."""
MAX_CONFIG_BYTES = 64 * 2**20
MAX_GRAPH_BYTES = 1024 * 2**20
# Names that say "pickle" even without a protocol header (protocols 0 and 1 have none).
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".sav", ".p")
_SHOWN = 50


class BlockedImport(BaseModel):
    """A callable the artifact would import on load that is not on the allowlist."""

    callable: str = Field(description="module.name, e.g. 'os.system'.")
    status: Literal["dangerous", "not_allowed"]
    where: str = Field(description="File or archive member, and byte offset of the opcode.")
    kind: Literal["import", "layer", "op"] = Field(
        default="import",
        description="A pickle import, a Keras layer that carries code, or a TensorFlow op.",
    )


class ArtifactScan(BaseModel):
    """What the static inspection of an artifact found (no secret or payload values)."""

    path: str
    format: str = Field(description="e.g. 'joblib (zlib)', 'PyTorch zip', 'safetensors'.")
    verdict: Verdict
    pickle_based: bool = False
    size_bytes: int = 0
    imports: list[str] = Field(default_factory=list, description="Allowed imports (distinct).")
    imports_total: int = 0
    blocked: list[BlockedImport] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    members: list[str] = Field(
        default_factory=list, description="Scanned files or archive members with their format."
    )
    opcodes: int = 0
    arrays: int = 0


@dataclass
class _Part:
    name: str
    format: str
    pickle_based: bool = False
    unknown: bool = False
    scan: StreamScan = field(default_factory=lambda: StreamScan(streams=0))
    children: list[_Part] = field(default_factory=list)
    """Parts found inside this one (a model archive embedded in a pickle)."""


@dataclass
class _Limits:
    extra: tuple[str, ...]
    max_decompressed: int


class _ZlibReader(io.RawIOBase):
    """A streaming zlib/gzip decompressor with bounded output per read."""

    def __init__(self, fh: IO[bytes], wbits: int) -> None:
        self._fh = fh
        self._d = zlib.decompressobj(wbits)
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        size = len(buffer)
        while not self._pending and not self._done:
            if self._d.unconsumed_tail:
                self._pending = self._d.decompress(self._d.unconsumed_tail, size)
            elif self._d.eof:
                self._done = True
            else:
                chunk = self._fh.read(1 << 16)
                if chunk:
                    self._pending = self._d.decompress(chunk, size)
                else:
                    self._pending, self._done = self._d.flush(), True
        out, self._pending = self._pending[:size], self._pending[size:]
        buffer[: len(out)] = out
        return len(out)

    def close(self) -> None:
        self._fh.close()
        super().close()


class _GuardedReader(io.RawIOBase):
    """Turns decompression and archive errors into :class:`PickleScanError`."""

    _ERRORS = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        try:
            data = self._fh.read(len(buffer))
        except self._ERRORS as exc:
            msg = f"cannot be decompressed or read: {type(exc).__name__}: {exc}"
            raise PickleScanError(msg) from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


def _buffered(fh: IO[bytes]) -> IO[bytes]:
    return io.BufferedReader(_GuardedReader(fh), buffer_size=1 << 16)  # type: ignore[arg-type]


def _compression(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if head.startswith(b"ZF"):
        return "joblib-zf"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    if head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    return None


def _decompressor(kind: str, opener: Opener) -> Opener:
    def open_stream() -> IO[bytes]:
        raw = opener()
        if kind == "gzip":
            return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
        if kind == "bz2":
            return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
        if kind in ("xz", "lzma"):
            fmt = lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE
            return lzma.LZMAFile(raw, mode="rb", format=fmt)  # type: ignore[return-value]
        if kind == "joblib-zf":
            # joblib < 0.10: "ZF", the payload length in hex (19 chars), maybe a space, zlib.
            header = raw.read(21)
            if raw.read(1) != b" ":
                raw.seek(len(header))
            del header
        return io.BufferedReader(_ZlibReader(raw, zlib.MAX_WBITS))  # type: ignore[return-value]

    return open_stream


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


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


def _read_head(opener: Opener, n: int = 600) -> bytes:
    with opener() as fh:
        return fh.read(n)


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
        part.children += _guarded(
            member, lambda m=member, e=model: _embedded_parts(m, e, open_source, lim)
        )
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
    return _blob_parts(name, lambda: io.BytesIO(blob), len(blob), lim, 1)


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


class _UnverifiableError(Exception):
    """A file or member that cannot be read within the scanner's bounds (fails closed)."""


def _problem_part(name: str, fmt: str, message: str) -> _Part:
    part = _Part(name, fmt, unknown=True)
    part.scan.problems.append(f"{name}: {message}")
    return part


# Code-bearing elements that are not pickle imports are reported under these pseudo-modules
# (no pickle can import a module named with angle brackets, so the two never mix).
_KERAS_MODULE = "<keras layer>"
_TF_OPS_MODULE = "<tensorflow op>"


def _flagged(stream: str, module: str, what: str, reason: str) -> ImportedGlobal:
    """A code-bearing element that is not a pickle import (a Keras layer, a TF op)."""
    return ImportedGlobal(module, what, stream, 0, "dangerous", reason)


def _seekable(opener: Opener, lim: _Limits) -> Opener:
    """An opener of seekable handles: archive readers (zip, tar, 7z, HDF5) must seek.

    A member of a compressed archive is a forward-only stream; it is read once into memory,
    up to the decompression cap (a bigger one cannot be verified).
    """
    with opener() as fh:
        if fh.seekable():
            return opener
        cap = min(lim.max_decompressed, MAX_NESTED_BYTES)
        data = fh.read(cap + 1)
    if len(data) > cap:
        msg = f"a nested archive larger than {cap:,} bytes cannot be inspected (size cap)"
        raise _UnverifiableError(msg)
    return lambda: io.BytesIO(data)


def _in_memory(opener: Opener, lim: _Limits) -> Opener:
    cap = min(lim.max_decompressed, MAX_NESTED_BYTES)
    data = _read_all(opener, cap, "a compressed archive")
    return lambda: io.BytesIO(data)


def _read_all(opener: Opener, cap: int, what: str) -> bytes:
    with opener() as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise _UnverifiableError(f"{what} is larger than {cap:,} bytes (size cap)")
    return data


def _zip_kind(names: set[str], infos: list[zipfile.ZipInfo]) -> str:
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "PyTorch zip"
    if "config.json" in names and ("model.weights.h5" in names or "metadata.json" in names):
        return "Keras (.keras)"
    if "schema.json" in names:
        return "skops"
    if infos and all(n.endswith(".npy") for n in names):
        return "numpy .npz"
    return "zip archive"


def _zip_opener(opener: Opener, info: zipfile.ZipInfo, size: int) -> Opener:
    def open_member() -> IO[bytes]:
        # A fresh handle per pass: the archive is reopened, members are streamed.
        if info.compress_type in zip_reader.LENIENT_METHODS:
            return zip_reader.open_member(opener(), info, size)
        outer = opener()
        zf2 = zipfile.ZipFile(outer)
        return _ClosingMember(zf2.open(info), zf2, outer)

    return open_member


def _zip_parts(name: str, opener: Opener, lim: _Limits, depth: int) -> list[_Part]:
    with opener() as raw:
        size = raw.seek(0, os.SEEK_END)
        raw.seek(0)
        with zipfile.ZipFile(raw) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    names = {i.filename for i in infos}
    if len(infos) > MAX_MEMBERS:
        return [_problem_part(name, "zip archive", f"more than {MAX_MEMBERS:,} members")]
    kind = _zip_kind(names, infos)
    parts = [_Part(name, kind)]
    for info in infos:
        member = f"{name}!{info.filename}"
        open_member = _zip_opener(opener, info, size)
        if kind == "Keras (.keras)" and info.filename == "model.weights.h5":
            # Keras reads only tensors from this file (its config is config.json): no code.
            parts.append(_Part(member, "Keras weights (HDF5 tensors)"))
            continue
        if info.filename == "config.json":
            # Keras loads a root config.json even without its companions (a renamed zip),
            # so every archive's root config.json is read for code-carrying layers.
            strict = kind == "Keras (.keras)"
            parts += _guarded(
                member, lambda m=member, o=open_member, k=strict: _keras_config_part(m, o, k)
            )
            continue
        found = _guarded(
            member,
            lambda m=member, o=open_member, i=info: _blob_parts(m, o, i.file_size, lim, depth + 1),
        )
        if info.flag_bits & 0x1:
            # PyTorch ignores the flag and reads the bytes: scan them as it would, but a
            # really encrypted member cannot be verified, so it fails closed either way.
            found.append(
                _problem_part(member, "encrypted member", "encrypted, cannot be inspected")
            )
        parts += found
    return parts


def _guarded(name: str, scan: Callable[[], list[_Part] | _Part]) -> list[_Part]:
    """Run one member's scan; whatever it raises becomes that member's problem."""
    try:
        out = scan()
    except _UnverifiableError as exc:
        return [_problem_part(name, "unverifiable", str(exc))]
    except PickleScanError as exc:
        return [_problem_part(name, "unreadable", str(exc))]
    except Exception as exc:  # fail closed: a reader's error never passes a member
        return [_problem_part(name, "unreadable", f"cannot be read ({type(exc).__name__}: {exc})")]
    return out if isinstance(out, list) else [out]


def _keras_config_part(name: str, opener: Opener, strict: bool = True) -> _Part:
    """A root ``config.json``: in a ``.keras`` archive it must parse; elsewhere it may be
    any JSON or text (e.g. a Hugging Face config), and only a parsed one is judged."""
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


def _sevenzip_parts(name: str, opener: Opener, lim: _Limits, depth: int) -> list[_Part]:
    from langgraph_gates.evidence.archive_7z import SevenZipError

    seekable = _seekable(opener, lim)
    try:
        with seekable() as fh:
            members = sevenzip_members(fh, max_bytes=min(lim.max_decompressed, MAX_NESTED_BYTES))
    except SevenZipError as exc:
        return [_problem_part(name, "7z archive", str(exc))]
    parts = [_Part(name, "7z archive")]
    for member_name, data in members:
        member = f"{name}!{member_name}"
        parts += _guarded(
            member,
            lambda m=member, d=data: _blob_parts(m, lambda: io.BytesIO(d), len(d), lim, depth + 1),
        )
    return parts


class _ClosingMember(io.RawIOBase):
    """An archive member that also closes its archive (and file) when closed."""

    def __init__(
        self, member: IO[bytes], *owners: zipfile.ZipFile | tarfile.TarFile | IO[bytes]
    ) -> None:
        self._member = member
        self._owners = owners

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._member.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        for owner in self._owners:
            owner.close()
        super().close()


def _tar_parts(name: str, opener: Opener, lim: _Limits, depth: int) -> list[_Part]:
    parts = [_Part(name, "tar archive")]
    with opener() as fh, tarfile.open(fileobj=fh, mode="r:*") as tf:
        members = [m for m in tf.getmembers()[: MAX_MEMBERS + 1] if m.isfile()]
    if len(members) > MAX_MEMBERS:
        parts[0].scan.problems.append(f"{name}: more than {MAX_MEMBERS:,} members")
        return parts
    for m in members:

        def open_member(m: tarfile.TarInfo = m) -> IO[bytes]:
            fh2 = opener()
            tf2 = tarfile.open(fileobj=fh2, mode="r:*")  # noqa: SIM115 - closed by _ClosingMember
            member = tf2.extractfile(m)
            if member is None:
                raise _UnverifiableError(f"tar member {m.name!r} cannot be read")
            return _ClosingMember(member, tf2, fh2)

        member_name = f"{name}!{m.name}"
        parts += _guarded(
            member_name,
            lambda mn=member_name, o=open_member, mm=m: _blob_parts(mn, o, mm.size, lim, depth + 1),
        )
    return parts


# Plain data formats that a model file name may carry by mistake (picklescan's bad_pytorch.pt
# is a PNG): no loader runs code from them.
_DATA_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
)
_SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_TF_CHECKPOINT = re.compile(r"(^|/)variables\.(index|data-\d{5}-of-\d{5})$")


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


def _archive_parts(
    name: str, head: bytes, opener: Opener, lim: _Limits, depth: int
) -> list[_Part] | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_parts(name, _seekable(opener, lim), lim, depth)
    if head.startswith(_SEVEN_ZIP_MAGIC):
        return _sevenzip_parts(name, opener, lim, depth)
    if _is_tar(head):
        return _tar_parts(name, _seekable(opener, lim), lim, depth)
    return None


def _blob_parts(
    name: str,
    opener: Opener,
    size: int | None,
    lim: _Limits,
    depth: int,
    path: Path | None = None,
) -> list[_Part]:
    """Recognise one file or member by its content and scan it."""
    if depth > MAX_DEPTH:
        return [
            _problem_part(
                name, "nested archive", f"archives nested more than {MAX_DEPTH} deep not opened"
            )
        ]
    head = _read_head(opener)
    lower = name.lower()
    archive = _archive_parts(name, head, opener, lim, depth)
    if archive is not None:
        return archive
    named = _by_name(name, opener)
    if named is not None:
        return [named]
    kind = _compression(head)
    if kind == "lz4":
        part = _Part(name, "lz4-compressed", pickle_based=True)
        part.scan.problems.append(
            f"{name}: lz4 cannot be decompressed with the standard library, so the content "
            "cannot be verified"
        )
        return [part]
    if kind is not None:
        inner = _decompressor(kind, opener)
        try:
            inner_head = _read_head(inner)
        except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
            part = _Part(name, f"{kind}-compressed", pickle_based=True)
            part.scan.problems.append(f"{name}: cannot be decompressed ({type(exc).__name__})")
            return [part]
        if _is_tar(inner_head):
            # Decompressed once into memory: tarfile would otherwise decompress the whole
            # stream again for every member it opens.
            return _tar_parts(name, _in_memory(inner, lim), lim, depth)
        if inner_head.startswith(b"\x93NUMPY"):
            return [_npy_part(name, inner_head, inner, lim)]
        part = _pickle_part(name, "pickle", inner, lim)
        part.format = f"{part.format} ({kind})"
        return [part]
    plain_size = size if path is not None else None
    if head.startswith(b"\x93NUMPY"):
        return [_npy_part(name, head, opener, lim, plain_size)]
    if head.startswith(b"GGUF"):
        return [_Part(name, "GGUF")]
    if head.startswith(_HDF5_MAGIC):
        return [_hdf5_part(name, opener, lim, path)]
    for magic, fmt in _DATA_MAGIC:
        if head.startswith(magic):
            return [_Part(name, f"{fmt} (not a model format)")]
    if _safetensors(head, opener, size):
        return [_Part(name, "safetensors")]
    if _looks_like_pickle(head, name):
        return [_pickle_part(name, "pickle", opener, lim, file_size=plain_size)]
    if lower.endswith(".onnx") and head[:1] == b"\x08":
        return [_Part(name, "ONNX")]
    if lower.endswith(".py"):
        part = _Part(name, "Python source", unknown=True)
        part.scan.notes.append(
            f"{name}: Python code runs if the loader imports it (e.g. trust_remote_code)"
        )
        return [part]
    if lower.endswith((".json", ".txt", ".md", ".yaml", ".yml", ".csv")):
        return [_Part(name, "text")]
    return [_unrecognised(name, opener, lim, plain_size)]


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


def _flatten(parts: Iterable[_Part]) -> list[_Part]:
    out: list[_Part] = []
    for p in parts:
        out.append(p)
        out += _flatten(p.children)
    return out


def _verdict(parts: Iterable[_Part]) -> Verdict:
    parts = list(parts)
    if any(p.scan.blocked for p in parts):
        return "unsafe"
    if any(p.scan.problems for p in parts):
        return "unparseable"
    if any(p.pickle_based for p in parts):
        return "pickle"
    if any(p.unknown for p in parts):
        return "unknown"
    return "safe"


_KINDS: dict[str, Literal["import", "layer", "op"]] = {
    _KERAS_MODULE: "layer",
    _TF_OPS_MODULE: "op",
}


def _summary(path: str, size: int, parts: list[_Part], fmt: str) -> ArtifactScan:
    parts = _flatten(parts)
    imports = sorted({g.qualified for p in parts for g in p.scan.imports if g.status == "allowed"})
    blocked: list[BlockedImport] = []
    seen: set[str] = set()
    for p in parts:
        for g in p.scan.blocked:
            kind = _KINDS.get(g.module, "import")
            if kind == "layer":
                key = f"Keras {g.name}"
            elif kind == "op":
                key = f"TensorFlow op {g.name}"
            else:
                key = g.qualified if g.module != "<unresolved>" else f"<unresolved: {g.name}>"
            # Names come from the file: keep them short and printable in reports.
            key = "".join(c if c.isprintable() else "?" for c in key)[:120]
            if key in seen:
                continue
            seen.add(key)
            status: Literal["dangerous", "not_allowed"] = (
                "dangerous" if g.status == "dangerous" else "not_allowed"
            )
            where = g.stream if kind != "import" else f"{g.stream} @{g.pos}"
            blocked.append(BlockedImport(callable=key, status=status, where=where, kind=kind))
    # Dangerous first: they are what the reader must see.
    blocked.sort(key=lambda b: (b.status != "dangerous", b.callable))
    return ArtifactScan(
        path=path,
        format=fmt,
        verdict=_verdict(parts),
        pickle_based=any(p.pickle_based for p in parts),
        size_bytes=size,
        imports=imports[:200],
        imports_total=sum(len(p.scan.imports) for p in parts),
        blocked=blocked[:_SHOWN],
        problems=[m for p in parts for m in p.scan.problems][:_SHOWN],
        notes=[m for p in parts for m in p.scan.notes][:_SHOWN],
        members=[f"{p.name}: {p.format}" for p in parts][:_SHOWN],
        opcodes=sum(p.scan.opcodes for p in parts),
        arrays=sum(p.scan.arrays for p in parts),
    )


def _folder_files(root: Path) -> list[Path]:
    files: list[Path] = []
    base = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for fname in sorted(filenames):
            p = Path(dirpath) / fname
            if p.is_symlink():
                try:
                    if not p.resolve().is_relative_to(base):
                        continue
                except (RuntimeError, OSError):  # a symlink loop: nothing to read
                    continue
            if p.is_file():
                files.append(p)
    return files


def scan_artifact(
    path: Path,
    *,
    display: str | None = None,
    extra_allowed: Iterable[str] = (),
    max_bytes: int = 4096 * 2**20,
    max_decompressed_bytes: int = 16 * 4096 * 2**20,
    max_files: int = MAX_FOLDER_FILES,
) -> ArtifactScan:
    """Inspect an artifact file or folder statically; never raises for what a file holds.

    Args:
        path: the artifact (file or folder).
        display: the name to show (the dossier's relative path).
        extra_allowed: policy additions to the pickle allowlist.
        max_bytes: larger artifacts are not scanned (verdict ``too_large``).
        max_decompressed_bytes: cap on bytes produced by decompression (bomb guard).
        max_files: cap on files scanned in a folder artifact.

    Returns:
        The scan. Anything that goes wrong while reading gives ``unparseable`` with the
        reason in ``problems``: an artifact that cannot be verified fails, it is never
        passed or turned into an ``error`` (SPEC section 3, verdicts fail closed).
    """
    try:
        return _scan_artifact(
            path,
            display=display,
            extra_allowed=extra_allowed,
            max_bytes=max_bytes,
            max_decompressed_bytes=max_decompressed_bytes,
            max_files=max_files,
        )
    except Exception as exc:  # the last line of defence: fail closed, with the reason
        return ArtifactScan(
            path=display or path.name,
            format="(not verified)",
            verdict="unparseable",
            problems=[f"the artifact cannot be verified ({type(exc).__name__}: {exc})"],
        )


def _scan_artifact(
    path: Path,
    *,
    display: str | None = None,
    extra_allowed: Iterable[str] = (),
    max_bytes: int = 4096 * 2**20,
    max_decompressed_bytes: int = 16 * 4096 * 2**20,
    max_files: int = MAX_FOLDER_FILES,
) -> ArtifactScan:
    """:func:`scan_artifact` without the last safety net."""
    shown = display or path.name
    lim = _Limits(extra=tuple(extra_allowed), max_decompressed=max_decompressed_bytes)
    if path.is_dir():
        files = _folder_files(path)
        size = sum(f.stat().st_size for f in files)
        if len(files) > max_files:
            scan = _summary(shown, size, [], "folder")
            return scan.model_copy(
                update={
                    "verdict": "too_large",
                    "problems": [f"the folder holds more than {max_files:,} files"],
                }
            )
        if size > max_bytes:
            return ArtifactScan(path=shown, format="folder", verdict="too_large", size_bytes=size)
        parts: list[_Part] = []
        for f in files:
            rel = f"{shown.rstrip('/')}/{f.relative_to(path).as_posix()}"
            parts += _file_parts(rel, f, lim)
        return _summary(shown, size, parts, "folder")
    size = path.stat().st_size
    if size > max_bytes:
        return ArtifactScan(
            path=shown, format="(not inspected)", verdict="too_large", size_bytes=size
        )
    parts = _file_parts(shown, path, lim, size)
    fmt = parts[0].format if parts else "empty"
    return _summary(shown, size, parts, fmt)


def _file_parts(name: str, path: Path, lim: _Limits, size: int | None = None) -> list[_Part]:
    size = path.stat().st_size if size is None else size
    if size == 0:
        part = _Part(name, "empty file", unknown=True)
        part.scan.problems.append(f"{name}: the file is empty")
        return [part]
    opener: Opener
    if size <= IN_MEMORY_BYTES:
        # A small file is read once: every later pass (head, format probes, the pickle scan,
        # archive members) reads memory instead of reopening the file.
        data = path.read_bytes()

        def opener() -> IO[bytes]:
            return io.BytesIO(data)

    else:

        def opener() -> IO[bytes]:
            return path.open("rb")

    try:
        return _blob_parts(name, opener, size, lim, 0, path=path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
        part = _Part(name, "corrupt archive", pickle_based=False, unknown=True)
        part.scan.problems.append(f"{name}: cannot be read ({type(exc).__name__}: {exc})")
        return [part]
    except PickleScanError as exc:
        return [_problem_part(name, "unreadable", str(exc))]
    except _UnverifiableError as exc:
        return [_problem_part(name, "unverifiable", str(exc))]
    except Exception as exc:  # fail closed: no reader's error may pass or escape
        return [
            _problem_part(name, "unreadable", f"cannot be verified ({type(exc).__name__}: {exc})")
        ]
