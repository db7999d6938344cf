"""The typed review state and the values that flow through it.

Everything stored in the graph state is a plain JSON value once it leaves a reducer: the
reducers below dump Pydantic models with ``model_dump(mode="json")``, so checkpoints hold no
custom types (no msgpack "unregistered type" warnings, nothing lost under strict msgpack),
while nodes still receive validated models because :class:`ReviewState` is the graph's
state schema.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = [
    "GATE_IDS",
    "AuditEntry",
    "EvidenceRef",
    "Finding",
    "GateId",
    "GateResult",
    "ModelChoice",
    "Outcome",
    "Override",
    "Recommendation",
    "ReviewInput",
    "ReviewOutcome",
    "ReviewState",
    "Severity",
    "Status",
    "Threshold",
    "TokenUsage",
    "UnknownName",
    "utc_now",
    "worse_status",
]


def utc_now() -> str:
    """The current UTC time as ISO 8601 to the second: the timestamp of audit entries."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


GateId = Literal[
    "problem_framing",
    "data_readiness",
    "feature_engineering",
    "model_performance",
    "responsible_ai",
    "security_robustness",
    "deployment_monitoring",
]

GATE_IDS: tuple[GateId, ...] = (
    "problem_framing",
    "data_readiness",
    "feature_engineering",
    "model_performance",
    "responsible_ai",
    "security_robustness",
    "deployment_monitoring",
)


class Outcome(StrEnum):
    """The outcome of one check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    MISSING = "missing"
    ERROR = "error"


class Severity(StrEnum):
    """How urgent a finding is; it sets the due date of its mitigation."""

    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class Status(StrEnum):
    """The status of a gate, as in the seed's gate table."""

    PASS = "Pass"
    CONDITIONAL = "Conditional"
    FAIL = "Fail"


class Recommendation(StrEnum):
    """The overall call of a review."""

    GO = "Go"
    CONDITIONAL_GO = "Conditional Go"
    NO_GO = "No-Go"


_STATUS_RANK = {Status.PASS: 0, Status.CONDITIONAL: 1, Status.FAIL: 2}


def worse_status(*statuses: Status | None) -> Status:
    """Return the worst of the given statuses (``None`` is ignored; none at all is Pass)."""
    present = [s for s in statuses if s is not None]
    if not present:
        return Status.PASS
    return max(present, key=lambda s: _STATUS_RANK[Status(s)])


class Threshold(BaseModel):
    """A policy threshold as data, so that it can be shown next to the measured value.

    ``direction`` says which side is bad: ``above`` means values above ``warn``/``fail`` are
    bad (e.g. missing fraction), ``below`` means values below them are bad (e.g. volume).
    """

    model_config = ConfigDict(frozen=True)

    metric: str = Field(description="What is compared, e.g. 'missing_fraction'.")
    direction: Literal["above", "below", "equal"] = Field(
        description="Which side of the threshold is bad."
    )
    warn: float | None = Field(default=None, description="Warn beyond this value.")
    fail: float | None = Field(default=None, description="Fail beyond this value.")
    inclusive: bool = Field(
        default=False, description="Whether reaching the value exactly counts as beyond it."
    )

    def describe(self) -> str:
        """Return a short human form, e.g. ``missing_fraction > 0.1 warn, > 0.3 fail``."""
        if self.direction == "equal":
            return f"{self.metric} must match"
        op = {"above": ">", "below": "<"}[self.direction] + ("=" if self.inclusive else "")
        parts = []
        if self.warn is not None:
            parts.append(f"warn {op} {_fmt(self.warn)}")
        if self.fail is not None:
            parts.append(f"fail {op} {_fmt(self.fail)}")
        return f"{self.metric}: " + ", ".join(parts)


def _fmt(value: float) -> str:
    return f"{value:g}"


