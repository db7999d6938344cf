"""Opening a checkpointer from a URL: memory, a SQLite file, or a PostgreSQL server."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel

from langgraph_gates import state as _state
from langgraph_gates.errors import ConfigError

__all__ = ["DEFAULT_DB", "describe_db", "open_checkpointer", "serializer"]

DEFAULT_DB = ".gates/reviews.sqlite"


def _state_types() -> list[tuple[str, str]]:
    """The review state's own value types, as (module, name) pairs."""
    out = []
    for name in _state.__all__:
        obj = getattr(_state, name)
        if isinstance(obj, type) and issubclass(obj, BaseModel | Enum):
            out.append((obj.__module__, obj.__qualname__))
    return out


def serializer() -> JsonPlusSerializer:
    """The checkpoint serializer, with the review state's types registered.

    Node outputs (pending writes) may hold the state's Pydantic models before a reducer dumps
    them. Registering those types keeps them exact and silent: without it LangGraph warns
    "Deserializing unregistered type" on every read, and under ``LANGGRAPH_STRICT_MSGPACK``
    they would come back as plain dicts.
    """
    return JsonPlusSerializer(allowed_msgpack_modules=_state_types())


# Key of the PostgreSQL advisory lock held while creating the checkpoint tables.
_SETUP_LOCK = 0x6761746573  # "gates"


def describe_db(url: str | Path | None) -> str:
    """The database for messages: a PostgreSQL URL loses its password, a path stays a path."""
    target = str(url) if url is not None else ":memory:"
    if _is_postgres(target):
        return re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", target)
    return target


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


@contextmanager
def open_checkpointer(url: str | Path | None = DEFAULT_DB) -> Iterator[BaseCheckpointSaver[Any]]:
    """Open a checkpointer and close it on exit.

    Args:
        url: ``":memory:"`` (or ``None``) for in-memory; a ``postgresql://`` URL for
            PostgreSQL; anything else is a SQLite file path (its folder is created).

    Raises:
        ConfigError: the database cannot be opened.
    """
    target = str(url) if url is not None else ":memory:"
    if target in (":memory:", "memory"):
        yield InMemorySaver(serde=serializer())
        return
    if _is_postgres(target):
        with _postgres(target) as saver:
            yield saver
        return
    with _sqlite(Path(target)) as saver:
        yield saver


@contextmanager
def _postgres(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    from psycopg import Connection
    from psycopg.rows import dict_row

    from langgraph_gates._postgres_saver import DedupPostgresSaver

    url_pg = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        # As PostgresSaver.from_conn_string connects, plus the registered serializer.
        conn = Connection.connect(
            url_pg, autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
    except Exception as exc:
        raise ConfigError(
            f"cannot open PostgreSQL checkpointer: {_reason(exc, url_pg)}", field="--db"
        ) from None
    with conn:
        saver = DedupPostgresSaver(conn, serde=serializer())
        try:
            with _setup_lock(conn):
                saver.setup()
        except Exception as exc:
            raise ConfigError(
                f"cannot set up PostgreSQL checkpointer: {_reason(exc, url_pg)}", field="--db"
            ) from None
        yield saver


@contextmanager
def _setup_lock(conn: Any, timeout_s: float = 120.0) -> Iterator[None]:
    """Hold an advisory lock while the checkpoint tables are created.

    Workers that start together on a fresh database would race on the migrations ("duplicate
    key ... checkpoint_migrations_pkey"). A blocking ``pg_advisory_lock`` deadlocks with the
    ``CREATE INDEX CONCURRENTLY`` of a migration (it waits for the waiting statement), so the
    lock is polled with short ``pg_try_advisory_lock`` statements instead.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (_SETUP_LOCK,)).fetchone()
        if row and (row["got"] if isinstance(row, dict) else row[0]):
            break
        if time.monotonic() > deadline:
            msg = "timed out waiting for another process to set up the checkpoint tables"
            raise TimeoutError(msg)
        time.sleep(0.05)
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))


def _reason(exc: Exception, url: str) -> str:
    reason = " ".join(str(exc).split())[:200]
    password = re.search(r"://[^:/@?]*:([^@/?]*)@", url)
    if password and password.group(1):
        reason = reason.replace(password.group(1), "***")  # never print a secret
    return reason


@contextmanager
def _sqlite(path: Path) -> Iterator[BaseCheckpointSaver[Any]]:
    from langgraph_gates._blob_saver import DedupSqliteSaver

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the graph's threads; WAL and a busy timeout let many
        # concurrent review processes use the same file without "database is locked".
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(
            f"cannot open SQLite database ({exc})", source=str(path), field="--db"
        ) from None
    try:
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA journal_mode=WAL")
            # Large values (the dossier) once per database, not once per checkpoint.
            saver = DedupSqliteSaver(conn, serde=serializer())
            saver.setup()
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot use SQLite database ({exc})", source=str(path), field="--db"
            ) from None
        yield saver
    finally:
        conn.close()
