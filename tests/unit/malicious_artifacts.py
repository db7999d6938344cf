"""Builders of malicious (and benign) model artifacts, made at test time in a temporary folder.

Every malicious artifact carries a payload that would create ``marker`` if it were ever
loaded, so a test can assert both that the scanner names the callable and that the marker
never appears. Nothing here loads or unpickles anything: ``pickle.dumps`` of an object whose
``__reduce__`` names ``os.system`` only *writes* the reference. Binary artifacts are never
committed; they exist only in ``tmp_path``.
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import runpy
import shlex
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np

__all__ = [
    "MALICIOUS",
    "Asm",
    "getattr_import_chain",
    "hidden_in_joblib_array",
    "joblib_object_array",
    "joblib_with_object",
    "methodcaller_import_module",
    "stack_global_through_memo",
    "torch_zip",
    "write_safetensors",
]


def touch(marker: Path) -> str:
    """The shell command every payload would run."""
    return f"touch {shlex.quote(str(marker))}"


def _create_file_source(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


class _Payload:
    """A payload that would create ``marker``; each subclass's ``__reduce__`` names the call."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker


class System(_Payload):
    """Pickles as ``os.system('touch MARKER')`` (``posix.system`` on Linux)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (touch(self.marker),))


class Popen(_Payload):
    """Pickles as ``subprocess.Popen(['touch', MARKER])``."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (subprocess.Popen, (["touch", str(self.marker)],))


class Exec(_Payload):
    """Pickles as ``builtins.exec("open(MARKER, 'w').close()")``."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (builtins.exec, (_create_file_source(self.marker),))


class Eval(_Payload):
    """Pickles as ``builtins.eval("open(MARKER, 'w').close()")``."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (builtins.eval, (_create_file_source(self.marker),))


