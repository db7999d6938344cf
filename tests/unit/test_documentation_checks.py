"""Checks that judge what the dossier documents (DR.LABEL_QC, DR.SOURCES, FE.TRANSFORMS, RAI.*,
SEC.THREAT_MODEL, SEC.INPUT_VALIDATION) and SEC.DEPENDENCIES."""

from __future__ import annotations

from pathlib import Path

import pytest

from langgraph_gates.checks import dependencies
from langgraph_gates.checks.base import CheckSpec
from langgraph_gates.checks.catalog import check_spec
from langgraph_gates.state import Outcome

from ..conftest import MakeCtx, run_one

DESCRIBED = "A monthly audit of 200 labels against CRM notes."


@pytest.mark.parametrize(
    ("spec", "section", "field"),
    [
        (check_spec("DR.LABEL_QC"), "data", "labeling_qc"),
        (check_spec("FE.TRANSFORMS"), "features", "transformations"),
        (check_spec("SEC.THREAT_MODEL"), "security", "threat_model"),
        (check_spec("SEC.INPUT_VALIDATION"), "security", "input_validation"),
    ],
)
def test_documented_practices(make_ctx: MakeCtx, spec: CheckSpec, section: str, field: str) -> None:
    assert run_one(spec, make_ctx()).outcome is Outcome.WARN
    for placeholder in ("TBD", "n/a", "todo", "  "):
        assert run_one(spec, make_ctx({section: {field: placeholder}})).outcome is Outcome.WARN
    assert run_one(spec, make_ctx({section: {field: DESCRIBED}})).outcome is Outcome.PASS


def test_sources(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("DR.SOURCES"), make_ctx()).outcome is Outcome.WARN
    unowned = make_ctx({"data": {"sources": [{"name": "a", "owner": "x"}, {"name": "b"}]}})
    f = run_one(check_spec("DR.SOURCES"), unowned)
    assert f.outcome is Outcome.WARN and f.measured["without_owner"] == ["b"]
    future = make_ctx({"data": {"sources": [{"name": "a", "owner": "x", "refreshed": "2030-01-01"}]}})
    assert "future" in run_one(check_spec("DR.SOURCES"), future).message
    ok = make_ctx({"data": {"sources": [{"name": "a", "owner": "x", "refreshed": "2026-11-01"}]}})
    assert run_one(check_spec("DR.SOURCES"), ok).outcome is Outcome.PASS


def test_sensitive_declared(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("RAI.SENSITIVE_DECLARED"), make_ctx()).outcome is Outcome.WARN
    empty = make_ctx({"data": {"sensitive_attributes": []}})
    assert run_one(check_spec("RAI.SENSITIVE_DECLARED"), empty).outcome is Outcome.WARN
    justified = make_ctx(
        {"data": {"sensitive_attributes": [], "sensitive_justification": "Machine telemetry only, no people involved."}}
    )
    assert run_one(check_spec("RAI.SENSITIVE_DECLARED"), justified).outcome is Outcome.PASS
    declared = make_ctx({"data": {"sensitive_attributes": ["region"]}})
    assert run_one(check_spec("RAI.SENSITIVE_DECLARED"), declared).outcome is Outcome.PASS


def test_harms_and_governance(make_ctx: MakeCtx) -> None:
    assert run_one(check_spec("RAI.HARMS"), make_ctx()).outcome is Outcome.WARN
    assert run_one(check_spec("RAI.HARMS"), make_ctx({"responsible_ai": {"harms": ["Unfair discounts to some"]}})).outcome is Outcome.PASS
    assert run_one(check_spec("RAI.GOVERNANCE"), make_ctx()).outcome is Outcome.WARN
    half = make_ctx({"responsible_ai": {"governance": {"review_board": "mrc"}}})
    assert "approver" in run_one(check_spec("RAI.GOVERNANCE"), half).message
    full = make_ctx({"responsible_ai": {"governance": {"review_board": "mrc", "approver": "cdo"}}})
    assert run_one(check_spec("RAI.GOVERNANCE"), full).outcome is Outcome.PASS


def test_unpinned_requirements_parser() -> None:
    text = "\n".join(
        [
            "# comment",
            "numpy==2.4.6",
            "pandas>=2",
            "scikit-learn",
            "torch==2.13.0 --hash=sha256:abc",
            "requests[socks]==2.32.0 ; python_version>'3.8'",
            "-r other.txt",
            "-e git+https://example.invalid/repo.git#egg=x",
            "foo===1.0",
        ]
    )
    unpinned, total = dependencies.unpinned_requirements(text)
    assert total == 7
    assert unpinned == ["pandas>=2", "scikit-learn", "-e git+https://example.invalid/repo.git#egg=x"]


def test_dependencies_check(make_ctx: MakeCtx, tmp_path: Path) -> None:
    assert run_one(check_spec("SEC.DEPENDENCIES"), make_ctx()).outcome is Outcome.MISSING
    ctx = make_ctx({"security": {"requirements": "req.txt"}})
    assert run_one(check_spec("SEC.DEPENDENCIES"), ctx).outcome is Outcome.ERROR  # file absent
    (tmp_path / "req.txt").write_text("numpy==2.4.6\npandas\n")
    f = run_one(check_spec("SEC.DEPENDENCIES"), ctx)
    assert f.outcome is Outcome.WARN and f.measured["unpinned"] == ["pandas"]
    (tmp_path / "req.txt").write_text("numpy==2.4.6\npandas==3.1.1\n")
    assert run_one(check_spec("SEC.DEPENDENCIES"), ctx).outcome is Outcome.PASS
    (tmp_path / "req.txt").write_bytes(b"\xff\xfe\x00bad")
    assert run_one(check_spec("SEC.DEPENDENCIES"), ctx).outcome is Outcome.ERROR
