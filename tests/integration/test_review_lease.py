"""One writer per review: a second process is refused while the first drives the review.

Each test starts a real ``gates resume`` process whose next gate is made slow (its first check
sleeps; nodes read no environment variable for this), then runs ``gates resume | rerun | edit``
as second real processes (``python -m langgraph_gates``) against the same review, on SQLite and
on the PostgreSQL server the fixture starts. A killed holder must not block the review: on
SQLite a holder that no longer runs on this host is passed over, and one that stops renewing
its lease (a frozen process here, another host in real life) loses it after the time to live;
on PostgreSQL the server drops the advisory lock with the killed process's connection.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langgraph_gates.cli import app
from langgraph_gates.durable import open_reviews
from langgraph_gates.errors import ReviewStateError
from langgraph_gates.state import GATE_IDS

from .pg_server import PgServer
from .slow_gate import start_slow_gate
from .small_dossier import write_small_dossier

REFUSED = "the review is in progress in another process"


@pytest.fixture
def dossier(tmp_path: Path) -> Path:
    objective = "Route incoming invoices to the right approver"
    return write_small_dossier(tmp_path / "case", "lease-model", "1", objective, label="approver")


def paused_review(db: str, dossier: Path, out: Path) -> None:
    """A review paused after the first gate, so `resume` runs the second one next."""
    result = CliRunner().invoke(
        app,
        ["review", str(dossier), "--id", "L", "--db", db, "--pause-after", GATE_IDS[0],
         "--no-progress", "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, (result.stdout, result.stderr)


@contextlib.contextmanager
def holding(
    tmp_path: Path, dossier: Path, ttl: float, db: str | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Review L paused after the first gate on ``db`` (a fresh SQLite file by default), and
    `gates resume L` in its own process, stopped inside the second gate (holding the lease).

    Yields the database and the holder; the holder is killed on exit.
    """
    db = db or str(tmp_path / "db" / "reviews.sqlite")
    paused_review(db, dossier, tmp_path / "out")
    holder = start_slow_gate(
        tmp_path, GATE_IDS[1], tmp_path / "holder.started",
        "resume", "L", "--db", db, "--lease-ttl", str(ttl), "--no-progress",
        "-o", str(tmp_path / "holder-out"), who="the holder",
    )  # fmt: skip
    try:
        yield db, holder
    finally:
        stop(holder)


