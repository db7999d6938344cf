"""The chat-model narrator: structured narratives per gate, the executive summary, extraction.

:class:`LLMNarrator` implements :class:`langgraph_gates.narrator.Narrator`. Each call asks the
model for a schema from :mod:`langgraph_gates.llm.schemas` with a prompt from
:mod:`langgraph_gates.llm.prompts`, retried by :mod:`langgraph_gates.llm._retry`. Its methods
never raise: on any failure they hand back the offline draft with a note, and the tokens spent.

The narrator proposes; the graph decides. It records the model's proposed status in
``model_status`` as proposed; the gate node makes the final status the worse of evidence and
proposal, so a proposal of Pass on failing evidence changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from langgraph_gates.dossier import Dossier
from langgraph_gates.gates.spec import GateSpec
from langgraph_gates.llm import prompts
from langgraph_gates.llm._context import ContextMode, clip
from langgraph_gates.llm._guard import instruction_in, summary_problem
from langgraph_gates.llm._retry import (
    CIRCUIT_OPEN,
    CallResult,
    CircuitBreaker,
    RetryPolicy,
    call_structured,
)
from langgraph_gates.llm.schemas import GATE_SCHEMAS, DossierDraft, ExecutiveSummary, GateNarrative
from langgraph_gates.scoring import DUE_BY_SEVERITY, key_finding
from langgraph_gates.state import (
    GateResult,
    ReviewOutcome,
    Severity,
    Status,
    TokenUsage,
    worse_status,
)

__all__ = ["EXTRA_SECTIONS", "LLMNarrator", "LLMSettings"]

log = logging.getLogger(__name__)

EXTRA_SECTIONS = ("Additional risks (model)", "Mitigations and owners (model)", "Status proposal")
"""Sections a model narrative adds after the gate's seed outputs (when it has something)."""

_SEVERITY_FOR = {
    Status.PASS: Severity.LOW,
    Status.CONDITIONAL: Severity.MEDIUM,
    Status.FAIL: Severity.HIGH,
}
_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}
_SECTION_CHARS = 4000
_ITEM_CHARS = 400
_MAX_ITEMS = 8
_SUMMARY_LINES = 8
_DECISIONS = 5


