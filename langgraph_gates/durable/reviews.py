"""The durable-review operations: start, resume, edit, rerun, and the read-only queries.

A review is one LangGraph thread (the review id is the thread id) whose every step is
checkpointed (``durability="sync"``). :class:`Reviews` is the one way a review runs: the
``review()`` function, ``gates review`` and the durable commands are thin callers.

    >>> from langgraph_gates.durable import open_reviews
    >>> with open_reviews(".gates/reviews.sqlite") as reviews:          # doctest: +SKIP
    ...     reviews.start("dossier.yaml", review_id="churn-7", pause_after=["data_readiness"])
    ...     reviews.edit("churn-7", {"data.labeling_qc": "Two annotators"}, by="ana")
    ...     reviews.resume("churn-7", approve=True, by="ana")
    ...     reviews.rerun("churn-7", from_gate="feature_engineering", by="ana")
    ...     print(reviews.diff("churn-7").render())
How the operations map onto LangGraph is told in :mod:`langgraph_gates.durable`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import START
from pydantic import ValidationError

from langgraph_gates.checkpoint import DEFAULT_DB, open_checkpointer
from langgraph_gates.dossier import Dossier
from langgraph_gates.durable._common import (
    check_gates,
    human_text,
    id_taken,
    require_name_and_reason,
    reviewer,
    utc_now,
)
from langgraph_gates.durable._diff import review_diff
from langgraph_gates.durable._drive import drive, with_saved_model
from langgraph_gates.durable._edits import (
    affected_gates,
    audit_dump,
    changed_fields,
    edited_dossier,
    make_overrides,
)
from langgraph_gates.durable._input import prepare_input
from langgraph_gates.durable._lease import DEFAULT_LEASE_TTL, leases_for
from langgraph_gates.durable._resume_step import ResumeStep
from langgraph_gates.durable._tree import (
    GATE_INDEX,
    META_ALLOW_OUTSIDE,
    META_PAUSE_AFTER,
    NODE_INDEX,
    Tree,
    as_state,
    checkpoint_id,
    config_for,
    first_to_rerun,
    history_of,
    position_of,
    prev_node,
    report_of,
    run_metadata,
    split_gates,
    summaries,
    thread_ids,
)
from langgraph_gates.durable.models import (
    EditResult,
    ProgressCallback,
    ReviewDiff,
    ReviewHistory,
    ReviewStatus,
    ReviewSummary,
)
from langgraph_gates.errors import ConfigError, ReviewStateError
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.graph import build_graph
from langgraph_gates.narrator import Narrator
from langgraph_gates.nodes import RunContext
from langgraph_gates.policy import Policy, policy_from_mapping
from langgraph_gates.report import ReviewReport
from langgraph_gates.state import (
    GATE_IDS,
    AuditEntry,
    Override,
    ReviewState,
    Status,
)
from langgraph_gates.tracing import setup_tracing

__all__ = ["Reviews", "open_reviews"]


class Reviews:
    """The durable-review operations on one checkpoint database.

    Open one with :func:`open_reviews` (which also closes the database), or wrap a checkpointer
    you manage yourself.

    Args:
        checkpointer: where reviews are checkpointed (memory, SQLite or PostgreSQL).
        cache_dir: on-disk evidence cache shared by runs, so a re-run does not recompute
            evidence of unchanged files (memory only when ``None``).
        narrator: a chat-model narrator for the gates that run. ``None``: a review started
            with a model (see ``ReviewState.llm``) resumes and re-runs with that model, others
            stay offline.
        lease_ttl: seconds a SQLite lease lives without a heartbeat, i.e. how long a review whose
            process was killed stays refused to others (PostgreSQL frees it at once).
        reuse_model: with no ``narrator``, resume and re-run with the model a review was
            started with (``False``: offline, e.g. ``gates resume --offline``).
    """

    def __init__(
        self,
        checkpointer: BaseCheckpointSaver[Any],
        *,
        cache_dir: str | Path | None = None,
        narrator: Narrator | None = None,
        lease_ttl: float = DEFAULT_LEASE_TTL,
        reuse_model: bool = True,
    ) -> None:
        self.checkpointer = checkpointer
        self.cache_dir = cache_dir
        self.narrator = narrator
        self.reuse_model = reuse_model
        self.graph = build_graph(checkpointer)
        setup_tracing()  # OpenTelemetry export when OTEL_EXPORTER_OTLP_ENDPOINT is set
        self._stores: dict[str, EvidenceStore] = {}
        # One writer per review: start, resume, rerun and edit run under the review's lease.
        self._leases = leases_for(checkpointer, ttl=lease_ttl)

    # ---- reading

    def evidence_for(self, policy: Policy) -> EvidenceStore:
        """The evidence store used for reviews under this policy (one per fingerprint)."""
        fp = policy.fingerprint()
        store = self._stores.get(fp)
        if store is None:
            store = EvidenceStore(policy_fingerprint=fp, cache_dir=self.cache_dir)
            self._stores[fp] = store
        return store

    def _tree(self, review_id: str) -> Tree:
        tree = Tree(list(self.graph.get_state_history(config_for(review_id))))
        if tree.head is None or not tree.head.values:
            raise ReviewStateError("no review with this id in the database", source=review_id)
        return tree

    def exists(self, review_id: str) -> bool:
        """Whether the database holds a review with this id."""
        return bool(self.graph.get_state(config_for(review_id)).values)

    def status(self, review_id: str) -> ReviewStatus:
        """Where a review stands.

        Raises:
            ReviewStateError: no review with this id.
        """
        return self._status(review_id, self._tree(review_id), executed=[], notes=[])

    def _status(
        self, review_id: str, tree: Tree, *, executed: list[str], notes: list[str]
    ) -> ReviewStatus:
        head = tree.head
        assert head is not None
        values = dict(head.values)
        outcome = values.get("outcome") or {}
        gates = values.get("gates") or {}
        return ReviewStatus(
            review_id=review_id,
            run=int(values.get("run") or 1),
            next=tuple(head.next),
            completed_gates=[g for g in GATE_IDS if g in gates],
            executed=executed,
            stale_gates=tree.stale_gates(),
            recommendation=outcome.get("recommendation"),
            notes=notes,
            values=values,
        )

    def report(self, review_id: str, *, run: int | None = None) -> ReviewReport:
        """The report of a finished review (of its latest run, or of ``run``).

        Raises:
            ReviewStateError: no such review or run, or it has not finished.
        """
        return report_of(review_id, self._tree(review_id), run)

    def history(self, review_id: str) -> ReviewHistory:
        """The runs of a review and all its checkpoints, forks included (oldest first).

        Raises:
            ReviewStateError: no review with this id.
        """
        return history_of(review_id, self._tree(review_id))

    def diff(
        self, review_id: str, run_a: int | None = None, run_b: int | None = None
    ) -> ReviewDiff:
        """Status and finding changes per gate between two runs (default: the last two).

        Raises:
            ReviewStateError: no such review or run, or only one run to compare.
        """
        return review_diff(review_id, self._tree(review_id), run_a, run_b)

    def list_reviews(self) -> list[ReviewSummary]:
        """Every review in the database, most recently updated first."""
        return summaries(self.graph, thread_ids(self.checkpointer))

    # ---- running

    def _context(self, values: Mapping[str, Any], allow_outside: bool) -> RunContext:
        policy = policy_from_mapping(values.get("policy"))
        return RunContext(
            narrator=self.narrator, evidence=self.evidence_for(policy), allow_outside=allow_outside
        )

    def _later_context(
        self, values: Mapping[str, Any], allow_outside: bool, notes: list[str]
    ) -> RunContext:
        """The context of a resume or re-run: the saved model unless told otherwise (noted).

        Raises:
            ConfigError: the saved model cannot be built (nothing was written yet).
        """
        context = self._context(values, allow_outside)
        if self.narrator is not None:
            return context
        return with_saved_model(context, values, reuse=self.reuse_model, notes=notes)

    def start(
        self,
        dossier: str | Path | Mapping[str, Any] | Dossier | None = None,
        *,
        text: str | None = None,
        policy: Policy | Mapping[str, Any] | str | Path | None = None,
        review_id: str | None = None,
        pause_after: Sequence[str] = (),
        base_dir: str | Path | None = None,
        as_of: str | None = None,
        allow_outside: bool = False,
        strict: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> ReviewStatus:
        """Start a review; it runs to the end or to the first gate in ``pause_after``.

        This is the one way a review starts: :func:`~langgraph_gates.review` and
        ``gates review`` call it.

        Args:
            dossier: a dossier file path, a mapping, or a :class:`Dossier`.
            text: free-text description (alone, or added to the dossier).
            policy: a :class:`Policy`, a partial mapping, or a YAML policy file.
            review_id: the thread id (a new one if not given).
            pause_after: gate ids to pause after (kept for later ``resume`` calls).
            base_dir: folder that relative paths of a mapping dossier resolve against.
            as_of: review date (ISO) for freshness checks; today by default.
            allow_outside: let dossier paths leave the dossier's folder.
            strict: refuse a dossier with fields the format does not know.
            on_progress: called with each progress event: ``review_submitted`` (with the
                review id, the model's name and the unknown dossier fields) once the id is
                taken, then the graph's own (``review_started``, ``gate_completed`` ...).

        Raises:
            GatesError: invalid input, an unknown gate, a review with this id exists, or another
                process is starting it.
        """
        pauses = check_gates(pause_after, "pause_after")
        payload = prepare_input(
            dossier,
            text=text,
            policy=policy,
            base_dir=base_dir,
            as_of=as_of,
            allow_outside=allow_outside,
            strict=strict,
        )
        thread = review_id or uuid.uuid4().hex[:12]
        with self._leases.hold(thread):
            if self.exists(thread):
                raise id_taken(thread)
            payload["review_id"] = thread
            if on_progress is not None:
                model = (payload.get("dossier") or {}).get("model") or {}
                on_progress(
                    {
                        "event": "review_submitted",
                        "review_id": thread,
                        "model": model.get("name"),
                        "unknown_fields": payload.get("unknown_fields") or [],
                    }
                )
            config = config_for(thread, meta=run_metadata(pauses, allow_outside))
            context = self._context(payload, allow_outside)
            executed = drive(self.graph, payload, config, context, pauses, on_progress, payload)
            return self._status(thread, self._tree(thread), executed=executed, notes=[])

    def resume(
        self,
        review_id: str,
        *,
        approve: bool = False,
        overrides: Mapping[str, Status | str] | None = None,
        by: str | None = None,
        reason: str | None = None,
        pause_after: Sequence[str] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> ReviewStatus:
        """Go on with a paused (or interrupted) review, recording the human's decision.

        A paused review continues after its pause; gates already computed from dossier fields
        that were edited since are re-run first. On a finished review, ``overrides`` re-run only
        the formatter, so the recommendation reflects them.

        Args:
            review_id: the review.
            approve: record that the reviewer approves the gates so far.
            overrides: gate id -> status (Pass, Conditional, Fail) to impose; needs ``by`` and
                ``reason``.
            by: who acts (the OS user when not given; required with overrides).
            reason: why (required with overrides).
            pause_after: replace the review's pause plan (default: keep it).
            on_progress: called with each progress event.

        Raises:
            GatesError: no such review, an unknown gate or status, an override without a
                name or reason, or another process driving the review.
        """
        overrides = dict(overrides or {})
        require_name_and_reason(overrides, by, reason)
        with self._leases.hold(review_id):
            tree = self._tree(review_id)
            head = tree.head
            assert head is not None
            state = as_state(head.values)
            who, why, at = reviewer(by), human_text(reason), utc_now()
            made, entries = make_overrides(state, overrides, who, why, at)
            plan = (
                check_gates(pause_after, "pause_after")
                if pause_after is not None
                else split_gates(tree.setting(META_PAUSE_AFTER))
            )
            position = position_of(head)
            allow_outside = bool(tree.setting(META_ALLOW_OUTSIDE))
            model_notes: list[str] = []
            context = self._later_context(head.values, allow_outside, model_notes)
            step = ResumeStep(
                review_id=review_id,
                tree=tree,
                approve=approve,
                who=who,
                why=why,
                at=at,
                made=made,
                entries=entries,
                plan=plan,
                allow_outside=allow_outside,
                stale=tree.resume_stale() if position else tree.stale_gates(),
                done=[g for g in GATE_IDS if g in state.gates],
                on_progress=on_progress,
                context=context,
                model_notes=model_notes,
            )
            if position is None:
                return self._resume_finished(step)
            if position == START:
                return self._resume_unstarted(step)
            return self._resume_paused(step, position)

    def _resume_finished(self, step: ResumeStep) -> ReviewStatus:
        """A finished review: overrides re-run only the formatter; without any, nothing runs."""
        notes: list[str] = []
        if not step.made:
            notes.append("the review is finished; nothing to resume")
            if step.stale:
                notes.append(
                    f"{', '.join(step.stale)} read fields edited since they ran: "
                    f"`gates rerun {step.review_id}` re-runs from {step.stale[0]}"
                )
            return self._status(step.review_id, step.tree, executed=[], notes=notes)
        audit = step.entries
        if step.approve:
            approval = AuditEntry(
                at=step.at, by=step.who, action="approve", detail="the finished review",
                reason=step.why,
            )
            audit = [approval, *step.entries]
        config = self._record(step, audit, as_node=GATE_IDS[-1])
        notes.append("overrides applied: only the formatter re-ran")
        if step.stale:
            notes.append(
                f"{', '.join(step.stale)} read fields edited since they ran: "
                f"`gates rerun {step.review_id}` refreshes them"
            )
        return self._go_on(step, config, [], notes)

    def _resume_unstarted(self, step: ResumeStep) -> ReviewStatus:
        """A review killed before the dispatcher took its input: run it from the start."""
        if step.made:
            msg = "the review has not started yet: resume it first, then override"
            raise ReviewStateError(msg, source=step.review_id)
        return self._go_on(step, config_for(step.review_id), step.plan, [])

    def _resume_paused(self, step: ResumeStep, position: str) -> ReviewStatus:
        """A paused or interrupted review: record the decision, re-run stale gates, go on."""
        notes: list[str] = []
        pauses = [g for g in step.plan if NODE_INDEX[g] >= NODE_INDEX[position]]
        action: Literal["approve", "resume"] = "approve" if step.approve else "resume"
        detail = f"after {step.done[-1]}" if step.done else "before the first gate"
        audit = [
            AuditEntry(at=step.at, by=step.who, action=action, detail=detail, reason=step.why),
            *step.entries,
        ]
        if step.stale:
            notes.append(
                f"{', '.join(step.stale)} read fields edited since they ran: "
                f"re-running from {step.stale[0]}"
            )
            run = as_state(step.head.values).run
            config = self._fork(
                step.tree, step.stale[0], run=run, overrides=step.made, audit=audit, meta=step.meta
            )
        else:
            config = self._record(step, audit, as_node=prev_node(position))
        return self._go_on(step, config, pauses, notes)

    def _record(
        self, step: ResumeStep, audit: Sequence[AuditEntry], *, as_node: str
    ) -> RunnableConfig:
        """Write the decision (overrides and audit) on the head checkpoint, as ``as_node``."""
        update = {
            "overrides": [o.model_dump(mode="json") for o in step.made],
            "audit": audit_dump(audit),
        }
        self._validate(step.head.values, update)
        return self.graph.update_state(
            config_for(step.review_id, checkpoint_id(step.head.config), step.meta),
            update,
            as_node=as_node,
        )

    def _go_on(
        self, step: ResumeStep, config: RunnableConfig, pauses: Sequence[str], notes: list[str]
    ) -> ReviewStatus:
        run_config = config.copy()
        run_config["metadata"] = step.meta
        executed = drive(
            self.graph, None, run_config, step.context, pauses, step.on_progress, step.head.values
        )
        tree = self._tree(step.review_id)
        return self._status(
            step.review_id, tree, executed=executed, notes=[*step.model_notes, *notes]
        )

    def _validate(self, values: Mapping[str, Any], update: Mapping[str, Any]) -> None:
        # update_state accepts anything and later reads of the thread would fail: check first.
        merged = dict(values)
        for key, value in update.items():
            if key in ("overrides", "audit"):
                merged[key] = list(values.get(key) or []) + list(value)
            else:
                merged[key] = value
        try:
            ReviewState.model_validate(merged)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ReviewStateError(f"refused: {err['msg']}", field=field) from None

    def _fork(
        self,
        tree: Tree,
        gate: str,
        *,
        run: int,
        overrides: Sequence[Override],
        audit: Sequence[AuditEntry],
        meta: Mapping[str, Any],
    ) -> RunnableConfig:
        """Write a fork before ``gate`` carrying the head's human input; return its config."""
        head = tree.head
        assert head is not None
        base = tree.input_of(gate)
        if base is None:
            msg = f"{gate} has not run on this review yet; `gates resume` goes on"
            raise ReviewStateError(msg, field="--from")
        values = head.values
        update = {
            "dossier": values.get("dossier"),
            "run": run,
            "outcome": None,
            # The reducers append without duplicates, so carrying the whole lists is safe.
            "overrides": list(values.get("overrides") or [])
            + [o.model_dump(mode="json") for o in overrides],
            "audit": list(values.get("audit") or []) + audit_dump(audit),
        }
        merged = {**base.values, **update}
        self._validate(merged, {})
        review_id = str(base.config["configurable"]["thread_id"])
        return self.graph.update_state(
            config_for(review_id, checkpoint_id(base.config), meta), update, as_node=prev_node(gate)
        )

    def edit(
        self,
        review_id: str,
        changes: Mapping[str, Any],
        *,
        by: str | None = None,
        reason: str | None = None,
    ) -> EditResult:
        """Change dossier fields of a review; nothing is re-run yet.

        The whole dossier is validated (and its paths checked) before anything is written: an
        invalid edit raises and leaves the review untouched.

        Args:
            review_id: the review.
            changes: dotted path -> value, e.g. ``{"data.labeling_qc": "two annotators"}``.
            by: who edits (the OS user when not given).
            reason: why (optional).

        Returns:
            The changed fields, and the gates that read them (``stale``: already computed,
            to be re-run by ``resume`` of a paused review or by ``rerun``).

        Raises:
            GatesError: no such review, or an edit that makes the dossier invalid.
        """
        if not changes:
            raise ConfigError(
                "nothing to change: give at least one --set path=value", field="--set"
            )
        with self._leases.hold(review_id):
            tree = self._tree(review_id)
            head = tree.head
            assert head is not None
            current = dict(head.values.get("dossier") or {})
            new = edited_dossier(
                current,
                changes,
                review_id=review_id,
                base_dir=head.values.get("base_dir") or ".",
                allow_outside=bool(tree.setting(META_ALLOW_OUTSIDE)),
            )
            diff = changed_fields(current, new)
            position = position_of(head)
            if not diff:
                finished = position is None
                return EditResult(review_id=review_id, finished=finished, next=tuple(head.next))
            entry = AuditEntry(
                at=utc_now(),
                by=reviewer(by),
                action="edit",
                detail="; ".join(c.describe(50) for c in diff),
                reason=human_text(reason),
            )
            update = {"dossier": new, "audit": [entry.model_dump(mode="json")]}
            self._validate(head.values, update)
            if position == START:
                raise ReviewStateError(
                    "the review has not started yet; resume it before editing", source=review_id
                )
            as_node = prev_node(position) if position else "formatter"
            # No run settings in this checkpoint's metadata: it marks a human edit, not a run, so
            # `resume` can tell edits made during a pause (see Tree.pending_changes).
            self.graph.update_state(
                config_for(review_id, checkpoint_id(head.config)), update, as_node=as_node
            )
            tree = self._tree(review_id)
            return EditResult(
                review_id=review_id,
                changes=diff,
                affected=affected_gates(diff),
                stale=tree.stale_gates(),
                rerun_on_resume=tree.resume_stale() if position else [],
                finished=position is None,
                next=tuple(head.next),
            )

    def rerun(
        self,
        review_id: str,
        *,
        from_gate: str | None = None,
        by: str | None = None,
        reason: str | None = None,
        pause_after: Sequence[str] = (),
        on_progress: ProgressCallback | None = None,
    ) -> ReviewStatus:
        """Re-run a review from a gate as a new run; earlier runs stay in the history.

        Gates before ``from_gate`` keep their results; ``from_gate``, every later gate and the
        formatter run again with the current dossier and overrides.

        Args:
            review_id: the review.
            from_gate: the first gate to re-run; default: the earliest gate that reads a field
                edited since it ran.
            by: who asks (the OS user when not given).
            reason: why (optional).
            pause_after: gates to pause after in this run.
            on_progress: called with each progress event.

        Raises:
            GatesError: no such review, an unknown gate, a gate that has not run yet, or no
                ``from_gate`` and no edit to re-run for.
        """
        pauses = check_gates(pause_after, "pause_after")
        with self._leases.hold(review_id):
            tree = self._tree(review_id)
            head = tree.head
            assert head is not None
            stale = tree.stale_gates()
            from_gate, notes = first_to_rerun(review_id, stale, from_gate)
            run = max(tree.runs()) + 1
            edited = [g for g in stale if GATE_INDEX[g] >= GATE_INDEX[from_gate]]
            detail = f"run {run} from {from_gate}" + (
                f" (edited fields read by {', '.join(edited)})" if edited else ""
            )
            entry = AuditEntry(
                at=utc_now(),
                by=reviewer(by),
                action="rerun",
                detail=detail,
                reason=human_text(reason),
            )
            allow_outside = bool(tree.setting(META_ALLOW_OUTSIDE))
            context = self._later_context(head.values, allow_outside, notes)
            pauses = [g for g in pauses if GATE_INDEX[g] >= GATE_INDEX[from_gate]]
            meta = run_metadata(pauses, allow_outside)
            config = self._fork(tree, from_gate, run=run, overrides=[], audit=[entry], meta=meta)
            config["metadata"] = meta
            executed = drive(self.graph, None, config, context, pauses, on_progress, head.values)
            return self._status(review_id, self._tree(review_id), executed=executed, notes=notes)


@contextmanager
def open_reviews(
    db: str | Path | None = DEFAULT_DB,
    *,
    cache_dir: str | Path | None = None,
    narrator: Narrator | None = None,
    lease_ttl: float = DEFAULT_LEASE_TTL,
    reuse_model: bool = True,
) -> Iterator[Reviews]:
    """Open the reviews of a database and close it on exit.

    Args:
        db: ``":memory:"``, a SQLite path (``.gates/reviews.sqlite`` by default) or a
            ``postgresql://`` URL.
        cache_dir: on-disk evidence cache (memory only when ``None``).
        narrator: a chat-model narrator; ``None`` stays offline.
        lease_ttl: seconds a SQLite lease lives without a heartbeat (see :class:`Reviews`).
        reuse_model: resume and re-run with the model a review was started with when no
            ``narrator`` is given (see :class:`Reviews`).

    Raises:
        ConfigError: the database cannot be opened.
    """
    with open_checkpointer(db) as saver:
        yield Reviews(
            saver,
            cache_dir=cache_dir,
            narrator=narrator,
            lease_ttl=lease_ttl,
            reuse_model=reuse_model,
        )
