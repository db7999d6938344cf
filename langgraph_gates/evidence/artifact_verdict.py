"""The verdict on an artifact: the scanned parts of its files, judged and summarised.

Every reader turns what it found into :class:`_Part` values; a part's problems, blocked
imports and kind decide the verdict (:func:`_verdict`), and :func:`_summary` turns the parts
into the :class:`ArtifactScan` that checks and reports read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from langgraph_gates.evidence.pickle_scan import ImportedGlobal, StreamScan

__all__ = ["ArtifactScan", "BlockedImport", "Verdict"]

Verdict = Literal["unsafe", "unparseable", "pickle", "unknown", "safe", "too_large"]
_SHOWN = 50


class BlockedImport(BaseModel):
    """A callable the artifact would import on load that is not on the allowlist."""

    callable: str = Field(description="module.name, e.g. 'os.system'.")
    status: Literal["dangerous", "not_allowed"]
    where: str = Field(description="File or archive member, and byte offset of the opcode.")
    kind: Literal["import", "layer", "op"] = Field(
        default="import",
        description="A pickle import, a Keras layer that carries code, or a TensorFlow op.",
    )


class ArtifactScan(BaseModel):
    """What the static inspection of an artifact found (no secret or payload values)."""

    path: str
    format: str = Field(description="e.g. 'joblib (zlib)', 'PyTorch zip', 'safetensors'.")
    verdict: Verdict
    pickle_based: bool = False
    size_bytes: int = 0
    imports: list[str] = Field(default_factory=list, description="Allowed imports (distinct).")
    imports_total: int = 0
    blocked: list[BlockedImport] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    members: list[str] = Field(
        default_factory=list, description="Scanned files or archive members with their format."
    )
    opcodes: int = 0
    arrays: int = 0


@dataclass
class _Part:
    name: str
    format: str
    pickle_based: bool = False
    unknown: bool = False
    scan: StreamScan = field(default_factory=lambda: StreamScan(streams=0))
    children: list[_Part] = field(default_factory=list)
    """Parts found inside this one (a model archive embedded in a pickle)."""


def _problem_part(name: str, fmt: str, message: str) -> _Part:
    part = _Part(name, fmt, unknown=True)
    part.scan.problems.append(f"{name}: {message}")
    return part


# Code-bearing elements that are not pickle imports are reported under these pseudo-modules
# (no pickle can import a module named with angle brackets, so the two never mix).
_KERAS_MODULE = "<keras layer>"
_TF_OPS_MODULE = "<tensorflow op>"


def _flagged(stream: str, module: str, what: str, reason: str) -> ImportedGlobal:
    """A code-bearing element that is not a pickle import (a Keras layer, a TF op)."""
    return ImportedGlobal(module, what, stream, 0, "dangerous", reason)


def _flatten(parts: Iterable[_Part]) -> list[_Part]:
    out: list[_Part] = []
    for p in parts:
        out.append(p)
        out += _flatten(p.children)
    return out


def _verdict(parts: Iterable[_Part]) -> Verdict:
    parts = list(parts)
    if any(p.scan.blocked for p in parts):
        return "unsafe"
    if any(p.scan.problems for p in parts):
        return "unparseable"
    if any(p.pickle_based for p in parts):
        return "pickle"
    if any(p.unknown for p in parts):
        return "unknown"
    return "safe"


_KINDS: dict[str, Literal["import", "layer", "op"]] = {
    _KERAS_MODULE: "layer",
    _TF_OPS_MODULE: "op",
}


def _summary(path: str, size: int, parts: list[_Part], fmt: str) -> ArtifactScan:
    parts = _flatten(parts)
    imports = sorted({g.qualified for p in parts for g in p.scan.imports if g.status == "allowed"})
    blocked: list[BlockedImport] = []
    seen: set[str] = set()
    for p in parts:
        for g in p.scan.blocked:
            kind = _KINDS.get(g.module, "import")
            if kind == "layer":
                key = f"Keras {g.name}"
            elif kind == "op":
                key = f"TensorFlow op {g.name}"
            else:
                key = g.qualified if g.module != "<unresolved>" else f"<unresolved: {g.name}>"
            # Names come from the file: keep them short and printable in reports.
            key = "".join(c if c.isprintable() else "?" for c in key)[:120]
            if key in seen:
                continue
            seen.add(key)
            status: Literal["dangerous", "not_allowed"] = (
                "dangerous" if g.status == "dangerous" else "not_allowed"
            )
            where = g.stream if kind != "import" else f"{g.stream} @{g.pos}"
            blocked.append(BlockedImport(callable=key, status=status, where=where, kind=kind))
    # Dangerous first: they are what the reader must see.
    blocked.sort(key=lambda b: (b.status != "dangerous", b.callable))
    return ArtifactScan(
        path=path,
        format=fmt,
        verdict=_verdict(parts),
        pickle_based=any(p.pickle_based for p in parts),
        size_bytes=size,
        imports=imports[:200],
        imports_total=sum(len(p.scan.imports) for p in parts),
        blocked=blocked[:_SHOWN],
        problems=[m for p in parts for m in p.scan.problems][:_SHOWN],
        notes=[m for p in parts for m in p.scan.notes][:_SHOWN],
        members=[f"{p.name}: {p.format}" for p in parts][:_SHOWN],
        opcodes=sum(p.scan.opcodes for p in parts),
        arrays=sum(p.scan.arrays for p in parts),
    )
