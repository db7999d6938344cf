"""The check machinery: a check is a small declared unit that turns evidence into a finding.

A check function takes a :class:`CheckContext` and returns a :class:`Verdict` (or several);
its :class:`CheckSpec` declares the id, gate, title, default mitigation and severity.
:func:`run_check` joins the two into :class:`~langgraph_gates.state.Finding` values and turns any
failure inside a check into an ``error`` finding, so one bad file never stops a review.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph_gates.dossier import Dossier, resolve_evidence_path
from langgraph_gates.errors import DossierError, EvidenceError
from langgraph_gates.policy import Policy
from langgraph_gates.state import (
    EvidenceRef,
    Finding,
    GateId,
    GateResult,
    Outcome,
    Severity,
    Threshold,
    UnknownName,
)

if TYPE_CHECKING:
    from langgraph_gates.evidence.store import EvidenceStore

__all__ = [
    "CheckContext",
    "CheckSpec",
    "Verdict",
    "error",
    "fail",
    "missing",
    "ok",
    "run_check",
    "warn",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What a check function concluded, before the spec adds id, gate, title and owner."""

    outcome: Outcome
    message: str
    # Any JSON value; typed loosely because list[str] is not a list[JsonValue] to a type
    # checker, and Finding validates it when the verdict becomes a finding.
    measured: Mapping[str, Any] = field(default_factory=dict)
    threshold: Threshold | None = None
    evidence: Sequence[EvidenceRef] = ()
    mitigation: str | None = None
    severity: Severity | None = None
    value: float | None = None


def _verdict(outcome: Outcome, message: str, **kw: Any) -> Verdict:
    evidence = kw.pop("evidence", ())
    if isinstance(evidence, EvidenceRef):
        evidence = (evidence,)
    return Verdict(outcome=outcome, message=message, evidence=tuple(evidence), **kw)


def ok(message: str, **kw: Any) -> Verdict:
    """A passing verdict."""
    return _verdict(Outcome.PASS, message, **kw)


def warn(message: str, **kw: Any) -> Verdict:
    """A warning verdict."""
    return _verdict(Outcome.WARN, message, **kw)


def fail(message: str, **kw: Any) -> Verdict:
    """A failing verdict."""
    return _verdict(Outcome.FAIL, message, **kw)


def missing(message: str, **kw: Any) -> Verdict:
    """The evidence the check needs is absent."""
    return _verdict(Outcome.MISSING, message, **kw)


def error(message: str, **kw: Any) -> Verdict:
    """The evidence exists but could not be read or used."""
    return _verdict(Outcome.ERROR, message, **kw)


def judged(outcome: Outcome, message: str, **kw: Any) -> Verdict:
    """A verdict with an outcome computed elsewhere (e.g. by a policy band)."""
    return _verdict(outcome, message, **kw)


@dataclass
class CheckContext:
    """Everything a check may read: the dossier, the policy, earlier gates and the evidence."""

    dossier: Dossier
    policy: Policy
    base_dir: Path
    as_of: dt.date
    prior: Mapping[str, GateResult]
    evidence: EvidenceStore
    allow_outside: bool = False
    unknown: Sequence[UnknownName] = ()

    def path(self, field_name: str, value: str) -> Path:
        """Resolve a dossier path (refusing one that leaves the dossier's folder).

        Raises:
            EvidenceError: the path leaves the folder, or names a pipe, socket or device
                (reading a FIFO or ``/dev/zero`` would block or never end).
        """
        try:
            path = resolve_evidence_path(
                self.base_dir, value, field=field_name, allow_outside=self.allow_outside
            )
        except DossierError as exc:
            raise EvidenceError(exc.message, source=value, field=field_name) from None
        if path.exists() and not (path.is_file() or path.is_dir()):
            msg = "not a regular file or folder (a pipe, socket or device); it is not read"
            raise EvidenceError(msg, source=value, field=field_name)
        return path

    def prior_finding(self, check_id: str) -> Finding | None:
        """The finding of an earlier gate's check, if that gate ran and produced it."""
        for result in self.prior.values():
            found = result.finding(check_id)
            if found is not None:
                return found
        return None


CheckFn = Callable[[CheckContext], "Verdict | Sequence[Verdict]"]
FailLevel = bool | Callable[[Policy], bool]


def band_fails(band: Callable[[Policy], Any]) -> Callable[[Policy], bool]:
    """A check's fail level that exists when its policy band has a ``fail`` value."""
    return lambda policy: band(policy).fail is not None


