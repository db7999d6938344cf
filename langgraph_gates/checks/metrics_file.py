"""Checks judged from the metrics JSON: success criteria, overfitting, CV stability, baseline,
validation strategy and feature importance.

When a predictions file is given, ``langgraph_gates.checks.predictions`` recomputes the split
metrics from it; these checks then read those values first (see :func:`split_metrics`).
"""

from __future__ import annotations

import statistics

from langgraph_gates.checks.base import (
    CheckContext,
    CheckSpec,
    Verdict,
    fail,
    judged,
    missing,
    ok,
    warn,
)
from langgraph_gates.evidence.metrics import MetricsFile, read_metrics
from langgraph_gates.state import EvidenceRef, Outcome, Severity, Threshold

__all__ = [
    "BASELINE",
    "CV_STABILITY",
    "IMPORTANCE",
    "OVERFIT",
    "SUCCESS_CRITERIA_MET",
    "VALIDATION_STRATEGY",
    "higher_is_better",
    "load_metrics",
]

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


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of this metric is better (by its name)."""
    name = metric.lower()
    return not any(token in name for token in _LOWER_IS_BETTER)


def load_metrics(ctx: CheckContext) -> MetricsFile | None:
    """The dossier's metrics file, parsed and cached; ``None`` when none is referenced.

    Raises:
        EvidenceError: the file is referenced but cannot be read.
    """
    value = ctx.dossier.performance.metrics
    if not value:
        return None
    path = ctx.path("performance.metrics", value)
    return ctx.evidence.cached(
        "metrics", [path], MetricsFile, lambda: read_metrics(path, display=value)
    )


def _eval_split(metrics: MetricsFile, metric: str) -> tuple[str, float] | None:
    """The held-out split to judge a metric on: test if reported, else validation."""
    for split in ("test", "validation"):
        value = metrics.metric(split, metric)
        if value is not None:
            return split, value
    return None


def _source(ctx: CheckContext) -> EvidenceRef:
    return EvidenceRef(source=ctx.dossier.performance.metrics or "performance.metrics")


def check_success_criteria_met(ctx: CheckContext) -> Verdict:
    # Cross-gate: judge the criteria that problem framing recorded.
    framing = ctx.prior_finding("PF.SUCCESS_CRITERIA")
    criteria = ctx.dossier.problem.success_criteria
    if not criteria:
        note = " (problem framing found none)" if framing is not None else ""
        return missing(f"No success criteria to judge the model against{note}.")
    metrics = load_metrics(ctx)
    if metrics is None:
        return missing("No metrics file is referenced, so the success criteria cannot be judged.")
    results = []
    unmet, unreported = [], []
    for c in criteria:
        found = _eval_split(metrics, c.metric)
        if found is None:
            unreported.append(c.metric)
            continue
        split, value = found
        met = value >= c.threshold if c.direction == "higher" else value <= c.threshold
        results.append(
            {
                "metric": c.metric,
                "split": split,
                "value": value,
                "threshold": c.threshold,
                "met": met,
            }
        )
        if not met:
            op = ">=" if c.direction == "higher" else "<="
            unmet.append(f"{c.metric} = {value:.4g} on {split} (needs {op} {c.threshold:g})")
    measured = {"criteria": results, "not_reported": unreported}
    if unmet:
        return fail(
            "Success criteria not met: " + "; ".join(unmet) + ".",
            measured=measured,
            evidence=_source(ctx),
        )
    if unreported:
        return missing(
            f"Metric(s) {', '.join(unreported)} named in the success criteria are not reported "
            "on validation or test.",
            measured=measured,
            evidence=_source(ctx),
        )
    text = "; ".join(f"{r['metric']} = {r['value']:.4g} on {r['split']}" for r in results)
    return ok(f"All success criteria met: {text}.", measured=measured, evidence=_source(ctx))


def key_metric(ctx: CheckContext, metrics: MetricsFile) -> str | None:
    """The metric that matters most: the first success criterion reported, else a common one."""
    for c in ctx.dossier.problem.success_criteria:
        if metrics.metric("train", c.metric) is not None:
            return c.metric
    train = metrics.splits.get("train", {})
    for name in metrics.splits.get("validation", {}):
        if name in train:
            return name
    return None


def relative_gap(metric: str, train: float, held_out: float) -> float:
    """How much worse held-out is than train, relative to train (0 when held-out is better)."""
    if train == 0:
        return 0.0
    gap = (train - held_out) if higher_is_better(metric) else (held_out - train)
    return max(0.0, gap / abs(train))


def check_overfit(ctx: CheckContext) -> Verdict:
    metrics = load_metrics(ctx)
    if metrics is None:
        return missing("No metrics file, so the train/validation gap cannot be measured.")
    metric = key_metric(ctx, metrics)
    if metric is None or metrics.metric("validation", metric) is None:
        return missing(
            "The metrics file has no metric reported on both train and validation.",
            evidence=_source(ctx),
        )
    train = metrics.metric("train", metric)
    val = metrics.metric("validation", metric)
    assert train is not None and val is not None
    gap = relative_gap(metric, train, val)
    band = ctx.policy.performance.overfit_relative_gap
    outcome = band.judge(gap)
    message = (
        f"{metric}: train {train:.4g} vs validation {val:.4g}, a relative gap of {gap:.1%}"
        + (" (overfitting)." if outcome is Outcome.FAIL else ".")
    )
    return judged(
        outcome,
        message,
        measured={
            "metric": metric,
            "train": train,
            "validation": val,
            "relative_gap": round(gap, 6),
        },
        threshold=band.threshold("relative_gap"),
        evidence=_source(ctx),
    )


def check_cv_stability(ctx: CheckContext) -> Verdict:
    metrics = load_metrics(ctx)
    if metrics is None or not metrics.cv:
        return missing("No cross-validation scores are reported.")
    band = ctx.policy.performance.cv_std
    worst_name, worst_std = "", -1.0
    per_metric = {}
    for name, scores in metrics.cv.items():
        if len(scores) < 2:
            continue
        std = statistics.stdev(scores)
        per_metric[name] = {"folds": len(scores), "mean": statistics.fmean(scores), "std": std}
        if std > worst_std:
            worst_name, worst_std = name, std
    if not per_metric:
        return missing(
            "Cross-validation needs at least two fold scores per metric.", evidence=_source(ctx)
        )
    outcome = band.judge(worst_std)
    stats = per_metric[worst_name]
    return judged(
        outcome,
        f"{worst_name}: {stats['folds']} folds, mean {stats['mean']:.4g}, std {worst_std:.4f}.",
        measured={"cv": per_metric},
        threshold=band.threshold("cv_std"),
        evidence=_source(ctx),
    )


def check_baseline(ctx: CheckContext) -> Verdict:
    baseline = ctx.dossier.performance.baseline
    if baseline is None:
        return warn(
            "No baseline is stated, so the model's lift cannot be judged.",
            evidence=EvidenceRef(source="performance.baseline"),
        )
    metrics = load_metrics(ctx)
    if metrics is None:
        return missing("No metrics file, so the model cannot be compared to its baseline.")
    found = _eval_split(metrics, baseline.metric)
    if found is None:
        return missing(
            f"Metric {baseline.metric} of the baseline is not reported.", evidence=_source(ctx)
        )
    split, value = found
    better = value > baseline.value if higher_is_better(baseline.metric) else value < baseline.value
    measured = {
        "metric": baseline.metric,
        "split": split,
        "model": value,
        "baseline": baseline.value,
    }
    threshold = Threshold(
        metric=baseline.metric,
        direction="below" if higher_is_better(baseline.metric) else "above",
        fail=baseline.value,
    )
    if not better:
        return fail(
            f"The model does not beat its baseline: {baseline.metric} {value:.4g} on {split} "
            f"vs baseline {baseline.value:.4g}.",
            measured=measured,
            threshold=threshold,
            evidence=_source(ctx),
        )
    return ok(
        f"{baseline.metric} {value:.4g} on {split} beats the baseline {baseline.value:.4g}.",
        measured=measured,
        threshold=threshold,
        evidence=_source(ctx),
    )


def check_validation_strategy(ctx: CheckContext) -> Verdict:
    strategy = ctx.dossier.performance.validation_strategy
    where = EvidenceRef(source="performance.validation_strategy")
    if strategy is None:
        return missing("No validation strategy is declared.", evidence=where)
    if strategy == "none":
        return warn(
            "No validation strategy: the model was not validated on held-out data.", evidence=where
        )
    if strategy == "holdout":
        metrics_cv = None
        try:
            metrics = load_metrics(ctx)
            metrics_cv = metrics.cv if metrics else None
        except Exception:  # the metrics checks report an unreadable file themselves
            metrics_cv = None
        if not metrics_cv:
            return warn(
                "A single holdout split only: no cross-validation or time-based test.",
                evidence=where,
            )
        return ok("Holdout split backed by cross-validation scores.", evidence=where)
    label = {"time_split": "time-based split", "kfold": "k-fold cross-validation"}[strategy]
    return ok(f"Validation by {label}.", evidence=where)


def check_importance(ctx: CheckContext) -> Verdict:
    metrics = load_metrics(ctx)
    if metrics is None or not metrics.feature_importance:
        return warn(
            "No feature importance is reported.",
            evidence=EvidenceRef(source="performance.metrics:feature_importance"),
        )
    top = sorted(metrics.feature_importance.items(), key=lambda kv: -abs(kv[1]))[:5]
    measured = {"top": {k: v for k, v in top}, "features": len(metrics.feature_importance)}
    key = set(ctx.dossier.features.key)
    text = ", ".join(f"{k} ({v:.3g})" for k, v in top)
    if key and not key & {k for k, _ in top}:
        return warn(
            f"None of the key features is among the five most important ({text}): "
            "expectations and the model disagree.",
            measured=measured,
            evidence=_source(ctx),
            mitigation="Reconcile the expected key features with the model's importance ranking.",
        )
    return ok(f"Most important features: {text}.", measured=measured, evidence=_source(ctx))


_READS = ("performance", "problem")

SUCCESS_CRITERIA_MET = CheckSpec(
    "MP.SUCCESS_CRITERIA_MET",
    "model_performance",
    "Success criteria met",
    check_success_criteria_met,
    mitigation="Improve the model or revisit the criteria with the business owner before launch.",
    reads=_READS,
)
OVERFIT = CheckSpec(
    "MP.OVERFIT",
    "model_performance",
    "Generalisation (train/validation gap)",
    check_overfit,
    mitigation="Regularise, simplify or add data until the train/validation gap closes.",
    reads=_READS,
)
VALIDATION_STRATEGY = CheckSpec(
    "MP.VALIDATION_STRATEGY",
    "model_performance",
    "Validation strategy",
    check_validation_strategy,
    mitigation="Validate with a time-based split or k-fold CV plus an untouched holdout test.",
    fail_severity=Severity.MEDIUM,
    reads=_READS,
)
CV_STABILITY = CheckSpec(
    "MP.CV_STABILITY",
    "model_performance",
    "Cross-validation stability",
    check_cv_stability,
    mitigation="Investigate unstable folds (leakage, small data, segment shifts).",
    fail_severity=Severity.MEDIUM,
    reads=_READS,
)
BASELINE = CheckSpec(
    "MP.BASELINE",
    "model_performance",
    "Lift over baseline",
    check_baseline,
    mitigation="State a simple baseline (heuristic or last model) and show the lift over it.",
    reads=_READS,
)
IMPORTANCE = CheckSpec(
    "FE.IMPORTANCE",
    "feature_engineering",
    "Feature importance",
    check_importance,
    mitigation="Compute feature importance (permutation or SHAP) and review it with domain experts.",
    fail_severity=Severity.MEDIUM,
    reads=("performance", "features"),
)
