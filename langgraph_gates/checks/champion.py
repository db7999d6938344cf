"""Champion versus challenger: MP.CHAMPION (overall and per slice) and RAI.GROUP_REGRESSION.

What they need: ``performance.champion`` with the champion's predictions on the candidate's
held-out rows (``predictions`` file or ``columns`` of the candidate's predictions file), and
the candidate's ``performance.predictions``. Each success metric (the task's key metric when
none is declared) is compared on the same rows with a seeded paired bootstrap
(:mod:`langgraph_gates.evidence.champion`) against the policy's change threshold
(``champion.change``, MLflow/TFMA style ``min_absolute_change`` / ``min_relative_change``):

* the point difference is worse than the threshold allows: ``fail``;
* the paired interval reaches below the threshold (the data cannot tell): ``warn``;
* the whole interval meets it: ``pass``.

When evidence is missing or broken, fail closed:

* no champion declared: ``missing`` (neither check is required by default; a policy can add
  them to ``required:``);
* a champion with only reported ``metrics``: MP.CHAMPION compares the point values with no
  interval, so at best ``warn``; RAI.GROUP_REGRESSION is ``missing`` (groups need rows);
* a champion file or column that is unreadable, misaligned with the candidate's rows (row
  count, key, a differing ``y_true``) or empty: ``error``, which counts as ``fail``;
* a slice or sensitive column that is not in the predictions file: ``error``;
* the candidate's predictions a Spark table and the champion's a file (two engines): ``error``.

A candidate's Spark table is compared on the cluster (the champion as columns of the table),
with the same SQL translated; its result is kept in memory for the review only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import JsonValue

from langgraph_gates.checks._text import is_documented
from langgraph_gates.checks.base import CheckContext, Verdict, error, judged, missing, ok
from langgraph_gates.checks.metrics_file import split_metrics
from langgraph_gates.dossier import TableRef
from langgraph_gates.evidence.champion import (
    BootstrapSettings,
    ChampionComparison,
    ChampionSource,
    GroupChange,
    MetricChange,
    compare_champion,
)
from langgraph_gates.evidence.predictions import canonical_metric, higher_is_better, is_bounded
from langgraph_gates.evidence.spark_table import SparkTable, open_spark_table
from langgraph_gates.policy import Policy
from langgraph_gates.state import EvidenceRef, Outcome, Threshold

__all__ = ["check_champion", "check_group_regression", "judge_change", "load_comparison"]

_FIELD = "performance.champion"
_DEFAULT_METRICS = {
    "binary_classification": ("roc_auc", "accuracy"),
    "multiclass_classification": ("accuracy",),
    "regression": ("rmse",),
}
_RANK = {Outcome.PASS: 0, Outcome.WARN: 1, Outcome.ERROR: 2, Outcome.FAIL: 3}


def judge_change(change: MetricChange, policy: Policy) -> tuple[Outcome, float | None]:
    """Pass, warn or fail for one metric's change, and the change it needed.

    Fail when the point improvement is below the required change; warn when the paired
    interval's lower end is (or there is no interval); pass otherwise. An undefined value is
    an ``error`` (nothing was measured, so nothing passes).
    """
    if change.improvement is None or change.champion is None:
        return Outcome.ERROR, None
    threshold = policy.champion.threshold_for(change.metric, bounded=is_bounded(change.metric))
    needed = threshold.required(change.champion)
    # A tiny float error must not turn an exact edge (improvement == needed) into a fail.
    if change.improvement < needed - 1e-12:
        return Outcome.FAIL, needed
    if change.low is None or change.low < needed - 1e-12:
        return Outcome.WARN, needed
    return Outcome.PASS, needed


def _metrics(ctx: CheckContext, task: str) -> list[str]:
    declared = [canonical_metric(c.metric) for c in ctx.dossier.problem.success_criteria]
    return list(dict.fromkeys(declared)) or list(_DEFAULT_METRICS[task])


def _who(ctx: CheckContext) -> str:
    champ = ctx.dossier.performance.champion
    assert champ is not None
    name = " ".join(filter(None, [champ.name or ctx.dossier.model.name, champ.version]))
    return f"champion {name}" if name else "the champion"


def _source(ctx: CheckContext) -> ChampionSource | None:
    """Where the champion's predictions are, or ``None`` when only metrics are declared."""
    champ = ctx.dossier.performance.champion
    assert champ is not None
    if champ.predictions:
        return ChampionSource(
            path=ctx.path(f"{_FIELD}.predictions", champ.predictions),
            display=champ.predictions,
            pred_column=champ.columns.y_pred if champ.columns else None,
            score_column=champ.columns.y_score if champ.columns else None,
            key=champ.key,
        )
    if champ.columns and (champ.columns.y_pred or champ.columns.y_score):
        return ChampionSource(
            path=None,
            display=None,
            pred_column=champ.columns.y_pred,
            score_column=champ.columns.y_score,
        )
    return None


