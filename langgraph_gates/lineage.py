"""What links reviews of one model across versions: key metrics, evidence hashes, next review.

The formatter records these in the review's outcome, so that ``gates history --model`` and
``gates compare`` read them back from the checkpoints without opening any evidence file again
(the files may have changed since).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from langgraph_gates.dossier import Dossier, resolve_evidence_path
from langgraph_gates.errors import DossierError
from langgraph_gates.evidence.store import file_sha256
from langgraph_gates.state import GateResult

__all__ = ["CADENCE", "evidence_hashes", "key_metrics", "next_review"]

CADENCE: dict[int, tuple[str, int | None]] = {
    0: ("manual: review before each deployment", None),
    1: ("automated training: review before each major version", None),
    2: ("automated deployment: review quarterly", 91),
    3: ("full MLOps: review annually, plus audits", 365),
}
"""MLOps maturity level -> (the seed's review cadence, days until the next review or None)."""


def next_review(level: int | None, reviewed_on: dt.date) -> tuple[str | None, str]:
    """The next review date (ISO) and the rule it comes from, for a maturity level.

    Levels 0 and 1 review on an event (a deployment, a major version), not a date: ``None``.
    """
    if level is None:
        return None, "no MLOps maturity level declared (deployment.mlops_level)"
    rule, days = CADENCE[level]
    when = None if days is None else (reviewed_on + dt.timedelta(days=days)).isoformat()
    return when, f"level {level}, {rule}"


def key_metrics(gates: Mapping[str, GateResult]) -> dict[str, float]:
    """The success metrics measured on held-out data, as MP.SUCCESS_CRITERIA_MET recorded them."""
    result = gates.get("model_performance")
    finding = result.finding("MP.SUCCESS_CRITERIA_MET") if result else None
    out: dict[str, float] = {}
    criteria = finding.measured.get("criteria") if finding else None
    for row in criteria if isinstance(criteria, list) else []:
        if isinstance(row, dict) and isinstance(row.get("value"), int | float):
            out.setdefault(str(row.get("metric")), float(row["value"]))  # type: ignore[arg-type]
    return out


def evidence_hashes(
    dossier: Dossier, base_dir: str | Path, *, allow_outside: bool
) -> dict[str, str]:
    """SHA-256 of every evidence file the dossier references (``absent`` / ``folder`` otherwise)."""
    out: dict[str, str] = {}
    for field, value in dossier.path_fields():
        try:
            path = resolve_evidence_path(base_dir, value, field=field, allow_outside=allow_outside)
        except DossierError:
            out[field] = "refused"
            continue
        if path.is_file():
            out[field] = file_sha256(path)
        else:
            out[field] = "folder" if path.is_dir() else "absent"
    return out
