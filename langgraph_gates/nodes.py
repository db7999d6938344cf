"""The graph's nodes: the dispatcher, one node per gate (built from its spec) and the formatter.

Nodes read run-scoped settings from LangGraph's runtime context (:class:`RunContext`), never
from the environment; what must survive a resume (dossier, policy, review date, overrides)
lives in the checkpointed state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from pydantic import Field, InstanceOf
from pydantic.json_schema import SkipJsonSchema

from langgraph_gates.checks.base import CheckContext, run_check
from langgraph_gates.dossier import (
    Dossier,
    check_paths,
    load_dossier,
    validate_dossier,
    validate_dossier_unknown,
)
from langgraph_gates.errors import DossierError
from langgraph_gates.evidence.secrets import redact_dossier_secrets, redact_text
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.gates import GATES
from langgraph_gates.gates.spec import GateSpec
from langgraph_gates.lineage import evidence_hashes, key_metrics, next_review
from langgraph_gates.llm._context import ContextMode
from langgraph_gates.narrator import Narrator
from langgraph_gates.policy import Policy, policy_from_mapping
from langgraph_gates.scoring import (
    DUE_BY_SEVERITY,
    apply_override,
    gate_status,
    key_finding,
    latest_overrides,
    more_risks,
    recommend,
)
from langgraph_gates.state import (
    GATE_IDS,
    Finding,
    GateResult,
    ModelChoice,
    Outcome,
    ReviewOutcome,
    ReviewState,
    Severity,
    Status,
    TokenUsage,
    UnknownName,
    utc_now,
)
from langgraph_gates.tracing import cited_file_hashes, gate_span

__all__ = ["RunContext", "dispatcher", "formatter", "make_gate_node"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunContext:
    """Run-scoped settings, passed as LangGraph's runtime ``context``.

    The first three are plain values, so they travel over the LangGraph server's HTTP API
    (the SDK's ``context=`` and Studio's assistant form); the others are Python objects for
    in-process callers and are left out of the context's JSON Schema.

    Attributes:
        model: a chat model as ``PROVIDER:MODEL`` (e.g. ``openai:gpt-4o-mini``) for the
            narrative; its keys come from the environment of the process that runs the graph
            (or its ``.env``), never from the run. ``None`` keeps the review offline.
        context_mode: what each gate's model sees of earlier gates: ``digest`` or
            ``full_history``.
        as_of: the review date (``YYYY-MM-DD``) when the input gives none; today by default.
        narrator: writes model narrative; when given it wins over ``model``.
        evidence: the evidence store (and its cache) shared by the gates of a run.
        cache_dir: on-disk evidence cache folder, used when ``evidence`` is not given.
        allow_outside: let dossier paths leave the dossier's folder.
    """

    model: Annotated[
        str | None,
        Field(
            description=(
                "Chat model for the narrative, PROVIDER:MODEL (e.g. openai:gpt-4o-mini); keys "
                "come from the server's environment or .env. Empty: offline."
            ),
            examples=["openai:gpt-4o-mini"],
        ),
    ] = None
    context_mode: Annotated[
        ContextMode,
        Field(description="What each gate's model sees of earlier gates: digest or full_history."),
    ] = "digest"
    as_of: Annotated[
        str | None,
        Field(description="Review date YYYY-MM-DD when the input gives none (default: today)."),
    ] = None
    narrator: SkipJsonSchema[InstanceOf[Narrator] | None] = None
    evidence: SkipJsonSchema[InstanceOf[EvidenceStore] | None] = None
    cache_dir: SkipJsonSchema[str | None] = None
    allow_outside: SkipJsonSchema[bool] = False

    def resolved_narrator(self) -> Narrator | None:
        """The narrator of this run: the one given, else one built from ``model`` (cached).

        Raises:
            ConfigError: ``model`` cannot be built (malformed, unknown provider, no key).
        """
        if self.narrator is not None or not self.model:
            return self.narrator
        from langgraph_gates.llm import cached_narrator  # heavy import, only with a model

        return cached_narrator(self.model, self.context_mode)


# Stores shared across the nodes of runs that bring none (e.g. under `langgraph dev`), so that
# the data readiness and feature engineering gates profile a file once.
_DEFAULT_STORES: dict[tuple[str | None, str], EvidenceStore] = {}


def _context(runtime: Runtime[RunContext] | None) -> RunContext:
    ctx = getattr(runtime, "context", None)
    if isinstance(ctx, RunContext):
        return ctx
    if isinstance(ctx, Mapping):  # a plain mapping from a caller that skipped LangGraph's coercion
        known = {k: v for k, v in ctx.items() if k in RunContext.__dataclass_fields__}
        return RunContext(**known)
    return RunContext()


def _store(rc: RunContext, policy: Policy) -> EvidenceStore:
    if rc.evidence is not None:
        return rc.evidence
    key = (rc.cache_dir, policy.fingerprint())
    store = _DEFAULT_STORES.get(key)
    if store is None:
        store = EvidenceStore(policy_fingerprint=key[1], cache_dir=rc.cache_dir)
        _DEFAULT_STORES[key] = store
    return store


def _emit(event: dict[str, Any]) -> None:
    # Outside a runnable context (a node called directly in a test) there is no writer.
    with contextlib.suppress(RuntimeError):
        get_stream_writer()(event)


def dispatcher(state: ReviewState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Load and validate the dossier, fix the policy and the review date for the whole review.

    Raises:
        DossierError: no input, or an invalid dossier.
    """
    rc = _context(runtime)
    # Built first: a model string that cannot be built stops the review before any work.
    narrator = rc.resolved_narrator()
    notes: list[str] = []
    # Secrets in the input must not reach the model, the checkpoints or the reports.
    text = redact_text(state.text)[0] if state.text else state.text
    unknown: list[UnknownName] = []
    if state.dossier is not None:
        dossier, unknown = validate_dossier_unknown(
            state.dossier, source=state.dossier_path or "dossier"
        )
        base_dir = state.base_dir or str(Path.cwd())
        check_paths(
            dossier,
            base_dir,
            source=state.dossier_path or "dossier",
            allow_outside=rc.allow_outside,
        )
        source = state.dossier_source or ("file" if state.dossier_path else "mapping")
    elif state.dossier_path:
        loaded = load_dossier(state.dossier_path, allow_outside=rc.allow_outside)
        dossier, base_dir, source = loaded.dossier, loaded.base_dir, "file"
        unknown = loaded.unknown
    elif text and text.strip():
        dossier, source = _from_text(text, narrator, notes)
        base_dir = state.base_dir or str(Path.cwd())
    else:
        msg = "no input: give a dossier file (dossier_path), a dossier mapping or free text"
        raise DossierError(msg, field="dossier_path")
    if text and state.dossier is not None and not dossier.description:
        dossier = dossier.model_copy(update={"description": text})
    redacted, _ = redact_dossier_secrets(dossier.model_dump(mode="json"))
    policy = policy_from_mapping(state.policy)
    as_of = state.as_of or rc.as_of or dt.date.today().isoformat()
    _emit({"event": "review_started", "model": dossier.model.name, "as_of": as_of})
    return {
        "dossier": redacted,
        "text": text,
        "base_dir": base_dir,
        "policy": policy.model_dump(mode="json"),
        "as_of": as_of,
        "dossier_source": source,
        "notes": notes,
        "llm": _model_choice(rc, narrator),
        # A re-dispatched dossier was stripped already: keep what the first dispatch found.
        "unknown_fields": [
            u.model_dump(mode="json") for u in (unknown or state.unknown_fields or [])
        ],
    }