class LLMSettings(BaseModel):
    """How the narrator talks to its model.

    Attributes:
        context_mode: what each gate sees of earlier gates: ``digest`` or ``full_history``.
        temperature: sampling temperature (provider default when ``None``).
        timeout_s: seconds one request may take.
        max_retries: tries after the first one, per call.
        backoff_s: wait before the first retry; doubles per retry.
        backoff_max_s: longest wait between tries (also caps ``Retry-After``).
    """

    model_config = ConfigDict(frozen=True)

    context_mode: ContextMode = "digest"
    temperature: float | None = Field(default=None, ge=0, le=2)
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy these settings describe."""
        return RetryPolicy(
            max_retries=self.max_retries,
            backoff_s=self.backoff_s,
            backoff_max_s=self.backoff_max_s,
        )


def _items(values: list[str]) -> list[str]:
    return [clip(v, _ITEM_CHARS) for v in values if v and v.strip()][:_MAX_ITEMS]


def _failure_note(what: str, call: CallResult, fallback: str) -> str:
    circuit = (
        "the model endpoint failed to connect twice in a row, so the rest of the review runs "
        "offline; "
        if call.gave_up == CIRCUIT_OPEN
        else ""
    )
    tries = call.attempts
    if circuit and not tries:
        return f"{what} skipped: {circuit}{fallback}."
    reasons = ", ".join(dict.fromkeys(call.failures)) or "no answer"
    return (
        f"{what} unavailable after {tries} {'try' if tries == 1 else 'tries'} ({reasons}); "
        f"{circuit}{fallback}."
    )


class LLMNarrator:
    """Writes gate narratives, the executive summary and extracted dossiers with a chat model.

    Thread-safe: one narrator can serve concurrent reviews.

    Args:
        model: the chat model (see :func:`langgraph_gates.llm.build_chat_model`).
        settings: context mode, retries and backoff.
        name: the model string, for traces and notes.
        sleep: how to wait between tries (tests pass a recorder).
    """

    def __init__(
        self,
        model: BaseChatModel,
        settings: LLMSettings | None = None,
        *,
        name: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.settings = settings or LLMSettings()
        self.name = name or type(model).__name__
        self._sleep = sleep
        self._runnables: dict[type[BaseModel], Runnable[Any, Any]] = {}
        self._lock = threading.Lock()
        # Shared by every call: an endpoint that refuses connections costs two tries, not
        # four per call for the rest of the review.
        self.breaker = CircuitBreaker()

    def __repr__(self) -> str:
        return f"LLMNarrator({self.name!r}, context_mode={self.settings.context_mode!r})"

    # --- calls --------------------------------------------------------------------------

    def _structured(self, schema: type[BaseModel]) -> Runnable[Any, Any]:
        with self._lock:
            runnable = self._runnables.get(schema)
            if runnable is None:
                runnable = self.model.with_structured_output(schema, include_raw=True)
                self._runnables[schema] = runnable
            return runnable

    def _call(self, schema: type[BaseModel], messages: list[BaseMessage], task: str) -> CallResult:
        config: RunnableConfig = {
            "run_name": f"gates:{task}",
            "tags": ["langgraph-gates", f"gates:{task}"],
            "metadata": {
                "gates_task": task,
                "gates_model": self.name,
                "gates_context_mode": self.settings.context_mode,
            },
        }
        try:
            runnable = self._structured(schema)
        except Exception as exc:  # e.g. a model without tool calling or structured output
            log.warning("no structured output for %s: %s", task, type(exc).__name__)
            reason = f"the model has no structured output ({type(exc).__name__})"
            return CallResult(failures=[reason], gave_up=reason)
        return call_structured(
            runnable,
            messages,
            policy=self.settings.retry,
            config=config,
            sleep=self._sleep,
            breaker=self.breaker,
        )

    # --- Narrator -----------------------------------------------------------------------

    def extract_dossier(self, text: str) -> dict[str, Any] | None:
        """Turn free text into dossier fields (a mapping), or ``None`` if the model cannot."""
        try:
            call = self._call(DossierDraft, prompts.extract_messages(text), "extract_dossier")
            if not isinstance(call.value, DossierDraft):
                return None
            return call.value.to_dossier() or None
        except Exception:  # never raise into the dispatcher
            log.exception("dossier extraction")
            return None

    def narrate_gate(
        self,
        *,
        spec: GateSpec,
        draft: GateResult,
        dossier: Dossier,
        earlier: Mapping[str, GateResult],
    ) -> GateResult:
        """The draft with model-written sections, the proposed status, notes and tokens."""
        try:
            messages = prompts.gate_messages(
                spec=spec,
                draft=draft,
                dossier=dossier,
                earlier=earlier,
                mode=self.settings.context_mode,
            )
            call = self._call(GATE_SCHEMAS[spec.id], messages, spec.id)
        except Exception as exc:  # a bug here must not cost the gate its result
            log.exception("narrating %s", spec.id)
            note = f"Model narrative skipped ({type(exc).__name__}); the offline narrative is used."
            return draft.model_copy(update={"notes": [*draft.notes, note]})
        tokens = draft.tokens + call.usage
        if not isinstance(call.value, GateNarrative):
            note = _failure_note("Model narrative", call, "the offline narrative is used")
            return draft.model_copy(update={"notes": [*draft.notes, note], "tokens": tokens})
        phrase = instruction_in(
            [*call.value.section_texts().values(), call.value.status_rationale or ""]
        )
        if phrase:
            note = (
                f'The model narrative addressed instructions to the reader ("{clip(phrase, 80)}"); '
                "the offline narrative is used."
            )
            return draft.model_copy(update={"notes": [*draft.notes, note], "tokens": tokens})
        return _merge_gate(draft, call.value, call, tokens)

    def narrate_outcome(
        self, *, draft: ReviewOutcome, gates: Mapping[str, GateResult], dossier: Dossier
    ) -> ReviewOutcome:
        """The outcome with a model-written executive summary and the summary's tokens."""
        try:
            messages = prompts.summary_messages(
                draft=draft, gates=gates, dossier=dossier, mode=self.settings.context_mode
            )
            call = self._call(ExecutiveSummary, messages, "executive_summary")
        except Exception as exc:
            log.exception("executive summary")
            note = f"Note: model summary skipped ({type(exc).__name__}); heuristic summary shown."
            return draft.model_copy(update={"executive_summary": [*draft.executive_summary, note]})
        tokens = draft.tokens + call.usage
        summary = call.value if isinstance(call.value, ExecutiveSummary) else None
        lines = _items(summary.summary)[:_SUMMARY_LINES] if summary else []
        if summary is None or not lines:
            if summary is not None:
                call.failures.append("empty summary")
            note = "Note: " + _failure_note("Model summary", call, "heuristic summary shown")
            return draft.model_copy(
                update={"executive_summary": [*draft.executive_summary, note], "tokens": tokens}
            )
        lines += [f"Decision: {d}" for d in _items(summary.decision_points)[:_DECISIONS]]
        problem = summary_problem(lines, draft.recommendation)
        if problem:
            note = f"Note: the model's summary was replaced by the offline one: {problem}."
            return draft.model_copy(
                update={"executive_summary": [*draft.executive_summary, note], "tokens": tokens}
            )
        return draft.model_copy(
            update={"executive_summary": lines, "summary_source": "model", "tokens": tokens}
        )


