"""Small helpers for checks that judge whether the dossier documents something."""

from __future__ import annotations

__all__ = ["is_documented", "short"]

# Placeholders people leave in templates; they document nothing.
_PLACEHOLDERS = {"", "tbd", "todo", "n/a", "na", "none", "-", "?", "...", "unknown", "tbc", "later"}


def is_documented(text: str | None, *, min_words: int = 3) -> bool:
    """Whether a free-text field says something (not empty, a placeholder or a single word)."""
    if text is None:
        return False
    stripped = text.strip()
    if stripped.lower().strip(".!") in _PLACEHOLDERS:
        return False
    return len(stripped.split()) >= min_words


def short(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
