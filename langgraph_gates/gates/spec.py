"""What a gate is: its id, title, the seed's outputs, the checks it runs and how it writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from langgraph_gates.checks.base import CheckContext, CheckSpec
from langgraph_gates.checks.catalog import gate_checks, gate_entries
from langgraph_gates.state import Finding, GateId

__all__ = ["GateSpec", "SectionWriter", "declared_gate"]

SectionWriter = Callable[[CheckContext, list[Finding]], dict[str, str]]


@dataclass(frozen=True)
class GateSpec:
    """One of the seven gates.

    Attributes:
        id: stable gate id, e.g. ``data_readiness``.
        number: position in the review, 1 to 7.
        title: the seed's section title, e.g. ``Data Readiness``.
        table_name: the name in the gate table (the seed shortens two of them).
        emoji: the seed's marker for the section.
        focus: the seed's one-line focus of the gate.
        outputs: the seed's outputs for this gate; each becomes a section of the report.
        default_owner: the role that owns the gate when the dossier names nobody.
        checks: the checks the gate runs, in order.
        write_sections: writes one text per output from the dossier and the findings.
        extra_reads: dossier sections the sections read beyond what the checks read.
    """

    id: GateId
    number: int
    title: str
    table_name: str
    emoji: str
    focus: str
    outputs: tuple[str, ...]
    default_owner: str
    checks: tuple[CheckSpec, ...]
    write_sections: SectionWriter
    extra_reads: tuple[str, ...] = ()

    @property
    def reads(self) -> frozenset[str]:
        """Top-level dossier sections whose change makes this gate's result stale."""
        out = set(self.extra_reads)
        for check in self.checks:
            out.update(check.reads)
        return frozenset(out)

    @property
    def check_ids(self) -> tuple[str, ...]:
        """The ids of the gate's checks, in order."""
        return tuple(c.id for c in self.checks)


def declared_gate(gate_id: GateId, write_sections: SectionWriter) -> GateSpec:
    """The gate as ``catalog.yaml`` declares it, with the module's own section writer."""
    entry = next(g for g in gate_entries() if g.gate == gate_id)
    return GateSpec(
        id=entry.gate,
        number=entry.number,
        title=entry.title,
        table_name=entry.table_name,
        emoji=entry.emoji,
        focus=entry.focus,
        outputs=entry.outputs,
        default_owner=entry.default_owner,
        checks=gate_checks(gate_id),
        write_sections=write_sections,
        extra_reads=entry.extra_reads,
    )