def _model_choice(rc: RunContext, narrator: Narrator | None) -> dict[str, str] | None:
    """What resume and re-run need to use the same model again (a string, never a key)."""
    name = rc.model if rc.narrator is None else getattr(narrator, "name", None)
    if not isinstance(name, str) or ":" not in name:
        return None  # offline, or a chat model object that cannot be rebuilt from a name
    settings = getattr(narrator, "settings", None)
    mode = getattr(settings, "context_mode", rc.context_mode)
    return ModelChoice(model=name, context_mode=mode).model_dump(mode="json")


def _from_text(
    text: str, narrator: Narrator | None, notes: list[str]
) -> tuple[Dossier, Literal["text", "extracted"]]:
    """The dossier for free text: extracted by the model when there is one, else text only."""
    if narrator is not None:
        try:
            extracted = narrator.extract_dossier(text)
        except Exception:  # a narrator must not raise; if one does, the review still runs
            log.exception("dossier extraction")
            extracted = None
        if extracted:
            try:
                dossier = validate_dossier(extracted, source="text (extracted by the model)")
            except DossierError as exc:
                notes.append(f"The model's extracted dossier was invalid ({exc.one_line()}).")
            else:
                notes.append("Dossier fields were extracted from free text by the model.")
                return dossier.model_copy(update={"description": text}), "extracted"
        else:
            notes.append("The model extracted no dossier fields from the free text.")
    notes.append("Reviewed from free text only: every gate lacks structured evidence.")
    return Dossier(description=text), "text"


