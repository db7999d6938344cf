"""The hostile-input corpus: its manifest, and the builders of the inputs not committed as files.

``cases.yaml`` beside this module lists every case: the dossier and policy to use, the evidence
files around them, the extra CLI arguments and the exact outcome expected (the exit code, and
either the substrings of the one stderr line or the ``(check_id, outcome)`` findings of the JSON
report). Small text inputs are committed under ``files/``; everything binary, huge or that must
know a temporary path (a 50 MB dossier, truncated Parquet, a ``.csv`` that is gzip, pickles
carrying payloads, symlinks) is built here into a temporary folder at test time.

Each case gets its own folder::

    <root>/<case id>/case/      the dossier's folder (dossier, policy and evidence files)
    <root>/<case id>/outside/   targets of links that leave the dossier's folder, and the
                                marker file every payload would create if it ever ran
    <root>/<case id>/run/       the review database, evidence cache and reports

Nothing here loads or unpickles anything: the pickles are only written.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import os
import pickle
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

CORPUS_DIR = Path(__file__).resolve().parent
FILES_DIR = CORPUS_DIR / "files"
MANIFEST = CORPUS_DIR / "cases.yaml"
REPO_ROOT = CORPUS_DIR.parent.parent
AS_OF = "2026-11-28"
"""The review date of every case (fixed, so freshness findings do not move with the calendar)."""

MARKER_NAME = "PAYLOAD_RAN"

__all__ = [
    "AS_OF",
    "BUILDERS",
    "Built",
    "Case",
    "Expectation",
    "FindingExpectation",
    "Source",
    "load_cases",
    "materialize",
    "run_dir_args",
]


def run_dir_args(run_dir: Path, formats: str = "txt,md,json,html") -> list[str]:
    """`gates review` options that keep the database and the reports in ``run_dir``."""
    return [
        "--db",
        str(run_dir / "reviews.sqlite"),
        "--output-dir",
        str(run_dir / "out"),
        "--format",
        formats,
        "--no-progress",
    ]


# --- the manifest ---------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a file of a case comes from: a committed file, or a builder with its arguments."""

    file: str | None = Field(default=None, description="A file under tests/corpus/files/.")
    build: str | None = Field(default=None, description="A builder name (see BUILDERS).")
    args: dict[str, Any] = Field(default_factory=dict, description="Builder arguments.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"file": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_origin(self) -> Source:
        if (self.file is None) == (self.build is None):
            msg = "give exactly one of file or build"
            raise ValueError(msg)
        if self.build is not None and self.build not in BUILDERS:
            msg = f"unknown builder {self.build!r}"
            raise ValueError(msg)
        if self.file is not None and not (FILES_DIR / self.file).is_file():
            msg = f"no committed file {self.file!r} under {FILES_DIR}"
            raise ValueError(msg)
        return self


Outcome = Literal["pass", "warn", "fail", "missing", "error"]


class FindingExpectation(_Strict):
    """A finding the JSON report must hold: its check, its exact outcome, message substrings."""

    check: str
    outcome: Outcome
    message: list[str] = Field(default_factory=list)


class Expectation(_Strict):
    """What a case must end with."""

    exit: int
    stderr: list[str] = Field(
        default_factory=list, description="Substrings of the single stderr line (exit 2)."
    )
    findings: list[FindingExpectation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Expectation:
        if self.exit == 2 and not self.stderr:
            raise ValueError("an exit-2 case names the stderr substrings it expects")
        if self.exit != 2 and not self.findings:
            raise ValueError("a case that reviews names the findings it expects")
        return self


class Case(_Strict):
    """One hostile input and the outcome expected from `gates review`."""

    id: str
    about: str
    dossier: Source | None = None
    dossier_name: str = "dossier.yaml"
    policy: Source | None = None
    files: dict[str, Source] = Field(default_factory=dict)
    args: list[str] = Field(default_factory=list, description="Extra `gates review` arguments.")
    subprocess: bool = Field(default=False, description="Also run it as a real process.")
    payload: str | None = Field(
        default=None, description="The callable a malicious input imports (execution tests)."
    )
    expect: Expectation


def load_cases(path: Path = MANIFEST) -> list[Case]:
    """The cases of the manifest, validated (ids unique)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [Case.model_validate(c) for c in raw["cases"]]
    ids = [c.id for c in cases]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        msg = f"duplicate case ids in {path}: {dupes}"
        raise ValueError(msg)
    return cases


# --- building a case ------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildContext:
    """What a builder may need besides its target: the case's folders and marker path."""

    folder: Path
    outside: Path
    marker: Path


@dataclass(frozen=True)
class Built:
    """A case laid out on disk."""

    case: Case
    folder: Path
    outside: Path
    run_dir: Path
    dossier: Path | None
    policy: Path | None
    marker: Path

    def argv(self, *, formats: str = "txt,md,json,html") -> list[str]:
        """The `gates review` arguments of the case (database and reports in ``run_dir``)."""
        args = ["review"]
        if self.dossier is not None:
            args.append(str(self.dossier))
        if self.policy is not None:
            args += ["--policy", str(self.policy)]
        return [
            *args,
            *run_dir_args(self.run_dir, formats),
            "--as-of",
            AS_OF,
            *(a.replace("{folder}", str(self.folder)) for a in self.case.args),
        ]


def _place(source: Source, target: Path, ctx: BuildContext) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.file is not None:
        shutil.copyfile(FILES_DIR / source.file, target)
        return
    assert source.build is not None
    BUILDERS[source.build](target, ctx, **source.args)


def materialize(case: Case, root: Path) -> Built:
    """Lay a case out under ``root/<case id>/`` and return where everything is."""
    base = root / case.id
    folder, outside, run_dir = base / "case", base / "outside", base / "run"
    for d in (folder, outside, run_dir):
        d.mkdir(parents=True, exist_ok=True)
    ctx = BuildContext(folder=folder, outside=outside, marker=outside / MARKER_NAME)
    for rel, source in case.files.items():
        _place(source, folder / rel, ctx)
    dossier = None
    if case.dossier is not None:
        dossier = folder / case.dossier_name
        _place(case.dossier, dossier, ctx)
    policy = None
    if case.policy is not None:
        policy = folder / "policy.yaml"
        _place(case.policy, policy, ctx)
    return Built(
        case=case,
        folder=folder,
        outside=outside,
        run_dir=run_dir,
        dossier=dossier,
        policy=policy,
        marker=ctx.marker,
    )


# --- builders -------------------------------------------------------------------------------
# Each builder writes ``target``; its keyword arguments come from the manifest.


def random_bytes(target: Path, ctx: BuildContext, *, size: int = 4096, seed: int = 0) -> None:
    """Random bytes (with NUL bytes in them): a binary file under a text name."""
    data = bytearray(random.Random(seed).randbytes(size))
    data[size // 2] = 0
    target.write_bytes(bytes(data))


def encoded_text(target: Path, ctx: BuildContext, *, text: str, encoding: str) -> None:
    """Text in another encoding than UTF-8 (e.g. Latin-1 or UTF-16)."""
    target.write_bytes(text.encode(encoding))


def deep_nesting(target: Path, ctx: BuildContext, *, depth: int, style: str = "flow") -> None:
    """A document nested ``depth`` levels: ``[[[...]]]`` or ``a: {a: {...}}``."""
    if style == "flow":
        target.write_text("model: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    elif style == "flow_map":
        target.write_text("model: " + "{a: " * depth + "1" + "}" * depth + "\n", encoding="utf-8")
    else:
        lines = [" " * i + "a:" for i in range(depth)] + [" " * depth + "b"]
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def huge_dossier(target: Path, ctx: BuildContext, *, mb: int = 50) -> None:
    """A valid-looking dossier of ``mb`` megabytes (one enormous description)."""
    head = "model:\n  name: huge\n  description: >\n"
    line = "    " + "lorem ipsum dolor sit amet " * 3 + "\n"
    with target.open("w", encoding="utf-8") as fh:
        fh.write(head)
        written = len(head)
        while written < mb * 1_000_000:
            fh.write(line * 1000)
            written += len(line) * 1000


def huge_integer(target: Path, ctx: BuildContext, *, digits: int = 5000) -> None:
    """A KPI baseline written as an integer of ``digits`` digits."""
    target.write_text(
        f"problem:\n  kpis:\n    - {{name: churn, baseline: {'9' * digits}, target: 1}}\n",
        encoding="utf-8",
    )


def python_tag(target: Path, ctx: BuildContext, *, section: str = "model") -> None:
    """A YAML document whose tag would run ``touch MARKER`` under an unsafe loader."""
    target.write_text(
        f'{section}: !!python/object/apply:os.system ["touch {ctx.marker}"]\n', encoding="utf-8"
    )


_CITIES = ("Zürich", "Köln", "Málaga", "Tromsø", "Lyon", "Porto")


def _rows(
    n: int,
    *,
    label: bool,
    classes: int,
    future: bool,
    null_column: bool,
    null_label: bool,
    seed: int,
) -> tuple[list[str], list[list[Any]]]:
    rnd = random.Random(seed)
    header = ["x", "n", "c", "ts"] + (["empty"] if null_column else []) + (["y"] if label else [])
    start = dt.date(2099, 1, 1) if future else dt.date(2026, 6, 1)
    rows = []
    for i in range(n):
        row: list[Any] = [
            round(rnd.gauss(0, 1), 4),
            rnd.randint(0, 50),
            _CITIES[i % len(_CITIES)],
            (start + dt.timedelta(days=i % 120)).isoformat(),
        ]
        if null_column:
            row.append("")
        if label:
            row.append("" if null_label else (i % classes if classes > 1 else 1))
        rows.append(row)
    return header, rows


def table(
    target: Path,
    ctx: BuildContext,
    *,
    rows: int = 2400,
    fmt: str = "csv",
    encoding: str = "utf-8",
    label: bool = True,
    classes: int = 2,
    future: bool = False,
    null_column: bool = False,
    null_label: bool = False,
    mixed_after: int | None = None,
    truncate: float | None = None,
    seed: int = 7,
) -> None:
    """A small tabular file (``x`` float, ``n`` int, ``c`` city, ``ts`` date, ``y`` label).

    Args:
        fmt: ``csv``, ``gzip`` (gzip bytes whatever the name says) or ``parquet``.
        encoding: text encoding of a CSV (``latin-1`` makes it non-UTF-8: the cities).
        classes: label classes (1: a label with a single class).
        future: timestamps in 2099.
        null_column: add a feature ``empty`` with no value at all.
        null_label: every label cell empty.
        mixed_after: after this many rows, ``n`` holds a word (a type change past the sniffer).
        truncate: keep only this share of the file's bytes (a file cut mid-way).
    """
    header, body = _rows(
        rows,
        label=label,
        classes=classes,
        future=future,
        null_column=null_column,
        null_label=null_label,
        seed=seed,
    )
    if mixed_after is not None:
        body[mixed_after][1] = "unknown"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    text = buf.getvalue()
    if fmt == "csv":
        data = text.encode(encoding)
    elif fmt == "gzip":
        data = gzip.compress(text.encode(encoding), mtime=0)
    elif fmt == "parquet":
        data = _parquet_bytes(text, ctx)
    else:
        msg = f"unknown table format {fmt!r}"
        raise ValueError(msg)
    if truncate is not None:
        data = data[: int(len(data) * truncate)]
    target.write_bytes(data)


def _parquet_bytes(csv_text: str, ctx: BuildContext) -> bytes:
    import duckdb

    scratch = ctx.outside / "scratch"
    scratch.mkdir(exist_ok=True)
    src, dst = scratch / "t.csv", scratch / "t.parquet"
    src.write_text(csv_text, encoding="utf-8")
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_csv_auto('{src}')) TO '{dst}' (FORMAT parquet)")
    finally:
        con.close()
    data = dst.read_bytes()
    shutil.rmtree(scratch)
    return data


def _malicious() -> Any:
    # The pickle builders live with the unit tests of the scanner; they only write bytes.
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.unit import malicious_artifacts

    return malicious_artifacts


def pickle_payload(target: Path, ctx: BuildContext, *, kind: str) -> None:
    """A pickle whose load would create the marker (``kind``: a key of ``MALICIOUS``)."""
    build, _ = _malicious().MALICIOUS[kind]
    target.write_bytes(build(ctx.marker))


def pickle_truncated(target: Path, ctx: BuildContext, *, payload: bool, keep: float = 0.6) -> None:
    """A pickle cut mid-stream; with ``payload``, an ``os.system`` call comes before the cut."""
    weights = [float(i) for i in range(2000)]
    if payload:
        data = pickle.dumps([_malicious().System(ctx.marker), weights], protocol=4)
    else:
        data = pickle.dumps({"weights": weights, "name": "model"}, protocol=4)
    target.write_bytes(data[: int(len(data) * keep)])


def pickle_flood(target: Path, ctx: BuildContext, *, opcode: str = "N", count: int) -> None:
    """A gzip-compressed pickle of ``count`` copies of one opcode (a few KB on disk).

    ``N`` (NONE) grows the unpickler's stack by one item per byte: a decompression bomb that
    an unbounded scanner would follow into gigabytes.
    """
    body = pickle.PROTO + b"\x04" + opcode.encode("latin-1") * count + pickle.STOP
    target.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))


def zip_pickle(target: Path, ctx: BuildContext, *, kind: str, member: str = "data.pkl") -> None:
    """A PyTorch-style zip whose ``data.pkl`` (or an extra ``.pkl`` member) carries a payload."""
    mal = _malicious()
    payload = mal.MALICIOUS[kind][0](ctx.marker)
    if member == "data.pkl":
        mal.torch_zip(target, data_pkl=payload)
    else:
        mal.torch_zip(target, extra={member: payload})


def joblib_payload(target: Path, ctx: BuildContext, *, compress: int = 0) -> None:
    """A joblib file of real arrays plus an ``os.system`` object (optionally zlib-compressed)."""
    _malicious().joblib_with_object(target, ctx.marker, compress=compress)


def nested_safetensors(target: Path, ctx: BuildContext, *, depth: int = 100_000) -> None:
    """A safetensors-shaped file whose JSON header nests ``depth`` arrays deep."""
    header = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    target.write_bytes(len(header).to_bytes(8, "little") + header + bytes(8))


def symlink_out(target: Path, ctx: BuildContext, *, kind: str = "file", text: str = "") -> None:
    """A link inside the dossier's folder that points to a file or folder outside it."""
    outside = ctx.outside / ("linked_dir" if kind == "dir" else "linked_file.csv")
    if kind == "dir":
        outside.mkdir(exist_ok=True)
        (outside / "settings.yaml").write_text(text or "retries: 3\n", encoding="utf-8")
    else:
        outside.write_text(text or "x,y\n1,0\n2,1\n", encoding="utf-8")
    os.symlink(outside, target)


def symlink_loop(target: Path, ctx: BuildContext) -> None:
    """A link that points to itself."""
    os.symlink(target.name, target)


def odd_folder(target: Path, ctx: BuildContext) -> None:
    """A folder of traps: two links pointing at each other, a link to its parent, a named pipe,
    next to one ordinary file."""
    target.mkdir(parents=True, exist_ok=True)
    os.symlink("b", target / "a")
    os.symlink("a", target / "b")
    os.symlink("..", target / "up")
    os.mkfifo(target / "pipe")
    (target / "settings.yaml").write_text("retries: 3\n", encoding="utf-8")


def fifo(target: Path, ctx: BuildContext) -> None:
    """A named pipe where a file is expected (reading it would block for ever)."""
    os.mkfifo(target)


def folder(target: Path, ctx: BuildContext) -> None:
    """A folder where a file is expected."""
    target.mkdir(parents=True, exist_ok=True)


BUILDERS: dict[str, Callable[..., None]] = {
    "random_bytes": random_bytes,
    "encoded_text": encoded_text,
    "deep_nesting": deep_nesting,
    "huge_dossier": huge_dossier,
    "huge_integer": huge_integer,
    "python_tag": python_tag,
    "table": table,
    "pickle_payload": pickle_payload,
    "pickle_truncated": pickle_truncated,
    "pickle_flood": pickle_flood,
    "zip_pickle": zip_pickle,
    "joblib_payload": joblib_payload,
    "nested_safetensors": nested_safetensors,
    "symlink_out": symlink_out,
    "fifo": fifo,
    "symlink_loop": symlink_loop,
    "odd_folder": odd_folder,
    "folder": folder,
}
"""Builder name (as the manifest writes it) -> function."""
