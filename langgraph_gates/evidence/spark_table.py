"""Tables on a Spark cluster as evidence, profiled where they live through Spark Connect.

A dossier may name a table instead of a file (``data.train: {table: cat.db.train, engine:
spark}``); the connection is given outside the dossier, by ``--spark-remote`` (which sets
``GATES_SPARK_REMOTE``), ``GATES_SPARK_REMOTE`` or the standard ``SPARK_REMOTE``
(``sc://host:port``). The reviewing process runs the thin Spark Connect client only (the
``spark`` extra): no JVM, and no row of the table on its disk. What comes back are the same
aggregates as from a local file (counts, min/max, histograms) and bounded samples.

The queries are the DuckDB path's own, translated by :func:`~.spark_sql.to_spark`; this module
only opens the table and runs them. Every way the table can be unusable fails closed, as an
:class:`~langgraph_gates.errors.EvidenceError` (an ``error`` finding) with one line: no remote
configured, the ``spark`` extra not installed, the server unreachable, the table missing or
empty, a query the server refuses.

The session runs in UTC and case-insensitive (``spark.sql.session.timeZone``,
``spark.sql.caseSensitive``), so times and names read as on DuckDB. Each table is reached
through a session-scoped temporary view named after it (``gates_src_<hash>``): a view copies
nothing, and it gives the translated SQL one flat name to qualify columns against.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence._duck import ident

if TYPE_CHECKING:
    from pyspark.sql.connect.session import SparkSession

__all__ = [
    "REMOTE_ENV",
    "SparkRows",
    "SparkSQL",
    "SparkTable",
    "close_sessions",
    "open_spark_table",
    "spark_remote",
    "spark_scan",
]

REMOTE_ENV = ("GATES_SPARK_REMOTE", "SPARK_REMOTE")
"""Environment variables naming the Spark Connect server, first set wins."""

_DEFAULT_PORT = 15002  # Spark Connect's own default
_CONNECT_TIMEOUT_S = 10.0
_FIRST_CONTACT_RETRIES = 5  # back-off 0.05, 0.2, 0.8, 3.2, 12.8 s (the default policy's steps)
_MAX_REASON_CHARS = 300

# Spark's simple type names -> the DuckDB names the checks' type table knows
# (langgraph_gates.evidence._duck.type_family); nested and other types keep Spark's name and
# read as "other" (not binned, not scored), as nested DuckDB types do.
_DUCK_TYPES = {
    "string": "VARCHAR",
    "char": "VARCHAR",
    "varchar": "VARCHAR",
    "boolean": "BOOLEAN",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
    "void": "NULL",
}


def spark_remote() -> str | None:
    """The Spark Connect URL from the environment (:data:`REMOTE_ENV`), or ``None``."""
    for name in REMOTE_ENV:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _shown(remote: str) -> str:
    """The remote without its parameters (``;token=...`` is a secret): ``sc://host:port``."""
    return remote.split(";", 1)[0].rstrip("/")


def _duck_type(spark_type: str) -> str:
    base = spark_type.split("(", 1)[0].strip().lower()
    if base == "decimal":
        return spark_type.upper()
    return _DUCK_TYPES.get(base, spark_type.upper())


@dataclass(frozen=True)
class SparkTable:
    """A table on a Spark cluster, ready to profile (the counterpart of a ``TableFile``).

    Attributes:
        name: the table as the dossier names it (``catalog.schema.table``).
        display: how messages name it (``spark:catalog.schema.table``).
        remote: the Spark Connect URL it was opened on.
        view: the session's temporary view over the table.
        columns: ``(name, DuckDB type)`` of each column, in table order.
        n_rows: number of rows (> 0).
        notes: what was unusual about the table.
    """

    name: str
    display: str
    remote: str
    view: str
    columns: tuple[tuple[str, str], ...]
    n_rows: int
    notes: tuple[str, ...] = ()
    format: Literal["spark"] = "spark"
    numbered: bool = False  # a table has no row numbers: samples are keyed by row hash

    @property
    def relation(self) -> str:
        """SQL (DuckDB dialect, translated before it runs) for the rows."""
        return ident(self.view)

    @property
    def row_key(self) -> str:
        """SQL for a per-row value that samples are keyed on: the hash of the whole row."""
        return "hash(" + ", ".join(ident(c) for c in self.names) + ")"

    @property
    def names(self) -> list[str]:
        """Column names in table order."""
        return [c for c, _ in self.columns]

    def dtype(self, column: str) -> str | None:
        """The DuckDB type of a column, or ``None`` when the table has no such column."""
        return dict(self.columns).get(column)