def gates(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m langgraph_gates ARGS` as a second, separate process."""
    return subprocess.run(
        [sys.executable, "-m", "langgraph_gates", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def assert_refused(tmp_path: Path, holder: int, *args: str) -> None:
    """`gates ARGS` is refused in one line naming the holder's pid."""
    result = gates(tmp_path, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert lines[0].startswith("error [review_state_error]: L: " + REFUSED), lines[0]
    assert f"pid {holder}@" in lines[0]


def resume_until_done(tmp_path: Path, db: str, within_s: float = 60) -> str:
    """Resume until the review is no longer refused (a generous bound, not a timing claim)."""
    deadline = time.monotonic() + within_s
    while True:
        result = gates(tmp_path, "resume", "L", "--db", db, "--no-progress",
                       "-o", str(tmp_path / "out2"))  # fmt: skip
        if result.returncode == 0 or REFUSED not in result.stderr:
            assert result.returncode == 0, (result.stdout, result.stderr)
            return result.stdout
        assert time.monotonic() < deadline, result.stderr
        time.sleep(0.5)


def assert_finishes(tmp_path: Path, db: str, within_s: float = 60) -> dict[str, Any]:
    """Resume until done: the report is printed and every gate completed; the state's values."""
    out = resume_until_done(tmp_path, db, within_s)
    assert "Overall Recommendation" in out
    with open_reviews(db) as reviews:
        status = reviews.status("L")
        assert status.finished and status.completed_gates == list(GATE_IDS)
        return status.values


def stop(proc: subprocess.Popen[str], sig: signal.Signals = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        if sig == signal.SIGKILL:
            proc.wait(timeout=30)


@pytest.mark.slow
def test_sqlite_second_writer_refused_and_killed_holder_frees_the_review(
    tmp_path: Path, dossier: Path
) -> None:
    with holding(tmp_path, dossier, ttl=30) as (db, holder):
        began = time.monotonic()
        assert_refused(tmp_path, holder.pid, "resume", "L", "--db", db, "--no-progress")
        assert time.monotonic() - began < 60  # refused at once, not after waiting the lease out
        assert_refused(tmp_path, holder.pid, "rerun", "L", "--from", GATE_IDS[0], "--db", db)
        assert_refused(tmp_path, holder.pid, "edit", "L", "--set", "data.label=other", "--db", db)
        stop(holder)
    # The lease's time to live is 30 s, but its holder is gone: the review goes on at once.
    values = assert_finishes(tmp_path, db, within_s=25)
    assert len([a for a in values["audit"] if a["action"] == "edit"]) == 0


@pytest.mark.slow
def test_sqlite_lease_of_a_holder_that_stops_renewing_expires(
    tmp_path: Path, dossier: Path
) -> None:
    with holding(tmp_path, dossier, ttl=1.0) as (db, holder):
        time.sleep(2.5)  # past the time to live: only the heartbeat keeps the lease
        assert_refused(tmp_path, holder.pid, "resume", "L", "--db", db, "--no-progress")
        # A frozen holder stops renewing, as one on another host that died would.
        os.kill(holder.pid, signal.SIGSTOP)
        out = resume_until_done(tmp_path, db)
        assert "Overall Recommendation" in out
    with pytest.raises(ProcessLookupError):  # killed on leaving `holding`, though stopped
        os.kill(holder.pid, signal.SIGCONT)


def test_one_writer_per_review_in_one_process(tmp_path: Path, dossier: Path) -> None:
    """Two handles on one database: the second start of a review being started is refused."""
    db = str(tmp_path / "reviews.sqlite")
    with open_reviews(db) as first, open_reviews(db) as second:
        seen: list[str] = []

        def on_progress(event: dict[str, object]) -> None:
            if event.get("event") == "review_submitted" and not seen:
                with pytest.raises(ReviewStateError, match=f"{REFUSED} \\(pid {os.getpid()}@"):
                    second.start(dossier, review_id="same")
                seen.append("refused")

        first.start(dossier, review_id="same", on_progress=on_progress)
        assert seen == ["refused"]
        with pytest.raises(ReviewStateError, match="a review with this id exists"):
            second.start(dossier, review_id="same")  # the lease is free again; the id is not


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_second_writer_refused_and_killed_holder_frees_the_review(
    server: PgServer, tmp_path: Path, dossier: Path
) -> None:
    with holding(tmp_path, dossier, ttl=30, db=server.url()) as (db, holder):
        assert_refused(tmp_path, holder.pid, "resume", "L", "--db", db, "--no-progress")
        assert_refused(tmp_path, holder.pid, "edit", "L", "--set", "data.label=other", "--db", db)
    # The server ends the killed holder's session and with it the advisory lock.
    assert_finishes(tmp_path, db)


def test_one_writer_per_review_on_a_shared_in_memory_saver(dossier: Path) -> None:
    """Two Reviews on one in-memory checkpointer share its leases (nothing else can see it)."""
    from langgraph_gates.checkpoint import open_checkpointer
    from langgraph_gates.durable import Reviews

    with open_checkpointer(":memory:") as saver:
        first, second = Reviews(saver), Reviews(saver)
        refusals: list[str] = []

        def on_progress(event: dict[str, object]) -> None:
            if event.get("event") == "review_submitted":
                with pytest.raises(ReviewStateError, match=REFUSED) as caught:
                    second.edit("m", {"data.label": "other"})
                refusals.append(str(caught.value))

        first.start(dossier, review_id="m", on_progress=on_progress)
        assert len(refusals) == 1
        assert second.edit("m", {"data.label": "other"}, by="ana").changes  # free again
