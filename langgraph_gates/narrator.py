"""The seam between the graph and an optional chat model.

A :class:`Narrator` writes richer text than the offline reviewer. The graph calls it and then
enforces the guardrail itself: a gate's status is the worse of the evidence and the model's
proposal, so a narrator can make a status worse, never better.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from langgraph_gates.dossier import Dossier
from langgraph_gates.gates.spec import GateSpec
from langgraph_gates.state import GateResult, ReviewOutcome

__all__ = ["Narrator"]


@runtime_checkable
class Narrator(Protocol):
    """Writes narrative for a review with a chat model (see ``langgraph_gates.llm``)."""

    def extract_dossier(self, text: str) -> dict[str, Any] | None:
        """Turn free text into dossier fields (a mapping), or ``None`` if it cannot."""
        ...

    def narrate_gate(
        self,
        *,
        spec: GateSpec,
        draft: GateResult,
        dossier: Dossier,
        earlier: Mapping[str, GateResult],
    ) -> GateResult:
        """Return the draft with model-written sections, ``model_status``, notes and tokens.

        Must never raise: on any failure return the draft with a note.
        """
        ...

    def narrate_outcome(
        self, *, draft: ReviewOutcome, gates: Mapping[str, GateResult], dossier: Dossier
    ) -> ReviewOutcome:
        """Return the outcome with a model-written executive summary (never raises)."""
        ...
