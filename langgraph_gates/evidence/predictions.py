"""The predictions file: a model's outputs beside the truth, and what is computed from them.

Format
------
A CSV (``.csv``, ``.csv.gz``, ``.tsv``) with a header row, or a Parquet file (``.parquet``,
``.pq``), one row per scored example. Only these columns are read (column names match without
regard to case; any other column is ignored and never loaded):

``y_true`` (needed for metrics, calibration and equalized odds)
    The observed outcome. Without it, selection rates (RAI.DISPARATE_IMPACT) and group counts
    are still computed from ``y_pred`` (or ``y_score``), and the performance checks fall back to
    the metrics file. Binary classification: ``0``/``1`` (or booleans). Multiclass: class
    labels (integers or text). Regression and forecasting: numbers.
``y_pred`` (``y_pred`` and/or ``y_score`` required)
    The model's decision: ``0``/``1`` for binary tasks, a class label for multiclass, the
    predicted value for regression. For a binary task without ``y_pred``, the decision is
    ``y_score >= 0.5``.
``y_score``
    Binary tasks only: the predicted probability of the positive class, in ``[0, 1]``. Needed
    for ROC AUC, average precision, log loss, Brier score and calibration.
``split`` (optional)
    Which data the row belongs to: ``train``, ``validation`` or ``test`` (aliases ``training``,
    ``valid``, ``val``, ``dev``, ``testing``, ``holdout``; other values are kept as their own
    split). Without it, every row is one held-out set, reported as split ``all``.
sensitive and segment columns (optional)
    The columns named in ``data.sensitive_attributes`` and ``performance.slices``. Empty cells
    form a group ``(missing)``. A numeric column with more than
    :data:`NUMERIC_GROUP_MAX_LEVELS` distinct values is cut into :data:`NUMERIC_GROUP_BINS`
    quantile bins.

Performance metrics are computed per split. Calibration, slices and group fairness are computed
on the held-out rows: the ``test`` split if present, else ``validation``, else all rows when the
file has no split column.

Bad evidence raises :class:`~langgraph_gates.errors.EvidenceError` with a one-line reason: a
missing, empty or header-only file, text where numbers are expected, empty or NaN
values, scores outside ``[0, 1]``, or a classification label with one class only. A sensitive or
slice column that is absent does not raise; it is listed in
:attr:`PredictionsSummary.absent_columns` so that only the checks that need it report it.

The file is read with DuckDB (column projection, no pandas round trip and no pickle); the
summary is a small Pydantic value that the evidence store caches by file content and policy.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
from pydantic import BaseModel, Field

from langgraph_gates.errors import EvidenceError
from langgraph_gates.policy import FairnessPolicy, PerformancePolicy

__all__ = [
    "ALL_ROWS",
    "HELD_OUT_SPLITS",
    "NUMERIC_GROUP_BINS",
    "NUMERIC_GROUP_MAX_LEVELS",
    "AttributeFairness",
    "Calibration",
    "ClassFairness",
    "GroupStats",
    "Interval",
    "PredictionFrame",
    "PredictionsSummary",
    "ReliabilityBin",
    "SliceColumn",
    "SliceGroup",
    "canonical_metric",
    "compute_metrics",
    "expected_calibration_error",
    "group_fairness",
    "higher_is_better",
    "read_predictions",
    "slice_gap",
    "summarize_predictions",
    "summary_params",
]

Y_TRUE, Y_PRED, Y_SCORE, SPLIT = "y_true", "y_pred", "y_score", "split"
ALL_ROWS = "all"
"""The split name of every row when the file has no split column."""
HELD_OUT_SPLITS = ("test", "validation", ALL_ROWS)
"""Held-out splits in order of preference."""
MISSING_GROUP = "(missing)"
NUMERIC_GROUP_MAX_LEVELS = 10
"""A numeric group column with more distinct values than this is binned."""
NUMERIC_GROUP_BINS = 4
"""Quantile bins of a binned numeric group column (quartiles)."""
MAX_ONE_VS_REST_CLASSES = 20
"""Multiclass fairness is computed one-vs-rest for at most this many classes."""
BOOTSTRAP_SEED = 20_240_601
"""Fixed seed: the same file and policy always give the same interval."""

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

Task = Literal["binary_classification", "multiclass_classification", "regression"]

# --------------------------------------------------------------------------- metric names

# Metrics where a smaller value is better; every other metric is taken as higher-is-better.
_LOWER_IS_BETTER = (
    "loss",
    "error",
    "rmse",
    "mse",
    "mae",
    "mape",
    "smape",
    "wape",
    "brier",
    "ece",
    "log_loss",
    "logloss",
    "perplexity",
    "latency",
    "regret",
    "wer",
    "cer",
)

_ALIASES = {
    "auc": "roc_auc",
    "rocauc": "roc_auc",
    "auroc": "roc_auc",
    "roc_auc_score": "roc_auc",
    "acc": "accuracy",
    "accuracy_score": "accuracy",
    "f1_score": "f1",
    "precision_score": "precision",
    "recall_score": "recall",
    "sensitivity": "recall",
    "tpr": "recall",
    "logloss": "log_loss",
    "cross_entropy": "log_loss",
    "brier_score": "brier",
    "brier_score_loss": "brier",
    "ap": "average_precision",
    "pr_auc": "average_precision",
    "auprc": "average_precision",
    "average_precision_score": "average_precision",
    "macro_f1": "f1_macro",
    "f1_score_macro": "f1_macro",
    "weighted_f1": "f1_weighted",
    "root_mean_squared_error": "rmse",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "r2_score": "r2",
    "r_squared": "r2",
    "rsquared": "r2",
    "mean_absolute_percentage_error": "mape",
}

# Metrics in [0, 1] where a slice gap is read in points (absolute); others are relative.
_BOUNDED = frozenset(
    {
        "roc_auc",
        "accuracy",
        "precision",
        "recall",
        "f1",
        "average_precision",
        "balanced_accuracy",
        "f1_macro",
        "f1_weighted",
        "precision_macro",
        "recall_macro",
    }
)


# Every metric name the checks know, canonical: a metrics-file key close to one of these but
# not one of them is most likely a typo (roc_acu).
KNOWN_METRICS = frozenset(
    {
        *_ALIASES.values(),
        *_BOUNDED,
        "mse",
        "rmse",
        "mae",
        "r2",
        "mape",
        "log_loss",
        "brier",
        "ndcg",
        "map",
        "mrr",
        "wer",
        "cer",
        "bleu",
        "rouge",
    }
)


def canonical_metric(name: str) -> str:
    """The canonical name of a metric: lower case, ``_`` separated, common aliases folded.

    ``"AUC"``, ``"roc-auc"`` and ``"ROC AUC"`` all become ``"roc_auc"``.
    """
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return _ALIASES.get(key, _ALIASES.get(key.replace("_", ""), key))


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of this metric is better (by its name)."""
    name = metric.lower()
    return not any(token in name for token in _LOWER_IS_BETTER)


