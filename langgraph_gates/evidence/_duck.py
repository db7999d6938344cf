"""Opening tabular evidence files with DuckDB, defensively and within a memory bound.

Everything that touches a user's CSV or Parquet file goes through :func:`open_table`, which
checks the file before DuckDB sees it and turns every way a file can be unusable into an
:class:`~langgraph_gates.errors.EvidenceError` with one line naming the file:

* missing, a folder, empty (0 bytes), a Parquet file without its footer (truncated), a binary
  file named ``.csv``;
* a CSV that DuckDB's sniffer reads as one column whose name still holds a delimiter
  (``a;b;c``: the delimiter could not be detected);
* a CSV with a header but no data rows, or a Parquet file with no rows.

Some files are read anyway, with a note that the findings repeat: a ``.csv`` that is really
gzip (or Parquet), a CSV that is not UTF-8 (read as Latin-1, every byte decodes), and a CSV
column whose type changes after DuckDB's type sample (re-read with the whole file as sample,
so the column becomes text instead of failing).

A CSV is converted once per process into a Parquet file in a private temporary folder (keyed by
its content hash and the null strings): every later pass then reads only the columns it needs,
as for a Parquet input. Rows are numbered (``file_row_number``) so that samples are
deterministic whatever the thread schedule (a file with its own column of that name is sampled
by row hash instead, see :attr:`TableFile.row_key`).

Resource bound: every connection runs with ``threads`` = the CPUs this process may use and
``memory_limit`` = min(1 GiB, a quarter of the machine's or cgroup's memory), spilling to a
private temporary folder beyond that (see :data:`DUCKDB_THREADS`, :data:`DUCKDB_MEMORY_LIMIT`).
"""

from __future__ import annotations

import atexit
import contextlib
import gzip
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.store import file_sha256, first_nul_byte

__all__ = [
    "DUCKDB_MEMORY_LIMIT",
    "DUCKDB_THREADS",
    "NUMPY_NATIVE_TYPES",
    "Family",
    "TableFile",
    "connect",
    "duck_error",
    "ident",
    "is_float",
    "is_integer",
    "literal",
    "open_table",
    "type_family",
]

_GIB = 1 << 30
_PARQUET_MAGIC = b"PAR1"
_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 1 << 16
_DELIMITERS = (",", ";", "\t", "|")


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _memory_bytes() -> int:
    """Physical memory, or the cgroup's limit when that is smaller."""
    total = 8 * _GIB
    with contextlib.suppress(ValueError, OSError, AttributeError):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        with contextlib.suppress(OSError, ValueError):
            text = Path(limit_file).read_text().strip()
            if text.isdigit():
                total = min(total, int(text))
    return total


DUCKDB_THREADS: int = _cpu_count()
"""DuckDB worker threads per connection: the CPUs this process may run on."""

