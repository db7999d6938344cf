"""The review policy: every threshold a check uses, as data.

Defaults come from the seed's thresholds (see SPEC section 3). A YAML policy file overrides any
subset of them (``--policy``); it is deep-merged onto the defaults and validated, so a typo or
a contradictory band (warn stricter than fail) is refused with a line naming file and field.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from langgraph_gates._names import did_you_mean
from langgraph_gates._structured import load_structured_file
from langgraph_gates.errors import PolicyError
from langgraph_gates.state import Outcome, Threshold

__all__ = [
    "DEFAULT_REQUIRED",
    "DEFAULT_REQUIRED_WITH_SENSITIVE",
    "Band",
    "ChampionPolicy",
    "ChangeThreshold",
    "Policy",
    "load_policy",
    "policy_from_mapping",
]


class Band(BaseModel):
    """A warn/fail band on one measured value.

    ``direction="above"``: values above the band are bad (warn when beyond ``warn``, fail when
    beyond ``fail``); ``"below"``: values below it are bad. ``inclusive`` makes reaching the
    value count (``>=`` instead of ``>``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: Literal["above", "below"]
    warn: float | None = None
    fail: float | None = None
    inclusive: bool = False

    @field_validator("warn", "fail")
    @classmethod
    def _finite_non_negative(cls, value: float | None) -> float | None:
        if value is not None and (math.isnan(value) or math.isinf(value) or value < 0):
            msg = f"must be a finite number >= 0, got {value}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _warn_not_stricter_than_fail(self) -> Band:
        if self.warn is None or self.fail is None:
            return self
        contradictory = (
            self.warn > self.fail if self.direction == "above" else self.warn < self.fail
        )
        if contradictory:
            side = "above" if self.direction == "above" else "below"
            msg = (
                f"contradictory band: warn={self.warn:g} is stricter than fail={self.fail:g} "
                f"(values {side} the band are bad, so warn must come before fail)"
            )
            raise ValueError(msg)
        return self

    def _beyond(self, value: float, limit: float | None) -> bool:
        if limit is None:
            return False
        if self.direction == "above":
            return value >= limit if self.inclusive else value > limit
        return value <= limit if self.inclusive else value < limit

    def judge(self, value: float) -> Outcome:
        """Return pass, warn or fail for a measured value."""
        if self._beyond(value, self.fail):
            return Outcome.FAIL
        if self._beyond(value, self.warn):
            return Outcome.WARN
        return Outcome.PASS

    def threshold(self, metric: str) -> Threshold:
        """Return this band as a :class:`Threshold` that names the metric."""
        return Threshold(
            metric=metric,
            direction=self.direction,
            warn=self.warn,
            fail=self.fail,
            inclusive=self.inclusive,
        )


def _above(warn: float | None, fail: float | None, *, inclusive: bool = False) -> Band:
    return Band(direction="above", warn=warn, fail=fail, inclusive=inclusive)


def _below(warn: float | None, fail: float | None, *, inclusive: bool = False) -> Band:
    return Band(direction="below", warn=warn, fail=fail, inclusive=inclusive)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# pandas.read_csv's default NA strings, so that a CSV's missing values count as pandas counts them.
_CSV_NULL_VALUES = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)


class DataPolicy(_Section):
    """Thresholds of the data readiness gate."""

    volume_per_class: Band = Field(
        default=_below(10_000, 1_000),
        description="Rows per class (rows in all for regression).",
    )
    minority_fraction: Band = Field(
        default=_below(0.05, 0.01), description="Share of the smallest class."
    )
    missing_fraction: Band = Field(
        default=_above(0.10, 0.30), description="Missing share of a key feature."
    )
    freshness_days: Band = Field(
        default=_above(183, None), description="Age of the newest timestamp, in days."
    )
    psi: Band = Field(
        default=_above(0.10, 0.25, inclusive=True), description="PSI train vs serving."
    )
    psi_method: Literal["quantile"] = Field(
        default="quantile", description="How numeric bins are cut from the reference data."
    )
    psi_bins: int = Field(default=10, ge=2, le=100, description="Bins for numeric PSI.")
    psi_epsilon: float = Field(
        default=1e-4, gt=0, lt=0.1, description="Share given to an empty bin."
    )
    psi_max_categories: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Most frequent training categories kept as their own PSI bins; the rarer "
        "training categories share one bin and categories unseen in training another.",
    )
    quantile_sample_rows: int = Field(
        default=1_000_000,
        ge=1_000,
        description="Deterministic sample (rows, about) of the training data that the numeric "
        "PSI bin edges are cut from and the training bin shares measured on (every row below "
        "it); serving rows are all counted.",
    )
    duplicate_fraction: Band = Field(
        default=_above(0.05, None), description="Share of duplicate rows."
    )
    future_tolerance_days: int = Field(
        default=1,
        ge=0,
        description="Timestamps later than the review date by more than this are a finding.",
    )
    schema_extra_columns: Literal["fail", "warn", "ignore"] = Field(
        default="warn",
        description="Outcome when serving data has columns the training data lacks (missing "
        "features or a changed type always fail).",
    )
    csv_null_values: list[str] = Field(
        default_factory=lambda: list(_CSV_NULL_VALUES),
        description="CSV cells read as missing (pandas' default NA strings).",
    )


