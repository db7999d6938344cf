"""Byte streams for the artifact scanner: decompression, archive members, size caps.

Everything a format reader opens goes through an :data:`Opener` (a fresh handle per pass);
errors of the standard library's decompressors become :class:`PickleScanError`, and what
cannot be read within the caps becomes :class:`_UnverifiableError` (both fail closed).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, cast

from langgraph_gates.evidence.artifact_verdict import _Part, _problem_part
from langgraph_gates.evidence.pickle_scan import PickleScanError

Opener = Callable[[], IO[bytes]]
ScanBlob = Callable[[str, Opener, int | None, "_Limits", int], list[_Part]]
"""Scans one file or member: ``(name, opener, size, limits, depth) -> parts``."""
MAX_NESTED_BYTES = 1024 * 2**20
"""Largest forward-only member (of a compressed archive) read into memory to be opened."""


@dataclass
class _Limits:
    """The settings of one scan, and how a file found inside a file is scanned."""

    extra: tuple[str, ...]
    max_decompressed: int
    scan_blob: ScanBlob
    """``artifact_scan._blob_parts``, passed in: archive members and embedded models are
    recognised like any file, and the readers that find them cannot import the dispatcher
    that imports them."""


class _UnverifiableError(Exception):
    """A file or member that cannot be read within the scanner's bounds (fails closed)."""


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


def _closing_member(
    member: IO[bytes], *owners: zipfile.ZipFile | tarfile.TarFile | IO[bytes]
) -> IO[bytes]:
    """Open ``member`` as a stream that also closes its owners.

    ``io.RawIOBase`` has the read, close and context-manager methods the scanners use, but
    typeshed does not declare it an ``IO[bytes]``; the cast says only that.
    """
    return cast(IO[bytes], _ClosingMember(member, *owners))


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


def _read_head(opener: Opener, n: int = 600) -> bytes:
    with opener() as fh:
        return fh.read(n)


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
