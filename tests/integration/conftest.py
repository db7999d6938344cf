"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .pg_server import PgServer, find_pg_bin, pg_server


@pytest.fixture(scope="module")
def server() -> Iterator[PgServer]:
    """A real PostgreSQL server for the module (skipped locally without the binaries).

    In CI (``CI=true``) missing binaries fail instead, since .ci/run installs the server.
    """
    if find_pg_bin() is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must install them (.ci/run)")
        pytest.skip(reason)
    with pg_server() as running:
        yield running
