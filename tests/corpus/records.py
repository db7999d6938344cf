"""What the reliability tests saw, written as small JSON records for benchmarks/reliability.py.

Each test writes one record (one file, so parallel workers never share a file) under
``test-artifacts/reliability/``: how many inputs it tried, and how many tracebacks, leaked
secrets and executed payloads it saw. The benchmark script sums them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from tests.corpus.build import REPO_ROOT

if TYPE_CHECKING:
    from tests.corpus.runner import CliRun

__all__ = ["RECORDS_DIR", "Record", "read_records", "record_runs", "write_record"]

RECORDS_DIR = Path(
    os.environ.get("GATES_RELIABILITY_DIR", REPO_ROOT / "test-artifacts" / "reliability")
)


class Record(BaseModel):
    """One test's counts."""

    suite: str = Field(description="corpus, fuzz, leaks, execution or resources.")
    name: str
    inputs: int = Field(description="Inputs tried (cases, generated examples, reviews).")
    tracebacks: int = 0
    secrets_leaked: int = 0
    payloads_executed: int = 0
    expectation_failures: int = Field(default=0, description="Other ways the outcome was wrong.")
    seconds: float = 0.0
    detail: list[str] = Field(default_factory=list)


def write_record(record: Record) -> Path:
    """Write (or replace) the record of one test."""
    RECORDS_DIR.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{record.suite}-{record.name}")[:150]
    path = RECORDS_DIR / f"{slug}.json"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(record.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def record_runs(
    suite: str, name: str, runs: Sequence[CliRun], failures: list[str], **counts: Any
) -> Path:
    """Write the record of a test that made ``runs`` and saw ``failures`` (the tracebacks are
    summed over the runs; ``counts`` are the other fields, ``inputs`` among them)."""
    return write_record(
        Record(
            suite=suite,
            name=name,
            tracebacks=sum(r.tracebacks for r in runs),
            expectation_failures=len(failures),
            detail=failures,
            **counts,
        )
    )


def read_records(folder: Path = RECORDS_DIR) -> list[Record]:
    """Every record in the folder."""
    return [
        Record.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.json"))
    ]
