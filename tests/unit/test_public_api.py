"""The package face: every exported name imports and is documented, and the README's
"Python API" section runs as written."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import langgraph_gates

from ..conftest import ROOT

# What a user needs without knowing the module layout (the list).
REQUIRED = {
    "review",
    "ReviewResult",
    "build_graph",
    "graph_builder",
    "RunContext",
    "Dossier",
    "Policy",
    "load_dossier",
    "load_policy",
    "ReviewReport",
    "ReviewState",
    "ReviewInput",
    "Reviews",
    "open_reviews",
    "open_checkpointer",
    "GatesError",
    "DossierError",
    "PolicyError",
    "EvidenceError",
    "ConfigError",
    "ReviewStateError",
    "Status",
    "Outcome",
    "Recommendation",
    "Finding",
    "GateResult",
    "Override",
}


def _own_doc(obj: Any) -> str:
    """The object's own docstring (a class's, not one inherited from a base class)."""
    if inspect.isclass(obj):
        return vars(obj).get("__doc__") or ""
    return getattr(obj, "__doc__", None) or ""


def test_all_lists_what_a_user_needs_once() -> None:
    names = langgraph_gates.__all__
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED, sorted(REQUIRED - set(names))


@pytest.mark.parametrize("name", langgraph_gates.__all__)
def test_every_exported_name_imports_and_has_a_docstring(name: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from langgraph_gates import {name}", namespace)
    obj = namespace[name]
    if inspect.isclass(obj) or callable(obj):
        doc = _own_doc(obj)
        assert doc.strip(), f"{name} has no docstring"
        assert len(doc.split()) >= 3, f"{name}: {doc!r} says too little"
    else:  # a constant: the package docstring must say what it is
        assert f"``{name}``" in (langgraph_gates.__doc__ or ""), name


@pytest.mark.parametrize(
    "name", [n for n in langgraph_gates.__all__ if inspect.isclass(getattr(langgraph_gates, n))]
)
def test_public_methods_of_exported_classes_have_docstrings(name: str) -> None:
    cls = getattr(langgraph_gates, name)
    undocumented = []
    for attr, value in vars(cls).items():
        if attr.startswith("_"):
            continue
        func = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if (inspect.isfunction(func) or isinstance(value, property)) and not func.__doc__:
            undocumented.append(attr)
    assert undocumented == [], f"{name}: {undocumented}"


def test_the_package_docstring_names_every_export() -> None:
    doc = langgraph_gates.__doc__ or ""
    missing = [n for n in langgraph_gates.__all__ if not re.search(rf"`{re.escape(n)}`", doc)]
    assert missing == []


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_readme_python_api_section_names_only_exports() -> None:
    section = _readme_section("Python API")
    imported = re.findall(r"from langgraph_gates import ([\w, ]+)", section)
    names = {n.strip() for group in imported for n in group.split(",")}
    assert names and names <= set(langgraph_gates.__all__)
    table = section.split("| name | what it is |")[1]
    listed = set(re.findall(r"`(\w+)`", table))
    assert listed == set(langgraph_gates.__all__), sorted(listed ^ set(langgraph_gates.__all__))


def test_the_readme_python_api_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Run from a scratch folder that sees the examples, so whatever the snippets write
    # (.gates/reviews.sqlite) lands there and not in the repository.
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", _readme_section("Python API"), flags=re.S)
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, "README.md (Python API)", "exec"), {})
    out = capsys.readouterr().out
    assert "gate_completed" in out  # the streaming example printed progress events
    assert "No-Go" in out and "run 1 -> run 2" in out  # the durable example's comments hold
    assert (tmp_path / ".gates" / "reviews.sqlite").exists()
