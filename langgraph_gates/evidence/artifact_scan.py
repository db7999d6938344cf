"""Static inspection of a model artifact: which format it is, and can it run code on load?

The format is recognised from the content (magic bytes), not the file name, then:

* **pickle-based** (plain pickle, joblib, legacy ``torch.save``, numpy ``.npy`` with objects,
  any ``.pkl`` member of a zip such as PyTorch's ``*/data.pkl``): every pickle stream is scanned
  by :mod:`langgraph_gates.evidence.pickle_scan` without loading it;
* **compressed** (joblib's zlib, gzip, bz2, xz, lzma): decompressed with the standard library
  as a stream, under a size cap, and the content is recognised again;
* **archives** (zip, tar): every member is recognised and scanned (a malicious member
  anywhere fails the artifact);
* **non-executable** (safetensors, ONNX, GGUF, numpy arrays without objects, skops):
  loading them does not run code through the format itself. skops archives hold a JSON
  schema and are loaded by skops' own loader, which refuses untrusted types unless told
  otherwise: they are treated as non-executable, and any pickle inside is still scanned;
* anything else is **unknown**: it cannot be said whether it runs code.

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
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, Field

from langgraph_gates.evidence.pickle_scan import (
    PickleScanError,
    Source,
    StreamScan,
    scan_pickle_source,
)

__all__ = ["ArtifactScan", "BlockedImport", "Verdict", "scan_artifact"]

Verdict = Literal["unsafe", "unparseable", "pickle", "unknown", "safe", "too_large"]
Opener = Callable[[], IO[bytes]]

MAX_MEMBERS = 10_000
MAX_FOLDER_FILES = 2_000
MAX_DEPTH = 3
MAX_SAFETENSORS_HEADER = 100 * 2**20
# Names that say "pickle" even without a protocol header (protocols 0 and 1 have none).
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".sav", ".p")
_SHOWN = 50


class BlockedImport(BaseModel):
    """A callable the artifact would import on load that is not on the allowlist."""

    callable: str = Field(description="module.name, e.g. 'os.system'.")
    status: Literal["dangerous", "not_allowed"]
    where: str = Field(description="File or archive member, and byte offset of the opcode.")


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
    return part


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


def _zip_parts(name: str, opener: Opener, lim: _Limits, depth: int) -> list[_Part]:
    parts: list[_Part] = []
    with opener() as raw, zipfile.ZipFile(raw) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        names = {i.filename for i in infos}
        if len(infos) > MAX_MEMBERS:
            bad = _Part(name, "zip archive", unknown=True)
            bad.scan.problems.append(f"{name}: more than {MAX_MEMBERS:,} members")
            return [bad]
        kind = "zip archive"
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            kind = "PyTorch zip"
        elif "schema.json" in names:
            kind = "skops"
        elif infos and all(n.endswith(".npy") for n in names):
            kind = "numpy .npz"
        parts.append(_Part(name, kind))
        for info in infos:
            member = f"{name}!{info.filename}"
            if info.flag_bits & 0x1:
                enc = _Part(member, "encrypted member", unknown=True)
                enc.scan.problems.append(f"{member}: encrypted, cannot be inspected")
                parts.append(enc)
                continue

            def open_member(info: zipfile.ZipInfo = info) -> IO[bytes]:
                # A fresh handle per pass: the archive is reopened, members are streamed.
                outer = opener()
                zf2 = zipfile.ZipFile(outer)
                return _ClosingMember(zf2.open(info), zf2, outer)

            parts += _blob_parts(member, open_member, info.file_size, lim, depth + 1)
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


def _tar_parts(name: str, path: Path, lim: _Limits, depth: int) -> list[_Part]:
    parts = [_Part(name, "tar archive")]
    with tarfile.open(path, mode="r:*") as tf:
        members = [m for m in tf.getmembers()[: MAX_MEMBERS + 1] if m.isfile()]
        if len(members) > MAX_MEMBERS:
            parts[0].scan.problems.append(f"{name}: more than {MAX_MEMBERS:,} members")
            return parts
        for m in members:

            def open_member(m: tarfile.TarInfo = m) -> IO[bytes]:
                tf2 = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed by _ClosingMember
                fh = tf2.extractfile(m)
                assert fh is not None
                return _ClosingMember(fh, tf2)

            parts += _blob_parts(f"{name}!{m.name}", open_member, m.size, lim, depth + 1)
    return parts


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
        part = _Part(name, "nested archive", unknown=True)
        part.scan.notes.append(f"{name}: archives nested more than {MAX_DEPTH} deep not opened")
        return [part]
    head = _read_head(opener)
    lower = name.lower()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_parts(name, opener, lim, depth)
    if _is_tar(head) and path is not None:
        return _tar_parts(name, path, lim, depth)
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
        if _is_tar(inner_head) and path is not None:
            return _tar_parts(name, path, lim, depth)
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
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        part = _Part(name, "HDF5", unknown=True)
        part.scan.notes.append(
            f"{name}: HDF5 (e.g. a Keras .h5 model) may hold Lambda layers with code; not verified"
        )
        return [part]
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


def _summary(path: str, size: int, parts: list[_Part], fmt: str) -> ArtifactScan:
    imports = sorted({g.qualified for p in parts for g in p.scan.imports if g.status == "allowed"})
    blocked: list[BlockedImport] = []
    seen: set[str] = set()
    for p in parts:
        for g in p.scan.blocked:
            key = g.qualified if g.module != "<unresolved>" else f"<unresolved: {g.name}>"
            # Names come from the file: keep them short and printable in reports.
            key = "".join(c if c.isprintable() else "?" for c in key)[:120]
            if key in seen:
                continue
            seen.add(key)
            status: Literal["dangerous", "not_allowed"] = (
                "dangerous" if g.status == "dangerous" else "not_allowed"
            )
            blocked.append(BlockedImport(callable=key, status=status, where=f"{g.stream} @{g.pos}"))
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
    """Inspect an artifact file or folder statically.

    Args:
        path: the artifact (file or folder).
        display: the name to show (the dossier's relative path).
        extra_allowed: policy additions to the pickle allowlist.
        max_bytes: larger artifacts are not scanned (verdict ``too_large``).
        max_decompressed_bytes: cap on bytes produced by decompression (bomb guard).
        max_files: cap on files scanned in a folder artifact.
    """
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
    parts = _file_parts(shown, path, lim)
    fmt = parts[0].format if parts else "empty"
    return _summary(shown, size, parts, fmt)


def _file_parts(name: str, path: Path, lim: _Limits) -> list[_Part]:
    size = path.stat().st_size
    if size == 0:
        part = _Part(name, "empty file", unknown=True)
        part.scan.problems.append(f"{name}: the file is empty")
        return [part]

    def opener() -> IO[bytes]:
        return path.open("rb")

    try:
        return _blob_parts(name, opener, size, lim, 0, path=path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
        part = _Part(name, "corrupt archive", pickle_based=False, unknown=True)
        part.scan.problems.append(f"{name}: cannot be read ({type(exc).__name__}: {exc})")
        return [part]
    except PickleScanError as exc:
        part = _Part(name, "unreadable", unknown=True)
        part.scan.problems.append(f"{name}: {exc}")
        return [part]
