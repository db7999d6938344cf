"""Read a root attribute of an HDF5 file out of process, with a timeout and a memory cap.

libhdf5 is C code, and on hostile input it can loop forever (a Keras ``.h5`` with a few
mutated bytes made ``h5py.File(...).attrs`` spin without end) or allocate without bound. The
scanner must neither hang nor crash, so the read runs in a persistent child process
(:mod:`langgraph_gates.evidence._hdf5_child`, started on first use, one per scanning process)
under an address-space cap; an answer that takes longer than the timeout gets the child
killed (a fresh one starts next time) and the file fails closed as unverifiable.

Needs ``h5py`` (the ``artifacts`` extra). Without it :class:`ImportError` is raised, and the
caller fails the file naming the extra.
"""

from __future__ import annotations

import atexit
import base64
import importlib.util
import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["TIMEOUT_S", "Hdf5ReadError", "child_command", "read_root_attr"]

TIMEOUT_S = 20.0
"""Most seconds one file's attribute read may take (a sane file takes milliseconds)."""
_START_TIMEOUT_S = 60.0  # the child imports numpy and h5py once

_lock = threading.Lock()
_child: subprocess.Popen[bytes] | None = None


class Hdf5ReadError(Exception):
    """The HDF5 file cannot be read: libhdf5's error, a timeout, or a crashed reader."""


def _stop() -> None:
    global _child
    child, _child = _child, None
    if child is not None and child.poll() is None:
        child.kill()
        child.wait()


atexit.register(_stop)


def _read_line(child: subprocess.Popen[bytes], timeout: float) -> dict[str, object]:
    assert child.stdout is not None
    fd = child.stdout.fileno()
    buf = b""
    deadline = _now() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - _now()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            _stop()
            msg = f"reading it took longer than {timeout:.0f} s (the reader was stopped)"
            raise Hdf5ReadError(msg)
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            _stop()
            msg = "the HDF5 reader process died on this file"
            raise Hdf5ReadError(msg)
        buf += chunk
    return json.loads(buf)


def _now() -> float:
    import time

    return time.monotonic()


def child_command() -> list[str]:
    """The child's command line: this interpreter running ``_hdf5_child.py`` by path.

    By path, not ``-m``: importing the package would import LangGraph too (seconds).
    """
    return [sys.executable, str(Path(__file__).with_name("_hdf5_child.py"))]


def _ensure_child() -> subprocess.Popen[bytes]:
    global _child
    if _child is not None and _child.poll() is None:
        return _child
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    _child = subprocess.Popen(
        child_command(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    ready = _read_line(_child, _START_TIMEOUT_S)
    if not ready.get("ok"):
        _stop()
        raise ImportError(str(ready.get("error", "h5py cannot be imported")))
    return _child


def _h5py_installed() -> bool:
    try:
        return importlib.util.find_spec("h5py") is not None
    except (ValueError, ImportError):
        return False


def read_root_attr(path: str, attr: str, *, timeout: float | None = None) -> bytes | None:
    """The raw value of a root attribute (``None`` when the file has no such attribute).

    Raises:
        ImportError: h5py is not installed.
        Hdf5ReadError: the file cannot be read, or reading it hangs or crashes the reader.
    """
    if not _h5py_installed():
        msg = "No module named 'h5py'"
        raise ImportError(msg)
    with _lock:
        child = _ensure_child()
        assert child.stdin is not None
        try:
            child.stdin.write(json.dumps({"path": path, "attr": attr}).encode() + b"\n")
            child.stdin.flush()
        except (BrokenPipeError, OSError):
            _stop()
            msg = "the HDF5 reader process is gone"
            raise Hdf5ReadError(msg) from None
        answer = _read_line(child, TIMEOUT_S if timeout is None else timeout)
    if not answer.get("ok"):
        raise Hdf5ReadError(str(answer.get("error", "unreadable")))
    value = answer.get("value")
    return None if value is None else base64.b64decode(str(value))
