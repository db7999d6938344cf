"""Data readiness checks on the training and serving files.

Volume, class balance, missingness, freshness, serving schema, drift (PSI) and duplicates.

Each file is profiled once (:mod:`langgraph_gates.evidence.tabular`) through the evidence
store, so these checks, the feature engineering checks and a re-run share one profile per file.
Features are the training file's columns other than ``data.label``, ``data.timestamp`` and
``features.excluded``.

A file the dossier does not reference gives ``missing``; a referenced file that cannot be used
gives ``error`` with the reason (raised as :class:`~langgraph_gates.errors.EvidenceError`), and
the review goes on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import JsonValue

from langgraph_gates.checks._loaders import (
    column_refs,
    missing_fractions,
    name_list,
    referenced,
    rounded,
    serving_profile,
    target_kind,
    train_profile,
)
from langgraph_gates.checks.base import CheckContext, Verdict, error, judged, missing, ok, warn
from langgraph_gates.evidence.psi import psi
from langgraph_gates.evidence.tabular import ColumnProfile, TableProfile
from langgraph_gates.state import EvidenceRef, Outcome, Threshold

__all__ = [
    "check_balance",
    "check_drift",
    "check_duplicates",
    "check_freshness",
    "check_missingness",
    "check_schema",
    "check_volume",
]


def _notes(profile: TableProfile) -> dict[str, JsonValue]:
    return {"file_notes": list(profile.notes)} if profile.notes else {}


def _with_notes(message: str, profile: TableProfile) -> str:
    if not profile.notes:
        return message
    return message + " Note: " + "; ".join(profile.notes) + "."


def _no_train(what: str) -> Verdict:
    return missing(
        f"No training data is referenced (data.train), so {what} cannot be measured.",
        evidence=EvidenceRef(source="data.train"),
    )


def _class_counts(ctx: CheckContext, profile: TableProfile) -> dict[str, int] | Verdict:
    """Rows per class of a classification label, or the verdict that says why there are none."""
    label_name = ctx.dossier.data.label
    src = profile.source
    if not label_name or profile.label is None:
        return missing(
            "No label column is declared (data.label), so rows per class cannot be counted.",
            evidence=EvidenceRef(source="data.label"),
        )
    label = profile.label
    if not label.present:
        return error(
            f"The label column '{label_name}' is not in {src} "
            f"(columns: {name_list(profile.column_names)}).",
            evidence=EvidenceRef(source=src, column=label_name),
        )
    if label.classes is None:
        return error(
            f"The label column '{label_name}' has {label.n_distinct:,} distinct values: "
            "not a classification label (check model.task).",
            evidence=EvidenceRef(source=src, column=label_name),
        )
    if not label.classes:
        return error(
            f"The label column '{label_name}' is empty in {src}.",
            evidence=EvidenceRef(source=src, column=label_name),
        )
    counts = dict(label.classes)
    if ctx.dossier.model.task == "binary_classification":
        if len(counts) > 2:
            return error(
                f"The label column '{label_name}' of a binary task has {len(counts)} values "
                f"({name_list(sorted(counts))}): mixed or wrong label values.",
                evidence=EvidenceRef(source=src, column=label_name),
                measured={"class_counts": dict(counts)},
            )
        if len(counts) == 1:
            counts["(the other class)"] = 0
    return counts


# --- DR.VOLUME ----------------------------------------------------------------------------


def check_volume(ctx: CheckContext) -> Verdict:
    """Judges DR.VOLUME: rows per class of the training label (rows for regression) against the policy band."""
    profile = train_profile(ctx)
    if profile is None:
        return _no_train("volume")
    band = ctx.policy.data.volume_per_class
    kind = target_kind(ctx)
    src = profile.source
    if kind == "classification":
        counts = _class_counts(ctx, profile)
        if isinstance(counts, Verdict):
            return counts
        smallest = min(counts, key=lambda k: counts[k])
        n_min = counts[smallest]
        label = profile.label
        assert label is not None
        message = (
            f"{profile.n_rows:,} rows in {len(counts)} classes; the smallest, '{smallest}', "
            f"has {n_min:,}."
        )
        if label.n_missing:
            message += f" {label.n_missing:,} rows have no label."
        return judged(
            band.judge(n_min),
            _with_notes(message, profile),
            measured={
                "rows": profile.n_rows,
                "class_counts": dict(counts),
                "min_class_count": n_min,
                "unlabelled_rows": label.n_missing,
                **_notes(profile),
            },
            threshold=band.threshold("rows_per_class"),
            evidence=column_refs(src, [label.column]),
            value=n_min,
        )
    basis = (
        "rows (model.task not declared)"
        if ctx.dossier.model.task is None
        else f"rows ({ctx.dossier.model.task})"
    )
    return judged(
        band.judge(profile.n_rows),
        _with_notes(f"{profile.n_rows:,} {basis}.", profile),
        measured={"rows": profile.n_rows, **_notes(profile)},
        threshold=band.threshold("rows"),
        value=profile.n_rows,
        evidence=column_refs(src),
    )


# --- DR.BALANCE ---------------------------------------------------------------------------


def check_balance(ctx: CheckContext) -> Verdict:
    """Judges DR.BALANCE: the minority class's share of the training rows."""
    kind = target_kind(ctx)
    task = ctx.dossier.model.task
    if task is None:
        return missing(
            "model.task is not declared, so class balance is not judged.",
            evidence=EvidenceRef(source="model.task"),
        )
    if kind != "classification":
        return ok(
            f"Not applicable: class balance concerns classification, the task is {task}.",
            measured={"applicable": False},
        )
    profile = train_profile(ctx)
    if profile is None:
        return _no_train("class balance")
    counts = _class_counts(ctx, profile)
    if isinstance(counts, Verdict):
        return counts
    band = ctx.policy.data.minority_fraction
    total = sum(counts.values())
    smallest = min(counts, key=lambda k: counts[k])
    share = rounded(counts[smallest] / total) if total else 0.0
    shares = {k: rounded(v / total) for k, v in counts.items()} if total else {}
    if counts[smallest] == 0:
        message = f"Only one class is present in {profile.source}: {name_list(sorted(shares))}."
    else:
        message = f"Minority class '{smallest}' is {share:.2%} of {total:,} labelled rows."
    return judged(
        band.judge(share),
        message,
        measured={
            "class_shares": shares,
            "minority_class": smallest,
            "minority_share": rounded(share),
        },
        threshold=band.threshold("minority_share"),
        value=share,
        evidence=column_refs(profile.source, [profile.label.column] if profile.label else []),
    )