def is_bounded(metric: str) -> bool:
    """Whether the metric lives in ``[0, 1]`` so that a gap is read in points."""
    return canonical_metric(metric) in _BOUNDED


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _metric_thunks(
    task: Task,
    y_true: np.ndarray,
    y_pred: np.ndarray | None,
    y_score: np.ndarray | None,
) -> dict[str, Callable[[], float]]:
    """Each metric defined for these rows, as a function not yet called."""
    # Imported on use: scikit-learn costs about a second of every CLI start-up.
    from sklearn import metrics as skm

    t: dict[str, Callable[[], float]] = {}
    n = len(y_true)
    if task == "binary_classification":
        if y_pred is not None:
            t["accuracy"] = lambda: skm.accuracy_score(y_true, y_pred)
            t["precision"] = lambda: skm.precision_score(y_true, y_pred, zero_division=0)
            t["recall"] = lambda: skm.recall_score(y_true, y_pred, zero_division=0)
            t["f1"] = lambda: skm.f1_score(y_true, y_pred, zero_division=0)
        if y_score is not None:
            t["log_loss"] = lambda: skm.log_loss(y_true, y_score, labels=[0, 1])
            t["brier"] = lambda: skm.brier_score_loss(y_true, y_score, pos_label=1)
            if 0 < int(y_true.sum()) < n:
                t["roc_auc"] = lambda: skm.roc_auc_score(y_true, y_score)
                t["average_precision"] = lambda: skm.average_precision_score(y_true, y_score)
    elif task == "multiclass_classification":
        assert y_pred is not None
        t["accuracy"] = lambda: skm.accuracy_score(y_true, y_pred)
        t["balanced_accuracy"] = lambda: skm.balanced_accuracy_score(y_true, y_pred)
        t["f1_macro"] = lambda: skm.f1_score(y_true, y_pred, average="macro", zero_division=0)
        t["f1_weighted"] = lambda: skm.f1_score(y_true, y_pred, average="weighted", zero_division=0)
        t["precision_macro"] = lambda: skm.precision_score(
            y_true, y_pred, average="macro", zero_division=0
        )
        t["recall_macro"] = lambda: skm.recall_score(
            y_true, y_pred, average="macro", zero_division=0
        )
        # A criterion named plainly (f1, precision, recall) means the macro average.
        t["f1"], t["precision"], t["recall"] = (
            t["f1_macro"],
            t["precision_macro"],
            t["recall_macro"],
        )
    else:
        assert y_pred is not None
        t["mse"] = lambda: skm.mean_squared_error(y_true, y_pred)
        t["rmse"] = lambda: math.sqrt(skm.mean_squared_error(y_true, y_pred))
        t["mae"] = lambda: skm.mean_absolute_error(y_true, y_pred)
        if n >= 2 and float(np.ptp(y_true)) > 0:
            t["r2"] = lambda: skm.r2_score(y_true, y_pred)
        if not np.any(y_true == 0):
            t["mape"] = lambda: skm.mean_absolute_percentage_error(y_true, y_pred)
    return t


def compute_metrics(
    task: Task,
    y_true: np.ndarray,
    y_pred: np.ndarray | None,
    y_score: np.ndarray | None,
    *,
    only: Sequence[str] | None = None,
) -> dict[str, float]:
    """The standard metrics of a task on one set of rows; undefined ones are left out.

    Binary: ``accuracy``, ``precision``, ``recall``, ``f1`` (from ``y_pred``), and with a score
    ``roc_auc``, ``average_precision``, ``log_loss``, ``brier`` (ROC AUC and average precision
    need both classes). Multiclass: ``accuracy``, ``balanced_accuracy``, ``f1_macro``,
    ``f1_weighted``, ``precision_macro``, ``recall_macro`` (``f1``, ``precision`` and ``recall``
    are the macro averages). Regression: ``rmse``, ``mse``, ``mae``, ``r2`` (two rows and a
    non-constant truth), ``mape`` (no zero in the truth).

    Args:
        task: the task type.
        y_true: observed outcomes.
        y_pred: decisions or predicted values.
        y_score: positive-class probabilities (binary only).
        only: compute just these metrics (canonical names) instead of all.
    """
    if len(y_true) == 0:
        return {}
    thunks = _metric_thunks(task, y_true, y_pred, y_score)
    names = list(thunks) if only is None else [n for n in only if n in thunks]
    values = {name: _finite(thunks[name]()) for name in names}
    return {k: v for k, v in values.items() if v is not None}


# --------------------------------------------------------------------------- summary models


class ReliabilityBin(BaseModel):
    """One non-empty bin of the reliability curve."""

    lower: float = Field(description="Lower edge of the score bin.")
    upper: float = Field(description="Upper edge of the score bin.")
    mean_score: float = Field(description="Mean predicted probability in the bin.")
    observed_rate: float = Field(description="Share of positives among the bin's rows.")
    count: int = Field(description="Rows in the bin.")


