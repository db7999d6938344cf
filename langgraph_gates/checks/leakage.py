"""Feature engineering checks on the data.

Target leakage, temporal leakage, train/validation overlap, missingness strategy and sensitive
attributes used as features.

They share the training file's profile with the data readiness checks (one cached profile per
file), and two of them build on data readiness findings: FE.MISSINGNESS_STRATEGY reads the
missing fractions that DR.MISSINGNESS measured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import JsonValue

from langgraph_gates.checks._loaders import (
    cached_over_data,
    column_refs,
    data_source,
    missing_fractions,
    name_list,
    open_data,
    referenced,
    rounded,
    target_kind,
    train_profile,
    validation_profile,
)
from langgraph_gates.checks._text import is_documented, short
from langgraph_gates.checks.base import CheckContext, Verdict, error, judged, missing, ok, warn
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.engine import one_engine
from langgraph_gates.evidence.leakage import (
    OverlapReport,
    SeparationReport,
    overlap_report,
    separation_report,
)
from langgraph_gates.evidence.tabular import TableProfile
from langgraph_gates.state import EvidenceRef, Outcome, Threshold

__all__ = [
    "check_missingness_strategy",
    "check_sensitive_feature",
    "check_split_overlap",
    "check_target_leakage",
    "check_temporal_leakage",
]

_MAX_CLASSES = 50  # one-vs-rest AUC over at most this many (most frequent) classes
_MIN_DISTINCT_NUMERIC_TARGET = 20  # an undeclared task with more label values is regression


# --- FE.TARGET_LEAKAGE --------------------------------------------------------------------


def _metric(ctx: CheckContext, profile: TableProfile) -> tuple[Literal["auc", "spearman"], str]:
    """The separation metric for the label, and how it was chosen."""
    kind = target_kind(ctx)
    if kind == "classification":
        return "auc", ""
    if kind == "regression":
        return "spearman", ""
    label = profile.label
    assert label is not None
    numeric = label.family in ("numeric", "temporal")
    if numeric and label.n_distinct > _MIN_DISTINCT_NUMERIC_TARGET:
        return "spearman", " (model.task not declared: a numeric label with many values)"
    return "auc", " (model.task not declared: the label was taken as classes)"


def check_target_leakage(ctx: CheckContext) -> Verdict:
    """Judges FE.TARGET_LEAKAGE: how well one feature alone predicts the label (AUC or Spearman)."""
    task = ctx.dossier.model.task
    if task in ("generation", "reinforcement_learning"):
        return ok(
            f"Not applicable: single-feature leakage is not measured for a {task} task.",
            measured={"applicable": False},
        )
    label_name = ctx.dossier.data.label
    if not label_name:
        return missing(
            "No label column is declared (data.label), so leakage cannot be measured.",
            evidence=EvidenceRef(source="data.label"),
        )
    profile = train_profile(ctx)
    if profile is None:
        return missing(
            "No training data is referenced (data.train), so leakage cannot be measured.",
            evidence=EvidenceRef(source="data.train"),
        )
    label = profile.label
    assert label is not None
    where = EvidenceRef(source=profile.source, column=label_name)
    if not label.present:
        return error(
            f"The label column '{label_name}' is not in {profile.source} "
            f"(columns: {name_list(profile.column_names)}).",
            evidence=where,
        )
    metric, how = _metric(ctx, profile)
    classes: list[str] = []
    if metric == "auc":
        counts = label.classes or {}
        if len(counts) < 2:
            return error(
                f"The label '{label_name}' has {len(counts)} class(es) in {profile.source}: "
                "no feature can separate classes.",
                evidence=where,
            )
        ranked = sorted(counts, key=lambda k: (-counts[k], k))
        # Binary: one-vs-rest on either class gives the same symmetrised AUC.
        classes = ranked[-1:] if len(ranked) == 2 else ranked[:_MAX_CLASSES]
    elif label.family not in ("numeric", "boolean"):
        return error(
            f"The label '{label_name}' is of type {label.dtype}; a {task or 'numeric'} task "
            "needs a numeric label.",
            evidence=where,
        )
    features = [(f.name, f.family) for f in profile.features]
    if not features:
        return error(
            f"{profile.source} has no feature columns.", evidence=column_refs(profile.source)
        )
    report = _separation(ctx, profile, label_name, features, metric, classes)
    return _judge_separation(ctx, profile, report, how)


def _separation(
    ctx: CheckContext,
    profile: TableProfile,
    label_name: str,
    features: Sequence[tuple[str, str]],
    metric: Literal["auc", "spearman"],
    classes: list[str],
) -> SeparationReport:
    label = profile.label
    assert label is not None
    labelled = profile.n_rows - label.n_missing
    sample_rows = ctx.policy.features.leakage_sample_rows

    def compute() -> SeparationReport:
        train = open_data(ctx, "train")
        assert train is not None
        notes: list[str] = []
        try:
            validation = open_data(ctx, "validation")
            if validation is not None:
                one_engine([train, validation])  # categories are matched by engine-made hashes
        except EvidenceError as exc:
            validation = None
            notes.append(f"validation data unusable ({exc.one_line()}); scored out-of-fold")
        report = separation_report(
            train,
            validation,
            label=label_name,
            features=features,  # type: ignore[arg-type]
            metric=metric,
            classes=classes,
            labelled_rows=labelled,
            sample_rows=sample_rows,
        )
        return report.model_copy(update={"notes": [*notes, *report.notes]})

    params = {"label": label_name, "features": features, "metric": metric, "classes": classes}
    return cached_over_data(
        ctx,
        "tabular-separation",
        ["train", "validation"],
        SeparationReport,
        compute,
        params=params,
        tolerated=["validation"],  # unusable: scored out-of-fold, with a note (above)
    )


def _judge_separation(
    ctx: CheckContext, profile: TableProfile, report: SeparationReport, how: str
) -> Verdict:
    pol = ctx.policy.features
    band = pol.single_feature_auc if report.metric == "auc" else pol.single_feature_spearman
    name = "AUC" if report.metric == "auc" else "|Spearman|"
    # The reported (rounded) value is the judged value.
    scores = {f.feature: rounded(f.score) for f in report.features if f.score is not None}
    skipped = {f.feature: f.note or "not scored" for f in report.features if f.score is None}
    sampled = (
        f"a deterministic sample of {report.rows_sampled:,} of {report.rows_total:,} labelled rows"
        if report.rows_sampled < report.rows_total
        else f"all {report.rows_total:,} labelled rows"
    )
    measured: dict[str, JsonValue] = {
        "metric": report.metric,
        "scores": {k: rounded(v) for k, v in sorted(scores.items(), key=lambda kv: -kv[1])},
        "rows_total": report.rows_total,
        "rows_sampled": report.rows_sampled,
        "sample_limit": report.sample_limit,
        "categorical_scoring": report.categorical_scoring,
        "validation_rows_sampled": report.validation_rows_sampled,
        "classes": list(report.classes),
        "skipped": dict(skipped),
        "missingness_scores": {
            f.feature: rounded(f.missing_score)
            for f in report.features
            if f.missing_score is not None and f.score == f.missing_score
        },
        "notes": list(report.notes),
    }
    if not scores:
        return error(
            "No feature could be scored against the label"
            + (
                f" ({name_list([f'{k}: {v}' for k, v in skipped.items()], 3)})." if skipped else "."
            ),
            measured=measured,
            evidence=column_refs(profile.source),
        )
    ranked = sorted(scores, key=lambda k: -scores[k])
    leaky = [k for k in ranked if band.judge(scores[k]) is not Outcome.PASS]
    measured["leaky_features"] = list[JsonValue](leaky)
    worst = ranked[0]
    outcome = band.judge(scores[worst])
    if leaky:
        parts = [f"{k} {name} {scores[k]:.3f}" for k in leaky]
        message = (
            f"Feature(s) that alone nearly determine the label{how}: {name_list(parts)} "
            f"(on {sampled}); likely target leakage."
        )
    else:
        message = (
            f"No single feature separates the label{how}: highest {name} {scores[worst]:.3f} "
            f"({worst}) on {sampled}."
        )
    return judged(
        outcome,
        message,
        measured=measured,
        threshold=band.threshold(f"single_feature_{report.metric}"),
        evidence=column_refs(profile.source, leaky or [worst]),
    )


# --- FE.TEMPORAL_LEAKAGE ------------------------------------------------------------------


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat()


def check_temporal_leakage(ctx: CheckContext) -> Verdict:
    """Judges FE.TEMPORAL_LEAKAGE: training rows later than validation rows under a time split."""
    strategy = ctx.dossier.performance.validation_strategy
    ts_name = ctx.dossier.data.timestamp
    if strategy is not None and strategy != "time_split":
        return ok(
            f"Not applicable: the validation strategy is {strategy}, not a time split.",
            measured={"validation_strategy": strategy, "applicable": False},
        )
    if strategy is None:
        if not ts_name:
            return ok(
                "Not applicable: no validation strategy and no timestamp column are declared.",
                measured={"applicable": False},
            )
        return missing(
            f"A timestamp column ({ts_name}) is declared but no validation strategy "
            "(performance.validation_strategy); declare time_split to have the split checked.",
            evidence=EvidenceRef(source="performance.validation_strategy"),
        )
    if not ts_name:
        return missing(
            "A time split is declared but no timestamp column (data.timestamp).",
            evidence=EvidenceRef(source="data.timestamp"),
        )
    train = train_profile(ctx)
    validation = validation_profile(ctx)
    if train is None or validation is None:
        absent = "data.train" if train is None else "data.validation"
        return missing(
            f"A time split is declared but {absent} is not referenced, so the split cannot be "
            "checked.",
            evidence=EvidenceRef(source=absent),
        )
    for prof in (train, validation):
        ts = prof.timestamp
        if ts is None or not ts.present or ts.minimum is None or ts.maximum is None:
            reason = "is not in the file" if ts is None or not ts.present else ts.problem
            return error(
                f"The timestamp column '{ts_name}' of {prof.source} gives no times: {reason}.",
                evidence=EvidenceRef(source=prof.source, column=ts_name),
            )
    assert train.timestamp is not None and validation.timestamp is not None
    train_max = train.timestamp.maximum
    val_min = validation.timestamp.minimum
    assert train_max is not None and val_min is not None
    gap_days = (val_min - train_max) / 86_400
    measured: dict[str, JsonValue] = {
        "train_max": _iso(train_max),
        "validation_min": _iso(val_min),
        "gap_days": round(gap_days, 3),
        "validation_strategy": strategy,
    }
    threshold = Threshold(
        metric="max(train time) <= min(validation time)", direction="below", fail=0.0
    )
    evidence = [
        EvidenceRef(source=train.source, column=ts_name),
        EvidenceRef(source=validation.source, column=ts_name),
    ]
    if train_max > val_min:
        return judged(
            Outcome.FAIL,
            f"Time split leaks the future: training data reaches {_iso(train_max)}, "
            f"after the earliest validation time {_iso(val_min)} ({-gap_days:.1f} days overlap).",
            measured=measured,
            threshold=threshold,
            evidence=evidence,
        )
    return ok(
        f"Training data ends at {_iso(train_max)}, before validation starts at {_iso(val_min)}.",
        measured=measured,
        threshold=threshold,
        evidence=evidence,
    )


# --- FE.SPLIT_OVERLAP ---------------------------------------------------------------------


def check_split_overlap(ctx: CheckContext) -> Verdict:
    """Judges FE.SPLIT_OVERLAP: the share of validation rows identical to a training row."""
    if not referenced(ctx, "train") or not referenced(ctx, "validation"):
        absent = "data.validation" if referenced(ctx, "train") else "data.train"
        return missing(
            f"No {absent} is referenced, so train/validation overlap cannot be measured.",
            evidence=EvidenceRef(source=absent),
        )
    profile = train_profile(ctx)
    assert profile is not None
    columns = [f.name for f in profile.features]
    label = ctx.dossier.data.label
    if label and profile.column(label) is not None:
        columns.append(label)
    if not columns:
        return error(
            f"{profile.source} has no feature columns.", evidence=column_refs(profile.source)
        )

    def compute() -> OverlapReport:
        train, validation = open_data(ctx, "train"), open_data(ctx, "validation")
        assert train is not None and validation is not None
        return overlap_report(train, validation, columns=columns)

    report = cached_over_data(
        ctx,
        "tabular-overlap",
        ["train", "validation"],
        OverlapReport,
        compute,
        params={"columns": columns},
    )
    band = ctx.policy.features.split_overlap
    share = (
        rounded(report.overlapping_rows / report.validation_rows) if report.validation_rows else 0.0
    )
    message = (
        f"{report.overlapping_rows:,} of {report.validation_rows:,} validation rows "
        f"({share:.2%}) also occur in the training data"
        f" (compared on {len(report.columns)} feature and label columns)."
    )
    if report.skipped_columns:
        message += f" Not compared: {name_list(report.skipped_columns, 4)}."
    return judged(
        band.judge(share),
        message,
        measured={
            "overlap_fraction": rounded(share),
            "overlapping_rows": report.overlapping_rows,
            "validation_rows": report.validation_rows,
            "columns_compared": list(report.columns),
            "skipped_columns": list(report.skipped_columns),
        },
        threshold=band.threshold("overlap_fraction"),
        value=share,
        evidence=[
            EvidenceRef(source=data_source(ctx, "train")),
            EvidenceRef(source=data_source(ctx, "validation")),
        ],
    )


# --- FE.MISSINGNESS_STRATEGY --------------------------------------------------------------


def _missing_from_prior(ctx: CheckContext) -> dict[str, float] | None:
    """Missing fractions that DR.MISSINGNESS measured (cross-gate), if it measured any."""
    prior = ctx.prior_finding("DR.MISSINGNESS")
    if prior is None or prior.outcome in (Outcome.MISSING, Outcome.ERROR):
        return None
    fractions = prior.measured.get("missing_fraction")
    if not isinstance(fractions, dict):
        return None
    return {str(k): float(v) for k, v in fractions.items() if isinstance(v, int | float)}


def check_missingness_strategy(ctx: CheckContext) -> Verdict:
    """Judges FE.MISSINGNESS_STRATEGY: a strategy declared when features have missing values."""
    strategy = ctx.dossier.features.missingness_strategy
    documented = is_documented(strategy)
    fractions = _missing_from_prior(ctx)
    basis = "DR.MISSINGNESS"
    if fractions is None:
        profile = train_profile(ctx)
        if profile is not None:
            m = missing_fractions(ctx, profile)
            fractions = {**m["fractions"], **m["others"]}
            basis = profile.source
    where = EvidenceRef(source="features.missingness_strategy")
    if fractions is None:
        if documented:
            return ok(
                f"Missingness strategy: {short(strategy or '')} (missing values not measured: "
                "no training data).",
                evidence=where,
            )
        return missing(
            "No training data to measure missing values and no missingness strategy.",
            evidence=where,
        )
    with_missing = sorted((k for k, v in fractions.items() if v > 0), key=lambda k: -fractions[k])
    measured: dict[str, JsonValue] = {
        "features_with_missing": {k: rounded(fractions[k]) for k in with_missing},
        "strategy_documented": documented,
        "measured_by": basis,
    }
    threshold = Threshold(metric="features with missing values and no strategy", direction="equal")
    if not with_missing:
        return ok(
            "No feature has missing values"
            + (f"; strategy: {short(strategy or '')}" if documented else "."),
            measured=measured,
            threshold=threshold,
            evidence=where,
        )
    parts = [f"{k} {fractions[k]:.1%}" for k in with_missing]
    if not documented:
        return warn(
            f"Features have missing values ({name_list(parts)}) but no missingness strategy is "
            "documented (features.missingness_strategy).",
            measured=measured,
            threshold=threshold,
            evidence=[where, *(EvidenceRef(source=basis, column=k) for k in with_missing[:8])],
        )
    return ok(
        f"{len(with_missing)} feature(s) have missing values ({name_list(parts, 4)}); strategy: "
        f"{short(strategy or '')}",
        measured=measured,
        threshold=threshold,
        evidence=where,
    )


# --- FE.SENSITIVE_FEATURE -----------------------------------------------------------------


def check_sensitive_feature(ctx: CheckContext) -> Verdict:
    """Judges FE.SENSITIVE_FEATURE: whether a declared sensitive attribute is used as a feature."""
    declared = ctx.dossier.data.sensitive_attributes
    where = EvidenceRef(source="data.sensitive_attributes")
    if declared is None:
        return missing(
            "No sensitive attributes are declared (data.sensitive_attributes), so their use as "
            "features cannot be judged.",
            evidence=where,
        )
    if not declared:
        return ok(
            "No sensitive attributes are declared (an empty list).",
            measured={"sensitive_attributes": []},
            evidence=where,
        )
    profile = train_profile(ctx)
    f = ctx.dossier.features
    if profile is not None:
        features = [c.name for c in profile.features]
        basis = profile.source
    else:
        features = list(dict.fromkeys([*f.key, *(c for cols in f.groups.values() for c in cols)]))
        basis = "features.key / features.groups"
        if not features:
            return missing(
                "No training data and no declared features, so the use of sensitive attributes "
                "as features cannot be judged.",
                evidence=where,
            )
    used = [a for a in declared if a in features]
    measured: dict[str, Any] = {
        "sensitive_attributes": list(declared),
        "used_as_features": used,
        "excluded": [a for a in declared if a in f.excluded],
        "features_from": basis,
    }
    threshold = Threshold(metric="sensitive attributes used as features", direction="equal")
    if used:
        return warn(
            f"Sensitive attribute(s) used as features: {name_list(used)}. Justify their use or "
            "exclude them (features.excluded); check proxies too.",
            measured=measured,
            threshold=threshold,
            evidence=[EvidenceRef(source=basis, column=a) for a in used],
        )
    return ok(
        f"None of the {len(declared)} sensitive attribute(s) is used as a feature.",
        measured=measured,
        threshold=threshold,
        evidence=where,
    )
