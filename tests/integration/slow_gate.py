"""Run ``gates ARGS...`` with the first check of GATE sleeping; MARKER appears when it starts.

Usage: ``python slow_gate.py GATE MARKER ARGS...`` (a script the durable tests start as a real
process, to kill or pause it while it holds a review). The tests start it with
:func:`start_slow_gate`, which returns once the slow gate has started.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import time


def start_slow_gate(
    cwd: pathlib.Path, gate: str, marker: pathlib.Path, *args: str, who: str = "the review"
) -> subprocess.Popen[str]:
    """Start ``gates ARGS`` with GATE slow in its own process; return once GATE has started.

    Fails the test (killing the process) when it ends first or GATE has not started in 60 s.
    """
    import pytest

    proc = subprocess.Popen(
        [sys.executable, __file__, gate, str(marker), *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"{who} ended before {gate} started:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{gate} did not start within 60 s")
        time.sleep(0.05)
    return proc


def _main() -> None:
    from langgraph_gates.cli import main
    from langgraph_gates.gates import GATES_BY_ID

    gate, marker = sys.argv[1], pathlib.Path(sys.argv[2])
    check = GATES_BY_ID[gate].checks[0]
    real = check.fn

    def slow(ctx: object) -> object:
        marker.write_text("started")
        time.sleep(300)
        return real(ctx)

    object.__setattr__(check, "fn", slow)
    sys.argv = ["gates", *sys.argv[3:]]
    main()


if __name__ == "__main__":
    _main()
