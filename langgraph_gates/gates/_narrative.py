"""Helpers the gates use to write their sections from the dossier and the findings.

Renderers format; these helpers only compose sentences from values already computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from langgraph_gates.state import Finding, Outcome

__all__ = ["bullets", "finding_line", "findings_for", "listing", "not_provided"]

_MARK = {
    Outcome.PASS: "PASS",
    Outcome.WARN: "WARN",
    Outcome.FAIL: "FAIL",
    Outcome.MISSING: "MISSING",
    Outcome.ERROR: "ERROR",
}


def finding_line(f: Finding) -> str:
    """``[WARN] DR.MISSINGNESS: message (threshold)``."""
    line = f"[{_MARK[f.outcome]}] {f.check_id}: {f.message}"
    if f.threshold is not None and f.outcome in (Outcome.WARN, Outcome.FAIL):
        line += f" (policy: {f.threshold.describe()})"
    if f.outcome is not Outcome.PASS and f.mitigation:
        line += f" -> {f.mitigation}"
    return line


def findings_for(findings: Sequence[Finding], *check_ids: str) -> list[str]:
    """Lines for the findings of the given checks, in the order given."""
    return [finding_line(f) for cid in check_ids for f in findings if f.check_id == cid]


def bullets(lines: Iterable[str]) -> str:
    """Lines as a bulleted block (``- ``)."""
    return "\n".join(f"- {line}" for line in lines if line)


def listing(items: Sequence[str], *, empty: str) -> str:
    """A comma-separated list, or ``empty`` when there is nothing."""
    return ", ".join(items) if items else empty


def not_provided(what: str) -> str:
    """The plain sentence for something the dossier does not provide."""
    return f"Not provided in the dossier: {what}."


def section(*parts: str | list[str]) -> str:
    """Join prose and bullet lists into one section text, skipping empty parts."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, list):
            if part:
                out.append(bullets(part))
        elif part:
            out.append(part)
    return "\n".join(out)
