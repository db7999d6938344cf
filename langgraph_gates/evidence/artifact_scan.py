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

The readers are split by job: byte streams in :mod:`~langgraph_gates.evidence.artifact_io`,
single-file formats in :mod:`~langgraph_gates.evidence.artifact_formats`, archives in
:mod:`~langgraph_gates.evidence.artifact_archives`, the verdict in
:mod:`~langgraph_gates.evidence.artifact_verdict`; this module recognises a file and sends it
to the right one.
"""

from __future__ import annotations

import io
import lzma
import os
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from langgraph_gates.evidence.artifact_archives import _archive_parts, _is_tar, _tar_parts
from langgraph_gates.evidence.artifact_formats import (
    _DATA_MAGIC,
    _HDF5_MAGIC,
    _by_name,
    _hdf5_part,
    _looks_like_pickle,
    _npy_part,
    _pickle_part,
    _safetensors,
    _unrecognised,
)
from langgraph_gates.evidence.artifact_io import (
    Opener,
    _compression,
    _decompressor,
    _in_memory,
    _Limits,
    _read_head,
    _UnverifiableError,
)
from langgraph_gates.evidence.artifact_verdict import (
    ArtifactScan,
    BlockedImport,
    Verdict,
    _Part,
    _problem_part,
    _summary,
)
from langgraph_gates.evidence.pickle_scan import PickleScanError

__all__ = ["ArtifactScan", "BlockedImport", "Verdict", "scan_artifact"]

MAX_FOLDER_FILES = 2_000
MAX_DEPTH = 3
IN_MEMORY_BYTES = 8 * 2**20
"""Files up to this size are read into memory once instead of being reopened per pass."""


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
    archive = _archive_parts(name, head, opener, lim, depth)
    if archive is not None:
        return archive
    named = _by_name(name, opener)
    if named is not None:
        return [named]
    kind = _compression(head)
    if kind is not None:
        return _compressed_parts(name, kind, opener, lim, depth)
    return [_plain_part(name, head, opener, size, lim, path)]


def _compressed_parts(
    name: str, kind: str, opener: Opener, lim: _Limits, depth: int
) -> list[_Part]:
    """A compressed file: a tar, a ``.npy`` or a pickle inside (joblib's compressed dumps)."""
    if kind == "lz4":
        part = _Part(name, "lz4-compressed", pickle_based=True)
        part.scan.problems.append(
            f"{name}: lz4 cannot be decompressed with the standard library, so the content "
            "cannot be verified"
        )
        return [part]
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


def _plain_part(
    name: str, head: bytes, opener: Opener, size: int | None, lim: _Limits, path: Path | None
) -> _Part:
    """An uncompressed single file, recognised by its magic bytes, then by its name."""
    lower = name.lower()
    plain_size = size if path is not None else None
    if head.startswith(b"\x93NUMPY"):
        return _npy_part(name, head, opener, lim, plain_size)
    if head.startswith(b"GGUF"):
        return _Part(name, "GGUF")
    if head.startswith(_HDF5_MAGIC):
        return _hdf5_part(name, opener, lim, path)
    for magic, fmt in _DATA_MAGIC:
        if head.startswith(magic):
            return _Part(name, f"{fmt} (not a model format)")
    if _safetensors(head, opener, size):
        return _Part(name, "safetensors")
    if _looks_like_pickle(head, name):
        return _pickle_part(name, "pickle", opener, lim, file_size=plain_size)
    if lower.endswith(".onnx") and head[:1] == b"\x08":
        return _Part(name, "ONNX")
    if lower.endswith(".py"):
        part = _Part(name, "Python source", unknown=True)
        part.scan.notes.append(
            f"{name}: Python code runs if the loader imports it (e.g. trust_remote_code)"
        )
        return part
    if lower.endswith((".json", ".txt", ".md", ".yaml", ".yml", ".csv")):
        return _Part(name, "text")
    return _unrecognised(name, opener, lim, plain_size)


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
    lim = _Limits(
        extra=tuple(extra_allowed),
        max_decompressed=max_decompressed_bytes,
        scan_blob=_blob_parts,
    )
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