def load_comparison(ctx: CheckContext, purpose: str) -> ChampionComparison | Verdict:
    """The paired comparison (cached by file content and policy), or the verdict saying why not.

    Raises:
        EvidenceError: a file is unreadable or the champion's rows do not line up.
    """
    champ = ctx.dossier.performance.champion
    where = EvidenceRef(source=_FIELD)
    if champ is None:
        reason = (ctx.dossier.performance.no_champion or "").strip()
        if reason and not is_documented(reason):
            return missing(
                "performance.no_champion gives no usable reason (placeholder text).",
                evidence=EvidenceRef(source="performance.no_champion"),
            )
        if reason:  # a declared first release: nothing in production to be worse than
            return ok(
                f"No model in production to compare with: {reason}",
                evidence=EvidenceRef(source="performance.no_champion"),
            )
        return missing(
            f"No champion is declared ({_FIELD}), so {purpose} is not measured; a first "
            "release says why in performance.no_champion.",
            evidence=where,
            mitigation="Declare the model in production as performance.champion (its "
            "predictions on the same rows, or its metrics); for a first release, say why there "
            "is none in performance.no_champion.",
        )
    task = ctx.dossier.model.task
    if task not in _DEFAULT_METRICS:
        return missing(
            f"{purpose.capitalize()} needs model.task binary_classification, "
            f"multiclass_classification or regression (got {task or 'none'}).",
            evidence=EvidenceRef(source="model.task"),
        )
    source = _source(ctx)
    if source is None:
        return missing(
            f"The champion's predictions are not given ({_FIELD}.predictions or "
            f".columns), so {purpose} cannot be measured on the same rows.",
            evidence=where,
        )
    if not ctx.dossier.performance.predictions:
        return error(
            "A champion is declared but the candidate has no predictions file "
            "(performance.predictions) to compare it on.",
            evidence=EvidenceRef(source="performance.predictions"),
        )
    cand = ctx.dossier.performance.predictions
    groups = [*ctx.dossier.performance.slices, *(ctx.dossier.data.sensitive_attributes or [])]
    metrics = _metrics(ctx, task)
    pol = ctx.policy.champion
    settings = BootstrapSettings(pol.bootstrap_samples, pol.seed, pol.auc_bins)
    params = repr((source, task, metrics, groups, settings, pol.confidence_level))

    def compare(candidate: tuple[Path, str] | SparkTable) -> ChampionComparison:
        return compare_champion(
            candidate,
            source,
            task=task,
            metrics=metrics,
            group_columns=groups,
            settings=settings,
            level=pol.confidence_level,
            null_values=ctx.policy.data.csv_null_values,
        )

    if isinstance(cand, TableRef):
        return _table_comparison(ctx, cand, params, compare)
    cand_path = ctx.path("performance.predictions", cand)
    files = [cand_path] + ([source.path] if source.path else [])
    return ctx.evidence.cached(
        "champion", files, ChampionComparison, lambda: compare((cand_path, cand)), params=params
    )


def _table_comparison(
    ctx: CheckContext,
    ref: TableRef,
    params: str,
    compare: Callable[[SparkTable], ChampionComparison],
) -> ChampionComparison:
    """The comparison on a candidate's Spark table, cached in memory for this review only.

    The table is opened once per review (shared with the predictions checks); the key holds
    what opening it read (columns and row count), as for the predictions summary.

    Raises:
        EvidenceError: the table cannot be opened or compared, or the champion is a file.
    """
    table = ctx.evidence.attempt(
        "open-spark-table", [], lambda: open_spark_table(ref.table), params=str(ref)
    )
    key = json.dumps([params, table.display, table.columns, table.n_rows])
    return ctx.evidence.cached(
        "champion", [], ChampionComparison, lambda: compare(table), params=key, persist=False
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4g}"


def _judged_rows(changes: Sequence[MetricChange], policy: Policy) -> list[dict[str, JsonValue]]:
    rows: list[dict[str, JsonValue]] = []
    for ch in changes:
        outcome, needed = judge_change(ch, policy)
        rows.append({**ch.model_dump(), "required": needed, "outcome": outcome.value})
    return rows


