"""A large dossier is redacted once and stored once per database, not once per checkpoint.

Issue 13: a 5 MB dossier of list items took minutes because redaction ran three times (input,
dispatcher, SEC.SECRETS) and every SQLite checkpoint held the whole dossier. These tests count
what is done and stored, never time: the secrets scanner's passes over the dossier (a spy on
``_scan_strings``) and the copies of a list item in the raw bytes of the SQLite database (as
the leak tests search it for secrets). Small data: 3,000 items, about 0.3 MB.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from langgraph_gates.durable import open_reviews
from langgraph_gates.evidence import secrets

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 3_000
LAST = f"the model holds #{ITEMS - 1}."


def _dossier(folder: Path) -> tuple[Path, int]:
    shutil.copytree(ROOT / "examples" / "churn", folder)
    path = folder / "dossier.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [
        f"An assumption about seasonality and account mix the model holds #{i}."
        for i in range(ITEMS)
    ]
    data["problem"]["assumptions"] = items
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, sum(len(i) for i in items)


def _raw(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Characters handed to the secrets scanner, one entry per scan; the memo starts empty."""
    seen: list[int] = []
    original = secrets._scan_strings

    def spy(values: Any) -> Any:
        seen.append(sum(len(v) for v in values))
        return original(values)

    monkeypatch.setattr(secrets, "_scan_strings", spy)
    monkeypatch.setattr(secrets, "_MEMO", type(secrets._MEMO)())
    return seen


def test_large_dossier_is_scanned_once_and_stored_once(tmp_path: Path, scanned: list[int]) -> None:
    path, chars = _dossier(tmp_path / "churn")
    db = tmp_path / "reviews.sqlite"
    with open_reviews(db) as reviews:
        status = reviews.start(path, review_id="big", as_of="2026-11-28")
        assert not status.next
        # One scan of the dossier in all (input, dispatcher and SEC.SECRETS share it).
        assert round(sum(scanned) / chars) == 1, scanned

        # The dossier comes back whole from the checkpoints (blobs put back on read).
        values = reviews.graph.get_state({"configurable": {"thread_id": "big"}}).values
        assert len(values["dossier"]["problem"]["assumptions"]) == ITEMS
        history = list(reviews.graph.get_state_history({"configurable": {"thread_id": "big"}}))
        assert len(history) >= 10
        assert all(
            len(s.values["dossier"]["problem"]["assumptions"]) == ITEMS
            for s in history
            if s.values.get("dossier")
        )

        # A re-run (a fork of the same thread) reads and writes through the same blobs.
        rerun = reviews.rerun("big", from_gate="responsible_ai", by="test")
        assert not rerun.next

    # Before: 22 copies (11 checkpoints and 2 writes of the dossier, and the problem framing
    # gate's result, which quotes the assumptions, in 9 checkpoints). Now: the dossier's list
    # once, and the gate result that quotes it once.
    raw = _raw(db)
    assert 1 <= raw.count(LAST.encode()) <= 2
    with sqlite3.connect(db) as conn:
        inline = [
            row[0]
            for table, column in (("checkpoints", "checkpoint"), ("writes", "value"))
            for row in conn.execute(f"SELECT {column} FROM {table}")
            if row[0] is not None and LAST.encode() in bytes(row[0])
        ]
    assert not inline


def test_deleting_a_review_deletes_its_blobs(tmp_path: Path) -> None:
    path, _ = _dossier(tmp_path / "churn")
    db = tmp_path / "reviews.sqlite"
    with open_reviews(db) as reviews:
        reviews.start(path, review_id="a", as_of="2026-11-28")
        reviews.start(path, review_id="b", as_of="2026-11-28")
        reviews.checkpointer.delete_thread("a")
        # "b" shares the blobs: they stay, and "b" still reads whole.
        values = reviews.graph.get_state({"configurable": {"thread_id": "b"}}).values
        assert len(values["dossier"]["problem"]["assumptions"]) == ITEMS
        reviews.checkpointer.delete_thread("b")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM gates_blobs").fetchone() == (0,)
        conn.execute("VACUUM")
    assert LAST.encode() not in _raw(db)


def test_redaction_memo_never_trusts_an_unseen_mapping(scanned: list[int]) -> None:
    planted = "AKIAIOSFODNN7EXAMPLF"
    mapping = {"problem": {"assumptions": [f"key {planted} in the notebook", "plain"]}}
    redacted, hits = secrets.redact_dossier_secrets(mapping)
    assert planted not in str(redacted) and hits
    first = len(scanned)
    # The same mapping again, and its redacted form (the dispatcher's call): memo hits.
    assert secrets.redact_dossier_secrets(mapping) == (redacted, hits)
    assert secrets.redact_dossier_secrets(redacted) == (redacted, [])
    assert len(scanned) == first
    # One character more: scanned again, and the secret still redacted.
    changed = {"problem": {"assumptions": [f"key {planted} in the notebook!", "plain"]}}
    again, _ = secrets.redact_dossier_secrets(changed)
    assert len(scanned) > first and planted not in str(again)