class Calibration(BaseModel):
    """Expected calibration error and the reliability curve of the held-out rows."""

    split: str
    rows: int
    bins: int = Field(description="Number of equal-width bins over [0, 1].")
    ece: float = Field(description="Sum over bins of share of rows x |mean score - rate|.")
    max_gap: float = Field(description="Largest |mean score - observed rate| of a bin.")
    curve: list[ReliabilityBin]


class Interval(BaseModel):
    """A bootstrap confidence interval."""

    low: float
    high: float
    level: float = Field(description="Confidence level, e.g. 0.95.")
    samples: int = Field(description="Bootstrap resamples.")


class GroupStats(BaseModel):
    """One group of a sensitive attribute on the held-out rows."""

    group: str
    n: int = Field(description="Rows in the group.")
    share: float = Field(description="Share of the held-out rows.")
    positives: int | None = Field(default=None, description="Rows with y_true = 1.")
    selection_rate: float | None = Field(default=None, description="Share predicted positive.")
    tpr: float | None = Field(default=None, description="True positive rate; None if no positive.")
    fpr: float | None = Field(default=None, description="False positive rate; None if no negative.")
    mean_prediction: float | None = Field(default=None, description="Regression only.")
    mae: float | None = Field(default=None, description="Regression only.")


class ClassFairness(BaseModel):
    """Selection-rate ratio and equalized odds of one binary decision across groups."""

    label: str = Field(
        description="The favourable outcome whose rate is compared ('1' for a binary task "
        "unless responsible_ai.favorable_label says otherwise)."
    )
    groups: list[GroupStats]
    selection_rate_ratio: float | None = Field(
        default=None, description="min/max selection rate (None when no group selects anyone)."
    )
    equalized_odds_difference: float | None = Field(
        default=None, description="max of the TPR and FPR ranges over groups where defined."
    )
    ratio_ci: Interval | None = None
    eod_ci: Interval | None = None
    undefined_rate_groups: list[str] = Field(
        default_factory=list,
        description="Groups left out of a TPR or FPR range (no positive/negative).",
    )


class AttributeFairness(BaseModel):
    """Fairness evidence of one sensitive attribute."""

    attribute: str
    split: str
    rows: int
    kind: Literal["binary", "one_vs_rest", "regression", "too_many_classes"]
    groups: list[GroupStats] = Field(description="Counts (and rates) per group.")
    classes: list[ClassFairness] = Field(
        default_factory=list, description="One entry for binary; one per class one-vs-rest."
    )
    binned: bool = Field(default=False, description="Numeric column cut into quantile bins.")
    selection_from_score: bool = Field(
        default=False, description="Selection is y_score >= 0.5 (no y_pred column)."
    )
    favorable_label: str | None = Field(
        default=None, description="The outcome counted as selected (binary and multiclass)."
    )
    smallest_group_rows: int = 0
    bootstrapped: bool = False


class SliceGroup(BaseModel):
    """The key metric on one slice."""

    group: str
    n: int
    value: float | None = Field(description="None when the metric is undefined on the slice.")
    gap: float | None = Field(default=None, description="How much worse than overall.")
    judged: bool = Field(description="False when the slice is too small or the metric undefined.")


class SliceColumn(BaseModel):
    """The key metric per group of one slice column."""

    column: str
    binned: bool = False
    groups: list[SliceGroup]


class PredictionsSummary(BaseModel):
    """Everything the performance and fairness checks read from a predictions file."""

    source: str = Field(description="The file as the dossier names it.")
    task: str
    task_inferred: bool = False
    supported: bool = Field(description="Whether metrics are computed for this task.")
    note: str = ""
    rows: int
    has_split_column: bool
    split_rows: dict[str, int]
    splits: dict[str, dict[str, float]] = Field(description="split -> metric -> value.")
    has_score: bool
    has_pred: bool
    has_labels: bool = Field(default=True, description="Whether the file has a y_true column.")
    pred_from_score: bool = False
    held_out_split: str | None = Field(description="Split judged for calibration and groups.")
    key_metric: str | None = None
    overall: float | None = Field(default=None, description="Key metric on the held-out rows.")
    calibration: Calibration | None = None
    slices: dict[str, SliceColumn] = Field(default_factory=dict)
    fairness: dict[str, AttributeFairness] = Field(default_factory=dict)
    absent_columns: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list, description="All columns in the file.")

    def metric(self, split: str, name: str) -> float | None:
        """A metric on a split, matched by canonical name."""
        return self.splits.get(split, {}).get(canonical_metric(name))


# --------------------------------------------------------------------------- reading


@dataclass
class PredictionFrame:
    """The needed columns of a predictions file as arrays (never the whole file)."""

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


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_TEXT_TYPES = ("VARCHAR", "BLOB")
_NUMERIC_PREFIXES = (
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
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
)


def _is_numeric(dtype: str) -> bool:
    return dtype.upper().startswith(_NUMERIC_PREFIXES)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split())[:200] if text else type(exc).__name__


def _conversion_reason(exc: BaseException) -> tuple[str, str | None]:
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
    return f"cannot be read: {_first_line(exc)}", None


def _fetch(
    con: duckdb.DuckDBPyConnection, relation: str, path: Path, selects: Sequence[str]
) -> dict[str, np.ndarray]:
    sql = f"SELECT {', '.join(selects)} FROM {relation}"
    return con.execute(sql, [str(path)]).fetchnumpy()


def _text_sample(
    con: duckdb.DuckDBPyConnection, relation: str, path: Path, column: str
) -> str | None:
    q = _quote(column)
    sql = (
        f"SELECT {q} FROM {relation} WHERE {q} IS NOT NULL "
        f"AND TRY_CAST({q} AS DOUBLE) IS NULL LIMIT 1"
    )
    row = con.execute(sql, [str(path)]).fetchone()
    return None if row is None else str(row[0])


