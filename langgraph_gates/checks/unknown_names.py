"""X.UNKNOWN_FIELDS: names in the dossier (and the metrics file) that the format does not know.

A typo (``data.servng``) or a team's own metadata (``rollout.stage_duration_days``) never
stops a review: each gate reports the unknown fields of its own sections at once, with a
did-you-mean suggestion, as a ``warn``. The checks whose evidence was probably misnamed fail
closed on their own (see :func:`langgraph_gates.checks.base.run_check`), so this finding only
says what was left out. ``--strict`` refuses such a dossier before the review starts.

Needs: nothing (a pass when every name is known). Unreadable metrics file: the
performance checks report it; this check then lists the dossier's names only.
"""

from __future__ import annotations

from langgraph_gates.checks.base import CheckContext, CheckFn, CheckSpec, Verdict, ok, warn
from langgraph_gates.errors import EvidenceError
from langgraph_gates.state import EvidenceRef, GateId, Severity, UnknownName

__all__ = ["UNKNOWN_FIELDS"]

_PREFIX: dict[GateId, str] = {
    "problem_framing": "PF",
    "data_readiness": "DR",
    "feature_engineering": "FE",
    "model_performance": "MP",
    "responsible_ai": "RAI",
    "security_robustness": "SEC",
    "deployment_monitoring": "DEP",
}


def _metrics_unknown(ctx: CheckContext) -> list[UnknownName]:
    from langgraph_gates.checks.metrics_file import load_metrics  # metrics_file imports base

    try:
        metrics = load_metrics(ctx)
    except EvidenceError:  # the performance checks report an unreadable file
        return []
    return list(metrics.unknown) if metrics is not None else []


def _check(gate: GateId) -> CheckFn:
    def check_unknown_fields(ctx: CheckContext) -> list[Verdict]:
        """Judges whether the gate's dossier sections (and metrics file) use only known names."""
        names = [u for u in ctx.unknown if u.gate == gate]
        if gate == "model_performance":
            names += _metrics_unknown(ctx)
        if not names:
            return [ok("Every field name is known.")]
        shown = "; ".join(
            (u.describe() if u.source == "dossier" else f"{u.source}: {u.describe()}")
            for u in names[:12]
        )
        more = f"; and {len(names) - 12} more" if len(names) > 12 else ""
        return [
            warn(
                f"{len(names)} name(s) the format does not know, left out of the review: "
                f"{shown}{more}.",
                measured={
                    "unknown": [u.path for u in names],
                    "suggestions": {u.path: u.suggestion for u in names if u.suggestion},
                },
                evidence=[EvidenceRef(source=u.source, detail=u.path) for u in names[:12]],
                severity=Severity.LOW,
            )
        ]

    return check_unknown_fields


def _spec(gate: GateId) -> CheckSpec:
    return CheckSpec(
        f"{_PREFIX[gate]}.UNKNOWN_FIELDS",
        gate,
        "Unknown fields",
        _check(gate),
        mitigation=(
            "Fix the spelling of each name (a suggestion is given where one is close); keep a "
            "team's own metadata out of the dossier, or accept this warning. `gates review "
            "--strict` refuses a dossier with unknown fields."
        ),
        fail_level=False,
        needs="only the fields `gates schema` lists",
    )


UNKNOWN_FIELDS: dict[GateId, CheckSpec] = {gate: _spec(gate) for gate in _PREFIX}