class FeaturePolicy(_Section):
    """Thresholds of the feature engineering gate."""

    single_feature_auc: Band = Field(
        default=_above(0.90, 0.95, inclusive=True),
        description="AUC of one feature alone against the label (symmetrised).",
    )
    single_feature_spearman: Band = Field(
        default=_above(0.90, 0.95, inclusive=True),
        description="|Spearman| of one feature with a numeric label (regression).",
    )
    split_overlap: Band = Field(
        default=_above(0.01, 0.05), description="Share of validation rows also in train."
    )
    leakage_sample_rows: int = Field(
        default=200_000,
        ge=1_000,
        description="Rows (about) sampled from each file to score single-feature separation.",
    )
    proxy_cramers_v: Band = Field(
        default=_above(0.50, None, inclusive=True),
        description="FE.PROXY: bias-corrected Cramer's V of a feature against a sensitive "
        "attribute (numeric features in quantile bins). 0.5 is a strong association by "
        "Cohen's conventions whatever the table's size; warn only by default.",
    )
    proxy_auc: Band = Field(
        default=_above(0.80, None, inclusive=True),
        description="FE.PROXY: symmetrised AUC of one feature alone predicting a sensitive "
        "attribute (macro one-vs-rest). 0.8 is 'excellent discrimination' (Hosmer-Lemeshow): "
        "the model can recover the attribute from that feature; warn only by default.",
    )
    proxy_name_match: Literal["fail", "warn", "ignore"] = Field(
        default="warn",
        description="FE.PROXY: outcome when a feature's name derives from a sensitive attribute's "
        "(age vs age_group: all the words of one name are words of the other).",
    )
    proxy_bins: int = Field(
        default=10, ge=2, le=100, description="FE.PROXY: quantile bins of a numeric feature."
    )


class PerformancePolicy(_Section):
    """Thresholds of the model performance gate."""

    overfit_relative_gap: Band = Field(
        default=_above(0.05, 0.10), description="(train - validation) / train on the key metric."
    )
    cv_std: Band = Field(default=_above(0.05, None), description="Std of cross-validation scores.")
    calibration_ece: Band = Field(
        default=_above(0.10, None), description="Expected calibration error."
    )
    calibration_bins: int = Field(
        default=10, ge=2, le=100, description="Equal-width score bins of the calibration error."
    )
    slice_gap: Band = Field(
        default=_above(0.10, None),
        description="How far a slice's key metric falls below overall: points for metrics in "
        "[0, 1] (AUC, accuracy, F1, ...), relative for error metrics (RMSE, log loss, ...).",
    )
    slice_min_rows: int = Field(default=30, ge=1, description="Smallest slice that is judged.")
    max_table_prediction_rows: int = Field(
        default=2_000_000,
        ge=1,
        description="Most rows of a predictions table on Spark brought to the reviewing "
        "process (a few columns of each: the metrics need every prediction); a bigger table "
        "is an error. Files are not capped.",
    )
    baseline_tolerance: float = Field(
        default=0.005,
        ge=0,
        description="How far the model may fall short of its stated baseline and still count "
        "as matching it (points of the baseline's metric; relative for error metrics such as "
        "RMSE): below the baseline by more: fail; within it: warn (no lift shown).",
    )


class FairnessPolicy(_Section):
    """Thresholds of the responsible AI gate."""

    selection_rate_ratio: Band = Field(
        default=_below(0.90, 0.80), description="min/max selection rate (four-fifths rule)."
    )
    equalized_odds_difference: Band = Field(
        default=_above(0.10, 0.20), description="Largest TPR or FPR gap between groups."
    )
    group_min_fraction: float = Field(
        default=0.01, ge=0, le=1, description="A smaller share of the rows is a coverage gap."
    )
    group_min_rows: int = Field(
        default=100, ge=0, description="A group with fewer rows is a coverage gap."
    )
    bootstrap_samples: int = Field(
        default=200, ge=0, le=10_000, description="Bootstrap resamples (0 turns intervals off)."
    )
    bootstrap_below_rows: int = Field(
        default=1_000, ge=0, description="Bootstrap a CI when the smallest group is this small."
    )
    confidence_level: float = Field(
        default=0.95, gt=0.5, lt=1, description="Level of the bootstrap interval."
    )