def _plain(values: np.ndarray) -> tuple[np.ndarray, int]:
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
    con = duckdb.connect()
    try:
        return _read(con, relation, path, source, group_columns)
    finally:
        con.close()


def _read(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    path: Path,
    source: str,
    group_columns: Sequence[str],
) -> PredictionFrame:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}", [str(path)]).fetchall()
        rows = int(con.execute(f"SELECT count(*) FROM {relation}", [str(path)]).fetchone()[0])  # type: ignore[index]
    except duckdb.Error as exc:
        raise EvidenceError(f"cannot be read: {_first_line(exc)}", source=source) from None
    columns = [str(r[0]) for r in described]
    types = {str(r[0]).lower(): (str(r[0]), str(r[1])) for r in described}
    if Y_PRED not in types and Y_SCORE not in types:
        raise EvidenceError("needs a y_pred or y_score column", source=source, field=Y_PRED)
    if rows == 0:
        raise EvidenceError("no rows (header only)", source=source)

    # Text in a score column is always wrong; say which value, not DuckDB's whole message.
    # (A column typed as text without any text value is all empty: reported below as such.)
    if Y_SCORE in types and not _is_numeric(types[Y_SCORE][1]):
        sample = _text_sample(con, relation, path, types[Y_SCORE][0])
        if sample is not None:
            msg = f"holds text ({sample[:40]!r}); expected probabilities in [0, 1]"
            raise EvidenceError(msg, source=source, field=Y_SCORE)

    wanted: dict[str, str] = {}  # alias -> select expression
    text_cols: dict[str, bool] = {}
    for key in (Y_TRUE, Y_PRED, Y_SCORE):
        if key not in types:
            continue
        name, dtype = types[key]
        is_text = dtype.upper() in _TEXT_TYPES or not (
            _is_numeric(dtype) or dtype.upper() == "BOOLEAN"
        )
        expr = _quote(name)
        if key == Y_SCORE:
            is_text = False  # text values were refused above; what is left casts to numbers
            expr = f"TRY_CAST({expr} AS DOUBLE)"
        elif dtype.upper() == "BOOLEAN":
            expr = f"CAST({expr} AS INTEGER)"
        elif is_text:
            expr = f"CAST({expr} AS VARCHAR)"
        text_cols[key] = is_text
        wanted[key] = expr
    if SPLIT in types:
        wanted[SPLIT] = f"lower(trim(CAST({_quote(types[SPLIT][0])} AS VARCHAR)))"
    group_numeric: dict[str, bool] = {}
    absent: list[str] = []
    for i, col in enumerate(dict.fromkeys(group_columns)):
        if col.lower() not in types:
            absent.append(col)
            continue
        name, dtype = types[col.lower()]
        numeric = _is_numeric(dtype)
        group_numeric[col] = numeric
        expr = _quote(name)
        wanted[f"g{i}"] = f"CAST({expr} AS DOUBLE)" if numeric else f"CAST({expr} AS VARCHAR)"
    aliases = {key: f"g{i}" for i, key in enumerate(dict.fromkeys(group_columns))}
    selects = [f"{expr} AS {_quote(alias)}" for alias, expr in wanted.items()]
    try:
        data = _fetch(con, relation, path, selects)
    except duckdb.ConversionException as exc:
        reason, column = _conversion_reason(exc)
        raise EvidenceError(reason, source=source, field=column) from None
    except duckdb.Error as exc:
        raise EvidenceError(f"cannot be read: {_first_line(exc)}", source=source) from None

    def required(key: str) -> np.ndarray:
        values, nulls = _plain(data[key])
        if nulls:
            msg = f"{nulls} of {rows} value(s) are empty"
            raise EvidenceError(msg, source=source, field=key)
        if not text_cols[key] and values.dtype.kind == "f" and np.isnan(values).any():
            msg = f"{int(np.isnan(values).sum())} of {rows} value(s) are NaN"
            raise EvidenceError(msg, source=source, field=key)
        return values

    y_true = required(Y_TRUE) if Y_TRUE in data else None
    y_pred = required(Y_PRED) if Y_PRED in data else None
    y_score = required(Y_SCORE) if Y_SCORE in data else None
    if y_score is not None:
        y_score = y_score.astype(float)
        outside = (y_score < 0) | (y_score > 1)
        if outside.any():
            msg = (
                f"{int(outside.sum())} score(s) outside [0, 1] (min {y_score.min():.4g}, "
                f"max {y_score.max():.4g}); y_score must be a probability"
            )
            raise EvidenceError(msg, source=source, field=Y_SCORE)
    split = None
    if SPLIT in data:
        raw, _ = _plain(data[SPLIT])
        mask = np.ma.getmaskarray(data[SPLIT])
        levels, inverse = np.unique(raw.astype(str), return_inverse=True)
        names = np.array([_SPLIT_ALIASES.get(v, v) for v in levels.tolist()], dtype=object)
        split = names[inverse] if len(levels) else np.array([], dtype=object)
        split[mask] = MISSING_GROUP
    groups: dict[str, np.ndarray] = {}
    for col in group_numeric:
        groups[col] = data[aliases[col]]
    return PredictionFrame(
        source=source,
        rows=rows,
        columns=columns,
        y_true=y_true,
        y_true_is_text=text_cols.get(Y_TRUE, False),
        y_pred=y_pred,
        y_pred_is_text=text_cols.get(Y_PRED, False),
        y_score=y_score,
        split=split,
        groups=groups,
        group_is_numeric=group_numeric,
        absent=absent,
    )


# --------------------------------------------------------------------------- labels and task


