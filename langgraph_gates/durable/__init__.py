"""Durable reviews: pause, resume, human edits and overrides, re-runs, history and diffs.

The Python face of SPEC section 5; the ``gates review | resume | edit | rerun | history | diff |
show | list`` commands are thin wrappers. Its modules, one job each:

* :mod:`~langgraph_gates.durable.reviews`: :class:`Reviews`, the operations, and
  :func:`open_reviews`;
* :mod:`~langgraph_gates.durable.models`: the values the operations return;
* ``_edits``: ``--set`` paths and overrides; ``_tree``: the checkpoint tree of a review;
  ``_diff``: diffs between runs; ``_lease``: one writer per review; ``_input``: the start-up of
  a review; ``_common``: the reviewer's name and recurring messages.
"""

from langgraph_gates.durable.models import (
    CheckpointInfo,
    EditResult,
    FieldChange,
    FindingChange,
    FindingRef,
    GateDiff,
    ProgressCallback,
    ReviewDiff,
    ReviewHistory,
    ReviewStatus,
    ReviewSummary,
    RunInfo,
)
from langgraph_gates.durable.reviews import Reviews, open_reviews

__all__ = [
    "CheckpointInfo",
    "EditResult",
    "FieldChange",
    "FindingChange",
    "FindingRef",
    "GateDiff",
    "ProgressCallback",
    "ReviewDiff",
    "ReviewHistory",
    "ReviewStatus",
    "ReviewSummary",
    "Reviews",
    "RunInfo",
    "open_reviews",
]