DUCKDB_MEMORY_LIMIT: int = max(256 << 20, min(_GIB, _memory_bytes() // 4))
"""DuckDB's memory limit per connection in bytes: min(1 GiB, a quarter of RAM); it spills beyond."""

_state_lock = threading.Lock()
_workdir: Path | None = None
_converted: dict[tuple[str, str], tuple[Path, tuple[str, ...]]] = {}


def _private_dir() -> Path:
    """A private temporary folder for spills and converted CSVs, removed at exit."""
    global _workdir
    with _state_lock:
        if _workdir is None or not _workdir.is_dir():
            _workdir = Path(tempfile.mkdtemp(prefix="gates-tabular-"))
            atexit.register(shutil.rmtree, _workdir, True)
        return _workdir


def connect() -> duckdb.DuckDBPyConnection:
    """The one way into DuckDB: an in-memory connection within the thread and memory bounds.

    Every scan of evidence opens its connection here, so none runs without the limits
    (:data:`DUCKDB_THREADS`, :data:`DUCKDB_MEMORY_LIMIT`, spilling to a private folder). The
    connection is its own context manager: ``with connect() as con:`` closes it at the end.
    """
    con = duckdb.connect(":memory:")
    spill = _private_dir() / "spill"
    spill.mkdir(exist_ok=True)
    con.execute(f"SET threads = {DUCKDB_THREADS}")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT // (1 << 20)}MB'")
    con.execute(f"SET temp_directory = {literal(str(spill))}")
    # Insertion order is never needed (samples are keyed by row number) and costs memory.
    con.execute("SET preserve_insertion_order = false")
    # Inside Jupyter without ipywidgets DuckDB refuses this setting, but the bar is off there.
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    # PyArrow/pandas write float min/max statistics without the NaNs, and DuckDB then folds
    # isnan(x) to false (duckdb/duckdb#25521): every NaN would be counted as a present value.
    # Tell the scan that NaN can hide outside the statistics; older DuckDB lacks the setting,
    # so there the statistics optimizer is switched off instead.
    try:
        con.execute("SET parquet_can_have_nan = true")
    except duckdb.Error:
        con.execute("SET disabled_optimizers = 'statistics_propagation'")
    return con


# --- the type table: what each DuckDB type is to the checks ------------------------------------

Family = Literal["numeric", "categorical", "boolean", "temporal", "null", "other"]

_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
_NUMERIC_TYPES = (*_INTEGER_TYPES, *_FLOAT_TYPES, "DECIMAL", "INT1", "INT2", "INT4", "INT8")

NUMPY_NATIVE_TYPES = frozenset(("FLOAT", "DOUBLE", *_INTEGER_TYPES[:4], *_INTEGER_TYPES[5:9]))
"""Types NumPy receives from DuckDB as they are (no HUGEINT, DECIMAL, dates or booleans)."""


def type_family(dtype: str) -> Family:
    """The family of a DuckDB type: what the checks can do with a column of it."""
    d = dtype.upper().strip().strip('"')
    if d.endswith("]") or d.startswith(("STRUCT", "MAP", "UNION")):
        return "other"  # lists, arrays and nested values are not binned or scored
    if d in ("BOOLEAN", "BOOL"):
        return "boolean"
    if d.startswith(_NUMERIC_TYPES):
        return "numeric"
    if d.startswith("DATE") or d.startswith("TIMESTAMP"):
        return "temporal"
    if d.startswith(("VARCHAR", "ENUM", "UUID", "STRING", "TEXT")):
        return "categorical"
    if d == "NULL":
        return "null"
    return "other"


def is_float(dtype: str) -> bool:
    """Whether a DuckDB type is a binary floating-point type (it can hold NaN)."""
    return dtype.upper().startswith(_FLOAT_TYPES)


def is_integer(dtype: str) -> bool:
    """Whether a DuckDB type is an integer type."""
    return dtype.upper().startswith(_INTEGER_TYPES)


# --- SQL text and DuckDB's errors --------------------------------------------------------------


def ident(name: str) -> str:
    """A SQL identifier, quoted (column names come from user files)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal, quoted."""
    return "'" + value.replace("'", "''") + "'"


# Lines of a DuckDB error that are not its cause: the query echo, the offending line (the
# user's data: long, maybe secret), the suggested fixes and the dump of reader options.
_NOT_A_CAUSE = re.compile(
    r"^(LINE \d+:|\^|Original Line:|Possible (fix|solution)|\* |[\w ]+ = |"
    r"Column \S+ is being converted|This type was auto-detected)",
    re.IGNORECASE,
)
_ERROR_PREFIXES = ("Invalid Input Error: ", "Conversion Error: ", "IO Error: ", "Binder Error: ")
_MAX_ERROR_CHARS = 300


def duck_error(exc: BaseException, path: Path, display: str) -> str:
    """DuckDB's error as one line: its first line and the cause, naming the dossier's file.

    DuckDB's first line is often only where (``CSV Error on Line: 1``); the why follows on the
    next lines (``Maximum line size of 2000000 bytes exceeded``, ``Expected Number of Columns:
    2 Found: 3``, ``Could not convert string ...``). Those are kept, at most two of them; the
    echoed data line, the suggested fixes and the reader's option dump are not.
    """
    text = str(exc).replace(str(path), display)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else type(exc).__name__
    for prefix in _ERROR_PREFIXES:
        first = first.removeprefix(prefix)
    causes: list[str] = []
    for line in lines[1:]:
        # A line ending in ':' opens a dump (the sniffer's search space, the fixes): no cause.
        if line.endswith(":") or line.lower().startswith("possible ") or len(causes) == 2:
            break
        if not _NOT_A_CAUSE.match(line):
            causes.append(line.rstrip("."))
    joined = "; ".join([first.rstrip(".:"), *causes]) if causes else first
    joined = " ".join(joined.split())
    if len(joined) > _MAX_ERROR_CHARS:
        joined = joined[: _MAX_ERROR_CHARS - 1] + "…"
    return joined


@dataclass(frozen=True)
class TableFile:
    """A tabular evidence file, ready to scan.

    Attributes:
        path: the file the dossier references.
        display: the path as the dossier writes it (used in messages).
        format: ``parquet`` or ``csv`` (what the file turned out to be).
        scan_path: the Parquet file that is scanned (the converted copy for a CSV).
        columns: ``(name, DuckDB type)`` of each column, in file order.
        n_rows: number of data rows (> 0).
        notes: what was unusual about the file but could be handled.
    """

    path: Path
    display: str
    format: Literal["parquet", "csv"]
    scan_path: Path
    columns: tuple[tuple[str, str], ...]
    n_rows: int
    notes: tuple[str, ...] = ()

    @property
    def numbered(self) -> bool:
        """Whether DuckDB can number the rows (the file has no own ``file_row_number``)."""
        return "file_row_number" not in self.names

    @property
    def relation(self) -> str:
        """SQL for the rows, with a ``file_row_number`` column for deterministic samples."""
        path = literal(str(self.scan_path))
        if not self.numbered:
            return f"read_parquet({path})"
        return f"read_parquet({path}, file_row_number = true)"

    @property
    def row_key(self) -> str:
        """SQL for a per-row value that samples are keyed on, the same on every run.

        The row's position in the file; for a file with its own ``file_row_number`` column
        (DuckDB cannot add its own then), the hash of the whole row instead: identical rows
        share their fate, which does not bias a sample.
        """
        if self.numbered:
            return "file_row_number"
        return "hash(" + ", ".join(ident(c) for c in self.names) + ")"

    def dtype(self, column: str) -> str | None:
        """The DuckDB type of a column, or ``None`` when the file has no such column."""
        return dict(self.columns).get(column)

    @property
    def names(self) -> list[str]:
        """Column names in file order."""
        return [c for c, _ in self.columns]


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(_SNIFF_BYTES)


def _is_parquet(path: Path, head: bytes) -> bool:
    if not head.startswith(_PARQUET_MAGIC):
        return False
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 4))
        return fh.read(4) == _PARQUET_MAGIC


