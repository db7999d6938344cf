"""Lining up the champion's predictions with the candidate's, row by row, inside DuckDB.

The candidate's predictions file and the champion's predictions (a file of their own, or two
columns of the candidate's file) become one DuckDB table ``paired``: a row id, the truth, both
models' decisions and scores, and the group columns as text. The table lives in the connection
(DuckDB spills it to disk beyond its memory limit): no array of rows is built in Python, so a
million-row file costs the same Python memory as a thousand-row one.

Misaligned evidence raises :class:`~langgraph_gates.errors.EvidenceError`: a champion file with
a different number of rows (no key), keys that do not match or repeat, a ``y_true`` that
differs from the candidate's on the same row, or a champion column that is absent or empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence._duck import TableFile, ident, literal, open_table, type_family
from langgraph_gates.evidence.engine import Connection
from langgraph_gates.evidence.spark_table import SparkTable

__all__ = ["MISSING_GROUP", "ChampionSource", "PairedTable", "pair_predictions"]

MISSING_GROUP = "(missing)"
_FIELD = "performance.champion"
# Split names a held-out row may carry, in order of preference (the predictions file's aliases).
_HELD_OUT = (
    ("test", ("test", "testing", "holdout")),
    ("validation", ("validation", "valid", "val", "dev")),
)


@dataclass(frozen=True)
class ChampionSource:
    """Where the champion's predictions are.

    Attributes:
        path: the champion's own predictions file, or ``None`` when its predictions are
            columns of the candidate's file.
        display: the champion's file as the dossier names it (or ``None``).
        pred_column: the champion's decision column (``y_pred`` in its own file by default).
        score_column: the champion's score column (``y_score`` in its own file by default).
        key: a column in both files that identifies a row; ``None`` pairs rows by position.
    """

    path: Path | None
    display: str | None
    pred_column: str | None = None
    score_column: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class PairedTable:
    """What :func:`pair_predictions` built: the table's shape and where it came from."""

    rows: int
    split: str
    has_scores: bool
    text_labels: bool
    groups: tuple[str, ...]
    absent_groups: tuple[str, ...]
    champion_display: str


@dataclass(frozen=True)
class _Side:
    """One model's columns: the table they are in, its SQL alias, decision and score columns."""

    table: TableFile | SparkTable
    alias: str
    pred: str | None
    score: str | None


def _col(table: TableFile | SparkTable, name: str) -> str | None:
    """The file's own spelling of a column, matched without regard to case."""
    return {c.lower(): c for c in table.names}.get(name.lower())


def _need(table: TableFile | SparkTable, name: str, role: str) -> str:
    found = _col(table, name)
    if found is None:
        msg = f"has no {role} column {name!r} (columns: {', '.join(table.names[:12])})"
        raise EvidenceError(msg, source=table.display, field=name)
    return found


def _held_out(con: Connection, cand: TableFile | SparkTable) -> tuple[str, str]:
    """The held-out split's name and the SQL filter on its rows (all rows without a split)."""
    split_col = _col(cand, "split")
    if split_col is None:
        return "all", "TRUE"
    expr = f"lower(trim(CAST(c.{ident(split_col)} AS VARCHAR)))"
    found = {
        str(r[0]) for r in con.execute(f"SELECT DISTINCT {expr} FROM {cand.relation} c").fetchall()
    }
    for name, aliases in _HELD_OUT:
        if found & set(aliases):
            return name, f"{expr} IN ({', '.join(literal(a) for a in aliases)})"
    shown = ", ".join(sorted(found))
    msg = f"has no held-out rows (test or validation) to compare on (splits: {shown})"
    raise EvidenceError(msg, source=cand.display, field="split")


def _decision(side: _Side, *, text: bool) -> str:
    """SQL for a model's decision (``score >= 0.5`` when it has only a score)."""
    cast = "VARCHAR" if text else "DOUBLE"
    if side.pred is not None:
        return f"CAST({side.alias}.{ident(side.pred)} AS {cast})"
    assert side.score is not None  # callers refuse a side with neither
    return f"CAST(CAST({_score(side)} >= 0.5 AS INTEGER) AS {cast})"


