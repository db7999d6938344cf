"""Every hostile input of tests/corpus/cases.yaml through the real `gates review` CLI.

Each case is laid out in a temporary folder (committed text files copied, binary, huge and
path-dependent inputs built by tests/corpus/build.py) and reviewed in-process with Typer's
CliRunner; the cases marked ``subprocess`` run again as real ``python -m langgraph_gates``
processes. For each: the exact exit code, no traceback anywhere in stdout or stderr, one stderr
line naming file and field for exit 2, the expected ``(check_id, outcome)`` findings in the JSON
report otherwise, and no marker file from any payload.
"""

from __future__ import annotations

import json
import pickle
import random
import shutil
from pathlib import Path

import pytest

from langgraph_gates.dossier import Dossier
from tests.corpus.build import FILES_DIR, Case, load_cases, materialize
from tests.corpus.records import Record, record_runs, write_record
from tests.corpus.runner import CliRun, problems, run_case, run_inprocess

from ..conftest import EXAMPLES

CASES = load_cases()
SUBPROCESS_CASES = [c for c in CASES if c.subprocess]


def _judge(case: Case, run: CliRun, marker: Path) -> None:
    found = problems(case, run)
    ran = marker.exists()
    write_record(
        Record(
            suite="corpus",
            name=f"{case.id} ({run.mode})",
            inputs=1,
            tracebacks=run.tracebacks,
            payloads_executed=int(ran),
            expectation_failures=len(found),
            seconds=round(run.seconds, 3),
            detail=[f[:500] for f in found],
        )
    )
    assert not ran, f"a payload ran: {marker} exists"
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_in_process(case: Case, tmp_path: Path) -> None:
    built = materialize(case, tmp_path)
    _judge(case, run_case(built), built.marker)


@pytest.mark.slow
@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.id for c in SUBPROCESS_CASES])
def test_case_as_a_real_process(case: Case, tmp_path: Path) -> None:
    built = materialize(case, tmp_path)
    _judge(case, run_case(built, subprocess_mode=True), built.marker)


# Substrings of case ids that stand for each kind of input the corpus must hold.
REQUIRED_KINDS = {
    "empty file": "dossier_empty",
    "binary file": "dossier_binary",
    "deep nesting": "yaml_deep_flow_nesting",
    "billion laughs": "yaml_billion_laughs",
    "50 MB dossier": "dossier_huge",
    "unknown enum value": "enum_task",
    "future dates": "csv_future_timestamps",
    "negative threshold": "policy_negative",
    "NaN threshold": "policy_nan",
    "../ path": "path_dotdot",
    "absolute path": "path_absolute",
    "symlink out": "path_symlink_file",
    "missing files": "everything_missing",
    "wrong delimiter": "csv_wrong_delimiter",
    "mixed types": "csv_mixed_types",
    "header-only CSV": "csv_header_only",
    "all-null column": "csv_all_null_column",
    "one-class label": "csv_one_class_label",
    "truncated Parquet": "parquet_truncated",
    ".csv that is gzip": "csv_is_gzip",
    "non-UTF-8 text": "csv_not_utf8",
    "metrics with strings for numbers": "metrics_strings_for_numbers",
    "truncated pickle": "pickle_truncated",
    "zip-pickle with a malicious member": "zip_pickle_malicious_extra_member",
    "contradictory policy": "policy_contradictory",
}
SECTIONS = tuple(Dossier.model_fields)


def test_the_corpus_covers_the_issue() -> None:
    ids = {c.id for c in CASES}
    assert len(CASES) >= 40
    absent = {kind: cid for kind, cid in REQUIRED_KINDS.items() if cid not in ids}
    assert absent == {}
    # A wrong type in every section of the dossier.
    assert {f"wrong_type_{section}" for section in SECTIONS} <= ids
    assert len(SUBPROCESS_CASES) >= 5
    # Every malicious artifact names the callable its payload imports.
    built = [
        c
        for c in CASES
        if any(
            s.build in ("pickle_payload", "zip_pickle", "joblib_payload") for s in c.files.values()
        )
    ]
    assert built and all(c.payload for c in built)


def test_committed_files_are_small_text_and_hold_no_pickle() -> None:
    files = [p for p in FILES_DIR.rglob("*") if p.is_file()]
    assert len(files) >= 40
    for path in files:
        data = path.read_bytes()
        assert len(data) < 16_000, f"{path} is big: build it at test time instead"
        assert b"\x00" not in data, f"{path} is binary: build it at test time instead"
        assert not data.startswith(pickle.PROTO), f"{path} looks like a pickle"
        data.decode("utf-8")  # committed inputs are text; other encodings are built


