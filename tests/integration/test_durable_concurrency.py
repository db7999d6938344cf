"""Twenty review processes write to one SQLite file at the same moment.

A launcher process imports the package once and forks twenty children (separate processes,
each opening its own connection), which wait on a pipe and then all run ``gates review`` at
once against the same, not yet existing, database file. Forking after the import keeps the
test fast on two cores; every child is a real process with its own SQLite connection.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from langgraph_gates.durable import open_reviews
from langgraph_gates.state import GATE_IDS

N_REVIEWS = 20

LAUNCHER = r"""
import json, os, sys, traceback
from pathlib import Path
from langgraph_gates.cli import main

n, db, dossier, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
go_r, go_w = os.pipe()
children = {}
for i in range(n):
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        os.read(go_r, 1)  # returns when the parent closes the pipe: everyone starts together
        for fd, name in ((1, f"{i}.out"), (2, f"{i}.err")):
            os.dup2(os.open(out / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        sys.argv = ["gates", "review", dossier, "--id", f"c{i}", "--db", db,
                    "--no-progress", "-o", str(out / f"reports{i}")]
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    children[pid] = i
os.close(go_r)
os.close(go_w)
codes = {}
for pid, i in children.items():
    _, status = os.waitpid(pid, 0)
    codes[i] = os.waitstatus_to_exitcode(status)
print(json.dumps(codes))
"""


@pytest.mark.slow
def test_twenty_concurrent_reviews_share_one_sqlite_file(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    dossier = case / "dossier.yaml"
    dossier.write_text(
        yaml.safe_dump(
            {
                "model": {"name": "concurrent", "version": "1"},
                "problem": {"objective": "Rank support tickets by urgency for the on-call desk"},
                "data": {"label": "urgent"},
            }
        )
    )
    db = tmp_path / "db" / "reviews.sqlite"
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "launcher.py"
    script.write_text(LAUNCHER)
    proc = subprocess.run(
        [sys.executable, str(script), str(N_REVIEWS), str(db), str(dossier), str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    codes = {int(k): v for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}
    errors = {i: (out / f"{i}.err").read_text() for i in range(N_REVIEWS)}
    assert not [i for i, e in errors.items() if "locked" in e.lower()], errors
    assert codes == dict.fromkeys(range(N_REVIEWS), 0), errors

    with open_reviews(str(db)) as reviews:
        listed = reviews.list_reviews()
        assert sorted(s.review_id for s in listed) == sorted(f"c{i}" for i in range(N_REVIEWS))
        assert all(s.state == "finished" and s.recommendation for s in listed)
        for i in range(N_REVIEWS):
            status = reviews.status(f"c{i}")
            assert status.completed_gates == list(GATE_IDS)
