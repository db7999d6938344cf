"""What every case of ``Reviews.resume`` needs, gathered once: the review, the decision, the plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.types import StateSnapshot

from langgraph_gates.durable._tree import Tree, run_metadata
from langgraph_gates.durable.models import ProgressCallback
from langgraph_gates.nodes import RunContext
from langgraph_gates.state import AuditEntry, Override

__all__ = ["ResumeStep"]


@dataclass
class ResumeStep:
    """What every case of ``resume`` needs: the review, the human's decision, the run plan."""

    review_id: str
    tree: Tree
    approve: bool
    who: str
    why: str
    at: str
    made: list[Override]
    entries: list[AuditEntry]
    plan: list[str]
    allow_outside: bool
    stale: list[str]
    done: list[str]
    on_progress: ProgressCallback | None
    context: RunContext
    model_notes: list[str]

    @property
    def head(self) -> StateSnapshot:
        assert self.tree.head is not None
        return self.tree.head

    @property
    def meta(self) -> dict[str, Any]:
        return run_metadata(self.plan, self.allow_outside)


