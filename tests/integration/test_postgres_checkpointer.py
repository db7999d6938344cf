"""Durable reviews on a real PostgreSQL server that the fixture starts from local binaries.

Without the binaries the tests skip locally with the reason; in CI (``CI=true``) they fail
instead, since .ci/run installs the server.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from langgraph_gates.checkpoint import open_checkpointer
from langgraph_gates.cli import app
from langgraph_gates.durable import open_reviews
from langgraph_gates.errors import ConfigError
from langgraph_gates.state import GATE_IDS, Recommendation

from .pg_server import PgServer
from .small_dossier import write_small_dossier

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres")]


@pytest.fixture
def dossier(tmp_path: Path) -> Path:
    objective = "Flag fraudulent card payments before settlement"
    return write_small_dossier(tmp_path / "case", "pg-model", "3", objective, label="fraud")


def test_pause_edit_resume_override_rerun_history_diff(
    server: PgServer, dossier: Path, tmp_path: Path
) -> None:
    url = server.url()
    with open_reviews(url, cache_dir=tmp_path / "cache") as reviews:
        status = reviews.start(dossier, review_id="pg-1", pause_after=["data_readiness"])
        assert status.next == ("feature_engineering",)
    # A new connection (another process would do the same) sees the pause and its plan.
    with open_reviews(url, cache_dir=tmp_path / "cache") as reviews:
        edit = reviews.edit("pg-1", {"data.labeling_qc": "Double annotation, adjudicated"})
        assert "data_readiness" in edit.rerun_on_resume
        status = reviews.resume("pg-1", approve=True, by="ana")
        assert status.finished and status.run == 1
        assert status.executed[0] == edit.rerun_on_resume[0]

        # No deployment section: the deployment gate fails on the evidence.
        failing = [g for g, v in status.values["gates"].items() if v["status"] == "Fail"]
        assert "deployment_monitoring" in failing
        status = reviews.resume(
            "pg-1", overrides=dict.fromkeys(failing, "Conditional"), by="cto", reason="pilot"
        )
        assert status.executed == ["formatter"]
        assert status.recommendation is not Recommendation.NO_GO

        reviews.edit("pg-1", {"features.transformations": "standard scaling of amounts"})
        rerun = reviews.rerun("pg-1", from_gate="feature_engineering")
        assert rerun.executed == [*GATE_IDS[2:], "formatter"]
        assert rerun.run == 2

        history = reviews.history("pg-1")
        assert [(r.run, r.state) for r in history.runs] == [(1, "finished"), (2, "finished")]
        diff = reviews.diff("pg-1")
        assert [c.path for c in diff.dossier] == ["features.transformations"]
        assert [s.review_id for s in reviews.list_reviews()] == ["pg-1"]
        report = reviews.report("pg-1")
        assert {o.gate for o in report.overrides} == set(failing)


def test_cli_on_postgres_never_prints_the_password(
    server: PgServer, dossier: Path, tmp_path: Path
) -> None:
    url = server.url(password="not-a-real-secret")  # trust auth ignores it
    runner = CliRunner()
    result = runner.invoke(
        app, ["review", str(dossier), "--id", "pg-cli", "--db", url, "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    listed = runner.invoke(app, ["list", "--db", url])
    assert listed.exit_code == 0 and "pg-cli" in listed.stdout
    assert "not-a-real-secret" not in listed.stdout + listed.stderr
    shown = runner.invoke(app, ["show", "pg-cli", "--format", "json"], env={"GATES_DB": url})
    assert json.loads(shown.stdout)["review_id"] == "pg-cli"


def test_concurrent_reviews_on_postgres(server: PgServer, dossier: Path) -> None:
    # A fresh database, so that the workers also race to create the checkpoint tables.
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE concurrent_reviews")
    url = server.url(dbname="concurrent_reviews")
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            with open_reviews(url) as reviews:
                reviews.start(dossier, review_id=f"pg-c{i}")
        except BaseException as exc:  # reported below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with open_reviews(url) as reviews:
        done = {s.review_id for s in reviews.list_reviews() if s.state == "finished"}
    assert {f"pg-c{i}" for i in range(6)} <= done


def test_unreachable_postgres_is_one_clear_error(tmp_path: Path) -> None:
    url = f"postgresql://gates:hunter2@/postgres?host={tmp_path}&port=1"
    with pytest.raises(ConfigError) as info, open_checkpointer(url):
        pass
    assert "cannot open PostgreSQL" in info.value.one_line()
    assert "hunter2" not in info.value.one_line()


def test_large_dossier_is_stored_once_and_deleted_with_its_review(
    server: PgServer, tmp_path: Path
) -> None:
    """Issue 13 on PostgreSQL: before, the list items of a large dossier were stored 14 times
    (the ``gates`` channel, a new version after every gate, repeated the gate result quoting
    them); now once, plus the gate result that quotes them."""
    import psycopg

    from .test_large_dossier import ITEMS, LAST, _dossier

    path, _ = _dossier(tmp_path / "churn")
    url = server.url(dbname="postgres")
    queries = (
        "SELECT blob FROM checkpoint_blobs WHERE thread_id = 'big'",
        "SELECT blob FROM checkpoint_writes WHERE thread_id = 'big'",
        "SELECT value FROM gates_blobs",
    )

    def copies() -> int:
        with psycopg.connect(url) as conn:
            return sum(
                bytes(row[0]).count(LAST.encode())
                for query in queries
                for row in conn.execute(query)
                if row[0] is not None
            )

    with open_reviews(url, cache_dir=tmp_path / "cache") as reviews:
        reviews.start(path, review_id="big", as_of="2026-11-28")
        assert not reviews.rerun("big", from_gate="responsible_ai", by="test").next
        history = list(reviews.graph.get_state_history({"configurable": {"thread_id": "big"}}))
        assert all(
            len(s.values["dossier"]["problem"]["assumptions"]) == ITEMS
            for s in history
            if s.values.get("dossier")
        )
        assert 1 <= copies() <= 2
        reviews.checkpointer.delete_thread("big")
    assert copies() == 0
