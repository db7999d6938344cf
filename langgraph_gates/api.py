"""The convenience entry point: review a dossier in one call (through :meth:`Reviews.start`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from langgraph_gates.dossier import Dossier
from langgraph_gates.durable import ProgressCallback, open_reviews
from langgraph_gates.durable._input import prepare_input
from langgraph_gates.narrator import Narrator
from langgraph_gates.policy import Policy
from langgraph_gates.report import ReviewReport, write_reports

__all__ = ["ReviewResult", "prepare_input", "review"]


class ReviewResult(BaseModel):
    """A finished review: the report model and the files written (if any)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    report: ReviewReport
    files: dict[str, Path] = Field(default_factory=dict)

    @property
    def recommendation(self) -> str:
        """``Go``, ``Conditional Go`` or ``No-Go``."""
        return self.report.recommendation.value


def review(
    dossier: str | Path | Mapping[str, Any] | Dossier | None = None,
    *,
    text: str | None = None,
    policy: Policy | Mapping[str, Any] | str | Path | None = None,
    narrator: Narrator | None = None,
    db: str | Path | None = ":memory:",
    review_id: str | None = None,
    output_dir: str | Path | None = None,
    formats: Sequence[str] = ("txt", "md", "json"),
    frameworks: Sequence[str] = (),
    base_dir: str | Path | None = None,
    as_of: str | None = None,
    allow_outside: bool = False,
    strict: bool = False,
    cache_dir: str | Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> ReviewResult:
    """Review a model from its dossier, offline unless a narrator is given.

    Args:
        dossier: a dossier file path, a mapping, or a :class:`Dossier`.
        text: free-text description (alone, or added to the dossier).
        policy: a :class:`Policy`, a partial mapping, or a YAML policy file.
        narrator: a chat-model narrator (``langgraph_gates.llm``); ``None`` stays offline.
        db: checkpoint database: ``":memory:"``, a SQLite path or a ``postgresql://`` URL.
        review_id: the thread id (a new one if not given).
        output_dir: write reports there when given.
        formats: report formats to write (``txt``, ``md``, ``json``, ``html``, ``junit``,
            ``sarif``, ``modelcard``).
        frameworks: add a coverage table for these frameworks (``eu-ai-act``,
            ``nist-ai-rmf``, ``ml-test-score``).
        base_dir: folder that relative paths of a mapping dossier resolve against.
        as_of: review date (ISO) for freshness checks; today by default.
        allow_outside: let dossier paths leave the dossier's folder.
        strict: refuse a dossier with fields the format does not know (else each gate
            reports its own as a warning).
        cache_dir: on-disk evidence cache (memory only when ``None``).
        on_progress: called with each progress event (``gate_completed`` ...).

    Returns:
        The report and the written files.

    Raises:
        GatesError: invalid dossier, policy or settings, or a review with this id exists in
            ``db``.
    """
    with open_reviews(db, cache_dir=cache_dir, narrator=narrator) as reviews:
        status = reviews.start(
            dossier,
            text=text,
            policy=policy,
            review_id=review_id,
            base_dir=base_dir,
            as_of=as_of,
            allow_outside=allow_outside,
            strict=strict,
            on_progress=on_progress,
        )
    report = ReviewReport.from_state(
        status.values, review_id=status.review_id, frameworks=tuple(frameworks)
    )
    files = write_reports(report, output_dir, formats) if output_dir else {}
    return ReviewResult(report=report, files=files)
