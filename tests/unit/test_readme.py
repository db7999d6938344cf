"""The README's table of checks lists exactly the checks the gates run, gate by gate."""

from __future__ import annotations

import re
from pathlib import Path

from langgraph_gates.gates import GATES

from ..conftest import ROOT


def test_readme_check_table_matches_registry() -> None:
    text = (ROOT / "README.md").read_text()
    table = text.split("<!-- checks-table:start -->")[1].split("<!-- checks-table:end -->")[0]
    documented = re.findall(r"`([A-Z]+\.[A-Z_]+)`", table)
    registered = [c.id for g in GATES for c in g.checks]
    assert sorted(documented) == sorted(registered)
    assert len(set(registered)) == len(registered)


def test_readme_first_screen_has_the_two_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen


def test_readme_walkthrough_of_left_out_evidence_is_no_go(tmp_path: Path) -> None:
    """The README's fail-closed walkthrough: the churn example without its artifact and with a
    typo in its training path is a No-Go (the intact dossier is a Conditional Go)."""
    import shutil

    from langgraph_gates import review

    text = (ROOT / "README.md").read_text()
    assert "sed -i '/^  artifact:/d; s|^  train: .*|  train: data/trian.parquet|'" in text
    folder = tmp_path / "churn"
    shutil.copytree(ROOT / "examples" / "churn", folder)
    intact = review(folder / "dossier.yaml", as_of="2026-11-28")
    lines = (folder / "dossier.yaml").read_text().splitlines()
    lines = [ln for ln in lines if not ln.startswith("  artifact:")]
    lines = ["  train: data/trian.parquet" if ln.startswith("  train: ") else ln for ln in lines]
    (folder / "dossier.yaml").write_text("\n".join(lines) + "\n")
    broken = review(folder / "dossier.yaml", as_of="2026-11-28")
    assert intact.recommendation == "Conditional Go"
    assert broken.recommendation == "No-Go"
    failing = {g.id for g in broken.report.gates if g.status.value == "Fail"}
    assert failing == {"data_readiness", "feature_engineering", "security_robustness"}
    assert "No-Go (Blocked by failing gate(s): Data Readiness, Feature Engineering, Security.)" in text