def _draft(
    spec: GateSpec, ctx: CheckContext, findings: list[Finding], owner: str, run: int
) -> GateResult:
    try:
        sections = spec.write_sections(ctx, findings)
    except Exception as exc:  # a writing bug must not cost the gate its findings
        log.exception("sections of %s", spec.id)
        sections = {o: f"(could not be written: {type(exc).__name__})" for o in spec.outputs}
    top = key_finding(findings)
    severity = top.severity if top else Severity.LOW
    status = gate_status(findings)
    return GateResult(
        id=spec.id,
        title=spec.title,
        evidence_status=status,
        status=status,
        findings=findings,
        sections=sections,
        key_risk=f"{top.check_id}: {top.message}" if top else "No open risk found",
        more_risks=more_risks(findings, top),
        mitigation=(top.mitigation if top else "Keep monitoring; re-review on major changes."),
        owner=owner,
        severity=severity,
        due=DUE_BY_SEVERITY[severity],
        run=run,
    )


def _narrated(
    spec: GateSpec,
    result: GateResult,
    dossier: Dossier,
    earlier: Mapping[str, GateResult],
    narrator: Narrator | None,
) -> GateResult:
    """The draft with the model's narrative, when there is a model; the findings stay."""
    if narrator is None:
        return result
    try:
        narrated = narrator.narrate_gate(spec=spec, draft=result, dossier=dossier, earlier=earlier)
    except Exception as exc:  # a narrator must not raise; the gate keeps its evidence
        log.exception("narrator of %s", spec.id)
        note = f"Model narrative failed ({type(exc).__name__}); offline narrative used."
        narrated = result.model_copy(update={"notes": [*result.notes, note]})
    # The narrator may add text and propose a status; the findings stay the evidence's.
    return narrated.model_copy(
        update={"findings": result.findings, "evidence_status": result.evidence_status}
    )


class GateNode(Protocol):
    """A gate's node function, as LangGraph calls it (``runtime`` by keyword)."""

    def __call__(self, state: ReviewState, runtime: Runtime[RunContext]) -> dict[str, Any]: ...