def _check_exists(path: Path, display: str) -> None:
    if not path.exists():
        raise EvidenceError("file not found", source=display)
    if path.is_dir():
        raise EvidenceError("is a folder; give one CSV or Parquet file", source=display)
    if path.stat().st_size == 0:
        raise EvidenceError("the file is empty (0 bytes)", source=display)


def open_table(path: Path, display: str, *, null_values: Sequence[str]) -> TableFile:
    """Check a CSV or Parquet file and return what is needed to scan it.

    Args:
        path: the resolved file path.
        display: the path as the dossier writes it.
        null_values: CSV cells read as missing (e.g. ``""``, ``"NA"``).

    Raises:
        EvidenceError: the file is missing, empty, truncated, binary or has no data rows.
    """
    _check_exists(path, display)
    try:
        head = _head(path)
    except OSError as exc:
        raise EvidenceError(f"cannot be read: {exc.strerror or exc}", source=display) from None
    suffixes = "".join(path.suffixes).lower()
    looks_parquet = path.suffix.lower() in (".parquet", ".pq", ".parq")
    notes: list[str] = []
    if head.startswith(_PARQUET_MAGIC) or looks_parquet:
        if not _is_parquet(path, head):
            what = "truncated" if head.startswith(_PARQUET_MAGIC) else "not a Parquet file"
            raise EvidenceError(
                f"{what}: the Parquet footer (magic bytes 'PAR1' at the end) is missing",
                source=display,
            )
        if not looks_parquet:
            notes.append(f"{display} is a Parquet file despite its name; read as Parquet")
        return _parquet_table(path, display, path, "parquet", notes)
    compression = "none"
    if head.startswith(_GZIP_MAGIC):
        compression = "gzip"
        if not suffixes.endswith(".gz"):
            notes.append(f"{display} is gzip-compressed despite its name; decompressed to read")
        head = _gunzip_head(path, display)
    else:
        # The whole file, not its first bytes: a text start padded with NULs is not a CSV.
        # (Streamed with the content hash, which the CSV conversion needs anyway.)
        _refuse_nul(first_nul_byte(path), display)
    return _csv_table(path, display, compression, tuple(null_values), notes)


