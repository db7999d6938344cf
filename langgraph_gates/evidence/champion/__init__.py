"""Champion versus challenger: both models' metrics on the same rows, with paired intervals.

The dossier's ``performance.champion`` names the model in production. Its predictions on the
candidate's rows come either as a file of their own (``y_pred`` and/or ``y_score``, paired with
the candidate's rows by ``key`` or by position) or as two columns of the candidate's
predictions file. :func:`compare_champion` pairs them in DuckDB (:mod:`._align`), runs a seeded
Poisson paired bootstrap as weighted aggregates (:mod:`._bootstrap`), and returns a small
:class:`ChampionComparison`: per metric, overall and per group, both values, the difference
oriented so that positive means the candidate is better, and its percentile interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
from pydantic import BaseModel, Field

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence._duck import connect
from langgraph_gates.evidence.champion._align import (
    ChampionSource,
    PairedTable,
    pair_predictions,
)
from langgraph_gates.evidence.champion._bootstrap import (
    SUPPORTED_METRICS,
    BootstrapSettings,
    Replicates,
    replicate_metrics,
)
from langgraph_gates.evidence.engine import Connection
from langgraph_gates.evidence.predictions import higher_is_better
from langgraph_gates.evidence.spark_table import SparkTable, spark_scan

__all__ = [
    "SUPPORTED_METRICS",
    "BootstrapSettings",
    "ChampionComparison",
    "ChampionSource",
    "GroupChange",
    "MetricChange",
    "compare_champion",
]


class MetricChange(BaseModel):
    """One metric of both models on the same rows, and the candidate's improvement."""

    metric: str
    candidate: float | None = Field(description="The candidate's value on all the rows.")
    champion: float | None = Field(description="The champion's value on the same rows.")
    improvement: float | None = Field(
        description="candidate - champion, sign flipped for lower-is-better metrics: "
        "positive means the candidate is better."
    )
    low: float | None = Field(default=None, description="Lower end of the paired interval.")
    high: float | None = Field(default=None, description="Upper end of the paired interval.")


class GroupChange(BaseModel):
    """The metrics of one group (a slice or a sensitive group) of one column."""

    column: str
    group: str
    rows: int
    metrics: list[MetricChange]


class ChampionComparison(BaseModel):
    """Everything the champion checks read: overall and per-group paired differences."""

    source: str = Field(description="The candidate's predictions file.")
    champion_source: str = Field(description="Where the champion's predictions came from.")
    split: str = Field(description="The held-out split compared (test, validation or all).")
    rows: int
    samples: int = Field(description="Bootstrap replicates.")
    level: float = Field(description="Confidence level of the intervals.")
    seed: int
    overall: list[MetricChange]
    groups: list[GroupChange] = Field(default_factory=list)
    unsupported: dict[str, str] = Field(
        default_factory=dict, description="metric -> why the paired bootstrap cannot compute it."
    )
    absent_columns: list[str] = Field(default_factory=list)


_Work = TypeVar("_Work")


