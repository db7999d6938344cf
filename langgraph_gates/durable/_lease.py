"""One writer per review: a lease per review id, kept in the review database itself.

Two processes driving one review would run every gate twice, fork the history and disagree on
overrides, so every operation that writes (start, resume, rerun, edit) holds the review's
lease for as long as it runs, and a second one is refused at once with the holder's name.

* **PostgreSQL**: a session advisory lock on ``(namespace, hashtext(review_id))`` taken on the
  checkpointer's connection. The server drops it when that connection ends, so a killed
  process frees the review as soon as the server sees the socket close. A ``gates_leases`` row
  names the holder for the refusal message; the lock, not the row, decides.
* **SQLite**: a ``gates_leases`` row written under ``BEGIN IMMEDIATE`` (SQLite's one writer
  makes the check-and-take atomic across processes), renewed by a heartbeat thread every third
  of the time to live. A holder that no longer runs on this host is passed over at once (a
  killed review resumes right away); one that stops renewing (another host, a frozen process)
  loses its lease after ``ttl``.
* **Memory**: a set in this process (nothing else can see an in-memory database).
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import os
import socket
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from langgraph_gates.errors import ReviewStateError

__all__ = ["DEFAULT_LEASE_TTL", "Holder", "Leases", "leases_for"]

#: Seconds a SQLite lease lives without a heartbeat: how long a killed process blocks a review.
DEFAULT_LEASE_TTL = 30.0

# The first key of the two-key advisory lock: keeps review leases apart from other users of
# the server's advisory locks (and from the checkpoint set-up lock, a one-key lock).
_PG_NAMESPACE = 0x6761  # "ga"


@dataclass(frozen=True)
class Holder:
    """Who holds a review's lease.

    Attributes:
        pid: the holder's process id.
        host: the holder's host name.
        since: when it took the lease (ISO 8601, UTC).
        expires_at: when the lease lapses unless renewed (ISO 8601, UTC); ``None`` where the
            database ends it with the holder's connection.
    """

    pid: int
    host: str
    since: str
    expires_at: str | None = None

    def describe(self) -> str:
        """``pid 4242@build-7 since 2026-12-06T02:41:07+00:00``."""
        return f"pid {self.pid}@{self.host} since {self.since}"


def _me(ttl: float | None = None) -> Holder:
    now = dt.datetime.now(dt.UTC)
    expires = (now + dt.timedelta(seconds=ttl)).isoformat(timespec="seconds") if ttl else None
    return Holder(os.getpid(), socket.gethostname(), now.isoformat(timespec="seconds"), expires)


def refused(review_id: str, holder: Holder | None) -> ReviewStateError:
    """The one-line error for an operation on a review another process is driving."""
    who = holder.describe() if holder else "another process"
    msg = f"the review is in progress in another process ({who}); wait for it to finish"
    if holder is not None and holder.expires_at:
        msg += f" (if that process is gone, its lease expires at {holder.expires_at})"
    return ReviewStateError(msg, source=review_id)


class Leases(abc.ABC):
    """Leases of one review database; :meth:`hold` is the only operation."""

    @abc.abstractmethod
    def hold(self, review_id: str) -> contextlib.AbstractContextManager[None]:
        """Hold the review's lease for the ``with`` block.

        Raises:
            ReviewStateError: another process (or another operation here) holds it.
        """


class _MemoryLeases(Leases):
    def __init__(self) -> None:
        self._held: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, review_id: str) -> Iterator[None]:
        with self._lock:
            if review_id in self._held:
                raise refused(review_id, _me())
            self._held.add(review_id)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(review_id)


_SQLITE_TABLE = """CREATE TABLE IF NOT EXISTS gates_leases (
    review_id TEXT PRIMARY KEY, token TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
    since TEXT NOT NULL, expires_at REAL NOT NULL)"""


class _SqliteLeases(Leases):
    def __init__(self, path: str, ttl: float) -> None:
        self.path = path
        self.ttl = ttl

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode, so BEGIN IMMEDIATE below is the only transaction; the busy timeout
        # waits out another writer's short transaction, never another process's whole run.
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.execute(_SQLITE_TABLE)
        return conn

    @contextmanager
    def hold(self, review_id: str) -> Iterator[None]:
        token = uuid.uuid4().hex
        conn = self._connect()
        try:
            self._take(conn, review_id, token)
            stop = threading.Event()
            beat = threading.Thread(
                target=self._heartbeat, args=(review_id, token, stop), daemon=True
            )
            beat.start()
            try:
                yield
            finally:
                stop.set()
                beat.join()
                conn.execute(
                    "DELETE FROM gates_leases WHERE review_id = ? AND token = ?",
                    (review_id, token),
                )
        finally:
            conn.close()

    def _take(self, conn: sqlite3.Connection, review_id: str, token: str) -> None:
        me = _me(self.ttl)
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "SELECT pid, host, since, expires_at FROM gates_leases WHERE review_id = ?",
                (review_id,),
            ).fetchone()
            if row is not None and row[3] > time.time() and not _dead_here(row[0], row[1]):
                expires = dt.datetime.fromtimestamp(row[3], dt.UTC).isoformat(timespec="seconds")
                raise refused(review_id, Holder(row[0], row[1], row[2], expires))
            conn.execute(
                "INSERT OR REPLACE INTO gates_leases VALUES (?, ?, ?, ?, ?, ?)",
                (review_id, token, me.pid, me.host, me.since, time.time() + self.ttl),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _heartbeat(self, review_id: str, token: str, stop: threading.Event) -> None:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            while not stop.wait(self.ttl / 3):
                # A failed renewal is retried at the next beat; the lease still has two thirds
                # of its time to live.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute(
                        "UPDATE gates_leases SET expires_at = ? WHERE review_id = ? AND token = ?",
                        (time.time() + self.ttl, review_id, token),
                    )
        finally:
            conn.close()


def _dead_here(pid: int, host: str) -> bool:
    """Whether a holder on this host has ended (so its lease need not wait out its time).

    A review killed mid-run should resume at once, as SPEC section 5 promises, not after the
    time to live. Only this host's processes can be checked; a reused pid counts as alive, and
    then the time to live decides.
    """
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    try:  # a killed child its parent has not reaped yet is a zombie: ended all the same
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


_PG_TABLE = """CREATE TABLE IF NOT EXISTS gates_leases (
    review_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)"""


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


class _PostgresLeases(Leases):
    def __init__(self, saver: Any) -> None:
        self.saver = saver

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        from psycopg_pool import ConnectionPool

        conn = self.saver.conn
        if isinstance(conn, ConnectionPool):
            # A connection of its own for the whole run: the lock lives as long as it does.
            with conn.connection() as pooled:
                yield pooled
        else:
            yield conn

    def _run(self, conn: Any, query: str, params: tuple[Any, ...]) -> Any:
        # The saver's connection is shared with the graph's threads under the saver's lock.
        with self.saver.lock if conn is self.saver.conn else contextlib.nullcontext():
            cursor = conn.execute(query, params)
            return cursor.fetchone() if cursor.description else None

    def _create_table(self, conn: Any) -> None:
        import psycopg

        # CREATE TABLE IF NOT EXISTS is not atomic in PostgreSQL: two first reviews starting
        # at once can both pass the check, and the loser gets a unique violation on the
        # catalog. The table exists then, which is all that is needed.
        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            self._run(conn, _PG_TABLE, ())

    @contextmanager
    def hold(self, review_id: str) -> Iterator[None]:
        with self._connection() as conn:
            self._create_table(conn)
            key = (_PG_NAMESPACE, review_id)
            if not _first(self._run(conn, "SELECT pg_try_advisory_lock(%s, hashtext(%s))", key)):
                raise refused(review_id, self._holder(conn, review_id))
            try:
                me = _me()
                self._run(
                    conn,
                    "INSERT INTO gates_leases VALUES (%s, %s, %s, %s) ON CONFLICT (review_id) "
                    "DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, "
                    "since = EXCLUDED.since",
                    (review_id, me.pid, me.host, me.since),
                )
                yield
            finally:
                self._run(conn, "DELETE FROM gates_leases WHERE review_id = %s", (review_id,))
                self._run(conn, "SELECT pg_advisory_unlock(%s, hashtext(%s))", key)

    def _holder(self, conn: Any, review_id: str) -> Holder | None:
        row = self._run(
            conn, "SELECT pid, host, since FROM gates_leases WHERE review_id = %s", (review_id,)
        )
        if row is None:  # the holder is between taking the lock and writing its row
            return None
        values = list(row.values()) if isinstance(row, dict) else list(row)
        return Holder(int(values[0]), str(values[1]), str(values[2]))


def _sqlite_file(saver: Any) -> str:
    """The file of a SQLite checkpointer's main database ("" for an in-memory one)."""
    with saver.lock:
        rows = saver.conn.execute("PRAGMA database_list").fetchall()
    return next((str(r[2] or "") for r in rows if r[1] == "main"), "")


