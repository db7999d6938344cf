"""The review's structure, read from one reviewed table: ``langgraph_gates/catalog.yaml``.

The table lists the seven gates in order and, for each, its checks with everything a check
declares besides its function body: title, the function that judges it, what it needs, the
dossier fields that carry its evidence, its default mitigation, its severity and its fail
level. Keeping the declarations in one table (rather than a ``CheckSpec(...)`` block beside
each function) makes the contract of every check readable, and reviewable, in one place.

The table is validated when first read: an unknown key, a function that does not exist or a
fail-level band that is not a policy field raises :class:`CatalogError` (a packaging bug, so
the test suite reads the whole table).
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from langgraph_gates.checks.base import CheckFn, CheckSpec, FailLevel
from langgraph_gates.policy import Policy
from langgraph_gates.state import GateId, Severity

__all__ = ["CatalogError", "CheckEntry", "GateEntry", "check_spec", "gate_checks", "gate_entries"]


class CatalogError(RuntimeError):
    """The catalog table is malformed: a bug in the package, not in the user's input."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FailWhen(_Row):
    """Policy values that give a check a fail level (any of them suffices)."""

    bands: tuple[str, ...] = ()
    equals: dict[str, str] = {}


class CheckEntry(_Row):
    """One check's declaration (see the comment at the top of ``catalog.yaml``)."""

    id: str
    title: str
    fn: str
    mitigation: str
    needs: str = ""
    evidence_fields: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    fail_severity: Severity = Severity.HIGH
    fail_level: bool | FailWhen = True


class GateEntry(_Row):
    """One gate's declaration: its place, titles, the seed's outputs and its checks."""

    gate: GateId
    number: int
    title: str
    table_name: str
    emoji: str
    focus: str
    default_owner: str
    outputs: tuple[str, ...]
    extra_reads: tuple[str, ...] = ()
    checks: tuple[CheckEntry, ...]


@cache
def gate_entries() -> tuple[GateEntry, ...]:
    """The gates of the table, in order.

    Raises:
        CatalogError: the table does not parse or does not match its schema.
    """
    text = resources.files("langgraph_gates").joinpath("catalog.yaml").read_text("utf-8")
    try:
        rows = yaml.safe_load(text)
        gates = tuple(GateEntry.model_validate(row) for row in rows)
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise CatalogError(f"langgraph_gates/catalog.yaml: {exc}") from exc
    if [g.number for g in gates] != list(range(1, len(gates) + 1)):
        raise CatalogError("catalog.yaml: gates must be numbered 1, 2, ... in order")
    return gates


def _function(ref: str) -> CheckFn:
    module, _, name = ref.partition(":")
    try:
        fn = getattr(importlib.import_module(f"langgraph_gates.checks.{module}"), name)
    except (ImportError, AttributeError) as exc:
        raise CatalogError(f"catalog.yaml: no check function {ref!r}: {exc}") from exc
    if not callable(fn):
        raise CatalogError(f"catalog.yaml: {ref!r} is not a function")
    return fn  # type: ignore[no-any-return]


def _policy_value(policy: Any, path: str) -> Any:
    for part in path.split("."):
        policy = getattr(policy, part)
    return policy


def _fail_level(rule: bool | FailWhen, check_id: str) -> FailLevel:
    if isinstance(rule, bool):
        return rule
    default = Policy()
    for path in (*rule.bands, *rule.equals):  # a typo would make can_fail raise mid-review
        try:
            _policy_value(default, path)
        except AttributeError:
            raise CatalogError(f"catalog.yaml: {check_id}: no policy field {path!r}") from None

    def can_fail(policy: Policy) -> bool:
        return any(_policy_value(policy, b).fail is not None for b in rule.bands) or any(
            str(_policy_value(policy, path)) == value for path, value in rule.equals.items()
        )

    return can_fail


def _spec(gate: GateId, row: CheckEntry) -> CheckSpec:
    return CheckSpec(
        row.id,
        gate,
        row.title,
        _function(row.fn),
        mitigation=row.mitigation,
        fail_severity=row.fail_severity,
        reads=row.reads,
        fail_level=_fail_level(row.fail_level, row.id),
        needs=row.needs,
        evidence_fields=row.evidence_fields,
    )


@cache
def _specs() -> dict[str, CheckSpec]:
    specs: dict[str, CheckSpec] = {}
    for gate in gate_entries():
        for row in gate.checks:
            if row.id in specs:
                raise CatalogError(f"catalog.yaml: {row.id} is declared twice")
            specs[row.id] = _spec(gate.gate, row)
    return specs


def check_spec(check_id: str) -> CheckSpec:
    """The declared check with this id (``X.UNKNOWN_FIELDS`` included).

    Raises:
        KeyError: no such check.
    """
    if check_id.endswith(".UNKNOWN_FIELDS"):
        from langgraph_gates.checks.unknown_names import UNKNOWN_FIELDS

        for spec in UNKNOWN_FIELDS.values():
            if spec.id == check_id:
                return spec
    return _specs()[check_id]


def gate_checks(gate: GateId) -> tuple[CheckSpec, ...]:
    """The checks a gate runs, in order: its rows of the table, then its unknown-fields check."""
    from langgraph_gates.checks.unknown_names import UNKNOWN_FIELDS

    rows = next(g.checks for g in gate_entries() if g.gate == gate)
    return (*(_specs()[row.id] for row in rows), UNKNOWN_FIELDS[gate])
