"""A file that cannot be read is read once per review, says why, and binary is found anywhere.

* A CSV with one bad last line used to be re-read by each check that needs it (12 on the
  training file); the store now remembers the failure and every later check gets it at once.
* DuckDB's first line is often only ``CSV Error on Line: N``; the cause that follows is kept.
* NUL bytes are looked for in the whole file (in the same pass as the content hash), not only
  in its first 64 KB.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from langgraph_gates.checks import predictions
from langgraph_gates.checks.base import run_check
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence import _duck, store
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.evidence.tabular import open_table
from langgraph_gates.gates.data_readiness import SPEC as DATA_GATE
from langgraph_gates.gates.feature_engineering import SPEC as FEATURE_GATE
from langgraph_gates.gates.model_performance import SPEC as PERFORMANCE_GATE
from langgraph_gates.gates.responsible_ai import SPEC as RAI_GATE
from langgraph_gates.state import Outcome

from ...conftest import MakeCtx, run_one
from .conftest import data_dossier

ROWS = "".join(f"{i},{i % 7}.5,{'ab'[i % 2]},{i % 2}\n" for i in range(30_000))
HEADER = "id,x,c,y\n"


def _count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Wrap ``owner.name`` so that each call is counted; returns the counter (a 1-item list)."""
    calls = [0]
    real = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


