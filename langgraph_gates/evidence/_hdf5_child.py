"""The child process behind :mod:`langgraph_gates.evidence.hdf5_reader` (not imported by it).

Reads one request per line on stdin, ``{"path": ..., "attr": ...}``, and answers one line on
stdout: ``{"ok": true, "value": <base64 or null>}`` or ``{"ok": false, "error": ...}``. Runs
libhdf5 (through h5py) on untrusted files, so it runs under a memory cap and is killed by the
parent when an answer takes too long.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from typing import Any


def _cap_memory() -> None:
    try:
        import resource

        cap = int(os.environ.get("GATES_HDF5_MEMORY_CAP", str(4 * 2**30)))
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):  # not on this platform: the timeout remains
        pass


def _as_bytes(raw: Any) -> bytes | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogatepass")
    if isinstance(raw, bytes):
        return raw
    if hasattr(raw, "tobytes"):
        return bytes(raw.tobytes())
    msg = f"the attribute is a {type(raw).__name__}, not a string"
    raise TypeError(msg)


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    import h5py

    try:
        with h5py.File(request["path"], "r") as f:
            value = _as_bytes(f.attrs.get(request["attr"]))
    except Exception as exc:  # whatever libhdf5 says about a hostile file
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    encoded = None if value is None else base64.b64encode(value).decode("ascii")
    return {"ok": True, "value": encoded}


def main() -> None:
    """Serve requests until stdin closes."""
    _cap_memory()
    try:
        import h5py  # noqa: F401 - imported once, before the first request
    except ImportError as exc:
        sys.stdout.write(json.dumps({"ok": False, "error": f"ImportError: {exc}"}) + "\n")
        sys.stdout.flush()
        return
    sys.stdout.write(json.dumps({"ok": True, "ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        try:
            answer = _answer(json.loads(line))
        except MemoryError:
            answer = {"ok": False, "error": "MemoryError: the file needs more memory than the cap"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