def _merge_gate(
    draft: GateResult, narrative: GateNarrative, call: CallResult, tokens: TokenUsage
) -> GateResult:
    """The draft with the model's sections and proposal (findings stay the evidence's)."""
    notes = list(draft.notes)
    if call.failures:
        notes.append(
            f"The model answered after {call.attempts} tries "
            f"({', '.join(dict.fromkeys(call.failures))})."
        )
    sections: dict[str, str] = {}
    blank = 0
    for title, text in narrative.section_texts().items():
        if text.strip():
            sections[title] = text.strip()[:_SECTION_CHARS]
        else:
            blank += 1
            sections[title] = draft.sections.get(title, "")
    if blank:
        notes.append(f"The model left {blank} section(s) empty; the offline text is kept there.")
    risks = _items(narrative.extra_risks)
    mitigations = _items(narrative.mitigations)
    if risks:
        sections[EXTRA_SECTIONS[0]] = "\n".join(f"- {r}" for r in risks)
    if mitigations:
        # Owners come from the dossier (or the gate's default role), never from model text.
        sections[EXTRA_SECTIONS[1]] = "\n".join(
            f"- {m} (owner: {draft.owner})" for m in mitigations
        )
    proposed = Status(narrative.proposed_status)
    rationale = clip(narrative.status_rationale or "", 800)
    sections[EXTRA_SECTIONS[2]] = f"{proposed.value}: {rationale}" if rationale else proposed.value

    update: dict[str, Any] = {}
    evidence = draft.evidence_status
    if worse_status(evidence, proposed) is evidence and proposed is not evidence:
        notes.append(
            f"The model proposed {proposed.value}; the evidence's {evidence.value} stands "
            "(a model can make a status worse, never better)."
        )
    elif proposed is not evidence:
        notes.append(
            f"The model made the status worse: {proposed.value} (evidence: {evidence.value})."
        )
        # A gate the model fails must not keep the "next review" due date of a passing one.
        floor = _SEVERITY_FOR[proposed]
        if _SEVERITY_RANK[floor] > _SEVERITY_RANK[draft.severity]:
            update |= {"severity": floor, "due": DUE_BY_SEVERITY[floor]}
        if key_finding(draft.findings) is None and risks:
            # Evidence saw no open risk; the gate table should show the one behind the status.
            update["key_risk"] = f"(model) {risks[0]}"
            if mitigations:
                update["mitigation"] = f"(model) {mitigations[0]}"
    return draft.model_copy(
        update={
            **update,
            "sections": sections,
            "model_status": proposed,
            "narrative_source": "model",
            "notes": notes,
            "tokens": tokens,
        }
    )