class EvidenceRef(BaseModel):
    """Where a finding's evidence came from."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="Dossier field or file path (relative to the dossier).")
    column: str | None = Field(default=None, description="Column in the file, if any.")
    group: str | None = Field(default=None, description="Group or slice, if any.")
    detail: str | None = Field(default=None, description="Anything else that locates it.")


class Finding(BaseModel):
    """The result of one check."""

    model_config = ConfigDict(frozen=True)

    check_id: str = Field(description="Stable check id, e.g. 'DR.MISSINGNESS'.")
    gate: GateId = Field(description="The gate the check belongs to.")
    title: str = Field(description="Short name of the check.")
    outcome: Outcome = Field(description="pass, warn, fail, missing or error.")
    severity: Severity = Field(description="High, Medium or Low.")
    message: str = Field(description="One or two sentences saying what was found.")
    measured: dict[str, JsonValue] = Field(
        default_factory=dict, description="The values the check measured."
    )
    threshold: Threshold | None = Field(default=None, description="The policy threshold used.")
    evidence: list[EvidenceRef] = Field(
        default_factory=list, description="Where the evidence came from."
    )
    mitigation: str = Field(default="", description="What to do about it.")
    owner: str = Field(default="", description="Who should act.")
    value: float | None = Field(
        default=None, description="The measured value judged against the threshold, if any."
    )
    counts_as_fail: bool = Field(
        default=False,
        description="An error on a check with a fail level, or a missing required check: it "
        "fails its gate (verdicts fail closed, SPEC section 3).",
    )

    @property
    def is_problem(self) -> bool:
        """Whether the finding is anything but a pass."""
        return self.outcome is not Outcome.PASS

    @property
    def fails_gate(self) -> bool:
        """Whether the finding fails its gate: a fail, or a gap that counts as one."""
        return self.outcome is Outcome.FAIL or self.counts_as_fail


class UnknownName(BaseModel):
    """A name in the dossier or the metrics file that the format does not know."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="Where it is, e.g. 'data.servng' or 'validaton.roc_auc'.")
    source: str = Field(default="dossier", description="'dossier' or the metrics file's name.")
    suggestion: str | None = Field(
        default=None, description="The known name it most likely meant, e.g. 'data.serving'."
    )
    gate: GateId = Field(description="The gate that owns the section it is in.")
    meant_is_absent: bool = Field(
        default=False,
        description="The suggested name is not given either: evidence was probably misnamed.",
    )

    def describe(self) -> str:
        """``data.servng (did you mean data.serving?)``."""
        hint = f" (did you mean {self.suggestion}?)" if self.suggestion else ""
        return f"{self.path}{hint}"


class TokenUsage(BaseModel):
    """Tokens a chat model used (zero when no model is configured)."""

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            calls=self.calls + other.calls,
        )


class Override(BaseModel):
    """A named human's decision to replace a gate's status, with the reason."""

    model_config = ConfigDict(frozen=True)

    gate: GateId
    status: Status
    by: str = Field(min_length=1, description="Who overrode the status.")
    reason: str = Field(min_length=1, description="Why, in the reviewer's words.")
    at: str = Field(description="When, as an ISO-8601 timestamp.")
    previous_status: Status | None = Field(
        default=None, description="The status the evidence gave before the override."
    )


