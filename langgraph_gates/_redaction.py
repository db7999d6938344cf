"""Redaction of what a run starts from: a run input, a state update, a resume command.

One place for every entry point that hands LangGraph values before any node runs: the
compiled graph (:func:`langgraph_gates.build_graph`), the server middleware
(:mod:`langgraph_gates.server`). The dossier is redacted as a dossier (its SHA-256 field is a
digest, not a key), free text as text, and of overrides and audit entries the text people
typed (``by``, ``reason``); machine-made values (policy numbers, gate results) pass unchanged.
"""

from __future__ import annotations

from typing import Any

from langgraph_gates.evidence.secrets import redact_dossier_secrets, redact_text

__all__ = ["redact_command", "redact_values"]

_PEOPLE_FIELDS = ("by", "reason")


def _redacted_entries(entries: Any) -> Any:
    """Overrides or audit entries with the text people typed (``by``, ``reason``) masked."""
    if not isinstance(entries, list):
        return entries
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            entry = dict(entry)
            for key in _PEOPLE_FIELDS:
                if isinstance(entry.get(key), str):
                    entry[key] = redact_text(entry[key])[0]
        out.append(entry)
    return out


def redact_values(values: Any) -> Any:
    """A run input or a state update with its secrets masked (other values unchanged)."""
    if not isinstance(values, dict):
        return values
    out = dict(values)
    if isinstance(out.get("dossier"), dict):
        out["dossier"] = redact_dossier_secrets(out["dossier"])[0]
    # Paths and ids stay as given: a digest-like folder name must not break a file's path.
    if isinstance(out.get("text"), str):
        out["text"] = redact_text(out["text"])[0]
    for key in ("overrides", "audit"):
        if key in out:
            out[key] = _redacted_entries(out[key])
    if isinstance(out.get("notes"), list):
        out["notes"] = [redact_text(n)[0] if isinstance(n, str) else n for n in out["notes"]]
    return out


def redact_command(command: Any) -> Any:
    """A resume command with its ``update`` and a text ``resume`` value redacted."""
    if not isinstance(command, dict):
        return command
    out = dict(command)
    if "update" in out:
        out["update"] = redact_values(out["update"])
    if isinstance(out.get("resume"), str):
        out["resume"] = redact_text(out["resume"])[0]
    return out
