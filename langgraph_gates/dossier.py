"""The review dossier: what a team hands in for review, and how it is loaded.

Every section is optional; what is missing becomes a finding, never a crash. Unknown keys (a
typo, or a team's own metadata) never stop a review: :func:`split_unknown` lists all of them at
once with a did-you-mean suggestion, the owning gate reports them as a ``warn`` finding, and a
check whose evidence was probably misnamed fails closed; ``strict=True`` (``--strict``) refuses
such a dossier listing every unknown field. Relative paths resolve against the
dossier's folder and may not leave it unless the caller allows it.
"""

from __future__ import annotations

import datetime as dt
import os
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from langgraph_gates._names import closest
from langgraph_gates._structured import load_structured_file
from langgraph_gates.errors import DossierError
from langgraph_gates.state import GateId, UnknownName

__all__ = [
    "Baseline",
    "Champion",
    "ChampionColumns",
    "Data",
    "DataSource",
    "Deployment",
    "Dossier",
    "Features",
    "Governance",
    "LoadedDossier",
    "ModelInfo",
    "Monitoring",
    "Performance",
    "Problem",
    "ResponsibleAI",
    "Rollout",
    "Security",
    "SuccessCriterion",
    "TableRef",
    "TaskType",
    "load_dossier",
    "resolve_evidence_path",
    "split_unknown",
    "validate_dossier",
    "validate_dossier_unknown",
]

MAX_DOSSIER_BYTES = 5_000_000

TaskType = Literal[
    "binary_classification",
    "multiclass_classification",
    "regression",
    "ranking",
    "forecasting",
    "generation",
    "reinforcement_learning",
    "other",
]


class _Section(BaseModel):
    # NaN and infinity are refused: a NaN threshold makes every comparison false and an
    # infinite baseline is beaten by any model, so either would decide a check silently.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _as_text(value: Any) -> Any:
    # YAML reads `version: 2.3` as a float; a version is a label, so keep what was written.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


class ModelInfo(_Section):
    """What the model is."""

    name: str | None = Field(
        default=None, description="The model's name; reviews are reported under it."
    )
    version: str | None = Field(
        default=None, description="The model's version; a YAML number such as 2.3 is kept as text."
    )
    task: TaskType | None = Field(
        default=None,
        description="The kind of task; decides which metrics and fairness checks apply.",
    )
    use_case: str | None = Field(default=None, description="One line on what the model is for.")
    description: str | None = Field(default=None, description="Free text, any length.")
    algorithms: list[str] = Field(default_factory=list, description="Candidate algorithms.")

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return _as_text(value)


class KPI(_Section):
    """A business KPI with its baseline and target."""

    name: str = Field(description="The KPI's name, e.g. 'monthly churn rate'.")
    baseline: float | None = Field(default=None, description="Its value today.")
    target: float | None = Field(default=None, description="The value the model should reach.")
    unit: str | None = Field(default=None, description="Unit of the values, e.g. '%'.")


class SuccessCriterion(_Section):
    """A measurable acceptance threshold on a model metric."""

    metric: str = Field(
        description="A metric name, e.g. roc_auc, f1, rmse (aliases such as AUC are understood)."
    )
    threshold: float = Field(description="The value the metric must reach on held-out data.")
    direction: Literal["higher", "lower"] = Field(
        default="higher",
        description="higher: the metric must be at least the threshold; lower: at most.",
    )


class Problem(_Section):
    """Problem framing: objective, KPIs, success criteria, scope, assumptions."""

    objective: str | None = Field(
        default=None, description="The business objective: who benefits, what changes, by when."
    )
    strategic_alignment: str | None = Field(
        default=None, description="How the objective serves the organisation's strategy."
    )
    kpis: list[KPI] = Field(
        default_factory=list, description="Business KPIs, each with a numeric baseline and target."
    )
    success_criteria: list[SuccessCriterion] = Field(
        default_factory=list,
        description="Measurable acceptance thresholds on model metrics, judged on held-out data.",
    )
    in_scope: list[str] = Field(default_factory=list, description="What the model decides.")
    out_of_scope: list[str] = Field(
        default_factory=list, description="What it must not be used for."
    )
    assumptions: list[str] = Field(
        default_factory=list, description="What must hold for the model to work."
    )
    open_questions: list[str] = Field(default_factory=list, description="Questions still open.")


class DataSource(_Section):
    """A data source and who owns it."""

    name: str = Field(description="Source name, e.g. a warehouse table.")
    owner: str | None = Field(default=None, description="Who owns the source.")
    refreshed: dt.date | None = Field(
        default=None, description="When it was last refreshed (YYYY-MM-DD)."
    )
    description: str | None = Field(default=None, description="Anything else about the source.")


