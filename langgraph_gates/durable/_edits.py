"""Human input to a review: ``--set`` edits of dossier fields and gate overrides.

Plumbing for :class:`~langgraph_gates.durable.Reviews`; the CLI borrows the parsers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langgraph_gates._structured import parse_structured_text
from langgraph_gates.dossier import check_paths, validate_dossier_unknown
from langgraph_gates.durable._common import unknown_gate
from langgraph_gates.durable.models import FieldChange
from langgraph_gates.errors import ConfigError, DossierError
from langgraph_gates.evidence.secrets import redact_dossier_secrets
from langgraph_gates.gates import GATES, GATES_BY_ID
from langgraph_gates.state import AuditEntry, Override, ReviewState, Status, worse_status

__all__ = [
    "affected_gates",
    "apply_edit",
    "audit_dump",
    "changed_fields",
    "edited_dossier",
    "make_overrides",
    "parse_assignment",
    "parse_override",
    "set_path",
]


def parse_override(value: str) -> tuple[str, Status]:
    """Parse ``GATE=STATUS`` (status Pass, Conditional or Fail, any case).

    Raises:
        ConfigError: not of that form, an unknown gate or an unknown status.
    """
    gate, sep, raw = value.partition("=")
    gate, raw = gate.strip(), raw.strip()
    if not sep or not gate or not raw:
        raise ConfigError(f"expected GATE=STATUS, got {value!r}", field="--override")
    if gate not in GATES_BY_ID:
        raise ConfigError(unknown_gate(gate), field="--override")
    for status in Status:
        if status.value.lower() == raw.lower():
            return gate, status
    msg = f"unknown status {raw!r} (choose from {', '.join(s.value for s in Status)})"
    raise ConfigError(msg, field="--override")


def parse_assignment(value: str) -> tuple[str, Any]:
    """Parse ``dotted.path=value``; the value is read as a YAML scalar or flow list/mapping.

    ``data.sensitive_attributes=[region, size]`` gives a list, ``problem.kpis[0].target=0.03``
    a number, ``data.labeling_qc=`` (nothing) a null.

    Raises:
        ConfigError: no ``=``, an empty path, or a value that is not valid YAML.
    """
    path, sep, raw = value.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ConfigError(f"expected dotted.path=value, got {value!r}", field="--set")
    try:
        # The guarded reader: a value such as 2026-13-45 or an alias bomb is refused, not raised.
        parsed = parse_structured_text(raw, source=path, error=ConfigError) if raw.strip() else None
    except ConfigError as exc:
        reason = " ".join(exc.message.removeprefix("not valid YAML/JSON").split())[:120]
        raise ConfigError(
            f"{path}: the value is not valid YAML ({reason})", field="--set"
        ) from None
    return path, parsed


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _segments(path: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for m in _SEGMENT.finditer(path):
        gap = path[pos : m.start()]
        if gap not in ("", "."):
            break
        parts.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
    if pos != len(path) or not parts or not isinstance(parts[0], str):
        raise DossierError(f"not a dotted path: {path!r}", field="--set")
    # A bare number after a dot indexes a list too: problem.kpis.0.target
    return [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]


def set_path(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Return a copy of ``document`` with ``path`` set to ``value``.

    Missing mappings on the way are created; a list index may point at an existing item or
    one past the end (to append).

    Raises:
        DossierError: the path goes through a value that is not a mapping or list, or a list
            index is out of range.
    """
    segments = _segments(path)
    root: dict[str, Any] = _copy(document)
    node: Any = root
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        where = _join(segments[: i + 1])
        if isinstance(seg, int):
            if not isinstance(node, list):
                raise DossierError(f"{_join(segments[:i])} is not a list", field=path)
            if seg > len(node):
                msg = f"index {seg} is out of range (the list has {len(node)} item(s))"
                raise DossierError(msg, field=where)
            if seg == len(node):
                node.append(None if last else {})
        elif not isinstance(node, dict):
            raise DossierError(f"{_join(segments[:i])} is not a mapping", field=path)
        elif not last and node.get(seg) is None:
            node[seg] = [] if isinstance(segments[i + 1], int) else {}
        if last:
            node[seg] = value
        else:
            node = node[seg]
    return root


