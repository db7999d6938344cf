"""A static pickle scanner: which callables would a pickle import and call if it were loaded?

Nothing here loads, unpickles or imports anything a pickle names. The opcode stream is decoded
with the standard library's opcode table (:mod:`pickletools`: the same argument readers as
``pickletools.genops``) and run on a *symbolic* stack: literals are kept (small ones), imports
become :class:`_Global` values, calls (``REDUCE``, ``NEWOBJ``, ``OBJ``, ``INST``) become
:class:`_Instance` values, and ``BUILD`` stores the state. That is enough to

* resolve ``STACK_GLOBAL`` from the strings actually on the stack (also through the memo:
  ``MEMOIZE``/``PUT`` and ``GET``/``BINGET``/``LONG_BINGET``), where reading "the two preceding
  strings" would be fooled by ``DUP``, ``POP`` or memo tricks;
* follow joblib's format, where raw numpy array bytes (or a nested pickle, for object arrays)
  follow the ``BUILD`` of each ``NumpyArrayWrapper``: the payload size comes from the wrapper's
  state (shape, dtype, alignment padding), exactly as ``joblib.load`` reads it.

Unlike ``genops``, large arguments (array bytes in ``BINBYTES8``, huge strings) are skipped
rather than read into memory, so a multi-gigabyte artifact is scanned in bounded memory.

A stream that cannot be decoded (truncated, garbage, stack underflow, unknown memo key) is a
*problem*: the real unpickler would have run every call before the failure point, so such a
stream can never pass.
"""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from langgraph_gates.evidence.pickle_allowlist import judge_global, normalise

__all__ = [
    "EmbeddedModel",
    "ImportedGlobal",
    "PickleScanError",
    "Source",
    "StreamScan",
    "iter_opcodes",
    "scan_pickle_bytes",
    "scan_pickle_source",
]

KEEP_BYTES = 1 << 16
"""Arguments up to this size are decoded and kept on the symbolic stack; larger are skipped."""
MAX_GLOBAL_LINE = 4096
"""Longest module or name line accepted in ``GLOBAL``/``INST``/``PERSID``."""
MAX_CONTAINER_ITEMS = 64
"""Items kept per symbolic tuple or dict (only small metadata needs to be read back)."""
MAX_NESTED_DEPTH = 8
MAX_ITEMS = 2_000_000
"""Most items on the symbolic stack, MARKs open, or memo entries: a bound on memory (a flood
of NONE or MARK opcodes, e.g. from a small gzip bomb, would otherwise grow without end)."""
MAX_OPCODES = 50_000_000
"""Most opcodes run per stream: a bound on time (~100 s). Real models have far fewer: their
arrays are single opcodes; a vocabulary of a million words is a few million."""
_CHECK_EVERY = 4096  # opcodes between the bound checks (a few thousand items of slack)

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
        """Read a line ending in ``\\n``; ``None`` when it is longer than ``cap`` (consumed)."""
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


@dataclass(frozen=True)
class _Global:
    module: str
    name: str
    pos: int


class _Instance:
    """The symbolic result of a call (``REDUCE``, ``NEWOBJ``, ``OBJ``, ``INST``)."""

    __slots__ = ("args", "func", "state")

    def __init__(self, func: Any, args: Any) -> None:
        self.func = func
        self.args = args
        self.state: Any = None


class _Opaque:
    """A value whose content does not matter to the scan (lists, sets, arrays, buffers ...)."""

    __slots__ = ()


OPAQUE = _Opaque()


