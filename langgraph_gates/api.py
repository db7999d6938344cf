"""The convenience entry point: review a dossier in one call."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from langgraph_gates.checkpoint import open_checkpointer
from langgraph_gates.dossier import (
    Dossier,
    check_paths,
    load_dossier,
    validate_dossier_unknown,
)
from langgraph_gates.evidence.secrets import redact_dossier_secrets, redact_text
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.graph import build_graph
from langgraph_gates.narrator import Narrator
from langgraph_gates.nodes import RunContext
from langgraph_gates.policy import Policy, load_policy, policy_from_mapping
from langgraph_gates.report import ReviewReport, write_reports
from langgraph_gates.state import UnknownName

__all__ = ["ReviewResult", "prepare_input", "review"]

ProgressCallback = Callable[[dict[str, Any]], None]


class ReviewResult(BaseModel):
    """A finished review: the report model and the files written (if any)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    report: ReviewReport
    files: dict[str, Path] = Field(default_factory=dict)

    @property
    def recommendation(self) -> str:
        """``Go``, ``Conditional Go`` or ``No-Go``."""
        return self.report.recommendation.value


def _policy(policy: Policy | Mapping[str, Any] | str | Path | None) -> Policy:
    if policy is None or isinstance(policy, Policy):
        return policy or Policy()
    if isinstance(policy, Mapping):
        return policy_from_mapping(dict(policy))
    return load_policy(policy)


def prepare_input(
    dossier: str | Path | Mapping[str, Any] | Dossier | None = None,
    *,
    text: str | None = None,
    policy: Policy | Mapping[str, Any] | str | Path | None = None,
    base_dir: str | Path | None = None,
    as_of: str | None = None,
    allow_outside: bool = False,
    strict: bool = False,
) -> dict[str, Any]:
    """Validate the inputs up front and return the graph's input mapping.

    Fields the dossier format does not know are left out and listed under
    ``unknown_fields`` (each gate reports its own); ``strict`` refuses them instead.

    Validating here (not only in the dispatcher) means a bad dossier or policy fails before a
    review is started or checkpointed.

    Raises:
        DossierError: the dossier is invalid (or, ``strict``, has unknown fields).
        PolicyError: the policy is invalid.
    """
    payload: dict[str, Any] = {"policy": _policy(policy).model_dump(mode="json")}
    unknown: list[UnknownName] = []
    if isinstance(dossier, str | Path):
        loaded = load_dossier(dossier, allow_outside=allow_outside, strict=strict)
        unknown = loaded.unknown
        payload |= {
            "dossier_path": str(dossier),
            "dossier": redact_dossier_secrets(loaded.dossier.model_dump(mode="json"))[0],
            "base_dir": loaded.base_dir,
            "dossier_source": "file",
        }
    elif dossier is not None:
        valid, unknown = validate_dossier_unknown(
            dict(dossier) if isinstance(dossier, Mapping) else dossier, strict=strict
        )
        folder = str(Path(base_dir or Path.cwd()).resolve())
        check_paths(valid, folder, source="dossier", allow_outside=allow_outside)
        payload |= {
            "dossier": redact_dossier_secrets(valid.model_dump(mode="json"))[0],
            "base_dir": folder,
            "dossier_source": "mapping",
        }
    if text:
        # Redacted here, before the input is checkpointed (the dispatcher redacts again for
        # callers that invoke the graph directly).
        payload["text"] = redact_text(text)[0]
        if dossier is None:
            payload["base_dir"] = str(Path(base_dir or Path.cwd()).resolve())
    if as_of:
        payload["as_of"] = as_of
    if unknown:
        payload["unknown_fields"] = [u.model_dump(mode="json") for u in unknown]
    return payload


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
        formats: report formats to write.
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
        GatesError: invalid dossier, policy or settings.
    """
    payload = prepare_input(
        dossier,
        text=text,
        policy=policy,
        base_dir=base_dir,
        as_of=as_of,
        allow_outside=allow_outside, strict=strict,
    )
    thread = review_id or uuid.uuid4().hex[:12]
    payload["review_id"] = thread
    store = EvidenceStore(
        policy_fingerprint=policy_from_mapping(payload["policy"]).fingerprint(),
        cache_dir=cache_dir,
    )
    context = RunContext(narrator=narrator, evidence=store, allow_outside=allow_outside)
    config = {"configurable": {"thread_id": thread}}
    with open_checkpointer(db) as saver:
        graph = build_graph(saver)
        for mode, chunk in graph.stream(
            payload, config, context=context, stream_mode=["custom", "values"], durability="sync"
        ):
            if mode == "custom" and on_progress is not None:
                on_progress(chunk)
        values = graph.get_state(config).values
    report = ReviewReport.from_state(values, review_id=thread)
    files = write_reports(report, output_dir, formats) if output_dir else {}
    return ReviewResult(report=report, files=files)