def _finite(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def _change(metric: str, cand: np.ndarray, champ: np.ndarray, level: float) -> MetricChange:
    """Point values from element 0; the percentile interval of the replicates' differences."""
    sign = 1.0 if higher_is_better(metric) else -1.0
    diffs = sign * (cand[1:] - champ[1:])
    diffs = diffs[np.isfinite(diffs)]
    low = high = None
    # An interval from a handful of defined replicates would be noise; leave it out instead.
    if len(diffs) >= max(10, len(cand[1:]) // 2):
        tail = (1 - level) / 2
        low, high = (float(v) for v in np.quantile(diffs, [tail, 1 - tail]))
    point = sign * (cand[0] - champ[0])
    return MetricChange(
        metric=metric,
        candidate=_finite(cand[0]),
        champion=_finite(champ[0]),
        improvement=_finite(point),
        low=low,
        high=high,
    )


def _unsupported(task: str, metrics: Sequence[str], has_scores: bool) -> dict[str, str]:
    known = SUPPORTED_METRICS.get(task, ())
    out: dict[str, str] = {}
    for m in metrics:
        if m not in known:
            out[m] = f"the paired bootstrap does not compute {m} for a {task.replace('_', ' ')}"
        elif m in ("roc_auc", "log_loss", "brier") and not has_scores:
            out[m] = f"{m} needs a score (y_score) from both the candidate and the champion"
    return out


def _on_spark(
    table: SparkTable, champion: ChampionSource, work: Callable[[Connection], _Work]
) -> _Work:
    """Run the comparison on the table's Spark session, its ``paired`` view dropped after.

    The view is session-scoped and the session is shared by the process: it is dropped before
    (a failed run may have left it) and after, so one comparison never reads another's rows.

    Raises:
        EvidenceError: the champion is a file (rows on two engines cannot be paired), or the
            server fails.
    """
    if champion.path is not None:
        msg = (
            "is a Spark table and the champion's predictions a local file: rows on two "
            "engines cannot be paired (give the champion as columns of the table)"
        )
        raise EvidenceError(msg, source=table.display, field="performance.champion")

    def scoped(con: Connection) -> _Work:
        con.execute("DROP TABLE IF EXISTS paired")
        try:
            return work(con)
        finally:
            con.execute("DROP TABLE IF EXISTS paired")

    result: _Work = spark_scan([table], scoped)
    return result


def compare_champion(
    candidate: tuple[Path, str] | SparkTable,
    champion: ChampionSource,
    *,
    task: str,
    metrics: Sequence[str],
    group_columns: Sequence[str],
    settings: BootstrapSettings,
    level: float,
    null_values: Sequence[str],
) -> ChampionComparison:
    """Pair the two models' predictions and bootstrap their metric differences.

    Args:
        candidate: the candidate's predictions file and its name in the dossier, or its
            opened Spark table (then the champion's predictions are columns of that table).
        champion: where the champion's predictions are.
        task: ``binary_classification``, ``multiclass_classification`` or ``regression``.
        metrics: canonical metric names to compare.
        group_columns: slice and sensitive columns to compare within.
        settings: replicates, seed and AUC bins.
        level: confidence level of the intervals.
        null_values: CSV cells read as missing.

    Raises:
        EvidenceError: a file is unreadable or the predictions are misaligned.
    """
    display = candidate.display if isinstance(candidate, SparkTable) else candidate[1]

    def work(con: Connection) -> tuple[PairedTable, dict[str, str], list[str], Replicates]:
        paired = pair_predictions(
            con, candidate, champion, group_columns=group_columns, null_values=null_values
        )
        unsupported = _unsupported(task, metrics, paired.has_scores)
        wanted = [m for m in metrics if m not in unsupported]
        reps = replicate_metrics(
            con, paired, task=task, metrics=wanted, settings=settings, display=display
        )
        return paired, unsupported, wanted, reps

    if isinstance(candidate, SparkTable):
        paired, unsupported, wanted, reps = _on_spark(candidate, champion, work)
    else:
        with connect() as con:
            paired, unsupported, wanted, reps = work(con)

    def changes(key: tuple[str, str]) -> list[MetricChange]:
        per = reps.values.get(key, {})
        return [_change(m, *per[m], level) for m in wanted if m in per]

    groups = [
        GroupChange(column=col, group=grp, rows=reps.rows[(col, grp)], metrics=changes((col, grp)))
        for col, grp in sorted(k for k in reps.values if k[0])
    ]
    return ChampionComparison(
        source=display,
        champion_source=paired.champion_display,
        split=paired.split,
        rows=paired.rows,
        samples=settings.samples,
        level=level,
        seed=settings.seed,
        overall=changes(("", "")),
        groups=groups,
        unsupported=unsupported,
        absent_columns=list(paired.absent_groups),
    )
