"""Out-of-core profiles of tabular evidence (training, validation and serving data) with DuckDB.

The data readiness and feature engineering checks read a few small Pydantic values computed
here, each cached by the evidence store (file content hash + policy fingerprint), so both gates
share them and a re-run does not recompute them:

* :func:`profile_table` -> :class:`TableProfile`, one per file: row count, per-column type
  family and missing count (null or NaN), min/max, the label's class counts, the timestamp's
  range, and for drift the binned distribution of every feature. A *reference* profile
  (training data) cuts the numeric bins at quantiles of the data and keeps the most frequent
  categories, and counts duplicate rows; a *compare* profile (serving data) counts its values in
  the reference's bins; a *basic* profile (validation data) has neither.

The same SQL profiles a table on a Spark cluster: :func:`~.engine.run_scan` hands it a
connection that translates it to Spark SQL (:mod:`~.spark_sql`), so each statistic is defined
here once, for both engines.

The leakage statistics (single-feature separation, train/validation overlap) are in
:mod:`langgraph_gates.evidence.leakage`; they share this module's SQL helpers.

Passes over the data (a CSV is first converted once to Parquet, see
:mod:`langgraph_gates.evidence._duck`; Parquet is columnar, so a pass reads only the columns it
names). A reference profile: one aggregate scan of every column (counts, NaNs, min/max), one scan
of the numeric features that keeps a deterministic sample of at most ``quantile_sample_rows``
rows in a temporary table (quantile edges and training shares per bin are measured on it), one
hash scan for duplicate rows, and a ``GROUP BY`` per categorical feature and for the label. A compare profile: one aggregate scan (its bins included) plus, per categorical
feature, one ``GROUP BY`` left-joined to the reference's distinct values (unmatched values are
unseen categories). Nothing is loaded whole into memory: only aggregates and bounded samples come back
to Python.

Samples are Bernoulli samples keyed on a hash of each row's position in the file, so the same
file gives the same sample on every run, whatever the thread schedule. Duplicate and overlap
counts compare 64-bit row hashes: two different rows collide with probability about
``n**2 / 2**65`` (3e-6 for 10 million rows), which cannot move a 1% threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from langgraph_gates.evidence._duck import (
    Family,
    ident,
    is_float,
    is_integer,
    open_table,
    type_family,
)
from langgraph_gates.evidence.engine import Connection, Table, run_scan
from langgraph_gates.evidence.psi import clean_edges, quantile_levels

__all__ = [
    "MAX_LABEL_CLASSES",
    "ColumnProfile",
    "Family",
    "LabelProfile",
    "ProfileMode",
    "TableProfile",
    "TimeProfile",
    "label_key_expr",
    "numeric_expr",
    "open_table",
    "profile_table",
    "run_scan",
    "sample_threshold",
    "text_expr",
    "type_family",
    "value_expr",
]

Role = Literal["feature", "label", "timestamp", "excluded"]
ProfileMode = Literal["reference", "compare", "basic"]

MAX_LABEL_CLASSES = 1000
"""A label with more distinct values than this is not counted per class."""

_MAX_AGGREGATES = 480  # per query: bounds the SQL text and its one result row on wide tables
_UINT64 = 1 << 64


def numeric_expr(column: str, dtype: str) -> str | None:
    """SQL giving a numeric or temporal column as DOUBLE, NaN as NULL; ``None`` otherwise."""
    c = ident(column)
    family = type_family(dtype)
    if family == "numeric":
        if is_float(dtype):
            return f"(CASE WHEN isnan({c}) THEN NULL ELSE CAST({c} AS DOUBLE) END)"
        return f"CAST({c} AS DOUBLE)"
    if family == "temporal":
        return f"CAST(epoch({c}) AS DOUBLE)"
    if family == "boolean":
        return f"CAST(CAST({c} AS INTEGER) AS DOUBLE)"
    return None


def text_expr(column: str, dtype: str) -> str:
    """SQL giving a column as text (categories), NaN as NULL."""
    c = ident(column)
    if is_float(dtype):
        return f"(CASE WHEN isnan({c}) THEN NULL ELSE CAST({c} AS VARCHAR) END)"
    return f"CAST({c} AS VARCHAR)"


def label_key_expr(column: str, dtype: str) -> str:
    """SQL giving a label value as its class name: ``1`` for both 1 and 1.0, NaN as NULL."""
    c = ident(column)
    if type_family(dtype) == "numeric" and not is_integer(dtype):
        # Floats and decimals: whole numbers print as integers, so 1.0 in one file and 1 in
        # another name the same class.
        nan = f"isnan(CAST({c} AS DOUBLE))"
        whole = f"CAST({c} AS DOUBLE) = round(CAST({c} AS DOUBLE)) AND abs({c}) < 1e15"
        return (
            f"(CASE WHEN {nan} THEN NULL WHEN {whole} THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({c} AS VARCHAR) END)"
        )
    return f"CAST({c} AS VARCHAR)"


def value_expr(column: str, dtype: str) -> str:
    """SQL for a column's comparable value: DOUBLE for numbers and times, text otherwise."""
    family = type_family(dtype)
    if family in ("numeric", "temporal"):
        expr = numeric_expr(column, dtype)
        assert expr is not None
        return expr
    if family in ("categorical", "boolean", "null"):
        return text_expr(column, dtype)
    return ident(column)