class TableRef(_Section):
    """A table on a cluster instead of a file, profiled where it lives.

    The connection is not part of the dossier: ``gates review --spark-remote sc://host:port``,
    or ``GATES_SPARK_REMOTE`` / ``SPARK_REMOTE`` in the environment.
    """

    table: str = Field(
        min_length=1, description="The table's name on the cluster: catalog.schema.table."
    )
    engine: Literal["spark"] = Field(description="Where the table lives: spark (Spark Connect).")

    def __str__(self) -> str:
        return f"{self.engine}:{self.table}"


def _file_or_table(what: str) -> Any:
    """A data field: a file's path, or a table on a cluster (``TableRef``)."""
    return Field(
        default=None,
        description=f"{what}: a file (CSV or Parquet), or a table on a cluster: "
        "{table: catalog.schema.table, engine: spark}.",
    )


class Data(_Section):
    """Data readiness: sources, label, files."""

    sources: list[DataSource] = Field(
        default_factory=list, description="Data sources with their owners."
    )
    label: str | None = Field(
        default=None, description="The label (target) column in the data files."
    )
    timestamp: str | None = Field(
        default=None, description="Optional event-time column (freshness, temporal leakage)."
    )
    sensitive_attributes: list[str] | None = Field(
        default=None,
        description="Sensitive attribute columns (in the data and predictions files); [] with a justification when none apply.",
    )
    sensitive_justification: str | None = Field(
        default=None, description="Why no sensitive attribute applies."
    )
    train: str | TableRef | None = _file_or_table("Training data")
    validation: str | TableRef | None = _file_or_table("Validation data")
    test: str | TableRef | None = _file_or_table("Test data")
    serving: str | TableRef | None = _file_or_table(
        "Recent production inputs, compared with training for drift and schema"
    )
    labeling_qc: str | None = Field(default=None, description="How label quality is controlled.")


class Features(_Section):
    """Feature engineering: key features, transformations, exclusions."""

    key: list[str] = Field(
        default_factory=list,
        description="Features that matter most (missingness is judged on these).",
    )
    groups: dict[str, list[str]] = Field(default_factory=dict, description="Feature groups.")
    lineage: str | None = Field(default=None, description="Where the features come from.")
    transformations: str | None = Field(
        default=None, description="Transformations and preprocessing."
    )
    missingness_strategy: str | None = Field(
        default=None, description="How missing values are handled."
    )
    excluded: list[str] = Field(
        default_factory=list, description="Columns that are not features (ids, ...)."
    )


class Baseline(_Section):
    """The score a simple baseline reaches on a metric."""

    metric: str = Field(description="The baseline's metric.")
    value: float = Field(description="The baseline's value on held-out data.")


class ChampionColumns(_Section):
    """The champion's predictions as columns of the candidate's predictions file."""

    y_pred: str | None = Field(
        default=None, description="Column with the champion's decision (e.g. champion_pred)."
    )
    y_score: str | None = Field(
        default=None,
        description="Column with the champion's positive-class probability (e.g. champion_score).",
    )


class Champion(_Section):
    """The model in production that the candidate is compared with, on the same rows."""

    name: str | None = Field(default=None, description="The champion's model name.")
    version: str | None = Field(
        default=None, description="The champion's version (reviews are linked by it)."
    )
    review_id: str | None = Field(
        default=None, description="The id of the champion's own review, if it was reviewed here."
    )
    predictions: str | None = Field(
        default=None,
        description="The champion's predictions on the candidate's held-out rows (CSV or "
        "Parquet with y_pred and/or y_score; y_true, if present, must match the candidate's).",
    )
    key: str | None = Field(
        default=None,
        description="A column in both predictions files that identifies a row; without it "
        "rows are paired by position and the files must have the same rows in the same order.",
    )
    columns: ChampionColumns | None = Field(
        default=None,
        description="Instead of a file: the champion's columns in the candidate's predictions file.",
    )
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description="The champion's reported metrics on the same held-out data (used when "
        "its predictions are not given: no interval, so at best a warn).",
    )

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return _as_text(value)


