"""Fairness checks on the predictions file: disparate impact, equalized odds, group coverage.

Each sensitive attribute (``data.sensitive_attributes``) gets its own finding, judged on the
held-out rows of the predictions file. Groups come from the attribute's column in that file.

* Binary tasks: the decision is ``y_pred`` (or ``y_score >= 0.5`` without it); the selection
  rate is P(decision = favourable outcome), ``responsible_ai.favorable_label`` (default 1),
  and TPR/FPR treat the favourable outcome as the positive class, so recoding the labels (and
  the favourable label with them) gives the same findings.
* Without ``y_true`` the selection rates are still judged (they need only the decisions);
  equalized odds is ``missing`` (it needs the truth) and, being required when sensitive
  attributes are declared, fails the gate.
* Multiclass tasks: one-vs-rest per class (up to 20 classes); the worst class is judged.
* Regression: selection rates and equalized odds are not defined (there is no decision), so
  those checks are ``missing`` with that reason and the per-group mean prediction and MAE in
  ``measured``; group coverage still applies and MP.SLICE_GAP judges the error gap.

When the smallest group has fewer rows than ``policy.fairness.bootstrap_below_rows``, the ratio
and the difference get a bootstrap confidence interval; a point estimate that passes but whose
interval reaches into the warn (or fail) band is a ``warn`` (inconclusive), never a ``pass``.
A point estimate that fails stays ``fail``.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import JsonValue

from langgraph_gates.checks.base import CheckContext, Verdict, error, judged, missing, ok, warn
from langgraph_gates.checks.predictions import usable_predictions
from langgraph_gates.evidence.predictions import (
    AttributeFairness,
    ClassFairness,
    GroupStats,
    Interval,
    PredictionsSummary,
)
from langgraph_gates.policy import Band
from langgraph_gates.state import EvidenceRef, Outcome, Threshold

__all__ = [
    "check_disparate_impact",
    "check_equalized_odds",
    "check_group_coverage",
]

_RANK = {Outcome.PASS: 0, Outcome.WARN: 1, Outcome.FAIL: 2}

AttributeJudge = Callable[[CheckContext, PredictionsSummary, AttributeFairness], Verdict]


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _group_rows(groups: list[GroupStats]) -> list[JsonValue]:
    rows: list[JsonValue] = []
    for g in groups:
        row: dict[str, JsonValue] = {"group": g.group, "n": g.n, "share": _r(g.share)}
        if g.selection_rate is not None:
            row.update(
                positives=g.positives,
                selection_rate=_r(g.selection_rate),
                tpr=_r(g.tpr),
                fpr=_r(g.fpr),
            )
        if g.mean_prediction is not None:
            row.update(mean_prediction=_r(g.mean_prediction), mae=_r(g.mae))
        rows.append(row)
    return rows


def _ci(interval: Interval | None) -> JsonValue:
    if interval is None:
        return None
    return {
        "low": _r(interval.low),
        "high": _r(interval.high),
        "level": interval.level,
        "samples": interval.samples,
    }


def _for_each_attribute(ctx: CheckContext, purpose: str, judge: AttributeJudge) -> list[Verdict]:
    """Run ``judge`` on every sensitive attribute, with the shared missing/error cases."""
    declared = ctx.dossier.data.sensitive_attributes
    if not declared:
        justification = ctx.dossier.data.sensitive_justification
        if justification:
            return [
                ok(
                    f"Not applicable: no sensitive attributes, justified as: {justification}",
                    evidence=EvidenceRef(source="data.sensitive_justification"),
                )
            ]
        return [
            missing(
                f"No sensitive attributes are declared (data.sensitive_attributes), so "
                f"{purpose} cannot be measured.",
                evidence=EvidenceRef(source="data.sensitive_attributes"),
            )
        ]
    summary = usable_predictions(ctx, purpose, needs_labels=False)
    if isinstance(summary, Verdict):
        return [summary]
    verdicts = []
    for attr in dict.fromkeys(declared):
        where = EvidenceRef(source=summary.source, column=attr)
        if attr in summary.absent_columns:
            verdicts.append(
                error(
                    f"{attr}: the sensitive attribute is not a column of the predictions file.",
                    evidence=where,
                    measured={"attribute": attr, "file_columns": list(summary.columns)},
                )
            )
            continue
        verdicts.append(judge(ctx, summary, summary.fairness[attr]))
    return verdicts


def _common(summary: PredictionsSummary, fa: AttributeFairness) -> dict[str, JsonValue]:
    return {
        "attribute": fa.attribute,
        "split": fa.split,
        "rows": fa.rows,
        "binned": fa.binned,
        "smallest_group_rows": fa.smallest_group_rows,
        "task": summary.task,
        "source": "predictions",
        "favorable_label": fa.favorable_label,
    }


def _not_defined(summary: PredictionsSummary, fa: AttributeFairness, what: str) -> Verdict | None:
    where = EvidenceRef(source=summary.source, column=fa.attribute)
    measured = {**_common(summary, fa), "groups": _group_rows(fa.groups)}
    if fa.kind == "regression":
        return missing(
            f"{fa.attribute}: {what} needs a yes/no decision, which regression predictions do "
            "not have; per-group mean prediction and MAE are in the measured values and "
            "MP.SLICE_GAP judges the error gap.",
            measured=measured,
            evidence=where,
        )
    if fa.kind == "too_many_classes":
        return missing(
            f"{fa.attribute}: {what} is computed one-vs-rest for at most 20 classes; this task "
            "has more.",
            measured=measured,
            evidence=where,
        )
    return None


def _limit(band: Band) -> float:
    """The first bound a value crosses (warn, else fail)."""
    return band.warn if band.warn is not None else (band.fail or 0.0)


def _with_interval(
    band: Band, point: float, interval: Interval | None, *, worst_end: float | None
) -> tuple[Outcome, bool]:
    """The outcome of a point estimate, made ``warn`` when it passes but its interval does not."""
    outcome = band.judge(point)
    if (
        outcome is Outcome.PASS
        and interval is not None
        and worst_end is not None
        and band.judge(worst_end) is not Outcome.PASS
    ):
        return Outcome.WARN, True
    return outcome, False


def _label_text(fa: AttributeFairness, cf: ClassFairness) -> str:
    if fa.kind == "one_vs_rest":
        return f" (class {cf.label} vs rest)"
    return f" (favourable outcome {cf.label})"


def _per_class(fa: AttributeFairness, key: str) -> JsonValue:
    if fa.kind != "one_vs_rest":
        return None
    return {
        cf.label: {
            key: _r(getattr(cf, key)),
            "ci": _ci(cf.ratio_ci if key == "selection_rate_ratio" else cf.eod_ci),
        }
        for cf in fa.classes
    }


def _judge_disparate_impact(
    ctx: CheckContext, summary: PredictionsSummary, fa: AttributeFairness
) -> Verdict:
    undefined = _not_defined(summary, fa, "a selection-rate ratio")
    if undefined is not None:
        return undefined
    where = EvidenceRef(source=summary.source, column=fa.attribute)
    band = ctx.policy.fairness.selection_rate_ratio
    defined = [cf for cf in fa.classes if cf.selection_rate_ratio is not None]
    measured = _common(summary, fa)
    measured["selection_from_score"] = fa.selection_from_score
    if not defined:
        measured["groups"] = _group_rows(fa.classes[0].groups if fa.classes else fa.groups)
        return ok(
            f"{fa.attribute}: no group has any positive decision, so selection rates are equal "
            "(all zero).",
            measured=measured,
            threshold=band.threshold("selection_rate_ratio"),
            evidence=where,
        )

    def judge_ratio(c: ClassFairness) -> tuple[Outcome, bool]:
        assert c.selection_rate_ratio is not None
        ci = c.ratio_ci
        return _with_interval(
            band, c.selection_rate_ratio, ci, worst_end=None if ci is None else ci.low
        )

    # One-vs-rest: the class with the worst outcome (then the lowest ratio) speaks for all.
    cf = max(
        defined,
        key=lambda c: (_RANK[judge_ratio(c)[0]], -(c.selection_rate_ratio or 0.0)),
    )
    ratio = cf.selection_rate_ratio
    assert ratio is not None
    ci = cf.ratio_ci
    outcome, inconclusive = judge_ratio(cf)
    low = min(cf.groups, key=lambda g: g.selection_rate or 0.0)
    high = max(cf.groups, key=lambda g: g.selection_rate or 0.0)
    measured.update(
        selection_rate_ratio=_r(ratio),
        ci=_ci(ci),
        lowest_group=low.group,
        highest_group=high.group,
        label=cf.label,
        groups=_group_rows(cf.groups),
        classes=_per_class(fa, "selection_rate_ratio"),
    )
    decision = " (decision y_score >= 0.5)" if fa.selection_from_score else ""
    message = (
        f"{fa.attribute}{_label_text(fa, cf)}: selection-rate ratio {ratio:.3f} "
        f"({low.group} {low.selection_rate:.3f} vs {high.group} {high.selection_rate:.3f}, "
        f"{len(cf.groups)} groups, {fa.split} split){decision}"
    )
    if ci is not None:
        message += f"; {ci.level:.0%} interval {ci.low:.3f}-{ci.high:.3f}"
    if inconclusive:
        message += (
            f". The point estimate passes, but the interval reaches below {_limit(band):g} "
            f"(smallest group {fa.smallest_group_rows} rows): inconclusive."
        )
    elif outcome is Outcome.FAIL:
        message += ": fails the four-fifths rule."
    else:
        message += "."
    return judged(
        outcome,
        message,
        measured=measured,
        threshold=band.threshold("selection_rate_ratio"),
        evidence=where,
        value=ratio,
    )


def _judge_equalized_odds(
    ctx: CheckContext, summary: PredictionsSummary, fa: AttributeFairness
) -> Verdict:
    undefined = _not_defined(summary, fa, "equalized odds")
    if undefined is not None:
        return undefined
    where = EvidenceRef(source=summary.source, column=fa.attribute)
    if not summary.has_labels:
        return error(
            f"{fa.attribute}: equalized odds compares true and false positive rates, which need "
            "the observed outcome: the predictions file has no y_true column.",
            measured=_common(summary, fa),
            evidence=EvidenceRef(source=summary.source, column="y_true"),
            mitigation="Add the observed outcome as a y_true column to the predictions file.",
        )
    band = ctx.policy.fairness.equalized_odds_difference

    def judge_eod(c: ClassFairness) -> tuple[Outcome, bool]:
        ci = c.eod_ci
        value = c.equalized_odds_difference or 0.0
        return _with_interval(band, value, ci, worst_end=None if ci is None else ci.high)

    cf = max(
        fa.classes,
        key=lambda c: (_RANK[judge_eod(c)[0]], c.equalized_odds_difference or 0.0),
    )
    eod = cf.equalized_odds_difference or 0.0
    ci = cf.eod_ci
    outcome, inconclusive = judge_eod(cf)
    tprs = [g.tpr for g in cf.groups if g.tpr is not None]
    fprs = [g.fpr for g in cf.groups if g.fpr is not None]
    tpr_gap = max(tprs) - min(tprs) if len(tprs) >= 2 else 0.0
    fpr_gap = max(fprs) - min(fprs) if len(fprs) >= 2 else 0.0
    measured = _common(summary, fa)
    measured.update(
        equalized_odds_difference=_r(eod),
        tpr_difference=_r(tpr_gap),
        fpr_difference=_r(fpr_gap),
        ci=_ci(ci),
        label=cf.label,
        selection_from_score=fa.selection_from_score,
        undefined_rate_groups=list(cf.undefined_rate_groups),
        groups=_group_rows(cf.groups),
        classes=_per_class(fa, "equalized_odds_difference"),
    )
    message = (
        f"{fa.attribute}{_label_text(fa, cf)}: equalized-odds difference {eod:.3f} "
        f"(TPR gap {tpr_gap:.3f}, FPR gap {fpr_gap:.3f}; {len(cf.groups)} groups, "
        f"{fa.split} split)"
    )
    if cf.undefined_rate_groups:
        message += (
            f"; left out where a rate is undefined (no positive or no negative): "
            f"{', '.join(cf.undefined_rate_groups[:5])}"
        )
    if ci is not None:
        message += f"; {ci.level:.0%} interval {ci.low:.3f}-{ci.high:.3f}"
    if inconclusive:
        message += (
            f". The point estimate passes, but the interval reaches above {_limit(band):g} "
            f"(smallest group {fa.smallest_group_rows} rows): inconclusive."
        )
    else:
        message += "."
    return judged(
        outcome,
        message,
        measured=measured,
        threshold=band.threshold("equalized_odds_difference"),
        evidence=where,
        value=eod,
    )


def _judge_coverage(
    ctx: CheckContext, summary: PredictionsSummary, fa: AttributeFairness
) -> Verdict:
    policy = ctx.policy.fairness
    where = EvidenceRef(source=summary.source, column=fa.attribute)
    small = [
        g for g in fa.groups if g.share < policy.group_min_fraction or g.n < policy.group_min_rows
    ]
    measured = _common(summary, fa)
    measured.update(
        min_rows=policy.group_min_rows,
        min_fraction=policy.group_min_fraction,
        groups=[{"group": g.group, "n": g.n, "share": _r(g.share)} for g in fa.groups],
        small_groups=[g.group for g in small],
    )
    threshold = Threshold(metric="group_rows", direction="below", warn=policy.group_min_rows)
    rule = f"fewer than {policy.group_min_rows} rows or under {policy.group_min_fraction:.0%}"
    if small:
        names = ", ".join(f"{g.group} ({g.n} rows, {g.share:.1%})" for g in small[:6])
        more = f" and {len(small) - 6} more" if len(small) > 6 else ""
        return warn(
            f"{fa.attribute}: {len(small)} of {len(fa.groups)} group(s) have {rule} of the "
            f"{fa.split} rows: {names}{more}; their metrics are unreliable.",
            measured=measured,
            threshold=threshold,
            evidence=where,
        )
    smallest = min(fa.groups, key=lambda g: g.n)
    return ok(
        f"{fa.attribute}: all {len(fa.groups)} groups have at least {policy.group_min_rows} rows "
        f"and {policy.group_min_fraction:.0%} of the {fa.split} rows (smallest: "
        f"{smallest.group}, {smallest.n} rows).",
        measured=measured,
        threshold=threshold,
        evidence=where,
    )


def check_disparate_impact(ctx: CheckContext) -> list[Verdict]:
    """Judges RAI.DISPARATE_IMPACT: the min/max selection-rate ratio across each attribute's groups."""
    return _for_each_attribute(ctx, "disparate impact", _judge_disparate_impact)


def check_equalized_odds(ctx: CheckContext) -> list[Verdict]:
    """Judges RAI.EQUALIZED_ODDS: the equalized-odds difference across each attribute's groups."""
    return _for_each_attribute(ctx, "equalized odds", _judge_equalized_odds)


def check_group_coverage(ctx: CheckContext) -> list[Verdict]:
    """Judges RAI.GROUP_COVERAGE: whether each group of a sensitive attribute has enough rows."""
    return _for_each_attribute(ctx, "group coverage", _judge_coverage)
