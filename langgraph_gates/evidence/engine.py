"""Where a scan of tabular evidence runs: DuckDB for a local file, Spark for a remote table.

The profile's statistics are defined once, as DuckDB SQL (:mod:`~.tabular`); a scan hands that
SQL a connection, which is DuckDB's own for a :class:`~._duck.TableFile` and a translating
:class:`~.spark_table.SparkSQL` for a :class:`~.spark_table.SparkTable`. One scan reads one
engine: a serving table on Spark cannot be compared with a training file on this machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

import duckdb

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence._duck import TableFile, connect, duck_error
from langgraph_gates.evidence.spark_table import SparkSQL, SparkTable, spark_scan

__all__ = ["Connection", "Table", "one_engine", "run_scan"]

Table = TableFile | SparkTable
"""Tabular evidence: a local CSV/Parquet file or a table on a Spark cluster."""

Connection = duckdb.DuckDBPyConnection | SparkSQL
"""What a profile's SQL runs on: ``execute(sql, parameters)`` then ``fetchone``/``fetchall``."""


def one_engine(tables: Sequence[Table]) -> tuple[list[TableFile], list[SparkTable]]:
    """The files and the Spark tables among ``tables``, refusing a mix of both.

    Statistics that compare tables (a row hash here against one there) mean nothing across
    engines: DuckDB's and Spark's hashes of the same row differ.

    Raises:
        EvidenceError: there are both files and Spark tables.
    """
    files = [t for t in tables if isinstance(t, TableFile)]
    remote = [t for t in tables if isinstance(t, SparkTable)]
    if files and remote:
        msg = (
            f"{remote[0].display} is a Spark table and {files[0].display} a local file; "
            "compared data must be on one engine"
        )
        raise EvidenceError(msg, source=remote[0].display)
    return files, remote


@overload
def run_scan(tables: Sequence[TableFile], work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
    ...


@overload
def run_scan(tables: Sequence[Table], work: Callable[[Connection], Any]) -> Any:
    ...


def run_scan(tables: Sequence[Table], work: Callable[[Any], Any]) -> Any:
    """Run ``work`` on a connection to the tables' engine; a failure names the table.

    Files get a fresh bounded DuckDB connection (see :func:`~._duck.connect`); Spark tables
    their server's session.

    Raises:
        EvidenceError: the scan fails, or the tables are not on one engine.
    """
    files, remote = one_engine(tables)
    if remote:
        return spark_scan(remote, work)
    with connect() as con:
        try:
            return work(con)
        except duckdb.Error as exc:
            text = str(exc)
            table = next((t for t in files if str(t.scan_path) in text), files[0])
            raise EvidenceError(
                duck_error(exc, table.scan_path, table.display), source=table.display
            ) from None