def _binned_family(family: Family) -> Literal["numeric", "categorical"] | None:
    if family in ("numeric", "temporal"):
        return "numeric"
    if family in ("categorical", "boolean", "null"):
        return "categorical"
    return None


class ColumnProfile(BaseModel):
    """One column of a file."""

    name: str = Field(description="Column name.")
    dtype: str = Field(description="DuckDB type, e.g. 'DOUBLE', 'VARCHAR'.")
    family: Family = Field(description="numeric, categorical, boolean, temporal, null or other.")
    role: Role = Field(description="feature, label, timestamp or excluded.")
    n_missing: int = Field(description="Rows where the value is null (or NaN).")
    minimum: float | None = Field(default=None, description="Smallest value (epoch s for time).")
    maximum: float | None = Field(default=None, description="Largest value (epoch s for time).")
    edges: list[float] = Field(
        default_factory=list, description="Numeric bin edges (from the reference's quantiles)."
    )
    bins: list[int] = Field(
        default_factory=list,
        description="Values per numeric bin (len(edges)+1), counted on the rows of "
        "`bin_rows`; a reference profile counts on its quantile sample.",
    )
    bin_missing: int = Field(
        default=0, description="Missing values among the rows the bins were counted on."
    )
    categories: list[str] = Field(
        default_factory=list, description="The reference's most frequent categories."
    )
    category_counts: list[int] = Field(
        default_factory=list, description="Rows per category in `categories`."
    )
    other_count: int = Field(
        default=0,
        description="Non-missing values outside `categories` that the reference also has.",
    )
    unseen_count: int = Field(
        default=0,
        description="Non-missing values the reference never has (compare profiles).",
    )
    n_distinct: int | None = Field(
        default=None, description="Distinct non-missing values (categorical columns)."
    )

    @property
    def binned(self) -> Literal["numeric", "categorical"] | None:
        """How the column is binned for drift, or ``None`` when it is not."""
        return _binned_family(self.family)


class LabelProfile(BaseModel):
    """The label column of a file."""

    column: str
    present: bool = Field(description="Whether the file has the column.")
    dtype: str | None = None
    family: Family | None = None
    n_missing: int = 0
    classes: dict[str, int] | None = Field(
        default=None,
        description=f"Rows per label value (None beyond {MAX_LABEL_CLASSES} values).",
    )
    n_distinct: int = 0
    minimum: float | None = None
    maximum: float | None = None


class TimeProfile(BaseModel):
    """The timestamp column of a file."""

    column: str
    present: bool = Field(description="Whether the file has the column.")
    dtype: str | None = None
    n_missing: int = 0
    n_unparseable: int = Field(default=0, description="Text values that are not a date/time.")
    minimum: float | None = Field(default=None, description="Oldest time, epoch seconds (UTC).")
    maximum: float | None = Field(default=None, description="Newest time, epoch seconds (UTC).")
    problem: str | None = Field(default=None, description="Why the column gives no times.")


