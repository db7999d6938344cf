"""Reading a pickle's opcode stream without loading it: the byte source and the opcode walker.

The opcodes are decoded with the standard library's table (:mod:`pickletools`: the same
argument readers as ``pickletools.genops``), except that large arguments (array bytes in
``BINBYTES8``, huge strings) are skipped rather than read into memory, so a multi-gigabyte
artifact is walked in bounded memory. What the opcodes *do* is modelled in
:mod:`langgraph_gates.evidence.pickle_scan`.
"""

from __future__ import annotations

import io
import os
import pickletools
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["KEEP_BYTES", "MAX_GLOBAL_LINE", "PickleScanError", "Source", "iter_opcodes"]

KEEP_BYTES = 1 << 16
"""Arguments up to this size are decoded and kept on the symbolic stack; larger are skipped."""
MAX_GLOBAL_LINE = 4096
"""Longest module or name line accepted in ``GLOBAL``/``INST``/``PERSID``."""

_CODE2OP = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
_UP_TO_NEWLINE = pickletools.UP_TO_NEWLINE
_COUNTED = {
    pickletools.TAKEN_FROM_ARGUMENT1: (1, False),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, False),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, False),
}


class PickleScanError(Exception):
    """The stream cannot be decoded the way an unpickler would (carries the byte offset)."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message if pos is None else f"{message} (at byte {pos})")
        self.pos = pos


class Source:
    """A forward-only byte source with bounded line reads, skipping and a read budget.

    Args:
        fh: a binary file object (a regular file, a decompression stream, a zip member).
        limit: the most bytes that may be consumed (a guard against decompression bombs).
        seekable_size: the total size when ``fh`` is a regular file, so skips can ``seek``.
    """

    def __init__(
        self, fh: IO[bytes], *, limit: int | None = None, seekable_size: int | None = None
    ) -> None:
        self._fh = fh
        self._limit = limit
        self._size = seekable_size
        self._pushback = b""
        self.pos = 0

    def close(self) -> None:
        """Close the underlying file object."""
        self._fh.close()

    def _account(self, n: int) -> None:
        self.pos += n
        if self._limit is not None and self.pos > self._limit:
            msg = f"more than {self._limit:,} bytes after decompression (size cap)"
            raise PickleScanError(msg)

    def read(self, n: int) -> bytes:
        """Read up to ``n`` bytes (fewer only at the end of the data)."""
        if not self._pushback:
            # The common case, once per opcode: one read, accounted inline.
            out = self._fh.read(n)
            if len(out) < n and out:
                out += self._read_more(n - len(out))
            self.pos += len(out)
            if self._limit is not None and self.pos > self._limit:
                self.pos -= len(out)
                self._account(len(out))
            return out
        out, self._pushback = self._pushback[:n], self._pushback[n:]
        n -= len(out)
        if n > 0:
            out += self._read_more(n)
        self._account(len(out))
        return out

    def _read_more(self, n: int) -> bytes:
        # Raw streams may return short reads before the end: keep reading until n or EOF.
        out = b""
        while n > 0:
            chunk = self._fh.read(n)
            if not chunk:
                break
            out += chunk
            n -= len(chunk)
        return out

    def read_exact(self, n: int, what: str) -> bytes:
        """Read exactly ``n`` bytes or raise :class:`PickleScanError` (truncated)."""
        start = self.pos
        data = self.read(n)
        if len(data) != n:
            raise PickleScanError(f"truncated: {what} needs {n} bytes, {len(data)} left", start)
        return data

    def unread(self, data: bytes) -> None:
        """Push bytes back (used to peek at what follows a pickle's STOP)."""
        self._pushback = data + self._pushback
        self.pos -= len(data)

    def readline(self, cap: int) -> bytes | None:
        r"""Read a line ending in ``\n``; ``None`` when it is longer than ``cap`` (consumed)."""
        start = self.pos
        line = b""
        if self._pushback:
            idx = self._pushback.find(b"\n")
            cut = idx + 1 if idx >= 0 else len(self._pushback)
            line, self._pushback = self._pushback[:cut], self._pushback[cut:]
            self._account(len(line))
        too_long = False
        while not line.endswith(b"\n"):
            if len(line) > cap:
                # Keep memory bounded: only whether the line ever ends matters from here on.
                too_long, line = True, b""
            more = self._fh.readline(cap + 1)
            if not more:
                raise PickleScanError("truncated: a line argument has no end of line", start)
            self._account(len(more))
            line += more
        return None if too_long or len(line) > cap else line

    def skip(self, n: int, what: str) -> None:
        """Skip ``n`` bytes without keeping them; raise when the data ends first."""
        start = self.pos
        if n <= 0:
            return
        if self._pushback:
            take = min(n, len(self._pushback))
            self._pushback = self._pushback[take:]
            self._account(take)
            n -= take
        if self._size is not None:
            here = self._fh.tell()
            if here + n > self._size:
                raise PickleScanError(f"truncated: {what} needs {n:,} bytes", start)
            self._fh.seek(n, os.SEEK_CUR)
            self._account(n)
            return
        while n > 0:
            chunk = self._fh.read(min(n, 1 << 20))
            if not chunk:
                raise PickleScanError(f"truncated: {what} needs {n:,} more bytes", start)
            self._account(len(chunk))
            n -= len(chunk)


@dataclass(frozen=True)
class _Big:
    """An argument too large to keep (a string or bytes payload that was skipped)."""

    kind: str
    size: int
    start: int = -1
    """Stream offset of the payload (after its length prefix), or -1 when unknown."""


def _decode(op: pickletools.OpcodeInfo, raw: bytes) -> Any:
    assert op.arg is not None
    return op.arg.reader(io.BytesIO(raw))


_WHAT = {
    op.name: (f"{op.name} length", f"{op.name} payload", f"{op.name} argument")
    for op in pickletools.opcodes
}
"""Messages for truncated arguments, built once rather than per opcode."""
_UNPACK: dict[str, Callable[[bytes], int | float]] = {
    "uint1": lambda b: b[0],
    "uint2": lambda b: int.from_bytes(b, "little"),
    "int4": lambda b: int.from_bytes(b, "little", signed=True),
    "uint4": lambda b: int.from_bytes(b, "little"),
    "uint8": lambda b: int.from_bytes(b, "little"),
    "float8": lambda b: struct.unpack(">d", b)[0],
}
"""Fixed-width arguments decoded as pickletools' readers do, without a BytesIO per opcode."""
_PAYLOAD: dict[str, Callable[[bytes], bytes | bytearray | str]] = {
    "bytes1": bytes,
    "bytes4": bytes,
    "bytes8": bytes,
    "bytearray8": bytearray,
    "unicodestring1": lambda b: str(b, "utf-8", "surrogatepass"),
    "unicodestring4": lambda b: str(b, "utf-8", "surrogatepass"),
    "unicodestring8": lambda b: str(b, "utf-8", "surrogatepass"),
    "string1": lambda b: b.decode("latin-1"),
    "string4": lambda b: b.decode("latin-1"),
}
"""Counted arguments: the payload decoded as pickletools' readers do."""


def iter_opcodes(src: Source) -> Iterator[tuple[pickletools.OpcodeInfo, Any, int]]:
    """Yield ``(opcode, argument, position)`` like :func:`pickletools.genops`, up to STOP.

    Large counted arguments are skipped and given as a ``_Big`` placeholder; so are overlong
    data lines. Raises :class:`PickleScanError` on an unknown opcode or truncated data.
    """
    frame_end: int | None = None
    read = src.read
    while True:
        pos = src.pos
        if frame_end is not None and pos >= frame_end:
            frame_end = None
        code = read(1)
        if not code:
            raise PickleScanError("truncated: the data ends before the STOP opcode", pos)
        op = _CODE2OP.get(code)
        if op is None:
            raise PickleScanError(f"not a pickle opcode: {code!r}", pos)
        arg: Any = None
        desc = op.arg
        if desc is not None:
            try:
                arg = _read_arg(src, op, desc.n, pos)
            except (ValueError, UnicodeDecodeError, OverflowError) as exc:
                raise PickleScanError(f"bad argument of {op.name}: {exc}", pos) from None
        if op.name == "FRAME":
            frame_end = _open_frame(frame_end, arg, pos, src.pos)
        elif frame_end is not None and src.pos > frame_end:
            # The unpickler reads opcodes from the frame's buffer and then from the file, so an
            # opcode whose argument straddles the frame's end is read differently by the two
            # (cpython#154848): what looks like one byte string here can hide calls there.
            msg = f"{op.name} crosses the end of its FRAME (byte {frame_end}): framing is forged"
            raise PickleScanError(msg, pos)
        yield op, arg, pos
        if op.name == "STOP":
            return


def _open_frame(current_end: int | None, length: Any, pos: int, after: int) -> int:
    """The end of a frame opened at ``pos``; a frame inside an unfinished one is forged."""
    if current_end is not None:
        raise PickleScanError("a FRAME opens inside another frame: framing is forged", pos)
    if not isinstance(length, int) or length < 0:
        raise PickleScanError("a FRAME has an invalid length", pos)
    return after + length


def _read_arg(src: Source, op: pickletools.OpcodeInfo, n: int, pos: int) -> Any:
    if n == _UP_TO_NEWLINE:
        cap = MAX_GLOBAL_LINE if op.name in ("GLOBAL", "INST", "PERSID") else KEEP_BYTES
        # GLOBAL and INST take two lines (module, then name); the others one.
        lines = 2 if op.arg is not None and op.arg.name == "stringnl_noescape_pair" else 1
        raw = b""
        for _ in range(lines):
            line = src.readline(cap)
            if line is None:
                if cap == MAX_GLOBAL_LINE:
                    raise PickleScanError(f"{op.name} line longer than {cap} bytes", pos)
                return _Big(op.name, -1)
            raw += line
        return _decode(op, raw)
    if n in _COUNTED:
        width, signed = _COUNTED[n]
        prefix = src.read_exact(width, _WHAT[op.name][0])
        length = int.from_bytes(prefix, "little", signed=signed)
        if length < 0:
            raise PickleScanError(f"{op.name} has a negative length", pos)
        if length > KEEP_BYTES:
            start = src.pos
            src.skip(length, _WHAT[op.name][1])
            return _Big(op.name, length, start)
        payload = src.read_exact(length, _WHAT[op.name][1])
        fast = _PAYLOAD.get(op.arg.name) if op.arg is not None else None
        return fast(payload) if fast is not None else _decode(op, prefix + payload)
    raw = src.read_exact(n, _WHAT[op.name][2])
    unpack = _UNPACK.get(op.arg.name) if op.arg is not None else None
    return unpack(raw) if unpack is not None else _decode(op, raw)
