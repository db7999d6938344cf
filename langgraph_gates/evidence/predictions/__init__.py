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
The predictions may also be a table on a Spark cluster (``{table: ..., engine: spark}``): the
same queries run there (:func:`read_predictions_table`), the needed columns of every row come
back, and the summary is cached for the review only (a table has no content hash).

One private module per job: :mod:`._read` (the file to arrays), :mod:`._metrics` (metric names,
metrics, calibration), :mod:`._fairness` (groups and their rates) and :mod:`._summary` (the
task, and everything above put together for the checks).
"""

from __future__ import annotations

from langgraph_gates.evidence.predictions._fairness import (
    NUMERIC_GROUP_BINS,
    NUMERIC_GROUP_MAX_LEVELS,
    AttributeFairness,
    ClassFairness,
    GroupStats,
    Interval,
    binary_favorable,
    group_fairness,
)
from langgraph_gates.evidence.predictions._metrics import (
    KNOWN_METRICS,
    Calibration,
    ReliabilityBin,
    canonical_metric,
    compute_metrics,
    expected_calibration_error,
    higher_is_better,
    is_bounded,
)
from langgraph_gates.evidence.predictions._read import (
    ALL_ROWS,
    HELD_OUT_SPLITS,
    PredictionFrame,
    read_predictions,
    read_predictions_table,
)
from langgraph_gates.evidence.predictions._summary import (
    PredictionsSummary,
    SliceColumn,
    SliceGroup,
    slice_gap,
    summarize_predictions,
    summary_params,
)

__all__ = [
    "ALL_ROWS",
    "HELD_OUT_SPLITS",
    "KNOWN_METRICS",
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
    "binary_favorable",
    "canonical_metric",
    "compute_metrics",
    "expected_calibration_error",
    "group_fairness",
    "higher_is_better",
    "is_bounded",
    "read_predictions",
    "read_predictions_table",
    "slice_gap",
    "summarize_predictions",
    "summary_params",
]
