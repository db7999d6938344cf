"""What a gate's model sees besides its instructions: findings, the dossier, earlier gates.

Two ways to show earlier gates (SPEC section 4):

* ``digest`` (default): per earlier gate, its status, key risk and its failing / warning checks
  (id and message), every piece cut to a fixed length. Its size is bounded by the number of
  gates, never by how long earlier narratives were.
* ``full_history``: every earlier gate's full narrative, as the seed's chain did (each gate saw
  the whole transcript), for comparison.

Everything the team under review wrote (dossier text, check messages that quote it, earlier
narratives) is rendered inside tagged data blocks whose closing tags cannot be forged.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Literal

from langgraph_gates.dossier import Dossier
from langgraph_gates.gates import GATES, GATES_BY_ID
from langgraph_gates.state import Finding, GateResult, Outcome

__all__ = [
    "DIGEST_FINDINGS_PER_GATE",
    "ContextMode",
    "data_block",
    "digest",
    "dossier_part",
    "earlier_gates",
    "findings_block",
    "full_history",
    "gate_table",
]

ContextMode = Literal["digest", "full_history"]

DIGEST_FINDINGS_PER_GATE = 5
"""At most this many failing / warning checks per earlier gate in a digest."""
_KEY_RISK_CHARS = 200
_MESSAGE_CHARS = 160
_DESCRIPTION_CHARS = 3000
_DOSSIER_CHARS = 8000
_FINDING_CHARS = 600

# Worst first, so a digest cut at DIGEST_FINDINGS_PER_GATE keeps the blockers.
_DIGEST_ORDER = (Outcome.FAIL, Outcome.ERROR, Outcome.MISSING, Outcome.WARN)


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def data_block(tag: str, body: str) -> str:
    """Wrap untrusted text in ``<tag>...</tag>``; a ``</`` inside cannot close the block."""
    safe = body.replace("</", "<\\/")
    return f"<{tag}>\n{safe}\n</{tag}>"


def _measured(f: Finding) -> str:
    text = "; ".join(
        f"{k}={json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
        for k, v in f.measured.items()
    )
    return clip(text, 200)


def _finding_line(f: Finding) -> str:
    line = f"[{f.outcome.value.upper()}] {f.check_id} ({f.severity.value}): {f.message}"
    measured = _measured(f)
    if measured:
        line += f" | measured: {measured}"
    if f.threshold is not None:
        line += f" | policy: {f.threshold.describe()}"
    if f.is_problem and f.mitigation:
        line += f" | mitigation: {f.mitigation}"
    return clip(line, _FINDING_CHARS)


def findings_block(findings: Iterable[Finding]) -> str:
    """One line per finding of the current gate (all outcomes, with measured values)."""
    lines = [_finding_line(f) for f in findings]
    return "\n".join(lines) if lines else "(this gate ran no checks)"


def dossier_part(dossier: Dossier, reads: Collection[str] | None) -> str:
    """The given top-level dossier sections (all for ``None``) plus the model, as compact JSON.

    The description is cut to a fixed length: it is free text of any size.
    """
    full = dossier.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    if reads is None:
        keys = list(full)
    else:
        keys = [k for k in full if k in reads or k in ("model", "description")]
    part = {k: full[k] for k in keys}
    if isinstance(part.get("description"), str):
        part["description"] = clip(part["description"], _DESCRIPTION_CHARS)
    text = json.dumps(part, ensure_ascii=False, separators=(",", ":"))
    if len(text) > _DOSSIER_CHARS:
        text = text[:_DOSSIER_CHARS] + " …(cut)"
    return text or "{}"


def _digest_entry(result: GateResult) -> str:
    spec = GATES_BY_ID[result.id]
    problems = sorted(
        (f for f in result.findings if f.outcome in _DIGEST_ORDER),
        key=lambda f: _DIGEST_ORDER.index(f.outcome),
    )
    shown = problems[:DIGEST_FINDINGS_PER_GATE]
    # The key risk is usually one of the listed checks: name it instead of repeating it.
    key = next((f.check_id for f in shown if result.key_risk.startswith(f"{f.check_id}:")), None)
    if key is None:
        key = clip(result.key_risk, _KEY_RISK_CHARS) or "none"
    status = result.status.value + (" (human override)" if result.override else "")
    lines = [f"- {spec.number}. {spec.title} [{result.id}]: {status}; key risk: {key}"]
    for f in shown:
        lines.append(f"  {f.outcome.value}: {f.check_id} — {clip(f.message, _MESSAGE_CHARS)}")
    if len(problems) > DIGEST_FINDINGS_PER_GATE:
        lines.append(f"  (+{len(problems) - DIGEST_FINDINGS_PER_GATE} more open checks)")
    return "\n".join(lines)


def digest(earlier: Mapping[str, GateResult]) -> str:
    """The compact digest of earlier gates: status, key risk, open checks; no narratives."""
    entries = [_digest_entry(earlier[s.id]) for s in GATES if s.id in earlier]
    return "\n".join(entries) if entries else "(no earlier gates)"


def _transcript_entry(result: GateResult) -> str:
    spec = GATES_BY_ID[result.id]
    out = [
        f"{spec.emoji} {spec.number}. {spec.title.upper()}",
        f"Status: {result.status.value}",
        f"Key risk: {result.key_risk}",
        f"Mitigation: {result.mitigation} | Owner: {result.owner}",
    ]
    titles = [*spec.outputs, *(t for t in result.sections if t not in spec.outputs)]
    for title in titles:
        out.append(f"{title}:\n{result.sections.get(title, '').strip()}")
    return "\n".join(out)


def full_history(earlier: Mapping[str, GateResult]) -> str:
    """Every earlier gate's full narrative (the seed's whole-transcript context)."""
    entries = [_transcript_entry(earlier[s.id]) for s in GATES if s.id in earlier]
    return "\n\n".join(entries) if entries else "(no earlier gates)"


def earlier_gates(earlier: Mapping[str, GateResult], mode: ContextMode) -> str:
    """The earlier gates as the given context mode shows them."""
    return full_history(earlier) if mode == "full_history" else digest(earlier)


def gate_table(gates: Mapping[str, GateResult]) -> str:
    """``Gate | Status | Mitigation | Owner`` lines for the summary prompt.

    Key risks are left to the earlier-gates context, which names them in either mode.
    """
    rows = []
    for spec in GATES:
        g = gates.get(spec.id)
        if g is None:
            continue
        status = g.status.value + (" (human override)" if g.override else "")
        rows.append(
            f"{spec.table_name} | {status} | {clip(g.mitigation, _MESSAGE_CHARS)} | {g.owner}"
        )
    return "\n".join(rows)
