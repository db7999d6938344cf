"""Metric names (aliases, direction, bounds), metrics per split and calibration."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

__all__ = [
    "KNOWN_METRICS",
    "Calibration",
    "ReliabilityBin",
    "Task",
    "canonical_metric",
    "compute_metrics",
    "expected_calibration_error",
    "higher_is_better",
    "is_bounded",
]

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
