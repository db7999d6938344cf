"""The predictions summary: the task, metrics per split, calibration, slices and fairness."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.predictions._fairness import (
    AttributeFairness,
    binary_favorable,
    count_groups,
    group_fairness,
    group_labels,
    map_levels,
    regression_groups,
)
from langgraph_gates.evidence.predictions._metrics import (
    Calibration,
    Task,
    canonical_metric,
    compute_metrics,
    expected_calibration_error,
    higher_is_better,
    is_bounded,
)
from langgraph_gates.evidence.predictions._read import (
    ALL_ROWS,
    HELD_OUT_SPLITS,
    Y_PRED,
    Y_TRUE,
    PredictionFrame,
)
from langgraph_gates.policy import FairnessPolicy, PerformancePolicy

__all__ = [
    "PredictionsSummary",
    "SliceColumn",
    "SliceGroup",
    "slice_gap",
    "summarize_predictions",
    "summary_params",
]

MAX_ONE_VS_REST_CLASSES = 20
"""Multiclass fairness is computed one-vs-rest for at most this many classes."""


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


class Decisions(BaseModel):
    """Decisions against labels on the held-out split of a binary task: the confusion matrix."""

    split: str
    threshold: float | None = Field(
        description="The y_score cut-off (>=) when decisions come from scores; None: y_pred given."
    )
    tn: int
    fp: int
    fn: int
    tp: int


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
    decisions: Decisions | None = None
    slices: dict[str, SliceColumn] = Field(default_factory=dict)
    fairness: dict[str, AttributeFairness] = Field(default_factory=dict)
    absent_columns: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list, description="All columns in the file.")

    def metric(self, split: str, name: str) -> float | None:
        """A metric on a split, matched by canonical name."""
        return self.splits.get(split, {}).get(canonical_metric(name))


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
    return map_levels(values, _fmt_value).astype(str)


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


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class _Data:
    """Validated arrays of one task."""

    task: Task
    y_true: np.ndarray | None
    y_pred: np.ndarray | None
    y_score: np.ndarray | None
    pred_from_score: bool

    def subset(self, mask: np.ndarray) -> _Data:
        """The same arrays, only the rows in ``mask``."""

        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[mask]

        return _Data(
            self.task,
            pick(self.y_true),
            pick(self.y_pred),
            pick(self.y_score),
            self.pred_from_score,
        )


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
    base = _base_fields(frame, split_rows)
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
    key = _key_metric(data, splits, criteria)
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
    summary.calibration = _calibration(data, mask, held, performance)
    summary.decisions = _decisions(data, mask, held)
    _held_out_groups(
        summary,
        frame,
        data.subset(mask),
        mask,
        (slices, sensitive),
        (performance, fairness),
        favorable,
    )
    return summary


def _key_metric(data: _Data, splits: dict[str, dict[str, float]], criteria: Sequence[str]) -> str:
    """The first success criterion's metric that could be computed, else the task's default."""
    computable = set().union(*(set(m) for m in splits.values())) if splits else set()
    return next(
        (canonical_metric(c) for c in criteria if canonical_metric(c) in computable),
        _default_key_metric(data),
    )


def _base_fields(frame: PredictionFrame, split_rows: dict[str, int]) -> dict[str, Any]:
    """The summary's fields that describe the file, whatever the task."""
    return {
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


def _calibration(
    data: _Data, mask: np.ndarray, held: str, performance: PerformancePolicy
) -> Calibration | None:
    """The reliability curve of the held-out scores (binary tasks with scores and labels)."""
    if data.task != "binary_classification" or data.y_score is None or data.y_true is None:
        return None
    ece, curve = expected_calibration_error(
        data.y_true[mask], data.y_score[mask], bins=performance.calibration_bins
    )
    return Calibration(
        split=held,
        rows=int(mask.sum()),
        bins=performance.calibration_bins,
        ece=ece,
        max_gap=max(abs(b.mean_score - b.observed_rate) for b in curve),
        curve=curve,
    )


def _decisions(data: _Data, mask: np.ndarray, held: str) -> Decisions | None:
    """The held-out confusion matrix (binary tasks with labels and decisions)."""
    if data.task != "binary_classification" or data.y_pred is None or data.y_true is None:
        return None
    truth, pred = data.y_true[mask] == 1, data.y_pred[mask] == 1
    return Decisions(
        split=held,
        # read_predictions derives y_pred as y_score >= 0.5 when the file has no y_pred
        threshold=0.5 if data.pred_from_score else None,
        tn=int((~truth & ~pred).sum()),
        fp=int((~truth & pred).sum()),
        fn=int((truth & ~pred).sum()),
        tp=int((truth & pred).sum()),
    )


def _held_out_groups(
    summary: PredictionsSummary,
    frame: PredictionFrame,
    held_data: _Data,
    mask: np.ndarray,
    columns: tuple[Sequence[str], Sequence[str]],
    policies: tuple[PerformancePolicy, FairnessPolicy],
    favorable: str | int | None,
) -> None:
    """Fill the summary's slices and fairness from the held-out rows of each group column."""
    slices, sensitive = columns
    performance, fairness = policies
    held, key = summary.held_out_split, summary.key_metric
    assert held is not None and key is not None  # set by the caller before groups are judged
    labelled: dict[str, tuple[np.ndarray, bool]] = {
        col: group_labels(values[mask], numeric=frame.group_is_numeric[col])
        for col, values in frame.groups.items()
    }
    for col in dict.fromkeys([*slices, *sensitive]):
        if col not in labelled or held_data.y_true is None:
            continue
        labels, binned = labelled[col]
        summary.slices[col] = _slice_column(
            col, labels, binned, held_data, key, summary.overall, performance
        )
    for col in dict.fromkeys(sensitive):
        if col not in labelled:
            continue
        labels, binned = labelled[col]
        summary.fairness[col] = _attribute_fairness(
            col, held, labels, binned, held_data, fairness, favorable
        )


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
    counts = count_groups(labels)
    common: dict[str, Any] = {
        "attribute": column,
        "split": split,
        "rows": len(labels),
        "binned": binned,
        "smallest_group_rows": min(g.n for g in counts),
    }
    if data.task == "regression":
        assert data.y_pred is not None
        groups = regression_groups(data.y_true, data.y_pred, labels)
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
            "v": 3,  # 3: the held-out confusion matrix
        },
        sort_keys=True,
    )