def make_gate_node(spec: GateSpec) -> GateNode:
    """Build the node function of one gate from its spec."""

    def gate_node(state: ReviewState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        started = time.perf_counter()
        rc = _context(runtime)
        dossier = Dossier.model_validate(state.dossier or {})
        policy = Policy.model_validate(state.policy or {})
        # Keyed like ReviewState.gates (str): readers look gates up by any id they hold.
        earlier: dict[str, GateResult] = {
            g: state.gates[g] for g in GATE_IDS[: spec.number - 1] if g in state.gates
        }
        ctx = CheckContext(
            dossier=dossier,
            policy=policy,
            base_dir=Path(state.base_dir or "."),
            as_of=dt.date.fromisoformat(state.as_of) if state.as_of else dt.date.today(),
            prior=earlier,
            evidence=_store(rc, policy),
            allow_outside=rc.allow_outside,
            unknown=tuple(state.unknown_fields or ()),
        )
        owner = dossier.owners.get(spec.id) or spec.default_owner
        with gate_span(spec.id) as span:
            findings = [f for check in spec.checks for f in run_check(check, ctx, owner=owner)]
            result = _draft(spec, ctx, findings, owner, state.run)
            result = _narrated(spec, result, dossier, earlier, rc.resolved_narrator())
            result = apply_override(result, latest_overrides(state.overrides).get(spec.id))
            span.finish(result, cited_file_hashes(ctx.base_dir, result) if span.recording else {})
        result = result.model_copy(update={"duration_s": round(time.perf_counter() - started, 4)})
        _emit(
            {
                "event": "gate_completed",
                "gate": spec.id,
                "number": spec.number,
                "title": spec.title,
                "status": result.status.value,
                "key_risk": result.key_risk,
                "more_risks": result.more_risks,
                "duration_s": result.duration_s,
            }
        )
        # Plain JSON: node outputs are checkpointed as pending writes before any reducer runs.
        return {"gates": {spec.id: result.model_dump(mode="json")}}

    gate_node.__name__ = spec.id
    return gate_node


def offline_summary(gates: Mapping[str, GateResult], rationale: str) -> list[str]:
    """A heuristic executive summary from the gate results (the seed's 'refine manually')."""
    counts = {s: sum(1 for g in gates.values() if g.status is s) for s in Status}
    outcomes = {o: 0 for o in Outcome}
    for g in gates.values():
        for f in g.findings:
            outcomes[f.outcome] += 1
    lines = [
        rationale,
        f"{counts[Status.PASS]} gate(s) pass, {counts[Status.CONDITIONAL]} conditional, "
        f"{counts[Status.FAIL]} fail; checks: "
        + ", ".join(f"{n} {o.value}" for o, n in outcomes.items() if n)
        + ".",
    ]
    blockers = [
        (spec.table_name, f)
        for spec in GATES
        if spec.id in gates
        for f in gates[spec.id].findings
        if f.outcome is Outcome.FAIL
    ]
    for table_name, f in blockers[:5]:
        lines.append(f"{table_name}: {f.message}")
    if len(blockers) > 5:
        lines.append(f"... and {len(blockers) - 5} more failing check(s).")
    overridden = [g for g in gates.values() if g.override is not None]
    for g in overridden:
        o = g.override
        assert o is not None
        lines.append(f"{g.title}: status overridden to {o.status.value} by {o.by} ({o.reason}).")
    return lines


def formatter(state: ReviewState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Apply overrides, decide the recommendation and write the executive summary."""
    started = time.perf_counter()
    rc = _context(runtime)
    overrides = latest_overrides(state.overrides)
    gates: dict[str, GateResult] = {
        gid: apply_override(state.gates[gid], overrides.get(gid))
        for gid in GATE_IDS
        if gid in state.gates
    }
    changed = {gid: g.model_dump(mode="json") for gid, g in gates.items() if g != state.gates[gid]}
    recommendation, rationale = recommend({gid: g.status for gid, g in gates.items()})
    tokens = sum((g.tokens for g in gates.values()), TokenUsage())
    dossier = Dossier.model_validate(state.dossier or {})
    reviewed_on = dt.date.fromisoformat(state.as_of) if state.as_of else dt.date.today()
    next_date, cadence = next_review(dossier.deployment.mlops_level, reviewed_on)
    outcome = ReviewOutcome(
        recommendation=recommendation,
        rationale=rationale,
        executive_summary=offline_summary(gates, rationale),
        tokens=tokens,
        completed_at=utc_now(),
        run=state.run,
        key_metrics=key_metrics(gates),
        evidence=evidence_hashes(
            dossier, state.base_dir or ".", allow_outside=rc.allow_outside
        ),
        next_review=next_date,
        review_cadence=cadence,
    )
    narrator = rc.resolved_narrator()
    if narrator is not None:
        try:
            narrated = narrator.narrate_outcome(draft=outcome, gates=gates, dossier=dossier)
        except Exception:  # a narrator must not raise; keep the heuristic summary
            log.exception("narrator of the executive summary")
            narrated = outcome
        # The model writes the summary; the recommendation stays the evidence's.
        outcome = narrated.model_copy(
            update={"recommendation": recommendation, "rationale": rationale}
        )
    elapsed = sum(g.duration_s for g in gates.values()) + (time.perf_counter() - started)
    outcome = outcome.model_copy(update={"elapsed_s": round(elapsed, 3)})
    _emit({"event": "review_completed", "recommendation": outcome.recommendation.value})
    return {"gates": changed, "outcome": outcome.model_dump(mode="json")}
