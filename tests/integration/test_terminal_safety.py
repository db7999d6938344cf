"""Text from a dossier never drives the terminal: control characters are shown, not sent.

A model's name or objective with an OSC window-title sequence, a CSI screen clear or a BEL is
printed by the real CLI as visible ``\\xNN`` escapes; the reports on disk keep the text as
written (JSON escapes it itself).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from langgraph_gates._terminal import safe_text

TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"

DOSSIER = r'''
model:
  name: "evil\x1b]0;pwned\x07model"
  version: "1"
  task: binary_classification
problem:
  objective: "Cut churn\x1b[2J by 5%\x9b31m"
deployment:
  rollout: {strategy: big_bang}
  on_call: "ops\x1b]0;pwned\x07team"
'''


def test_safe_text_shows_controls_and_keeps_newlines() -> None:
    assert safe_text(f"a{TITLE}b\n\tc{CLEAR}\x9b\x7f") == (
        "a\\x1b]0;pwned\\x07b\n\tc\\x1b[2J\\x9b\\x7f"
    )
    assert safe_text("plain [bold]text[/] é ✓") == "plain [bold]text[/] é ✓"


def _gates(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "langgraph_gates", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode in (0, 3), out.stderr
    for stream in (out.stdout, out.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\x9b" not in stream
    return out


def test_cli_prints_no_raw_control_characters(tmp_path: Path) -> None:
    dossier = tmp_path / "dossier.yaml"
    dossier.write_text(DOSSIER, encoding="utf-8")
    out = _gates(tmp_path, "review", str(dossier), "--format", "md,json")
    # The text is shown, neutralised, not dropped.
    assert "evil\\x1b]0;pwned\\x07model" in out.stdout
    files = {f.suffix: f for f in (tmp_path / "workflow_outputs").iterdir()}
    report = json.loads(files[".json"].read_text(encoding="utf-8"))
    assert report["model"]["name"] == f"evil{TITLE}model"
    assert "\\u001b]0;pwned" in files[".json"].read_text(encoding="utf-8")
    assert f"evil{TITLE}model" in files[".md"].read_text(encoding="utf-8")


def test_show_prints_the_stored_report_without_control_characters(tmp_path: Path) -> None:
    dossier = tmp_path / "dossier.yaml"
    dossier.write_text(DOSSIER, encoding="utf-8")
    _gates(tmp_path, "review", str(dossier), "--format", "json")
    review_id = json.loads(next((tmp_path / "workflow_outputs").glob("*.json")).read_text())[
        "review_id"
    ]
    txt = _gates(tmp_path, "show", review_id, "--format", "txt")
    assert "evil\\x1b]0;pwned\\x07model" in txt.stdout
    shown = json.loads(_gates(tmp_path, "show", review_id, "--format", "json").stdout)
    # JSON on the terminal stays valid and means the same text (C1 codes as \u escapes).
    assert shown["model"]["name"] == f"evil{TITLE}model"
    assert "\x9b31m" in json.dumps(shown, ensure_ascii=False)