def test_a_broken_csv_is_read_once_for_every_check(
    make_ctx: MakeCtx, raw: Callable[[str, str | bytes], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Valid for 30,000 rows, then one row with too many fields: DuckDB reads to the end to
    # find it, so each read costs the whole file.
    name = raw("train.csv", HEADER + ROWS + "1,2,3,4,5\n")
    reads = _count_calls(monkeypatch, _duck, "_convert_csv")
    ctx = make_ctx(data_dossier(train=name, sensitive=["c"], strategy="median"))
    checks = [*DATA_GATE.checks, *FEATURE_GATE.checks]
    findings = [f for spec in checks for f in run_check(spec, ctx, owner="o")]
    errors = [f for f in findings if f.outcome is Outcome.ERROR]
    assert len(errors) >= 6, [f.check_id for f in errors]
    assert reads[0] == 1, f"the broken file was read {reads[0]} times"
    assert ctx.evidence.failed.count("open-table") == 1
    for finding in errors:
        assert "CSV Error on Line: 30002" in finding.message, finding.message
        # The cause, not only the line number; and not the offending line's data.
        assert "Expected Number of Columns" in finding.message, finding.message
        assert "1,2,3,4,5" not in finding.message


def test_a_broken_predictions_file_is_read_once(
    make_ctx: MakeCtx, raw: Callable[[str, str | bytes], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = raw("pred.csv", "y_true,y_pred,y_score,g\n" + "1,1,0.9,a\n0,0,0.2,b\n" * 50 + "1,1\n")
    reads = _count_calls(monkeypatch, predictions, "read_predictions")
    ctx = make_ctx(
        {
            "model": {"task": "binary_classification"},
            "data": {"sensitive_attributes": ["g"]},
            "performance": {"predictions": name, "slices": ["g"]},
        }
    )
    findings = [
        f
        for spec in [*PERFORMANCE_GATE.checks, *RAI_GATE.checks]
        for f in run_check(spec, ctx, owner="o")
    ]
    errors = [f for f in findings if f.outcome is Outcome.ERROR and "pred.csv" in f.message]
    assert len(errors) >= 3, [(f.check_id, f.message) for f in findings]
    assert reads[0] == 1


def test_a_remembered_failure_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = EvidenceStore(policy_fingerprint="p")
    calls = [0]

    def compute() -> int:
        calls[0] += 1
        raise EvidenceError("cannot be read: broken", source="data/x.csv", field="col")

    for _ in range(3):
        with pytest.raises(EvidenceError) as info:
            evidence.attempt("open-table", [], compute)
        assert info.value.one_line() == "data/x.csv: col: cannot be read: broken"
    assert calls[0] == 1
    now = store.time.monotonic()
    monkeypatch.setattr(store.time, "monotonic", lambda: now + store.FAILURE_TTL_S + 1)
    with pytest.raises(EvidenceError):
        evidence.attempt("open-table", [], compute)
    assert calls[0] == 2, "a failure older than the TTL is computed again"


def _nul_padded(tmp_path: Path, name: str) -> tuple[Path, int]:
    """A CSV whose first 30,000 rows are fine, then 1 MB of NULs, then more rows."""
    head = (HEADER + ROWS).encode()
    content = head + b"\x00" * (1 << 20) + b"\n" + ROWS.encode()
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(content, compresslevel=1))
    else:
        path.write_bytes(content)
    return path, len(head)


@pytest.mark.parametrize("name", ["padded.csv", "padded.csv.gz"])
def test_nul_bytes_far_past_the_start_are_refused(tmp_path: Path, name: str) -> None:
    path, offset = _nul_padded(tmp_path, name)
    assert offset > 64 * 1024, "the NULs must lie past the bytes sniffed at the start"
    with pytest.raises(EvidenceError) as info:
        open_table(path, f"data/{name}", null_values=[""])
    message = info.value.one_line()
    assert "binary file" in message and "NUL bytes" in message
    assert f"at byte {offset:,}" in message


def test_nul_padded_training_file_is_an_error_finding(make_ctx: MakeCtx, tmp_path: Path) -> None:
    _nul_padded(tmp_path, "train.csv")
    finding = run_one(check_spec("DR.VOLUME"), make_ctx(data_dossier(train="train.csv")))
    assert finding.outcome is Outcome.ERROR
    assert "NUL bytes" in finding.message


def _long_field_csv(tmp_path: Path, char: str) -> Path:
    # A different content per test: a converted CSV is remembered by content for the process.
    path = tmp_path / "long.csv"
    path.write_text("id,text,y\n1,short,0\n2," + char * (3 << 20) + ",1\n3,end,0\n")
    return path


def test_a_valid_csv_with_one_long_field_is_read(tmp_path: Path) -> None:
    table = open_table(_long_field_csv(tmp_path, "y"), "data/long.csv", null_values=[""])
    assert table.n_rows == 3
    assert any("a line of 3.0 MB" in note for note in table.notes), table.notes


def test_a_too_long_line_names_the_cause(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_duck, "_MAX_LINE_BYTES", 1 << 20)  # so a small file is "too long"
    with pytest.raises(EvidenceError) as info:
        open_table(_long_field_csv(tmp_path, "z"), "data/long.csv", null_values=[""])
    message = info.value.one_line()
    assert "CSV Error on Line" in message
    assert "Maximum line size of 2000000 bytes exceeded" in message, message
    assert "zzzz" not in message and len(message) < 400


def test_leakage_checks_share_the_failure(
    make_ctx: MakeCtx, raw: Callable[[str, str | bytes], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    train = raw("train.csv", HEADER + ROWS)
    validation = raw("valid.csv", HEADER + ROWS[:2000] + "x,y\n")
    reads = _count_calls(monkeypatch, _duck, "_convert_csv")
    ctx = make_ctx(data_dossier(train=train, validation=validation))
    for spec in (check_spec("FE.SPLIT_OVERLAP"), check_spec("FE.TARGET_LEAKAGE"), check_spec("FE.TEMPORAL_LEAKAGE")):
        run_check(spec, ctx, owner="o")
    run_check(check_spec("FE.SPLIT_OVERLAP"), ctx, owner="o")
    assert reads[0] <= 2, "train once, the broken validation file once"


def test_duck_error_keeps_the_cause_and_drops_dumps(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    sniff = (
        f'Invalid Input Error: Error when sniffing file "{path}".\n'
        "It was not possible to automatically detect the CSV parsing dialect\n"
        "The search space used was:\n"
        "Delimiter Candidates: ',', '|', ';'\n"
        "Possible fixes:\n* Set delimiter (e.g., delim=',')\n\n"
        "LINE 1: describe select * from read_csv('p.csv')\n          ^^^^"
    )
    assert _duck.duck_error(Exception(sniff), path, "eval/p.csv") == (
        'Error when sniffing file "eval/p.csv"; '
        "It was not possible to automatically detect the CSV parsing dialect"
    )
    columns = (
        "Invalid Input Error: CSV Error on Line: 7\nOriginal Line: secret,1,2\n"
        "Expected Number of Columns: 2 Found: 3\nPossible fixes:\n* Enable null padding\n"
        "  file = x.csv\n  delimiter = , (Auto-Detected)"
    )
    assert _duck.duck_error(Exception(columns), path, "x.csv") == (
        "CSV Error on Line: 7; Expected Number of Columns: 2 Found: 3"
    )