@dataclass(frozen=True)
class CheckSpec:
    """A declared check: its id, gate, title, function, default mitigation and severity."""

    id: str
    gate: GateId
    title: str
    fn: CheckFn
    mitigation: str
    fail_severity: Severity = Severity.HIGH
    reads: tuple[str, ...] = ()
    fail_level: FailLevel = True
    needs: str = ""
    evidence_fields: tuple[str, ...] = ()

    def can_fail(self, policy: Policy) -> bool:
        """Whether the check has a fail level under this policy (so an ``error`` fails)."""
        return self.fail_level(policy) if callable(self.fail_level) else self.fail_level

    def severity_for(self, outcome: Outcome) -> Severity:
        """Default severity of an outcome: fail uses the spec's, pass is Low, others Medium."""
        if outcome is Outcome.FAIL:
            return self.fail_severity
        if outcome is Outcome.PASS:
            return Severity.LOW
        return Severity.MEDIUM


_WAIVE = (
    "A reviewer may waive it: `gates resume ID --override {gate}=Conditional --by NAME "
    "--reason TEXT`."
)


def _closed(spec: CheckSpec, verdict: Verdict, ctx: CheckContext) -> str | None:
    """Why a gap counts as a fail (SPEC section 3), or ``None`` when it does not.

    ``error`` on a check with a fail level: declared evidence that cannot be used is a failure,
    not a gap. ``missing`` on a required check: withholding evidence must not read better than
    providing it.
    """
    needs = f" ({spec.needs})" if spec.needs else ""
    if verdict.outcome is Outcome.ERROR and spec.can_fail(ctx.policy):
        return (
            f"Declared evidence that cannot be used counts as a fail: fix it{needs}. "
            + _WAIVE.format(gate=spec.gate)
        )
    if verdict.outcome is Outcome.MISSING and spec.id in ctx.policy.required_checks(
        sensitive_declared=bool(ctx.dossier.data.sensitive_attributes),
        time_split=ctx.dossier.performance.validation_strategy == "time_split",
    ):
        return (
            f"{spec.id} is required by the policy, so missing evidence counts as a fail: "
            f"declare it{needs}. " + _WAIVE.format(gate=spec.gate)
        )
    return None


def _to_finding(spec: CheckSpec, verdict: Verdict, ctx: CheckContext, owner: str) -> Finding:
    closed = _closed(spec, verdict, ctx)
    mitigation = verdict.mitigation or ("" if verdict.outcome is Outcome.PASS else spec.mitigation)
    if closed:
        mitigation = f"{closed} {mitigation}".strip()
    return Finding(
        check_id=spec.id,
        gate=spec.gate,
        title=spec.title,
        outcome=verdict.outcome,
        severity=verdict.severity
        or (spec.fail_severity if closed else spec.severity_for(verdict.outcome)),
        message=verdict.message,
        measured=dict(verdict.measured),
        threshold=verdict.threshold,
        evidence=list(verdict.evidence),
        mitigation=mitigation,
        owner=owner,
        value=verdict.value,
        counts_as_fail=closed is not None,
    )


def run_check(spec: CheckSpec, ctx: CheckContext, *, owner: str) -> list[Finding]:
    """Run one check and return its findings; a failure inside the check becomes ``error``."""
    if spec.id in ctx.policy.disabled_checks:
        return []
    try:
        result = spec.fn(ctx)
    except EvidenceError as exc:
        result = error(exc.one_line(), evidence=EvidenceRef(source=exc.source or spec.id))
    except MemoryError:
        result = error("ran out of memory while computing this check")
    except Exception as exc:  # a bug or an unforeseen file must not end the review
        log.exception("check %s raised", spec.id)
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        result = error(f"the check could not be computed: {type(exc).__name__}: {reason}")
    verdicts = [result] if isinstance(result, Verdict) else list(result)
    return [_to_finding(spec, _misnamed(spec, v, ctx), ctx, owner) for v in verdicts]


def _misnamed(spec: CheckSpec, verdict: Verdict, ctx: CheckContext) -> Verdict:
    """A gap whose evidence was probably given under a misspelt name is an ``error``.

    ``data.servng: x.csv`` leaves ``data.serving`` unset, so the drift check would say
    ``missing``: a typo would read better than the evidence it hid (SPEC section 3).
    """
    if verdict.outcome not in (Outcome.MISSING, Outcome.PASS, Outcome.WARN):
        return verdict
    hits = [
        u
        for u in ctx.unknown
        if u.meant_is_absent
        and u.suggestion
        and any(
            u.suggestion == f
            or u.suggestion.startswith((f + ".", f + "["))
            or f.startswith(u.suggestion + ".")
            for f in spec.evidence_fields
        )
    ]
    if not hits:  # a pass or warn judged without the misnamed field is no better evidence
        return verdict
    names = "; ".join(u.describe() for u in hits)
    return replace(
        verdict,
        outcome=Outcome.ERROR,
        message=f"{verdict.message} The dossier names this evidence under an unknown field: "
        f"{names}.",
        mitigation=f"Rename {names.split(' (')[0]} to the field it meant, then review again.",
    )
