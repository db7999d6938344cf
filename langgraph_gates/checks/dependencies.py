"""SEC.DEPENDENCIES: are the model's Python requirements pinned?"""

from __future__ import annotations

import re

from langgraph_gates.checks.base import CheckContext, Verdict, error, missing, ok, warn
from langgraph_gates.state import EvidenceRef

__all__ = [
    "check_dependencies",
    "unpinned_requirements",
]

_PINNED = re.compile(r"^[A-Za-z0-9_.\-\[\], ]+\s*===?\s*[^\s;,*]+(\s*;.*)?$")
MAX_REQUIREMENTS_BYTES = 2_000_000


def unpinned_requirements(text: str) -> tuple[list[str], int]:
    """Return the requirement lines that are not pinned to one version, and the count of all.

    Comments, blank lines and pip options (``-r``, ``--hash`` continuations, ``-i``) are skipped;
    a ``--hash`` on a pinned line is fine. Direct URLs and editable installs count as unpinned.
    """
    unpinned: list[str] = []
    total = 0
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(
            (
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "-i",
                "--index-url",
                "--extra-index-url",
                "--hash",
                "--find-links",
                "-f",
            )
        ):
            continue
        line = line.split(" --hash", 1)[0].rstrip(" \\")
        total += 1
        if line.startswith(("-e", "--editable")) or "://" in line or not _PINNED.match(line):
            unpinned.append(line[:80])
    return unpinned, total


def check_dependencies(ctx: CheckContext) -> Verdict:
    """Judges SEC.DEPENDENCIES: whether every requirement in the declared file is pinned."""
    value = ctx.dossier.security.requirements
    if not value:
        return missing(
            "No requirements file is referenced, so dependencies cannot be checked.",
            evidence=EvidenceRef(source="security.requirements"),
        )
    path = ctx.path("security.requirements", value)
    where = EvidenceRef(source=value)
    if not path.is_file():
        return error("requirements file not found", evidence=where)
    if path.stat().st_size > MAX_REQUIREMENTS_BYTES:
        return error("requirements file is larger than 2 MB", evidence=where)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return error("requirements file is not UTF-8 text", evidence=where)
    unpinned, total = unpinned_requirements(text)
    measured = {"requirements": total, "unpinned": unpinned}
    if total == 0:
        return warn("The requirements file lists no packages.", evidence=where, measured=measured)
    if unpinned:
        shown = ", ".join(unpinned[:8]) + (" ..." if len(unpinned) > 8 else "")
        return warn(
            f"{len(unpinned)} of {total} requirement(s) are not pinned: {shown}.",
            evidence=where,
            measured=measured,
        )
    return ok(
        f"All {total} requirements are pinned to exact versions.", evidence=where, measured=measured
    )
