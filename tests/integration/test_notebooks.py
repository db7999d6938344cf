"""The example notebooks run top to bottom, offline, so they can never go stale.

Each notebook is executed in a fresh Jupyter kernel of this interpreter, with ``notebooks/`` as
its working folder (the notebooks use paths such as ``../examples/churn``), and any error in any
cell fails the test. The committed files must carry no outputs and match
``notebooks/build_notebooks.py``, which writes them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient

from ..conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_quickstart.ipynb", "02_human_in_the_loop.ipynb", "03_evidence.ipynb"]
KERNEL = "langgraph-gates-tests"

# Run first in the kernel (not part of the notebook): the kernel is a process of its own, so
# the suite's loopback-only guard is installed there too.
NETWORK_GUARD = """
import ipaddress as _ip, socket as _socket
_real_connect = _socket.socket.connect
def _loopback_only(self, address):
    if self.family in (_socket.AF_INET, _socket.AF_INET6):
        host = _socket.gethostbyname(address[0]) if self.family == _socket.AF_INET else address[0]
        if not _ip.ip_address(host).is_loopback:
            raise OSError(f"notebooks run offline (tried {address!r})")
    return _real_connect(self, address)
_socket.socket.connect = _loopback_only
"""


def _builder() -> ModuleType:
    """notebooks/build_notebooks.py as a module (compiled in memory: no __pycache__ there)."""
    path = NOTEBOOKS / "build_notebooks.py"
    module = ModuleType("build_notebooks")
    module.__file__ = str(path)
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def _listing() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.iterdir() if not p.name.startswith((".", "__")))


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec for this interpreter, found first (a user's own `python3` may be another)."""
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel_json = {"argv": argv, "display_name": "langgraph-gates tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(kernel_json))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


def test_the_notebooks_are_the_ones_documented() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_notebook_has_no_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, name
    for cell in code:
        assert cell.outputs == [], f"{name}: cell {cell.id} has outputs; clear them"
        assert cell.execution_count is None, f"{name}: cell {cell.id} has an execution count"


def test_the_committed_notebooks_match_their_builder(tmp_path: Path) -> None:
    written = _builder().main(tmp_path)
    assert sorted(p.name for p in written) == NAMES
    for path in written:
        built = nbformat.read(path, as_version=4)
        committed = nbformat.read(NOTEBOOKS / path.name, as_version=4)
        assert committed == built, (
            f"{path.name} differs from notebooks/build_notebooks.py: edit the cells there and "
            "run `.venv/bin/python notebooks/build_notebooks.py`"
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_runs_top_to_bottom(name: str, kernel: str) -> None:
    before = _listing()
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(NETWORK_GUARD))
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=120,  # per cell; a notebook takes 10-15 s on two cores
        allow_errors=False,  # any failing cell raises CellExecutionError
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()

    ran = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in ran), "a cell did not run"
    errors = [o for c in ran for o in c.outputs if o.output_type == "error"]
    assert errors == []
    # Every notebook shows something: a table, a printed line or a rendered report.
    assert sum(bool(c.outputs) for c in ran[1:]) >= len(ran[1:]) // 2
    # Notebooks write only into temporary folders, never beside themselves.
    assert _listing() == before