def _gunzip_head(path: Path, display: str) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise EvidenceError(f"a broken gzip file: {exc}", source=display) from None
    if not head:
        raise EvidenceError("the file is empty (gzip of 0 bytes)", source=display)
    _refuse_nul(head.find(b"\x00") if b"\x00" in head else None, display)
    return head


def _refuse_nul(offset: int | None, display: str) -> None:
    if offset is not None:
        msg = f"a binary file, not CSV text (it contains NUL bytes, the first at byte {offset:,})"
        raise EvidenceError(msg, source=display)


def _gzip_first_nul(path: Path) -> int | None:
    """Offset of the first NUL byte in a gzip file's content (streamed; memory stays flat)."""
    offset = 0
    with gzip.open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if (at := chunk.find(b"\x00")) >= 0:
                return offset + at
            offset += len(chunk)
    return None


def _describe(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[tuple[str, str], ...]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return tuple((str(r[0]), str(r[1])) for r in rows)


def _parquet_table(
    path: Path, display: str, scan_path: Path, fmt: Literal["parquet", "csv"], notes: list[str]
) -> TableFile:
    with connect() as con:
        try:
            relation = f"read_parquet({literal(str(scan_path))})"
            columns = _describe(con, relation)
            row = con.execute(f"SELECT count(*) FROM {relation}").fetchone()
            n_rows = int(row[0]) if row else 0
        except duckdb.Error as exc:
            raise EvidenceError(duck_error(exc, scan_path, display), source=display) from None
    if not columns:
        raise EvidenceError("the file has no columns", source=display)
    if n_rows == 0:
        what = "has a header but no data rows" if fmt == "csv" else "has no rows"
        raise EvidenceError(what, source=display)
    return TableFile(
        path=path,
        display=display,
        format=fmt,
        scan_path=scan_path,
        columns=columns,
        n_rows=n_rows,
        notes=tuple(notes),
    )


_MAX_LINE_BYTES = 64 << 20  # DuckDB buffers a whole line: a longer one stays refused
_LINE_SIZE = re.compile(r"Maximum line size of \d+ bytes exceeded\. Actual Size: ?(\d+)")


@dataclass
class _CsvRead:
    """How a CSV is read; each recoverable failure changes one setting for the next try."""

    compression: str
    null_values: tuple[str, ...]
    encoding: str = "utf-8"
    full: bool = False  # type sample = the whole file
    max_line: int | None = None  # DuckDB's default (2 MB) when None

    def options(self) -> str:
        """The ``read_csv`` options as SQL."""
        nulls = "[" + ", ".join(literal(v) for v in self.null_values) + "]"
        options = [
            "header = true",
            "auto_detect = true",
            # The sniffer may otherwise skip leading lines it cannot fit (a header written with
            # another delimiter than the rows) and take a data row as the header: garbage.
            "skip = 0",
            f"compression = {literal(self.compression)}",
            f"encoding = {literal(self.encoding)}",
            f"nullstr = {nulls}",
            "ignore_errors = false",
            "null_padding = false",
        ]
        if self.full:
            options.append("sample_size = -1")
        if self.max_line is not None:
            options.append(f"max_line_size = {self.max_line}")
        return ", ".join(options)

    def recover(self, exc: duckdb.Error, display: str, notes: list[str]) -> bool:
        """Change the one setting that ``exc`` shows was wrong; ``False`` when none was."""
        message = str(exc)
        if "unicode" in message.lower() and self.encoding == "utf-8":
            self.encoding = "latin-1"
            notes.append(f"{display} is not UTF-8; read as Latin-1")
            return True
        if isinstance(exc, duckdb.ConversionException) and not self.full:
            self.full = True
            return True
        # A valid CSV with one long field (a 10 MB text cell): DuckDB refuses lines over 2 MB.
        long_line = _LINE_SIZE.search(message)
        if long_line and self.max_line is None:
            actual = int(long_line.group(1))
            if actual < _MAX_LINE_BYTES:
                self.max_line = max(actual + 1024, 2 << 20)
                notes.append(f"{display} has a line of {actual / (1 << 20):.1f} MB; read whole")
                return True
        return False


def _csv_table(
    path: Path,
    display: str,
    compression: str,
    null_values: tuple[str, ...],
    notes: list[str],
) -> TableFile:
    key = (file_sha256(path), repr((compression, null_values)))
    with _state_lock:
        done = _converted.get(key)
    if done is not None and done[0].exists():
        return _parquet_table(path, display, done[0], "csv", [*notes, *done[1]])
    options = hashlib.sha256(key[1].encode()).hexdigest()[:8]
    target = _private_dir() / f"{key[0][:32]}-{options}.parquet"
    extra = _convert_csv(path, display, target, compression, null_values)
    with _state_lock:
        _converted[key] = (target, tuple(extra))
    return _parquet_table(path, display, target, "csv", [*notes, *extra])


def _convert_csv(
    path: Path, display: str, target: Path, compression: str, null_values: tuple[str, ...]
) -> list[str]:
    """Convert a CSV into a Parquet file, retrying the recoverable failures; return notes."""
    if compression == "gzip":
        try:
            _refuse_nul(_gzip_first_nul(path), display)
        except (OSError, EOFError) as exc:
            raise EvidenceError(f"a broken gzip file: {exc}", source=display) from None
    notes: list[str] = []
    how = _CsvRead(compression, null_values)
    first_types: dict[str, str] = {}
    for _attempt in range(4):
        relation = f"read_csv({literal(str(path))}, {how.options()})"
        with connect() as con:
            try:
                columns = _describe(con, relation)
                first_types = first_types or dict(columns)
                _refuse_one_column(columns, display)
                tmp = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
                con.execute(
                    f"COPY (SELECT * FROM {relation}) TO {literal(str(tmp))} (FORMAT parquet)"
                )
                os.replace(tmp, target)
            except duckdb.Error as exc:
                if how.recover(exc, display, notes):
                    continue
                raise EvidenceError(duck_error(exc, path, display), source=display) from None
        if how.full:
            changed = [
                f"{name} ({first_types.get(name, '?')} -> {dtype})"
                for name, dtype in columns
                if first_types.get(name) not in (None, dtype)
            ]
            notes.append(
                "mixed types: "
                + (", ".join(changed) if changed else "some column")
                + " re-read from the whole file"
            )
        return notes
    msg = "could not be read as CSV"
    raise EvidenceError(msg, source=display)


def _refuse_one_column(columns: tuple[tuple[str, str], ...], display: str) -> None:
    if len(columns) != 1:
        return
    name = columns[0][0]
    found = [d for d in _DELIMITERS if d in name]
    if found:
        shown = "tab" if found[0] == "\t" else repr(found[0])
        msg = (
            f"read as a single column named {name[:60]!r}: the delimiter ({shown}?) could not "
            "be detected (ragged rows or a wrong delimiter)"
        )
        raise EvidenceError(msg, source=display)
