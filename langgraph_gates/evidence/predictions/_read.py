"""Reading predictions: only the needed columns, as arrays, with one-line reasons.

The predictions are a local file (read with DuckDB) or a table on a Spark cluster (the same
SQL, translated and run there through :func:`~langgraph_gates.evidence.engine.run_scan`). Either
way the SELECT list, the text-sample query and every check on the values are defined once here,
so a table and a file holding the same rows give the same :class:`PredictionFrame`.

What comes back to this process is the needed columns of every row (labels, decisions, scores,
split and group columns: a few numbers per row), because AUC, calibration and group rates are
computed on the arrays. That holds for a table as for a file: the Spark path pushes the column
projection and casts to the cluster, not the statistics. A table bigger than
``policy.performance.max_table_prediction_rows`` is refused before any row is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence._duck import connect, duck_error, ident, type_family
from langgraph_gates.evidence.engine import Connection, run_scan
from langgraph_gates.evidence.spark_table import SparkTable

__all__ = [
    "ALL_ROWS",
    "HELD_OUT_SPLITS",
    "MISSING_GROUP",
    "SPLIT",
    "Y_PRED",
    "Y_SCORE",
    "Y_TRUE",
    "PredictionFrame",
    "plain",
    "read_predictions",
    "read_predictions_table",
]

Y_TRUE, Y_PRED, Y_SCORE, SPLIT = "y_true", "y_pred", "y_score", "split"
ALL_ROWS = "all"
"""The split name of every row when the file has no split column."""
HELD_OUT_SPLITS = ("test", "validation", ALL_ROWS)
"""Held-out splits in order of preference."""
MISSING_GROUP = "(missing)"

_SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
    "holdout": "test",
}

_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")


# --------------------------------------------------------------------------- reading


@dataclass
class PredictionFrame:
    """The needed columns of a predictions file or table as arrays (never the other columns)."""

    source: str
    rows: int
    columns: list[str]
    y_true: np.ndarray | None
    y_true_is_text: bool
    y_pred: np.ndarray | None
    y_pred_is_text: bool
    y_score: np.ndarray | None
    split: np.ndarray | None
    groups: dict[str, np.ndarray]
    group_is_numeric: dict[str, bool]
    absent: list[str]


def _relation(path: Path, source: str) -> str:
    name = path.name.lower()
    if name.endswith(_PARQUET_SUFFIXES):
        return "read_parquet(?)"
    if name.endswith(_CSV_SUFFIXES):
        return "read_csv(?, header = true)"
    msg = "unsupported format: expected a .csv or .parquet file"
    raise EvidenceError(msg, source=source)


def _conversion_reason(exc: BaseException, q: _Query) -> tuple[str, str | None]:
    """A one-line reason for DuckDB's conversion error, and the column it names."""
    text = str(exc)
    col = re.search(r'converting column "([^"]+)"', text)
    val = re.search(r'Could not convert string "([^"]*)"', text)
    line = re.search(r"Line: (\d+)", text)
    if col and val:
        where = f" on line {line.group(1)}" if line else ""
        return (
            f"holds text ({val.group(1)[:40]!r}){where}; expected numbers",
            col.group(1),
        )
    return _unreadable(exc, q), None


def _unreadable(exc: BaseException, q: _Query) -> str:
    assert q.path is not None  # only DuckDB raises duckdb.Error, and only for a file
    return f"cannot be read: {duck_error(exc, q.path, q.source)}"


def _fetch(q: _Query, selects: Sequence[str]) -> dict[str, np.ndarray]:
    return q.run(f"SELECT {', '.join(selects)} FROM {q.relation}").fetchnumpy()


def _text_sample(q: _Query, column: str) -> str | None:
    c = ident(column)
    sql = (
        f"SELECT {c} FROM {q.relation} WHERE {c} IS NOT NULL "
        f"AND TRY_CAST({c} AS DOUBLE) IS NULL LIMIT 1"
    )
    row = q.run(sql).fetchone()
    return None if row is None else str(row[0])