# --- DR.MISSINGNESS -----------------------------------------------------------------------


def check_missingness(ctx: CheckContext) -> Verdict:
    """Judges DR.MISSINGNESS: the missing share of each key feature (every feature if none is named)."""
    profile = train_profile(ctx)
    if profile is None:
        return _no_train("missingness")
    m = missing_fractions(ctx, profile)
    if not m["judged"]:
        return error(
            f"{profile.source} has no feature columns (all are label, timestamp or excluded).",
            evidence=column_refs(profile.source),
        )
    band = ctx.policy.data.missing_fraction
    fractions: dict[str, float] = m["fractions"]
    worst = max(fractions, key=lambda k: fractions[k])
    outcome = band.judge(fractions[worst])
    flagged = sorted(
        (k for k, v in fractions.items() if band.judge(v) is not Outcome.PASS),
        key=lambda k: -fractions[k],
    )
    scope = "key feature" if ctx.dossier.features.key else "feature"
    if flagged:
        parts = [f"{k} {fractions[k]:.1%}" for k in flagged]
        message = f"Missing values above policy in {scope}(s): {name_list(parts)}."
    else:
        message = (
            f"Worst {scope}: {worst} with {fractions[worst]:.1%} missing ({len(fractions)} judged)."
        )
    if m["absent"]:
        message += f" Key feature(s) not in {profile.source}: {name_list(m['absent'])}."
    all_fractions = {k: rounded(v) for k, v in {**fractions, **m["others"]}.items()}
    return judged(
        outcome,
        message,
        measured={
            "missing_fraction": all_fractions,
            "judged_features": m["judged"],
            "absent_key_features": m["absent"],
            "worst_feature": worst,
            "rows": profile.n_rows,
        },
        threshold=band.threshold("missing_fraction"),
        value=fractions[worst],
        evidence=column_refs(profile.source, flagged or [worst]),
    )


