"""Durable reviews: pause, resume, human edits and overrides, re-runs, history and diffs.

The Python face of SPEC section 5; the ``gates review | resume | edit | rerun | history | diff |
show | list`` commands are thin wrappers. Its modules, one job each:

* :mod:`~langgraph_gates.durable.reviews`: :class:`Reviews`, the operations, and
  :func:`open_reviews`;
* :mod:`~langgraph_gates.durable.models`: the values the operations return;
* ``_edits``: ``--set`` paths and overrides; ``_tree``: the checkpoint tree of a review;
  ``_diff``: diffs between runs; ``_lineage``: a model's reviews across versions; ``_lease``: one writer per review; ``_input``: the start-up of
  a review; ``_common``: the reviewer's name and recurring messages.

How the operations map onto LangGraph:

* **One writer**: start, resume, edit and rerun hold the review's lease
  (:mod:`langgraph_gates.durable._lease`); a second process is refused at once.
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

from langgraph_gates.durable import models
from langgraph_gates.durable._lineage import compare_reviews, model_history
from langgraph_gates.durable.models import (
    CheckpointInfo,
    EditResult,
    FieldChange,
    FindingChange,
    FindingRef,
    GateDiff,
    ModelHistory,
    ModelReview,
    ProgressCallback,
    ReviewComparison,
    ReviewDiff,
    ReviewHistory,
    ReviewStatus,
    ReviewSummary,
    RunInfo,
)
from langgraph_gates.durable.reviews import Reviews, open_reviews

__all__ = ["Reviews", "compare_reviews", "model_history", "open_reviews"]
__all__ += models.__all__
