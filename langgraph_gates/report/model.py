"""The report model: a review's final state, validated and ordered for rendering."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from langgraph_gates.dossier import Dossier, ModelInfo
from langgraph_gates.errors import ReviewStateError
from langgraph_gates.gates import GATES
from langgraph_gates.report.frameworks import FrameworkCoverage, framework_coverage
from langgraph_gates.report.integrity import Integrity, canonical_sha256, evidence_digests
from langgraph_gates.state import (
    AuditEntry,
    GateResult,
    Override,
    Recommendation,
    ReviewState,
    TokenUsage,
)

__all__ = ["DISCLAIMERS", "SCHEMA_VERSION", "ReviewReport", "TrendPoint"]

SCHEMA_VERSION = "1.1"  # 1.1: integrity digests, framework coverage

DISCLAIMERS: tuple[tuple[str, str], ...] = (
    ("Not Model Governance", "Establish formal model governance board"),
    ("Not Bias Audit", "Conduct thorough fairness audits with domain experts"),
    ("Not Security Assessment", "Engage security teams for threat modeling"),
    ("Not Legal Advice", "Consult legal counsel for regulatory compliance"),
    ("Validation Required", "All gate findings must be validated by human experts"),
    ("Context Dependent", "Risk thresholds vary by industry and use case"),
)
DISCLAIMER_HEADLINE = (
    "This workflow generates preliminary production readiness assessment for planning "
    "purposes only."
)


class TrendPoint(BaseModel):
    """One earlier (or this) review of the same model, for the trend of its key metrics."""

    review_id: str
    version: str | None = None
    reviewed_on: str | None = None
    recommendation: str | None = None
    key_metrics: dict[str, float] = Field(default_factory=dict)


class ReviewReport(BaseModel):
    """Everything a report shows; the JSON report is this model."""

    schema_version: str = SCHEMA_VERSION
    review_id: str | None = None
    run: int = 1
    model: ModelInfo = Field(default_factory=ModelInfo)
    dossier_path: str | None = None
    dossier_source: Literal["file", "mapping", "text", "extracted"] | None = None
    extracted_dossier: dict[str, Any] | None = Field(
        default=None, description="The dossier a model extracted from free text, if any."
    )
    as_of: str | None = None
    generated_at: str = ""
    recommendation: Recommendation
    rationale: str = ""
    executive_summary: list[str] = Field(default_factory=list)
    summary_source: Literal["offline", "model"] = "offline"
    gates: list[GateResult] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)
    audit: list[AuditEntry] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    elapsed_s: float = 0.0
    tokens: TokenUsage = Field(default_factory=TokenUsage)
    policy: dict[str, Any] = Field(default_factory=dict)
    key_metrics: dict[str, float] = Field(default_factory=dict)
    evidence: dict[str, str] = Field(
        default_factory=dict, description="Dossier path field -> SHA-256 of the file reviewed."
    )
    next_review: str | None = Field(default=None, description="From the MLOps maturity level.")
    review_cadence: str = ""
    trend: list[TrendPoint] = Field(
        default_factory=list,
        description="Every finished review of this model in the database, oldest first "
        "(filled by the CLI, which has the database; empty otherwise).",
    )
    frameworks: list[FrameworkCoverage] = Field(
        default_factory=list, description="Coverage of the frameworks asked for (--framework)."
    )
    integrity: Integrity | None = Field(
        default=None, description="Digests of the evidence, the policy and this report."
    )
    # The validated dossier, for the model card only: never written to the JSON report (a
    # dossier can hold a secret the scanner found; the model card redacts what it shows).
    dossier: Dossier | None = Field(default=None, exclude=True)

    @property
    def next_review_line(self) -> str:
        """When to review again, in one line."""
        if self.next_review:
            return f"Next review: {self.next_review} ({self.review_cadence})"
        if self.review_cadence.startswith("level"):
            return f"Next review: {self.review_cadence.split(': ', 1)[-1]} ({self.review_cadence})"
        return "Next review: not scheduled (declare deployment.mlops_level, 0-3, for a cadence)"

    @classmethod
    def from_state(
        cls,
        values: dict[str, Any] | ReviewState,
        *,
        review_id: str | None = None,
        frameworks: tuple[str, ...] = (),
    ) -> ReviewReport:
        """Build the report from a finished review's state (as ``invoke`` returns it).

        Hashes the dossier and every evidence file it references (for ``gates verify``) and
        adds a coverage table for each framework named in ``frameworks``.

        Raises:
            ReviewStateError: the review has not reached the formatter yet.
        """
        state = values if isinstance(values, ReviewState) else ReviewState.model_validate(values)
        if state.outcome is None:
            msg = "the review has not finished yet (no recommendation); resume it first"
            raise ReviewStateError(msg, source=review_id or state.review_id)
        order = [g.id for g in GATES]
        gates = [state.gates[g] for g in order if g in state.gates]
        dossier = state.dossier or {}
        validated = _validated(dossier)
        policy = state.policy or {}
        integrity = Integrity(
            base_dir=state.base_dir,
            files=evidence_digests(
                list(validated.path_fields()) if validated else [],
                state.base_dir,
                state.dossier_path if state.dossier_source == "file" else None,
            ),
            policy_sha256=canonical_sha256(policy),
        )
        return cls(
            review_id=review_id or state.review_id,
            run=state.run,
            model=ModelInfo.model_validate(dossier.get("model") or {}),
            dossier_path=state.dossier_path,
            dossier_source=state.dossier_source,
            extracted_dossier=dossier if state.dossier_source == "extracted" else None,
            as_of=state.as_of,
            generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            recommendation=state.outcome.recommendation,
            rationale=state.outcome.rationale,
            executive_summary=state.outcome.executive_summary,
            summary_source=state.outcome.summary_source,
            gates=gates,
            overrides=state.overrides,
            audit=state.audit,
            notes=state.notes,
            elapsed_s=state.outcome.elapsed_s,
            tokens=state.outcome.tokens,
            key_metrics=state.outcome.key_metrics,
            evidence=state.outcome.evidence,
            next_review=state.outcome.next_review,
            review_cadence=state.outcome.review_cadence,
            policy=policy,
            frameworks=[framework_coverage(name, gates) for name in frameworks],
            integrity=integrity,
            dossier=validated,
        )

    def sealed(self) -> ReviewReport:
        """This report with the digest of its own JSON form filled in (see ``gates verify``)."""
        if self.integrity is None:
            return self
        blank = self.model_copy(
            update={"integrity": self.integrity.model_copy(update={"report_sha256": ""})}
        )
        # Digest the JSON as written and read back, exactly what `gates verify` will see
        # (a NaN, for one, is written as null).
        digest = canonical_sha256(json.loads(blank.model_dump_json()))
        return self.model_copy(
            update={"integrity": self.integrity.model_copy(update={"report_sha256": digest})}
        )

    def gate(self, gate_id: str) -> GateResult | None:
        """The result of one gate, if it ran."""
        return next((g for g in self.gates if g.id == gate_id), None)


def _validated(dossier: dict[str, Any]) -> Dossier | None:
    """The state's dossier as a model; None when it no longer validates (never fatal here)."""
    try:
        return Dossier.model_validate(dossier)
    except ValueError:
        return None
