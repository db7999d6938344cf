"""Tamper evidence: SHA-256 of every evidence file, of the policy and of the report itself.

A JSON report records what it was computed from (the dossier, every file it references and the
effective policy) and a digest of its own canonical form. :func:`verify_report` recomputes all
of them, so an auditor can tell whether the report or any evidence changed since the review.
A file that cannot be hashed is recorded as such and never verifies as unchanged.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from langgraph_gates.evidence.store import file_sha256 as memoised_sha256

__all__ = [
    "MAX_FOLDER_FILES",
    "FileDigest",
    "Integrity",
    "VerifyResult",
    "canonical_sha256",
    "evidence_digests",
    "file_sha256",
    "verify_report",
]

# A scan folder is hashed file by file; past this many files the rest is recorded as one
# "not hashed" entry, so verify says the folder cannot be vouched for instead of lying.
MAX_FOLDER_FILES = 2000
_CHUNK = 1 << 20


class FileDigest(BaseModel):
    """One evidence file as the review saw it."""

    field: str = Field(description="The dossier field that names it, or 'dossier'.")
    path: str = Field(description="The path, relative to the dossier's folder where possible.")
    sha256: str | None = Field(default=None, description="SHA-256 of the bytes; None if unread.")
    size: int | None = Field(default=None, description="Size in bytes.")
    error: str | None = Field(default=None, description="Why it could not be hashed.")


class Integrity(BaseModel):
    """The digests a JSON report carries so that it can be verified later."""

    algorithm: Literal["sha256"] = "sha256"
    base_dir: str | None = Field(
        default=None, description="The folder relative evidence paths resolve against."
    )
    files: list[FileDigest] = Field(default_factory=list)
    policy_sha256: str = Field(description="SHA-256 of the effective policy as canonical JSON.")
    report_sha256: str = Field(
        default="",
        description="SHA-256 of the report's canonical JSON with this field empty.",
    )


class VerifyResult(BaseModel):
    """What :func:`verify_report` found."""

    unchanged: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list, description="One line per change.")
    unreadable: list[str] = Field(default_factory=list, description="One line per unread file.")

    @property
    def exit_code(self) -> int:
        """0 unchanged, 3 something changed, 2 something could not be read."""
        if self.changed:
            return 3
        return 2 if self.unreadable else 0


def canonical_sha256(value: Any) -> str:
    """SHA-256 of a JSON value in canonical form (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a regular file, read afresh in chunks (evidence files can be large).

    ``gates verify`` uses this, not the review's memoised
    :func:`langgraph_gates.evidence.store.file_sha256`: that memo is keyed on size and mtime,
    and a tampered file can keep both.

    Opened without blocking and checked to be a regular file first: a FIFO or a device named
    as evidence would otherwise block the report (or never end).

    Raises:
        OSError: the file cannot be read, or is not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        digest = hashlib.sha256()
        size = 0
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _digest(field: str, shown: str, path: Path, *, fresh: bool = True) -> FileDigest:
    """One file's digest; ``fresh=False`` (building a report) reuses the hash the review took."""
    try:
        if fresh:
            sha, size = file_sha256(path)
        else:
            st = path.stat()  # a stat never blocks, even on a FIFO
            if not stat.S_ISREG(st.st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            sha, size = memoised_sha256(path), st.st_size
    except OSError as exc:
        reason = "not found" if isinstance(exc, FileNotFoundError) else exc.strerror or str(exc)
        return FileDigest(field=field, path=shown, error=reason)
    return FileDigest(field=field, path=shown, sha256=sha, size=size)


def _shown(path: Path, base: Path) -> str:
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def _folder(field: str, folder: Path, base: Path) -> Iterator[FileDigest]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files[:MAX_FOLDER_FILES]:
        yield _digest(field, _shown(path, base), path, fresh=False)
    if len(files) > MAX_FOLDER_FILES:
        more = len(files) - MAX_FOLDER_FILES
        yield FileDigest(
            field=field, path=_shown(folder, base), error=f"{more} more file(s) not hashed"
        )


def evidence_digests(
    path_fields: list[tuple[str, str]], base_dir: str | None, dossier_path: str | None
) -> list[FileDigest]:
    """Hash the dossier file and every file (or every file in a folder) it references."""
    base = Path(base_dir or ".").resolve()
    out: list[FileDigest] = []
    if dossier_path:
        dossier = Path(dossier_path).resolve()
        out.append(_digest("dossier", _shown(dossier, base), dossier, fresh=False))
    for field, value in path_fields:
        full = (base / value).resolve()
        if full.is_dir():
            out += list(_folder(field, full, base))
        else:
            out.append(_digest(field, value, full, fresh=False))
    return out


def _verify_files(integrity: dict[str, Any], base: Path, result: VerifyResult) -> None:
    for entry in integrity.get("files") or []:
        rec = FileDigest.model_validate(entry)
        label = f"{rec.path} ({rec.field})"
        if rec.sha256 is None:
            result.unreadable.append(f"{label}: not hashed at review time ({rec.error})")
            continue
        path = Path(rec.path)
        now = _digest(rec.field, rec.path, path if path.is_absolute() else base / path)
        if now.error == "not found":
            result.changed.append(f"{label}: removed since the review")
        elif now.sha256 is None:
            result.unreadable.append(f"{label}: cannot be read ({now.error})")
        elif now.sha256 != rec.sha256:
            result.changed.append(
                f"{label}: content changed (SHA-256 {rec.sha256[:12]}… -> {now.sha256[:12]}…, "
                f"{rec.size} -> {now.size} bytes)"
            )
        else:
            result.unchanged.append(label)


def verify_report(data: dict[str, Any], *, base_dir: str | None = None) -> VerifyResult:
    """Recompute a JSON report's digests against itself and the files it names.

    ``base_dir`` replaces the folder recorded in the report (a report checked on another
    machine). The report digest covers every field, so an edited status, finding or policy in
    the report shows as a change of the report itself.
    """
    result = VerifyResult()
    integrity = data.get("integrity")
    if not isinstance(integrity, dict) or not integrity.get("report_sha256"):
        result.unreadable.append("the report carries no integrity block (written before 1.1?)")
        return result
    recorded = integrity["report_sha256"]
    blank = {**data, "integrity": {**integrity, "report_sha256": ""}}
    if canonical_sha256(blank) != recorded:
        result.changed.append("the report itself: its content differs from its recorded digest")
    else:
        result.unchanged.append("the report itself")
    if canonical_sha256(data.get("policy") or {}) != integrity.get("policy_sha256"):
        result.changed.append("the policy recorded in the report differs from its digest")
    base = Path(base_dir or integrity.get("base_dir") or ".")
    _verify_files(integrity, base, result)
    return result