def _fmt_value(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _as_binary(values: np.ndarray, field: str, source: str, *, is_text: bool) -> np.ndarray:
    if is_text:
        sample = next(iter(values), "")
        msg = f"holds text ({str(sample)[:40]!r}); binary labels must be 0 or 1"
        raise EvidenceError(msg, source=source, field=field)
    levels = np.unique(values)
    bad = [v for v in levels if v not in (0, 1)]
    if bad:
        shown = ", ".join(_fmt_value(v) for v in bad[:5])
        msg = f"binary labels must be 0 or 1; found {shown}"
        raise EvidenceError(msg, source=source, field=field)
    return values.astype(np.int64)


def _labels(values: np.ndarray, *, is_text: bool) -> np.ndarray:
    """Class labels as strings, so that 1 and 1.0 (or '1') are the same class."""
    if is_text:
        return values.astype(str)
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
        values = values.astype(np.int64)
    return _map_levels(values, _fmt_value).astype(str)


def _infer_task(frame: PredictionFrame) -> Task:
    # Without y_true (selection rates only) the decisions say what the task is.
    field, values, is_text = (
        (Y_TRUE, frame.y_true, frame.y_true_is_text)
        if frame.y_true is not None
        else (Y_PRED, frame.y_pred, frame.y_pred_is_text)
    )
    if values is None:  # y_score alone: a probability of the positive class
        return "binary_classification"
    if is_text:
        msg = (
            "holds text; set model.task to multiclass_classification for text labels "
            "(binary labels must be 0/1, regression targets numbers)"
        )
        raise EvidenceError(msg, source=frame.source, field=field)
    levels = np.unique(values)
    if set(levels.tolist()) <= {0, 1}:
        return "binary_classification"
    integral = values.dtype.kind in "iub" or bool(np.all(np.mod(levels, 1) == 0))
    if integral and len(levels) <= MAX_ONE_VS_REST_CLASSES and frame.y_score is None:
        return "multiclass_classification"
    return "regression"


def _numeric(values: np.ndarray, field: str, source: str, *, is_text: bool) -> np.ndarray:
    if is_text:
        sample = next(iter(values), "")
        msg = f"holds text ({str(sample)[:40]!r}); expected numbers"
        raise EvidenceError(msg, source=source, field=field)
    return values.astype(float)


# --------------------------------------------------------------------------- calibration


def expected_calibration_error(
    y_true: np.ndarray, y_score: np.ndarray, *, bins: int
) -> tuple[float, list[ReliabilityBin]]:
    """Binned expected calibration error and the reliability curve.

    ``bins`` equal-width bins over ``[0, 1]``; as in scikit-learn's ``calibration_curve``, a
    bin holds the scores in ``(lower, upper]`` and the first bin also holds 0. ECE is the sum
    over bins of (rows in bin / rows) x |mean score - share of positives|.
    """
    edges = np.arange(bins + 1) / bins  # i / bins: clean edges (0.3, not 0.30000000000000004)
    ids = np.searchsorted(edges[1:-1], y_score, side="left")
    counts = np.bincount(ids, minlength=bins)
    score_sum = np.bincount(ids, weights=y_score, minlength=bins)
    pos_sum = np.bincount(ids, weights=y_true.astype(float), minlength=bins)
    n = len(y_score)
    ece = 0.0
    curve: list[ReliabilityBin] = []
    for b in range(bins):
        if counts[b] == 0:
            continue
        mean_score = score_sum[b] / counts[b]
        rate = pos_sum[b] / counts[b]
        ece += counts[b] / n * abs(mean_score - rate)
        curve.append(
            ReliabilityBin(
                lower=float(edges[b]),
                upper=float(edges[b + 1]),
                mean_score=float(mean_score),
                observed_rate=float(rate),
                count=int(counts[b]),
            )
        )
    return float(ece), curve


# --------------------------------------------------------------------------- groups


def _map_levels(values: np.ndarray, fmt: Callable[[Any], str]) -> np.ndarray:
    """``fmt`` applied to every value, calling it once per distinct value (fast on big files)."""
    if len(values) == 0:
        return np.array([], dtype=object)
    levels, inverse = np.unique(values, return_inverse=True)
    return np.array([fmt(v) for v in levels.tolist()], dtype=object)[inverse]


def _group_labels(values: np.ndarray, *, numeric: bool) -> tuple[np.ndarray, bool]:
    """Group labels of a sensitive/slice column (strings), and whether it was binned."""
    raw, _ = _plain(values)
    mask = np.ma.getmaskarray(values)
    if numeric:
        nums = raw.astype(float)
        mask = mask | np.isnan(nums)
        present = nums[~mask]
        levels = np.unique(present)
        if len(levels) > NUMERIC_GROUP_MAX_LEVELS:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, NUMERIC_GROUP_BINS + 1)))
            ids = np.clip(np.searchsorted(edges, nums, side="right") - 1, 0, len(edges) - 2)
            names = [
                f"[{edges[i]:.4g}, {edges[i + 1]:.4g}" + ("]" if i == len(edges) - 2 else ")")
                for i in range(len(edges) - 1)
            ]
            labels = np.array([names[i] for i in ids], dtype=object)
            labels[mask] = MISSING_GROUP
            return labels.astype(str), True
        labels = _map_levels(np.where(mask, 0.0, nums), lambda v: f"{v:g}")
    else:
        # Empty cells come back as None, which does not sort with text: blank them first.
        labels = _map_levels(np.where(mask, "", raw).astype(str), str)
    labels[mask] = MISSING_GROUP
    return labels.astype(str), False


def _interval(samples: np.ndarray, level: float, n_boot: int) -> Interval:
    alpha = (1 - level) / 2
    lo, hi = np.quantile(samples, [alpha, 1 - alpha])
    return Interval(low=float(lo), high=float(hi), level=level, samples=n_boot)


def _ratio(rates: np.ndarray) -> np.ndarray:
    """min/max over the last axis; 1.0 where no group selects anyone (no disparity)."""
    top = rates.max(axis=-1)
    low = rates.min(axis=-1)
    return np.where(top > 0, low / np.where(top > 0, top, 1.0), 1.0)


def _range(rates: np.ndarray) -> np.ndarray:
    """max - min over the last axis; 0 with fewer than two groups."""
    if rates.shape[-1] < 2:
        return np.zeros(rates.shape[:-1])
    return rates.max(axis=-1) - rates.min(axis=-1)


