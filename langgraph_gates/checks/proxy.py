"""FE.PROXY: features that stand in for a declared sensitive attribute.

Excluding a sensitive attribute from the features does not keep it out of the model when
another feature carries it: ``age`` in years while ``age_group`` is the declared attribute, a
postcode for a region. Two signals, each judged against the policy:

* **by the data**: how strongly each feature predicts each declared attribute that is a column
  of the training file (bias-corrected Cramér's V and symmetrised AUC, on the bounded sample the
  leakage check draws; :mod:`langgraph_gates.evidence.proxy`);
* **by the name**: a feature whose name derives from an attribute's (``age`` / ``age_group``,
  ``sex_code`` / ``sex``: the words of one name are all words of the other, see
  :func:`name_link`), which holds even when the attribute is not in the file.

A declared sensitive attribute that is itself a feature is FE.SENSITIVE_FEATURE's finding and
is not judged here again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import JsonValue

from langgraph_gates.checks._loaders import (
    cached_over_data,
    column_refs,
    name_list,
    open_data,
    rounded,
    train_profile,
)
from langgraph_gates.checks._text import is_documented
from langgraph_gates.checks.base import CheckContext, Verdict, error, judged, missing, ok
from langgraph_gates.evidence.proxy import ProxyReport, proxy_report
from langgraph_gates.evidence.tabular import Family, TableProfile
from langgraph_gates.policy import Band
from langgraph_gates.state import EvidenceRef, Outcome, Threshold

__all__ = [
    "check_proxy",
    "name_link",
]

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Words that say how a value is coded, not what it is about: sharing one of them links nothing
# (marital_status and account_status are not the same thing).
_GENERIC = frozenset(
    {
        "and", "band", "bin", "binned", "bucket", "bucketed", "cat", "category", "class", "cd",
        "code", "coded", "count", "flag", "group", "grp", "has", "id", "idx", "ind", "is",
        "level", "lvl", "n", "no", "num", "number", "of", "or", "range", "raw", "status",
        "the", "type", "val", "value",
        # units say how a quantity is measured: age_days and age_years are the same age
        "day", "days", "hour", "hours", "month", "months", "pct", "percent", "week", "weeks",
        "year", "years", "yr", "yrs",
    }
)  # fmt: skip


def _words(name: str) -> set[str]:
    """The words of a column name: split on separators, case changes and digits, lowercased.

    Generic coding words, single letters and digits are left out. A plural ``s`` is dropped from longer words
    (``genders`` is ``gender``; ``status`` and ``address`` keep theirs).
    """
    found = {w.lower() for w in _WORDS.findall(name)}
    words = {w for w in found if len(w) > 1 and w not in _GENERIC and not w.isdigit()}
    return {_singular(w) for w in words}


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_link(feature: str, attribute: str) -> str | None:
    """The word by which a feature's name derives from a sensitive attribute's, or ``None``.

    One name derives from the other when all the words of one are words of the other:
    ``age_group`` qualifies ``age``, ``sex_code`` qualifies ``sex``. Two names that merely share
    a word while each has its own (``card_age_days`` and ``cardholder_age_band``: the card's age
    is not the holder's) are siblings, not derivations; whether such a feature carries the
    attribute is for the data to say. Whole words only, so ``agency`` is not ``age``; coding
    words (``group``, ``code``, ``status``), units (``days``), letters and digits do not count.
    """
    f, a = _words(feature), _words(attribute)
    shared = sorted(f & a)
    if not shared or not (f <= a or a <= f):
        return None
    return shared[0]


@dataclass(frozen=True)
class _Flag:
    """One reason to call a feature a proxy of an attribute."""

    feature: str
    attribute: str
    outcome: Outcome
    reason: str
    statistic: str | None = None
    value: float | None = None
    band: Band | None = None
    metric: str = "feature name derived from a sensitive attribute"


def _statistic_flags(ctx: CheckContext, report: ProxyReport) -> list[_Flag]:
    pol = ctx.policy.features
    flags = []
    for f in report.features:
        for stat, value, metric in (
            ("Cramér's V", f.cramers_v, "proxy_cramers_v"),
            ("AUC", f.auc, "proxy_auc"),
        ):
            band: Band = getattr(pol, metric)
            if value is None or band.judge(rounded(value)) is Outcome.PASS:
                continue
            flags.append(
                _Flag(
                    f.feature,
                    report.attribute,
                    band.judge(rounded(value)),
                    f"predicts {report.attribute} ({stat} {value:.3f})",
                    stat,
                    rounded(value),
                    band,
                    metric,
                )
            )
    return flags


def _name_flags(ctx: CheckContext, features: list[str], attributes: list[str]) -> list[_Flag]:
    setting = ctx.policy.features.proxy_name_match
    if setting == "ignore":
        return []
    flags = []
    for feature in features:
        for attribute in attributes:
            word = name_link(feature, attribute)
            if word is not None:
                outcome = Outcome.FAIL if setting == "fail" else Outcome.WARN
                reason = f"its name derives from {attribute}'s (the word '{word}')"
                flags.append(_Flag(feature, attribute, outcome, reason))
    return flags


def _report(ctx: CheckContext, attribute: str, features: list[tuple[str, Family]]) -> ProxyReport:
    """The association of every feature with one attribute, through the evidence store."""
    pol = ctx.policy.features

    def compute() -> ProxyReport:
        train = open_data(ctx, "train")
        assert train is not None
        return proxy_report(
            train,
            attribute=attribute,
            features=features,
            sample_rows=pol.leakage_sample_rows,
            bins=pol.proxy_bins,
        )

    params = {"attribute": attribute, "features": features}
    return cached_over_data(ctx, "tabular-proxy", ["train"], ProxyReport, compute, params=params)


def _measured(reports: list[ProxyReport], flags: list[_Flag]) -> dict[str, JsonValue]:
    def stats(report: ProxyReport) -> dict[str, JsonValue]:
        return {
            f.feature: {
                "cramers_v": None if f.cramers_v is None else rounded(f.cramers_v),
                "auc": None if f.auc is None else rounded(f.auc),
            }
            for f in report.features
        }

    return {
        "associations": {r.attribute: stats(r) for r in reports},
        "proxies": [
            {
                "feature": f.feature,
                "attribute": f.attribute,
                "statistic": f.statistic or "name",
                "value": f.value,
                "outcome": f.outcome.value,
            }
            for f in flags
        ],
        "rows_sampled": {r.attribute: r.rows_sampled for r in reports},
        "rows_total": {r.attribute: r.rows_total for r in reports},
        "notes": [n for r in reports for n in r.notes],
    }


def _strongest(reports: list[ProxyReport]) -> str:
    """The strongest association measured, for a passing message."""
    best: tuple[float, str] | None = None
    for r in reports:
        for f in r.features:
            for stat, value in (("Cramér's V", f.cramers_v), ("AUC", f.auc)):
                if value is not None and (best is None or value > best[0]):
                    best = (value, f"{stat} {value:.3f}, {f.feature} / {r.attribute}")
    return f"strongest: {best[1]}" if best else "nothing could be measured"


def _threshold(flags: list[_Flag], outcome: Outcome) -> Threshold:
    """The band of the first flag with the verdict's outcome (a name link has none)."""
    for flag in flags:
        if flag.band is not None and flag.outcome is outcome:
            return flag.band.threshold(flag.metric)
    return Threshold(metric=flags[0].metric, direction="equal")


def _judge(
    ctx: CheckContext,
    profile: TableProfile,
    reports: list[ProxyReport],
    flags: list[_Flag],
    measured_on: list[str],
) -> Verdict:
    measured = _measured(reports, flags)
    default = ctx.policy.features.proxy_cramers_v.threshold("proxy_cramers_v")
    scope = f"{len(measured_on)} attribute(s) measured in {profile.source}" + (
        f" ({name_list(measured_on)})" if measured_on else ""
    )
    raised = [f for f in flags if f.outcome is not Outcome.PASS]
    if not raised:
        how = "by data" if ctx.policy.features.proxy_name_match == "ignore" else "by name or data"
        return ok(
            f"No feature stands in for a sensitive attribute {how} ({scope}; "
            f"{_strongest(reports)}).",
            measured=measured,
            threshold=default,
            evidence=EvidenceRef(source="data.sensitive_attributes"),
        )
    outcome = Outcome.FAIL if any(f.outcome is Outcome.FAIL for f in raised) else Outcome.WARN
    by_feature: dict[str, list[str]] = {}
    for f in raised:
        by_feature.setdefault(f.feature, []).append(f.reason)
    parts = [f"{feature} ({'; '.join(reasons)})" for feature, reasons in by_feature.items()]
    return judged(
        outcome,
        f"Feature(s) that may stand in for a sensitive attribute: {name_list(parts)} ({scope}).",
        measured=measured,
        threshold=_threshold(raised, outcome),
        evidence=column_refs(profile.source, list(by_feature)),
    )


def check_proxy(ctx: CheckContext) -> Verdict | list[Verdict]:
    """Judges whether a feature stands in for a declared sensitive attribute, by data or name.

    Failure modes (none of them better than the evidence would be: FE.PROXY has no fail level
    by default, so its worst is warn, and missing or error makes the gate Conditional too):

    * ``data.sensitive_attributes`` not declared -> ``missing`` (declare them); declared as an
      empty list -> ``missing`` unless ``data.sensitive_justification`` says why there are none
      (then ``pass``, not applicable);
    * no ``data.train`` -> ``missing``; an unreadable training file -> ``error`` (raised by the
      loader and turned into the finding by :func:`~langgraph_gates.checks.base.run_check`);
    * a declared attribute that is not a column of the training file -> ``error`` naming the
      file and its columns, plus the judgement of the name links and the other attributes;
    * no feature left besides the sensitive attributes -> ``error``.
    """
    declared = ctx.dossier.data.sensitive_attributes
    where = EvidenceRef(source="data.sensitive_attributes")
    if not declared:
        return _undeclared(ctx, declared, where)
    profile = train_profile(ctx)
    if profile is None:
        return missing(
            "No training data is referenced (data.train), so proxies of the sensitive "
            "attributes cannot be looked for.",
            evidence=EvidenceRef(source="data.train"),
        )
    # A sensitive attribute used as a feature is FE.SENSITIVE_FEATURE's finding, not a proxy.
    features = [(c.name, c.family) for c in profile.features if c.name not in declared]
    if not features:
        return error(
            f"{profile.source} has no feature columns besides the sensitive attributes.",
            evidence=column_refs(profile.source),
        )
    present = [a for a in declared if profile.column(a) is not None]
    absent = [a for a in declared if a not in present]
    reports = [_report(ctx, a, features) for a in present]
    flags = _name_flags(ctx, [n for n, _ in features], list(declared))
    flags += [flag for r in reports for flag in _statistic_flags(ctx, r)]
    verdict = _judge(ctx, profile, reports, flags, present)
    if not absent:
        return verdict
    problem = error(
        f"Sensitive attribute(s) {name_list(absent)} are not columns of {profile.source} "
        f"(columns: {name_list(profile.column_names, 20)}), so features cannot be measured "
        "against them; add the column or correct data.sensitive_attributes.",
        measured={"absent_attributes": absent, "columns": profile.column_names},
        evidence=[EvidenceRef(source=profile.source), where],
    )
    return [problem, verdict] if present or flags else [problem]


def _undeclared(ctx: CheckContext, declared: list[str] | None, where: EvidenceRef) -> Verdict:
    """No attribute to look for proxies of: justified (not applicable) or missing."""
    justification = ctx.dossier.data.sensitive_justification
    if declared is not None and is_documented(justification):
        return ok(
            "Not applicable: no sensitive attributes, with a justification "
            "(data.sensitive_justification).",
            measured={"applicable": False},
            evidence=EvidenceRef(source="data.sensitive_justification"),
        )
    return missing(
        "No sensitive attributes are declared (data.sensitive_attributes), so proxies of them "
        "cannot be looked for: declare data.sensitive_attributes (or an empty list with "
        "data.sensitive_justification).",
        evidence=where,
    )
