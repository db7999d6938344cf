"""Leakage statistics over tabular evidence, out-of-core on the engine where the data is.

* :func:`separation_report` -> :class:`SeparationReport`: how well each feature alone predicts
  the label (FE.TARGET_LEAKAGE), on a bounded deterministic sample of each file or table (the
  only rows that come back to Python; the statistics themselves are in
  :mod:`langgraph_gates.evidence.separation`);
* :func:`overlap_report` -> :class:`OverlapReport`: how many validation rows also occur in the
  training data (FE.SPLIT_OVERLAP), as a semi-join of 64-bit row hashes inside the engine.

The SQL is written once, for DuckDB, and runs through :func:`~.engine.run_scan`: on a local
file as it is, on a Spark table translated (:mod:`~.spark_sql`). What agrees between engines:

* overlap counts exactly (both compare 64-bit hashes of the same canonical values; a false
  match needs a hash collision, about 1 in 10^10 for a million rows);
* the sample is keyed on ``row_key``: a file's row number, a Spark table's row hash (a table
  has no row order). Below ``sample_rows`` every labelled row is used on both engines, so the
  numeric scores, and categorical ones learned on training rows and scored on validation rows,
  agree to float rounding. Above it the two samples are different random rows, and scores
  agree within sampling error only;
* out-of-fold categorical scoring (no validation data) assigns folds by ``hash(row_key)``,
  so the folds differ between engines even when every row is used: those scores agree within
  the spread of a 5-fold estimate (``tests/spark/test_spark_features.py`` measures it and
  states the tolerance).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence._duck import NUMPY_NATIVE_TYPES, ident, literal
from langgraph_gates.evidence.engine import Connection, Table, one_engine
from langgraph_gates.evidence.separation import (
    out_of_fold_rates,
    spearman,
    symmetric_auc,
    target_rates,
)
from langgraph_gates.evidence.tabular import (
    Family,
    label_key_expr,
    numeric_expr,
    run_scan,
    sample_threshold,
    text_expr,
    type_family,
    value_expr,
)

__all__ = [
    "FeatureSeparation",
    "OverlapReport",
    "SeparationReport",
    "overlap_report",
    "separation_report",
]

_FOLDS = 5


class FeatureSeparation(BaseModel):
    """How well one feature alone separates the label."""

    feature: str
    family: Family
    score: float | None = Field(description="max(value_score, missing_score); None: not judged.")
    value_score: float | None = Field(
        default=None, description="From the feature's values (rows where it is present)."
    )
    missing_score: float | None = Field(
        default=None, description="From whether the feature is missing at all."
    )
    rows: int = Field(default=0, description="Rows the value score was computed on.")
    note: str | None = Field(default=None, description="Why the feature was not judged.")


class SeparationReport(BaseModel):
    """Single-feature separation of the label, on a bounded deterministic sample."""

    metric: Literal["auc", "spearman"] = Field(
        description="auc: symmetrised ROC AUC (macro one-vs-rest for multiclass); "
        "spearman: |Spearman rho| (numeric label)."
    )
    rows_total: int = Field(description="Labelled rows of the training file.")
    rows_sampled: int = Field(description="Training rows in the sample.")
    sample_limit: int = Field(description="The policy's sample size (rows, about).")
    validation_rows_sampled: int | None = Field(
        default=None, description="Validation rows the categorical encodings were scored on."
    )
    categorical_scoring: Literal["validation", "out_of_fold"] = Field(
        description="Categorical target rates learned on the training sample and scored on the "
        f"validation sample, or {_FOLDS}-fold out-of-fold within the training sample."
    )
    classes: list[str] = Field(default_factory=list, description="Classes scored one-vs-rest.")
    features: list[FeatureSeparation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


Sample = dict[str, NDArray[Any]]


def _fetched_number(name: str, dtype: str) -> str | None:
    """SQL for a numeric feature as NumPy should receive it, with as little work as possible.

    Plain integers and floats come back as they are (a NaN stays NaN and counts as missing in
    NumPy; nulls come back masked); dates, decimals and booleans are converted.
    """
    if dtype.upper() in NUMPY_NATIVE_TYPES:
        return ident(name)
    return numeric_expr(name, dtype)


def _hashed_value(name: str, dtype: str) -> str:
    """SQL for a column's value in one canonical type, so equal values hash equal across files.

    DOUBLE as it is, other numbers cast to DOUBLE, times as epoch seconds, the rest as text.
    """
    family = type_family(dtype)
    if family == "numeric":
        return ident(name) if dtype.upper() == "DOUBLE" else f"CAST({ident(name)} AS DOUBLE)"
    return value_expr(name, dtype)


def _fetch(
    con: Connection,
    table: Table,
    exprs: dict[str, str],
    label_sql: str,
    sample_rows: int,
    labelled: int,
) -> Sample:
    """A deterministic sample of the labelled rows: features, label, fold, in file order.

    Only numbers come back (no Python strings): numeric features as DOUBLE, categorical ones as
    the 64-bit hash of their text (a null hashes to one more value, so missing is a category).
    """
    threshold = sample_threshold(labelled, sample_rows)
    where = [f"({label_sql}) IS NOT NULL"]
    if threshold is not None:
        where.append(f"hash({table.row_key}) < {threshold}::UBIGINT")
    select = [f"{expr} AS {ident('f_' + name)}" for name, expr in exprs.items()]
    select.append(f"{label_sql} AS __label")
    select.append(f"CAST(hash({table.row_key}, 1) % {_FOLDS} AS BIGINT) AS __fold")
    select.append(f"{table.row_key} AS __row")
    sql = f"SELECT {', '.join(select)} FROM {table.relation} WHERE {' AND '.join(where)}"
    raw = con.execute(sql).fetchnumpy()
    # Threads deliver rows in any order; sorting by position makes every run identical.
    order = np.argsort(np.asarray(raw["__row"]), kind="stable")
    return {
        key: np.asarray(np.ma.getdata(values))[order] if key.startswith("__") else values[order]
        for key, values in raw.items()
    }


def _floats(values: NDArray[Any]) -> NDArray[np.float64]:
    """A fetched numeric column as floats, null as NaN."""
    return np.asarray(np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan))


def _codes(*columns: NDArray[Any]) -> tuple[list[NDArray[np.int64]], int]:
    """Shared category codes 0..n-1 of hashed categorical columns."""
    joined = np.concatenate([np.asarray(np.ma.getdata(c)) for c in columns])
    _, inverse = np.unique(joined, return_inverse=True)
    codes = inverse.astype(np.int64).reshape(-1)
    out, start = [], 0
    for col in columns:
        out.append(codes[start : start + col.shape[0]])
        start += col.shape[0]
    return out, int(codes.max()) + 1 if codes.size else 0


class _Target:
    """The label of a sample, as class indicators (AUC) or as numbers (Spearman)."""

    def __init__(
        self,
        metric: str,
        indicators: list[NDArray[np.bool_]],
        numbers: NDArray[np.float64],
    ) -> None:
        self.metric = metric
        self.indicators = indicators
        self.numbers = numbers

    @classmethod
    def of(cls, label: NDArray[Any], metric: str, n_classes: int) -> _Target:
        """Build the target from a sampled label column (AUC: the class's 1-based position)."""
        if metric == "auc":
            position = np.asarray(label, dtype=np.int64)
            return cls(metric, [position == k + 1 for k in range(n_classes)], np.zeros(0))
        return cls(metric, [], _floats(label))

    @property
    def size(self) -> int:
        """Rows in the sample."""
        return int(self.indicators[0].size if self.indicators else self.numbers.size)

    def subset(self, mask: NDArray[np.bool_]) -> _Target:
        """The target on the rows where ``mask`` holds."""
        numbers = self.numbers[mask] if self.numbers.size else self.numbers
        return _Target(self.metric, [ind[mask] for ind in self.indicators], numbers)

    def averaged(self) -> list[NDArray[np.float64]]:
        """What a category's rate averages: each class indicator (AUC), or the label."""
        if self.metric == "spearman":
            return [self.numbers]
        return [ind.astype(np.float64) for ind in self.indicators]

    def score(self, scores: Sequence[NDArray[np.float64]] | NDArray[np.float64]) -> float | None:
        """Separation of one score (or one score per class) from the target.

        AUC: symmetrised, averaged over the classes (macro one-vs-rest); Spearman: |rho|.
        """
        if self.metric == "spearman":
            x = scores[0] if isinstance(scores, list) else scores
            rho = spearman(np.asarray(x), self.numbers)
            return None if rho is None else abs(rho)
        per_class = scores if isinstance(scores, list) else [scores] * len(self.indicators)
        values = [
            symmetric_auc(np.asarray(x), ind)
            for x, ind in zip(per_class, self.indicators, strict=True)
        ]
        present = [v for v in values if v is not None]
        return float(np.mean(present)) if present else None


def _scored_columns(
    train: Table, features: Sequence[tuple[str, Family]]
) -> tuple[dict[str, str], list[tuple[str, Family]], list[FeatureSeparation]]:
    """The fetch expression of each scorable feature, those features, and the unscored ones."""
    exprs: dict[str, str] = {}
    judged: list[tuple[str, Family]] = []
    unscored: list[FeatureSeparation] = []
    for name, family in features:
        dtype = train.dtype(name) or "NULL"
        expr = (
            _fetched_number(name, dtype)
            if family in ("numeric", "temporal", "boolean")
            else f"hash({text_expr(name, dtype)})"
            if family == "categorical"
            else None
        )
        if expr is None:
            note = f"type {dtype} not scored"
            unscored.append(FeatureSeparation(feature=name, family=family, score=None, note=note))
            continue
        exprs[name] = expr
        judged.append((name, family))
    return exprs, judged, unscored


def _score(
    name: str,
    family: Family,
    sample: Sample,
    val_sample: Sample | None,
    target: _Target,
    val_target: _Target | None,
    folds: np.ndarray,
) -> FeatureSeparation:
    """One feature's separation: by value, or a categorical's learned target rate."""
    column = sample[f"f_{name}"]
    if family != "categorical":
        return _numeric_separation(name, family, _floats(column), target)
    if val_sample is not None and val_target is not None and f"f_{name}" in val_sample:
        (train_codes, val_codes), n_codes = _codes(column, val_sample[f"f_{name}"])
        rates = []
        for averaged in target.averaged():
            learned, seen = target_rates(train_codes, averaged, n_codes)
            prior = float(averaged.mean()) if averaged.size else 0.0
            rates.append(np.where(seen, learned, prior)[val_codes])
        return _categorical(name, val_target.score(rates), val_codes.size)
    (codes,), n_codes = _codes(column)
    rates = [out_of_fold_rates(codes, a, folds, n_codes) for a in target.averaged()]
    return _categorical(name, target.score(rates), codes.size)


def separation_report(
    train: Table,
    validation: Table | None,
    *,
    label: str,
    features: Sequence[tuple[str, Family]],
    metric: Literal["auc", "spearman"],
    classes: Sequence[str] = (),
    labelled_rows: int,
    sample_rows: int = 200_000,
) -> SeparationReport:
    """Single-feature separation of the label for every feature (FE.TARGET_LEAKAGE).

    Numeric, boolean and date features are scored by their values (rows where present) and by
    their missingness; the higher counts. Categorical features are scored by their category's
    target rate learned on training rows and applied to other rows: the validation sample when a
    validation file with the label exists, else out-of-fold within the training sample.

    Args:
        train: the training data (a file, or a table on Spark).
        validation: the validation data, if any, on the same engine.
        label: the label column.
        features: ``(name, family)`` of each feature to score.
        metric: ``auc`` (classification) or ``spearman`` (numeric label).
        classes: the classes scored one-vs-rest (``auc``); one class suffices for binary.
        labelled_rows: rows of the training file with a label (sizes the sample).
        sample_rows: rows (about) to sample from each file.

    Raises:
        EvidenceError: a file or table cannot be scanned, or the two are on different engines.
    """
    if validation is not None:
        # Categories are matched by the hash of their text, which differs between engines.
        one_engine([train, validation])
    label_sql = _label_sql(label, train.dtype(label) or "VARCHAR", metric, classes)
    notes: list[str] = []
    exprs, judged, results = _scored_columns(train, features)
    sample: Sample = run_scan(
        [train], lambda con: _fetch(con, train, exprs, label_sql, sample_rows, labelled_rows)
    )
    categorical = [n for n, f in judged if f == "categorical"]
    val_sample: Sample | None = None
    if validation is not None and categorical:
        val_sample = _validation_sample(
            validation, label, metric, classes, categorical, sample_rows, notes
        )
    target = _Target.of(sample["__label"], metric, len(classes))
    val_target = (
        _Target.of(val_sample["__label"], metric, len(classes)) if val_sample is not None else None
    )
    folds = np.asarray(sample["__fold"], dtype=np.int64)
    for name, family in judged:
        results.append(_score(name, family, sample, val_sample, target, val_target, folds))
    order = {n: i for i, (n, _) in enumerate(features)}
    results.sort(key=lambda r: order.get(r.feature, 0))
    return SeparationReport(
        metric=metric,
        rows_total=labelled_rows,
        rows_sampled=target.size,
        sample_limit=sample_rows,
        validation_rows_sampled=(
            int(val_sample["__label"].shape[0]) if val_sample is not None else None
        ),
        categorical_scoring="validation" if val_sample is not None else "out_of_fold",
        classes=list(classes),
        features=results,
        notes=notes,
    )


def _label_sql(label: str, dtype: str, metric: str, classes: Sequence[str]) -> str:
    """AUC: the label's 1-based position among ``classes`` (0: another class); else a number."""
    if metric == "auc":
        listed = "[" + ", ".join(literal(c) for c in classes) + "]"
        key = label_key_expr(label, dtype)
        return f"(CASE WHEN {key} IS NULL THEN NULL ELSE coalesce(list_position({listed}, {key}), 0) END)"
    return numeric_expr(label, dtype) or "CAST(NULL AS DOUBLE)"


def _validation_sample(
    validation: Table,
    label: str,
    metric: str,
    classes: Sequence[str],
    categorical: list[str],
    sample_rows: int,
    notes: list[str],
) -> Sample | None:
    dtype = validation.dtype(label)
    if dtype is None:
        notes.append(
            f"{validation.display} has no label column {label!r}: categorical features were "
            "scored out-of-fold on the training sample"
        )
        return None
    if metric == "spearman" and numeric_expr(label, dtype) is None:
        notes.append(f"the label of {validation.display} is not numeric; scored out-of-fold")
        return None
    exprs = {
        n: f"hash({text_expr(n, validation.dtype(n) or 'VARCHAR')})"
        for n in categorical
        if validation.dtype(n) is not None
    }
    label_sql = _label_sql(label, dtype, metric, classes)
    sample: Sample = run_scan(
        [validation],
        lambda con: _fetch(con, validation, exprs, label_sql, sample_rows, validation.n_rows),
    )
    if sample["__label"].shape[0] == 0:
        notes.append(f"{validation.display} has no labelled rows; scored out-of-fold")
        return None
    return sample


def _numeric_separation(
    name: str, family: Family, x: NDArray[np.float64], target: _Target
) -> FeatureSeparation:
    missing = np.isnan(x)
    present = ~missing
    rows = int(present.sum())
    value_score = target.subset(present).score(x[present]) if rows >= 2 else None
    missing_score = None
    if missing.any() and present.any():
        missing_score = target.score(missing.astype(np.float64))
    scores = [s for s in (value_score, missing_score) if s is not None]
    note = None if scores else "constant, all missing, or one class only in the sample"
    return FeatureSeparation(
        feature=name,
        family=family,
        score=max(scores) if scores else None,
        value_score=value_score,
        missing_score=missing_score,
        rows=rows,
        note=note,
    )


def _categorical(name: str, score: float | None, rows: int) -> FeatureSeparation:
    return FeatureSeparation(
        feature=name,
        family="categorical",
        score=score,
        value_score=score,
        rows=rows,
        note=None if score is not None else "one category or one class only in the sample",
    )


# --- FE.SPLIT_OVERLAP ----------------------------------------------------------------------


class OverlapReport(BaseModel):
    """Validation rows that also occur, identically, in the training data."""

    validation_rows: int
    overlapping_rows: int = Field(description="Validation rows identical to some training row.")
    columns: list[str] = Field(description="Columns compared (features and label).")
    skipped_columns: list[str] = Field(
        default_factory=list, description="Columns not compared (absent or of another type)."
    )


def overlap_report(train: Table, validation: Table, *, columns: Sequence[str]) -> OverlapReport:
    """Count validation rows whose values in ``columns`` equal those of a training row.

    Values are compared in a canonical form (numbers and times as DOUBLE, the rest as text), so
    an INTEGER column in one file matches a BIGINT or DOUBLE column in the other.

    Raises:
        EvidenceError: a file or table cannot be scanned, the two are on different engines,
            or no column can be compared.
    """
    used, skipped = [], []
    for name in columns:
        t, v = train.dtype(name), validation.dtype(name)
        if t is None or v is None or _canonical(t) != _canonical(v):
            skipped.append(name)
        else:
            used.append(name)
    if not used:
        msg = "no column of the training data can be compared with the validation data"
        raise EvidenceError(msg, source=validation.display)

    def hashed(table: Table) -> str:
        values = ", ".join(_hashed_value(n, table.dtype(n) or "VARCHAR") for n in used)
        return f"SELECT hash({values}) AS h FROM {table.relation}"

    def work(con: Connection) -> tuple[int, int]:
        # Group validation hashes first (the smaller side), then probe the training hashes
        # against that set only: the hash table holds validation rows, never the training set.
        row = con.execute(
            f"WITH v AS (SELECT h, count(*) AS k FROM ({hashed(validation)}) GROUP BY h), "
            f"t AS (SELECT DISTINCT h FROM ({hashed(train)}) WHERE h IN (SELECT h FROM v)) "
            "SELECT (SELECT sum(k) FROM v), coalesce((SELECT sum(k) FROM v SEMI JOIN t "
            "USING (h)), 0)"
        ).fetchone()
        assert row is not None
        return int(row[0] or 0), int(row[1] or 0)

    total, overlapping = run_scan([validation, train], work)
    return OverlapReport(
        validation_rows=total, overlapping_rows=overlapping, columns=used, skipped_columns=skipped
    )


def _canonical(dtype: str) -> str:
    family = type_family(dtype)
    return "number" if family in ("numeric", "temporal") else family
