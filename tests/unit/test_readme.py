"""The README's table of checks lists exactly the checks the gates run, gate by gate."""

from __future__ import annotations

import re

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
