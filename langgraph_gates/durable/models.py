"""The values durable-review operations return: statuses, edit results, histories and diffs.

All are Pydantic models so the CLI can print them as JSON unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from langgraph_gates.report import ReviewReport
from langgraph_gates.state import Outcome, Recommendation, Status

__all__ = [
    "CheckpointInfo",
    "EditResult",
    "FieldChange",
    "FindingChange",
    "FindingRef",
    "GateDiff",
    "ProgressCallback",
    "ReviewDiff",
    "ReviewHistory",
    "ReviewStatus",
    "ReviewSummary",
    "RunInfo",
]

#: Receives each progress event of a running review (``review_submitted``, ``gate_completed`` ...).
ProgressCallback = Callable[[dict[str, Any]], None]


class FieldChange(BaseModel):
    """One dossier field that differs between two versions of the dossier."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="Dotted path, e.g. 'data.labeling_qc' or 'problem.kpis[0]'.")
    before: JsonValue = Field(default=None, description="The old value (None: absent or null).")
    after: JsonValue = Field(default=None, description="The new value (None: absent or null).")

    @property
    def section(self) -> str:
        """The top-level dossier section of the field."""
        return re.split(r"[.\[]", self.path, maxsplit=1)[0]

    def describe(self, width: int = 60) -> str:
        """``path: old -> new`` with long values shortened."""
        return f"{self.path}: {_short(self.before, width)} -> {_short(self.after, width)}"


class FindingRef(BaseModel):
    """A finding, as a diff names it."""

    model_config = ConfigDict(frozen=True)

    check_id: str
    outcome: Outcome
    message: str


class FindingChange(BaseModel):
    """A finding present in both runs whose outcome changed."""

    model_config = ConfigDict(frozen=True)

    check_id: str
    before: Outcome
    after: Outcome
    message: str = Field(description="The message of the later run.")


class GateDiff(BaseModel):
    """How one gate differs between two runs."""

    gate: str
    title: str
    status_a: Status | None = None
    status_b: Status | None = None
    rerun: bool = Field(default=False, description="Whether run B executed this gate.")
    added: list[FindingRef] = Field(default_factory=list)
    removed: list[FindingRef] = Field(default_factory=list)
    changed: list[FindingChange] = Field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """Whether the status or any finding changed."""
        return self.status_a != self.status_b or bool(self.added or self.removed or self.changed)


class ReviewDiff(BaseModel):
    """What changed between two runs of a review: statuses, findings and dossier fields."""

    review_id: str
    run_a: int
    run_b: int
    recommendation_a: Recommendation | None = None
    recommendation_b: Recommendation | None = None
    gates: list[GateDiff] = Field(default_factory=list)
    dossier: list[FieldChange] = Field(
        default_factory=list, description="Dossier fields that differ between the two runs."
    )

    @property
    def has_changes(self) -> bool:
        """Whether anything differs."""
        return (
            self.recommendation_a != self.recommendation_b
            or bool(self.dossier)
            or any(g.has_changes for g in self.gates)
        )

    def render(self) -> str:
        """The diff as plain text, one line per change."""
        out = [f"Review {self.review_id}: run {self.run_a} -> run {self.run_b}"]
        rec_a = self.recommendation_a.value if self.recommendation_a else "(unfinished)"
        rec_b = self.recommendation_b.value if self.recommendation_b else "(unfinished)"
        if rec_a == rec_b:
            out.append(f"Recommendation: {rec_b} (unchanged)")
        else:
            out.append(f"Recommendation: {rec_a} -> {rec_b}")
        if self.dossier:
            out.append("Dossier changes:")
            out += [f"  {c.describe()}" for c in self.dossier]
        for g in self.gates:
            if not g.has_changes:
                continue
            a = g.status_a.value if g.status_a else "-"
            b = g.status_b.value if g.status_b else "-"
            head = f"{g.title}: {a} -> {b}" if a != b else f"{g.title}: {b} (status unchanged)"
            out.append(head)
            out += [f"  + {f.check_id} {f.outcome.value}: {f.message}" for f in g.added]
            out += [f"  - {f.check_id} {f.outcome.value}: {f.message}" for f in g.removed]
            out += [
                f"  ~ {c.check_id} {c.before.value} -> {c.after.value}: {c.message}"
                for c in g.changed
            ]
        same = [g.title for g in self.gates if not g.has_changes]
        if same:
            out.append("Unchanged: " + ", ".join(same))
        return "\n".join(out) + "\n"


class CheckpointInfo(BaseModel):
    """One checkpoint of a review, as ``history`` lists it."""

    checkpoint_id: str
    parent_id: str | None = None
    created_at: str | None = None
    run: int = 1
    step: int | None = None
    source: str = Field(default="", description="input, loop (a node ran), update (a human).")
    next: list[str] = Field(default_factory=list, description="What runs next from here.")
    event: str = Field(default="", description="What produced the checkpoint.")
    on_branch: bool = Field(
        default=False, description="Whether it is on the current branch (not an abandoned fork)."
    )


class RunInfo(BaseModel):
    """One run of a review: the first run, or a re-run."""

    run: int
    started_at: str | None = None
    updated_at: str | None = None
    from_gate: str | None = Field(default=None, description="The first gate the run executed.")
    state: Literal["finished", "waiting"] = "waiting"
    next: list[str] = Field(default_factory=list, description="Where a waiting run goes on.")
    recommendation: Recommendation | None = None
    gates_run: list[str] = Field(
        default_factory=list, description="Gates whose result this run produced."
    )


class ReviewHistory(BaseModel):
    """A review's runs and every checkpoint (oldest first)."""

    review_id: str
    runs: list[RunInfo] = Field(default_factory=list)
    checkpoints: list[CheckpointInfo] = Field(default_factory=list)