class RunCode(_Payload):
    """Pickles as ``runpy._run_code("open(MARKER, 'w').close()", {})``."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (runpy._run_code, (_create_file_source(self.marker), {}))  # type: ignore[attr-defined]


class Asm:
    """A tiny pickle assembler, for streams ``pickle.dumps`` would never write."""

    def __init__(self, protocol: int | None = 4) -> None:
        self.out = io.BytesIO()
        if protocol is not None:
            self.out.write(pickle.PROTO + bytes([protocol]))

    def raw(self, data: bytes) -> Asm:
        self.out.write(data)
        return self

    def text(self, value: str) -> Asm:
        data = value.encode()
        return self.raw(pickle.SHORT_BINUNICODE + bytes([len(data)]) + data)

    def global_(self, module: str, name: str) -> Asm:
        return self.raw(pickle.GLOBAL + f"{module}\n{name}\n".encode())

    def op(self, *codes: bytes) -> Asm:
        for code in codes:
            self.out.write(code)
        return self

    def binget(self, index: int) -> Asm:
        return self.raw(pickle.BINGET + bytes([index]))

    def dtype(self, descr: str) -> Asm:
        """``numpy.dtype(descr)`` as numpy pickles it (reduce, then the state tuple)."""
        self.global_("numpy", "dtype").text(descr).op(pickle.NEWFALSE, pickle.NEWTRUE)
        self.op(pickle.TUPLE3, pickle.REDUCE, pickle.MARK).raw(pickle.BININT1 + b"\x03")
        self.text("|").op(pickle.NONE, pickle.NONE, pickle.NONE)
        self.raw(pickle.BININT + struct.pack("<i", -1) + pickle.BININT + struct.pack("<i", -1))
        return self.raw(pickle.BININT1 + b"\x00").op(pickle.TUPLE, pickle.BUILD)

    def bytes(self) -> bytes:
        return self.out.getvalue()


def methodcaller_import_module(marker: Path) -> bytes:
    """``operator.methodcaller('system', cmd)(importlib.import_module('os'))``.

    Neither ``os`` nor ``system`` is ever imported as a global: only ``operator`` and
    ``importlib`` are (modelscan 0.8.8 misses this chain).
    """
    return (
        Asm(protocol=None)
        .global_("operator", "methodcaller")
        .op(pickle.MARK)
        .raw(b"Vsystem\n" + b"V" + touch(marker).encode() + b"\n")
        .op(pickle.TUPLE, pickle.REDUCE, pickle.MARK)
        .global_("importlib", "import_module")
        .op(pickle.MARK)
        .raw(b"Vos\n")
        .op(pickle.TUPLE, pickle.REDUCE, pickle.TUPLE, pickle.REDUCE, pickle.STOP)
        .bytes()
    )


def getattr_import_chain(marker: Path) -> bytes:
    """``getattr(__import__('os'), 'system')(cmd)`` with protocol-0 text opcodes."""
    return (
        Asm(protocol=None)
        .global_("__builtin__", "getattr")
        .op(pickle.MARK)
        .global_("__builtin__", "__import__")
        .op(pickle.MARK)
        .raw(b"Vos\n")
        .op(pickle.TUPLE, pickle.REDUCE)
        .raw(b"Vsystem\n")
        .op(pickle.TUPLE, pickle.REDUCE, pickle.MARK)
        .raw(b"V" + touch(marker).encode() + b"\n")
        .op(pickle.TUPLE, pickle.REDUCE, pickle.STOP)
        .bytes()
    )


def stack_global_through_memo(marker: Path) -> bytes:
    """``STACK_GLOBAL`` whose module and name come from the memo, after decoy strings."""
    return (
        Asm(protocol=4)
        .text("os")
        .op(pickle.MEMOIZE, pickle.POP)
        .text("system")
        .op(pickle.MEMOIZE, pickle.POP)
        .text("numpy")
        .text("ndarray")
        .op(pickle.POP, pickle.POP)
        .binget(0)
        .binget(1)
        .op(pickle.STACK_GLOBAL)
        .text(touch(marker))
        .op(pickle.TUPLE1, pickle.REDUCE, pickle.STOP)
        .bytes()
    )


def nt_system(marker: Path) -> bytes:
    """``nt.system(cmd)``: what ``os.system`` pickles as on Windows."""
    return (
        Asm(protocol=2)
        .global_("nt", "system")
        .text(touch(marker))
        .op(pickle.TUPLE1, pickle.REDUCE, pickle.STOP)
        .bytes()
    )


MALICIOUS: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "os.system": (lambda m: pickle.dumps(System(m), protocol=4), "posix.system"),
    "os.system protocol 0": (lambda m: pickle.dumps(System(m), protocol=0), "posix.system"),
    "subprocess.Popen": (lambda m: pickle.dumps(Popen(m), protocol=2), "subprocess.Popen"),
    "builtins.exec": (lambda m: pickle.dumps(Exec(m), protocol=5), "builtins.exec"),
    "builtins.eval protocol 1": (lambda m: pickle.dumps(Eval(m), protocol=1), "builtins.eval"),
    "runpy._run_code": (lambda m: pickle.dumps(RunCode(m), protocol=3), "runpy._run_code"),
    "methodcaller + import_module": (methodcaller_import_module, "operator.methodcaller"),
    "getattr chain": (getattr_import_chain, "builtins.getattr"),
    "STACK_GLOBAL through the memo": (stack_global_through_memo, "os.system"),
    "nt.system": (nt_system, "nt.system"),
}
"""name -> (builder of the pickle bytes given the marker path, the callable to be named)."""


def joblib_with_object(path: Path, marker: Path, *, compress: Any = 0) -> Path:
    """A joblib file of real arrays plus a malicious object next to them."""
    joblib.dump({"weights": np.arange(50.0), "hook": System(marker)}, path, compress=compress)
    return path


def joblib_object_array(path: Path, marker: Path, *, compress: Any = 0) -> Path:
    """A malicious object inside an object array (joblib writes it as a nested pickle)."""
    arr = np.array([1, "a", System(marker)], dtype=object)
    joblib.dump({"weights": np.arange(5.0), "objects": arr}, path, compress=compress)
    return path


def hidden_in_joblib_array(path: Path, marker: Path) -> Path:
    """A joblib file whose 'array data' is a pickle payload.

    ``joblib.load`` reads the payload as the bytes of a uint8 array and returns that array;
    ``pickle.load`` reads the same bytes as opcodes and runs ``os.system``.
    """
    payload = (
        pickle.GLOBAL
        + b"posix\nsystem\n"
        + pickle.MARK
        + b"V"
        + touch(marker).encode()
        + b"\n"
        + pickle.TUPLE
        + pickle.REDUCE
        + pickle.POP
    )
    asm = Asm(protocol=4)
    asm.text("joblib.numpy_pickle").text("NumpyArrayWrapper").op(pickle.STACK_GLOBAL)
    asm.op(pickle.EMPTY_TUPLE, pickle.NEWOBJ, pickle.EMPTY_DICT, pickle.MARK)
    asm.text("subclass").global_("numpy", "ndarray")
    asm.text("shape").raw(pickle.BININT1 + bytes([len(payload)])).op(pickle.TUPLE1)
    asm.text("order").text("C")
    asm.text("dtype").dtype("u1")
    asm.text("allow_mmap").op(pickle.NEWFALSE)
    # No 'numpy_array_alignment_bytes' (as joblib <= 1.1 wrote): the data starts right away.
    asm.op(pickle.SETITEMS, pickle.BUILD).raw(payload).op(pickle.STOP)
    path.write_bytes(asm.bytes())
    return path


def _torch_state_dict_pickle() -> bytes:
    """What ``torch.save({'weight': tensor})`` writes as ``data.pkl`` (protocol 2)."""
    asm = Asm(protocol=2)
    asm.global_("collections", "OrderedDict").op(pickle.EMPTY_TUPLE, pickle.REDUCE, pickle.MARK)
    asm.text("weight").global_("torch._utils", "_rebuild_tensor_v2").op(pickle.MARK, pickle.MARK)
    asm.text("storage").global_("torch", "FloatStorage").text("0").text("cpu")
    asm.raw(pickle.BININT1 + b"\x04").op(pickle.TUPLE, pickle.BINPERSID)
    asm.raw(pickle.BININT1 + b"\x00").raw(pickle.BININT1 + b"\x04").op(pickle.TUPLE1)
    asm.raw(pickle.BININT1 + b"\x01").op(pickle.TUPLE1, pickle.NEWFALSE)
    asm.global_("collections", "OrderedDict").op(pickle.EMPTY_TUPLE, pickle.REDUCE)
    asm.op(pickle.TUPLE, pickle.REDUCE, pickle.SETITEMS, pickle.STOP)
    return asm.bytes()


def torch_zip(
    path: Path, *, extra: dict[str, bytes] | None = None, data_pkl: bytes | None = None
) -> Path:
    """A PyTorch-style zip (``torch.save`` layout), optionally with more members."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "archive/data.pkl", data_pkl if data_pkl is not None else _torch_state_dict_pickle()
        )
        zf.writestr("archive/data/0", struct.pack("<4f", 0.1, 0.2, 0.3, 0.4))
        zf.writestr("archive/version", b"3\n")
        zf.writestr("archive/byteorder", b"little")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def write_safetensors(path: Path) -> Path:
    """A minimal valid safetensors file (one float32 tensor of two values)."""
    header = b'{"weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    path.write_bytes(struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0))
    return path