class _Dict:
    """A symbolic dict keeping its first items (enough for joblib's wrapper state)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[Any, Any]] = []

    def set(self, key: Any, value: Any) -> None:
        for i, (k, _) in enumerate(self.items):
            if type(k) is type(key) and k == key:
                self.items[i] = (key, value)
                return
        if len(self.items) < MAX_CONTAINER_ITEMS:
            self.items.append((key, value))

    def get(self, key: str) -> Any:
        for k, v in self.items:
            if k == key and isinstance(k, str):
                return v
        return None

    def has(self, key: str) -> bool:
        return any(k == key and isinstance(k, str) for k, _ in self.items)


@dataclass(frozen=True)
class ImportedGlobal:
    """One callable a pickle imports, where, and how it is judged."""

    module: str
    name: str
    stream: str
    pos: int
    status: str
    reason: str

    @property
    def qualified(self) -> str:
        """``module.name`` after mapping Python 2 names (``__builtin__`` -> ``builtins``)."""
        module, name = normalise(self.module, self.name)
        return f"{module}.{name}"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model archive embedded in a pickle as bytes (Keras' pickle support).

    ``keras``/``tf_keras`` pickle a model as ``deserialize_model_from_bytecode(<.keras zip>)``,
    which loads the archive with ``safe_mode=False``: the archive must be scanned too.
    """

    stream: str
    pos: int
    data: bytes | None = None
    start: int = -1
    size: int = 0


_KERAS_DESERIALIZERS = frozenset(
    f"{pkg}.saving.pickle_utils.deserialize_model_from_bytecode"
    for pkg in ("keras", "keras.src", "tf_keras", "tf_keras.src", "keras.src.legacy")
)


def _is_keras_deserializer(value: Any) -> bool:
    return isinstance(value, _Global) and f"{value.module}.{value.name}" in _KERAS_DESERIALIZERS