class ReviewSummary(BaseModel):
    """One review in a database, as ``list`` shows it."""

    review_id: str
    model: str | None = None
    version: str | None = None
    recommendation: Recommendation | None = None
    run: int = 1
    state: str = Field(default="", description="'finished' or 'waiting before <node>'.")
    updated_at: str | None = None


class ReviewStatus(BaseModel):
    """Where a review stands after an operation.

    ``next`` and ``values`` mirror LangGraph's state snapshot, so the CLI's ``finish`` reads
    either.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    review_id: str
    run: int = 1
    next: tuple[str, ...] = Field(default=(), description="Nodes that run next; () = finished.")
    completed_gates: list[str] = Field(default_factory=list)
    executed: list[str] = Field(
        default_factory=list, description="Nodes this operation executed, in order."
    )
    stale_gates: list[str] = Field(
        default_factory=list, description="Gates computed before an edit of a field they read."
    )
    recommendation: Recommendation | None = None
    notes: list[str] = Field(default_factory=list, description="What a human should know.")
    values: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def finished(self) -> bool:
        """Whether the review reached the formatter and nothing is left to run."""
        return not self.next and self.recommendation is not None

    def report(self) -> ReviewReport:
        """The report of a finished review.

        Raises:
            ReviewStateError: the review has not finished.
        """
        return ReviewReport.from_state(self.values, review_id=self.review_id)


class EditResult(BaseModel):
    """What ``edit`` changed and what it makes stale."""

    review_id: str
    changes: list[FieldChange] = Field(default_factory=list)
    affected: list[str] = Field(
        default_factory=list, description="Gates that read an edited section."
    )
    stale: list[str] = Field(
        default_factory=list, description="Gates already computed that now need a re-run."
    )
    rerun_on_resume: list[str] = Field(
        default_factory=list,
        description="Of a paused review: the stale gates `resume` re-runs before going on.",
    )
    finished: bool = False
    next: tuple[str, ...] = ()



def _short(value: Any, width: int) -> str:
    text = " ".join(str(value).split()) if isinstance(value, str) else repr(value)
    if isinstance(value, str):
        text = repr(text)
    return text if len(text) <= width else text[: width - 1] + "…"


class ModelReview(BaseModel):
    """One review of one version of a model, as ``history --model`` lists it."""

    review_id: str
    version: str | None = None
    reviewed_on: str | None = Field(default=None, description="The review date (as of).")
    completed_at: str | None = None
    state: str = Field(default="", description="'finished' or 'waiting before <node>'.")
    recommendation: Recommendation | None = None
    gates: dict[str, Status] = Field(default_factory=dict, description="gate id -> status.")
    key_metrics: dict[str, float] = Field(default_factory=dict)
    overrides: list[str] = Field(
        default_factory=list, description="'gate: evidence -> override by NAME: reason'."
    )
    champion: str | None = Field(default=None, description="The champion it was compared with.")
    next_review: str | None = None
    review_cadence: str = ""


class ModelHistory(BaseModel):
    """Every review of every version of one model, oldest first, and whether one is overdue."""

    model: str
    as_of: str = Field(description="The date overdue is judged against.")
    reviews: list[ModelReview] = Field(default_factory=list)
    overdue: bool = Field(
        default=False, description="Whether the latest review's next review date has passed."
    )
    overdue_note: str = ""


class EvidenceChange(BaseModel):
    """An evidence file whose content (SHA-256) differs between two reviews."""

    field: str
    before: str | None = None
    after: str | None = None


class ReviewComparison(BaseModel):
    """What changed between two reviews (usually of two versions of one model)."""

    review_a: str
    review_b: str
    model_a: str = ""
    model_b: str = ""
    recommendation_a: Recommendation | None = None
    recommendation_b: Recommendation | None = None
    gates: list[GateDiff] = Field(default_factory=list)
    metrics: dict[str, tuple[float | None, float | None]] = Field(default_factory=dict)
    policy: list[FieldChange] = Field(default_factory=list)
    evidence: list[EvidenceChange] = Field(default_factory=list)
    dossier: list[FieldChange] = Field(default_factory=list)

    def render(self) -> str:
        """The comparison as plain text, one line per change."""
        rec_a = self.recommendation_a.value if self.recommendation_a else "(unfinished)"
        rec_b = self.recommendation_b.value if self.recommendation_b else "(unfinished)"
        out = [
            f"Review {self.review_a} ({self.model_a}) -> {self.review_b} ({self.model_b})",
            f"Recommendation: {rec_a} -> {rec_b}" if rec_a != rec_b else f"Recommendation: {rec_b} (unchanged)",
        ]
        if self.metrics:
            out.append("Key metrics:")
            for name, (a, b) in self.metrics.items():
                delta = f" ({b - a:+.4g})" if a is not None and b is not None else ""
                out.append(f"  {name}: {_num(a)} -> {_num(b)}{delta}")
        sections = (("Policy changes:", self.policy), ("Dossier changes:", self.dossier))
        for title, changes in sections:
            if changes:
                out.append(title)
                out += [f"  {c.describe()}" for c in changes]
        if self.evidence:
            out.append("Evidence files changed (SHA-256):")
            out += [f"  {e.field}: {_num(e.before)[:12]} -> {_num(e.after)[:12]}" for e in self.evidence]
        diff = ReviewDiff(review_id=self.review_a, run_a=1, run_b=1, gates=self.gates)
        out += diff.render().splitlines()[2:]  # the per-gate lines, without the run header
        return "\n".join(out) + "\n"


def _num(value: float | str | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