def _line(row: dict[str, JsonValue]) -> str:
    cand, champ = row["candidate"], row["champion"]
    values = (
        f"{cand:.4g} vs {champ:.4g}"
        if isinstance(cand, float) and isinstance(champ, float)
        else "undefined"
    )
    interval = (
        f" [{_fmt(row['low'])}, {_fmt(row['high'])}]"  # type: ignore[arg-type]
        if row["low"] is not None
        else " (no interval)"
    )
    needed = row["required"]
    need = f", needs >= {needed:+.4g}" if isinstance(needed, float) else ""
    return f"{row['metric']} {values}, {_fmt(row['improvement'])}{interval}{need}"  # type: ignore[arg-type]


def _worst(rows: Sequence[dict[str, JsonValue]]) -> Outcome:
    outcomes = [Outcome(str(r["outcome"])) for r in rows]
    return max(outcomes, key=lambda o: _RANK[o], default=Outcome.PASS)


def _margin(rows: Sequence[dict[str, JsonValue]]) -> float | None:
    """The worst (improvement - required change): below 0 is past the threshold."""
    margins = [
        float(r["improvement"]) - float(r["required"])  # type: ignore[arg-type]
        for r in rows
        if isinstance(r["improvement"], float) and isinstance(r["required"], float)
    ]
    return min(margins, default=None)


_THRESHOLD = Threshold(
    metric="improvement over the champion - required change (policy champion.change)",
    direction="below",
    fail=0.0,
)


def _header(ctx: CheckContext, comp: ChampionComparison) -> str:
    split = "all rows" if comp.split == "all" else f"the {comp.split} split"
    return (
        f"Against {_who(ctx)} on {split} ({comp.rows} paired rows, {comp.samples} paired "
        f"bootstrap replicates, {comp.level:.0%} interval; positive = candidate better)"
    )


def _overall(ctx: CheckContext, comp: ChampionComparison) -> Verdict:
    rows = _judged_rows(comp.overall, ctx.policy)
    skipped = "".join(f" Not compared: {m} ({why})." for m, why in comp.unsupported.items())
    where = [EvidenceRef(source=comp.source), EvidenceRef(source=comp.champion_source)]
    measured: dict[str, JsonValue] = {
        "champion": _who(ctx),
        "split": comp.split,
        "rows": comp.rows,
        "samples": comp.samples,
        "level": comp.level,
        "seed": comp.seed,
        "metrics": list[JsonValue](rows),
        "unsupported": dict(comp.unsupported),
    }
    if not rows:
        return error(
            f"{_header(ctx, comp)}: no metric could be compared.{skipped}",
            measured=measured,
            evidence=where,
        )
    outcome = _worst(rows)
    message = f"{_header(ctx, comp)}: " + "; ".join(_line(r) for r in rows) + "." + skipped
    return judged(
        outcome,
        message,
        measured=measured,
        threshold=_THRESHOLD,
        value=_margin(rows),
        evidence=where,
    )


def _group_verdict(ctx: CheckContext, comp: ChampionComparison, column: str, what: str) -> Verdict:
    """The verdict over one column's groups: the worst judged group decides."""
    min_rows = ctx.policy.champion.group_min_rows
    groups = [g for g in comp.groups if g.column == column]
    judged_groups: list[tuple[GroupChange, list[dict[str, JsonValue]]]] = []
    for g in groups:
        rows = [r for r in _judged_rows(g.metrics, ctx.policy) if r["outcome"] != "error"]
        if g.rows >= min_rows and rows:
            judged_groups.append((g, rows))
    table: dict[str, JsonValue] = {
        g.group: {"rows": g.rows, "metrics": list[JsonValue](_judged_rows(g.metrics, ctx.policy))}
        for g in groups
    }
    measured: dict[str, JsonValue] = {
        "attribute": column,
        "champion": _who(ctx),
        "split": comp.split,
        "min_rows": min_rows,
        "groups": table,
    }
    where = EvidenceRef(source=comp.source, column=column)
    if not judged_groups:
        return missing(
            f"No {what} of {column} has {min_rows} rows with the metrics defined, "
            "so none could be compared with the champion.",
            measured=measured,
            evidence=where,
        )
    outcome = max((_worst(rows) for _, rows in judged_groups), key=lambda o: _RANK[o])
    skipped = len(groups) - len(judged_groups)
    tail = f" ({skipped} {what}(s) too small or undefined were not judged)" if skipped else ""
    if outcome is Outcome.PASS:
        message = (
            f"{_header(ctx, comp)}: no {what} of {column} is worse than the policy "
            f"allows ({len(judged_groups)} judged){tail}."
        )
    else:
        bad = [
            f"{column}={g.group} (n={g.rows}): "
            + "; ".join(_line(r) for r in rows if r["outcome"] != "pass")
            for g, rows in judged_groups
            if _worst(rows) is not Outcome.PASS
        ]
        verb = (
            "worse than the champion beyond tolerance"
            if outcome is Outcome.FAIL
            else ("possibly worse (the interval reaches past the tolerance)")
        )
        message = (
            f"{_header(ctx, comp)}: {len(bad)} {what}(s) {verb}: "
            + " | ".join(bad[:5])
            + tail
            + "."
        )
    margins = [m for _, rows in judged_groups if (m := _margin(rows)) is not None]
    return judged(
        outcome,
        message,
        measured=measured,
        threshold=_THRESHOLD,
        value=min(margins, default=None),
        evidence=where,
    )


