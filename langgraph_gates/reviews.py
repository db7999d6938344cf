"""Compatibility face of :mod:`langgraph_gates.durable`, where durable reviews now live.

``from langgraph_gates.reviews import Reviews, open_reviews`` keeps working. The parsers and
dossier helpers (``parse_assignment``, ``parse_override``, ``set_path``, ``changed_fields``,
``run_metadata``) stay importable from here for older callers but are plumbing, not API: they
are not in ``__all__``.
"""

from langgraph_gates.durable import (
    CheckpointInfo,
    EditResult,
    FieldChange,
    FindingChange,
    FindingRef,
    GateDiff,
    ReviewDiff,
    ReviewHistory,
    Reviews,
    ReviewStatus,
    ReviewSummary,
    RunInfo,
    open_reviews,
)
from langgraph_gates.durable._common import default_reviewer
from langgraph_gates.durable._edits import (
    affected_gates,
    changed_fields,
    parse_assignment,
    parse_override,
    set_path,
)
from langgraph_gates.durable._tree import META_ALLOW_OUTSIDE, META_PAUSE_AFTER, run_metadata

__all__ = [
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
    "open_reviews",
]

# Re-exported for callers of the old single module; not part of the public API.
_COMPAT = (
    META_ALLOW_OUTSIDE,
    META_PAUSE_AFTER,
    affected_gates,
    changed_fields,
    default_reviewer,
    parse_assignment,
    parse_override,
    run_metadata,
    set_path,
)