# --- DR.FRESHNESS -------------------------------------------------------------------------


def _from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def check_freshness(ctx: CheckContext) -> Verdict:
    """Judges DR.FRESHNESS: the age of the newest training timestamp at review time."""
    data = ctx.dossier.data
    band = ctx.policy.data.freshness_days
    newest: dt.date | None = None
    basis = ""
    evidence: list[EvidenceRef] = []
    measured: dict[str, JsonValue] = {}
    profile = train_profile(ctx) if data.timestamp else None
    if profile is not None and data.timestamp:
        ts = profile.timestamp
        where = EvidenceRef(source=profile.source, column=data.timestamp)
        if ts is None or not ts.present:
            return error(
                f"The timestamp column '{data.timestamp}' is not in {profile.source}.",
                evidence=where,
            )
        if ts.maximum is None:
            return error(
                f"The timestamp column '{data.timestamp}' gives no times: {ts.problem}.",
                evidence=where,
            )
        newest_dt = _from_epoch(ts.maximum)
        newest = newest_dt.date()
        oldest = _from_epoch(ts.minimum).isoformat() if ts.minimum is not None else None
        basis = f"newest {data.timestamp} in {profile.source}"
        evidence = [where]
        measured = {
            "newest": newest_dt.isoformat(),
            "oldest": oldest,
            "unparseable_values": ts.n_unparseable,
            "missing_values": ts.n_missing,
        }
    else:
        refreshed = [s.refreshed for s in data.sources if s.refreshed is not None]
        if refreshed:
            newest = max(refreshed)
            basis = "latest refresh date of data.sources"
            evidence = [EvidenceRef(source="data.sources")]
            measured = {"newest": newest.isoformat()}
    if newest is None:
        return missing(
            "No timestamp column (data.timestamp) with training data, and no source refresh "
            "dates, so freshness cannot be measured.",
            evidence=EvidenceRef(source="data.timestamp"),
        )
    age = (ctx.as_of - newest).days
    measured |= {"age_days": age, "review_date": ctx.as_of.isoformat()}
    if -age > ctx.policy.data.future_tolerance_days:
        return warn(
            f"The {basis} ({newest.isoformat()}) is {-age} days after the review date "
            f"{ctx.as_of.isoformat()}: timestamps in the future point to a clock, time-zone or "
            "parsing error.",
            measured=measured,
            threshold=band.threshold("age_days"),
            evidence=evidence,
            mitigation="Fix the timestamps (time zone, parsing, test records) before training.",
        )
    message = f"The {basis} is {newest.isoformat()}, {age} days before the review."
    if measured.get("unparseable_values"):
        message += f" {measured['unparseable_values']:,} values could not be parsed as times."
    return judged(
        band.judge(age),
        message,
        measured=measured,
        threshold=band.threshold("age_days"),
        value=age,
        evidence=evidence,
    )


# --- DR.SCHEMA ----------------------------------------------------------------------------


def _compatible(train: ColumnProfile, serving: ColumnProfile, serving_rows: int) -> bool:
    if train.family == serving.family or "null" in (train.family, serving.family):
        return True
    # A column with no value at all has no type to compare (a CSV reader calls it text); it is
    # reported as empty instead.
    return serving.n_missing == serving_rows


def _schema_diff(
    train: TableProfile, serving: TableProfile
) -> tuple[list[str], dict[str, str], list[str], list[str]]:
    """Features absent in serving, type changes, features empty only in serving, extra columns."""
    absent = [f.name for f in train.features if serving.column(f.name) is None]
    mismatched: dict[str, str] = {}
    empty: list[str] = []
    for f in train.features:
        s = serving.column(f.name)
        if s is None:
            continue
        if s.n_missing == serving.n_rows and f.n_missing < train.n_rows:
            empty.append(f.name)
        if not _compatible(f, s, serving.n_rows):
            mismatched[f.name] = f"{f.family} ({f.dtype}) -> {s.family} ({s.dtype})"
    extra = [c for c in serving.column_names if train.column(c) is None]
    return absent, mismatched, empty, extra


