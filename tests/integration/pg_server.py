"""A throwaway PostgreSQL server for tests, started from the machine's own binaries.

``initdb`` and ``pg_ctl`` are looked up on PATH, then in ``/usr/lib/postgresql/*/bin``. The
cluster lives in a fresh temporary folder and listens on a unix socket only (no TCP), so the
tests never open a network port. PostgreSQL refuses to run as root; when the tests run as root
the server runs as the ``postgres`` user (or ``nobody``) through ``runuser``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PgServer", "find_pg_bin", "pg_server", "pg_server_for_tests"]


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path.parent.name) or [0])


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None`` when they are not installed."""
    initdb = shutil.which("initdb")
    if initdb:
        folder = Path(initdb).resolve().parent
        if (folder / "pg_ctl").exists():
            return folder
    candidates = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=_version_key,
        reverse=True,
    )
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class PgServer:
    """A running server: its folder, socket folder, port and a connection URL."""

    root: Path
    socket_dir: Path
    port: int
    user: str = "gates"

    def url(self, *, password: str | None = None, dbname: str = "postgres") -> str:
        """A ``postgresql://`` URL that connects through the unix socket."""
        auth = f"{self.user}:{password}" if password else self.user
        return f"postgresql://{auth}@/{dbname}?host={self.socket_dir}&port={self.port}"


def _free_port() -> int:
    # The port only names the socket file (.s.PGSQL.<port>); a free TCP port avoids clashes
    # with a server someone else runs on this machine.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> tuple[list[str], int | None, int | None]:
    """The command prefix and the uid/gid to run the server as (root cannot)."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", name, "--"], entry.pw_uid, entry.pw_gid
        return ["su", name, "-s", "/bin/sh", "-c", '"$0" "$@"'], entry.pw_uid, entry.pw_gid
    msg = "running as root and no 'postgres' or 'nobody' user to run PostgreSQL as"
    raise RuntimeError(msg)


@contextlib.contextmanager
def pg_server(bin_dir: Path | None = None) -> Iterator[PgServer]:
    """Start a PostgreSQL server in a temporary folder and stop and remove it on exit.

    Raises:
        RuntimeError: no binaries, or the server did not start (the message has its log).
    """
    bin_dir = bin_dir or find_pg_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    prefix, uid, gid = _run_as()
    root = Path(tempfile.mkdtemp(prefix="gates-pg-"))
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    if uid is not None and gid is not None:
        for path in (root, sockets):
            os.chown(path, uid, gid)
    root.chmod(0o755)
    port = _free_port()
    server = PgServer(root=root, socket_dir=sockets, port=port)

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
        )

    try:
        init = run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            server.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        options = (
            f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        start = run(
            str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
            "-t", "60", "start",
        )  # fmt: skip
        if start.returncode != 0:
            detail = log.read_text() if log.exists() else start.stderr
            raise RuntimeError(f"pg_ctl start failed: {detail.strip()[-2000:]}")
        try:
            yield server
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def pg_server_for_tests() -> Iterator[PgServer]:
    """:func:`pg_server` for a fixture: without the binaries the test skips locally with the
    reason; in CI (``CI=true``) it fails instead, since .ci/run installs the server."""
    import pytest

    if find_pg_bin() is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must install them (.ci/run)")
        pytest.skip(reason)
    with pg_server() as running:
        yield running
