"""DR.COLUMNS: are the declared label, timestamp and sensitive columns in the data files?

A wrong ``data.label`` used to surface as a misleading schema finding ("feature(s) missing in
serving: risk": the real label was taken for a feature). This check names the file and the
columns it has, and ranks first in the gate's key risk (a structural fail has no threshold to
be measured against).

Needs: ``data.train`` (and ``data.validation`` when given) with ``data.label``,
``data.timestamp`` or ``data.sensitive_attributes`` declared. Missing: no training file, or
nothing declared to look for. A file that cannot be read is reported by the checks that scan
it (DR.VOLUME and others, which fail closed); this check then judges the files it could read,
and says ``error`` when it could read none. Fail closed: any declared column absent is a fail.
"""

from __future__ import annotations

from collections.abc import Callable

from langgraph_gates._names import did_you_mean
from langgraph_gates.checks._loaders import name_list, train_profile, validation_profile
from langgraph_gates.checks.base import CheckContext, Verdict, error, fail, missing, ok
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.tabular import TableProfile
from langgraph_gates.state import EvidenceRef

__all__ = [
    "check_columns",
]

_FILES: tuple[tuple[str, Callable[[CheckContext], TableProfile | None]], ...] = (
    ("data.train", train_profile),
    ("data.validation", validation_profile),
)


def _declared(ctx: CheckContext) -> list[tuple[str, str]]:
    d = ctx.dossier.data
    out = [("data.label", d.label)] if d.label else []
    out += [("data.timestamp", d.timestamp)] if d.timestamp else []
    out += [("data.sensitive_attributes", a) for a in d.sensitive_attributes or []]
    return out


def check_columns(ctx: CheckContext) -> Verdict:
    """Judges whether every declared label, timestamp and sensitive column is in the data."""
    if not ctx.dossier.data.train:
        return missing(
            "No training data is referenced (data.train), so declared columns cannot be located.",
            evidence=EvidenceRef(source="data.train"),
        )
    declared = _declared(ctx)
    if not declared:
        return missing(
            "No label, timestamp or sensitive attribute is declared (data.label, "
            "data.timestamp, data.sensitive_attributes).",
            evidence=EvidenceRef(source="data.label"),
        )
    absent: list[str] = []
    unreadable: list[str] = []
    checked: list[str] = []
    evidence: list[EvidenceRef] = []
    for field, load in _FILES:
        try:
            profile = load(ctx)
        except EvidenceError as exc:
            unreadable.append(exc.one_line())
            continue
        if profile is None:
            continue
        checked.append(profile.source)
        names = profile.column_names
        for what, column in declared:
            if column in names:
                continue
            absent.append(
                f"{what} {column!r} is not a column of {profile.source}"
                f"{did_you_mean(column, names)} (its columns: {name_list(names)})"
            )
            evidence.append(EvidenceRef(source=profile.source, column=column, detail=field))
    if absent:
        return fail(
            "Declared column(s) not in the data: " + "; ".join(absent) + ".",
            measured={"absent": absent, "files": checked},
            evidence=evidence,
        )
    if not checked:
        return error(
            "No data file could be read to locate the declared columns: " + "; ".join(unreadable),
            evidence=EvidenceRef(source="data.train"),
        )
    cols = ", ".join(sorted({c for _, c in declared}))
    return ok(
        f"Declared columns ({cols}) are in {', '.join(checked)}.",
        measured={"files": checked, "columns": [c for _, c in declared]},
        evidence=[EvidenceRef(source=f) for f in checked],
    )