class Performance(_Section):
    """Model performance: predictions, metrics, validation."""

    predictions: str | TableRef | None = Field(
        default=None,
        description="Predictions file (CSV or Parquet): y_true, y_pred and/or y_score, optional split and group columns; "
        "or a Spark table of them ({table: catalog.schema.table, engine: spark}; policy.performance.max_table_prediction_rows).",
    )
    metrics: str | None = Field(
        default=None,
        description="Metrics JSON: {train: {roc_auc: ...}, validation: {...}, test: {...}, cv: {roc_auc: "
        "[fold scores]}, feature_importance: {feature: weight}}.",
    )
    validation_strategy: Literal["time_split", "kfold", "holdout", "none"] | None = Field(
        default=None, description="How the model was validated."
    )
    baseline: Baseline | None = Field(
        default=None, description="The score a simple baseline reaches."
    )
    error_analysis: str | None = Field(
        default=None, description="What the errors look like and what is done about them."
    )
    slices: list[str] = Field(
        default_factory=list, description="Segment columns of the predictions file to slice by."
    )
    champion: Champion | None = Field(
        default=None,
        description="The model in production: its predictions on the same rows (a file or two "
        "columns of the predictions file) and/or its metrics, and its review id.",
    )
    no_champion: str | None = Field(
        default=None,
        description="Instead of a champion, for a first release: why no model in production "
        "can be compared with. A stated reason lets the champion checks pass; with neither, "
        "they say missing.",
    )


class Governance(_Section):
    """Who reviews and approves the model."""

    review_board: str | None = Field(default=None, description="The board that reviews the model.")
    approver: str | None = Field(default=None, description="Who approves the release.")


class ResponsibleAI(_Section):
    """Responsible AI: harms, governance, fairness plans."""

    favorable_label: int | str | None = Field(
        default=None,
        description="The outcome that benefits the person (approved, hired, ...): the "
        "selection rate is P(y_pred == favorable_label). Default 1 for a binary task; for "
        "multiclass, every class is judged one-vs-rest unless one is named.",
    )
    harms: list[str] = Field(default_factory=list, description="Harm scenarios considered.")
    governance: Governance | None = Field(
        default=None, description="Who reviews and approves the model."
    )
    fairness_metrics: list[str] = Field(
        default_factory=list, description="Fairness metrics the team tracks."
    )
    bias_mitigation: str | None = Field(default=None, description="How bias is mitigated.")


class Security(_Section):
    """Security and robustness: artifact, secrets, dependencies, threats."""

    artifact: str | None = Field(
        default=None, description="The model artifact, scanned statically and never loaded."
    )
    artifact_sha256: str | None = Field(
        default=None, description="The artifact's published SHA-256."
    )
    scan_paths: list[str] = Field(
        default_factory=list, description="Code and config folders scanned for hard-coded secrets."
    )
    requirements: str | None = Field(
        default=None, description="A pip requirements file (pins are checked)."
    )
    threat_model: str | None = Field(
        default=None, description="Threats considered (evasion, poisoning, ...)."
    )
    input_validation: str | None = Field(
        default=None, description="How inputs are validated at serving time."
    )


class Rollout(_Section):
    """How the model reaches traffic."""

    strategy: str | None = Field(
        default=None,
        description="canary, blue_green, shadow, gradual, ... (big_bang counts as none).",
    )
    stages: list[float] = Field(
        default_factory=list,
        description="Traffic percentages per stage, rising to 100 (a first 0 is shadow mode).",
    )


class Monitoring(_Section):
    """What is watched in production."""

    latency: bool = Field(default=False, description="Whether latency is monitored.")
    drift: str | bool | None = Field(
        default=None, description="Drift monitoring method (psi, kl, ...) or true."
    )
    drift_features: list[str] = Field(
        default_factory=list, description="Features whose drift is watched."
    )
    quality: list[str] = Field(
        default_factory=list, description="Quality metrics watched in production."
    )
    alerts: dict[str, float] = Field(
        default_factory=dict, description="Alert thresholds, e.g. psi: 0.2."
    )


class Deployment(_Section):
    """Deployment and monitoring plans."""

    rollout: Rollout | None = Field(default=None, description="How the model reaches traffic.")
    rollback_plan: str | None = Field(default=None, description="How to roll back.")
    slo: dict[str, float] = Field(
        default_factory=dict, description="Service-level objectives, e.g. latency_p95_ms: 200."
    )
    monitoring: Monitoring | None = Field(
        default=None, description="What is watched in production."
    )
    retraining_trigger: str | None = Field(default=None, description="What triggers retraining.")
    on_call: str | None = Field(default=None, description="The on-call owner.")
    post_launch_review_days: list[int] = Field(
        default_factory=list, description="Post-launch review days, e.g. [30, 60, 90]."
    )
    mlops_level: Literal[0, 1, 2, 3] | None = Field(
        default=None,
        description="MLOps maturity, which sets when to review again: 0 manual (before each "
        "deployment), 1 automated training (before major versions), 2 automated deployment "
        "(quarterly), 3 full MLOps (annual, plus audits).",
    )