def _join(segments: Sequence[str | int]) -> str:
    out = ""
    for seg in segments:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def changed_fields(before: Any, after: Any, prefix: str = "") -> list[FieldChange]:
    """The leaf fields that differ between two JSON documents (dicts compared key by key)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{prefix}.{key}" if prefix else str(key)
            out += changed_fields(before.get(key), after.get(key), sub)
        return out
    if (
        isinstance(before, list)
        and isinstance(after, list)
        and len(before) == len(after)
        and any(isinstance(x, dict) for x in before)
    ):
        # Same-length lists of records (KPIs, sources) are compared item by item, so an edit
        # of one KPI's target reads problem.kpis[0].target rather than the whole list.
        out = []
        for i, (x, y) in enumerate(zip(before, after, strict=True)):
            out += changed_fields(x, y, f"{prefix}[{i}]")
        return out
    if before == after:
        return []
    return [FieldChange(path=prefix, before=before, after=after)]


def affected_gates(changes: Iterable[FieldChange]) -> list[str]:
    """Gates (in review order) that read a changed field: its section, or their owner."""
    changes = list(changes)
    sections = {c.section for c in changes}
    owners = {c.path.split(".", 2)[1] for c in changes if c.path.startswith("owners.")}
    return [g.id for g in GATES if g.reads & sections or g.id in owners]


def apply_edit(document: dict[str, Any], path: str, value: Any, review_id: str) -> dict[str, Any]:
    """Set one field, keeping a refused YAML-typed scalar as its text.

    A scalar the schema refuses is retried as its text, so ``model.version=2.4`` stays the
    string '2.4'.
    """
    candidate = set_path(document, path, value)
    if isinstance(value, str | dict | list) or value is None:
        return candidate
    try:
        validate_dossier_unknown(candidate, source=f"review {review_id}", strict=True)
    except DossierError:
        text = set_path(document, path, _scalar_text(value))
        try:
            validate_dossier_unknown(text, source=f"review {review_id}", strict=True)
        except DossierError:
            return candidate  # the original error is the clearer one
        return text
    return candidate


def edited_dossier(
    current: dict[str, Any],
    changes: Mapping[str, Any],
    *,
    review_id: str,
    base_dir: str,
    allow_outside: bool,
) -> dict[str, Any]:
    """The dossier with ``changes`` applied, validated, paths checked and secrets redacted.

    Raises:
        DossierError: an edit makes the dossier invalid or a path leaves its folder.
    """
    edited = current
    for path, value in changes.items():
        edited = apply_edit(edited, path, value, review_id)
    dossier = validate_dossier_unknown(edited, source=f"review {review_id}", strict=True)[0]
    check_paths(dossier, base_dir, source=f"review {review_id}", allow_outside=allow_outside)
    # An edited value may carry a secret: redact before it reaches the state or the audit.
    return redact_dossier_secrets(dossier.model_dump(mode="json"))[0]


def _scalar_text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def make_overrides(
    state: ReviewState, overrides: Mapping[str, Status | str], by: str, reason: str, at: str
) -> tuple[list[Override], list[AuditEntry]]:
    """The overrides to record and one audit entry for each (``GATE: before -> after``).

    Raises:
        ConfigError: an unknown gate or status.
    """
    made: list[Override] = []
    entries: list[AuditEntry] = []
    for gate, raw in overrides.items():
        gate_id, status = parse_override(
            f"{gate}={Status(raw).value if isinstance(raw, Status) else raw}"
        )
        current = state.gates.get(gate_id)
        previous = worse_status(current.evidence_status, current.model_status) if current else None
        made.append(
            Override(
                gate=gate_id,  # type: ignore[arg-type]
                status=status,
                by=by,
                reason=reason,
                at=at,
                previous_status=previous,
            )
        )
        before = current.status.value if current else "not run yet"
        entries.append(
            AuditEntry(
                at=at,
                by=by,
                action="override",
                detail=f"{gate_id}: {before} -> {status.value}",
                reason=reason,
            )
        )
    return made, entries


def audit_dump(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    """Audit entries as the state stores them (plain JSON)."""
    return [e.model_dump(mode="json") for e in entries]