def plain(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Unmask a DuckDB column: the data and the number of empty (NULL) cells."""
    if isinstance(values, np.ma.MaskedArray):
        nulls = int(np.ma.count_masked(values))
        return np.asarray(values.data), nulls
    return np.asarray(values), 0


def read_predictions(
    path: Path, *, source: str, group_columns: Sequence[str] = ()
) -> PredictionFrame:
    """Read the columns the checks need from a predictions file.

    Args:
        path: the resolved file.
        source: the file as the dossier names it (used in messages).
        group_columns: sensitive and slice columns to read if present.

    Raises:
        EvidenceError: the file is missing, empty, unreadable, or a required column is absent,
            empty or holds text where numbers are expected.
    """
    if not path.is_file():
        raise EvidenceError("predictions file not found", source=source)
    if path.stat().st_size == 0:
        raise EvidenceError("predictions file is empty", source=source)
    relation = _relation(path, source)
    with connect() as con:
        return _read(_Query(con, relation, source, path=path), group_columns)


def read_predictions_table(
    table: SparkTable, *, max_rows: int, group_columns: Sequence[str] = ()
) -> PredictionFrame:
    """Read the columns the checks need from a predictions table on Spark.

    The queries are the file's (:func:`read_predictions`), run on the cluster; the needed
    columns of every row then come to this process, as from a file.

    Args:
        table: the opened table (its columns and row count are known).
        max_rows: the most rows brought to this process; a bigger table is refused.
        group_columns: sensitive and slice columns to read if present.

    Raises:
        EvidenceError: the table is too big, the server fails, or a required column is
            absent, empty or holds text where numbers are expected (as for a file).
    """
    if table.n_rows > max_rows:
        msg = (
            f"has {table.n_rows:,} rows, more than the {max_rows:,} that "
            "policy.performance.max_table_prediction_rows lets this process fetch (the metrics "
            "need every row's prediction): point the dossier at a held-out sample, or raise "
            "the limit"
        )
        raise EvidenceError(msg, source=table.display)

    def read(con: Connection) -> PredictionFrame:
        return _read(_Query(con, table.relation, table.display, table=table), group_columns)

    frame: PredictionFrame = run_scan([table], read)
    return frame


@dataclass(frozen=True)
class _Query:
    """One open predictions source: the connection its SQL runs on, its relation and names.

    A file's relation is a ``read_*(?)`` call bound to ``path``; a table's is its Spark view
    (``table``), whose columns and row count were read when it was opened.
    """

    con: Connection
    relation: str
    source: str
    path: Path | None = None
    table: SparkTable | None = None

    def run(self, sql: str) -> Any:
        """Run one of the queries below on this source (the path bound for a file)."""
        return self.con.execute(sql, [] if self.path is None else [str(self.path)])


@dataclass
class _Plan:
    """What to select: alias -> SQL, which label columns are text, the group columns found."""

    wanted: dict[str, str]
    text_cols: dict[str, bool]
    group_numeric: dict[str, bool]
    aliases: dict[str, str]
    absent: list[str]


def _describe(q: _Query) -> tuple[list[str], dict[str, tuple[str, str]], int]:
    """Column names, ``lower name -> (name, type)`` and the row count; refuses unusable files."""
    if q.table is not None:
        # Described and counted when the table was opened (as DuckDB type names).
        described: list[tuple[Any, ...]] = list(q.table.columns)
        rows = q.table.n_rows
    else:
        try:
            described = q.run(f"DESCRIBE SELECT * FROM {q.relation}").fetchall()
            counted = q.run(f"SELECT count(*) FROM {q.relation}").fetchone()
        except duckdb.Error as exc:
            raise EvidenceError(_unreadable(exc, q), source=q.source) from None
        rows = int(counted[0]) if counted else 0
    columns = [str(r[0]) for r in described]
    types = {str(r[0]).lower(): (str(r[0]), str(r[1])) for r in described}
    if Y_PRED not in types and Y_SCORE not in types:
        raise EvidenceError("needs a y_pred or y_score column", source=q.source, field=Y_PRED)
    if rows == 0:
        raise EvidenceError("no rows (header only)", source=q.source)
    # Text in a score column is always wrong; say which value, not DuckDB's whole message.
    # (A column typed as text without any text value is all empty: reported later as such.)
    if Y_SCORE in types and type_family(types[Y_SCORE][1]) != "numeric":
        sample = _text_sample(q, types[Y_SCORE][0])
        if sample is not None:
            msg = f"holds text ({sample[:40]!r}); expected probabilities in [0, 1]"
            raise EvidenceError(msg, source=q.source, field=Y_SCORE)
    return columns, types, rows


def _plan(types: dict[str, tuple[str, str]], group_columns: Sequence[str]) -> _Plan:
    """The SELECT list: labels and scores in a type NumPy can use, groups as numbers or text."""
    wanted: dict[str, str] = {}  # alias -> select expression
    text_cols: dict[str, bool] = {}
    for key in (Y_TRUE, Y_PRED, Y_SCORE):
        if key not in types:
            continue
        name, dtype = types[key]
        family = type_family(dtype)
        is_text = family not in ("numeric", "boolean")
        expr = ident(name)
        if key == Y_SCORE:
            is_text = False  # text values were refused before; what is left casts to numbers
            expr = f"TRY_CAST({expr} AS DOUBLE)"
        elif family == "boolean":
            expr = f"CAST({expr} AS INTEGER)"
        elif is_text:
            expr = f"CAST({expr} AS VARCHAR)"
        text_cols[key] = is_text
        wanted[key] = expr
    if SPLIT in types:
        wanted[SPLIT] = f"lower(trim(CAST({ident(types[SPLIT][0])} AS VARCHAR)))"
    group_numeric: dict[str, bool] = {}
    absent: list[str] = []
    for i, col in enumerate(dict.fromkeys(group_columns)):
        if col.lower() not in types:
            absent.append(col)
            continue
        name, dtype = types[col.lower()]
        numeric = type_family(dtype) == "numeric"
        group_numeric[col] = numeric
        cast = "DOUBLE" if numeric else "VARCHAR"
        wanted[f"g{i}"] = f"CAST({ident(name)} AS {cast})"
    aliases = {key: f"g{i}" for i, key in enumerate(dict.fromkeys(group_columns))}
    return _Plan(wanted, text_cols, group_numeric, aliases, absent)


def _required(
    data: dict[str, np.ndarray], key: str, plan: _Plan, rows: int, source: str
) -> np.ndarray:
    """A label or score column without empty or NaN values."""
    values, nulls = plain(data[key])
    if nulls:
        msg = f"{nulls} of {rows} value(s) are empty"
        raise EvidenceError(msg, source=source, field=key)
    if not plan.text_cols[key] and values.dtype.kind == "f" and np.isnan(values).any():
        msg = f"{int(np.isnan(values).sum())} of {rows} value(s) are NaN"
        raise EvidenceError(msg, source=source, field=key)
    return values


def _probabilities(y_score: np.ndarray, source: str) -> np.ndarray:
    y_score = y_score.astype(float)
    outside = (y_score < 0) | (y_score > 1)
    if outside.any():
        msg = (
            f"{int(outside.sum())} score(s) outside [0, 1] (min {y_score.min():.4g}, "
            f"max {y_score.max():.4g}); y_score must be a probability"
        )
        raise EvidenceError(msg, source=source, field=Y_SCORE)
    return y_score


def _splits(values: np.ndarray) -> np.ndarray:
    """Split names with their aliases resolved; an empty cell is its own split."""
    raw, _ = plain(values)
    mask = np.ma.getmaskarray(values)
    levels, inverse = np.unique(raw.astype(str), return_inverse=True)
    names = np.array([_SPLIT_ALIASES.get(v, v) for v in levels.tolist()], dtype=object)
    split = names[inverse] if len(levels) else np.array([], dtype=object)
    split[mask] = MISSING_GROUP
    return split


def _read(q: _Query, group_columns: Sequence[str]) -> PredictionFrame:
    columns, types, rows = _describe(q)
    plan = _plan(types, group_columns)
    selects = [f"{expr} AS {ident(alias)}" for alias, expr in plan.wanted.items()]
    try:
        data = _fetch(q, selects)
    except duckdb.ConversionException as exc:
        reason, column = _conversion_reason(exc, q)
        raise EvidenceError(reason, source=q.source, field=column) from None
    except duckdb.Error as exc:
        raise EvidenceError(_unreadable(exc, q), source=q.source) from None
    fetched = len(next(iter(data.values()))) if data else rows
    # A backstop: a table rewritten between opening and reading. (Spark itself refuses a view
    # whose files vanished, and an append after opening is not seen by the open view.)
    if fetched != rows:
        msg = f"changed while it was read ({rows} rows counted, {fetched} fetched); review again"
        raise EvidenceError(msg, source=q.source)

    def required(key: str) -> np.ndarray | None:
        return _required(data, key, plan, rows, q.source) if key in data else None

    # In this order, so the first bad column is the one reported, as before.
    y_true, y_pred, y_score = required(Y_TRUE), required(Y_PRED), required(Y_SCORE)
    return PredictionFrame(
        source=q.source,
        rows=rows,
        columns=columns,
        y_true=y_true,
        y_true_is_text=plan.text_cols.get(Y_TRUE, False),
        y_pred=y_pred,
        y_pred_is_text=plan.text_cols.get(Y_PRED, False),
        y_score=None if y_score is None else _probabilities(y_score, q.source),
        split=_splits(data[SPLIT]) if SPLIT in data else None,
        groups={col: data[plan.aliases[col]] for col in plan.group_numeric},
        group_is_numeric=plan.group_numeric,
        absent=plan.absent,
    )