class Dossier(_Section):
    """A review dossier (SPEC section 2). Every section is optional."""

    description: str | None = Field(
        default=None,
        description="Free text about the model; reviewed as context (and, with a model, mined for fields).",
    )
    model: ModelInfo = Field(default_factory=ModelInfo, description="What the model is.")
    owners: dict[GateId, str] = Field(
        default_factory=dict,
        description="Per-gate owners (gate id -> team or person); role names are used otherwise.",
    )
    problem: Problem = Field(
        default_factory=Problem,
        description="Problem framing: objective, KPIs, success criteria, scope, assumptions.",
    )
    data: Data = Field(default_factory=Data, description="Data readiness: sources, label, files.")
    features: Features = Field(
        default_factory=Features,
        description="Feature engineering: key features, transformations, exclusions.",
    )
    performance: Performance = Field(
        default_factory=Performance,
        description="Model performance: predictions, metrics, validation, baseline.",
    )
    responsible_ai: ResponsibleAI = Field(
        default_factory=ResponsibleAI,
        description="Responsible AI: favourable outcome, harms, governance.",
    )
    security: Security = Field(
        default_factory=Security,
        description="Security: artifact, secrets scan, dependencies, threats.",
    )
    deployment: Deployment = Field(
        default_factory=Deployment, description="Deployment and monitoring plans."
    )

    def path_fields(self) -> Iterator[tuple[str, str]]:
        """Yield ``(dotted field, path)`` for every file or folder the dossier references."""
        for name in ("train", "validation", "test", "serving"):
            value = getattr(self.data, name)
            if value and isinstance(value, str):  # a TableRef is no path
                yield f"data.{name}", value
        for name in ("predictions", "metrics"):
            value = getattr(self.performance, name)
            if value and isinstance(value, str):
                yield f"performance.{name}", value
        champion = self.performance.champion
        if champion is not None and champion.predictions:
            yield "performance.champion.predictions", champion.predictions
        if self.security.artifact:
            yield "security.artifact", self.security.artifact
        if self.security.requirements:
            yield "security.requirements", self.security.requirements
        for i, value in enumerate(self.security.scan_paths):
            yield f"security.scan_paths[{i}]", value


class LoadedDossier(BaseModel):
    """A validated dossier with the folder its relative paths resolve against."""

    model_config = ConfigDict(frozen=True)

    dossier: Dossier
    base_dir: str
    source: str
    unknown: list[UnknownName] = Field(
        default_factory=list, description="Fields the format does not know (left out)."
    )


_SECTION_GATE: dict[str, GateId] = {
    "data": "data_readiness",
    "features": "feature_engineering",
    "performance": "model_performance",
    "responsible_ai": "responsible_ai",
    "security": "security_robustness",
    "deployment": "deployment_monitoring",
}


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """Find the model class inside an annotation, and whether it is a list of them.

    Handles ``X``, ``X | None`` and ``list[X]``.
    """
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is list and args:
        inner, _ = _model_of(args[0])
        return inner, True
    if args:  # a union: the first model among its members
        for arg in args:
            inner, is_list = _model_of(arg)
            if inner is not None:
                return inner, is_list
        return None, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _walk(
    model: type[BaseModel], data: dict[str, Any], prefix: str, out: list[UnknownName]
) -> dict[str, Any]:
    """``data`` without the keys ``model`` does not know (recorded in ``out``)."""
    kept: dict[str, Any] = {}
    fields = model.model_fields
    for key, value in data.items():
        path = f"{prefix}{key}"
        section = path.split(".", 1)[0].split("[", 1)[0]
        gate = _SECTION_GATE.get(section, "problem_framing")
        if not isinstance(key, str) or key not in fields:
            meant = closest(str(key), fields) if isinstance(key, str) else None
            out.append(
                UnknownName(
                    path=_redacted(path),
                    suggestion=f"{prefix}{meant}" if meant else None,
                    gate=gate,
                    meant_is_absent=meant is not None and meant not in data,
                )
            )
            continue
        inner, is_list = _model_of(fields[key].annotation)
        if inner is not None and is_list and isinstance(value, list):
            value = [
                _walk(inner, item, f"{path}[{i}].", out) if isinstance(item, dict) else item
                for i, item in enumerate(value)
            ]
        elif inner is not None and isinstance(value, dict):
            value = _walk(inner, value, f"{path}.", out)
        kept[key] = value
    return kept


def _redacted(name: str) -> str:
    # A key can be a pasted credential: names are shown on stderr and in findings.
    from langgraph_gates.evidence.secrets import redact_text  # evidence imports this module

    return redact_text(name)[0]