# --- the session ---------------------------------------------------------------------------

_sessions: dict[str, SparkSession] = {}
_sessions_lock = threading.Lock()


def _reachable(remote: str, display: str) -> None:
    """Fail fast on a server that does not answer: the client would retry for minutes."""
    url = urlparse(_shown(remote))
    if url.scheme != "sc" or not url.hostname:
        msg = f"the Spark remote {_shown(remote)!r} is not a Spark Connect URL (sc://host:port)"
        raise EvidenceError(msg, source=display)
    port = url.port or _DEFAULT_PORT
    try:
        with socket.create_connection((url.hostname, port), timeout=_CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        msg = f"the Spark Connect server {_shown(remote)} cannot be reached ({reason})"
        raise EvidenceError(msg, source=display) from None


def _session(remote: str, display: str) -> SparkSession:
    """One Spark Connect session per remote and process (opening one costs a round trip)."""
    with _sessions_lock:
        cached = _sessions.get(remote)
        if cached is not None:
            return cached
    _reachable(remote, display)
    try:
        with warnings.catch_warnings():
            # pyspark warns about pandas 3 on import; the profile never converts to pandas.
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql.connect.session import SparkSession
    except ImportError:
        msg = (
            "Spark tables need the Spark Connect client: pip install 'langgraph-gates[spark]'"
        )
        raise EvidenceError(msg, source=display) from None
    session = _guard(lambda: SparkSession.builder.remote(remote).create(), remote, display)
    _first_contact(session, remote, display)
    with _sessions_lock:
        return _sessions.setdefault(remote, session)


def _first_contact(session: SparkSession, remote: str, display: str) -> None:
    """Configure the new session, giving up after seconds rather than the client's minutes.

    The client's default policy retries an unavailable server for at least 10 minutes (meant for
    a cluster that restarts mid-job). A port that accepts TCP but never answers Spark Connect
    (e.g. a ``;token=`` URL, which makes the client speak TLS, against a plaintext server)
    would hang a review that long: the first call runs on a short policy (about 17 s of
    back-off), and a failed session is stopped so its clean-up cannot hang the exit either.
    """
    from pyspark.sql.connect.client.retries import DefaultPolicy

    client = session.client
    policies = client.get_retry_policies()
    client.set_retry_policies([DefaultPolicy(max_retries=_FIRST_CONTACT_RETRIES)])
    try:
        _guard(lambda: _configure(session), remote, display)
    except EvidenceError as exc:
        session.stop()  # best-effort by contract: never raises
        if ";" in remote and "token=" in remote.split(";", 1)[1]:
            hint = "; a token makes the client use TLS: does the server accept TLS?"
            raise EvidenceError(exc.message + hint, source=display) from None
        raise
    client.set_retry_policies(policies)


def close_sessions() -> None:
    """Stop this process's Spark Connect sessions (while their server still runs).

    An open client cleans up on the server when the process exits, retrying for minutes if the
    server has gone: whoever stops a server first closes the sessions on it (the test fixture).
    """
    with _sessions_lock:
        sessions = list(_sessions.values())
        _sessions.clear()
    for session in sessions:
        session.stop()  # best-effort by contract: never raises


def _configure(session: SparkSession) -> None:
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.conf.set("spark.sql.caseSensitive", "false")


def _reason(exc: BaseException) -> str:
    """The server's error as one line: its error class and first line, never the query."""
    condition = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    klass = str(condition() or "") if callable(condition) else ""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    first = lines[0] if lines else type(exc).__name__
    for cause in (exc, exc.__cause__, exc.__context__):
        code, details = getattr(cause, "code", None), getattr(cause, "details", None)
        if callable(code) and callable(details):  # gRPC: the repr's first line says nothing
            status = code()
            first = f"{getattr(status, 'name', status)}: {details()}"
            break
    if klass and first.startswith(f"[{klass}]"):
        first = first[len(klass) + 2 :].strip()
    text = f"{klass}: {first}" if klass else first
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON_CHARS else text[: _MAX_REASON_CHARS - 1] + "…"


def _guard(call: Callable[[], Any], remote: str, display: str) -> Any:
    """Run a Spark call; any failure becomes an :class:`EvidenceError` naming the table."""
    try:
        return call()
    except EvidenceError:
        raise
    except Exception as exc:  # pyspark raises many unrelated types (gRPC, Py4J-less errors)
        msg = f"Spark ({_shown(remote)}): {_reason(exc)}"
        raise EvidenceError(msg, source=display) from None


# --- running the profile's SQL ---------------------------------------------------------------


def _numpy_column(column: Any) -> Any:
    """One Arrow column as DuckDB's ``fetchnumpy`` gives it: a masked array when it has nulls.

    Text comes back as an object array, numbers in their own dtype; a ``DECIMAL(20, 0)`` (a row
    hash in DuckDB's unsigned range) as ``uint64``, as DuckDB's ``UBIGINT`` does.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_decimal(array.type) and array.type.scale == 0:
        array = pc.cast(array, pa.uint64() if array.type.precision > 19 else pa.int64())
    nulls = array.null_count
    if nulls and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        mask = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        filled = pc.fill_null(array, pa.scalar(0, array.type))
        return np.ma.MaskedArray(filled.to_numpy(zero_copy_only=False), mask=mask)
    if nulls and pa.types.is_boolean(array.type):
        mask = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        filled = pc.fill_null(array, False)
        return np.ma.MaskedArray(filled.to_numpy(zero_copy_only=False), mask=mask)
    values = array.to_numpy(zero_copy_only=False)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        values = np.asarray(values, dtype=object)
    if nulls:
        mask = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        return np.ma.MaskedArray(values, mask=mask)
    return values


@dataclass(frozen=True)
class SparkRows:
    """A Spark query's result, read like a DuckDB cursor's (it runs when first fetched).

    ``fetchone``/``fetchall`` collect rows (small aggregates); ``fetchnumpy`` streams Arrow
    batches and returns each column as a NumPy array, as DuckDB's ``fetchnumpy`` does, for the
    bounded samples the leakage and proxy statistics read.
    """

    collect: Callable[[], list[tuple[Any, ...]]]
    arrow: Callable[[], Any]

    def fetchone(self) -> tuple[Any, ...] | None:
        """The first row, or ``None``."""
        rows = self.collect()
        return rows[0] if rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every row."""
        return self.collect()

    def fetchnumpy(self) -> dict[str, Any]:
        """Every column as a NumPy array (masked where a value is NULL)."""
        table = self.arrow()
        return {name: _numpy_column(table.column(name)) for name in table.column_names}


class SparkSQL:
    """Runs the profile's DuckDB SQL on Spark, translated (the connection a scan is given).

    Args:
        session: the Spark Connect session.
        tables: the tables the queries may read; their views and columns.
    """

    def __init__(self, session: SparkSession, tables: Sequence[SparkTable]) -> None:
        self._session = session
        self._tables = tables
        self._schema: dict[str, dict[str, str]] = {t.view: dict(t.columns) for t in tables}

    def execute(self, query: str, parameters: Sequence[Any] = ()) -> SparkRows:
        """Translate ``query`` to Spark SQL, run it and collect its (small) result.

        Raises:
            EvidenceError: the query fails on the server.
        """
        # Imported here: sqlglot comes with the spark extra, and file reviews never need it.
        from langgraph_gates.evidence.spark_sql import to_spark

        table = self._tables[0]
        try:
            statement = to_spark(query, self._schema, parameters)
        except Exception as exc:  # sqlglot's errors: a query this translation does not cover
            msg = f"the query cannot be translated to Spark SQL ({type(exc).__name__}: {exc})"
            raise EvidenceError(msg, source=table.display) from None
        result = self._result(statement.sql, table)
        if statement.view is not None or statement.sql.startswith("DROP"):
            result.collect()  # a statement runs now, as DuckDB's would
        if statement.view is not None:
            self._schema[statement.view] = {c: "DOUBLE" for c in statement.columns}
        return result

    def _result(self, sql: str, table: SparkTable) -> SparkRows:
        @functools.cache  # a result is fetched once, however often it is read
        def collect() -> list[tuple[Any, ...]]:
            rows = _guard(lambda: self._session.sql(sql).collect(), table.remote, table.display)
            return [tuple(r) for r in rows]

        def arrow() -> Any:
            return _guard(lambda: self._session.sql(sql).toArrow(), table.remote, table.display)

        return SparkRows(collect, arrow)


def spark_scan(tables: Sequence[SparkTable], work: Callable[[SparkSQL], Any]) -> Any:
    """Run ``work`` with the profile's SQL running on the tables' Spark server.

    Raises:
        EvidenceError: the tables are on different servers, or the server fails.
    """
    remotes = {t.remote for t in tables}
    if len(remotes) > 1:
        msg = "the tables are on different Spark servers; a comparison needs both on one"
        raise EvidenceError(msg, source=tables[0].display)
    session = _session(tables[0].remote, tables[0].display)
    return work(SparkSQL(session, tables))


def _quoted(name: str, display: str) -> str:
    parts = name.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.strip() for p in parts):
        msg = "a table name is catalog.schema.table (one to three non-empty parts)"
        raise EvidenceError(msg, source=display)
    return ".".join("`" + p.strip().replace("`", "``") + "`" for p in parts)


