"""The evidence store: one place that reads evidence files and caches what was computed.

Results are cached by the content hash of the files they came from plus the policy
fingerprint: in memory for the life of the store, and on disk (JSON) when a cache folder is
given, so a re-run of a review does not recompute evidence whose files and policy are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["EvidenceStore", "file_sha256"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

_HASH_MEMO: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's content, streamed; memoised by path, size and mtime."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    cached = _HASH_MEMO.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    value = digest.hexdigest()
    _HASH_MEMO[key] = value
    return value


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
        self.computed: list[str] = []
        """Names of the evidence computed (not served from cache) by this store, in order."""

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
    ) -> M:
        """Return ``compute()``'s result for these files, from cache when their content is known.

        Args:
            name: what is computed (e.g. ``"profile:train"``); part of the key.
            files: the files the result depends on; their content hashes are part of the key.
            model: the Pydantic type of the result (used to read it back from disk).
            compute: computes the result; exceptions propagate and nothing is cached.
            params: anything else the result depends on (e.g. column names).
        """
        key = self._key(name, files, params)
        hit = self._memory.get(key)
        if isinstance(hit, model):
            return hit
        disk = self._read_disk(key, model)
        if disk is not None:
            self._memory[key] = disk
            return disk
        value = compute()
        self.computed.append(name)
        self._memory[key] = value
        self._write_disk(key, value)
        return value

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