def split_unknown(data: dict[str, Any]) -> tuple[dict[str, Any], list[UnknownName]]:
    """The dossier mapping without unknown fields, and every unknown field with a suggestion."""
    unknown: list[UnknownName] = []
    return _walk(Dossier, data, "", unknown), unknown


def _refuse_unknown(unknown: list[UnknownName], source: str) -> None:
    shown = "; ".join(u.describe() for u in unknown)
    msg = f"{len(unknown)} unknown field(s): {shown} (`gates schema` lists the fields)"
    raise DossierError(msg, source=source)


def _field_of(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    parts: list[str] = []
    for p in err["loc"]:
        if p == "[key]":  # pydantic's marker for "the key itself": the path already names it
            continue
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1]}[{p}]"] if parts else [f"[{p}]"]
        else:
            parts.append(str(p))
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling; `gates schema` lists the fields)"
    elif err["type"] == "literal_error":
        msg = f"{msg}, got {err.get('input')!r}"
    return ".".join(parts) or "(top level)", msg


def validate_dossier(data: Any, *, source: str = "dossier") -> Dossier:
    """Validate a mapping as a dossier, leaving out fields the format does not know.

    Raises:
        DossierError: not a mapping, or a field of the wrong type or value.
    """
    return validate_dossier_unknown(data, source=source)[0]


def validate_dossier_unknown(
    data: Any, *, source: str = "dossier", strict: bool = False
) -> tuple[Dossier, list[UnknownName]]:
    """Validate a mapping as a dossier; return it with the fields the format does not know.

    Raises:
        DossierError: not a mapping, a field of the wrong type or value, or (``strict``) any
            unknown field, all of them listed in one message.
    """
    if data is None:
        raise DossierError("the dossier is empty", source=source)
    if isinstance(data, Dossier):
        return data, []
    if not isinstance(data, dict):
        msg = f"a dossier must be a mapping of sections, got {type(data).__name__}"
        raise DossierError(msg, source=source)
    known, unknown = split_unknown(data)
    if unknown and strict:
        _refuse_unknown(unknown, source)
    try:
        return Dossier.model_validate(known), unknown
    except ValidationError as exc:
        field, msg = _field_of(exc)
        raise DossierError(msg, source=source, field=field) from None


def resolve_evidence_path(
    base_dir: str | Path, value: str, *, field: str, allow_outside: bool = False
) -> Path:
    """Resolve a dossier path against its folder, refusing paths that leave it.

    Symlinks are followed before the check, so a link that points outside is refused too.

    Raises:
        DossierError: the path is empty or leaves the dossier's folder.
    """
    if not value or not value.strip() or "\x00" in value:
        raise DossierError("empty or invalid path", field=field)
    base = Path(base_dir).resolve()
    candidate = Path(os.path.expanduser(value)) if allow_outside else Path(value)
    full = candidate if candidate.is_absolute() else base / candidate
    try:
        resolved = full.resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError before Python 3.13)
        raise DossierError(f"path {value!r} is a symlink loop", field=field) from None
    if not allow_outside and not resolved.is_relative_to(base):
        msg = (
            f"path {value!r} leaves the dossier's folder {str(base)!r} "
            "(use paths inside it, or allow outside paths explicitly)"
        )
        raise DossierError(msg, field=field)
    return resolved


def check_paths(
    dossier: Dossier, base_dir: str | Path, *, source: str, allow_outside: bool
) -> None:
    """Refuse a dossier whose paths leave its folder (missing files are findings, not errors).

    Raises:
        DossierError: a path leaves the folder.
    """
    for field, value in dossier.path_fields():
        try:
            resolve_evidence_path(base_dir, value, field=field, allow_outside=allow_outside)
        except DossierError as exc:
            raise DossierError(exc.message, source=source, field=field) from None


def load_dossier(
    path: str | Path, *, allow_outside: bool = False, strict: bool = False
) -> LoadedDossier:
    """Load, validate and path-check a YAML or JSON dossier file.

    Raises:
        DossierError: unreadable, not YAML/JSON, invalid, a path that leaves its folder, or
            (``strict``) a field the format does not know.
    """
    p = Path(path)
    source = str(p)
    data = load_structured_file(p, max_bytes=MAX_DOSSIER_BYTES, error=DossierError, kind="dossier")
    dossier, unknown = validate_dossier_unknown(data, source=source, strict=strict)
    base_dir = str(p.resolve().parent)
    check_paths(dossier, base_dir, source=source, allow_outside=allow_outside)
    return LoadedDossier(dossier=dossier, base_dir=base_dir, source=source, unknown=unknown)