@dataclass
class StreamScan:
    """What scanning one or more pickle streams found."""

    imports: list[ImportedGlobal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    streams: int = 0
    opcodes: int = 0
    arrays: int = 0
    joblib: bool = False
    trailing_bytes: int = 0
    embedded: list[EmbeddedModel] = field(default_factory=list)
    """Model archives passed as bytes to a Keras deserializer (scanned by the caller)."""

    @property
    def blocked(self) -> list[ImportedGlobal]:
        """Imports that are dangerous or not on the allowlist."""
        return [g for g in self.imports if g.status != "allowed"]

    def merge(self, other: StreamScan) -> None:
        """Add another scan's results to this one."""
        self.imports += other.imports
        self.problems += other.problems
        self.notes += other.notes
        self.streams += other.streams
        self.opcodes += other.opcodes
        self.arrays += other.arrays
        self.joblib = self.joblib or other.joblib
        self.trailing_bytes += other.trailing_bytes
        self.embedded += other.embedded


def _decode(op: pickletools.OpcodeInfo, raw: bytes) -> Any:
    assert op.arg is not None
    return op.arg.reader(io.BytesIO(raw))


_WHAT = {
    op.name: (f"{op.name} length", f"{op.name} payload", f"{op.name} argument")
    for op in pickletools.opcodes
}
"""Messages for truncated arguments, built once rather than per opcode."""
_UNPACK = {
    "uint1": lambda b: b[0],
    "uint2": lambda b: int.from_bytes(b, "little"),
    "int4": lambda b: int.from_bytes(b, "little", signed=True),
    "uint4": lambda b: int.from_bytes(b, "little"),
    "uint8": lambda b: int.from_bytes(b, "little"),
    "float8": lambda b: struct.unpack(">d", b)[0],
}
"""Fixed-width arguments decoded as pickletools' readers do, without a BytesIO per opcode."""
_PAYLOAD = {
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


def _class_of(value: Any) -> _Global | None:
    """The class an instance was made from (directly, or through copyreg's reconstructors)."""
    if not isinstance(value, _Instance):
        return None
    func = value.func
    if isinstance(func, _Global):
        module, name = normalise(func.module, func.name)
        if module == "copyreg" and name in ("_reconstructor", "__newobj__", "__newobj_ex__"):
            args = value.args
            if isinstance(args, tuple) and args and isinstance(args[0], _Global):
                return args[0]
            return None
        return func
    return None


def _is_joblib_wrapper(value: Any) -> bool:
    cls = _class_of(value)
    return (
        cls is not None
        and cls.name == "NumpyArrayWrapper"
        and cls.module.split(".")[-1] == "numpy_pickle"
    )


_DTYPE_CODE_SIZES = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "l": 8, "L": 8}


def _dtype_info(dtype: Any, depth: int = 0) -> tuple[int, bool]:
    """Item size and whether a symbolic ``numpy.dtype(...)`` instance holds Python objects."""
    if depth > 8 or not isinstance(dtype, _Instance) or not isinstance(dtype.args, tuple):
        raise PickleScanError("a joblib array has a dtype that cannot be read statically")
    descr = dtype.args[0] if dtype.args else None
    if not isinstance(descr, str) or not descr:
        raise PickleScanError("a joblib array has a dtype that cannot be read statically")
    body = descr.lstrip("<>|=")
    kind = body[:1]
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    has_object = kind == "O"
    subarray = state[2] if len(state) > 2 else None
    if isinstance(subarray, tuple) and subarray:
        has_object = has_object or _dtype_info(subarray[0], depth + 1)[1]
    fields = state[4] if len(state) > 4 else None
    if isinstance(fields, _Dict):
        for _, spec in fields.items:
            if isinstance(spec, tuple) and spec:
                has_object = has_object or _dtype_info(spec[0], depth + 1)[1]
    elsize = state[5] if len(state) > 5 else None
    if isinstance(elsize, int) and not isinstance(elsize, bool) and elsize > 0:
        return elsize, has_object
    digits = body[1:]
    if digits.isdigit():
        return int(digits), has_object
    if body in _DTYPE_CODE_SIZES:
        return _DTYPE_CODE_SIZES[body], has_object
    raise PickleScanError(f"a joblib array has an unknown dtype {descr[:20]!r}")


def _array_count(shape: Any) -> int:
    if not isinstance(shape, tuple):
        raise PickleScanError("a joblib array has a shape that is not a tuple")
    count = 1
    for dim in shape:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim < 0:
            raise PickleScanError("a joblib array has a shape that is not made of integers")
        count *= dim
    return count


class _Machine:
    """Runs one pickle stream symbolically (see the module docstring)."""

    def __init__(
        self,
        src: Source,
        *,
        label: str,
        extra_allowed: tuple[str, ...],
        joblib: bool,
        depth: int = 0,
    ) -> None:
        self.src = src
        self.label = label
        self.extra = extra_allowed
        self.joblib = joblib
        self.depth = depth
        self.stack: list[Any] = []
        self.metastack: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.result = StreamScan(streams=1)

    # -- stack helpers -------------------------------------------------------------------
    def _pop(self, pos: int) -> Any:
        if not self.stack:
            raise PickleScanError("stack underflow", pos)
        return self.stack.pop()

    def _pop_mark(self, pos: int) -> list[Any]:
        if not self.metastack:
            raise PickleScanError("no MARK on the stack", pos)
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _push(self, value: Any) -> None:
        self.stack.append(value)

    def _top(self, pos: int) -> Any:
        if not self.stack:
            raise PickleScanError("stack underflow", pos)
        return self.stack[-1]

    def _record(self, module: str, name: str, pos: int) -> _Global:
        judged = judge_global(module, name, self.extra)
        self.result.imports.append(
            ImportedGlobal(module, name, self.label, pos, judged.status, judged.reason)
        )
        return _Global(module, name, pos)

    def _unresolved(self, why: str, pos: int) -> None:
        self.result.imports.append(
            ImportedGlobal(
                "<unresolved>", why, self.label, pos, "dangerous", "import target hidden"
            )
        )

    # -- the run -------------------------------------------------------------------------
    def run(self) -> StreamScan:
        result, step = self.result, self._step
        for op, arg, pos in iter_opcodes(self.src):
            result.opcodes += 1
            step(op.name, arg, pos)
            if result.opcodes % _CHECK_EVERY == 0:
                self._check_bounds(pos)
        return result

    def _check_bounds(self, pos: int) -> None:
        if self.result.opcodes > MAX_OPCODES:
            raise PickleScanError(f"more than {MAX_OPCODES:,} opcodes (time bound)", pos)
        if max(len(self.stack), len(self.metastack), len(self.memo)) > MAX_ITEMS:
            msg = f"more than {MAX_ITEMS:,} items on the stack or in the memo (memory bound)"
            raise PickleScanError(msg, pos)

    def _step(self, name: str, arg: Any, pos: int) -> None:
        # Not `self.stack.append`: MARK and pop_mark swap the list that `self.stack` names.
        push = self._push
        # The branches are exclusive; the most frequent opcodes come first.
        if name in _PUSH_ARG:
            push(arg if not isinstance(arg, bytearray) else OPAQUE)
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self._top(pos)
        elif name in _MEMO_PUT:
            if not isinstance(arg, int) or arg < 0:
                raise PickleScanError("negative or invalid memo key", pos)
            self.memo[arg] = self._top(pos)
        elif name in _MEMO_GET:
            if not isinstance(arg, int) or arg not in self.memo:
                raise PickleScanError(f"memo key {arg!r} was never stored", pos)
            push(self.memo[arg])
        elif name in _PUSH_CONST:
            push(_PUSH_CONST[name])
        elif name == "EMPTY_DICT":
            push(_Dict())
        elif name in ("EMPTY_LIST", "EMPTY_SET", "NEXT_BUFFER"):
            push(OPAQUE)
        elif name == "MARK":
            self.metastack.append(self.stack)
            self.stack = []
        elif name in ("LIST", "FROZENSET"):
            self._pop_mark(pos)
            push(OPAQUE)
        elif name == "TUPLE":
            items = self._pop_mark(pos)
            push(tuple(items) if len(items) <= MAX_CONTAINER_ITEMS else OPAQUE)
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            if len(self.stack) < n:
                raise PickleScanError("stack underflow", pos)
            items = self.stack[-n:]
            del self.stack[-n:]
            push(tuple(items))
        elif name == "DICT":
            items = self._pop_mark(pos)
            d = _Dict()
            for k, v in zip(items[::2], items[1::2], strict=False):
                d.set(k, v)
            push(d)
        elif name in ("APPEND",):
            self._pop(pos)
            self._top(pos)
        elif name in ("APPENDS", "ADDITEMS"):
            self._pop_mark(pos)
            self._top(pos)
        elif name == "SETITEM":
            value = self._pop(pos)
            key = self._pop(pos)
            target = self._top(pos)
            if isinstance(target, _Dict):
                target.set(key, value)
        elif name == "SETITEMS":
            items = self._pop_mark(pos)
            target = self._top(pos)
            if isinstance(target, _Dict):
                for k, v in zip(items[::2], items[1::2], strict=False):
                    target.set(k, v)
        elif name == "POP":
            if self.stack:
                self.stack.pop()
            else:
                self._pop_mark(pos)
        elif name == "POP_MARK":
            self._pop_mark(pos)
        elif name == "DUP":
            push(self._top(pos))
        elif name in ("GLOBAL", "INST"):
            module, _, gname = str(arg).partition(" ")
            glob = self._record(module, gname, pos)
            if name == "GLOBAL":
                push(glob)
            else:
                items = tuple(self._pop_mark(pos))
                if _is_keras_deserializer(glob):
                    self._embedded_model(items, pos)
                push(_Instance(glob, items))
        elif name == "STACK_GLOBAL":
            gname = self._pop(pos)
            module = self._pop(pos)
            if isinstance(module, str) and isinstance(gname, str):
                push(self._record(module, gname, pos))
            else:
                self._unresolved("STACK_GLOBAL with a computed module or name", pos)
                push(OPAQUE)
        elif name in ("EXT1", "EXT2", "EXT4"):
            self._unresolved(f"extension registry code {arg}", pos)
            push(OPAQUE)
        elif name == "REDUCE":
            args = self._pop(pos)
            func = self._pop(pos)
            if _is_keras_deserializer(func):
                self._embedded_model(args, pos)
            push(_Instance(func, args))
        elif name == "NEWOBJ":
            args = self._pop(pos)
            cls = self._pop(pos)
            push(_Instance(cls, args))
        elif name == "NEWOBJ_EX":
            self._pop(pos)
            args = self._pop(pos)
            cls = self._pop(pos)
            push(_Instance(cls, args))
        elif name == "OBJ":
            items = self._pop_mark(pos)
            if not items:
                raise PickleScanError("OBJ without a class", pos)
            if _is_keras_deserializer(items[0]):
                self._embedded_model(tuple(items[1:]), pos)
            push(_Instance(items[0], tuple(items[1:])))
        elif name == "BUILD":
            state = self._pop(pos)
            inst = self._top(pos)
            if isinstance(inst, _Instance):
                inst.state = state
            if self.joblib and _is_joblib_wrapper(inst):
                self._joblib_payload(inst, pos)
                self.stack[-1] = OPAQUE
        elif name == "PERSID":
            push(OPAQUE)
        elif name == "BINPERSID":
            self._pop(pos)
            push(OPAQUE)
        elif name == "READONLY_BUFFER":
            self._top(pos)
        elif name == "PROTO":
            if not isinstance(arg, int) or arg > pickle.HIGHEST_PROTOCOL:
                raise PickleScanError(f"unsupported pickle protocol {arg}", pos)
        elif name == "STOP":
            self._pop(pos)
        elif name == "FRAME":
            pass
        else:  # pragma: no cover - every opcode of pickletools is handled above
            raise PickleScanError(f"unhandled opcode {name}", pos)

    def _embedded_model(self, args: Any, pos: int) -> None:
        """Note where the model archive handed to a Keras deserializer lies in the stream."""
        payload = args[0] if isinstance(args, tuple) and len(args) == 1 else None
        if isinstance(payload, bytes):
            self.result.embedded.append(EmbeddedModel(self.label, pos, data=payload))
        elif isinstance(payload, _Big) and payload.start >= 0 and "BYTES" in payload.kind:
            self.result.embedded.append(
                EmbeddedModel(self.label, pos, start=payload.start, size=payload.size)
            )
        else:
            # The loader would open whatever this builds with safe_mode=False: unverifiable.
            msg = "a Keras model is deserialized from bytes that cannot be located statically"
            raise PickleScanError(msg, pos)

    def _joblib_payload(self, wrapper: _Instance, pos: int) -> None:
        """Skip (or scan, for object arrays) the array data joblib writes after a wrapper."""
        self.result.joblib = True
        self.result.arrays += 1
        state = wrapper.state
        if not isinstance(state, _Dict):
            raise PickleScanError("a joblib array wrapper without a readable state", pos)
        count = _array_count(state.get("shape"))
        itemsize, has_object = _dtype_info(state.get("dtype"))
        if has_object:
            if self.depth >= MAX_NESTED_DEPTH:
                raise PickleScanError("joblib object arrays nested too deeply", pos)
            # joblib pickles object arrays as a nested stream, loaded by a fresh unpickler.
            nested = _Machine(
                self.src,
                label=f"{self.label} > object array at byte {self.src.pos}",
                extra_allowed=self.extra,
                joblib=False,
                depth=self.depth + 1,
            )
            self.result.merge(nested.run())
            return
        if state.get("numpy_array_alignment_bytes") is not None:
            padding = self.src.read_exact(1, "joblib alignment byte")[0]
            self.src.skip(padding, "joblib alignment padding")
        self.src.skip(count * itemsize, "joblib array data")


def _words(text: str) -> list[str]:
    return text.split()


_PUSH_ARG = frozenset(
    _words(
        "INT BININT BININT1 BININT2 LONG LONG1 LONG4 STRING BINSTRING SHORT_BINSTRING BINBYTES "
        "SHORT_BINBYTES BINBYTES8 BYTEARRAY8 UNICODE SHORT_BINUNICODE BINUNICODE BINUNICODE8 "
        "FLOAT BINFLOAT"
    )
)
_MEMO_PUT = frozenset(("PUT", "BINPUT", "LONG_BINPUT"))
_MEMO_GET = frozenset(("GET", "BINGET", "LONG_BINGET"))
_PUSH_CONST: dict[str, Any] = {
    "NONE": None,
    "NEWTRUE": True,
    "NEWFALSE": False,
    "EMPTY_TUPLE": (),
}


def _looks_like_identifier(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def scan_pickle_source(
    open_source: Callable[[], Source],
    *,
    label: str,
    extra_allowed: Iterable[str] = (),
    max_streams: int = 16,
) -> StreamScan:
    """Scan every pickle stream in a source: the first, then any that follow its STOP.

    ``open_source`` is called once for the main pass and, for joblib files, once more for a
    *plain* pass: ``pickle.load`` on a joblib file would read the array bytes as opcodes, so
    known-dangerous callables hidden there are reported too (array bytes and nested pickles
    decode to harmless nonsense imports, so only those count in that pass). Sources are closed here.

    Trailing streams (legacy ``torch.save`` writes several pickles in a row) are scanned too;
    one that cannot be decoded is reported as trailing data unless it imported something
    that is not allowed before failing.
    """
    extra = tuple(extra_allowed)
    src = open_source()
    try:
        total = _scan_streams(src, label, extra, max_streams)
    finally:
        src.close()
    if total.joblib and not total.problems:
        _plain_pass(open_source, label, extra, total)
    if total.trailing_bytes:
        total.notes.append(f"{total.trailing_bytes:,} bytes after the last pickle were not parsed")
    return total


def _scan_streams(src: Source, label: str, extra: tuple[str, ...], max_streams: int) -> StreamScan:
    total = StreamScan(streams=0)
    first = _Machine(src, label=label, extra_allowed=extra, joblib=True)
    try:
        total.merge(first.run())
    except PickleScanError as exc:
        # Whatever was imported before the failure would have run: keep it.
        total.imports += first.result.imports
        total.problems.append(f"{label}: cannot be parsed as a pickle: {exc}")
        return total
    for index in range(2, max_streams + 1):
        start = src.pos
        peek = src.read(1)
        if not peek:
            break
        src.unread(peek)
        if peek != b"\x80":
            total.trailing_bytes += _drain(src)
            break
        machine = _Machine(
            src, label=f"{label} (pickle #{index})", extra_allowed=extra, joblib=True
        )
        try:
            total.merge(machine.run())
        except PickleScanError:
            # Not a pickle after all (e.g. raw storage bytes of a legacy torch file); keep any
            # import it reached, since an unpickler would have run them before failing.
            total.imports += machine.result.imports
            total.trailing_bytes += (src.pos - start) + _drain(src)
            break
    return total


def _plain_pass(
    open_source: Callable[[], Source], label: str, extra: tuple[str, ...], total: StreamScan
) -> None:
    src = open_source()
    plain = _Machine(
        src, label=f"{label} (read as a plain pickle)", extra_allowed=extra, joblib=False
    )
    try:
        plain.run()
    except PickleScanError:
        pass  # expected: array bytes are not opcodes
    finally:
        src.close()
    seen = {(g.module, g.name) for g in total.imports}
    for g in plain.result.imports:
        if (g.module, g.name) in seen or g.status == "allowed":
            continue
        # Only known-dangerous callables count here: array bytes and nested joblib pickles
        # (object arrays carry their own memo) decode to imports like 'slots.dtype' that a
        # real pickle.load would fail on with an ImportError, not run.
        if (
            g.status == "dangerous"
            and _looks_like_identifier(g.module)
            and _looks_like_identifier(g.name)
        ):
            seen.add((g.module, g.name))
            total.imports.append(g)
            total.notes.append(
                f"{g.module}.{g.name} is reached only when the file is read with pickle.load "
                "instead of joblib.load (hidden in array data)"
            )


def _drain(src: Source) -> int:
    start = src.pos
    while src.read(1 << 20):
        pass
    return src.pos - start


def scan_pickle_bytes(data: bytes, *, extra_allowed: Iterable[str] = ()) -> StreamScan:
    """Scan an in-memory pickle (or joblib) byte string. Convenient for small inputs."""
    return scan_pickle_source(
        lambda: Source(io.BytesIO(data), seekable_size=len(data)),
        label="pickle",
        extra_allowed=extra_allowed,
    )
