"""No secret value leaves a review: not on the console, in a report, a checkpoint or the model.

A dossier folder is seeded at test time with random secrets of five kinds (AWS access key,
RSA private key, GitHub token, password in a database URL, ``api_key = <high-entropy>``), in
the dossier's fields (one as a mapping key), in ``config/`` files under ``security.scan_paths``
and in ``--text``. Full reviews then run through the real CLI (real processes where the console
matters), offline and with the OpenAI-compatible stub model, straight through and with a pause
and resumes; afterwards every place a value could land is searched for every value: stdout,
stderr, each report file, the JSON, the raw bytes of the SQLite database with its ``-wal`` and
``-shm``, the evidence cache folder and the body of every request the stub received.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROVIDER_ENV, clear_provider_env
from tests.corpus.build import AS_OF, run_dir_args
from tests.corpus.leaks import Planted, blobs_under, leaks, seed
from tests.corpus.records import Record, write_record
from tests.corpus.runner import CliRun, report_of, run_inprocess, run_subprocess
from tests.integration.openai_stub import RunningStub

pytestmark = pytest.mark.slow

ENV_NAMES = (*PROVIDER_ENV, "GATES_DB")
MODEL_ARGS = ["--model", "openai:stub", "--timeout", "10", "--max-retries", "1"]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_provider_env(monkeypatch, tmp_path, ENV_NAMES)


def _common(run_dir: Path) -> list[str]:
    # every format a secret could land in
    return run_dir_args(run_dir, "txt,md,json,html,junit,sarif,modelcard")


def _paused_review(planted: Planted, review_id: str, pause_after: str, *args: str) -> list[str]:
    """`gates review` of the seeded dossier and its text, pausing after the gates named."""
    return [
        "review", str(planted.dossier), "--text", planted.text, "--as-of", AS_OF,
        "--id", review_id, "--pause-after", pause_after, *args,
    ]  # fmt: skip


@contextmanager
def _wal_kept(db: Path) -> Iterator[None]:
    """Hold a reader on the database, so that the WAL and shared-memory files outlive the
    review's own connection (SQLite deletes them when its last connection closes) and their
    raw bytes can be searched too."""
    conn = sqlite3.connect(str(db))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        yield
    finally:
        conn.close()


def _places(runs: list[CliRun], run_dir: Path, stub: RunningStub | None) -> dict[str, Any]:
    places: dict[str, Any] = {}
    for i, run in enumerate(runs):
        places[f"stdout of command {i + 1}"] = run.stdout
        places[f"stderr of command {i + 1}"] = run.stderr
    files = blobs_under(run_dir)
    if any(r.exit_code == 0 for r in runs):
        assert any(name.endswith("reviews.sqlite") for name in files), sorted(files)
    places |= files
    if stub is not None:
        for i, req in enumerate(stub.state.requests):
            places[f"request {i + 1} to the model"] = json.dumps(req.body, ensure_ascii=False)
            places[f"request {i + 1} to the model (raw)"] = json.dumps(req.body).encode()
    return places


def _secrets_finding(run_dir: Path) -> dict[str, Any]:
    report, _ = report_of(run_dir / "out")
    assert report is not None, "no JSON report"
    return next(f for g in report["gates"] for f in g["findings"] if f["check_id"] == "SEC.SECRETS")


def _judge(
    name: str,
    planted: Planted,
    runs: list[CliRun],
    run_dir: Path,
    started: float,
    stub: RunningStub | None = None,
) -> None:
    places = _places(runs, run_dir, stub)
    found = leaks(planted, places)
    tracebacks = sum(r.tracebacks for r in runs)
    write_record(
        Record(
            suite="leaks",
            name=name,
            inputs=1,
            tracebacks=tracebacks,
            secrets_leaked=len(found),
            seconds=round(time.perf_counter() - started, 2),
            detail=[f"{len(places)} places searched for {len(planted.values)} values", *found],
        )
    )
    assert found == []
    assert tracebacks == 0, [r.output for r in runs]


def _assert_found_them(run_dir: Path, planted: Planted) -> None:
    """The review saw every planted secret (so the search above searched for real ones)."""
    assert list((run_dir / "cache").glob("*.json")), "the evidence cache was not written"
    finding = _secrets_finding(run_dir)
    assert finding["outcome"] == "fail", finding["message"]
    kinds = {h["type"] for h in finding["measured"]["hits"]}
    assert {"AWS Access Key", "GitHub Token", "Basic Auth Credentials", "Private Key"} <= kinds
    assert "Secret Keyword" in kinds or "Hex High Entropy String" in kinds
    assert finding["measured"]["in_files"] >= 5
    assert finding["measured"]["in_dossier"] >= 5


def test_offline_review_in_a_real_process(offline: None, tmp_path: Path) -> None:
    started = time.perf_counter()
    planted = seed(tmp_path / "dossier")
    run_dir = tmp_path / "run"
    args = ["review", str(planted.dossier), "--text", planted.text, "--as-of", AS_OF]
    run = run_subprocess([*args, *_common(run_dir)], out_dir=run_dir / "out", cwd=tmp_path)
    assert run.exit_code == 0, run.output
    _assert_found_them(run_dir, planted)
    _judge("offline review (process)", planted, [run], run_dir, started)


def test_offline_review_paused_and_resumed(offline: None, tmp_path: Path) -> None:
    started = time.perf_counter()
    planted = seed(tmp_path / "dossier")
    run_dir = tmp_path / "run"
    common = _common(run_dir)
    first = run_inprocess(
        _paused_review(planted, "leak-offline", "problem_framing,security_robustness", *common)
    )
    assert first.exit_code == 0 and "paused after" in first.stdout, first.output
    with _wal_kept(run_dir / "reviews.sqlite"):
        second = run_inprocess(["resume", "leak-offline", "--approve", *common])
        assert "paused after" in second.stdout, second.output
        third = run_inprocess(["resume", "leak-offline", "--approve", *common])
        assert third.exit_code == 0 and "Overall Recommendation" in third.stdout, third.output
        db = ["--db", str(run_dir / "reviews.sqlite")]
        show = run_inprocess(["show", "leak-offline", "--format", "json", *db])
        history = run_inprocess(["history", "leak-offline", *db])
        assert show.exit_code == 0 and history.exit_code == 0, show.output + history.output
        _assert_found_them(run_dir, planted)
        assert (run_dir / "reviews.sqlite-wal").stat().st_size > 0
        _judge(
            "offline review, paused twice and resumed",
            planted,
            [first, second, third, show, history],
            run_dir,
            started,
        )


def test_model_review_paused_and_resumed_in_real_processes(
    stub: RunningStub, tmp_path: Path
) -> None:
    started = time.perf_counter()
    planted = seed(tmp_path / "dossier")
    run_dir = tmp_path / "run"
    common = _common(run_dir)
    env = {"OPENAI_BASE_URL": stub.url, "OPENAI_API_KEY": "sk-stub-not-a-secret"}
    first = run_subprocess(
        _paused_review(planted, "leak-model", "data_readiness", *MODEL_ARGS, *common),
        cwd=tmp_path,
        env=env,
    )
    assert first.exit_code == 0 and "paused after" in first.stdout, first.output
    with _wal_kept(run_dir / "reviews.sqlite"):
        second = run_subprocess(
            ["resume", "leak-model", "--approve", *MODEL_ARGS[:2], *common],
            out_dir=run_dir / "out",
            cwd=tmp_path,
            env=env,
        )
        assert second.exit_code == 0 and "Overall Recommendation" in second.stdout, second.output
        assert len(stub.state.requests) == 8, [r.schema_name for r in stub.state.requests]
        prompts = "\n".join(r.prompt_text for r in stub.state.requests)
        # The model saw the dossier (its name and the redaction markers): it could have leaked.
        assert "leaky-churn" in prompts and "‹redacted:" in prompts
        _assert_found_them(run_dir, planted)
        assert (run_dir / "reviews.sqlite-wal").stat().st_size > 0
        _judge(
            "model review, paused and resumed (processes)",
            planted,
            [first, second],
            run_dir,
            started,
            stub,
        )


def test_free_text_alone_with_the_model(stub: RunningStub, tmp_path: Path) -> None:
    """`--text` only: the text goes to the model for extraction, and into every report."""
    started = time.perf_counter()
    planted = seed(tmp_path / "dossier")
    run_dir = tmp_path / "run"
    run = run_inprocess(
        ["review", "--text", planted.text, "--as-of", AS_OF, *MODEL_ARGS, *_common(run_dir)]
    )
    assert run.exit_code == 0, run.output
    assert stub.state.requests[0].schema_name == "DossierDraft"
    assert "Churn model for B2B accounts" in stub.state.requests[0].prompt_text
    _judge("free text with the model", planted, [run], run_dir, started, stub)


BAD_DOSSIERS = {
    "an enum value": lambda p: {"model": {"task": p.aws_key}},
    "a path that leaves the folder": lambda p: {
        "data": {"train": f"/srv/postgres://svc:{p.url_password}@db/x.csv"}
    },
    "a relative path that climbs out": lambda p: {
        "security": {"requirements": f"../{p.github_token}/requirements.txt"}
    },
    "a field of the wrong type": lambda p: {"deployment": {"slo": {"latency_p95_ms": p.api_key}}},
}


@pytest.mark.parametrize("what", list(BAD_DOSSIERS))
def test_refused_dossiers_do_not_echo_secrets(offline: None, tmp_path: Path, what: str) -> None:
    """Exit 2 names the file and the field; it must not print the secret value it refused."""
    started = time.perf_counter()
    planted = seed(tmp_path / "dossier", with_text=False)
    bad = tmp_path / "dossier" / "bad.yaml"
    bad.write_text(yaml.safe_dump(BAD_DOSSIERS[what](planted)), encoding="utf-8")
    run_dir = tmp_path / "run"
    run = run_inprocess(["review", str(bad), *_common(run_dir)])
    assert run.exit_code == 2, run.output
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.yaml" in lines[0], run.stderr
    _judge(f"refused dossier ({what})", planted, [run], run_dir, started)


def test_the_seeded_values_are_fresh(tmp_path: Path) -> None:
    """Two seedings share no value (the values are random, never fixed in a file)."""
    a = seed(tmp_path / "a").values
    b = seed(tmp_path / "b").values
    assert not set(a.values()) & set(b.values())
    assert os.path.exists(tmp_path / "a" / "config" / "deploy.pem")
