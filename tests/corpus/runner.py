"""Running a corpus case through the real CLI, and judging what came out.

A case runs either in-process (Typer's ``CliRunner``: fast, no interpreter start) or as a real
``python -m langgraph_gates`` process. Either way the result carries the exit code, stdout,
stderr and the JSON report, and :func:`problems` lists every way it differs from the case's
expectation (an empty list means the case holds).

In-process runs under pytest would hide one kind of traceback: a check that raises is turned
into an ``error`` finding and logged with ``log.exception``; a real process prints that record
(with its traceback) on stderr, but pytest's log capture swallows it. :func:`run_inprocess`
therefore records every log record that carries exception info and writes its formatted
traceback into the captured stderr, as the real process would.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.corpus.build import REPO_ROOT, Built, Case

__all__ = ["CliRun", "problems", "report_of", "run_inprocess", "run_subprocess"]


@dataclass
class CliRun:
    """What one `gates` invocation produced."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    mode: str
    report: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + "\n" + self.stderr

    @property
    def tracebacks(self) -> int:
        """How many tracebacks were printed."""
        return self.output.count("Traceback (most recent call last)")


class _ExcInfoRecorder(logging.Handler):
    """Keeps the formatted traceback of every log record that carries exception info."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.texts.append(logging.Formatter().format(record))


@contextmanager
def _logged_tracebacks() -> Iterator[_ExcInfoRecorder]:
    handler = _ExcInfoRecorder()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def report_of(out_dir: Path) -> tuple[dict[str, Any] | None, list[Path]]:
    """The JSON report written in ``out_dir`` (if any) and every report file there."""
    files = sorted(p for p in out_dir.rglob("*") if p.is_file()) if out_dir.is_dir() else []
    reports = [p for p in files if p.suffix == ".json"]
    data = json.loads(reports[-1].read_text(encoding="utf-8")) if reports else None
    return data, files


def run_inprocess(
    args: Sequence[str],
    *,
    out_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 180,
) -> CliRun:
    """Run `gates ARGS` in this process with Typer's CliRunner.

    The command runs in a daemon thread: one that blocks (e.g. reading a named pipe) fails the
    case after ``timeout`` seconds instead of hanging the test run.
    """
    from typer.testing import CliRunner

    from langgraph_gates.cli import app

    started = time.perf_counter()
    box: list[Any] = []
    with _logged_tracebacks() as logged:
        worker = threading.Thread(
            target=lambda: box.append(
                CliRunner().invoke(app, list(args), env=dict(env) if env else None)
            ),
            daemon=True,
        )
        worker.start()
        worker.join(timeout)
    if not box:
        return CliRun(
            exit_code=-1,
            stdout="",
            stderr=f"timed out after {timeout:.0f} s (the command blocked)",
            seconds=time.perf_counter() - started,
            mode="in-process",
        )
    result = box[0]
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = result.exception
        stderr += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    stderr += "".join(f"\n{text}\n" for text in logged.texts)
    run = CliRun(
        exit_code=result.exit_code,
        stdout=result.stdout,
        stderr=stderr,
        seconds=time.perf_counter() - started,
        mode="in-process",
    )
    if out_dir is not None:
        run.report, run.files = report_of(out_dir)
    return run


def run_subprocess(
    args: Sequence[str],
    *,
    out_dir: Path | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    preexec_fn: Callable[[], None] | None = None,
    launcher: Sequence[str] = ("-m", "langgraph_gates"),
) -> CliRun:
    """Run `python -m langgraph_gates ARGS` (or ``python LAUNCHER ARGS``) as a real process."""
    full_env = {**os.environ, **(env or {})}
    # The package is installed editable; the repository root also makes `tests` importable.
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), full_env.get("PYTHONPATH", "")) if p
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *launcher, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,
        check=False,
    )
    run = CliRun(
        exit_code=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        seconds=time.perf_counter() - started,
        mode="subprocess",
    )
    if out_dir is not None:
        run.report, run.files = report_of(out_dir)
    return run


def run_case(built: Built, *, subprocess_mode: bool = False) -> CliRun:
    """Run a laid-out case through the CLI."""
    out = built.run_dir / "out"
    if subprocess_mode:
        return run_subprocess(built.argv(), out_dir=out, cwd=built.run_dir)
    return run_inprocess(built.argv(), out_dir=out)


def _findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for g in report.get("gates", []) for f in g.get("findings", [])]


def problems(case: Case, run: CliRun) -> list[str]:
    """Every way ``run`` differs from what ``case`` expects (empty: the case holds)."""
    found: list[str] = []
    if run.tracebacks:
        found.append(f"{run.tracebacks} traceback(s) printed:\n{run.output[-3000:]}")
    if run.exit_code != case.expect.exit:
        found.append(
            f"exit code {run.exit_code}, expected {case.expect.exit}\n"
            f"stdout: {run.stdout[-1500:]}\nstderr: {run.stderr[-1500:]}"
        )
    if case.expect.exit == 2:
        lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
        if len(lines) != 1:
            found.append(f"expected one stderr line, got {len(lines)}: {run.stderr[:1500]!r}")
        missing = [s for s in case.expect.stderr if s not in run.stderr]
        if missing:
            found.append(f"stderr lacks {missing}: {run.stderr[:1500]!r}")
        return found
    if run.report is None:
        found.append("no JSON report was written")
        return found
    findings = _findings(run.report)
    for exp in case.expect.findings:
        same_check = [f for f in findings if f.get("check_id") == exp.check]
        matches = [
            f
            for f in same_check
            if f.get("outcome") == exp.outcome
            and all(s in f.get("message", "") for s in exp.message)
        ]
        if not matches:
            actual = [(f.get("outcome"), f.get("message", "")[:300]) for f in same_check]
            found.append(
                f"{exp.check}: expected {exp.outcome} with {exp.message}, got {actual or 'none'}"
            )
    return found