def group_fairness(
    y_true: np.ndarray | None,
    selected: np.ndarray,
    groups: np.ndarray,
    *,
    label: str,
    policy: FairnessPolicy,
) -> ClassFairness:
    """Per-group selection rate, TPR and FPR, their min/max ratio and equalized-odds gap.

    The numbers are those of fairlearn's ``MetricFrame`` (``selection_rate``,
    ``true_positive_rate``, ``false_positive_rate``), ``demographic_parity_ratio`` and
    ``equalized_odds_difference`` (the unit tests compare them on real data), counted here with
    ``numpy.bincount`` because fairlearn 0.15 evaluates metrics through per-row object arrays:
    ``MetricFrame`` took 5.8 s on 100,000 rows and 52 s on 1,000,000 rows on this machine. One
    difference on purpose: a group with no positive (or no negative) is left out of the TPR (or
    FPR) range, where fairlearn would count its undefined rate as 0.

    When the smallest group has fewer than ``policy.bootstrap_below_rows`` rows, both numbers
    get a percentile bootstrap interval: rows are resampled with replacement within each group
    (and, for TPR/FPR, within each group's positives and negatives), which for a 0/1 outcome is
    exactly a binomial draw per cell, so it costs nothing on a large file. (fairlearn's own
    ``n_boot`` took 16 s for 200 resamples of 2,000 rows.) The seed is fixed.

    ``y_true`` and ``selected`` are 0/1 for "is the favourable outcome"; without ``y_true``
    only selection rates are computed (TPR, FPR and equalized odds need the truth).
    """
    if y_true is None:
        return _selection_only(selected, groups, label=label, policy=policy)
    names, codes = np.unique(groups, return_inverse=True)
    k = len(names)
    y = y_true.astype(bool)
    sel = selected.astype(bool)
    n = np.bincount(codes, minlength=k)
    pos = np.bincount(codes, weights=y, minlength=k).astype(np.int64)
    neg = n - pos
    chosen = np.bincount(codes, weights=sel, minlength=k)
    tp = np.bincount(codes, weights=sel & y, minlength=k)
    fp = chosen - tp
    sr = chosen / n
    tpr = np.divide(tp, pos, out=np.zeros(k), where=pos > 0)
    fpr = np.divide(fp, neg, out=np.zeros(k), where=neg > 0)
    total = int(n.sum())
    stats = [
        GroupStats(
            group=str(names[i]),
            n=int(n[i]),
            share=float(n[i] / total),
            positives=int(pos[i]),
            selection_rate=float(sr[i]),
            tpr=float(tpr[i]) if pos[i] > 0 else None,
            fpr=float(fpr[i]) if neg[i] > 0 else None,
        )
        for i in range(k)
    ]
    has_pos, has_neg = pos > 0, neg > 0
    ratio = float(_ratio(sr))
    eod = float(max(_range(tpr[has_pos]), _range(fpr[has_neg])))
    undefined = [str(names[i]) for i in range(k) if not (has_pos[i] and has_neg[i])]
    result = ClassFairness(
        label=label,
        groups=stats,
        selection_rate_ratio=ratio if sr.max() > 0 else None,
        equalized_odds_difference=eod,
        undefined_rate_groups=undefined,
    )
    boot = policy.bootstrap_samples
    if boot > 0 and n.min() < policy.bootstrap_below_rows and k >= 2:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        sr_b = rng.binomial(n, sr, size=(boot, len(n))) / n
        tpr_b = rng.binomial(pos[has_pos], tpr[has_pos], size=(boot, int(has_pos.sum())))
        fpr_b = rng.binomial(neg[has_neg], fpr[has_neg], size=(boot, int(has_neg.sum())))
        eod_b = np.maximum(_range(tpr_b / pos[has_pos]), _range(fpr_b / neg[has_neg]))
        level = policy.confidence_level
        if sr.max() > 0:
            result.ratio_ci = _interval(_ratio(sr_b), level, boot)
        result.eod_ci = _interval(eod_b, level, boot)
    return result


def _selection_only(
    selected: np.ndarray, groups: np.ndarray, *, label: str, policy: FairnessPolicy
) -> ClassFairness:
    """Selection rates per group and their ratio (with its bootstrap), from decisions alone."""
    names, codes = np.unique(groups, return_inverse=True)
    k = len(names)
    n = np.bincount(codes, minlength=k)
    sr = np.bincount(codes, weights=selected.astype(bool), minlength=k) / n
    stats = [
        GroupStats(group=str(g), n=int(c), share=float(c / n.sum()), selection_rate=float(r))
        for g, c, r in zip(names, n, sr, strict=True)
    ]
    result = ClassFairness(
        label=label,
        groups=stats,
        selection_rate_ratio=float(_ratio(sr)) if sr.max() > 0 else None,
        equalized_odds_difference=None,
    )
    boot = policy.bootstrap_samples
    if boot > 0 and n.min() < policy.bootstrap_below_rows and k >= 2 and sr.max() > 0:
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        sr_b = rng.binomial(n, sr, size=(boot, k)) / n
        result.ratio_ci = _interval(_ratio(sr_b), policy.confidence_level, boot)
    return result


def _regression_groups(
    y_true: np.ndarray | None, y_pred: np.ndarray, groups: np.ndarray
) -> list[GroupStats]:
    total = len(groups)
    out = []
    for g in sorted(set(groups.tolist())):
        m = groups == g
        out.append(
            GroupStats(
                group=str(g),
                n=int(m.sum()),
                share=float(m.sum() / total),
                mean_prediction=float(y_pred[m].mean()),
                mae=None if y_true is None else float(np.abs(y_true[m] - y_pred[m]).mean()),
            )
        )
    return out