class TableProfile(BaseModel):
    """What is known about one tabular file after profiling it."""

    source: str = Field(description="The file as the dossier names it.")
    format: Literal["parquet", "csv", "spark"]
    mode: ProfileMode = Field(description="reference (training), compare (serving) or basic.")
    n_rows: int
    columns: list[ColumnProfile]
    label: LabelProfile | None = None
    timestamp: TimeProfile | None = None
    duplicate_rows: int | None = Field(
        default=None, description="Rows that repeat an earlier row (reference profiles)."
    )
    duplicate_columns: list[str] = Field(
        default_factory=list, description="Columns compared to find duplicates."
    )
    quantile_sample_rows: int | None = Field(
        default=None, description="Rows (about) the numeric bin edges were cut from."
    )
    reference_source: str | None = Field(
        default=None, description="The reference file of a compare profile."
    )
    notes: list[str] = Field(default_factory=list, description="What was unusual in the file.")

    def column(self, name: str) -> ColumnProfile | None:
        """The profile of a column, or ``None``."""
        return next((c for c in self.columns if c.name == name), None)

    @property
    def features(self) -> list[ColumnProfile]:
        """The feature columns, in file order."""
        return [c for c in self.columns if c.role == "feature"]

    @property
    def column_names(self) -> list[str]:
        """Every column name, in file order."""
        return [c.name for c in self.columns]