def check_schema(ctx: CheckContext) -> Verdict:
    """Judges DR.SCHEMA: whether the serving file has the training features, with compatible types."""
    if not referenced(ctx, "serving"):
        return missing(
            "No serving data is referenced (data.serving), so the serving schema cannot be "
            "compared with training.",
            evidence=EvidenceRef(source="data.serving"),
        )
    train = train_profile(ctx)
    if train is None:
        return _no_train("the serving schema")
    label = ctx.dossier.data.label
    if label and label not in train.column_names:
        # The real label would be taken for a feature that serving lacks: say why instead.
        return error(
            f"The serving schema cannot be compared: the declared label {label!r} is not a "
            f"column of {train.source}, so features cannot be told apart from the label "
            "(see DR.COLUMNS).",
            evidence=EvidenceRef(source=train.source, column=label),
        )
    serving = serving_profile(ctx)
    assert serving is not None
    features = train.features
    if not features:
        return error(f"{train.source} has no feature columns.", evidence=column_refs(train.source))
    absent, mismatched, empty, extra = _schema_diff(train, serving)
    measured: dict[str, Any] = {
        "train_features": len(features),
        "serving_columns": len(serving.columns),
        "missing_in_serving": absent,
        "type_mismatches": dict(mismatched),
        "extra_in_serving": extra,
        "empty_in_serving": empty,
        **_notes(serving),
    }
    threshold = Threshold(metric="serving feature columns and types", direction="equal")
    problems: list[str] = []
    if absent:
        problems.append(f"feature(s) missing in serving: {name_list(absent)}")
    if mismatched:
        problems.append(
            "type changed: " + name_list([f"{k} {v}" for k, v in mismatched.items()], 4)
        )
    evidence = column_refs(serving.source, [*absent, *mismatched, *empty, *extra])
    if problems:
        return judged(
            Outcome.FAIL,
            _with_notes(f"Serving data differs from training: {'; '.join(problems)}.", serving),
            measured=measured,
            threshold=threshold,
            evidence=evidence,
        )
    minor: list[str] = []
    if empty:
        minor.append(f"feature(s) with no value at all in serving: {name_list(empty)}")
    extra_rule = ctx.policy.data.schema_extra_columns
    if extra and extra_rule != "ignore":
        minor.append(f"column(s) not in training: {name_list(extra)}")
    if minor:
        outcome = Outcome.FAIL if extra and extra_rule == "fail" else Outcome.WARN
        return judged(
            outcome,
            _with_notes(f"Serving schema: {'; '.join(minor)}.", serving),
            measured=measured,
            threshold=threshold,
            evidence=evidence,
            mitigation="Align the serving feature pipeline with training; drop or document "
            "extra columns.",
        )
    return ok(
        _with_notes(
            f"All {len(features)} training features are in the serving data with the same "
            "type families.",
            serving,
        ),
        measured=measured,
        threshold=threshold,
        evidence=column_refs(serving.source),
    )


# --- DR.DRIFT -----------------------------------------------------------------------------


def feature_psi(
    train: ColumnProfile, serving: ColumnProfile | None, *, epsilon: float
) -> tuple[float | None, str | None]:
    """PSI of one feature between its training and serving profiles, or why there is none."""
    if serving is None:
        return None, "not in the serving data"
    kind = train.binned
    if kind is None:
        return None, f"type {train.dtype} is not binned"
    if serving.binned != kind or (kind == "numeric" and serving.family != train.family):
        return None, f"type changed ({train.dtype} -> {serving.dtype})"
    if kind == "numeric":
        if len(serving.bins) != len(train.bins):
            return None, "bins could not be counted"
        ref = [*train.bins, train.bin_missing]
        cur = [*serving.bins, serving.bin_missing]
    else:
        ref = [*train.category_counts, train.other_count, train.unseen_count, train.n_missing]
        cur = [
            *serving.category_counts,
            serving.other_count,
            serving.unseen_count,
            serving.n_missing,
        ]
    if sum(ref) == 0 or sum(cur) == 0:
        return None, "no rows"
    return psi(ref, cur, epsilon=epsilon), None


