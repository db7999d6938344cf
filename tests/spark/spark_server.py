"""A throwaway Spark Connect server for tests, started from the installed ``pyspark``.

The full ``pyspark`` distribution (a dev dependency) carries Spark's jars and ``spark-submit``;
the server is ``org.apache.spark.sql.connect.service.SparkConnectServer`` on a free port of
127.0.0.1, with its warehouse and scratch folders in a fresh temporary folder. It is kept small
for a shared 2-core machine: ``local[2]``, 1 GiB driver, 2 shuffle partitions, no UI. Java comes
from the system (``java`` on PATH, else ``/usr/lib/jvm/java-17-*``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SparkServer", "find_java_home", "spark_server"]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_START_TIMEOUT_S = 300.0  # a cold JVM on a loaded machine: about 40 s measured, 300 s bound


def find_java_home() -> Path | None:
    """``JAVA_HOME``, the folder above ``java`` on PATH, or an installed Java 17."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    if java:
        return Path(java).resolve().parent.parent
    found = sorted(Path("/usr/lib/jvm").glob("java-17-*"))
    return found[0] if found else None


def _spark_home() -> Path:
    import pyspark  # the full distribution; the thin pyspark-client has no jars

    home = Path(pyspark.__file__).parent
    if not (home / "bin" / "spark-submit").exists() or not list(home.glob("jars/spark-connect*")):
        msg = f"{home} has no spark-submit or Spark Connect jar: install the full 'pyspark'"
        raise RuntimeError(msg)
    return home


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the process that started it dies.

    A pytest killed with SIGKILL runs no teardown; without this its JVM would keep running.
    (spark-submit ends by exec'ing java in this process, and the signal setting survives exec.)
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@dataclass(frozen=True)
class SparkServer:
    """A running server: its Spark Connect URL, folder and how long it took to start."""

    url: str
    root: Path
    startup_s: float
    pid: int = 0  # the JVM (spark-submit execs java in its session), for resource readings


@contextlib.contextmanager
def spark_server(driver_memory: str = "1g") -> Iterator[SparkServer]:
    """Start a Spark Connect server on 127.0.0.1 and stop it (and remove its folder) on exit.

    Args:
        driver_memory: the JVM's heap (``local[2]`` runs everything in the driver); the tests
            keep the default, the benchmarks give the 10M-row evidence set more.

    Raises:
        RuntimeError: no Java or Spark jars, or the server did not start (with its log's end).
    """
    java_home = find_java_home()
    if java_home is None:
        raise RuntimeError("no Java found (install openjdk-17-jre-headless)")
    home = _spark_home()
    root = Path(tempfile.mkdtemp(prefix="gates-spark-"))
    port = _free_port()
    log = root / "server.log"
    conf = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.local.dir": str(root / "tmp"),
        "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={root / 'tmp'}",
    }
    (root / "tmp").mkdir()
    command = [str(home / "bin" / "spark-submit"), "--master", "local[2]"]
    command += ["--driver-memory", driver_memory]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command += ["--class", "org.apache.spark.sql.connect.service.SparkConnectServer"]
    command += ["--name", "gates-tests", "spark-internal"]
    env = {
        **os.environ,
        "JAVA_HOME": str(java_home),
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(root),
        "SPARK_CONF_DIR": str(root),  # no stray spark-defaults.conf from the machine
    }
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=root,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    try:
        while not _listening(port):
            if process.poll() is not None or time.monotonic() - started > _START_TIMEOUT_S:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"Spark Connect server did not start:\n{tail}")
            time.sleep(0.5)
        yield SparkServer(f"sc://127.0.0.1:{port}", root, time.monotonic() - started, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
