"""Durable reviews: pause, resume, human edits and overrides, re-runs, history and diffs.

A review is one LangGraph thread (the review id is the thread id) whose every step is
checkpointed (``durability="sync"``). This module is the Python face of SPEC section 5; the
``gates resume | edit | rerun | history | diff | show | list`` commands are thin wrappers.

    >>> from langgraph_gates.reviews import open_reviews
    >>> with open_reviews(".gates/reviews.sqlite") as reviews:          # doctest: +SKIP
    ...     reviews.start("dossier.yaml", review_id="churn-7", pause_after=["data_readiness"])
    ...     reviews.edit("churn-7", {"data.labeling_qc": "Two annotators"}, by="ana")
    ...     reviews.resume("churn-7", approve=True, by="ana")
    ...     reviews.rerun("churn-7", from_gate="feature_engineering", by="ana")
    ...     print(reviews.diff("churn-7").render())

How the operations map onto LangGraph:

* **Pause**: ``interrupt_after`` the chosen gates. The pause plan is kept in the checkpoint
  metadata (``gates_pause_after``), so ``resume`` in another process keeps honouring it.
* **Human input**: every human action is written with ``update_state(..., as_node=X)`` on the
  head checkpoint together with its :class:`~langgraph_gates.state.AuditEntry`, where ``X`` is
  the node before the one that runs next, so what runs next does not change.
* **Re-run from gate k**: walk ``parent_config`` from the head to the latest checkpoint whose
  next node is k (``get_state_history`` mixes every fork, so it is not searched), write the
  current dossier, overrides, audit and ``run + 1`` there as the node before k, and go on from
  that fork. Gates before k keep their results untouched; the evidence store's disk cache keeps
  unchanged files from being recomputed.
* **Stale gates**: the dossier a gate ran with is the one in its input checkpoint. A gate is
  stale when a top-level dossier section it reads (:attr:`GateSpec.reads`) or its owner differs
  from the current dossier. ``resume`` re-runs the gates made stale by edits during the pause
  before going on (not those a re-run kept on purpose); ``rerun`` without ``from_gate`` starts
  at the earliest stale gate.
* **Runs**: ``state.run`` is 1 for the first run and grows by one per re-run. A run's result is
  its newest checkpoint written by a node, so earlier runs stay in the history and can be
  diffed.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import START
from langgraph.types import StateSnapshot
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from langgraph_gates._structured import parse_structured_text
from langgraph_gates.api import prepare_input
from langgraph_gates.checkpoint import DEFAULT_DB, open_checkpointer
from langgraph_gates.dossier import Dossier, check_paths, validate_dossier_unknown
from langgraph_gates.errors import ConfigError, DossierError, ReviewStateError
from langgraph_gates.evidence.secrets import redact_dossier_secrets
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.gates import GATES, GATES_BY_ID
from langgraph_gates.graph import NODE_ORDER, build_graph
from langgraph_gates.narrator import Narrator
from langgraph_gates.nodes import RunContext
from langgraph_gates.policy import Policy, policy_from_mapping
from langgraph_gates.report import ReviewReport
from langgraph_gates.state import (
    GATE_IDS,
    AuditEntry,
    Finding,
    GateResult,
    Outcome,
    Override,
    Recommendation,
    ReviewState,
    Status,
    worse_status,
)

__all__ = [
    "META_ALLOW_OUTSIDE",
    "META_PAUSE_AFTER",
    "CheckpointInfo",
    "EditResult",
    "FieldChange",
    "FindingChange",
    "FindingRef",
    "GateDiff",
    "ReviewDiff",
    "ReviewHistory",
    "ReviewStatus",
    "ReviewSummary",
    "Reviews",
    "RunInfo",
    "affected_gates",
    "changed_fields",
    "default_reviewer",
    "open_reviews",
    "parse_assignment",
    "parse_override",
    "run_metadata",
    "set_path",
]

# Checkpoint metadata keys that carry a review's run settings across processes. LangGraph copies
# scalar values of ``config["metadata"]`` into every checkpoint a call writes.
META_PAUSE_AFTER = "gates_pause_after"
META_ALLOW_OUTSIDE = "gates_allow_outside"

ProgressCallback = Callable[[dict[str, Any]], None]

_GATE_INDEX = {g: i for i, g in enumerate(GATE_IDS)}
_NODE_INDEX = {n: i for i, n in enumerate(NODE_ORDER)}


# --------------------------------------------------------------------------- values


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


# --------------------------------------------------------------------------- helpers


def default_reviewer() -> str:
    """The name recorded for a human action when none is given: the OS user."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no passwd entry (containers) must not stop a review
        return "unknown"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _short(value: Any, width: int) -> str:
    text = " ".join(str(value).split()) if isinstance(value, str) else repr(value)
    if isinstance(value, str):
        text = repr(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def run_metadata(pause_after: Sequence[str], allow_outside: bool) -> dict[str, Any]:
    """Checkpoint metadata that carries a review's run settings to later processes.

    Args:
        pause_after: gate ids to pause after.
        allow_outside: whether dossier paths may leave the dossier's folder.
    """
    return {META_PAUSE_AFTER: ",".join(pause_after), META_ALLOW_OUTSIDE: bool(allow_outside)}


def parse_override(value: str) -> tuple[str, Status]:
    """Parse ``GATE=STATUS`` (status Pass, Conditional or Fail, any case).

    Raises:
        ConfigError: not of that form, an unknown gate or an unknown status.
    """
    gate, sep, raw = value.partition("=")
    gate, raw = gate.strip(), raw.strip()
    if not sep or not gate or not raw:
        raise ConfigError(f"expected GATE=STATUS, got {value!r}", field="--override")
    if gate not in GATES_BY_ID:
        msg = f"unknown gate {gate!r} (choose from {', '.join(GATES_BY_ID)})"
        raise ConfigError(msg, field="--override")
    for status in Status:
        if status.value.lower() == raw.lower():
            return gate, status
    msg = f"unknown status {raw!r} (choose from {', '.join(s.value for s in Status)})"
    raise ConfigError(msg, field="--override")


def parse_assignment(value: str) -> tuple[str, Any]:
    """Parse ``dotted.path=value``; the value is read as a YAML scalar or flow list/mapping.

    ``data.sensitive_attributes=[region, size]`` gives a list, ``problem.kpis[0].target=0.03``
    a number, ``data.labeling_qc=`` (nothing) a null.

    Raises:
        ConfigError: no ``=``, an empty path, or a value that is not valid YAML.
    """
    path, sep, raw = value.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ConfigError(f"expected dotted.path=value, got {value!r}", field="--set")
    try:
        # The guarded reader: a value such as 2026-13-45 or an alias bomb is refused, not raised.
        parsed = parse_structured_text(raw, source=path, error=ConfigError) if raw.strip() else None
    except ConfigError as exc:
        reason = " ".join(exc.message.removeprefix("not valid YAML/JSON").split())[:120]
        raise ConfigError(
            f"{path}: the value is not valid YAML ({reason})", field="--set"
        ) from None
    return path, parsed


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _segments(path: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for m in _SEGMENT.finditer(path):
        gap = path[pos : m.start()]
        if gap not in ("", "."):
            break
        parts.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
    if pos != len(path) or not parts or not isinstance(parts[0], str):
        raise DossierError(f"not a dotted path: {path!r}", field="--set")
    # A bare number after a dot indexes a list too: problem.kpis.0.target
    return [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]


def set_path(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Return a copy of ``document`` with ``path`` set to ``value``.

    Missing mappings on the way are created; a list index may point at an existing item or
    one past the end (to append).

    Raises:
        DossierError: the path goes through a value that is not a mapping or list, or a list
            index is out of range.
    """
    segments = _segments(path)
    root: dict[str, Any] = _copy(document)
    node: Any = root
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        where = _join(segments[: i + 1])
        if isinstance(seg, int):
            if not isinstance(node, list):
                raise DossierError(f"{_join(segments[:i])} is not a list", field=path)
            if seg > len(node):
                msg = f"index {seg} is out of range (the list has {len(node)} item(s))"
                raise DossierError(msg, field=where)
            if seg == len(node):
                node.append(None if last else {})
        elif not isinstance(node, dict):
            raise DossierError(f"{_join(segments[:i])} is not a mapping", field=path)
        elif not last and node.get(seg) is None:
            node[seg] = [] if isinstance(segments[i + 1], int) else {}
        if last:
            node[seg] = value
        else:
            node = node[seg]
    return root


def _join(segments: Sequence[str | int]) -> str:
    out = ""
    for seg in segments:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def changed_fields(before: Any, after: Any, prefix: str = "") -> list[FieldChange]:
    """The leaf fields that differ between two JSON documents (dicts compared key by key)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{prefix}.{key}" if prefix else str(key)
            out += changed_fields(before.get(key), after.get(key), sub)
        return out
    if (
        isinstance(before, list)
        and isinstance(after, list)
        and len(before) == len(after)
        and any(isinstance(x, dict) for x in before)
    ):
        # Same-length lists of records (KPIs, sources) are compared item by item, so an edit
        # of one KPI's target reads problem.kpis[0].target rather than the whole list.
        out = []
        for i, (x, y) in enumerate(zip(before, after, strict=True)):
            out += changed_fields(x, y, f"{prefix}[{i}]")
        return out
    if before == after:
        return []
    return [FieldChange(path=prefix, before=before, after=after)]


def affected_gates(changes: Iterable[FieldChange]) -> list[str]:
    """Gates (in review order) that read a changed field: its section, or their owner."""
    changes = list(changes)
    sections = {c.section for c in changes}
    owners = {c.path.split(".", 2)[1] for c in changes if c.path.startswith("owners.")}
    return [g.id for g in GATES if g.reads & sections or g.id in owners]


def _as_state(values: Mapping[str, Any]) -> ReviewState:
    try:
        return ReviewState.model_validate(dict(values))
    except ValidationError as exc:  # a checkpoint written by another version
        msg = f"the stored review state is not readable ({exc.errors()[0]['msg']})"
        raise ReviewStateError(msg) from None


def _config(
    review_id: str, checkpoint_id: str | None = None, meta: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": review_id}
    if checkpoint_id:
        configurable |= {"checkpoint_ns": "", "checkpoint_id": checkpoint_id}
    config: dict[str, Any] = {"configurable": configurable}
    if meta:
        config["metadata"] = dict(meta)
    return config


def _checkpoint_id(config: Mapping[str, Any] | None) -> str | None:
    if not config:
        return None
    return config.get("configurable", {}).get("checkpoint_id")


def _prev_node(node: str) -> str:
    """The node whose completion makes ``node`` run next (the ``as_node`` for update_state)."""
    index = _NODE_INDEX[node]
    return NODE_ORDER[index - 1] if index > 0 else START


def _position(snapshot: StateSnapshot) -> str | None:
    """The node a waiting review runs next (``None`` when finished)."""
    return snapshot.next[0] if snapshot.next else None


def _ran_node(parent: StateSnapshot | None) -> str | None:
    """The node whose writes produced a ``loop`` checkpoint: what its parent ran next."""
    if parent is not None and parent.next:
        return parent.next[0]
    return None


class _Tree:
    """Every checkpoint of one review, indexed, with the current branch walked from the head."""

    def __init__(self, snapshots: Sequence[StateSnapshot]) -> None:
        self.by_id: dict[str, StateSnapshot] = {}
        for snap in snapshots:
            cid = _checkpoint_id(snap.config)
            if cid:
                self.by_id[cid] = snap
        # Checkpoint ids are time-ordered (uuid6): the newest is the head of the newest branch.
        self.ordered = sorted(self.by_id.values(), key=lambda s: _checkpoint_id(s.config) or "")
        self.head = self.ordered[-1] if self.ordered else None
        self.branch: list[StateSnapshot] = []
        node = self.head
        while node is not None:
            self.branch.append(node)
            parent_id = _checkpoint_id(node.parent_config)
            node = self.by_id.get(parent_id) if parent_id else None

    def parent(self, snap: StateSnapshot) -> StateSnapshot | None:
        parent_id = _checkpoint_id(snap.parent_config)
        return self.by_id.get(parent_id) if parent_id else None

    def input_of(self, gate: str) -> StateSnapshot | None:
        """The latest checkpoint on the branch from which ``gate`` runs (its input)."""
        return next((s for s in self.branch if s.next == (gate,)), None)

    def setting(self, key: str) -> Any:
        """The newest value of a run-settings metadata key along the branch."""
        for snap in self.branch:
            if snap.metadata and key in snap.metadata:
                return snap.metadata[key]
        return None

    def gate_inputs(self) -> dict[str, dict[str, Any]]:
        """For each gate whose result the head holds: the dossier it was computed from."""
        assert self.head is not None
        done = set((self.head.values.get("gates") or {}).keys())
        out: dict[str, dict[str, Any]] = {}
        for snap in self.branch:
            gate = snap.next[0] if len(snap.next) == 1 else None
            if gate in done and gate not in out:
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
        return sorted(stale, key=_GATE_INDEX.__getitem__)

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
        """A run's result: its newest checkpoint written by a node (human updates after it are
        pending, not part of the run)."""
        of_run = [s for s in self.ordered if (s.values.get("run") or 1) == run]
        by_node = [s for s in of_run if (s.metadata or {}).get("source") == "loop"]
        pool = by_node or of_run
        return pool[-1] if pool else None

    def runs(self) -> list[int]:
        return sorted({int(s.values.get("run") or 1) for s in self.ordered if s.values})


def _audit_dump(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in entries]


def _finding_keys(findings: Sequence[Finding]) -> dict[tuple[str, str, int], Finding]:
    """Key findings for a diff: the check id, what the first evidence locates, and a counter
    for checks that report several findings on the same place."""
    out: dict[tuple[str, str, int], Finding] = {}
    for f in findings:
        ev = f.evidence[0] if f.evidence else None
        where = "/".join(x for x in (ev.column, ev.group) if x) if ev else ""
        n = 0
        while (f.check_id, where, n) in out:
            n += 1
        out[(f.check_id, where, n)] = f
    return out


def _ref(f: Finding) -> FindingRef:
    return FindingRef(check_id=f.check_id, outcome=f.outcome, message=f.message)


def gate_diff(gate: str, a: GateResult | None, b: GateResult | None, run_b: int) -> GateDiff:
    """Compare one gate's results of two runs."""
    spec = GATES_BY_ID[gate]
    keys_a = _finding_keys(a.findings if a else [])
    keys_b = _finding_keys(b.findings if b else [])
    return GateDiff(
        gate=gate,
        title=spec.title,
        status_a=a.status if a else None,
        status_b=b.status if b else None,
        rerun=b is not None and b.run == run_b,
        added=[_ref(f) for k, f in keys_b.items() if k not in keys_a],
        removed=[_ref(f) for k, f in keys_a.items() if k not in keys_b],
        changed=[
            FindingChange(
                check_id=f.check_id, before=keys_a[k].outcome, after=f.outcome, message=f.message
            )
            for k, f in keys_b.items()
            if k in keys_a and keys_a[k].outcome != f.outcome
        ],
    )


# --------------------------------------------------------------------------- the operations


class Reviews:
    """The durable-review operations on one checkpoint database.

    Open one with :func:`open_reviews` (which also closes the database), or wrap a checkpointer
    you manage yourself.

    Args:
        checkpointer: where reviews are checkpointed (memory, SQLite or PostgreSQL).
        cache_dir: on-disk evidence cache shared by runs, so a re-run does not recompute
            evidence of unchanged files (memory only when ``None``).
        narrator: a chat-model narrator for the gates that run; ``None`` stays offline.
    """

    def __init__(
        self,
        checkpointer: BaseCheckpointSaver[Any],
        *,
        cache_dir: str | Path | None = None,
        narrator: Narrator | None = None,
    ) -> None:
        self.checkpointer = checkpointer
        self.cache_dir = cache_dir
        self.narrator = narrator
        self.graph = build_graph(checkpointer)
        self._stores: dict[str, EvidenceStore] = {}

    # ---- reading

    def evidence_for(self, policy: Policy) -> EvidenceStore:
        """The evidence store used for reviews under this policy (one per fingerprint)."""
        fp = policy.fingerprint()
        store = self._stores.get(fp)
        if store is None:
            store = EvidenceStore(policy_fingerprint=fp, cache_dir=self.cache_dir)
            self._stores[fp] = store
        return store

    def _tree(self, review_id: str) -> _Tree:
        tree = _Tree(list(self.graph.get_state_history(_config(review_id))))
        if tree.head is None or not tree.head.values:
            raise ReviewStateError("no review with this id in the database", source=review_id)
        return tree

    def exists(self, review_id: str) -> bool:
        """Whether the database holds a review with this id."""
        return bool(self.graph.get_state(_config(review_id)).values)

    def status(self, review_id: str) -> ReviewStatus:
        """Where a review stands.

        Raises:
            ReviewStateError: no review with this id.
        """
        return self._status(review_id, self._tree(review_id), executed=[], notes=[])

    def _status(
        self, review_id: str, tree: _Tree, *, executed: list[str], notes: list[str]
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
        tree = self._tree(review_id)
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

    def history(self, review_id: str) -> ReviewHistory:
        """The runs of a review and all its checkpoints, forks included (oldest first).

        Raises:
            ReviewStateError: no review with this id.
        """
        tree = self._tree(review_id)
        on_branch = {_checkpoint_id(s.config) for s in tree.branch}
        checkpoints = [
            CheckpointInfo(
                checkpoint_id=_checkpoint_id(s.config) or "",
                parent_id=_checkpoint_id(s.parent_config),
                created_at=s.created_at,
                run=int(s.values.get("run") or 1) if s.values else 1,
                step=(s.metadata or {}).get("step"),
                source=str((s.metadata or {}).get("source", "")),
                next=list(s.next),
                event=self._describe(s, tree.parent(s)),
                on_branch=_checkpoint_id(s.config) in on_branch,
            )
            for s in tree.ordered
        ]
        runs = []
        for run in tree.runs():
            of_run = [s for s in tree.ordered if s.values and (s.values.get("run") or 1) == run]
            result = tree.run_result(run)
            assert result is not None
            state = _as_state(result.values)
            produced = [g for g in GATE_IDS if g in state.gates and state.gates[g].run == run]
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

    @staticmethod
    def _describe(snap: StateSnapshot, parent: StateSnapshot | None) -> str:
        source = (snap.metadata or {}).get("source")
        if source == "input":
            return "review submitted"
        if source == "loop":
            node = _ran_node(parent)
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

    def diff(
        self, review_id: str, run_a: int | None = None, run_b: int | None = None
    ) -> ReviewDiff:
        """Status and finding changes per gate between two runs (default: the last two).

        Raises:
            ReviewStateError: no such review or run, or only one run to compare.
        """
        tree = self._tree(review_id)
        runs = tree.runs()
        if run_a is None and run_b is None:
            if len(runs) < 2:
                msg = "the review has one run only; re-run it (`gates rerun`) to have two to diff"
                raise ReviewStateError(msg, source=review_id)
            run_a, run_b = runs[-2], runs[-1]
        elif run_a is None or run_b is None:
            msg = "give two runs (RUN_A RUN_B) or none for the last two"
            raise ConfigError(msg, field="RUN_B")
        snaps = []
        for run in (run_a, run_b):
            snap = tree.run_result(run)
            if snap is None:
                msg = f"no run {run} (runs: {', '.join(map(str, runs))})"
                raise ReviewStateError(msg, source=review_id)
            snaps.append(_as_state(snap.values))
        a, b = snaps
        return ReviewDiff(
            review_id=review_id,
            run_a=run_a,
            run_b=run_b,
            recommendation_a=a.outcome.recommendation if a.outcome else None,
            recommendation_b=b.outcome.recommendation if b.outcome else None,
            gates=[gate_diff(g, a.gates.get(g), b.gates.get(g), run_b) for g in GATE_IDS],
            dossier=changed_fields(a.dossier or {}, b.dossier or {}),
        )

    def list_reviews(self) -> list[ReviewSummary]:
        """Every review in the database, most recently updated first."""
        out = []
        for thread in _thread_ids(self.checkpointer):
            snap = self.graph.get_state(_config(thread))
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

    # ---- running

    def _context(self, values: Mapping[str, Any], allow_outside: bool) -> RunContext:
        policy = policy_from_mapping(values.get("policy"))
        return RunContext(
            narrator=self.narrator, evidence=self.evidence_for(policy), allow_outside=allow_outside
        )

    def _drive(
        self,
        payload: Any,
        config: dict[str, Any],
        context: RunContext,
        pauses: Sequence[str],
        on_progress: ProgressCallback | None,
    ) -> list[str]:
        executed: list[str] = []
        for mode, chunk in self.graph.stream(
            payload,
            config,
            context=context,
            stream_mode=["custom", "updates"],
            durability="sync",
            interrupt_after=list(pauses) or None,
        ):
            if mode == "updates":
                executed += [node for node in chunk if not node.startswith("__")]
            elif on_progress is not None:
                on_progress(chunk)
        return executed

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
        on_progress: ProgressCallback | None = None,
    ) -> ReviewStatus:
        """Start a review; it runs to the end or to the first gate in ``pause_after``.

        Args:
            dossier: a dossier file path, a mapping, or a :class:`Dossier`.
            text: free-text description (alone, or added to the dossier).
            policy: a :class:`Policy`, a partial mapping, or a YAML policy file.
            review_id: the thread id (a new one if not given).
            pause_after: gate ids to pause after (kept for later ``resume`` calls).
            base_dir: folder that relative paths of a mapping dossier resolve against.
            as_of: review date (ISO) for freshness checks; today by default.
            allow_outside: let dossier paths leave the dossier's folder.
            on_progress: called with each progress event (``gate_completed`` ...).

        Raises:
            GatesError: invalid input, an unknown gate, or a review with this id exists.
        """
        pauses = _check_gates(pause_after, "pause_after")
        payload = prepare_input(
            dossier,
            text=text,
            policy=policy,
            base_dir=base_dir,
            as_of=as_of,
            allow_outside=allow_outside,
        )
        thread = review_id or uuid.uuid4().hex[:12]
        if self.exists(thread):
            msg = "a review with this id exists; resume or re-run it"
            raise ReviewStateError(msg, source=thread)
        payload["review_id"] = thread
        config = _config(thread, meta=run_metadata(pauses, allow_outside))
        executed = self._drive(
            payload, config, self._context(payload, allow_outside), pauses, on_progress
        )
        return self._status(thread, self._tree(thread), executed=executed, notes=[])

    def _overrides(
        self,
        state: ReviewState,
        overrides: Mapping[str, Status | str],
        by: str,
        reason: str,
        at: str,
    ) -> tuple[list[Override], list[AuditEntry]]:
        if overrides and (not by.strip() or not reason.strip()):
            msg = "an override needs the reviewer's name (--by) and a reason (--reason)"
            raise ConfigError(msg, field="--override")
        made: list[Override] = []
        entries: list[AuditEntry] = []
        for gate, raw in overrides.items():
            gate_id, status = parse_override(
                f"{gate}={Status(raw).value if isinstance(raw, Status) else raw}"
            )
            current = state.gates.get(gate_id)
            previous = (
                worse_status(current.evidence_status, current.model_status) if current else None
            )
            made.append(
                Override(
                    gate=gate_id,  # type: ignore[arg-type]
                    status=status,
                    by=by.strip(),
                    reason=reason.strip(),
                    at=at,
                    previous_status=previous,
                )
            )
            before = current.status.value if current else "not run yet"
            entries.append(
                AuditEntry(
                    at=at,
                    by=by.strip(),
                    action="override",
                    detail=f"{gate_id}: {before} -> {status.value}",
                    reason=reason.strip(),
                )
            )
        return made, entries

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
            GatesError: no such review, an unknown gate or status, or an override without a
                name or reason.
        """
        overrides = dict(overrides or {})
        if overrides and (not by or not reason):
            msg = "an override needs the reviewer's name (--by) and a reason (--reason)"
            raise ConfigError(msg, field="--override")
        who = (by or default_reviewer()).strip()
        why = (reason or "").strip()
        tree = self._tree(review_id)
        head = tree.head
        assert head is not None
        state = _as_state(head.values)
        at = _now()
        made, entries = self._overrides(state, overrides, who, why, at)
        plan = (
            _check_gates(pause_after, "pause_after")
            if pause_after is not None
            else _split(tree.setting(META_PAUSE_AFTER))
        )
        allow_outside = bool(tree.setting(META_ALLOW_OUTSIDE))
        meta = run_metadata(plan, allow_outside)
        position = _position(head)
        notes: list[str] = []
        stale = tree.resume_stale() if position else tree.stale_gates()
        done = [g for g in GATE_IDS if g in state.gates]

        if position is None:  # finished
            if not made:
                notes.append("the review is finished; nothing to resume")
                if stale:
                    notes.append(
                        f"{', '.join(stale)} read fields edited since they ran: "
                        f"`gates rerun {review_id}` re-runs from {stale[0]}"
                    )
                return self._status(review_id, tree, executed=[], notes=notes)
            action_entries = entries
            if approve:
                action_entries = [
                    AuditEntry(
                        at=at, by=who, action="approve", detail="the finished review", reason=why
                    ),
                    *entries,
                ]
            update = {
                "overrides": [o.model_dump(mode="json") for o in made],
                "audit": _audit_dump(action_entries),
            }
            self._validate(head.values, update)
            config = self.graph.update_state(
                _config(review_id, _checkpoint_id(head.config), meta),
                update,
                as_node=GATE_IDS[-1],
            )
            notes.append("overrides applied: only the formatter re-ran")
            if stale:
                notes.append(
                    f"{', '.join(stale)} read fields edited since they ran: "
                    f"`gates rerun {review_id}` refreshes them"
                )
            executed = self._drive(
                None,
                {**config, "metadata": meta},
                self._context(head.values, allow_outside),
                [],
                on_progress,
            )
            return self._status(review_id, self._tree(review_id), executed=executed, notes=notes)

        if position == START:  # killed before the dispatcher took the input
            if made:
                msg = "the review has not started yet: resume it first, then override"
                raise ReviewStateError(msg, source=review_id)
            executed = self._drive(
                None,
                _config(review_id, meta=meta),
                self._context(head.values, allow_outside),
                plan,
                on_progress,
            )
            return self._status(review_id, self._tree(review_id), executed=executed, notes=notes)

        here = _NODE_INDEX[position]
        pauses = [g for g in plan if _NODE_INDEX[g] >= here]
        action = "approve" if approve else "resume"
        detail = f"after {done[-1]}" if done else "before the first gate"
        audit = [AuditEntry(at=at, by=who, action=action, detail=detail, reason=why), *entries]
        context = self._context(head.values, allow_outside)
        if stale:
            notes.append(
                f"{', '.join(stale)} read fields edited since they ran: re-running from {stale[0]}"
            )
            config = self._fork(
                tree, stale[0], run=state.run, overrides=made, audit=audit, meta=meta
            )
        else:
            update = {
                "overrides": [o.model_dump(mode="json") for o in made],
                "audit": _audit_dump(audit),
            }
            self._validate(head.values, update)
            config = self.graph.update_state(
                _config(review_id, _checkpoint_id(head.config), meta),
                update,
                as_node=_prev_node(position),
            )
        executed = self._drive(None, {**config, "metadata": meta}, context, pauses, on_progress)
        return self._status(review_id, self._tree(review_id), executed=executed, notes=notes)

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
        tree: _Tree,
        gate: str,
        *,
        run: int,
        overrides: Sequence[Override],
        audit: Sequence[AuditEntry],
        meta: Mapping[str, Any],
    ) -> dict[str, Any]:
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
            "audit": list(values.get("audit") or []) + _audit_dump(audit),
        }
        merged = {**base.values, **update}
        self._validate(merged, {})
        review_id = str(base.config["configurable"]["thread_id"])
        return self.graph.update_state(
            _config(review_id, _checkpoint_id(base.config), meta), update, as_node=_prev_node(gate)
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
        tree = self._tree(review_id)
        head = tree.head
        assert head is not None
        current = dict(head.values.get("dossier") or {})
        base_dir = head.values.get("base_dir") or "."
        allow_outside = bool(tree.setting(META_ALLOW_OUTSIDE))
        edited = current
        for path, value in changes.items():
            edited = self._apply(edited, path, value, review_id)
        dossier = validate_dossier_unknown(edited, source=f"review {review_id}", strict=True)[0]
        check_paths(dossier, base_dir, source=f"review {review_id}", allow_outside=allow_outside)
        # An edited value may carry a secret: redact before it reaches the state or the audit.
        new = redact_dossier_secrets(dossier.model_dump(mode="json"))[0]
        diff = changed_fields(current, new)
        position = _position(head)
        if not diff:
            return EditResult(review_id=review_id, finished=position is None, next=tuple(head.next))
        entry = AuditEntry(
            at=_now(),
            by=(by or default_reviewer()).strip(),
            action="edit",
            detail="; ".join(c.describe(50) for c in diff),
            reason=(reason or "").strip(),
        )
        update = {"dossier": new, "audit": [entry.model_dump(mode="json")]}
        self._validate(head.values, update)
        if position == START:
            raise ReviewStateError(
                "the review has not started yet; resume it before editing", source=review_id
            )
        as_node = _prev_node(position) if position else "formatter"
        # No run settings in this checkpoint's metadata: it marks a human edit, not a run, so
        # `resume` can tell edits made during a pause (see _Tree.pending_changes).
        self.graph.update_state(
            _config(review_id, _checkpoint_id(head.config)), update, as_node=as_node
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

    @staticmethod
    def _apply(document: dict[str, Any], path: str, value: Any, review_id: str) -> dict[str, Any]:
        """Set one field; a YAML-typed scalar the schema refuses is retried as its text, so
        ``model.version=2.4`` stays the string '2.4'."""
        candidate = set_path(document, path, value)
        if isinstance(value, str | dict | list) or value is None:
            return candidate
        try:
            validate_dossier_unknown(candidate, source=f"review {review_id}", strict=True)
        except DossierError:
            text = set_path(document, path, _scalar_text(value))
            try:
                validate_dossier_unknown(text, source=f"review {review_id}", strict=True)
            except DossierError:
                return candidate  # the original error is the clearer one
            return text
        return candidate

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
        pauses = _check_gates(pause_after, "pause_after")
        tree = self._tree(review_id)
        head = tree.head
        assert head is not None
        stale = tree.stale_gates()
        notes: list[str] = []
        if from_gate is None:
            if not stale:
                msg = (
                    "no gate reads a field edited since it ran: nothing to re-run "
                    "(give --from GATE to re-run anyway)"
                )
                raise ReviewStateError(msg, source=review_id)
            from_gate = stale[0]
        elif from_gate not in GATES_BY_ID:
            msg = f"unknown gate {from_gate!r} (choose from {', '.join(GATES_BY_ID)})"
            raise ConfigError(msg, field="--from")
        skipped = [g for g in stale if _GATE_INDEX[g] < _GATE_INDEX[from_gate]]
        if skipped:
            notes.append(
                f"{', '.join(skipped)} read edited fields but come before {from_gate}: "
                "their results are kept as they were"
            )
        run = max(tree.runs()) + 1
        edited = [g for g in stale if _GATE_INDEX[g] >= _GATE_INDEX[from_gate]]
        detail = f"run {run} from {from_gate}" + (
            f" (edited fields read by {', '.join(edited)})" if edited else ""
        )
        entry = AuditEntry(
            at=_now(),
            by=(by or default_reviewer()).strip(),
            action="rerun",
            detail=detail,
            reason=(reason or "").strip(),
        )
        allow_outside = bool(tree.setting(META_ALLOW_OUTSIDE))
        pauses = [g for g in pauses if _GATE_INDEX[g] >= _GATE_INDEX[from_gate]]
        meta = run_metadata(pauses, allow_outside)
        config = self._fork(tree, from_gate, run=run, overrides=[], audit=[entry], meta=meta)
        executed = self._drive(
            None,
            {**config, "metadata": meta},
            self._context(head.values, allow_outside),
            pauses,
            on_progress,
        )
        return self._status(review_id, self._tree(review_id), executed=executed, notes=notes)


def _scalar_text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _split(value: Any) -> list[str]:
    if not value or not isinstance(value, str):
        return []
    return [g for g in value.split(",") if g in GATES_BY_ID]


def _check_gates(gates: Sequence[str], field: str) -> list[str]:
    unknown = [g for g in gates if g not in GATES_BY_ID]
    if unknown:
        msg = f"unknown gate {unknown[0]!r} (choose from {', '.join(GATES_BY_ID)})"
        raise ConfigError(msg, field=field)
    return list(dict.fromkeys(gates))


def _thread_ids(saver: BaseCheckpointSaver[Any]) -> list[str]:
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


@contextmanager
def open_reviews(
    db: str | Path | None = DEFAULT_DB,
    *,
    cache_dir: str | Path | None = None,
    narrator: Narrator | None = None,
) -> Iterator[Reviews]:
    """Open the reviews of a database and close it on exit.

    Args:
        db: ``":memory:"``, a SQLite path (``.gates/reviews.sqlite`` by default) or a
            ``postgresql://`` URL.
        cache_dir: on-disk evidence cache (memory only when ``None``).
        narrator: a chat-model narrator; ``None`` stays offline.

    Raises:
        ConfigError: the database cannot be opened.
    """
    with open_checkpointer(db) as saver:
        yield Reviews(saver, cache_dir=cache_dir, narrator=narrator)
