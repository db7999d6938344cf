"""The evidence store: one place that reads evidence files and caches what was computed.

Results are cached by the content hash of the files they came from plus the policy
fingerprint: in memory for the life of the store, and on disk (JSON) when a cache folder is
given, so a re-run of a review does not recompute evidence whose files and policy are unchanged.

A failure is remembered too, under the same key: a file that cannot be read (an
:class:`~langgraph_gates.errors.EvidenceError`) is read once, and every later check of the
review gets the same error at once instead of reading the file again (a 200 MB CSV with one bad
last line was otherwise re-read by each of the dozen checks that need it). Failures stay in
memory only, for :data:`FAILURE_TTL_S` seconds: long enough for a review, short enough that a
failure caused by the machine (memory, disk space) is retried by a later review.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from langgraph_gates.errors import EvidenceError

__all__ = ["FAILURE_TTL_S", "EvidenceStore", "file_sha256", "first_nul_byte"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

FAILURE_TTL_S = 600.0
"""Seconds a store re-raises a remembered evidence failure instead of computing again."""


class _Digest(NamedTuple):
    sha256: str
    first_nul: int | None  # offset of the first NUL byte; ``None``: the file has none


_HASH_MEMO: dict[tuple[str, int, int], _Digest] = {}


def _digest(path: Path) -> _Digest:
    """Hash a file's content and find its first NUL byte in the same streamed pass."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    cached = _HASH_MEMO.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    first_nul: int | None = None
    offset = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            # memchr speed; checked over the whole file, since binary content anywhere (not
            # only in the first bytes) makes a "CSV" something else.
            if first_nul is None and (at := chunk.find(b"\x00")) >= 0:
                first_nul = offset + at
            offset += len(chunk)
    value = _Digest(digest.hexdigest(), first_nul)
    _HASH_MEMO[key] = value
    return value


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's content, streamed; memoised by path, size and mtime."""
    return _digest(path).sha256


def first_nul_byte(path: Path) -> int | None:
    """Offset of the first NUL byte in a file, ``None`` when it has none (memoised with the hash)."""
    return _digest(path).first_nul


def _fingerprint_files(files: Sequence[Path]) -> list[str]:
    out = []
    for f in files:
        if f.is_dir():
            # A folder (e.g. a scan path): hash the sorted list of file hashes inside it.
            inner = sorted(p for p in f.rglob("*") if p.is_file() and not p.is_symlink())
            out.append(hashlib.sha256("".join(map(file_sha256, inner)).encode()).hexdigest())
        elif f.exists():
            out.append(file_sha256(f))
        else:
            out.append("absent")
    return out


class EvidenceStore:
    """Computes evidence once per content: memoised in memory, optionally on disk.

    Args:
        policy_fingerprint: the policy's fingerprint; part of every cache key.
        cache_dir: folder for the on-disk cache (``None``: memory only).
    """

    def __init__(self, *, policy_fingerprint: str, cache_dir: str | Path | None = None) -> None:
        self.policy_fingerprint = policy_fingerprint
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._memory: dict[str, BaseModel] = {}
        self._failed: dict[str, tuple[float, EvidenceError]] = {}
        self.computed: list[str] = []
        """Names of the evidence computed (not served from cache) by this store, in order."""
        self.failed: list[str] = []
        """Names of the evidence whose computation failed (each failure is computed once)."""

    def _key(self, name: str, files: Sequence[Path], params: str) -> str:
        blob = json.dumps(
            [name, params, self.policy_fingerprint, _fingerprint_files(files)], sort_keys=True
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    def cached(
        self,
        name: str,
        files: Sequence[Path],
        model: type[M],
        compute: Callable[[], M],
        *,
        params: str = "",
        persist: bool = True,
    ) -> M:
        """Return ``compute()``'s result for these files, from cache when their content is known.

        Args:
            name: what is computed (e.g. ``"profile:train"``); part of the key.
            files: the files the result depends on; their content hashes are part of the key.
            model: the Pydantic type of the result (used to read it back from disk).
            compute: computes the result; an :class:`EvidenceError` it raises is remembered
                (in memory) and raised again to later callers; other exceptions propagate and
                nothing is cached.
            params: anything else the result depends on (e.g. column names).
            persist: ``False`` keeps the result in memory only (evidence without files to
                hash, such as a Spark table, must not outlive the process on disk).
        """
        key = self._key(name, files, params)
        hit = self._memory.get(key)
        if isinstance(hit, model):
            return hit
        disk = self._read_disk(key, model) if persist else None
        if disk is not None:
            self._memory[key] = disk
            return disk
        value = self._compute(key, name, compute)
        self.computed.append(name)
        self._memory[key] = value
        if persist:
            self._write_disk(key, value)
        return value

    def attempt(
        self, name: str, files: Sequence[Path], compute: Callable[[], T], *, params: str = ""
    ) -> T:
        """Return ``compute()``, unless it failed before for these files: then raise that again.

        For values that are cheap to recompute but costly to fail on (opening a data file: a
        broken CSV is read to its end before DuckDB names the bad line). Only the failure is
        kept.

        Args:
            name: what is computed (e.g. ``"open-table"``); part of the key.
            files: the files the result depends on; their content hashes are part of the key.
            compute: computes the result.
            params: anything else the result depends on.
        """
        return self._compute(self._key(name, files, params), name, compute)

    def _compute(self, key: str, name: str, compute: Callable[[], T]) -> T:
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed[0] < FAILURE_TTL_S:
            exc = failed[1]
            # A fresh exception per caller: one raised object would grow every traceback.
            raise type(exc)(exc.message, source=exc.source, field=exc.field)
        try:
            return compute()
        except EvidenceError as exc:
            self._failed[key] = (time.monotonic(), exc)
            self.failed.append(name)
            raise

    def _read_disk(self, key: str, model: type[M]) -> M | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.json"
        try:
            return model.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError):
            return None

    def _write_disk(self, key: str, value: BaseModel) -> None:
        if self.cache_dir is None:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(value.model_dump_json())
            os.replace(tmp, self.cache_dir / f"{key}.json")
        except OSError as exc:  # a read-only cache folder slows re-runs; it must not fail them
            log.warning("evidence cache not written: %s", exc)