def _count_groups(groups: np.ndarray) -> list[GroupStats]:
    levels, counts = np.unique(groups, return_counts=True)
    total = int(counts.sum())
    return [
        GroupStats(group=str(g), n=int(c), share=float(c / total))
        for g, c in zip(levels, counts, strict=True)
    ]


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class _Data:
    """Validated arrays of one task."""

    task: Task
    y_true: np.ndarray | None
    y_pred: np.ndarray | None
    y_score: np.ndarray | None
    pred_from_score: bool


def _validate(frame: PredictionFrame, task: Task) -> _Data:
    src = frame.source
    if task == "binary_classification":
        y_true = (
            None
            if frame.y_true is None
            else _as_binary(frame.y_true, Y_TRUE, src, is_text=frame.y_true_is_text)
        )
        if y_true is not None and len(np.unique(y_true)) < 2:
            msg = f"holds one class only ({int(y_true[0])}); ROC AUC and rates need both 0 and 1"
            raise EvidenceError(msg, source=src, field=Y_TRUE)
        y_pred = (
            _as_binary(frame.y_pred, Y_PRED, src, is_text=frame.y_pred_is_text)
            if frame.y_pred is not None
            else None
        )
        from_score = y_pred is None
        if y_pred is None:
            assert frame.y_score is not None
            y_pred = (frame.y_score >= 0.5).astype(np.int64)
        return _Data(task, y_true, y_pred, frame.y_score, from_score)
    if task == "multiclass_classification":
        if frame.y_pred is None:
            msg = (
                "multiclass predictions need a y_pred column (y_score holds one probability, "
                "which fits binary tasks only)"
            )
            raise EvidenceError(msg, source=src, field=Y_PRED)
        y_true = (
            None if frame.y_true is None else _labels(frame.y_true, is_text=frame.y_true_is_text)
        )
        if y_true is not None and len(np.unique(y_true)) < 2:
            msg = f"holds one class only ({y_true[0]!r})"
            raise EvidenceError(msg, source=src, field=Y_TRUE)
        y_pred = _labels(frame.y_pred, is_text=frame.y_pred_is_text)
        return _Data(task, y_true, y_pred, None, False)
    if frame.y_pred is None:
        msg = "regression predictions need a y_pred column with the predicted values"
        raise EvidenceError(msg, source=src, field=Y_PRED)
    y_true = (
        None
        if frame.y_true is None
        else _numeric(frame.y_true, Y_TRUE, src, is_text=frame.y_true_is_text)
    )
    y_pred = _numeric(frame.y_pred, Y_PRED, src, is_text=frame.y_pred_is_text)
    return _Data(task, y_true, y_pred, None, False)


def _default_key_metric(data: _Data) -> str:
    if data.task == "binary_classification":
        return "roc_auc" if data.y_score is not None else "accuracy"
    if data.task == "multiclass_classification":
        return "accuracy"
    return "rmse"


def _subset(data: _Data, mask: np.ndarray, only: Sequence[str] | None = None) -> dict[str, float]:
    if data.y_true is None:  # no labels: nothing to score
        return {}
    return compute_metrics(
        data.task,
        data.y_true[mask],
        None if data.y_pred is None else data.y_pred[mask],
        None if data.y_score is None else data.y_score[mask],
        only=only,
    )


def slice_gap(metric: str, overall: float, value: float) -> float:
    """How much worse a slice is than overall: points for [0, 1] metrics, else relative.

    Zero or negative when the slice is as good or better.
    """
    worse = (overall - value) if higher_is_better(metric) else (value - overall)
    if is_bounded(metric) or overall == 0:
        return worse
    return worse / abs(overall)


def summarize_predictions(
    frame: PredictionFrame,
    *,
    task: str | None,
    sensitive: Sequence[str],
    slices: Sequence[str],
    criteria: Sequence[str],
    performance: PerformancePolicy,
    fairness: FairnessPolicy,
    favorable: str | int | None = None,
) -> PredictionsSummary:
    """Compute per-split metrics, calibration, slice metrics and group fairness.

    Args:
        frame: the arrays read by :func:`read_predictions`.
        task: the dossier's ``model.task`` (``None``: inferred from ``y_true``).
        sensitive: the sensitive attribute columns.
        slices: the segment columns.
        criteria: success-criterion metric names; the first one computable is the key metric.
        performance: calibration bins and slice settings.
        fairness: bootstrap settings.
        favorable: ``responsible_ai.favorable_label``: the outcome whose rate is compared
            across groups (default ``1`` for a binary task; every class one-vs-rest for
            multiclass).

    Raises:
        EvidenceError: the labels or predictions do not fit the task.
    """
    split_names = frame.split if frame.split is not None else np.full(frame.rows, ALL_ROWS)
    levels, counts = np.unique(split_names, return_counts=True)
    split_rows = {str(k): int(v) for k, v in zip(levels, counts, strict=True)}
    base = {
        "source": frame.source,
        "rows": frame.rows,
        "has_split_column": frame.split is not None,
        "split_rows": split_rows,
        "has_score": frame.y_score is not None,
        "has_pred": frame.y_pred is not None,
        "has_labels": frame.y_true is not None,
        "absent_columns": frame.absent,
        "columns": frame.columns,
    }
    inferred = task is None
    if task in ("forecasting",):
        task = "regression"
    if task is None:
        task = _infer_task(frame)
    if task not in ("binary_classification", "multiclass_classification", "regression"):
        return PredictionsSummary(
            **base,
            task=task,
            supported=False,
            splits={},
            held_out_split=None,
            note=f"metrics are not computed from a predictions file for task {task}",
        )
    data = _validate(frame, task)  # type: ignore[arg-type]

    splits = {name: _subset(data, split_names == name) for name in split_rows}
    held = next((s for s in HELD_OUT_SPLITS if s in split_rows), None)
    computable = set().union(*(set(m) for m in splits.values())) if splits else set()
    key = next(
        (canonical_metric(c) for c in criteria if canonical_metric(c) in computable),
        _default_key_metric(data),
    )
    summary = PredictionsSummary(
        **base,
        task=task,
        task_inferred=inferred,
        supported=True,
        splits=splits,
        pred_from_score=data.pred_from_score,
        held_out_split=held,
        key_metric=key,
    )
    if held is None:
        summary.note = "no held-out rows (no test or validation split)"
        return summary
    mask = split_names == held
    summary.overall = splits[held].get(key)
    if data.y_true is None:
        summary.note = "no y_true column: selection rates only, no metrics"
    if task == "binary_classification" and data.y_score is not None and data.y_true is not None:
        ece, curve = expected_calibration_error(
            data.y_true[mask], data.y_score[mask], bins=performance.calibration_bins
        )
        summary.calibration = Calibration(
            split=held,
            rows=int(mask.sum()),
            bins=performance.calibration_bins,
            ece=ece,
            max_gap=max(abs(b.mean_score - b.observed_rate) for b in curve),
            curve=curve,
        )
    group_labels: dict[str, tuple[np.ndarray, bool]] = {
        col: _group_labels(values[mask], numeric=frame.group_is_numeric[col])
        for col, values in frame.groups.items()
    }
    held_data = _Data(
        data.task,
        None if data.y_true is None else data.y_true[mask],
        None if data.y_pred is None else data.y_pred[mask],
        None if data.y_score is None else data.y_score[mask],
        data.pred_from_score,
    )
    for col in dict.fromkeys([*slices, *sensitive]):
        if col not in group_labels or data.y_true is None:
            continue
        labels, binned = group_labels[col]
        summary.slices[col] = _slice_column(
            col, labels, binned, held_data, key, summary.overall, performance
        )
    for col in dict.fromkeys(sensitive):
        if col not in group_labels:
            continue
        labels, binned = group_labels[col]
        summary.fairness[col] = _attribute_fairness(
            col, held, labels, binned, held_data, fairness, favorable
        )
    return summary