def _score(side: _Side) -> str:
    return f"CAST({side.alias}.{ident(side.score or '')} AS DOUBLE)"


def _row_id(table: TableFile | SparkTable) -> str:
    """The candidate row's position, so bootstrap weights do not depend on thread order.

    A Spark table has no row numbers: its rows are numbered in the order of their hashes, so
    the number does not depend on how the table is partitioned (identical rows tie, and they
    are interchangeable, so which one gets which number changes nothing).
    """
    if table.numbered:
        return "c.file_row_number"
    row_hash = "hash(" + ", ".join(f"c.{ident(n)}" for n in table.names) + ")"
    if isinstance(table, SparkTable):
        return f"row_number() OVER (ORDER BY {row_hash})"
    return row_hash


def _join(cand: TableFile | SparkTable, champ: TableFile | SparkTable, key: str | None) -> str:
    """The JOIN clause pairing the champion's rows with the candidate's."""
    if key is not None:
        ck, pk = _need(cand, key, "key"), _need(champ, key, "key")
        return f"LEFT JOIN {champ.relation} p ON c.{ident(ck)} = p.{ident(pk)}"
    if champ.n_rows != cand.n_rows:
        msg = (
            f"has {champ.n_rows} rows and the candidate's predictions {cand.n_rows}: without "
            f"{_FIELD}.key the rows are paired by position, so both files need the same rows "
            "in the same order"
        )
        raise EvidenceError(msg, source=champ.display, field=f"{_FIELD}.key")
    if not (cand.numbered and champ.numbered):
        msg = f"has its own file_row_number column: pair the rows with {_FIELD}.key"
        raise EvidenceError(msg, source=champ.display, field=f"{_FIELD}.key")
    return f"LEFT JOIN {champ.relation} p ON c.file_row_number = p.file_row_number"


def _matched(side: _Side, key: str | None) -> str:
    """SQL that is true when the champion has a row for the candidate's row."""
    if side.alias == "c":
        return "TRUE"
    column = "file_row_number" if key is None else ident(_need(side.table, key, "key"))
    return f"p.{column} IS NOT NULL"


def _champion_side(
    cand: TableFile | SparkTable, source: ChampionSource, null_values: Sequence[str]
) -> _Side:
    if source.path is None:
        table, alias = cand, "c"
    else:
        table = open_table(source.path, source.display or source.path.name, null_values=null_values)
        alias = "p"
    pred = None if source.pred_column is None else _need(table, source.pred_column, "champion")
    score = None if source.score_column is None else _need(table, source.score_column, "champion")
    if source.path is not None and pred is None and score is None:
        pred, score = _col(table, "y_pred"), _col(table, "y_score")
    if pred is None and score is None:
        msg = "has no champion prediction column (y_pred or y_score, or the declared columns)"
        raise EvidenceError(msg, source=table.display, field=_FIELD)
    return _Side(table, alias, pred, score)


