"""A model's reviews across versions: ``history --model`` and ``compare``.

Both take an open :class:`~langgraph_gates.durable.Reviews` (``with open_reviews(db) as r:``).

Reviews are linked by the dossier's ``model.name`` (compared without regard to case) and told
apart by ``model.version``; what each review measured comes from its outcome
(:mod:`langgraph_gates.lineage`), so nothing is recomputed and no evidence file is reopened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langgraph_gates.durable._diff import gate_diff
from langgraph_gates.durable._edits import changed_fields
from langgraph_gates.durable._tree import as_state, config_for, thread_ids
from langgraph_gates.durable.models import (
    EvidenceChange,
    ModelHistory,
    ModelReview,
    ReviewComparison,
)
from langgraph_gates.errors import ReviewStateError
from langgraph_gates.state import GATE_IDS, ReviewState

__all__ = ["compare_reviews", "model_history"]

if TYPE_CHECKING:
    from langgraph_gates.durable.reviews import Reviews


def _values(graph: Any, review_id: str) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    snap = graph.get_state(config_for(review_id))
    return snap.values or {}, tuple(snap.next)


def _model(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return (values.get("dossier") or {}).get("model") or {}


def _champion(state: ReviewState) -> str | None:
    perf = (state.dossier or {}).get("performance") or {}
    champ = perf.get("champion") or {}
    if not champ:
        return None
    name = " ".join(str(x) for x in (champ.get("name"), champ.get("version")) if x) or "declared"
    return f"{name} (review {champ['review_id']})" if champ.get("review_id") else name


def _entry(review_id: str, values: Mapping[str, Any], pending: tuple[str, ...]) -> ModelReview:
    state = as_state(values)
    outcome = state.outcome if not pending else None
    return ModelReview(
        review_id=review_id,
        version=_model(values).get("version"),
        reviewed_on=state.as_of,
        completed_at=outcome.completed_at if outcome else None,
        state=f"waiting before {pending[0]}" if pending else "finished",
        recommendation=outcome.recommendation if outcome else None,
        gates={g: r.status for g, r in state.gates.items()},
        key_metrics=dict(outcome.key_metrics) if outcome else {},
        overrides=[
            f"{o.gate}: {o.previous_status.value if o.previous_status else '?'} -> "
            f"{o.status.value} by {o.by}: {o.reason}"
            for o in state.overrides
        ],
        champion=_champion(state),
        next_review=outcome.next_review if outcome else None,
        review_cadence=outcome.review_cadence if outcome else "",
    )


def model_history(reviews: Reviews, model: str, *, today: dt.date | None = None) -> ModelHistory:
    """Every review of ``model`` (any version), oldest first; overdue when the latest is past due.

    Args:
        reviews: the open review database.
        model: the dossier's ``model.name`` (compared without regard to case).
        today: the date next-review dates are judged against (default: today).

    Raises:
        ReviewStateError: no review of this model in the database.
    """
    today = today or dt.date.today()
    entries = []
    for thread in thread_ids(reviews.checkpointer):
        values, pending = _values(reviews.graph, thread)
        name = str(_model(values).get("name") or "")
        if values and name.casefold() == model.casefold():
            entries.append(_entry(thread, values, pending))
    if not entries:
        raise ReviewStateError("no review of this model in the database", source=model)
    entries.sort(key=lambda e: (e.reviewed_on or "", e.completed_at or "", e.review_id))
    history = ModelHistory(model=model, as_of=today.isoformat(), reviews=entries)
    finished = [e for e in entries if e.state == "finished"]
    latest = finished[-1] if finished else None
    if latest is not None and latest.next_review and latest.next_review < today.isoformat():
        history.overdue = True
        history.overdue_note = (
            f"review overdue: the latest review ({latest.review_id}, version "
            f"{latest.version or '?'}) was due again on {latest.next_review} "
            f"({latest.review_cadence})"
        )
    return history


def _label(state: ReviewState) -> str:
    model = (state.dossier or {}).get("model") or {}
    return " ".join(str(x) for x in (model.get("name"), model.get("version")) if x)


def compare_reviews(reviews: Reviews, review_a: str, review_b: str) -> ReviewComparison:
    """Gates, findings, key metrics, policy, evidence hashes and dossier fields that changed.

    Raises:
        ReviewStateError: either review is not in the database.
    """
    states = []
    for rid in (review_a, review_b):
        values, _ = _values(reviews.graph, rid)
        if not values:
            raise ReviewStateError("no review with this id in the database", source=rid)
        states.append(as_state(values))
    a, b = states
    metrics_a = a.outcome.key_metrics if a.outcome else {}
    metrics_b = b.outcome.key_metrics if b.outcome else {}
    hashes_a = a.outcome.evidence if a.outcome else {}
    hashes_b = b.outcome.evidence if b.outcome else {}
    return ReviewComparison(
        review_a=review_a,
        review_b=review_b,
        model_a=_label(a),
        model_b=_label(b),
        recommendation_a=a.outcome.recommendation if a.outcome else None,
        recommendation_b=b.outcome.recommendation if b.outcome else None,
        gates=[gate_diff(g, a.gates.get(g), b.gates.get(g), b.run) for g in GATE_IDS],
        metrics={
            m: (metrics_a.get(m), metrics_b.get(m)) for m in dict.fromkeys([*metrics_a, *metrics_b])
        },
        policy=changed_fields(a.policy or {}, b.policy or {}),
        evidence=[
            EvidenceChange(field=f, before=hashes_a.get(f), after=hashes_b.get(f))
            for f in dict.fromkeys([*hashes_a, *hashes_b])
            if hashes_a.get(f) != hashes_b.get(f)
        ],
        dossier=changed_fields(a.dossier or {}, b.dossier or {}),
    )
