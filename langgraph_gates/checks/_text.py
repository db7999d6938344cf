"""Small helpers for checks that judge whether the dossier documents something."""

from __future__ import annotations

import functools

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
    if " ".join(stripped.split()) in template_texts():
        return False  # `gates init`'s example text left as it was documents nothing
    return len(stripped.split()) >= min_words


@functools.cache
def template_texts() -> frozenset[str]:
    """Every free-text example of the `gates init` template, whitespace-normalised."""
    import yaml

    from langgraph_gates.template import DOSSIER_TEMPLATE

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and len(node.split()) >= 3:
            found.add(" ".join(node.split()))

    walk(yaml.safe_load(DOSSIER_TEMPLATE))
    return frozenset(found)


def short(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters, cut between words (the report quotes it)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a single very long word is still cut
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