def _slice_column(
    column: str,
    labels: np.ndarray,
    binned: bool,
    data: _Data,
    key: str,
    overall: float | None,
    policy: PerformancePolicy,
) -> SliceColumn:
    groups = []
    for g in sorted(set(labels.tolist())):
        m = labels == g
        n = int(m.sum())
        value = _subset(data, m, only=[key]).get(key)
        gap = None if value is None or overall is None else slice_gap(key, overall, value)
        groups.append(
            SliceGroup(
                group=str(g),
                n=n,
                value=value,
                gap=gap,
                judged=gap is not None and n >= policy.slice_min_rows,
            )
        )
    return SliceColumn(column=column, binned=binned, groups=groups)


def _attribute_fairness(
    column: str,
    split: str,
    labels: np.ndarray,
    binned: bool,
    data: _Data,
    policy: FairnessPolicy,
    favorable: str | int | None,
) -> AttributeFairness:
    counts = _count_groups(labels)
    common = {
        "attribute": column,
        "split": split,
        "rows": len(labels),
        "binned": binned,
        "smallest_group_rows": min(g.n for g in counts),
    }
    if data.task == "regression":
        assert data.y_pred is not None
        groups = _regression_groups(data.y_true, data.y_pred, labels)
        return AttributeFairness(**common, kind="regression", groups=groups)
    assert data.y_pred is not None
    bootstrapped = (
        policy.bootstrap_samples > 0
        and common["smallest_group_rows"] < policy.bootstrap_below_rows  # type: ignore[operator]
        and len(counts) >= 2
    )
    if data.task == "binary_classification":
        # Selection is the favourable decision: recoding 1 = bad as 1 = good (and the
        # favourable label with it) leaves every rate the same.
        fav = binary_favorable(favorable)
        result = group_fairness(
            None if data.y_true is None else (data.y_true == fav).astype(np.int64),
            (data.y_pred == fav).astype(np.int64),
            labels,
            label=str(fav),
            policy=policy,
        )
        return AttributeFairness(
            **common,
            kind="binary",
            groups=result.groups,
            classes=[result],
            selection_from_score=data.pred_from_score,
            bootstrapped=bootstrapped,
            favorable_label=str(fav),
        )
    observed = set() if data.y_true is None else set(data.y_true.tolist())
    classes = sorted(observed | set(data.y_pred.tolist()))
    if favorable is not None:
        classes = [c for c in classes if str(c) == str(favorable)] or [str(favorable)]
    if len(classes) > MAX_ONE_VS_REST_CLASSES:
        return AttributeFairness(**common, kind="too_many_classes", groups=counts)
    per_class = [
        group_fairness(
            None if data.y_true is None else (data.y_true == c).astype(np.int64),
            (data.y_pred == c).astype(np.int64),
            labels,
            label=str(c),
            policy=policy,
        )
        for c in classes
    ]
    return AttributeFairness(
        **common,
        kind="one_vs_rest",
        groups=counts,
        classes=per_class,
        bootstrapped=bootstrapped,
        favorable_label=None if favorable is None else str(favorable),
    )


def binary_favorable(favorable: str | int | None) -> int:
    """The favourable class of a binary task as 0 or 1 (default 1).

    Raises:
        EvidenceError: the dossier's favourable label is neither 0 nor 1.
    """
    if favorable is None:
        return 1
    text = str(favorable).strip().lower()
    if text in ("1", "1.0", "true"):
        return 1
    if text in ("0", "0.0", "false"):
        return 0
    msg = f"a binary task's favourable label must be 0 or 1, got {favorable!r}"
    raise EvidenceError(msg, source="dossier", field="responsible_ai.favorable_label")


def summary_params(
    *,
    task: str | None,
    sensitive: Sequence[str],
    slices: Sequence[str],
    criteria: Sequence[str],
    favorable: str | int | None = None,
) -> str:
    """The cache parameters of a summary: everything besides the file and policy it reads."""
    return json.dumps(
        {
            "task": task,
            "sensitive": list(sensitive),
            "slices": list(slices),
            "criteria": list(criteria),
            "favorable": None if favorable is None else str(favorable),
            "v": 2,
        },
        sort_keys=True,
    )
