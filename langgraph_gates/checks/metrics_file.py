"""Checks of the model's reported or computed metrics.

Success criteria, overfitting, CV stability, baseline, validation strategy and feature
importance.

Success criteria, overfitting and the baseline read per-split metrics from
:func:`split_metrics`: metrics computed from the predictions file when the dossier references
one (and its task is supported), then the metrics JSON for anything the predictions cannot
give. Each finding says in ``measured["source"]`` which one it used. CV stability and feature
importance come from the metrics JSON only.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import JsonValue

from langgraph_gates._names import closest
from langgraph_gates.checks._loaders import train_profile
from langgraph_gates.checks.base import CheckContext, Verdict, fail, judged, missing, ok, warn
from langgraph_gates.checks.predictions import load_predictions
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.metrics import MetricsFile, read_metrics
from langgraph_gates.evidence.predictions import (
    ALL_ROWS,
    HELD_OUT_SPLITS,
    canonical_metric,
    higher_is_better,
    is_bounded,
)
from langgraph_gates.state import EvidenceRef, Outcome, Threshold

__all__ = [
    "SplitMetrics",
    "check_baseline",
    "check_cv_stability",
    "check_importance",
    "check_overfit",
    "check_success_criteria_met",
    "check_validation_strategy",
    "higher_is_better",
    "load_metrics",
    "relative_gap",
    "split_metrics",
]

Source = Literal["predictions", "metrics file"]


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


@dataclass(frozen=True)
class SplitMetrics:
    """Per-split metrics from one source, with metric names in canonical form.

    Attributes:
        source: ``"predictions"`` (computed from the predictions file) or ``"metrics file"``.
        file: the file as the dossier names it.
        splits: split -> canonical metric name -> value.
        held_out: the held-out splits of this source, in order of preference.
    """

    source: Source
    file: str
    splits: Mapping[str, Mapping[str, float]]
    held_out: tuple[str, ...]
    fallback_note: str = ""
    misnamed: tuple[str, ...] = ()

    def metric(self, split: str, name: str) -> float | None:
        """A metric on a split (``name`` in any alias spelling), if reported."""
        return self.splits.get(split, {}).get(canonical_metric(name))

    def held_out_value(self, name: str) -> tuple[str, float] | None:
        """The metric on the preferred held-out split that reports it."""
        for split in self.held_out:
            value = self.metric(split, name)
            if value is not None:
                return split, value
        return None

    def ref(self) -> EvidenceRef:
        """Where the values came from."""
        return EvidenceRef(source=self.file, detail=self.source)


def _canonical(splits: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for split, values in splits.items():
        names: dict[str, float] = {}
        for name, value in values.items():
            names.setdefault(canonical_metric(name), value)  # first spelling wins
        out[split] = names
    return out


def split_metrics(ctx: CheckContext) -> list[SplitMetrics]:
    """Per-split metrics, best source first: the predictions file, then the metrics JSON.

    A predictions file whose task has no computed metrics (ranking, generation, ...) is skipped.
    Both files can give the same measurement, so one that cannot be used (unreadable, or no
    ``y_true``) falls back to the other, and the other's values say so in ``fallback_note``
    (SPEC section 3: fall back before giving up).

    Raises:
        EvidenceError: every referenced source is unusable (the first one's reason).
    """
    out: list[SplitMetrics] = []
    problems: list[EvidenceError] = []
    try:
        summary = load_predictions(ctx)
    except EvidenceError as exc:
        summary, problems = None, [exc]
    if summary is not None and summary.supported:
        if summary.has_labels:
            splits = _canonical(summary.splits)
            out.append(SplitMetrics("predictions", summary.source, splits, HELD_OUT_SPLITS))
        else:
            shown = ", ".join(summary.columns[:12])
            msg = f"no y_true column, so no metrics can be computed (columns: {shown})"
            problems.append(EvidenceError(msg, source=summary.source, field="y_true"))
    try:
        metrics = load_metrics(ctx)
    except EvidenceError as exc:
        metrics = None
        problems.append(exc)
    if metrics is not None:
        file = ctx.dossier.performance.metrics or "performance.metrics"
        note = "; ".join(f"cannot use {p.one_line()}" for p in problems)
        splits = _canonical(metrics.splits)
        misnamed = tuple(u.describe() for u in metrics.misnamed)
        if misnamed:
            note = "; ".join([*filter(None, [note]), f"{file} misnames {', '.join(misnamed)}"])
        held = ("test", "validation")
        out.append(SplitMetrics("metrics file", file, splits, held, note, misnamed))
    if not out and problems:
        raise problems[0]
    return out


def _noted(message: str, sources: list[SplitMetrics]) -> str:
    """The message with any fallback note of the sources it used."""
    notes = [s.fallback_note for s in sources if s.fallback_note]
    return message + (f" Fallback: {'; '.join(notes)}." if notes else "")


def _capped(outcome: Outcome, sources: list[SplitMetrics]) -> Outcome:
    """Fail closed on doubtful sources (SPEC section 3).

    A metrics file that misnames a split or metric (``validaton``, ``roc_acu``) may have been
    judged on another one: anything but a fail is an ``error``. A pass measured on a fallback
    source is a ``warn``: the declared first source is unusable, and the two may disagree.
    """
    if outcome is not Outcome.FAIL and any(s.misnamed for s in sources):
        return Outcome.ERROR
    if outcome is Outcome.PASS and any(s.fallback_note for s in sources):
        return Outcome.WARN
    return outcome


def _no_source(what: str) -> Verdict:
    return missing(
        f"No predictions file or metrics file is referenced, so {what}.",
        evidence=EvidenceRef(source="performance.predictions / performance.metrics"),
    )


def _split_name(split: str) -> str:
    return "all rows" if split == ALL_ROWS else split


def _held_out(sources: list[SplitMetrics], metric: str) -> tuple[SplitMetrics, str, float] | None:
    """The first source (in preference order) reporting the metric on a held-out split."""
    for src in sources:
        found = src.held_out_value(metric)
        if found is not None:
            return src, found[0], found[1]
    return None


def _sources_measured(sources: list[SplitMetrics]) -> list[JsonValue]:
    return [
        {"source": s.source, "file": s.file, "splits": list[JsonValue](sorted(s.splits))}
        for s in sources
    ]


def check_success_criteria_met(ctx: CheckContext) -> Verdict:
    # Cross-gate: judge the criteria that problem framing recorded.
    """Judges MP.SUCCESS_CRITERIA_MET: each success criterion against the held-out metrics."""
    framing = ctx.prior_finding("PF.SUCCESS_CRITERIA")
    criteria = ctx.dossier.problem.success_criteria
    if not criteria:
        note = " (problem framing found none)" if framing is not None else ""
        return missing(f"No success criteria to judge the model against{note}.")
    sources = split_metrics(ctx)
    if not sources:
        return _no_source("the success criteria cannot be judged")
    results: list[JsonValue] = []
    unmet: list[str] = []
    met_text: list[str] = []
    unreported: list[str] = []
    used: list[SplitMetrics] = []
    for c in criteria:
        found = _held_out(sources, c.metric)
        if found is None:
            unreported.append(c.metric)
            continue
        src, split, value = found
        if src not in used:
            used.append(src)
        met = value >= c.threshold if c.direction == "higher" else value <= c.threshold
        results.append(
            {
                "metric": c.metric,
                "split": split,
                "value": round(value, 6),
                "threshold": c.threshold,
                "direction": c.direction,
                "met": met,
                "source": src.source,
            }
        )
        where = f"{c.metric} = {value:.4g} on {_split_name(split)}"
        if met:
            met_text.append(where)
        else:
            op = ">=" if c.direction == "higher" else "<="
            unmet.append(f"{where} from the {src.source} (needs {op} {c.threshold:g})")
    measured: dict[str, JsonValue] = {
        "criteria": results,
        "not_reported": list(unreported),
        "source": used[0].source if len(used) == 1 else [s.source for s in used],
        "sources": _sources_measured(sources),
    }
    evidence = [s.ref() for s in (used or sources)]
    if unmet:
        return fail(
            _noted("Success criteria not met: " + "; ".join(unmet) + ".", used),
            measured=measured,
            evidence=evidence,
        )
    if unreported:
        names = " or ".join(s.source for s in sources)
        return judged(
            _capped(Outcome.MISSING, sources),
            _noted(
                f"Metric(s) {', '.join(unreported)} named in the success criteria cannot be "
                f"found on a held-out split of the {names}.",
                sources,
            ),
            measured=measured,
            evidence=evidence,
        )
    text = "; ".join(met_text)
    origin = " and ".join(s.source for s in used)
    return judged(
        _capped(Outcome.PASS, used),
        _noted(f"All success criteria met ({origin}): {text}.", used),
        measured=measured,
        evidence=evidence,
    )


def _overfit_pair(ctx: CheckContext, src: SplitMetrics) -> tuple[str, str, float, float] | None:
    """The key metric and held-out split of a source that reports it on train too."""
    if "train" not in src.splits:
        return None
    held = next((s for s in ("validation", "test") if s in src.splits), None)
    if held is None:
        return None
    train, other = src.splits["train"], src.splits[held]
    # The gap is judged on the metric the model is accepted on. Falling through to any other
    # metric would let a misspelt key (roc_acu) swap the judged metric for a kinder one.
    candidates = [canonical_metric(c.metric) for c in ctx.dossier.problem.success_criteria]
    if not candidates:
        if src.source == "predictions":
            summary = load_predictions(ctx)
            if summary is not None and summary.key_metric:
                candidates.append(summary.key_metric)
        candidates.extend(name for name in other if name in train)
    for name in candidates:
        if name in train and name in other:
            return name, held, train[name], other[name]
    return None


def relative_gap(metric: str, train: float, held_out: float) -> float:
    """How much worse held-out is than train, relative to train (0 when held-out is better)."""
    if train == 0:
        return 0.0
    gap = (train - held_out) if higher_is_better(metric) else (held_out - train)
    return max(0.0, gap / abs(train))


def check_overfit(ctx: CheckContext) -> Verdict:
    """Judges MP.OVERFIT: the relative gap of the key metric between train and validation."""
    sources = split_metrics(ctx)
    if not sources:
        return _no_source("the train/validation gap cannot be measured")
    for src in sources:
        pair = _overfit_pair(ctx, src)
        if pair is not None:
            break
    else:
        shown = "; ".join(f"{s.source}: {', '.join(sorted(s.splits)) or 'none'}" for s in sources)
        criteria = [c.metric for c in ctx.dossier.problem.success_criteria]
        what = (
            f"The success-criterion metric ({', '.join(criteria)}) is"
            if criteria
            else ("No metric is")
        )
        return judged(
            _capped(Outcome.MISSING, sources),
            _noted(
                f"{what} not reported on both train and a held-out split (splits found: {shown}).",
                sources,
            ),
            measured={"sources": _sources_measured(sources)},
            evidence=[s.ref() for s in sources],
        )
    metric, held, train, val = pair
    gap = relative_gap(metric, train, val)
    band = ctx.policy.performance.overfit_relative_gap
    outcome = _capped(band.judge(gap), [src])
    message = _noted(
        f"{metric}: train {train:.4g} vs {held} {val:.4g} from the {src.source}, a relative gap "
        f"of {gap:.1%}" + (" (overfitting)." if outcome is Outcome.FAIL else "."),
        [src],
    )
    return judged(
        outcome,
        message,
        measured={
            "metric": metric,
            "train": train,
            "validation": val,
            "held_out_split": held,
            "relative_gap": round(gap, 6),
            "source": src.source,
        },
        threshold=band.threshold("relative_gap"),
        value=gap,
        evidence=src.ref(),
    )


def _source(ctx: CheckContext) -> EvidenceRef:
    return EvidenceRef(source=ctx.dossier.performance.metrics or "performance.metrics")


def check_cv_stability(ctx: CheckContext) -> Verdict:
    """Judges MP.CV_STABILITY: the standard deviation of the cross-validation scores."""
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
        value=worst_std,
        evidence=_source(ctx),
    )


def check_baseline(ctx: CheckContext) -> Verdict:
    """Judges MP.BASELINE: the key metric against the stated baseline."""
    baseline = ctx.dossier.performance.baseline
    if baseline is None:
        return warn(
            "No baseline is stated, so the model's lift cannot be judged.",
            evidence=EvidenceRef(source="performance.baseline"),
        )
    sources = split_metrics(ctx)
    if not sources:
        return _no_source("the model cannot be compared to its baseline")
    found = _held_out(sources, baseline.metric)
    if found is None:
        return missing(
            f"Metric {baseline.metric} of the baseline is not reported on a held-out split.",
            evidence=[s.ref() for s in sources],
        )
    src, split, value = found
    higher = higher_is_better(baseline.metric)
    shortfall = (baseline.value - value) if higher else (value - baseline.value)
    if not is_bounded(baseline.metric) and baseline.value != 0:
        shortfall /= abs(baseline.value)  # error metrics (RMSE, ...) are judged relatively
    tolerance = ctx.policy.performance.baseline_tolerance
    measured = {
        "metric": baseline.metric,
        "split": split,
        "model": value,
        "baseline": baseline.value,
        "shortfall": round(shortfall, 6),
        "tolerance": tolerance,
        "source": src.source,
    }
    threshold = Threshold(
        metric="shortfall", direction="above", warn=0.0, fail=tolerance, inclusive=False
    )
    where = f"{baseline.metric} {value:.4g} on {_split_name(split)} ({src.source})"
    common = {"measured": measured, "threshold": threshold, "evidence": src.ref()}
    if shortfall > tolerance:
        return fail(
            _noted(
                f"The model falls short of its baseline: {where} vs baseline "
                f"{baseline.value:.4g}, beyond the tolerance of {tolerance:g}.",
                [src],
            ),
            value=shortfall,
            mitigation=(
                "Improve the model until it beats the stated baseline on held-out data, or "
                "ship the baseline: a model that loses to it adds risk without lift."
            ),
            **common,
        )
    if shortfall >= 0:
        return warn(
            _noted(
                f"The model only matches its baseline: {where} vs baseline "
                f"{baseline.value:.4g} (within the tolerance of {tolerance:g}, no lift).",
                [src],
            ),
            value=shortfall,
            mitigation="Show a lift over the baseline that justifies running a model.",
            **common,
        )
    return judged(
        _capped(Outcome.PASS, [src]),
        _noted(f"{where} beats the baseline {baseline.value:.4g}.", [src]),
        value=shortfall,
        **common,
    )


def check_validation_strategy(ctx: CheckContext) -> Verdict:
    """Judges MP.VALIDATION_STRATEGY: whether validation is more than a single split."""
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


def _misspelt_features(ctx: CheckContext, names: list[str]) -> dict[str, str]:
    """Importance keys that are no training column but close to one (likely typos).

    Encoded names (``region_EMEA``) are not close to their column and are left alone. An
    unreadable training file is reported by the data checks; then nothing is compared.
    """
    try:
        profile = train_profile(ctx)
    except EvidenceError:
        return {}
    if profile is None:
        return {}
    columns = profile.column_names
    out = {}
    encoded = tuple(f"{c}{sep}" for c in columns for sep in ("_", "=", "."))
    for name in names:
        if name in columns or name.startswith(encoded):  # one-hot levels: region_EMEA
            continue
        meant = closest(name, columns)
        if meant is not None:
            out[name] = meant
    return out


def check_importance(ctx: CheckContext) -> Verdict:
    """Judges FE.IMPORTANCE: whether feature importance is given, and names real features."""
    metrics = load_metrics(ctx)
    if metrics is None or not metrics.feature_importance:
        return warn(
            "No feature importance is reported.",
            evidence=EvidenceRef(source="performance.metrics:feature_importance"),
        )
    top = sorted(metrics.feature_importance.items(), key=lambda kv: -abs(kv[1]))[:5]
    measured: dict[str, JsonValue] = {
        "top": {k: v for k, v in top},
        "features": len(metrics.feature_importance),
    }
    key = set(ctx.dossier.features.key)
    text = ", ".join(f"{k} ({v:.3g})" for k, v in top)
    misspelt = _misspelt_features(ctx, list(metrics.feature_importance))
    if misspelt:
        measured["misspelt"] = dict(misspelt)
        shown = "; ".join(f"{k} (did you mean {v!r}?)" for k, v in misspelt.items())
        return warn(
            f"Feature importance names features that are not training columns: {shown}.",
            measured=measured,
            evidence=_source(ctx),
            mitigation="Name features in the importance as the training data names them.",
        )
    if key and not key & {k for k, _ in top}:
        return warn(
            f"None of the key features is among the five most important ({text}): "
            "expectations and the model disagree.",
            measured=measured,
            evidence=_source(ctx),
            mitigation="Reconcile the expected key features with the model's importance ranking.",
        )
    return ok(f"Most important features: {text}.", measured=measured, evidence=_source(ctx))