# `gates edit --set PATH=VALUE` reads VALUE as YAML: the same hostile values, one at a time.
HOSTILE_EDITS = {
    "an impossible date": ("data.sources", "[{name: crm, refreshed: 2026-13-45}]", "2026-13-45"),
    "a bad explicit tag": ("model.name", "!!int forty-two", "as int"),
    "an alias bomb": (
        "model.description",
        "[&a [x, x, x, x, x, x, x, x], "
        + ", ".join(["&b [*a, *a, *a, *a, *a, *a, *a, *a]"] + ["*b"] * 60)
        + "]",
        "alias bomb",
    ),
    "a python tag": ("model.name", "!!python/object/apply:os.system [touch MARKER]", "constructor"),
    "a NaN threshold": ("problem.success_criteria", "[{metric: auc, threshold: .nan}]", "finite"),
    "a path that leaves the folder": ("data.train", "../../../etc/passwd", "leaves"),
    "an unknown enum value": ("model.task", "telepathy", "telepathy"),
    "an unknown field": ("model.nmae", "churn", "unknown field"),
}


def _stored(run: CliRun) -> dict[str, object]:
    """The review as `gates show --format json` prints it, without its print time (nor the
    digest of the printed report, which covers that time)."""
    data = json.loads(run.stdout)
    data.pop("generated_at", None)
    data.get("integrity", {}).pop("report_sha256", None)
    return data


def test_hostile_edit_values(tmp_path: Path) -> None:
    """Each hostile `--set` value: exit 2, one stderr line naming the field, nothing stored."""
    case = next(c for c in CASES if c.id == "future_source_refresh")
    built = materialize(case, tmp_path)
    db = ["--db", str(built.run_dir / "reviews.sqlite")]
    first = run_inprocess([*built.argv(), "--id", "edit-me"])
    assert first.exit_code == 0, first.output
    before = run_inprocess(["show", "edit-me", "--format", "json", *db])
    assert before.exit_code == 0 and before.stdout.strip(), before.output
    runs, failures = [first, before], []
    for what, (path, value, expected) in HOSTILE_EDITS.items():
        value = value.replace("MARKER", str(built.marker))
        run = run_inprocess(["edit", "edit-me", "--set", f"{path}={value}", *db])
        runs.append(run)
        lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
        if run.exit_code != 2 or len(lines) != 1 or expected not in lines[0] or run.tracebacks:
            failures.append(f"{what}: exit {run.exit_code}: {run.stderr[-800:]}")
    after = run_inprocess(["show", "edit-me", "--format", "json", *db])
    if _stored(after) != _stored(before) or after.stderr.strip():
        failures.append(f"a refused edit changed the stored review: {after.stderr[-500:]}")
    record_runs(
        "corpus", "hostile edit values (in-process)", runs, failures,
        inputs=len(HOSTILE_EDITS), payloads_executed=int(built.marker.exists()),
    )  # fmt: skip
    assert not built.marker.exists()
    assert failures == []


EVIDENCE = [
    "eval/metrics.json",
    "eval/predictions.csv",
    "requirements.txt",
    "data/train.parquet",
    "data/valid.parquet",
    "data/serving_sample.parquet",
    "model/model.joblib",
    "config/serving.yaml",
]
SPLICES = [b"NaN", b",,,", b"\n", b'"', b"-1e999", b"\x00", b"9" * 30, b"\xff\xfe", b"[", b"{"]


def _mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data) or bytearray(b"x")
    op = rnd.choice(["flip", "truncate", "splice", "zero"])
    i = rnd.randrange(len(b))
    if op == "flip":
        for _ in range(rnd.randint(1, 20)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
    elif op == "truncate":
        del b[i:]
    elif op == "splice":
        b[i:i] = rnd.choice(SPLICES) * rnd.randint(1, 50)
    else:
        end = min(len(b), i + 4096)
        b[i:end] = bytes(end - i)
    return bytes(b)


def test_mutated_example_evidence(tmp_path: Path) -> None:
    """The churn example with one to three evidence files corrupted at random (fixed seed):
    the review ends with findings; no check falls over (an unforeseen exception would show as
    "the check could not be computed" and a logged traceback)."""
    rnd = random.Random(20261128)
    runs, failures = [], []
    for k in range(8):
        folder = tmp_path / f"mutant{k}"
        shutil.copytree(EXAMPLES / "churn", folder / "case")
        hit = rnd.sample(EVIDENCE, rnd.randint(1, 3))
        for rel in hit:
            path = folder / "case" / rel
            path.write_bytes(_mutate(path.read_bytes(), rnd))
        out = folder / "run" / "out"
        run = run_inprocess(
            [
                "review",
                str(folder / "case" / "dossier.yaml"),
                "--db",
                str(folder / "run" / "reviews.sqlite"),
                "--output-dir",
                str(out),
                "--format",
                "json",
                "--as-of",
                "2026-11-28",
                "--no-progress",
            ],
            out_dir=out,
        )
        runs.append(run)
        crashed = [
            f["check_id"]
            for g in (run.report or {}).get("gates", [])
            for f in g["findings"]
            if "could not be computed" in f["message"]
        ]
        if run.exit_code != 0 or run.tracebacks or crashed:
            failures.append(
                f"mutant {k} ({', '.join(hit)}): exit {run.exit_code}, {crashed}\n"
                f"{run.output[-1500:]}"
            )
    record_runs("corpus", "mutated example evidence (in-process)", runs, failures, inputs=len(runs))
    assert failures == [], "\n".join(failures)