# In-memory databases live in this process: every handle on one saver shares its leases.
_IN_PROCESS: weakref.WeakKeyDictionary[Any, _MemoryLeases] = weakref.WeakKeyDictionary()
_IN_PROCESS_LOCK = threading.Lock()


def _in_process(saver: Any) -> _MemoryLeases:
    with _IN_PROCESS_LOCK:
        leases = _IN_PROCESS.get(saver)
        if leases is None:
            leases = _IN_PROCESS[saver] = _MemoryLeases()
        return leases


def leases_for(saver: BaseCheckpointSaver[Any], *, ttl: float = DEFAULT_LEASE_TTL) -> Leases:
    """The leases that go with a checkpointer: in its database, or in this process.

    Args:
        saver: the reviews' checkpointer.
        ttl: seconds a SQLite lease lives without a heartbeat.
    """
    with contextlib.suppress(ImportError):
        from langgraph.checkpoint.sqlite import SqliteSaver

        if isinstance(saver, SqliteSaver):
            path = _sqlite_file(saver)
            return _SqliteLeases(path, ttl) if path else _in_process(saver)
    with contextlib.suppress(ImportError):
        from langgraph.checkpoint.postgres import PostgresSaver

        if isinstance(saver, PostgresSaver):
            return _PostgresLeases(saver)
    return _in_process(saver)
