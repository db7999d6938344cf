"""The PostgreSQL checkpointer with large values stored once (see :mod:`._blob_saver`).

Its own module so that a SQLite review never imports psycopg.
"""

from __future__ import annotations

from langgraph.checkpoint.postgres import PostgresSaver

from langgraph_gates._blob_saver import ORPHANS_SQL, SCHEMA, BlobPacking

__all__ = ["DedupPostgresSaver"]


class DedupPostgresSaver(BlobPacking, PostgresSaver):
    """:class:`PostgresSaver` with large values stored once, by content."""

    def setup(self) -> None:
        """Run LangGraph's migrations and create the blob tables."""
        super().setup()
        with self._cursor() as cur:
            for statement in SCHEMA:
                cur.execute(statement.format(blob="BYTEA"))

    def _store_blob(self, digest: str, type_: str, data: bytes, thread: str) -> None:
        with self._cursor() as cur:
            cur.execute(
                "INSERT INTO gates_blobs (digest, type, value) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (digest, type_, data),
            )
            cur.execute(
                "INSERT INTO gates_blob_refs (thread_id, digest) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (thread, digest),
            )

    def _load_blob(self, digest: str) -> tuple[str, bytes] | None:
        with self._cursor() as cur:
            cur.execute("SELECT type, value FROM gates_blobs WHERE digest = %s", (digest,))
            row = cur.fetchone()
        return None if row is None else (row["type"], bytes(row["value"]))

    def delete_thread(self, thread_id: str) -> None:
        """Delete a thread's checkpoints and writes, and the blobs no other thread uses."""
        super().delete_thread(thread_id)
        with self._cursor() as cur:
            cur.execute("DELETE FROM gates_blob_refs WHERE thread_id = %s", (str(thread_id),))
            cur.execute(ORPHANS_SQL)
