"""Opening a checkpointer from a URL: memory, a SQLite file, or a PostgreSQL server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_gates.errors import ConfigError

__all__ = ["DEFAULT_DB", "open_checkpointer"]

DEFAULT_DB = ".gates/reviews.sqlite"


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
        yield InMemorySaver()
        return
    if _is_postgres(target):
        from langgraph.checkpoint.postgres import PostgresSaver

        url_pg = target.replace("postgresql+psycopg://", "postgresql://")
        try:
            cm = PostgresSaver.from_conn_string(url_pg)
            saver = cm.__enter__()
            saver.setup()
        except Exception as exc:
            reason = " ".join(str(exc).split())[:200]
            raise ConfigError(
                f"cannot open PostgreSQL checkpointer: {reason}", field="--db"
            ) from None
        try:
            yield saver
        finally:
            cm.__exit__(None, None, None)
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the graph's threads; WAL and a busy timeout let many
        # concurrent review processes use the same file without "database is locked".
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=60000")
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(
            f"cannot open SQLite database ({exc})", source=str(path), field="--db"
        ) from None
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()
