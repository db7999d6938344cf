"""Performance checks computed from the predictions file: calibration and slice gaps.

The predictions (a file, or a table on Spark) are read once per content and policy (:func:`load_predictions`, cached in the evidence
store) into a :class:`~langgraph_gates.evidence.predictions.PredictionsSummary` that these
checks, the fairness checks and the success-criteria / overfitting checks of
:mod:`langgraph_gates.checks.metrics_file` all read. The file format is documented in
:mod:`langgraph_gates.evidence.predictions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import JsonValue

from langgraph_gates.checks.base import CheckContext, Verdict, error, judged, missing
from langgraph_gates.dossier import TableRef
from langgraph_gates.evidence.predictions import (
    PredictionFrame,
    PredictionsSummary,
    SliceColumn,
    SliceGroup,
    is_bounded,
    read_predictions,
    read_predictions_table,
    summarize_predictions,
    summary_params,
)
from langgraph_gates.evidence.spark_table import open_spark_table
from langgraph_gates.state import EvidenceRef, Outcome

__all__ = [
    "check_calibration",
    "check_slice_gap",
    "load_predictions",
    "usable_predictions",
]

_FIELD = "performance.predictions"


def load_predictions(ctx: CheckContext) -> PredictionsSummary | None:
    """The dossier's predictions (a file or a Spark table), summarised and cached.

    Returns ``None`` when none are referenced.

    Raises:
        EvidenceError: the predictions are referenced but cannot be read or do not fit the task.
    """
    value = ctx.dossier.performance.predictions
    if not value:
        return None
    sensitive = list(ctx.dossier.data.sensitive_attributes or [])
    slices = list(ctx.dossier.performance.slices)
    criteria = [c.metric for c in ctx.dossier.problem.success_criteria]
    task = ctx.dossier.model.task
    favorable = ctx.dossier.responsible_ai.favorable_label
    groups = [*slices, *sensitive]

    def summarize(frame: PredictionFrame) -> PredictionsSummary:
        return summarize_predictions(
            frame,
            task=task,
            sensitive=sensitive,
            slices=slices,
            criteria=criteria,
            performance=ctx.policy.performance,
            fairness=ctx.policy.fairness,
            favorable=favorable,
        )

    params = summary_params(
        task=task, sensitive=sensitive, slices=slices, criteria=criteria, favorable=favorable
    )
    if isinstance(value, TableRef):
        return _table_summary(ctx, value, params, groups, summarize)
    path = ctx.path(_FIELD, value)

    def compute() -> PredictionsSummary:
        return summarize(read_predictions(path, source=value, group_columns=groups))

    return ctx.evidence.cached("predictions", [path], PredictionsSummary, compute, params=params)


def _table_summary(
    ctx: CheckContext,
    ref: TableRef,
    params: str,
    groups: list[str],
    summarize: Callable[[PredictionFrame], PredictionsSummary],
) -> PredictionsSummary:
    """A predictions table's summary, cached in memory for this review only.

    A table has no content hash: the key holds what opening it reads (columns and row count),
    and a failure to open it is remembered for the review, as for the data tables.
    """
    table = ctx.evidence.attempt(
        "open-spark-table", [], lambda: open_spark_table(ref.table), params=str(ref)
    )
    cap = ctx.policy.performance.max_table_prediction_rows
    key = json.dumps([params, table.display, table.columns, table.n_rows, cap])

    def compute() -> PredictionsSummary:
        frame = read_predictions_table(table, max_rows=cap, group_columns=groups)
        return summarize(frame)

    return ctx.evidence.cached(
        "predictions", [], PredictionsSummary, compute, params=key, persist=False
    )


def usable_predictions(
    ctx: CheckContext, purpose: str, *, needs_labels: bool = True
) -> PredictionsSummary | Verdict:
    """The summary if it has held-out rows of a supported task, else the ``missing`` verdict.

    Args:
        ctx: the check context.
        purpose: what the caller measures, for the message (e.g. ``"calibration"``).
        needs_labels: whether the measurement needs ``y_true`` (selection rates do not).
    """
    summary = load_predictions(ctx)
    if summary is None:
        return missing(
            f"No predictions file ({_FIELD}), so {purpose} cannot be measured.",
            evidence=EvidenceRef(source=_FIELD),
        )
    where = EvidenceRef(source=summary.source)
    if not summary.supported:
        return missing(f"{purpose.capitalize()} is not measured: {summary.note}.", evidence=where)
    if needs_labels and not summary.has_labels:
        return error(
            f"The predictions file {summary.source} has no y_true column, so {purpose} cannot be "
            f"measured (columns: {', '.join(summary.columns[:12])}).",
            evidence=EvidenceRef(source=summary.source, column="y_true"),
            mitigation="Add the observed outcome as a y_true column to the predictions file.",
        )
    if summary.held_out_split is None:
        shown = ", ".join(sorted(summary.split_rows))
        return missing(
            f"The predictions file has no held-out rows (splits: {shown}), so {purpose} "
            "cannot be measured.",
            evidence=EvidenceRef(source=summary.source, column="split"),
        )
    return summary


def _split_text(summary: PredictionsSummary) -> str:
    split = summary.held_out_split
    return "all rows (no split column)" if split == "all" else f"the {split} split"


def check_calibration(ctx: CheckContext) -> Verdict:
    """Judges MP.CALIBRATION: the expected calibration error of the predicted scores."""
    summary = usable_predictions(ctx, "calibration")
    if isinstance(summary, Verdict):
        return summary
    where = EvidenceRef(source=summary.source, column="y_score")
    if summary.task != "binary_classification":
        return missing(
            f"Calibration is measured on the probability scores of a binary task; this is a "
            f"{summary.task.replace('_', ' ')} task.",
            evidence=EvidenceRef(source=summary.source),
        )
    cal = summary.calibration
    # The decisions (threshold and confusion matrix) travel with this finding so that the
    # reports can show them; they are not judged here.
    decisions = summary.decisions.model_dump() if summary.decisions else None
    if cal is None:
        return missing(
            "The predictions file has no y_score column (probability of the positive class), so "
            "calibration cannot be measured.",
            evidence=where,
            measured={"decisions": decisions} if decisions else {},
        )
    band = ctx.policy.performance.calibration_ece
    outcome = band.judge(cal.ece)
    # Name the bin that contributes most to the ECE, not a tiny bin with a large gap.
    worst = max(cal.curve, key=lambda b: b.count * abs(b.mean_score - b.observed_rate))
    direction = "over" if worst.mean_score > worst.observed_rate else "under"
    message = (
        f"Expected calibration error {cal.ece:.3f} over {cal.bins} bins on {_split_text(summary)} "
        f"({cal.rows} rows); the worst bin ({worst.lower:.1f}-{worst.upper:.1f}, "
        f"{worst.count} rows) {direction}-predicts: mean score {worst.mean_score:.3f} vs "
        f"observed {worst.observed_rate:.3f}."
    )
    curve: list[JsonValue] = [b.model_dump() for b in cal.curve]
    return judged(
        outcome,
        message,
        measured={
            "ece": round(cal.ece, 6),
            "max_gap": round(cal.max_gap, 6),
            "bins": cal.bins,
            "split": cal.split,
            "rows": cal.rows,
            "source": "predictions",
            "reliability_curve": curve,
            **({"decisions": decisions} if decisions else {}),
        },
        threshold=band.threshold("ece"),
        value=cal.ece,
        evidence=where,
    )


def _slice_rows(col: SliceColumn) -> list[JsonValue]:
    return [
        {
            "group": g.group,
            "n": g.n,
            "value": None if g.value is None else round(g.value, 6),
            "gap": None if g.gap is None else round(g.gap, 6),
            "judged": g.judged,
        }
        for g in col.groups
    ]


def _slice_gap_failure(
    summary: PredictionsSummary,
    bad: list[tuple[SliceColumn, SliceGroup]],
    limit: float,
    gap_kind: str,
    worst_gap: float,
) -> str:
    """The message naming the slices past the line (without its closing period)."""
    metric, overall = summary.key_metric or "", summary.overall or 0.0
    gap_text = (
        f"{worst_gap * 100:.1f} points" if gap_kind == "points" else f"{worst_gap:.1%} relative"
    )
    names = ", ".join(f"{c.column}={g.group} ({g.value:.4g}, n={g.n})" for c, g in bad[:5])
    return (
        f"{len(bad)} slice(s) fall more than {limit:g} below overall {metric} "
        f"{overall:.4g} on {_split_text(summary)}: {names}; worst gap {gap_text}"
    )


def check_slice_gap(ctx: CheckContext) -> Verdict | list[Verdict]:
    """Judges MP.SLICE_GAP: how far the weakest slice falls below the overall key metric."""
    columns = list(
        dict.fromkeys(
            [*ctx.dossier.performance.slices, *(ctx.dossier.data.sensitive_attributes or [])]
        )
    )
    if not columns:
        return missing(
            "No slice columns (performance.slices) or sensitive attributes to slice the "
            "predictions by.",
            evidence=EvidenceRef(source="performance.slices"),
        )
    summary = usable_predictions(ctx, "slice performance")
    if isinstance(summary, Verdict):
        return summary
    verdicts: list[Verdict] = []
    absent = [c for c in columns if c in summary.absent_columns]
    if absent:
        verdicts.append(
            error(
                f"Slice column(s) {', '.join(absent)} are not in the predictions file.",
                evidence=[EvidenceRef(source=summary.source, column=c) for c in absent],
                measured={"absent_columns": list(absent), "file_columns": list(summary.columns)},
            )
        )
    present = [summary.slices[c] for c in columns if c in summary.slices]
    if present:
        verdicts.append(_judge_slices(ctx, summary, present))
    return verdicts


def _judge_slices(
    ctx: CheckContext, summary: PredictionsSummary, present: list[SliceColumn]
) -> Verdict:
    """The slice-gap verdict over the slice columns found in the predictions file."""
    metric = summary.key_metric or ""
    policy = ctx.policy.performance
    overall = summary.overall
    if overall is None:
        return missing(
            f"{metric} is not defined on {_split_text(summary)}, so slices cannot be "
            "compared to it.",
            evidence=EvidenceRef(source=summary.source),
        )
    judged_groups = [(col, g) for col in present for g in col.groups if g.judged]
    gap_kind = "points" if is_bounded(metric) else "relative"
    measured: dict[str, JsonValue] = {
        "metric": metric,
        "split": summary.held_out_split,
        "overall": round(overall, 6),
        "gap_kind": gap_kind,
        "min_rows": policy.slice_min_rows,
        "source": "predictions",
        "columns": {col.column: _slice_rows(col) for col in present},
    }
    band = policy.slice_gap
    limit = band.warn if band.warn is not None else (band.fail or 0.0)
    where = [EvidenceRef(source=summary.source, column=col.column) for col in present]
    if not judged_groups:
        return missing(
            f"No slice has at least {policy.slice_min_rows} rows with {metric} defined, so "
            "no slice could be judged.",
            measured=measured,
            evidence=where,
        )
    col, worst = max(judged_groups, key=lambda cg: cg[1].gap or 0.0)
    assert worst.gap is not None and worst.value is not None
    outcome = band.judge(worst.gap)
    measured["worst"] = {"column": col.column, "group": worst.group, "gap": round(worst.gap, 6)}
    skipped = sum(1 for c in present for g in c.groups if not g.judged)
    tail = f" ({skipped} slice(s) too small or undefined were not judged)" if skipped else ""
    if outcome is Outcome.PASS:
        message = (
            f"Every slice is within {limit:g} of overall {metric} {overall:.4g} on "
            f"{_split_text(summary)}; the weakest is {col.column}={worst.group} at "
            f"{worst.value:.4g}{tail}."
        )
    else:
        bad = [(c, g) for c, g in judged_groups if band.judge(g.gap or 0.0) is not Outcome.PASS]
        message = _slice_gap_failure(summary, bad, limit, gap_kind, worst.gap) + tail + "."
    return judged(
        outcome,
        message,
        measured=measured,
        threshold=band.threshold(f"slice_gap ({metric}, {gap_kind})"),
        evidence=where,
        value=worst.gap,
    )
