"""A scripted chat model for tests and benchmarks: structured output offline, no network.

LangChain's fake chat models refuse ``with_structured_output``. :class:`ScriptedChatModel`
supports it the way tool-calling providers do: ``bind_tools`` remembers the schema, and each
call answers with an ``AIMessage`` whose tool call fills that schema, plus ``usage_metadata``.
Faults (exceptions carrying an HTTP status, timeouts, unparseable output) can be queued to
exercise retries and fallbacks.

    model = ScriptedChatModel(responder=canned_responder(status="Fail"))
    model.queue(rate_limited(), "malformed")
    narrator = LLMNarrator(model, LLMSettings(backoff_s=0))
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field

from langgraph_gates.llm.schemas import DossierDraft, ExecutiveSummary, GateNarrative

__all__ = [
    "MALFORMED",
    "Responder",
    "ScriptedCall",
    "ScriptedChatModel",
    "StatusError",
    "canned_responder",
    "char_tokens",
    "empty_draft",
    "rate_limited",
    "server_error",
    "timed_out",
]

MALFORMED = "malformed"
"""Queue this to answer one call with a tool call that does not fit the schema."""

Responder = Callable[[type[BaseModel], Sequence[BaseMessage]], dict[str, Any]]
"""Builds the tool-call arguments for a schema from the prompt."""


class StatusError(Exception):
    """An API error with an HTTP status, shaped like the provider SDKs' errors."""

    def __init__(self, status_code: int, message: str = "") -> None:
        super().__init__(message or f"HTTP {status_code}")
        self.status_code = status_code


def rate_limited() -> StatusError:
    """A 429 error."""
    return StatusError(429, "Rate limit reached")


def server_error() -> StatusError:
    """A 500 error."""
    return StatusError(500, "The server had an error")


def timed_out() -> TimeoutError:
    """A request timeout."""
    return TimeoutError("Request timed out")


def char_tokens(text: str) -> int:
    """A stand-in token count: four characters per token."""
    return max(1, (len(text) + 3) // 4)


@dataclass
class ScriptedCall:
    """One call the model received."""

    schema: str
    messages: list[BaseMessage]
    fault: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def prompt(self) -> str:
        """All message contents, joined."""
        return "\n".join(str(m.content) for m in self.messages)


class _Script:
    """The mutable part of a scripted model, shared by the copies ``bind_tools`` makes."""

    def __init__(self) -> None:
        self.faults: deque[BaseException | str] = deque()
        self.calls: list[ScriptedCall] = []
        self.lock = threading.Lock()
        self.ids = itertools.count()


def _sentences(label: str, words: int) -> str:
    base = (
        f"{label}: the evidence and the dossier were weighed against the policy, and the "
        "reviewer records what holds, what is missing and what the owner must do next"
    ).split()
    out = [base[i % len(base)] for i in range(max(words, 1))]
    return " ".join(out) + "."


def canned_responder(status: str = "Conditional", words_per_gate: int = 120) -> Responder:
    """A responder that fills every schema with plausible text of a fixed length.

    Args:
        status: the status proposed for every gate.
        words_per_gate: about how many words each gate narrative has in total.
    """

    def respond(schema: type[BaseModel], messages: Sequence[BaseMessage]) -> dict[str, Any]:
        if issubclass(schema, GateNarrative):
            per = max(words_per_gate // (len(schema.SECTIONS) + 3), 1)
            args: dict[str, Any] = {
                name: _sentences(title, per) for name, title in schema.SECTIONS.items()
            }
            return args | {
                "extra_risks": [_sentences("Risk", per)],
                "mitigations": [_sentences("Mitigation", per)],
                "owners": ["ML platform team"],
                "status_rationale": _sentences("Rationale", per),
                "proposed_status": status,
            }
        if schema is ExecutiveSummary:
            return {
                "summary": [_sentences("Summary", 25), _sentences("Blockers", 25)],
                "decision_points": [_sentences("Decide", 12)],
            }
        if schema is DossierDraft:
            return empty_draft()
        msg = f"no canned answer for {schema.__name__}"
        raise ValueError(msg)

    return respond


def empty_draft() -> dict[str, Any]:
    """Arguments of a :class:`DossierDraft` that states nothing (every field null or [])."""
    return {
        "model": {"name": None, "version": None, "task": None, "use_case": None, "algorithms": []},
        "problem": {
            "objective": None,
            "kpis": [],
            "success_criteria": [],
            "in_scope": [],
            "out_of_scope": [],
            "assumptions": [],
        },
        "data": {"sources": [], "label": None, "sensitive_attributes": [], "labeling_qc": None},
        "features": {
            "key": [],
            "transformations": None,
            "missingness_strategy": None,
            "excluded": [],
        },
        "performance": {"validation_strategy": None},
        "responsible_ai": {
            "harms": [],
            "governance": {"review_board": None, "approver": None},
            "fairness_metrics": [],
        },
        "security": {"threat_model": None, "input_validation": None},
        "deployment": {
            "rollout_strategy": None,
            "rollout_stages": [],
            "rollback_plan": None,
            "slo": [],
            "monitoring": None,
            "retraining_trigger": None,
            "on_call": None,
            "post_launch_review_days": [],
        },
    }


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers structured-output calls from a responder, offline.

    Copies made by ``bind_tools`` share the script (queued faults and recorded calls), so a
    test sees every call of every schema in one place.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responder: Responder = canned_responder()
    token_counter: Callable[[str], int] = char_tokens
    bound: type[BaseModel] | None = None
    script: Any = Field(default_factory=_Script)

    @property
    def _llm_type(self) -> str:
        return "scripted-chat-model"

    @property
    def calls(self) -> list[ScriptedCall]:
        """Every call received, in order (faulty ones included)."""
        with self.script.lock:
            return list(self.script.calls)

    def queue(self, *faults: BaseException | str) -> None:
        """Answer the next calls with these faults (an exception to raise, or ``MALFORMED``)."""
        with self.script.lock:
            self.script.faults.extend(faults)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        """Remember the schema to answer with (the first tool)."""
        return self.model_copy(update={"bound": tools[0]})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        schema = self.bound
        if schema is None:
            msg = "ScriptedChatModel only answers structured-output calls"
            raise ValueError(msg)
        prompt = "\n".join(str(m.content) for m in messages)
        with self.script.lock:
            fault = self.script.faults.popleft() if self.script.faults else None
            call = ScriptedCall(schema=schema.__name__, messages=list(messages))
            self.script.calls.append(call)
            call_id = f"call_{next(self.script.ids)}"
        if isinstance(fault, BaseException):
            call.fault = type(fault).__name__
            raise fault
        if fault == MALFORMED:
            call.fault = MALFORMED
            args: dict[str, Any] = {"unexpected": "not the schema"}
        else:
            args = self.responder(schema, messages)
        # The schema travels with a real request too (as a tool), so it counts as input.
        schema_text = json.dumps(convert_to_openai_tool(schema))
        call.input_tokens = self.token_counter(prompt) + self.token_counter(schema_text)
        call.output_tokens = self.token_counter(json.dumps(args))
        message = AIMessage(
            content="",
            tool_calls=[{"name": schema.__name__, "args": args, "id": call_id}],
            usage_metadata={
                "input_tokens": call.input_tokens,
                "output_tokens": call.output_tokens,
                "total_tokens": call.input_tokens + call.output_tokens,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