class ModelChoice(BaseModel):
    """The chat model a review was started with, so resume and re-run can use it again."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="PROVIDER:MODEL, e.g. openai:gpt-4o-mini (never a key).")
    context_mode: Literal["digest", "full_history"] = "digest"


class AuditEntry(BaseModel):
    """One human action on a review: who, when, what and why."""

    model_config = ConfigDict(frozen=True)

    at: str
    by: str
    action: Literal["approve", "override", "edit", "rerun", "pause", "resume", "start"]
    detail: str = ""
    reason: str = ""


class GateResult(BaseModel):
    """What one gate concluded."""

    id: GateId
    title: str
    evidence_status: Status = Field(description="The status the findings alone give.")
    model_status: Status | None = Field(
        default=None, description="The status a chat model proposed, if one was used."
    )
    status: Status = Field(description="Final status: worst of evidence and model, or override.")
    override: Override | None = None
    findings: list[Finding] = Field(default_factory=list)
    sections: dict[str, str] = Field(
        default_factory=dict, description="The seed's outputs for this gate, title -> text."
    )
    key_risk: str = ""
    more_risks: str = Field(
        default="", description="The problems beyond the key risk, e.g. '+1 fail, +2 conditional'."
    )
    mitigation: str = ""
    owner: str = ""
    severity: Severity = Severity.LOW
    due: str = Field(default="", description="When the mitigation is due, from the severity.")
    narrative_source: Literal["offline", "model"] = "offline"
    notes: list[str] = Field(default_factory=list, description="E.g. why a model fell back.")
    tokens: TokenUsage = Field(default_factory=TokenUsage)
    duration_s: float = 0.0
    run: int = Field(default=1, description="The run of the review that produced this result.")

    @property
    def key_risk_line(self) -> str:
        """The key risk with how many more findings fail or are open, for the gate table."""
        return f"{self.key_risk} ({self.more_risks})" if self.more_risks else self.key_risk

    def finding(self, check_id: str) -> Finding | None:
        """Return the finding with this check id, if the gate produced one."""
        return next((f for f in self.findings if f.check_id == check_id), None)


class ReviewOutcome(BaseModel):
    """What the formatter concluded from all seven gates."""

    recommendation: Recommendation
    rationale: str
    executive_summary: list[str] = Field(default_factory=list)
    summary_source: Literal["offline", "model"] = "offline"
    elapsed_s: float = 0.0
    tokens: TokenUsage = Field(default_factory=TokenUsage)
    completed_at: str = ""
    run: int = 1
    key_metrics: dict[str, float] = Field(
        default_factory=dict, description="Success metrics on held-out data, for the history."
    )
    evidence: dict[str, str] = Field(
        default_factory=dict, description="Dossier path field -> SHA-256 of the file reviewed."
    )
    next_review: str | None = Field(
        default=None, description="Date of the next review from the MLOps maturity level."
    )
    review_cadence: str = Field(default="", description="The rule the next review follows.")


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def merge_gates(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: gate results keyed by gate id; a later result for a gate replaces the earlier."""
    merged = {k: _dump(v) for k, v in (left or {}).items()}
    for key, value in (right or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _dump(value)
    return merged


def append_unique(left: list[Any] | None, right: list[Any] | None) -> list[Any]:
    """Reducer: append entries, skipping exact duplicates (so a replayed write adds nothing)."""
    merged = [_dump(v) for v in (left or [])]
    for value in right or []:
        dumped = _dump(value)
        if dumped not in merged:
            merged.append(dumped)
    return merged


class ReviewInput(BaseModel):
    """What a review starts from: a dossier file, an inline dossier, or free text (any one).

    This is the graph's input schema, so it is the form LangGraph Studio shows and the body of
    ``input`` over the LangGraph HTTP API; only the fields given need to be filled in.
    """

    dossier_path: str | None = Field(
        default=None,
        description=(
            "A YAML or JSON dossier file on the server's disk, e.g. "
            "examples/churn/dossier.yaml; a relative path resolves against the folder the "
            "server runs in (the repository root under `make studio`). Give this, `dossier` "
            "or `text`."
        ),
        examples=["examples/churn/dossier.yaml"],
    )
    dossier: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The dossier as an inline mapping (its JSON Schema: `gates schema`); its relative "
            "file paths resolve against `base_dir`. Give this, `dossier_path` or `text`."
        ),
    )
    text: str | None = Field(
        default=None,
        description=(
            "A free-text description of the model: reviewed alone, or added to the dossier as "
            "its description. Give this, `dossier_path` or `dossier`."
        ),
    )
    policy: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Policy overrides, merged onto the default thresholds, e.g. "
            '{"data": {"psi": {"warn": 0.05, "fail": 0.15}}}. Empty: the defaults.'
        ),
    )
    base_dir: str | None = Field(
        default=None,
        description=(
            "Folder that an inline `dossier`'s relative paths resolve against (default: the "
            "server's working folder). Not needed with `dossier_path`."
        ),
    )
    as_of: str | None = Field(
        default=None,
        description="Review date YYYY-MM-DD for the freshness check (default: today).",
        examples=["2026-11-28"],
    )
    review_id: str | None = Field(
        default=None,
        description="A label kept with the review (the thread id identifies it on a server).",
    )
    dossier_source: Literal["file", "mapping", "text", "extracted"] | None = Field(
        default=None,
        description="Leave empty: set by Python callers that loaded the dossier themselves.",
    )
    unknown_fields: list[UnknownName] | None = Field(
        default=None,
        description="Leave empty: set by Python callers that loaded the dossier themselves "
        "(the fields it had that the format does not know).",
    )


class ReviewState(BaseModel):
    """The state of one review as it flows through the graph (and is checkpointed).

    Give one of ``dossier_path``, ``dossier`` or ``text`` as input; the dispatcher fills
    in the rest.
    """

    dossier_path: str | None = Field(
        default=None, description="Path of a YAML or JSON dossier file."
    )
    dossier: dict[str, Any] | None = Field(
        default=None, description="The dossier as a mapping (validated by the dispatcher)."
    )
    text: str | None = Field(default=None, description="Free-text description of the model.")
    base_dir: str | None = Field(
        default=None, description="Folder that relative paths in the dossier resolve against."
    )
    policy: dict[str, Any] | None = Field(
        default=None, description="The effective policy (defaults if not given)."
    )
    as_of: str | None = Field(
        default=None, description="Review date (ISO) used for freshness; fixed at dispatch."
    )
    review_id: str | None = None
    run: int = Field(default=1, description="1 for the first run, +1 for each re-run.")
    dossier_source: Literal["file", "mapping", "text", "extracted"] | None = None
    gates: Annotated[dict[str, GateResult], merge_gates] = Field(default_factory=dict)
    overrides: Annotated[list[Override], append_unique] = Field(default_factory=list)
    audit: Annotated[list[AuditEntry], append_unique] = Field(default_factory=list)
    outcome: ReviewOutcome | None = Field(
        default=None, description="Set by the formatter (nodes write it as plain JSON)."
    )
    notes: Annotated[list[str], append_unique] = Field(default_factory=list)
    llm: ModelChoice | None = Field(
        default=None,
        description="The chat model the review was started with (None: offline).",
    )
    unknown_fields: list[UnknownName] | None = Field(
        default=None,
        description="Dossier fields the format does not know (set by the dispatcher).",
    )
