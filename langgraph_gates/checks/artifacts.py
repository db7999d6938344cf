"""SEC.ARTIFACT_UNSAFE and SEC.ARTIFACT_INTEGRITY: is the model artifact safe and the one published.

Can the model artifact run code on load, and is it the one that was published?

The artifact is inspected statically (:mod:`langgraph_gates.evidence.artifact_scan`); it is
never loaded or unpickled.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import JsonValue

from langgraph_gates.checks.base import CheckContext, Verdict, error, fail, missing, ok, warn
from langgraph_gates.evidence.artifact_scan import ArtifactScan, scan_artifact
from langgraph_gates.evidence.store import file_sha256
from langgraph_gates.state import EvidenceRef, Severity

__all__ = [
    "artifact_sha256",
    "check_artifact_integrity",
    "check_artifact_unsafe",
]

_MB = 2**20
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PREFER = "prefer safetensors (weights), ONNX or skops (scikit-learn)"


def _no_artifact() -> Verdict:
    return missing(
        "No model artifact is referenced (security.artifact), so it cannot be inspected.",
        evidence=EvidenceRef(source="security.artifact"),
    )


def _scan(ctx: CheckContext, value: str, path: Path) -> ArtifactScan:
    sec = ctx.policy.security
    max_bytes = int(sec.max_artifact_mb * _MB)

    def compute() -> ArtifactScan:
        return scan_artifact(
            path,
            display=value,
            extra_allowed=sec.allowed_globals,
            max_bytes=max_bytes,
            max_decompressed_bytes=int(sec.max_decompressed_mb * _MB),
        )

    if path.is_file() and path.stat().st_size > max_bytes:
        return compute()  # not inspected: no point hashing it for the cache key
    return ctx.evidence.cached("artifact_scan", [path], ArtifactScan, compute, params=value)


def _names(scan: ArtifactScan) -> str:
    shown = [
        f"{b.callable}{' (known dangerous)' if b.status == 'dangerous' else ''}"
        for b in scan.blocked[:6]
    ]
    more = len(scan.blocked) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _what_runs(scan: ArtifactScan) -> str:
    """Say what runs: pickle imports, Keras layers with code, TensorFlow ops on host files."""
    kinds = {b.kind for b in scan.blocked}
    if kinds == {"import"}:
        return f"it imports {_names(scan)}"
    if kinds == {"layer"}:
        return f"its model config holds code-carrying layers: {_names(scan)}"
    if kinds == {"op"}:
        return f"its graph reads or writes host files or runs Python: {_names(scan)}"
    return f"it holds {_names(scan)}"


def _first(items: Sequence[str], n: int) -> list[JsonValue]:
    """The first ``n`` items, as a JSON list (a ``list[str]`` is not a ``list[JsonValue]``)."""
    return list(items[:n])


def _measured(scan: ArtifactScan) -> dict[str, JsonValue]:
    return {
        "format": scan.format,
        "verdict": scan.verdict,
        "pickle_based": scan.pickle_based,
        "size_mb": round(scan.size_bytes / _MB, 3),
        "imports_allowed": _first(scan.imports, 30),
        "imports_blocked": [b.callable for b in scan.blocked],
        "blocked_at": [f"{b.callable} in {b.where}" for b in scan.blocked[:10]],
        "problems": _first(scan.problems, 5),
        "notes": _first(scan.notes, 5),
        "members": _first(scan.members, 20),
        "opcodes": scan.opcodes,
        "arrays_skipped": scan.arrays,
    }


# One function per scan verdict: each says what it means for the check, with the same
# measurements; `where` is the artifact's evidence reference.
def _unsafe(ctx: CheckContext, scan: ArtifactScan, where: EvidenceRef) -> Verdict:
    evidence = [where] + [
        EvidenceRef(
            source=b.where.split(" @", 1)[0],
            detail=f"imports {b.callable}" if b.kind == "import" else b.callable,
        )
        for b in scan.blocked[:5]
    ]
    return fail(
        f"The artifact ({scan.format}) would run code on load: {_what_runs(scan)}. "
        "It was not loaded.",
        measured=_measured(scan),
        evidence=evidence,
        mitigation=(
            "Do not load this artifact. Rebuild it from trusted code and save it in a "
            f"non-executable format ({_PREFER}); if a listed callable is legitimately "
            "needed, review it and add it to the policy's security.allowed_globals."
        ),
    )


def _unparseable(ctx: CheckContext, scan: ArtifactScan, where: EvidenceRef) -> Verdict:
    reason = scan.problems[0] if scan.problems else "unknown reason"
    return fail(
        f"The artifact ({scan.format}) cannot be verified: {reason}. An unpickler runs "
        "every call it meets before such a failure, so it cannot pass.",
        measured=_measured(scan),
        evidence=where,
        mitigation=(
            "Re-export the artifact from the training pipeline (uncompressed, or zlib, "
            f"gzip, bz2 or xz), check the upload was complete, and {_PREFER}."
        ),
    )


def _too_large(ctx: CheckContext, scan: ArtifactScan, where: EvidenceRef) -> Verdict:
    return error(
        f"The artifact is {scan.size_bytes / _MB:,.0f} MB, above the policy cap of "
        f"{ctx.policy.security.max_artifact_mb:,.0f} MB; it was not inspected.",
        measured=_measured(scan),
        evidence=where,
    )


def _pickle(ctx: CheckContext, scan: ArtifactScan, where: EvidenceRef) -> Verdict:
    count = len(scan.imports)
    return warn(
        f"The artifact is pickle-based ({scan.format}): a pickle-based format can run code "
        f"on load. All {count} imported callable(s) are on the allowlist; {_PREFER}.",
        measured=_measured(scan),
        evidence=where,
        severity=Severity.MEDIUM,
        mitigation=(
            f"Convert the model to a non-executable format ({_PREFER}); until then load "
            "it only from a trusted, hash-checked location."
        ),
    )


def _unknown(ctx: CheckContext, scan: ArtifactScan, where: EvidenceRef) -> Verdict:
    note = f" ({scan.notes[0]})" if scan.notes else ""
    return warn(
        f"The artifact's format was not recognised ({scan.format}){note}: it cannot be said "
        "whether loading it runs code.",
        measured=_measured(scan),
        evidence=where,
        mitigation=f"Ship the model in a known, non-executable format ({_PREFER}).",
    )


def _safe(ctx: CheckContext, scan: ArtifactScan, where: EvidenceRef) -> Verdict:
    skops = (
        " skops files are read by skops' own loader, which refuses untrusted types."
        if ("skops" in scan.format)
        else ""
    )
    return ok(
        f"The artifact is {scan.format}, a non-executable format: loading it runs no code "
        f"through the format itself.{skops}",
        measured=_measured(scan),
        evidence=where,
    )


_BY_VERDICT: dict[str, Callable[[CheckContext, ArtifactScan, EvidenceRef], Verdict]] = {
    "unsafe": _unsafe,
    "unparseable": _unparseable,
    "too_large": _too_large,
    "pickle": _pickle,
    "unknown": _unknown,
    "safe": _safe,
}


def check_artifact_unsafe(ctx: CheckContext) -> Verdict:
    """Judges SEC.ARTIFACT_UNSAFE: whether the artifact can run code when it is loaded."""
    value = ctx.dossier.security.artifact
    if not value:
        return _no_artifact()
    path = ctx.path("security.artifact", value)
    where = EvidenceRef(source=value)
    if not path.exists():
        return error("The model artifact was not found.", evidence=where)
    scan = _scan(ctx, value, path)
    # Any verdict not listed is reported as safe, as the if-chain before this table did.
    return _BY_VERDICT.get(scan.verdict, _safe)(ctx, scan, where)


def artifact_sha256(path: Path) -> str:
    r"""SHA-256 of a file (streamed); of a folder, the hash of its sorted file list and hashes.

    For a folder the digest is ``sha256`` over lines ``"<sha256>  <relative/path>\n"`` sorted
    by path: the output of ``sha256sum`` over the folder's files, in path order.
    """
    if not path.is_dir():
        return file_sha256(path)
    base = path.resolve()
    lines = []
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        if f.is_symlink() and not f.resolve().is_relative_to(base):
            continue
        lines.append(f"{file_sha256(f)}  {f.relative_to(path).as_posix()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _normalise_declared(value: str) -> str:
    text = value.strip().lower()
    return text.removeprefix("sha256:").removeprefix("sha256=").strip()


def check_artifact_integrity(ctx: CheckContext) -> Verdict:
    """Judges SEC.ARTIFACT_INTEGRITY: whether the artifact's SHA-256 matches the declared one."""
    sec = ctx.dossier.security
    if not sec.artifact:
        return _no_artifact()
    path = ctx.path("security.artifact", sec.artifact)
    where = EvidenceRef(source=sec.artifact)
    if not path.exists():
        return error("The model artifact was not found.", evidence=where)
    computed = artifact_sha256(path)
    kind = "folder manifest " if path.is_dir() else ""
    if not sec.artifact_sha256 or not sec.artifact_sha256.strip():
        return warn(
            f"No SHA-256 is declared for the artifact (security.artifact_sha256); its "
            f"{kind}SHA-256 is {computed}.",
            measured={"sha256": computed, "declared": None},
            evidence=[where, EvidenceRef(source="security.artifact_sha256")],
            mitigation=(
                "Publish the artifact's SHA-256 with the model (registry or release notes), "
                "declare it in the dossier, and verify it before every load."
            ),
        )
    declared = _normalise_declared(sec.artifact_sha256)
    if not _SHA256.fullmatch(declared):
        return error(
            "The declared security.artifact_sha256 is not a SHA-256 digest (64 hex characters).",
            measured={"sha256": computed},
            evidence=EvidenceRef(source="security.artifact_sha256"),
        )
    measured = {"sha256": computed, "declared": declared, "matches": computed == declared}
    if computed != declared:
        return fail(
            f"The artifact's {kind}SHA-256 {computed} differs from the declared {declared}: "
            "the file was changed or replaced after its hash was published.",
            measured=measured,
            evidence=[where, EvidenceRef(source="security.artifact_sha256")],
            mitigation=(
                "Do not deploy this file. Find out why it changed, restore the published "
                "artifact (or publish the new hash after review), and verify hashes on load."
            ),
        )
    return ok(
        f"The artifact's {kind}SHA-256 matches the declared value ({computed[:12]}…).",
        measured=measured,
        evidence=where,
    )
