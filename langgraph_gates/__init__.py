"""langgraph-gates: evidence-based production-readiness gate review for ML models.

A LangGraph state machine runs a dossier through seven ordered gates and ends in a gate table
and a Go / Conditional Go / No-Go call. Offline by default; a chat model only adds narrative.
"""

from langgraph_gates.api import ReviewResult, review
from langgraph_gates.checkpoint import open_checkpointer
from langgraph_gates.dossier import Dossier, load_dossier
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
    Finding,
    GateResult,
    Outcome,
    Override,
    Recommendation,
    ReviewState,
    Status,
)

__all__ = [
    "GATES",
    "ConfigError",
    "Dossier",
    "DossierError",
    "EvidenceError",
    "Finding",
    "GateResult",
    "GatesError",
    "Outcome",
    "Override",
    "Policy",
    "PolicyError",
    "Recommendation",
    "ReviewReport",
    "ReviewResult",
    "ReviewState",
    "ReviewStateError",
    "RunContext",
    "Status",
    "build_graph",
    "graph_builder",
    "load_dossier",
    "load_policy",
    "open_checkpointer",
    "review",
    "write_reports",
]

__version__ = "0.1.0"
