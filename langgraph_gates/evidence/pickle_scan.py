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

The byte source and opcode walker are in :mod:`~langgraph_gates.evidence.pickle_opcodes`, the
value model and joblib metadata in :mod:`~langgraph_gates.evidence.pickle_values`; this module
runs the machine and the passes over a file.
"""

from __future__ import annotations

import io
import pickle
import pickletools
from collections.abc import Callable, Iterable
from typing import Any

from langgraph_gates.evidence.pickle_allowlist import judge_global
from langgraph_gates.evidence.pickle_opcodes import PickleScanError, Source, _Big, iter_opcodes
from langgraph_gates.evidence.pickle_values import (
    MAX_CONTAINER_ITEMS,
    OPAQUE,
    EmbeddedModel,
    ImportedGlobal,
    StreamScan,
    _array_count,
    _Dict,
    _dtype_info,
    _Global,
    _Instance,
    _is_joblib_wrapper,
    _is_keras_deserializer,
)

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

MAX_NESTED_DEPTH = 8
MAX_ITEMS = 2_000_000
"""Most items on the symbolic stack, MARKs open, or memo entries: a bound on memory (a flood
of NONE or MARK opcodes, e.g. from a small gzip bomb, would otherwise grow without end)."""
MAX_OPCODES = 50_000_000
"""Most opcodes run per stream: a bound on time (~100 s). Real models have far fewer: their
arrays are single opcodes; a vocabulary of a million words is a few million."""
_CHECK_EVERY = 4096  # opcodes between the bound checks (a few thousand items of slack)


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
        """Run the stream up to its STOP; raise :class:`PickleScanError` where it breaks."""
        result, handlers = self.result, _HANDLERS
        for op, arg, pos in iter_opcodes(self.src):
            result.opcodes += 1
            # One dict lookup per opcode instead of an if-chain that reached late opcodes
            # (BUILD, REDUCE, SETITEMS) only after a dozen tests.
            handlers[op.name](self, arg, pos)
            if result.opcodes % _CHECK_EVERY == 0:
                self._check_bounds(pos)
        return result

    def _check_bounds(self, pos: int) -> None:
        if self.result.opcodes > MAX_OPCODES:
            raise PickleScanError(f"more than {MAX_OPCODES:,} opcodes (time bound)", pos)
        if max(len(self.stack), len(self.metastack), len(self.memo)) > MAX_ITEMS:
            msg = f"more than {MAX_ITEMS:,} items on the stack or in the memo (memory bound)"
            raise PickleScanError(msg, pos)

    # -- opcode handlers, by family (the table is _HANDLERS, after the class) -------------
    # Each takes (arg, pos). They say `self.stack.append`, never a bound `append` kept
    # across opcodes: MARK and _pop_mark swap the list that `self.stack` names.

    # literals and constants
    def _op_push_arg(self, arg: Any, pos: int) -> None:
        self.stack.append(arg if not isinstance(arg, bytearray) else OPAQUE)

    def _op_none(self, arg: Any, pos: int) -> None:
        self.stack.append(None)

    def _op_true(self, arg: Any, pos: int) -> None:
        self.stack.append(True)

    def _op_false(self, arg: Any, pos: int) -> None:
        self.stack.append(False)

    def _op_empty_tuple(self, arg: Any, pos: int) -> None:
        self.stack.append(())

    def _op_opaque(self, arg: Any, pos: int) -> None:
        self.stack.append(OPAQUE)

    # the memo
    def _op_memoize(self, arg: Any, pos: int) -> None:
        self.memo[len(self.memo)] = self._top(pos)

    def _op_put(self, arg: Any, pos: int) -> None:
        if not isinstance(arg, int) or arg < 0:
            raise PickleScanError("negative or invalid memo key", pos)
        self.memo[arg] = self._top(pos)

    def _op_get(self, arg: Any, pos: int) -> None:
        if not isinstance(arg, int) or arg not in self.memo:
            raise PickleScanError(f"memo key {arg!r} was never stored", pos)
        self.stack.append(self.memo[arg])

    # marks and stack shuffling
    def _op_mark(self, arg: Any, pos: int) -> None:
        self.metastack.append(self.stack)
        self.stack = []

    def _op_pop(self, arg: Any, pos: int) -> None:
        if self.stack:
            self.stack.pop()
        else:
            self._pop_mark(pos)

    def _op_pop_mark(self, arg: Any, pos: int) -> None:
        self._pop_mark(pos)

    def _op_dup(self, arg: Any, pos: int) -> None:
        self.stack.append(self._top(pos))

    # containers
    def _op_empty_dict(self, arg: Any, pos: int) -> None:
        self.stack.append(_Dict())

    def _op_marked_opaque(self, arg: Any, pos: int) -> None:
        self._pop_mark(pos)
        self.stack.append(OPAQUE)

    def _op_tuple(self, arg: Any, pos: int) -> None:
        items = self._pop_mark(pos)
        self.stack.append(tuple(items) if len(items) <= MAX_CONTAINER_ITEMS else OPAQUE)

    def _tuple_n(self, n: int, pos: int) -> None:
        if len(self.stack) < n:
            raise PickleScanError("stack underflow", pos)
        items = self.stack[-n:]
        del self.stack[-n:]
        self.stack.append(tuple(items))

    def _op_tuple1(self, arg: Any, pos: int) -> None:
        self._tuple_n(1, pos)

    def _op_tuple2(self, arg: Any, pos: int) -> None:
        self._tuple_n(2, pos)

    def _op_tuple3(self, arg: Any, pos: int) -> None:
        self._tuple_n(3, pos)

    def _op_dict(self, arg: Any, pos: int) -> None:
        items = self._pop_mark(pos)
        d = _Dict()
        for k, v in zip(items[::2], items[1::2], strict=False):
            d.set(k, v)
        self.stack.append(d)

    def _op_append(self, arg: Any, pos: int) -> None:
        self._pop(pos)
        self._top(pos)

    def _op_appends(self, arg: Any, pos: int) -> None:
        self._pop_mark(pos)
        self._top(pos)

    def _op_setitem(self, arg: Any, pos: int) -> None:
        value = self._pop(pos)
        key = self._pop(pos)
        target = self._top(pos)
        if isinstance(target, _Dict):
            target.set(key, value)

    def _op_setitems(self, arg: Any, pos: int) -> None:
        items = self._pop_mark(pos)
        target = self._top(pos)
        if isinstance(target, _Dict):
            for k, v in zip(items[::2], items[1::2], strict=False):
                target.set(k, v)

    # imports
    def _op_global(self, arg: Any, pos: int) -> None:
        module, _, gname = str(arg).partition(" ")
        self.stack.append(self._record(module, gname, pos))

    def _op_stack_global(self, arg: Any, pos: int) -> None:
        gname = self._pop(pos)
        module = self._pop(pos)
        if isinstance(module, str) and isinstance(gname, str):
            self.stack.append(self._record(module, gname, pos))
        else:
            self._unresolved("STACK_GLOBAL with a computed module or name", pos)
            self.stack.append(OPAQUE)

    def _op_ext(self, arg: Any, pos: int) -> None:
        self._unresolved(f"extension registry code {arg}", pos)
        self.stack.append(OPAQUE)

    # calls and object building
    def _op_inst(self, arg: Any, pos: int) -> None:
        module, _, gname = str(arg).partition(" ")
        glob = self._record(module, gname, pos)
        items = tuple(self._pop_mark(pos))
        if _is_keras_deserializer(glob):
            self._embedded_model(items, pos)
        self.stack.append(_Instance(glob, items))

    def _op_reduce(self, arg: Any, pos: int) -> None:
        args = self._pop(pos)
        func = self._pop(pos)
        if _is_keras_deserializer(func):
            self._embedded_model(args, pos)
        self.stack.append(_Instance(func, args))

    def _op_newobj(self, arg: Any, pos: int) -> None:
        args = self._pop(pos)
        cls = self._pop(pos)
        self.stack.append(_Instance(cls, args))

    def _op_newobj_ex(self, arg: Any, pos: int) -> None:
        self._pop(pos)  # the kwargs: the class and args below are what is judged
        self._op_newobj(arg, pos)

    def _op_obj(self, arg: Any, pos: int) -> None:
        items = self._pop_mark(pos)
        if not items:
            raise PickleScanError("OBJ without a class", pos)
        if _is_keras_deserializer(items[0]):
            self._embedded_model(tuple(items[1:]), pos)
        self.stack.append(_Instance(items[0], tuple(items[1:])))

    def _op_build(self, arg: Any, pos: int) -> None:
        state = self._pop(pos)
        inst = self._top(pos)
        if isinstance(inst, _Instance):
            inst.state = state
        if self.joblib and _is_joblib_wrapper(inst):
            self._joblib_payload(inst, pos)
            self.stack[-1] = OPAQUE

    # persistent ids, buffers, protocol and framing
    def _op_binpersid(self, arg: Any, pos: int) -> None:
        self._pop(pos)
        self.stack.append(OPAQUE)

    def _op_readonly_buffer(self, arg: Any, pos: int) -> None:
        self._top(pos)

    def _op_proto(self, arg: Any, pos: int) -> None:
        if not isinstance(arg, int) or arg > pickle.HIGHEST_PROTOCOL:
            raise PickleScanError(f"unsupported pickle protocol {arg}", pos)

    def _op_stop(self, arg: Any, pos: int) -> None:
        self._pop(pos)

    def _op_frame(self, arg: Any, pos: int) -> None:
        pass  # iter_opcodes checks the framing; nothing is pushed

    # -- joblib arrays and Keras models ----------------------------------------------------
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


_Handler = Callable[[_Machine, Any, int], None]
_FAMILIES: dict[_Handler, list[str]] = {
    _Machine._op_push_arg: _words(
        "INT BININT BININT1 BININT2 LONG LONG1 LONG4 STRING BINSTRING SHORT_BINSTRING BINBYTES "
        "SHORT_BINBYTES BINBYTES8 BYTEARRAY8 UNICODE SHORT_BINUNICODE BINUNICODE BINUNICODE8 "
        "FLOAT BINFLOAT"
    ),
    _Machine._op_none: ["NONE"],
    _Machine._op_true: ["NEWTRUE"],
    _Machine._op_false: ["NEWFALSE"],
    _Machine._op_empty_tuple: ["EMPTY_TUPLE"],
    _Machine._op_opaque: _words("EMPTY_LIST EMPTY_SET NEXT_BUFFER PERSID"),
    _Machine._op_memoize: ["MEMOIZE"],
    _Machine._op_put: _words("PUT BINPUT LONG_BINPUT"),
    _Machine._op_get: _words("GET BINGET LONG_BINGET"),
    _Machine._op_mark: ["MARK"],
    _Machine._op_pop: ["POP"],
    _Machine._op_pop_mark: ["POP_MARK"],
    _Machine._op_dup: ["DUP"],
    _Machine._op_empty_dict: ["EMPTY_DICT"],
    _Machine._op_marked_opaque: _words("LIST FROZENSET"),
    _Machine._op_tuple: ["TUPLE"],
    _Machine._op_tuple1: ["TUPLE1"],
    _Machine._op_tuple2: ["TUPLE2"],
    _Machine._op_tuple3: ["TUPLE3"],
    _Machine._op_dict: ["DICT"],
    _Machine._op_append: ["APPEND"],
    _Machine._op_appends: _words("APPENDS ADDITEMS"),
    _Machine._op_setitem: ["SETITEM"],
    _Machine._op_setitems: ["SETITEMS"],
    _Machine._op_global: ["GLOBAL"],
    _Machine._op_stack_global: ["STACK_GLOBAL"],
    _Machine._op_ext: _words("EXT1 EXT2 EXT4"),
    _Machine._op_inst: ["INST"],
    _Machine._op_reduce: ["REDUCE"],
    _Machine._op_newobj: ["NEWOBJ"],
    _Machine._op_newobj_ex: ["NEWOBJ_EX"],
    _Machine._op_obj: ["OBJ"],
    _Machine._op_build: ["BUILD"],
    _Machine._op_binpersid: ["BINPERSID"],
    _Machine._op_readonly_buffer: ["READONLY_BUFFER"],
    _Machine._op_proto: ["PROTO"],
    _Machine._op_stop: ["STOP"],
    _Machine._op_frame: ["FRAME"],
}
_HANDLERS: dict[str, _Handler] = {
    name: handler for handler, names in _FAMILIES.items() for name in names
}
"""Opcode name -> handler: every opcode of :mod:`pickletools` has exactly one."""


def _check_table() -> None:
    # Checked once at import: a missing opcode would be a KeyError mid-scan, a stray name a typo.
    known = {op.name for op in pickletools.opcodes}
    if set(_HANDLERS) != known or sum(map(len, _FAMILIES.values())) != len(_HANDLERS):
        raise RuntimeError(f"pickle opcode table mismatch: {sorted(set(_HANDLERS) ^ known)}")


_check_table()


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