def pair_predictions(
    con: Connection,
    candidate: tuple[Path, str] | SparkTable,
    champion: ChampionSource,
    *,
    group_columns: Sequence[str],
    null_values: Sequence[str],
) -> PairedTable:
    """Create the ``paired`` table in ``con`` from the candidate's and the champion's predictions.

    Args:
        con: an open DuckDB connection (from :func:`~langgraph_gates.evidence._duck.connect`),
            or the Spark session's translating connection for a table.
        candidate: the candidate's predictions file and its name in the dossier, or its
            opened Spark table.
        champion: where the champion's predictions are.
        group_columns: slice and sensitive columns of the candidate's file to group by.
        null_values: CSV cells read as missing.

    Raises:
        EvidenceError: a file cannot be read, a needed column is absent or empty, or the two
            sets of predictions are not on the same rows.
    """
    cand = (
        candidate
        if isinstance(candidate, SparkTable)
        else open_table(candidate[0], candidate[1], null_values=null_values)
    )
    y_true = _need(cand, "y_true", "truth (y_true)")
    text = type_family(cand.dtype(y_true) or "") not in ("numeric", "boolean")
    split, where = _held_out(con, cand)
    mine = _Side(cand, "c", _col(cand, "y_pred"), _col(cand, "y_score"))
    if mine.pred is None and mine.score is None:
        raise EvidenceError("needs a y_pred or y_score column", source=cand.display, field="y_pred")
    theirs = _champion_side(cand, champion, null_values)
    join = "" if champion.path is None else _join(cand, theirs.table, champion.key)
    present = [g for g in dict.fromkeys(group_columns) if _col(cand, g) is not None]
    has_scores = mine.score is not None and theirs.score is not None
    champ_truth = None if theirs.alias == "c" else _col(theirs.table, "y_true")
    label = "VARCHAR" if text else "DOUBLE"
    selects = [
        f"{_row_id(cand)} AS rid",
        f"CAST(c.{ident(y_true)} AS {label}) AS y",
        f"{_decision(mine, text=text)} AS c_pred",
        f"{_decision(theirs, text=text)} AS p_pred",
        f"{_score(mine) if has_scores else 'NULL::DOUBLE'} AS c_score",
        f"{_score(theirs) if has_scores else 'NULL::DOUBLE'} AS p_score",
        f"{'NULL' if champ_truth is None else f'p.{ident(champ_truth)}'}::VARCHAR AS p_y",
        f"{_matched(theirs, champion.key)} AS matched",
        *(
            f"coalesce(CAST(c.{ident(_col(cand, g) or g)} AS VARCHAR), "
            f"{literal(MISSING_GROUP)}) AS g{i}"
            for i, g in enumerate(present)
        ),
    ]
    sql = f"CREATE TEMP TABLE paired AS SELECT {', '.join(selects)} FROM {cand.relation} c {join} WHERE {where}"
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        msg = f"cannot be paired with the candidate's predictions: {str(exc).splitlines()[0]}"
        raise EvidenceError(msg, source=theirs.table.display, field=_FIELD) from None
    held = con.execute(f"SELECT count(*) FROM {cand.relation} c WHERE {where}").fetchone()
    rows = _validate(con, theirs.table.display, int(held[0]) if held else 0)
    return PairedTable(
        rows=rows,
        split=split,
        has_scores=has_scores,
        text_labels=text,
        groups=tuple(present),
        absent_groups=tuple(g for g in dict.fromkeys(group_columns) if g not in present),
        champion_display=theirs.table.display
        if theirs.alias == "p"
        else f"{cand.display} (champion columns)",
    )


def _validate(con: Connection, display: str, held_rows: int) -> int:
    """Refuse a pairing that is not one champion prediction per candidate row, on the same truth."""
    row = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT matched), "
        "count(*) FILTER (WHERE matched AND (p_pred IS NULL)), "
        "count(*) FILTER (WHERE y IS NULL OR c_pred IS NULL), "
        "count(*) FILTER (WHERE p_y IS NOT NULL AND p_y <> CAST(y AS VARCHAR) "
        "AND TRY_CAST(p_y AS DOUBLE) IS DISTINCT FROM TRY_CAST(y AS DOUBLE)), "
        "count(*) FILTER (WHERE c_score NOT BETWEEN 0 AND 1 OR p_score NOT BETWEEN 0 AND 1) "
        "FROM paired"
    ).fetchone()
    assert row is not None
    total, unmatched, empty, no_truth, truth_differs, outside = (int(v) for v in row)
    problems = [
        (total == 0, "no held-out rows to compare on"),
        (total > held_rows, f"its key repeats: {total} pairs for {held_rows} candidate rows"),
        (unmatched > 0, f"{unmatched} of {total} held-out candidate rows have no champion row"),
        (empty > 0, f"{empty} of {total} champion predictions are empty"),
        (no_truth > 0, f"{no_truth} of {total} candidate rows have an empty y_true or y_pred"),
        (
            truth_differs > 0,
            f"y_true differs from the candidate's on {truth_differs} of "
            f"{total} rows: the files are not on the same rows",
        ),
        (outside > 0, f"{outside} score(s) outside [0, 1]"),
    ]
    for bad, reason in problems:
        if bad:
            raise EvidenceError(
                f"misaligned with the candidate's predictions: {reason}",
                source=display,
                field=_FIELD,
            )
    return total