class ChangeThreshold(_Section):
    """How much a metric must change versus the champion (MLflow / TFMA style).

    The change is measured in the metric's better direction (for an error metric such as RMSE,
    a drop is an improvement). ``min_absolute_change``: the candidate must beat the champion by
    at least this many units of the metric; ``min_relative_change``: by at least this share of
    the champion's value. A negative value is a tolerance: ``-0.005`` lets the candidate be up to
    0.005 worse. When both are set, both must hold.
    """

    min_absolute_change: float | None = None
    min_relative_change: float | None = None

    @field_validator("min_absolute_change", "min_relative_change")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            msg = f"must be a finite number, got {value}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_set(self) -> ChangeThreshold:
        if self.min_absolute_change is None and self.min_relative_change is None:
            msg = "set min_absolute_change, min_relative_change or both"
            raise ValueError(msg)
        return self

    def required(self, champion: float) -> float:
        """The smallest improvement over this champion value that meets the threshold."""
        limits = []
        if self.min_absolute_change is not None:
            limits.append(self.min_absolute_change)
        if self.min_relative_change is not None:
            limits.append(self.min_relative_change * abs(champion))
        return max(limits)


class ChampionPolicy(_Section):
    """Champion versus challenger: change thresholds and the paired bootstrap."""

    change: dict[str, ChangeThreshold] = Field(
        default_factory=dict,
        description="Per metric (e.g. roc_auc): the change required versus the champion; "
        "metrics not listed use the defaults below.",
    )
    default_bounded: ChangeThreshold = Field(
        default=ChangeThreshold(min_absolute_change=-0.005),
        description="For metrics in [0, 1] (AUC, accuracy, F1, ...): at most 0.5 points worse.",
    )
    default_unbounded: ChangeThreshold = Field(
        default=ChangeThreshold(min_relative_change=-0.01),
        description="For error metrics (RMSE, MAE, log loss, ...): at most 1% worse.",
    )
    group_min_rows: int = Field(
        default=100, ge=1, description="A slice or group with fewer rows is not judged."
    )
    bootstrap_samples: int = Field(
        default=200, ge=20, le=10_000, description="Paired bootstrap replicates."
    )
    confidence_level: float = Field(
        default=0.95, gt=0.5, lt=1, description="Level of the paired interval."
    )
    seed: int = Field(default=0, ge=0, description="Seed of the bootstrap (reproducible).")
    auc_bins: int = Field(
        default=500,
        ge=10,
        le=100_000,
        description="Equal-frequency score bins of the bootstrap's ROC AUC (it can differ from "
        "the exact AUC by about 1 / (2 * bins) at most).",
    )

    @field_validator("change")
    @classmethod
    def _known_metrics(cls, value: dict[str, ChangeThreshold]) -> dict[str, ChangeThreshold]:
        from langgraph_gates.evidence.predictions import KNOWN_METRICS, canonical_metric

        out: dict[str, ChangeThreshold] = {}
        for name, threshold in value.items():
            canonical = canonical_metric(name)
            if canonical not in KNOWN_METRICS:
                msg = f"unknown metric {name!r}{did_you_mean(name, KNOWN_METRICS)}"
                raise ValueError(msg)
            out[canonical] = threshold
        return out

    def threshold_for(self, metric: str, *, bounded: bool) -> ChangeThreshold:
        """The change threshold of a metric: its own, else the default for its kind."""
        default = self.default_bounded if bounded else self.default_unbounded
        return self.change.get(metric, default)


class SecurityPolicy(_Section):
    """Settings of the security and robustness gate."""

    allowed_globals: list[str] = Field(
        default_factory=list,
        description="Extra callables a pickle may import beyond the built-in allowlist: exact "
        "'module.name' entries, or 'package.*' for any undotted name inside a package.",
    )
    max_artifact_mb: float = Field(
        default=4096, gt=0, description="Larger artifacts are not inspected (an error finding)."
    )
    max_decompressed_mb: float = Field(
        default=16384,
        gt=0,
        description="Most bytes a compressed artifact may expand to while it is scanned "
        "(a guard against decompression bombs).",
    )
    secrets_max_files: int = Field(
        default=2000, ge=1, description="Files scanned for secrets at most, over all scan paths."
    )
    secrets_max_file_kb: int = Field(
        default=1024, ge=1, description="Larger files are not scanned for secrets."
    )
    secrets_excluded_plugins: list[str] = Field(
        default_factory=lambda: ["IPPublicDetector"],
        description="detect-secrets plugins not run on scan paths (a public IP address is not "
        "a credential). Lines can also be allowed with a '# pragma: allowlist secret' comment.",
    )

    @field_validator("allowed_globals")
    @classmethod
    def _global_names(cls, value: list[str]) -> list[str]:
        for entry in value:
            name = entry.strip()
            body = name[:-2] if name.endswith(".*") else name
            if not body or ("." not in body and not name.endswith(".*")) or " " in body:
                msg = f"{entry!r} is not 'module.name' or 'package.*'"
                raise ValueError(msg)
        return value


