"""Fixtures for the Spark tests: one Spark Connect server per test session, real tables on it.

Every test here is marked ``spark`` and grouped on one xdist worker (``xdist_group("spark")``),
so the JVM starts once; ``pytest -m "not spark"`` runs the rest of the suite without Java.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .spark_server import SparkServer, spark_server

MakeTable = Callable[[str, Path], str]


@pytest.fixture(scope="session")
def spark_connect() -> Iterator[SparkServer]:
    """A Spark Connect server on 127.0.0.1 for the whole session."""
    from langgraph_gates.evidence.spark_table import close_sessions

    with spark_server() as server:
        yield server
        # A client left open cleans up at exit, retrying for minutes against the stopped server.
        close_sessions()


@pytest.fixture(scope="session")
def spark_session(spark_connect: SparkServer) -> Iterator[Any]:
    """A client session on the test server (to create the tables the tests review)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas 3, as in the package
        from pyspark.sql.connect.session import SparkSession

    session = SparkSession.builder.remote(spark_connect.url).create()
    yield session
    session.stop()  # before the server stops (see spark_connect)


@pytest.fixture
def spark_remote(spark_connect: SparkServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's URL, set as ``GATES_SPARK_REMOTE`` for the test."""
    monkeypatch.setenv("GATES_SPARK_REMOTE", spark_connect.url)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    return spark_connect.url


@pytest.fixture(scope="session")
def spark_table(spark_session: Any) -> MakeTable:
    """``spark_table(name, parquet_path)`` copies a Parquet file into a table; returns its name.

    The table is ``spark_catalog.default.<name>``: the same rows the DuckDB path reads.
    """

    def make(name: str, path: Path) -> str:
        full = f"spark_catalog.default.{name}"
        spark_session.read.parquet(str(path)).write.mode("overwrite").saveAsTable(full)
        return full

    return make


def spark_ref(name: str) -> dict[str, str]:
    """The dossier's form of a Spark table."""
    return {"table": name, "engine": "spark"}


def assert_same(
    a: Any, b: Any, where: str = "", names: dict[str, str] | None = None, tol: float = 1e-9
) -> None:
    """Equal, floats within ``tol`` (relative or absolute), everything else exactly.

    ``names`` maps a file's name to its table's (``train.parquet`` -> ``spark:...``).
    """
    if isinstance(a, str) and names:
        a = names.get(a, a)
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}", names, tol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]", names, tol)
    elif isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=tol, abs_tol=tol), (where, a, b)
    else:
        assert a == b, (where, a, b)
