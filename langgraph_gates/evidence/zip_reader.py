"""Read zip members the way PyTorch does: from the local header, whatever the flag bits say.

:mod:`zipfile` refuses members with general-purpose flag bits 5 (compressed patched data) or
6 (strong encryption) (``NotImplementedError``), and a member whose CRC does not match
(``BadZipFile``). PyTorch's reader (miniz) ignores the flag bits and the CRC and reads the bytes
at the member's offset, so a malicious ``data.pkl`` in such an archive still runs when it is
loaded. This reader does the same for the two methods model archives use (stored and deflate):
the central directory gives the offset and sizes, the local header the start of the data.

Needs a seekable archive. A member whose local header is missing or whose data would run past
the end of the archive raises :class:`zipfile.BadZipFile` (the caller fails closed).
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from typing import IO

__all__ = ["LENIENT_METHODS", "open_member"]

LENIENT_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"


class _Slice(io.RawIOBase):
    """A seekable window ``[start, start + size)`` of a seekable file."""

    def __init__(self, fh: IO[bytes], start: int, size: int) -> None:
        self._fh = fh
        self._start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        self._fh.seek(self._start + self._pos)
        data = self._fh.read(want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


class _Inflater(io.RawIOBase):
    """Raw deflate over a bounded window, with bounded output per read."""

    def __init__(self, raw: io.RawIOBase) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        size = len(buffer)
        while not self._pending:
            if self._d.unconsumed_tail:
                self._pending = self._d.decompress(self._d.unconsumed_tail, size)
                continue
            if self._d.eof:
                break
            chunk = self._raw.read(1 << 16)
            if not chunk:
                self._pending = self._d.flush()
                break
            self._pending = self._d.decompress(chunk, size)
        out, self._pending = self._pending[:size], self._pending[size:]
        buffer[: len(out)] = out
        return len(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_member(fh: IO[bytes], info: zipfile.ZipInfo, archive_size: int) -> IO[bytes]:
    """Open one member of a seekable archive ``fh`` (which the returned stream owns).

    Args:
        fh: the archive, seekable; closed when the returned stream is closed.
        info: the member's entry from the central directory.
        archive_size: the archive's size in bytes (a member may not end past it).

    Raises:
        zipfile.BadZipFile: no local header at the member's offset, or the data is cut short.
        NotImplementedError: a compression method other than stored or deflate.
    """
    if info.compress_type not in LENIENT_METHODS:
        msg = f"compression method {info.compress_type} is not read leniently"
        raise NotImplementedError(msg)
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or not header.startswith(_LOCAL_SIGNATURE):
        msg = f"{info.filename}: no local file header at byte {info.header_offset}"
        raise zipfile.BadZipFile(msg)
    fields = _LOCAL_HEADER.unpack(header)
    name_len, extra_len = fields[-2], fields[-1]
    start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    if start + info.compress_size > archive_size:
        msg = f"{info.filename}: the member's data runs past the end of the archive"
        raise zipfile.BadZipFile(msg)
    window = _Slice(fh, start, info.compress_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return io.BufferedReader(window, buffer_size=1 << 16)
    return io.BufferedReader(_Inflater(window), buffer_size=1 << 16)