# SPEC section 3: the evidence a review cannot go without. Checks that need serving data are
# not required (a first launch has none).
DEFAULT_REQUIRED = (
    "DR.VOLUME",
    "DR.BALANCE",
    "DR.MISSINGNESS",
    "FE.TARGET_LEAKAGE",
    "MP.SUCCESS_CRITERIA_MET",
    "MP.OVERFIT",
    "SEC.ARTIFACT_UNSAFE",
    "SEC.SECRETS",
)
DEFAULT_REQUIRED_WITH_SENSITIVE = ("RAI.DISPARATE_IMPACT", "RAI.EQUALIZED_ODDS")


class Policy(BaseModel):
    """Every threshold the checks use. Defaults are the seed's numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "default"
    data: DataPolicy = Field(default_factory=DataPolicy)
    features: FeaturePolicy = Field(default_factory=FeaturePolicy)
    performance: PerformancePolicy = Field(default_factory=PerformancePolicy)
    fairness: FairnessPolicy = Field(default_factory=FairnessPolicy)
    security: SecurityPolicy = Field(default_factory=SecurityPolicy)
    champion: ChampionPolicy = Field(default_factory=ChampionPolicy)
    disabled_checks: list[str] = Field(
        default_factory=list, description="Check ids that are not run (reported as skipped)."
    )
    required: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REQUIRED),
        description="Checks whose missing evidence counts as a fail (verdicts fail closed).",
    )
    required_with_sensitive: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REQUIRED_WITH_SENSITIVE),
        description="Checks also required whenever data.sensitive_attributes are declared.",
    )
    required_with_time_split: list[str] = Field(
        default_factory=lambda: ["FE.TEMPORAL_LEAKAGE"],
        description="Checks also required when performance.validation_strategy is time_split "
        "(a declared time split must be shown on the data).",
    )

    @model_validator(mode="after")
    def _required_not_disabled(self) -> Policy:
        required = {*self.required, *self.required_with_sensitive, *self.required_with_time_split}
        both = sorted(set(self.disabled_checks) & required)
        if both:
            msg = (
                f"{', '.join(both)} cannot be both required and disabled "
                "(remove it from required first)"
            )
            raise ValueError(msg)
        return self

    def required_checks(
        self, *, sensitive_declared: bool, time_split: bool = False
    ) -> frozenset[str]:
        """The check ids whose ``missing`` counts as ``fail`` for a dossier."""
        extra = list(self.required_with_sensitive) if sensitive_declared else []
        extra += self.required_with_time_split if time_split else []
        return frozenset([*self.required, *extra])

    def fingerprint(self) -> str:
        """A short stable hash of the policy, used in evidence cache keys."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return field, err["msg"]


def policy_from_mapping(data: Any, *, source: str = "policy") -> Policy:
    """Build a policy from a (partial) mapping merged onto the defaults.

    Raises:
        PolicyError: the mapping is not a mapping, or a value is invalid.
    """
    if data is None:
        return Policy()
    if not isinstance(data, dict):
        msg = f"a policy must be a mapping, got {type(data).__name__}"
        raise PolicyError(msg, source=source)
    merged = _deep_merge(Policy().model_dump(mode="json"), data)
    try:
        policy = Policy.model_validate(merged)
    except ValidationError as exc:
        field, msg = _first_error(exc)
        raise PolicyError(msg, source=source, field=field) from None
    _check_ids_known(policy, source)
    return policy


def _check_ids_known(policy: Policy, source: str) -> None:
    """Refuse a check id the registry does not know: a misspelt id would silently not apply."""
    from langgraph_gates.gates import ALL_CHECK_IDS  # the registry imports this module

    for field in (
        "required",
        "required_with_sensitive",
        "required_with_time_split",
        "disabled_checks",
    ):
        unknown = [c for c in getattr(policy, field) if c not in ALL_CHECK_IDS]
        if unknown:
            hints = [did_you_mean(c, ALL_CHECK_IDS) for c in unknown]
            shown = ", ".join(f"{c!r}{h}" for c, h in zip(unknown, hints, strict=True))
            msg = f"unknown check id(s): {shown}"
            raise PolicyError(msg, source=source, field=field)


def load_policy(path: str | Path | None) -> Policy:
    """Load a YAML (or JSON) policy file; ``None`` gives the default policy.

    Raises:
        PolicyError: the file is missing, unreadable, not YAML, or has an invalid value.
    """
    if path is None:
        return Policy()
    p = Path(path)
    data = load_structured_file(p, max_bytes=1_000_000, error=PolicyError, kind="policy")
    return policy_from_mapping(data, source=str(p))
