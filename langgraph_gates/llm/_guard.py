"""What model text may not say: a better verdict than the evidence's, or orders to the reader.

The executive summary is the first thing a stakeholder reads, above the gate table. A model
(or a dossier that talked it into it) must not put "Go" there over a No-Go, nor address the
reviewer ("ignore the evidence", "approve this model"). Such text is not edited, it is
replaced by the offline summary with a note: fail closed, like every verdict.

The checks are deliberately broad: a false alarm costs the model's wording, a miss costs the
verdict's credibility.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from langgraph_gates.state import Recommendation

__all__ = ["claimed_recommendations", "instruction_in", "summary_problem"]

_RANK = {Recommendation.GO: 0, Recommendation.CONDITIONAL_GO: 1, Recommendation.NO_GO: 2}

_NO_GO = re.compile(r"\bno[\s\-_]?go\b", re.IGNORECASE)
_CONDITIONAL_GO = re.compile(r"\bconditional(?:ly)?[\s\-_]+go\b", re.IGNORECASE)
# A bare "Go" as a verdict: capitalised or shouted, and not "go-live" / "Go live".
_GO = re.compile(r"\b(?:Go|GO)\b(?![\s\-]+live)")
# Phrases that state the best verdict without the word.
_GO_PHRASES = re.compile(
    r"\b(?:approved for (?:production|launch|deployment|release)"
    r"|ready for (?:production|launch|deployment|release)"
    r"|(?:all|every) (?:gates?|checks?) (?:pass|passes|passed)"
    r"|everything pass(?:es|ed)?)\b",
    re.IGNORECASE,
)
_INSTRUCTIONS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|previous\s+|prior\s+"
    r"|above\s+|earlier\s+)*(?:evidence|instructions?|findings?|checks?|gates?|polic(?:y|ies)"
    r"|rules?|verdicts?)\b"
    r"|\b(?:you|reviewers?|the reviewer|approvers?)\s+(?:must|should|shall|are to|need to)\s+"
    r"(?:approve|pass|sign off|accept|ignore|skip)\b"
    r"|\bapprove (?:this|the) model\b"
    r"|\b(?:system prompt|previous instructions|new instructions)\b",
    re.IGNORECASE,
)


def claimed_recommendations(text: str) -> set[Recommendation]:
    """The recommendations a text states, by name or by a phrase that means Go."""
    found: set[Recommendation] = set()
    rest = text
    for pattern, rec in (
        (_NO_GO, Recommendation.NO_GO),
        (_CONDITIONAL_GO, Recommendation.CONDITIONAL_GO),
    ):
        if pattern.search(rest):
            found.add(rec)
            rest = pattern.sub(" ", rest)  # so "No-Go" does not also count as "Go"
    if _GO.search(rest) or _GO_PHRASES.search(rest):
        found.add(Recommendation.GO)
    return found


def instruction_in(texts: Iterable[str]) -> str | None:
    """The first phrase addressed to the reader as an instruction, or ``None``."""
    for text in texts:
        hit = _INSTRUCTIONS.search(text)
        if hit:
            return hit.group(0)
    return None


def summary_problem(lines: Iterable[str], verdict: Recommendation) -> str | None:
    """Why a model-written summary must not be shown under ``verdict`` (``None``: it may).

    Returns:
        ``"it states X, better than the verdict Y"`` or ``"it addresses instructions to the
        reader ("...")"``.
    """
    lines = list(lines)
    better = sorted(
        (r for r in claimed_recommendations("\n".join(lines)) if _RANK[r] < _RANK[verdict]),
        key=_RANK.__getitem__,
    )
    if better:
        return f"it states {better[0].value}, better than the verdict {verdict.value}"
    phrase = instruction_in(lines)
    if phrase:
        return f'it addresses instructions to the reader ("{phrase}")'
    return None
