"""Run ``gates ARGS...`` with the first check of GATE sleeping; MARKER appears when it starts.

Usage: ``python slow_gate.py GATE MARKER ARGS...`` (a script the durable tests start as a real
process, to kill or pause it while it holds a review).
"""

import pathlib
import sys
import time

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
