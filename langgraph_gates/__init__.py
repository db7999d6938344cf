"""langgraph-gates: evidence-based production-readiness gate review for ML models.

A LangGraph state machine runs a dossier through seven ordered gates and ends in a gate table
and a Go / Conditional Go / No-Go call. Offline by default; a chat model only adds narrative.

    >>> from langgraph_gates import review
    >>> result = review("examples/churn/dossier.yaml")                 # doctest: +SKIP
    >>> result.recommendation                                          # doctest: +SKIP
    'Conditional Go'

The public API, by what a user does with it:

* Review in one call: :func:`review` -> :class:`ReviewResult` (its ``report`` is a
  :class:`ReviewReport`; :func:`write_reports` writes txt/md/json/html files).
* Drive the graph: :func:`build_graph` (compiled) or :func:`graph_builder` (uncompiled), input
  :class:`ReviewInput`, state :class:`ReviewState`, run settings :class:`RunContext`,
  checkpointers from :func:`open_checkpointer`. ``GATES`` is the ordered tuple of gate specs.
* Durable reviews (pause, edit, override, resume, re-run, history, diff):
  :func:`open_reviews` -> :class:`Reviews`, whose operations return :class:`ReviewStatus`,
  :class:`EditResult`, :class:`ReviewHistory` and :class:`ReviewDiff`.
* Inputs: :class:`Dossier` / :func:`load_dossier`, :class:`Policy` / :func:`load_policy`.
* Values in the results: :class:`GateResult`, :class:`Finding` (with its :class:`Threshold` and
  :class:`EvidenceRef`), :class:`Override`, :class:`AuditEntry`, :class:`ReviewOutcome` and the
  enums :class:`Status`, :class:`Outcome`, :class:`Severity`, :class:`Recommendation`.
* Errors: every error a user can cause is a :class:`GatesError` (:class:`DossierError`,
  :class:`PolicyError`, :class:`EvidenceError`, :class:`ConfigError`,
  :class:`ReviewStateError`), with a one-line message naming the file and field.

``__version__`` is the package version.
"""

from langgraph_gates.api import ReviewResult, review
from langgraph_gates.checkpoint import open_checkpointer
from langgraph_gates.dossier import Dossier, load_dossier
from langgraph_gates.durable import (
    EditResult,
    ReviewDiff,
    ReviewHistory,
    Reviews,
    ReviewStatus,
    open_reviews,
)
from langgraph_gates.errors import (
    ConfigError,
    DossierError,
    EvidenceError,
    GatesError,
    PolicyError,
    ReviewStateError,
)
from langgraph_gates.gates import GATES
from langgraph_gates.graph import build_graph, graph_builder
from langgraph_gates.nodes import RunContext
from langgraph_gates.policy import Policy, load_policy
from langgraph_gates.report import ReviewReport, write_reports
from langgraph_gates.state import (
    AuditEntry,
    EvidenceRef,
    Finding,
    GateResult,
    Outcome,
    Override,
    Recommendation,
    ReviewInput,
    ReviewOutcome,
    ReviewState,
    Severity,
    Status,
    Threshold,
)

__all__ = [
    "GATES",
    "AuditEntry",
    "ConfigError",
    "Dossier",
    "DossierError",
    "EditResult",
    "EvidenceError",
    "EvidenceRef",
    "Finding",
    "GateResult",
    "GatesError",
    "Outcome",
    "Override",
    "Policy",
    "PolicyError",
    "Recommendation",
    "ReviewDiff",
    "ReviewHistory",
    "ReviewInput",
    "ReviewOutcome",
    "ReviewReport",
    "ReviewResult",
    "ReviewState",
    "ReviewStateError",
    "ReviewStatus",
    "Reviews",
    "RunContext",
    "Severity",
    "Status",
    "Threshold",
    "build_graph",
    "graph_builder",
    "load_dossier",
    "load_policy",
    "open_checkpointer",
    "open_reviews",
    "review",
    "write_reports",
]

__version__ = "0.1.0"