def check_drift(ctx: CheckContext) -> Verdict:
    """Judges DR.DRIFT: the PSI of each feature between training and serving data."""
    if not referenced(ctx, "serving"):
        return missing(
            "No serving data is referenced (data.serving), so drift cannot be measured.",
            evidence=EvidenceRef(source="data.serving"),
        )
    train = train_profile(ctx)
    if train is None:
        return _no_train("drift")
    serving = serving_profile(ctx)
    assert serving is not None
    pol = ctx.policy.data
    band = pol.psi
    values: dict[str, float] = {}
    skipped: dict[str, str] = {}
    unseen: dict[str, float] = {}
    for f in train.features:
        value, reason = feature_psi(f, serving.column(f.name), epsilon=pol.psi_epsilon)
        if value is None:
            skipped[f.name] = reason or "not compared"
        else:
            values[f.name] = rounded(value)  # the reported value is the judged value
        s = serving.column(f.name)
        if s is not None and s.unseen_count and serving.n_rows:
            unseen[f.name] = rounded(s.unseen_count / serving.n_rows)
    method = {
        "method": pol.psi_method,
        "bins": pol.psi_bins,
        "epsilon": pol.psi_epsilon,
        "max_categories": pol.psi_max_categories,
        "quantile_sample_rows": train.quantile_sample_rows,
        "train_rows": train.n_rows,
        "serving_rows": serving.n_rows,
    }
    if not values:
        return error(
            "No feature could be compared between training and serving data"
            + (
                f" ({name_list([f'{k}: {v}' for k, v in skipped.items()], 3)})." if skipped else "."
            ),
            measured={"skipped": dict(skipped), **method},
            evidence=column_refs(serving.source),
        )
    ranked = sorted(values, key=lambda k: -values[k])
    drifting = [k for k in ranked if band.judge(values[k]) is not Outcome.PASS]
    worst = ranked[0]
    outcome = band.judge(values[worst])
    if drifting:
        parts = [f"{k} {values[k]:.3f}" for k in drifting]
        message = f"PSI at or above policy on {len(drifting)} feature(s): {name_list(parts)}."
    else:
        message = (
            f"No drift above policy: largest PSI {values[worst]:.3f} ({worst}) over "
            f"{len(values)} feature(s)."
        )
    if skipped:
        message += f" Not compared: {name_list(list(skipped), 4)}."
    return judged(
        outcome,
        message,
        measured={
            "psi": {k: rounded(values[k]) for k in ranked},
            "drifting_features": drifting,
            "max_psi": rounded(values[worst]),
            "max_psi_feature": worst,
            "skipped": dict(skipped),
            "unseen_category_share": dict(unseen),
            **method,
        },
        threshold=band.threshold("psi"),
        value=values[worst],
        evidence=column_refs(serving.source, drifting or [worst]),
    )


# --- DR.DUPLICATES ------------------------------------------------------------------------


def check_duplicates(ctx: CheckContext) -> Verdict:
    """Judges DR.DUPLICATES: the share of duplicate rows in the training file."""
    profile = train_profile(ctx)
    if profile is None:
        return _no_train("duplicate rows")
    if profile.duplicate_rows is None:
        return error(
            f"{profile.source} has no column to compare (all are excluded).",
            evidence=column_refs(profile.source),
        )
    band = ctx.policy.data.duplicate_fraction
    share = rounded(profile.duplicate_rows / profile.n_rows)
    excluded = [c.name for c in profile.columns if c.role == "excluded"]
    message = (
        f"{profile.duplicate_rows:,} of {profile.n_rows:,} rows ({share:.2%}) repeat an "
        "earlier row"
        + (f" (ignoring excluded column(s) {name_list(excluded, 4)})." if excluded else ".")
    )
    return judged(
        band.judge(share),
        message,
        measured={
            "duplicate_rows": profile.duplicate_rows,
            "rows": profile.n_rows,
            "duplicate_fraction": rounded(share),
            "columns_compared": len(profile.duplicate_columns),
            "ignored_columns": excluded,
        },
        threshold=band.threshold("duplicate_fraction"),
        value=share,
        evidence=column_refs(profile.source),
    )
