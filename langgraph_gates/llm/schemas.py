"""The structured outputs a chat model is asked for: one per gate, the summary, the extraction.

Every schema here is written for OpenAI's strict structured outputs, the strictest of the
supported providers: every field is required (no ``default`` keyword, which strict mode may
refuse), there are no free-form mappings (strict mode needs closed objects) and no length or
range constraints. Optional facts are nullable instead of defaulted. Tool-calling providers
(Anthropic, Ollama, ...) accept the same schemas.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from langgraph_gates.dossier import TaskType
from langgraph_gates.gates import GATES
from langgraph_gates.gates.spec import GateSpec

__all__ = [
    "GATE_SCHEMAS",
    "DossierDraft",
    "ExecutiveSummary",
    "GateNarrative",
    "ProposedStatus",
    "field_name",
]

ProposedStatus = Literal["Pass", "Conditional", "Fail"]


def _drop_property_titles(schema: dict[str, Any]) -> None:
    # Pydantic titles every property ("Data Sources And Ownership"); OpenAI's json_schema
    # requests carry them verbatim, so each call would pay for them. The names say it all.
    for prop in (schema.get("properties") or {}).values():
        prop.pop("title", None)


class _Schema(BaseModel):
    """Base of every output schema: no per-property titles in its JSON schema."""

    model_config = ConfigDict(json_schema_extra=_drop_property_titles)


def field_name(title: str) -> str:
    """A schema field name for a section title.

    ``"Volume, freshness, and completeness"`` -> ``volume_freshness_and_completeness``.
    """
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


class GateNarrative(_Schema):
    """Base of the per-gate narrative schemas (the section fields are added per gate).

    Subclasses carry ``SECTIONS``: schema field name -> the seed's section title.
    """

    model_config = ConfigDict(extra="ignore", json_schema_extra=_drop_property_titles)

    SECTIONS: ClassVar[dict[str, str]] = {}
    GATE_ID: ClassVar[str] = ""

    if TYPE_CHECKING:  # added to every per-gate subclass by create_model (_COMMON_FIELDS)
        extra_risks: list[str]
        mitigations: list[str]
        owners: list[str]
        status_rationale: str
        proposed_status: ProposedStatus

    def section_texts(self) -> dict[str, str]:
        """The model's text for each of the gate's seed outputs, keyed by section title."""
        return {title: str(getattr(self, name) or "") for name, title in self.SECTIONS.items()}


# The fields every gate's narrative has after its sections. Their order is the order a model
# writes them in: risks and actions first, then the rationale, then the status it argues for.
_COMMON_FIELDS: dict[str, Any] = {
    "extra_risks": (
        list[str],
        Field(
            description="Risks the evidence checks did not flag, one per item; [] if none. "
            "Name the check id or dossier field each rests on."
        ),
    ),
    "mitigations": (
        list[str],
        Field(description="Concrete mitigations for the gate's open risks, one per item."),
    ),
    "owners": (
        list[str],
        Field(description="Who should own each mitigation (role or team), one per item."),
    ),
    "status_rationale": (
        str,
        Field(description="Two to four sentences on why the gate deserves the proposed status."),
    ),
    "proposed_status": (
        ProposedStatus,
        Field(
            description="Pass, Conditional or Fail. It can only make the evidence's status "
            "worse: a better proposal is recorded and ignored."
        ),
    ),
}


def _class_name(spec: GateSpec) -> str:
    return "".join(part.capitalize() for part in spec.id.split("_")) + "Narrative"


def _gate_schema(spec: GateSpec) -> type[GateNarrative]:
    sections = {field_name(title): title for title in spec.outputs}
    fields: dict[str, Any] = {
        name: (str, Field(description=title)) for name, title in sections.items()
    }
    fields.update(_COMMON_FIELDS)
    model = create_model(
        _class_name(spec),
        __base__=GateNarrative,
        __doc__=f"The {spec.title} gate's review: its seed outputs, risks and proposed status.",
        **fields,
    )
    model.SECTIONS = sections
    model.GATE_ID = spec.id
    return model


GATE_SCHEMAS: dict[str, type[GateNarrative]] = {spec.id: _gate_schema(spec) for spec in GATES}
"""The narrative schema of each gate, keyed by gate id (derived from the gate registry)."""


class ExecutiveSummary(_Schema):
    """The executive summary of a review, written from the gate results."""

    summary: list[str] = Field(
        description="Three to six short sentences for an executive: the recommendation, what "
        "blocks or conditions it, and the most important evidence (cite check ids)."
    )
    decision_points: list[str] = Field(
        description="Decisions the stakeholders must take before launch, one per item."
    )


# --- free text -> dossier fields ----------------------------------------------------------
# A flat, strict-friendly mirror of the parts of a dossier that prose can state. File paths are
# deliberately absent: evidence files are named by people in a dossier, never guessed by a model.


class _ModelPart(_Schema):
    name: str | None = Field(description="The model's name, or null.")
    version: str | None = Field(description="Its version, or null.")
    task: TaskType | None = Field(description="The ML task, or null if not stated.")
    use_case: str | None = Field(description="The business use case in one line, or null.")
    algorithms: list[str] = Field(description="Candidate algorithms named in the text.")


class _KPI(_Schema):
    name: str
    baseline: float | None = Field(description="Numeric baseline if stated, else null.")
    target: float | None = Field(description="Numeric target if stated, else null.")


class _Criterion(_Schema):
    metric: str = Field(description="Metric name, e.g. roc_auc.")
    threshold: float
    direction: Literal["higher", "lower"] = Field(description="Which side is good.")


class _ProblemPart(_Schema):
    objective: str | None = Field(description="The business objective, or null.")
    kpis: list[_KPI]
    success_criteria: list[_Criterion]
    in_scope: list[str]
    out_of_scope: list[str]
    assumptions: list[str]


class _Source(_Schema):
    name: str
    owner: str | None


class _DataPart(_Schema):
    sources: list[_Source]
    label: str | None = Field(description="The target column, or null.")
    sensitive_attributes: list[str]
    labeling_qc: str | None = Field(description="How label quality is checked, or null.")


class _FeaturesPart(_Schema):
    key: list[str] = Field(description="The features that matter most.")
    transformations: str | None
    missingness_strategy: str | None
    excluded: list[str] = Field(description="Columns that are not features (ids, ...).")


class _PerformancePart(_Schema):
    validation_strategy: Literal["time_split", "kfold", "holdout", "none"] | None


class _GovernancePart(_Schema):
    review_board: str | None
    approver: str | None


class _ResponsibleAIPart(_Schema):
    harms: list[str]
    governance: _GovernancePart
    fairness_metrics: list[str]


class _SecurityPart(_Schema):
    threat_model: str | None
    input_validation: str | None


class _SLO(_Schema):
    name: str = Field(description="e.g. latency_p95_ms, availability.")
    value: float


class _MonitoringPart(_Schema):
    latency: bool
    drift: str | None = Field(description="Drift method (e.g. psi) or null if none.")
    quality: list[str] = Field(description="Quality metrics watched in production.")


class _DeploymentPart(_Schema):
    rollout_strategy: str | None = Field(description="e.g. canary, shadow, big_bang, or null.")
    rollout_stages: list[float] = Field(description="Traffic percentages of the stages.")
    rollback_plan: str | None
    slo: list[_SLO]
    monitoring: _MonitoringPart | None
    retraining_trigger: str | None
    on_call: str | None
    post_launch_review_days: list[int]


class DossierDraft(_Schema):
    """Dossier fields stated in a free-text description (null or [] for what it does not say)."""

    model: _ModelPart
    problem: _ProblemPart
    data: _DataPart
    features: _FeaturesPart
    performance: _PerformancePart
    responsible_ai: _ResponsibleAIPart
    security: _SecurityPart
    deployment: _DeploymentPart

    def to_dossier(self) -> dict[str, Any]:
        """The draft as a dossier mapping (empty parts left out), for ``validate_dossier``."""
        raw = self.model_dump(mode="json")
        dep = raw.pop("deployment")
        deployment: dict[str, Any] = {
            "rollout": {
                "strategy": dep.pop("rollout_strategy"),
                "stages": dep.pop("rollout_stages"),
            },
            "slo": {s["name"]: s["value"] for s in dep.pop("slo")},
            **dep,
        }
        if not raw["data"]["sensitive_attributes"]:
            raw["data"]["sensitive_attributes"] = None  # not stated is not "none"
        raw["deployment"] = deployment
        return _prune(raw) or {}


def _prune(value: Any) -> Any:
    """Drop nulls, empty lists/mappings and ``False`` flags the text did not state."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {}, False)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value