def _absent(comp: ChampionComparison, columns: Sequence[str]) -> list[Verdict]:
    absent = [c for c in columns if c in comp.absent_columns]
    if not absent:
        return []
    return [
        error(
            f"Column(s) {', '.join(absent)} are not in the predictions file {comp.source}, so the "
            "champion cannot be compared within them.",
            evidence=[EvidenceRef(source=comp.source, column=c) for c in absent],
        )
    ]


def _reported_only(ctx: CheckContext, why: Verdict) -> Verdict:
    """Champion metrics without its predictions: point comparison, no interval (at best warn)."""
    champ = ctx.dossier.performance.champion
    if champ is None or not champ.metrics or ctx.dossier.model.task not in _DEFAULT_METRICS:
        return why
    reported = {canonical_metric(k): v for k, v in champ.metrics.items()}
    wanted = [m for m in _metrics(ctx, str(ctx.dossier.model.task)) if m in reported] or list(
        reported
    )
    changes: list[MetricChange] = []
    for src in split_metrics(ctx):
        for m in wanted:
            found = src.held_out_value(m)
            if found is not None and m not in {c.metric for c in changes}:
                sign = 1.0 if higher_is_better(m) else -1.0
                changes.append(
                    MetricChange(
                        metric=m,
                        candidate=found[1],
                        champion=reported[m],
                        improvement=sign * (found[1] - reported[m]),
                    )
                )
    if not changes:
        return error(
            f"The champion's reported metrics ({', '.join(reported)}) are not "
            "measured for the candidate on a held-out split.",
            evidence=EvidenceRef(source=f"{_FIELD}.metrics"),
        )
    rows = _judged_rows(changes, ctx.policy)
    message = (
        f"Against {_who(ctx)}'s reported metrics (no predictions on the same rows, so no "
        "paired interval; at best a warn): " + "; ".join(_line(r) for r in rows) + "."
    )
    return judged(
        _worst(rows),
        message,
        measured={"metrics": list[JsonValue](rows)},
        threshold=_THRESHOLD,
        value=_margin(rows),
        evidence=EvidenceRef(source=f"{_FIELD}.metrics"),
    )


def check_champion(ctx: CheckContext) -> Verdict | list[Verdict]:
    """Judges MP.CHAMPION: the candidate versus the champion on the same rows, overall and per slice."""
    comp = load_comparison(ctx, "the champion comparison")
    if isinstance(comp, Verdict):
        return _reported_only(ctx, comp) if comp.outcome is Outcome.MISSING else comp
    slices = list(ctx.dossier.performance.slices)
    return [
        _overall(ctx, comp),
        *_absent(comp, slices),
        *(_group_verdict(ctx, comp, c, "slice") for c in slices if c not in comp.absent_columns),
    ]


def check_group_regression(ctx: CheckContext) -> Verdict | list[Verdict]:
    """Judges RAI.GROUP_REGRESSION: no sensitive group made worse than the champion left it."""
    sensitive = list(ctx.dossier.data.sensitive_attributes or [])
    if not sensitive:
        return missing(
            "No sensitive attributes are declared (data.sensitive_attributes), so no "
            "group can be compared with the champion.",
            evidence=EvidenceRef(source="data.sensitive_attributes"),
        )
    comp = load_comparison(ctx, "the group comparison with the champion")
    if isinstance(comp, Verdict):
        return comp
    return [
        *_absent(comp, sensitive),
        *(_group_verdict(ctx, comp, c, "group") for c in sensitive if c not in comp.absent_columns),
    ]
