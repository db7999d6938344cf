"""The checkpoint tree of a review: LangGraph configs, the current branch, runs and staleness.

History is a tree: ``get_state_history`` mixes every fork, so the branch that matters is
walked through ``parent_config`` from the head instead of searched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import START
from langgraph.types import StateSnapshot
from pydantic import ValidationError

from langgraph_gates.durable._common import unknown_gate
from langgraph_gates.durable._edits import affected_gates, changed_fields
from langgraph_gates.durable.models import (
    CheckpointInfo,
    FieldChange,
    ReviewHistory,
    ReviewSummary,
    RunInfo,
)
from langgraph_gates.errors import ConfigError, ReviewStateError
from langgraph_gates.gates import GATES, GATES_BY_ID
from langgraph_gates.graph import NODE_ORDER
from langgraph_gates.report import ReviewReport
from langgraph_gates.state import GATE_IDS, ReviewState

__all__ = [
    "GATE_INDEX",
    "META_ALLOW_OUTSIDE",
    "META_PAUSE_AFTER",
    "NODE_INDEX",
    "Tree",
    "as_state",
    "checkpoint_id",
    "config_for",
    "describe",
    "first_to_rerun",
    "history_of",
    "position_of",
    "prev_node",
    "report_of",
    "run_metadata",
    "split_gates",
    "summaries",
    "thread_ids",
]

# Checkpoint metadata keys that carry a review's run settings across processes. LangGraph copies
# scalar values of ``config["metadata"]`` into every checkpoint a call writes.
META_PAUSE_AFTER = "gates_pause_after"
META_ALLOW_OUTSIDE = "gates_allow_outside"

# Keyed by str: the ids looked up here come from checkpoints and the command line.
GATE_INDEX: dict[str, int] = {g: i for i, g in enumerate(GATE_IDS)}
NODE_INDEX = {n: i for i, n in enumerate(NODE_ORDER)}


def run_metadata(pause_after: Sequence[str], allow_outside: bool) -> dict[str, Any]:
    """Checkpoint metadata that carries a review's run settings to later processes.

    Args:
        pause_after: gate ids to pause after.
        allow_outside: whether dossier paths may leave the dossier's folder.
    """
    return {META_PAUSE_AFTER: ",".join(pause_after), META_ALLOW_OUTSIDE: bool(allow_outside)}


def as_state(values: Mapping[str, Any]) -> ReviewState:
    """The checkpointed values as a validated state.

    Raises:
        ReviewStateError: a checkpoint this version cannot read.
    """
    try:
        return ReviewState.model_validate(dict(values))
    except ValidationError as exc:  # a checkpoint written by another version
        msg = f"the stored review state is not readable ({exc.errors()[0]['msg']})"
        raise ReviewStateError(msg) from None


def config_for(
    review_id: str, checkpoint_id: str | None = None, meta: Mapping[str, Any] | None = None
) -> RunnableConfig:
    """The LangGraph config of a review (at a checkpoint, with run-settings metadata)."""
    configurable: dict[str, Any] = {"thread_id": review_id}
    if checkpoint_id:
        configurable |= {"checkpoint_ns": "", "checkpoint_id": checkpoint_id}
    config = RunnableConfig(configurable=configurable)
    if meta:
        config["metadata"] = dict(meta)
    return config


def checkpoint_id(config: Mapping[str, Any] | None) -> str | None:
    """The checkpoint id a LangGraph config points at (``None``: the thread's head)."""
    if not config:
        return None
    return config.get("configurable", {}).get("checkpoint_id")


def prev_node(node: str) -> str:
    """The node whose completion makes ``node`` run next (the ``as_node`` for update_state)."""
    index = NODE_INDEX[node]
    return NODE_ORDER[index - 1] if index > 0 else START


def position_of(snapshot: StateSnapshot) -> str | None:
    """The node a waiting review runs next (``None`` when finished)."""
    return snapshot.next[0] if snapshot.next else None


def ran_node(parent: StateSnapshot | None) -> str | None:
    """The node whose writes produced a ``loop`` checkpoint: what its parent ran next."""
    if parent is not None and parent.next:
        return parent.next[0]
    return None


class Tree:
    """Every checkpoint of one review, indexed, with the current branch walked from the head."""

    def __init__(self, snapshots: Sequence[StateSnapshot]) -> None:
        self.by_id: dict[str, StateSnapshot] = {}
        for snap in snapshots:
            cid = checkpoint_id(snap.config)
            if cid:
                self.by_id[cid] = snap
        # Checkpoint ids are time-ordered (uuid6): the newest is the head of the newest branch.
        self.ordered = sorted(self.by_id.values(), key=lambda s: checkpoint_id(s.config) or "")
        self.head = self.ordered[-1] if self.ordered else None
        self.branch: list[StateSnapshot] = []
        node = self.head
        while node is not None:
            self.branch.append(node)
            parent_id = checkpoint_id(node.parent_config)
            node = self.by_id.get(parent_id) if parent_id else None

    def parent(self, snap: StateSnapshot) -> StateSnapshot | None:
        parent_id = checkpoint_id(snap.parent_config)
        return self.by_id.get(parent_id) if parent_id else None

    def input_of(self, gate: str) -> StateSnapshot | None:
        """The latest checkpoint on the branch from which ``gate`` runs (its input)."""
        return next((s for s in self.branch if s.next == (gate,)), None)

    def setting(self, key: str) -> Any:
        """The newest value of a run-settings metadata key along the branch."""
        for snap in self.branch:
            # Run settings are our own keys, outside CheckpointMetadata's declared ones.
            metadata: Mapping[str, Any] = snap.metadata or {}
            if key in metadata:
                return metadata[key]
        return None

    def gate_inputs(self) -> dict[str, dict[str, Any]]:
        """For each gate whose result the head holds: the dossier it was computed from."""
        assert self.head is not None
        done = set((self.head.values.get("gates") or {}).keys())
        out: dict[str, dict[str, Any]] = {}
        for snap in self.branch:
            gate = snap.next[0] if len(snap.next) == 1 else None
            if gate is not None and gate in done and gate not in out:
                out[gate] = snap.values.get("dossier") or {}
        return out

    def stale_gates(self) -> list[str]:
        """Gates (in review order) computed from a dossier whose relevant fields changed since."""
        assert self.head is not None
        current = self.head.values.get("dossier") or {}
        stale = []
        for gate, seen in self.gate_inputs().items():
            if gate in affected_gates(changed_fields(seen, current)):
                stale.append(gate)
        return sorted(stale, key=GATE_INDEX.__getitem__)

    def pending_changes(self) -> list[FieldChange]:
        """Dossier edits made since the review last ran (while paused, or after it finished).

        The baseline is the newest checkpoint on the branch written by a running call: one a
        node wrote, or one a run wrote with its settings (a fork). ``edit`` writes neither.
        """
        assert self.head is not None
        current = self.head.values.get("dossier") or {}
        for snap in self.branch:
            meta = snap.metadata or {}
            if META_PAUSE_AFTER in meta or meta.get("source") in ("loop", "input"):
                return changed_fields(snap.values.get("dossier") or {}, current)
        return []

    def resume_stale(self) -> list[str]:
        """Stale gates that ``resume`` re-runs: those that read a field edited during the pause.

        Gates a re-run deliberately kept (``--from`` a later gate) stay as they are; a killed
        process's review continues where it stopped.
        """
        pending = set(affected_gates(self.pending_changes()))
        return [g for g in self.stale_gates() if g in pending]

    def run_result(self, run: int) -> StateSnapshot | None:
        """A run's result: its newest checkpoint written by a node.

        Human updates after it are pending, not part of the run.
        """
        of_run = [s for s in self.ordered if (s.values.get("run") or 1) == run]
        by_node = [s for s in of_run if (s.metadata or {}).get("source") == "loop"]
        pool = by_node or of_run
        return pool[-1] if pool else None

    def runs(self) -> list[int]:
        return sorted({int(s.values.get("run") or 1) for s in self.ordered if s.values})


def split_gates(value: Any) -> list[str]:
    """The gate ids of a stored pause plan (``"a,b"``); unknown ones are dropped."""
    if not value or not isinstance(value, str):
        return []
    return [g for g in value.split(",") if g in GATES_BY_ID]


def describe(snap: StateSnapshot, parent: StateSnapshot | None) -> str:
    """What produced a checkpoint, in words (``ran data_readiness: Pass``, ``ana edit ...``)."""
    source = (snap.metadata or {}).get("source")
    if source == "input":
        return "review submitted"
    if source == "loop":
        node = ran_node(parent)
        if node is None or node == START:
            return "input read"
        if node in GATES_BY_ID:
            status = ((snap.values.get("gates") or {}).get(node) or {}).get("status")
            return f"ran {node}" + (f": {status}" if status else "")
        if node == "formatter":
            rec = (snap.values.get("outcome") or {}).get("recommendation")
            return f"ran formatter: {rec}" if rec else "ran formatter"
        return f"ran {node}"
    before = (parent.values.get("audit") or []) if parent is not None else []
    new = [a for a in (snap.values.get("audit") or []) if a not in before]
    # A fork carries the audit of the branch it leaves; the action that made it is the
    # last group of entries (one human action writes its entries with one timestamp).
    new = [a for a in new if a.get("at") == new[-1].get("at")] if new else []
    if new:
        return "; ".join(
            f"{a['by']} {a['action']}" + (f" {a['detail']}" if a.get("detail") else "")
            for a in new
        )
    return "state updated" if source == "update" else str(source or "")


def thread_ids(saver: BaseCheckpointSaver[Any]) -> list[str]:
    """Every thread id in a checkpointer; one query where the saver allows it."""
    from langgraph.checkpoint.memory import InMemorySaver

    if isinstance(saver, InMemorySaver):
        return list(saver.storage)
    query = "SELECT DISTINCT thread_id FROM checkpoints WHERE checkpoint_ns = ''"
    try:
        from langgraph.checkpoint.sqlite import SqliteSaver

        if isinstance(saver, SqliteSaver):
            with saver.lock:
                return [row[0] for row in saver.conn.execute(query).fetchall()]
    except ImportError:  # pragma: no cover - the SQLite saver is a dependency
        pass
    try:
        from langgraph.checkpoint.postgres import PostgresSaver

        if isinstance(saver, PostgresSaver):
            from psycopg_pool import ConnectionPool

            conn = saver.conn
            if isinstance(conn, ConnectionPool):
                with conn.connection() as pooled:
                    rows = pooled.execute(query).fetchall()
            else:
                with saver.lock:
                    rows = conn.execute(query).fetchall()
            return [row["thread_id"] if isinstance(row, dict) else row[0] for row in rows]
    except ImportError:  # pragma: no cover
        pass
    return list(dict.fromkeys(c.config["configurable"]["thread_id"] for c in saver.list(None)))


def history_of(review_id: str, tree: Tree) -> ReviewHistory:
    """A review's runs and all its checkpoints, forks included (oldest first)."""
    on_branch = {checkpoint_id(s.config) for s in tree.branch}
    checkpoints = [
        CheckpointInfo(
            checkpoint_id=checkpoint_id(s.config) or "",
            parent_id=checkpoint_id(s.parent_config),
            created_at=s.created_at,
            run=int(s.values.get("run") or 1) if s.values else 1,
            step=(s.metadata or {}).get("step"),
            source=str((s.metadata or {}).get("source", "")),
            next=list(s.next),
            event=describe(s, tree.parent(s)),
            on_branch=checkpoint_id(s.config) in on_branch,
        )
        for s in tree.ordered
    ]
    runs = []
    for run in tree.runs():
        of_run = [s for s in tree.ordered if s.values and (s.values.get("run") or 1) == run]
        result = tree.run_result(run)
        assert result is not None
        state = as_state(result.values)
        produced: list[str] = [
            g for g in GATE_IDS if g in state.gates and state.gates[g].run == run
        ]
        first = of_run[0]
        from_gate = produced[0] if produced else (first.next[0] if first.next else None)
        finished = not result.next and state.outcome is not None
        runs.append(
            RunInfo(
                run=run,
                started_at=first.created_at,
                updated_at=of_run[-1].created_at,
                from_gate=from_gate,
                state="finished" if finished else "waiting",
                next=list(result.next),
                recommendation=state.outcome.recommendation if state.outcome else None,
                gates_run=produced,
            )
        )
    return ReviewHistory(review_id=review_id, runs=runs, checkpoints=checkpoints)


def report_of(review_id: str, tree: Tree, run: int | None) -> ReviewReport:
    """The report of a finished review (of its latest run, or of ``run``).

    Raises:
        ReviewStateError: no such run, or it has not finished.
    """
    snap = tree.head if run is None else tree.run_result(run)
    if snap is None:
        msg = f"no run {run} (runs: {', '.join(map(str, tree.runs()))})"
        raise ReviewStateError(msg, source=review_id)
    if snap.next or not snap.values.get("outcome"):
        where = snap.next[0] if snap.next else "the formatter"
        done = len(snap.values.get("gates") or {})
        if run is not None and snap is not tree.run_result(max(tree.runs())):
            msg = f"run {run} stopped before {where} and was never finished"
        else:
            msg = (
                f"the review is waiting before {where} ({done} of {len(GATES)} gates done); "
                f"`gates resume {review_id}` goes on"
            )
        raise ReviewStateError(msg, source=review_id)
    return ReviewReport.from_state(snap.values, review_id=review_id)


def first_to_rerun(
    review_id: str, stale: list[str], from_gate: str | None
) -> tuple[str, list[str]]:
    """Pick the gate a re-run starts at, with notes on the stale gates it keeps.

    The default start is the earliest stale gate; the notes cover the stale gates before it.

    Raises:
        ReviewStateError: no ``from_gate`` and no stale gate.
        ConfigError: an unknown ``from_gate``.
    """
    if from_gate is None:
        if not stale:
            msg = (
                "no gate reads a field edited since it ran: nothing to re-run "
                "(give --from GATE to re-run anyway)"
            )
            raise ReviewStateError(msg, source=review_id)
        from_gate = stale[0]
    elif from_gate not in GATES_BY_ID:
        raise ConfigError(unknown_gate(from_gate), field="--from")
    notes = []
    skipped = [g for g in stale if GATE_INDEX[g] < GATE_INDEX[from_gate]]
    if skipped:
        notes.append(
            f"{', '.join(skipped)} read edited fields but come before {from_gate}: "
            "their results are kept as they were"
        )
    return from_gate, notes


def summaries(graph: Any, threads: Iterable[str]) -> list[ReviewSummary]:
    """One summary per review thread, most recently updated first."""
    out = []
    for thread in threads:
        snap = graph.get_state(config_for(thread))
        if not snap.values:
            continue
        values = snap.values
        model = (values.get("dossier") or {}).get("model") or {}
        outcome = values.get("outcome") or {}
        out.append(
            ReviewSummary(
                review_id=thread,
                model=model.get("name"),
                version=model.get("version"),
                recommendation=outcome.get("recommendation") if not snap.next else None,
                run=int(values.get("run") or 1),
                state=f"waiting before {snap.next[0]}" if snap.next else "finished",
                updated_at=snap.created_at,
            )
        )
    return sorted(out, key=lambda r: r.updated_at or "", reverse=True)