def _role(name: str, label: str | None, timestamp: str | None, excluded: set[str]) -> Role:
    if name == label:
        return "label"
    if name == timestamp:
        return "timestamp"
    if name in excluded:
        return "excluded"
    return "feature"


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class _Aggregates:
    """Builds a wide aggregate query by name and reads its single result row back by name."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, sql: str) -> None:
        """Add the aggregate ``sql`` under ``key``."""
        self.items.append((key, sql))

    def run(self, con: Connection, relation: str, where: str = "") -> dict[str, Any]:
        """Run the aggregates over ``relation``.

        A wide table takes several scans of its column subsets; Parquet reads only the columns
        a scan names.
        """
        out: dict[str, Any] = {}
        for start in range(0, len(self.items), _MAX_AGGREGATES):
            chunk = self.items[start : start + _MAX_AGGREGATES]
            select = ", ".join(sql for _, sql in chunk)
            row = con.execute(f"SELECT {select} FROM {relation} {where}").fetchone()
            assert row is not None
            out.update({key: value for (key, _), value in zip(chunk, row, strict=True)})
        return out


def sample_threshold(n_rows: int, sample_rows: int) -> int | None:
    """The hash threshold that keeps about ``sample_rows`` of ``n_rows``; ``None``: keep all."""
    if n_rows <= sample_rows:
        return None
    return int(_UINT64 * (sample_rows / n_rows))


def profile_table(
    table: Table,
    *,
    label: str | None,
    timestamp: str | None,
    excluded: Sequence[str] = (),
    mode: ProfileMode = "basic",
    reference: TableProfile | None = None,
    reference_table: Table | None = None,
    psi_bins: int = 10,
    max_categories: int = 50,
    quantile_sample_rows: int = 1_000_000,
) -> TableProfile:
    """Profile one file (see the module docstring for what each mode computes).

    Args:
        table: the opened file (:func:`open_table`).
        label: the label column, if any.
        timestamp: the event-time column, if any.
        excluded: columns that are not features.
        mode: ``reference``, ``compare`` (needs ``reference``) or ``basic``.
        reference: the reference profile whose bins a compare profile counts into.
        reference_table: the reference's file (a compare profile counts unseen categories).
        psi_bins: equal-mass bins cut from the reference's quantiles.
        max_categories: most frequent categories kept as their own bins.
        quantile_sample_rows: rows (about) the quantile edges are cut from.

    Raises:
        EvidenceError: the file cannot be scanned.
    """
    if mode == "compare" and (reference is None or reference_table is None):
        msg = "a compare profile needs a reference profile and its file"
        raise ValueError(msg)
    excluded_set = set(excluded)
    columns = [
        ColumnProfile(
            name=name,
            dtype=dtype,
            family=type_family(dtype),
            role=_role(name, label, timestamp, excluded_set),
            n_missing=0,
        )
        for name, dtype in table.columns
    ]

    def work(con: Connection) -> TableProfile:
        values = _first_pass(con, table, columns, mode, reference)
        _apply_first_pass(table, columns, values, mode, reference)
        if mode == "reference":
            _reference_bins(con, table, columns, psi_bins, quantile_sample_rows)
        if mode in ("reference", "compare"):
            _count_categories(con, table, columns, mode, reference, reference_table, max_categories)
        dups: int | None = None
        dup_cols: list[str] = []
        if mode == "reference":
            dup_cols = [c.name for c in columns if c.role != "excluded"]
            dups = _duplicates(con, table, dup_cols)
        return TableProfile(
            source=table.display,
            format=table.format,
            mode=mode,
            n_rows=table.n_rows,
            columns=columns,
            label=_label_profile(con, table, columns, label, values.get("label_distinct")),
            timestamp=_time_profile(table, timestamp, values),
            duplicate_rows=dups,
            duplicate_columns=dup_cols,
            quantile_sample_rows=(
                min(table.n_rows, quantile_sample_rows) if mode == "reference" else None
            ),
            reference_source=reference.source if reference is not None else None,
            notes=list(table.notes),
        )

    result: TableProfile = run_scan(
        [table] if reference_table is None else [table, reference_table], work
    )
    return result


def _compare_expr(col: ColumnProfile) -> str:
    """SQL comparable with a numeric bin edge, as cheap as possible.

    A float column is compared as it is: DuckDB orders NaN above every number, so ``x <= edge``
    never counts a NaN, and the NaNs are counted as missing in the first pass.
    """
    if col.family == "temporal":
        return f"epoch({ident(col.name)})"
    return ident(col.name)


def _first_pass(
    con: Connection,
    table: Table,
    columns: list[ColumnProfile],
    mode: ProfileMode,
    reference: TableProfile | None,
) -> dict[str, Any]:
    """Counts, NaNs, min/max of every column (and a compare profile's bins) in one scan."""
    agg = _Aggregates()
    for i, col in enumerate(columns):
        c = ident(col.name)
        agg.add(f"n{i}", f"count({c})")
        if col.family == "numeric":
            if is_float(col.dtype):
                agg.add(f"nan{i}", f"count_if(isnan({c}))")
            agg.add(f"lo{i}", f"min({c})")
            agg.add(f"hi{i}", f"max({c})")
        elif col.family == "temporal":
            agg.add(f"lo{i}", f"epoch(min({c}))")
            agg.add(f"hi{i}", f"epoch(max({c}))")
        if mode == "compare" and reference is not None and col.role == "feature":
            ref = reference.column(col.name)
            if ref is not None and ref.binned == "numeric" and ref.family == col.family:
                for k, edge in enumerate(ref.edges):
                    agg.add(f"b{i}_{k}", f"count_if({_compare_expr(col)} <= {edge!r})")
    lab = next((c for c in columns if c.role == "label"), None)
    if lab is not None and lab.family != "other":
        # Sketch first: a numeric regression label must not be grouped by its 10M values.
        agg.add("label_distinct", f"approx_count_distinct({ident(lab.name)})")
    ts = next((c for c in columns if c.role == "timestamp"), None)
    if ts is not None and ts.family == "categorical":
        parsed = f"epoch(TRY_CAST({ident(ts.name)} AS TIMESTAMP))"
        agg.add("ts_n", f"count({parsed})")
        agg.add("ts_lo", f"min({parsed})")
        agg.add("ts_hi", f"max({parsed})")
    values = agg.run(con, table.relation)
    # A float column with NaN has max() = NaN (NaN sorts last): find its real maximum. Rare
    # (pandas writes NaN, most writers null), so this extra scan is usually skipped.
    again = _Aggregates()
    for i, col in enumerate(columns):
        if int(values.get(f"nan{i}") or 0) > 0:
            again.add(
                f"hi{i}", f"max({ident(col.name)}) FILTER (WHERE NOT isnan({ident(col.name)}))"
            )
    if again.items:
        values.update(again.run(con, table.relation))
    return values


def _apply_first_pass(
    table: Table,
    columns: list[ColumnProfile],
    values: dict[str, Any],
    mode: ProfileMode,
    reference: TableProfile | None,
) -> None:
    for i, col in enumerate(columns):
        present = int(values[f"n{i}"]) - int(values.get(f"nan{i}") or 0)
        col.n_missing = table.n_rows - present
        col.minimum = _finite(values.get(f"lo{i}"))
        col.maximum = _finite(values.get(f"hi{i}"))
        if mode != "compare" or reference is None or col.role != "feature":
            continue
        ref = reference.column(col.name)
        if ref is None or ref.binned != "numeric" or ref.family != col.family:
            continue
        col.edges = list(ref.edges)
        cumulative = [int(values[f"b{i}_{k}"]) for k in range(len(ref.edges))]
        col.bins = _bins_from_cumulative(cumulative, present)
        col.bin_missing = col.n_missing


def _bins_from_cumulative(cumulative: list[int], present: int) -> list[int]:
    bins, previous = [], 0
    for c in cumulative:
        bins.append(c - previous)
        previous = c
    bins.append(present - previous)
    return bins


def _reference_bins(
    con: Connection,
    table: Table,
    columns: list[ColumnProfile],
    psi_bins: int,
    sample_rows: int,
) -> None:
    """Cut the numeric features' quantile edges and count the training shares per bin.

    Both are measured on one deterministic sample of at most ``sample_rows`` rows (every row
    below that), kept in a temporary table so the file is scanned once for it: a full pass
    would cost more than all other statistics together, and a share measured on a million rows
    is within 0.001 of the true share (a PSI error below 1e-4). Serving data is counted on
    every row.
    """
    numeric = [
        (i, col)
        for i, col in enumerate(columns)
        if col.role == "feature" and col.binned == "numeric"
    ]
    if not numeric:
        return
    values = ", ".join(f"{numeric_expr(col.name, col.dtype)} AS c{i}" for i, col in numeric)
    threshold = sample_threshold(table.n_rows, sample_rows)
    # A wide table takes dozens of aggregate chunks per pass: a subquery would be re-read and
    # re-cast for each, so it is materialised even when every row is kept (2,000 columns:
    # 55 s -> 9 s). A narrow one is read as it is (one chunk; a copy would only cost).
    many_chunks = len(numeric) * (psi_bins + 1) > _MAX_AGGREGATES
    if threshold is None and not many_chunks:
        source = f"(SELECT {values} FROM {table.relation})"
    else:
        where = "" if threshold is None else f"WHERE hash({table.row_key}) < {threshold}::UBIGINT"
        con.execute(
            f"CREATE TEMP TABLE gates_sample AS SELECT {values} FROM {table.relation} {where}"
        )
        source = "gates_sample"
    levels = "[" + ", ".join(repr(q) for q in quantile_levels(psi_bins)) + "]"
    cuts = _Aggregates()
    for i, _ in numeric:
        cuts.add(f"q{i}", f"quantile_cont(c{i}, {levels})")
    edges = cuts.run(con, source)
    counts = _Aggregates()
    counts.add("rows", "count(*)")
    for i, col in numeric:
        col.edges = clean_edges(edges[f"q{i}"] or [])
        counts.add(f"n{i}", f"count(c{i})")
        for k, edge in enumerate(col.edges):
            counts.add(f"b{i}_{k}", f"count_if(c{i} <= {edge!r})")
    counted = counts.run(con, source)
    rows = int(counted["rows"])
    for i, col in numeric:
        present = int(counted[f"n{i}"])
        cumulative = [int(counted[f"b{i}_{k}"]) for k in range(len(col.edges))]
        col.bins = _bins_from_cumulative(cumulative, present)
        col.bin_missing = rows - present
    if source == "gates_sample":
        con.execute("DROP TABLE gates_sample")


def _count_categories(
    con: Connection,
    table: Table,
    columns: list[ColumnProfile],
    mode: ProfileMode,
    reference: TableProfile | None,
    reference_table: Table | None,
    max_categories: int,
) -> None:
    for col in columns:
        if col.role != "feature" or col.binned != "categorical":
            continue
        expr = text_expr(col.name, col.dtype)
        present = table.n_rows - col.n_missing
        if mode == "reference":
            rows = con.execute(
                f"SELECT v, k, count(*) OVER () FROM (SELECT {expr} AS v, count(*) AS k "
                f"FROM {table.relation} WHERE v IS NOT NULL GROUP BY v) "
                f"ORDER BY k DESC, v LIMIT {int(max_categories)}"
            ).fetchall()
            col.categories = [str(r[0]) for r in rows]
            col.category_counts = [int(r[1]) for r in rows]
            col.n_distinct = int(rows[0][2]) if rows else 0
        else:
            ref = reference.column(col.name) if reference is not None else None
            if ref is None or ref.binned != "categorical" or reference_table is None:
                continue
            found, col.unseen_count = _compare_categories(con, table, col, reference_table, ref)
            col.categories = list(ref.categories)
            col.category_counts = [found.get(c, 0) for c in ref.categories]
        col.other_count = present - sum(col.category_counts) - col.unseen_count


def _compare_categories(
    con: Connection,
    table: Table,
    col: ColumnProfile,
    reference_table: Table,
    ref: ColumnProfile,
) -> tuple[dict[str, int], int]:
    """Rows per reference category, and rows whose category the reference never has.

    One scan of the column: its distinct values with their counts, left-joined to the
    reference's distinct values (an unmatched value is unseen).
    """
    mine = text_expr(col.name, col.dtype)
    theirs = text_expr(ref.name, ref.dtype)
    rows = con.execute(
        f"WITH s AS (SELECT {mine} AS v, count(*) AS k FROM {table.relation} "
        "WHERE v IS NOT NULL GROUP BY v), "
        f"t AS (SELECT DISTINCT {theirs} AS v FROM {reference_table.relation}) "
        "SELECT CASE WHEN list_contains(?, s.v) THEN s.v END AS cat, t.v IS NULL AS unseen, "
        "sum(s.k) FROM s LEFT JOIN t ON s.v = t.v GROUP BY ALL",
        [ref.categories],
    ).fetchall()
    found = {str(cat): int(k) for cat, unseen, k in rows if cat is not None and not unseen}
    unseen = sum(int(k) for _, is_unseen, k in rows if is_unseen)
    return found, unseen


def _duplicates(con: Connection, table: Table, names: list[str]) -> int | None:
    if not names:
        return None
    cols = ", ".join(ident(n) for n in names)
    row = con.execute(
        f"SELECT count(*) - count(DISTINCT hash({cols})) FROM {table.relation}"
    ).fetchone()
    return int(row[0]) if row else None


def _label_profile(
    con: Connection,
    table: Table,
    columns: list[ColumnProfile],
    label: str | None,
    approx_distinct: int | None,
) -> LabelProfile | None:
    if not label:
        return None
    col = next((c for c in columns if c.role == "label"), None)
    if col is None:
        return LabelProfile(column=label, present=False)
    out = LabelProfile(
        column=label,
        present=True,
        dtype=col.dtype,
        family=col.family,
        n_missing=col.n_missing,
        minimum=col.minimum,
        maximum=col.maximum,
    )
    if col.family == "other":
        return out
    if approx_distinct is not None and approx_distinct > 2 * MAX_LABEL_CLASSES:
        out.n_distinct = int(approx_distinct)
        return out
    expr = label_key_expr(col.name, col.dtype)
    rows = con.execute(
        f"SELECT v, k, count(*) OVER () FROM (SELECT {expr} AS v, count(*) AS k "
        f"FROM {table.relation} WHERE v IS NOT NULL GROUP BY v) "
        f"ORDER BY k DESC, v LIMIT {MAX_LABEL_CLASSES + 1}"
    ).fetchall()
    out.n_distinct = int(rows[0][2]) if rows else 0
    if out.n_distinct <= MAX_LABEL_CLASSES:
        out.classes = {str(r[0]): int(r[1]) for r in rows}
    return out


def _time_profile(
    table: Table, timestamp: str | None, values: dict[str, Any]
) -> TimeProfile | None:
    if not timestamp:
        return None
    dtype = table.dtype(timestamp)
    if dtype is None:
        return TimeProfile(column=timestamp, present=False, problem="the file has no such column")
    idx = table.names.index(timestamp)
    present = int(values[f"n{idx}"])
    out = TimeProfile(column=timestamp, present=True, dtype=dtype, n_missing=table.n_rows - present)
    family = type_family(dtype)
    if family == "temporal":
        out.minimum = _finite(values.get(f"lo{idx}"))
        out.maximum = _finite(values.get(f"hi{idx}"))
    elif family == "categorical":
        parsed = int(values["ts_n"])
        out.n_unparseable = present - parsed
        out.minimum = _finite(values.get("ts_lo"))
        out.maximum = _finite(values.get("ts_hi"))
        if parsed == 0 and present > 0:
            out.problem = "no value parses as a date or time"
    else:
        out.problem = f"type {dtype} is not a date or time"
    if out.maximum is None and out.problem is None:
        out.problem = "every value is missing"
    return out