def open_spark_table(name: str, *, remote: str | None = None) -> SparkTable:
    """Open a table on the Spark Connect server: its columns and row count.

    Args:
        name: ``catalog.schema.table`` as the dossier names it.
        remote: the Spark Connect URL; by default from the environment (:func:`spark_remote`).

    Raises:
        EvidenceError: no remote is configured, the server cannot be reached, or the table is
            missing, unreadable or empty.
    """
    display = f"spark:{name}"
    remote = remote or spark_remote()
    if not remote:
        msg = (
            "a Spark table needs a Spark Connect server: give --spark-remote sc://host:port "
            "or set GATES_SPARK_REMOTE (or SPARK_REMOTE)"
        )
        raise EvidenceError(msg, source=display)
    quoted = _quoted(name, display)
    session = _session(remote, display)
    view = "gates_src_" + hashlib.sha256(name.encode()).hexdigest()[:16]

    def describe() -> tuple[tuple[tuple[str, str], ...], int]:
        session.sql(f"CREATE OR REPLACE TEMPORARY VIEW {view} AS SELECT * FROM {quoted}")
        fields = session.table(view).schema.fields
        columns = tuple((f.name, _duck_type(f.dataType.simpleString())) for f in fields)
        counted = session.sql(f"SELECT count(*) FROM {view}").collect()
        return columns, int(counted[0][0])

    columns, n_rows = _guard(describe, remote, display)
    if not columns:
        raise EvidenceError("the table has no columns", source=display)
    if n_rows == 0:
        raise EvidenceError("the table has no rows", source=display)
    return SparkTable(
        name=name, display=display, remote=remote, view=view, columns=columns, n_rows=n_rows
    )

