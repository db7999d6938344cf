"""Names a user typed that the format does not know: did-you-mean suggestions.

One place for the suggestion rule, so that dossier fields, metrics-file keys, policy check ids
and feature names all answer a typo the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]

# difflib's ratio: 'validaton' vs 'validation' is 0.95, 'roc_acu' vs 'roc_auc' 0.86,
# 'stage_duration_days' vs 'stages' 0.48. A team's own metadata stays below the cut-off.
_CUTOFF = 0.75


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name a typo most likely meant, or ``None`` when none is close."""
    choices = list(known)
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:  # a case slip is always a match
        return lowered[name.lower()]
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=_CUTOFF)
    return lowered[found[0]] if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a close known name, else an empty string."""
    match = closest(name, known)
    return f" (did you mean {match!r}?)" if match else ""
