"""Checkpointers that store each large value once per database, not once per checkpoint.

LangGraph's savers write every channel's value at every step (SQLite) or at every new version
of a channel (PostgreSQL), plus each node's writes. A review of a 5 MB dossier wrote the dossier
and the gate result that quotes its list items into 11 checkpoints and 3 writes (about 108 MB
on SQLite); on PostgreSQL the ``gates`` channel, a new version after every gate, repeated the
quoting gate result in each (14 copies of the list).

:class:`BlobPacking` moves every value that serializes to more than ``BLOB_MIN_BYTES`` -- a
channel's value, a pending write, or one found a few levels down inside a mapping (the dossier
inside the input, one gate inside ``gates``) -- into a content-addressed table,
``gates_blobs(digest, type, value)``, and leaves a small reference ``{REF_KEY: digest}`` in
its place. Reads put the values back, so callers (the graph, ``get_state``, history, forks)
see exactly what they wrote. ``gates_blob_refs`` records which threads use a blob, so that
deleting a thread deletes the blobs no other thread uses. :class:`DedupSqliteSaver` and
``_postgres_saver.DedupPostgresSaver`` only say how the two tables are written and read on each back end.
"""

from __future__ import annotations

import builtins
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver

__all__ = ["BLOB_MIN_BYTES", "ORPHANS_SQL", "REF_KEY", "SCHEMA", "BlobPacking", "DedupSqliteSaver"]

BLOB_MIN_BYTES = 16 * 1024
REF_KEY = "__gates_blob__"
# How far into nested mappings large values are looked for: channel -> dossier -> section ->
# field (e.g. __start__ -> dossier -> problem -> assumptions; gates -> gate -> sections).
_MAX_DEPTH = 3

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS gates_blobs "
    "(digest TEXT PRIMARY KEY, type TEXT NOT NULL, value {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gates_blob_refs "
    "(thread_id TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (thread_id, digest))",
)
ORPHANS_SQL = "DELETE FROM gates_blobs WHERE digest NOT IN (SELECT digest FROM gates_blob_refs)"


class BlobPacking(BaseCheckpointSaver[str]):
    """Large values stored once, by content (see the module doc); mixed in before a saver."""

    def _store_blob(self, digest: str, type_: str, data: bytes, thread: str) -> None:
        raise NotImplementedError

    def _load_blob(self, digest: str) -> tuple[str, bytes] | None:
        raise NotImplementedError

    # -- writing -------------------------------------------------------------------------

    def put(
        self,
        config: Any,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> Any:
        """Save a checkpoint whose large channel values are stored as blobs."""
        thread = str(config["configurable"]["thread_id"])
        values = {k: self._pack(v, thread, 0) for k, v in checkpoint["channel_values"].items()}
        return super().put(config, {**checkpoint, "channel_values": values}, metadata, new_versions)

    def put_writes(
        self,
        config: Any,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Save a task's writes, large values stored as blobs."""
        thread = str(config["configurable"]["thread_id"])
        packed = [(channel, self._pack(value, thread, 0)) for channel, value in writes]
        super().put_writes(config, packed, task_id, task_path)

    def _pack(self, value: Any, thread: str, depth: int) -> Any:
        type_, data = self.serde.dumps_typed(value)
        if len(data) < BLOB_MIN_BYTES:
            return value
        if isinstance(value, dict) and depth < _MAX_DEPTH and REF_KEY not in value:
            return {k: self._pack(v, thread, depth + 1) for k, v in value.items()}
        digest = hashlib.sha256(type_.encode() + b"\0" + data).hexdigest()
        self._store_blob(digest, type_, data, thread)
        return {REF_KEY: digest}

    # -- reading -------------------------------------------------------------------------

    def get_tuple(self, config: Any) -> CheckpointTuple | None:
        """Get a checkpoint tuple with its blobs put back."""
        found = super().get_tuple(config)
        return None if found is None else self._unpack_tuple(found)

    def list(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """List checkpoint tuples with their blobs put back."""
        # Both savers hold their (non-reentrant) lock while they yield: read the rows first,
        # then the blobs.
        rows = builtins.list(super().list(config, filter=filter, before=before, limit=limit))
        for found in rows:
            yield self._unpack_tuple(found)

    def get_delta_channel_history(self, *, config: Any, channels: Sequence[str]) -> Any:
        """The base class's walk over :meth:`list` (the savers' fast paths read raw rows)."""
        return BaseCheckpointSaver.get_delta_channel_history(self, config=config, channels=channels)

    def _unpack_tuple(self, found: CheckpointTuple) -> CheckpointTuple:
        loaded: dict[str, Any] = {}
        checkpoint = found.checkpoint
        values = {k: self._unpack(v, loaded, 0) for k, v in checkpoint["channel_values"].items()}
        writes = [
            (task, channel, self._unpack(value, loaded, 0))
            for task, channel, value in (found.pending_writes or [])
        ]
        return found._replace(
            checkpoint={**checkpoint, "channel_values": values},
            pending_writes=writes if found.pending_writes is not None else None,
        )

    def _unpack(self, value: Any, loaded: dict[str, Any], depth: int) -> Any:
        if not isinstance(value, dict) or depth > _MAX_DEPTH:
            return value
        if len(value) == 1 and isinstance(value.get(REF_KEY), str):
            digest = value[REF_KEY]
            if digest not in loaded:
                row = self._load_blob(digest)
                if row is None:
                    msg = f"checkpoint blob {digest[:12]} is missing from the database"
                    raise LookupError(msg)
                loaded[digest] = self.serde.loads_typed(row)
            return loaded[digest]
        if depth == _MAX_DEPTH:
            return value
        return {k: self._unpack(v, loaded, depth + 1) for k, v in value.items()}


class DedupSqliteSaver(BlobPacking, SqliteSaver):
    """:class:`SqliteSaver` with large values stored once, by content."""

    def setup(self) -> None:
        """Create LangGraph's tables and the blob tables."""
        # Called by ``cursor()`` with the saver's lock held, as SqliteSaver.setup is.
        if self.is_setup:
            return
        super().setup()
        try:
            for statement in SCHEMA:
                self.conn.execute(statement.format(blob="BLOB"))
            self.conn.commit()
        except sqlite3.OperationalError as exc:
            if "readonly database" not in str(exc):  # a read-only database can still be read
                raise

    def _store_blob(self, digest: str, type_: str, data: bytes, thread: str) -> None:
        with self.cursor() as cur:
            cur.execute(
                "INSERT OR IGNORE INTO gates_blobs (digest, type, value) VALUES (?, ?, ?)",
                (digest, type_, data),
            )
            cur.execute(
                "INSERT OR IGNORE INTO gates_blob_refs (thread_id, digest) VALUES (?, ?)",
                (thread, digest),
            )

    def _load_blob(self, digest: str) -> tuple[str, bytes] | None:
        with self.cursor(transaction=False) as cur:
            row = cur.execute(
                "SELECT type, value FROM gates_blobs WHERE digest = ?", (digest,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def delete_thread(self, thread_id: str) -> None:
        """Delete a thread's checkpoints and writes, and the blobs no other thread uses."""
        super().delete_thread(thread_id)
        with self.cursor() as cur:
            cur.execute("DELETE FROM gates_blob_refs WHERE thread_id = ?", (str(thread_id),))
            cur.execute(ORPHANS_SQL)
