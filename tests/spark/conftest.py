"""Fixtures for the Spark tests: one Spark Connect server per test session, real tables on it.

Every test here is marked ``spark`` and grouped on one xdist worker (``xdist_group("spark")``),
so the JVM starts once; ``pytest -m "not spark"`` runs the rest of the suite without Java.
"""

from __future__ import annotations

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
    with spark_server() as server:
        yield server


@pytest.fixture(scope="session")
def spark_session(spark_connect: SparkServer) -> Any:
    """A client session on the test server (to create the tables the tests review)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas 3, as in the package
        from pyspark.sql.connect.session import SparkSession

    return SparkSession.builder.remote(spark_connect.url).create()


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
