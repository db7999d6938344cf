"""A secret typed into `gates edit` is redacted before it reaches the state, audit or reports."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from langgraph_gates.durable import open_reviews
from langgraph_gates.report import render

from ..conftest import EXAMPLES


def test_edited_secret_never_stored(tmp_path: Path) -> None:
    key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    db = tmp_path / "r.sqlite"
    with open_reviews(db) as reviews:
        reviews.start(EXAMPLES / "weak_dossier" / "dossier.yaml", review_id="r1")
        reviews.edit("r1", {"security.threat_model": f"aws_access_key_id = {key}"}, by="ana")
        reviews.rerun("r1")
        report = reviews.report("r1")
    texts = [render(report, fmt) for fmt in ("txt", "md", "json")]
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("r.sqlite"))
    assert key not in "".join(texts)
    assert key.encode() not in raw
    sec = report.gate("security_robustness")
    assert sec is not None
    finding = sec.finding("SEC.SECRETS")
    assert finding is not None and finding.outcome.value == "fail"


def test_the_low_level_graph_redacts_its_input_before_checkpointing_it(tmp_path: Path) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from langgraph_gates import build_graph

    key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    db = tmp_path / "g.sqlite"
    with SqliteSaver.from_conn_string(str(db)) as saver:
        final = build_graph(saver).invoke(
            {
                "dossier": {"model": {"name": "m"}, "description": f"aws_access_key_id = {key}"},
                "text": f"backup key {key}",
                "as_of": "2026-11-28",
            },
            {"configurable": {"thread_id": "t"}},
            durability="sync",
        )
    assert key not in repr(final)
    assert final["text"].startswith("backup key ‹redacted:AWS Access Key")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("g.sqlite"))
    assert key.encode() not in raw
