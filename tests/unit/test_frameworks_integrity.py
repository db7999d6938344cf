"""The framework table is complete and consistent; coverage never shows an item better than its
checks; evidence digests catch a one-byte change, a removed file, an unreadable file and an edited
report; the model card says which sections the dossier leaves empty."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from langgraph_gates.errors import ConfigError
from langgraph_gates.gates import GATES
from langgraph_gates.report import ReviewReport, render
from langgraph_gates.report.frameworks import FRAMEWORKS, framework_coverage, load_framework_map
from langgraph_gates.report.integrity import (
    Integrity,
    canonical_sha256,
    evidence_digests,
    verify_report,
)
from langgraph_gates.state import Finding, GateResult, Outcome, Recommendation, Severity, Status

from ..conftest import ROOT

ALL_CHECKS = [c.id for g in GATES for c in g.checks]
ITEM_ID = {
    "ml-test-score": re.compile(r"^(Data|Model|Infra|Monitor) [1-7]$"),
    "nist-ai-rmf": re.compile(r"^(GOVERN|MAP|MEASURE|MANAGE) [1-6]\.\d{1,2}$"),
    "eu-ai-act": re.compile(r"^(Art\. (9|1[0-5])\(\d\)(\([a-h]\))?(\((i|ii|iii|iv|v|vi|vii)\))?|Annex IV\(\d\)(\([a-h]\))?)$"),
}


def test_every_check_is_mapped_or_explicitly_unmapped() -> None:
    table = load_framework_map()
    assert set(table.checks) | set(table.unmapped) == set(ALL_CHECKS)
    assert not set(table.checks) & set(table.unmapped)
    for check_id, per in table.checks.items():
        assert set(per) == set(FRAMEWORKS), check_id  # each framework decided, even if empty
    assert all(reason.strip() for reason in table.unmapped.values())


def test_every_mapped_item_exists_and_ids_have_the_frameworks_own_form() -> None:
    table = load_framework_map()
    for framework in FRAMEWORKS:
        catalogue = table.items[framework]
        assert all(ITEM_ID[framework].match(item) for item in catalogue), framework
        for check_id, per in table.checks.items():
            unknown = set(per[framework]) - set(catalogue)
            assert not unknown, f"{check_id} names unknown {framework} items {unknown}"
    assert len(table.items["ml-test-score"]) == 28  # the rubric's 28 tests
    assert len(table.items["nist-ai-rmf"]) == 72  # AI RMF 1.0's 72 subcategories


def test_the_docs_page_names_every_framework_source() -> None:
    page = (ROOT / "docs" / "frameworks.md").read_text(encoding="utf-8")
    for needle in ("NIST AI 100-1", "2024/1689", "Breck", "langgraph_gates/frameworks.yaml"):
        assert needle in page


def _gate(*findings: Finding) -> GateResult:
    return GateResult(
        id="responsible_ai", title="Responsible AI / Fairness", evidence_status=Status.FAIL,
        status=Status.FAIL, findings=list(findings),
    )


def _f(check_id: str, outcome: Outcome, counts_as_fail: bool = False) -> Finding:
    return Finding(
        check_id=check_id, gate="responsible_ai", title=check_id, outcome=outcome,
        severity=Severity.LOW, message="m", counts_as_fail=counts_as_fail,
    )


def test_an_item_takes_the_worst_outcome_of_its_checks() -> None:
    gate = _gate(
        _f("RAI.DISPARATE_IMPACT", Outcome.PASS),
        _f("RAI.SENSITIVE_DECLARED", Outcome.WARN),
        _f("RAI.EQUALIZED_ODDS", Outcome.MISSING, counts_as_fail=True),
    )
    cov = framework_coverage("eu-ai-act", [gate])
    item = next(i for i in cov.items if i.item == "Art. 10(2)(f)")
    assert item.outcome is Outcome.FAIL  # the missing required check counts as a fail
    assert item.outcomes == {
        "RAI.SENSITIVE_DECLARED": Outcome.WARN,
        "RAI.DISPARATE_IMPACT": Outcome.PASS,
        "RAI.EQUALIZED_ODDS": Outcome.FAIL,
    }
    assert "Art. 15(5)" in {i.item for i in cov.uncovered}  # no security check ran here


def test_an_unknown_framework_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown framework 'iso-42001'"):
        framework_coverage("iso-42001", [])


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _sealed(tmp_path: Path) -> dict[str, object]:
    _write(tmp_path / "dossier.yaml", b"model: {name: m}\n")
    _write(tmp_path / "eval" / "metrics.json", b'{"validation": {"roc_auc": 0.81}}')
    _write(tmp_path / "config" / "a.yaml", b"a: 1\n")
    files = evidence_digests(
        [("performance.metrics", "eval/metrics.json"), ("security.scan_paths[0]", "config/"),
         ("data.train", "data/absent.csv")],
        str(tmp_path), str(tmp_path / "dossier.yaml"),
    )
    policy = {"name": "default"}
    report = ReviewReport(
        recommendation=Recommendation.GO, policy=policy,
        integrity=Integrity(base_dir=str(tmp_path), files=files, policy_sha256=canonical_sha256(policy)),
    )
    return json.loads(render(report, "json"))


def test_digests_cover_the_dossier_each_file_and_each_file_of_a_folder(tmp_path: Path) -> None:
    data = _sealed(tmp_path)
    files = data["integrity"]["files"]  # type: ignore[index]
    assert [(f["field"], f["path"]) for f in files] == [
        ("dossier", "dossier.yaml"),
        ("performance.metrics", "eval/metrics.json"),
        ("security.scan_paths[0]", "config/a.yaml"),
        ("data.train", "data/absent.csv"),
    ]
    assert files[3]["sha256"] is None and files[3]["error"] == "not found"


def test_verify_unchanged_then_one_byte_changed(tmp_path: Path) -> None:
    data = _sealed(tmp_path)
    result = verify_report(data)
    assert result.changed == [] and result.exit_code == 2  # the absent file cannot be vouched for
    assert "data/absent.csv (data.train): not hashed at review time (not found)" in result.unreadable
    metrics = tmp_path / "eval" / "metrics.json"
    metrics.write_bytes(metrics.read_bytes().replace(b"0.81", b"0.82"))
    result = verify_report(data)
    assert result.exit_code == 3
    assert len(result.changed) == 1 and result.changed[0].startswith("eval/metrics.json (performance.metrics): content changed")


def test_verify_a_removed_file_is_a_change_and_a_directory_in_its_place_unreadable(tmp_path: Path) -> None:
    data = _sealed(tmp_path)
    (tmp_path / "config" / "a.yaml").unlink()
    assert any("config/a.yaml" in line and "removed" in line for line in verify_report(data).changed)
    (tmp_path / "config" / "a.yaml").mkdir()
    result = verify_report(data)
    assert any(line.startswith("config/a.yaml") for line in result.unreadable)


def test_verify_catches_an_edited_report_and_an_edited_policy(tmp_path: Path) -> None:
    data = _sealed(tmp_path)
    tampered = {**data, "recommendation": "No-Go"}
    assert verify_report(tampered).changed[0].startswith("the report itself")
    new_policy = {**data, "policy": {"name": "lenient"}}
    changed = verify_report(new_policy).changed
    assert any("policy" in line for line in changed)


def test_verify_without_integrity_is_unreadable() -> None:
    result = verify_report({"recommendation": "Go"})
    assert result.exit_code == 2 and not result.changed


def test_model_card_says_which_sections_the_dossier_leaves_empty() -> None:
    from langgraph_gates import review

    report = review({"model": {"name": "bare", "task": "regression"}}).report
    card = render(report, "modelcard")
    factors = card[card.index("## Factors"):card.index("## Metrics")]
    assert "_Empty: the dossier and the review say nothing about" in factors
    assert "`data.sensitive_attributes`" in factors
    assert "- **Name:** bare _(dossier:model.name)_" in card


def test_a_fifo_named_as_evidence_is_recorded_not_read(tmp_path: Path) -> None:
    """Hashing must never block on a FIFO (or a device) that a dossier names as evidence."""
    import os

    os.mkfifo(tmp_path / "pipe.csv")
    (entry,) = evidence_digests([("data.train", "pipe.csv")], str(tmp_path), None)
    assert entry.sha256 is None and entry.error == "not a regular file"
