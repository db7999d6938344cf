"""JUnit, SARIF, the GitHub Actions summary and the readable Markdown, on small hand-built reports.

Each outcome is placed where a CI tool must not show it milder than the gate does: a fail, an
error and a gap that counts as a fail are JUnit failures and SARIF errors; warn and missing are
skipped. Both formats are validated against the vendored schemas (tests/schemas/README.md).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from langgraph_gates.cli._github import failing_check_annotations, publish_to_github
from langgraph_gates.report import ReviewReport, render
from langgraph_gates.report._common import measured_text
from langgraph_gates.state import (
    EvidenceRef,
    Finding,
    GateResult,
    Outcome,
    Recommendation,
    Severity,
    Status,
    Threshold,
)

from ..conftest import ROOT, SCHEMAS


def _finding(check_id: str, outcome: Outcome, **kw: object) -> Finding:
    gate = kw.pop("gate", "security_robustness")
    return Finding.model_validate(
        {
            "check_id": check_id,
            "gate": gate,
            "title": check_id.title(),
            "outcome": outcome,
            "severity": Severity.HIGH if outcome is Outcome.FAIL else Severity.LOW,
            "message": f"The check says {outcome.value}.",
            **kw,
        }
    )


def _report(findings: list[Finding], gate_id: str = "security_robustness") -> ReviewReport:
    failing = any(f.fails_gate for f in findings)
    gate = GateResult(
        id=gate_id,  # type: ignore[arg-type]
        title="Security & Robustness",
        evidence_status=Status.FAIL if failing else Status.CONDITIONAL,
        status=Status.FAIL if failing else Status.CONDITIONAL,
        findings=findings,
        key_risk="the worst one",
        mitigation="fix it",
        owner="appsec",
    )
    return ReviewReport(
        recommendation=Recommendation.NO_GO if failing else Recommendation.CONDITIONAL_GO,
        gates=[gate],
        generated_at="2026-11-28T09:30:00+00:00",
    )


SECRET = "AKIAZIMSVPGNWANYZAM4"
MIXED = [
    _finding("SEC.ARTIFACT_UNSAFE", Outcome.FAIL, evidence=[EvidenceRef(source="model/model.pkl")]),
    _finding("SEC.ARTIFACT_INTEGRITY", Outcome.ERROR, counts_as_fail=True),
    _finding(
        "SEC.SECRETS",
        Outcome.FAIL,
        evidence=[
            EvidenceRef(source="config/app.yaml", detail="line 7: AWS Access Key"),
            EvidenceRef(source="dossier", detail="security.threat_model: Secret Keyword"),
        ],
        measured={"hits": [{"where": "config/app.yaml:7", "type": "AWS Access Key", "preview": "AK**M4"}]},
    ),
    _finding(
        "SEC.DEPENDENCIES",
        Outcome.WARN,
        measured={"requirements": 3, "unpinned": ["numpy>=1.26", "pandas"]},
        evidence=[EvidenceRef(source="requirements.txt")],
        threshold=Threshold(metric="unpinned", direction="above", warn=0),
    ),
    _finding("SEC.THREAT_MODEL", Outcome.MISSING),
    _finding("SEC.INPUT_VALIDATION", Outcome.PASS),
    _finding("SEC.UNKNOWN_FIELDS", Outcome.MISSING, counts_as_fail=True),
]


def test_junit_places_each_outcome_and_validates() -> None:
    xml = render(_report(MIXED), "junit")
    xmlschema.XMLSchema(str(SCHEMAS / "junit-ant.xsd")).validate(xml)
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    kinds = {
        c.get("name", "").split()[0]: next((child.tag for child in c), "passed")
        for c in suite.findall("testcase")
    }
    assert kinds == {
        "SEC.ARTIFACT_UNSAFE": "failure",
        "SEC.ARTIFACT_INTEGRITY": "failure",  # an error that counts as fail
        "SEC.SECRETS": "failure",
        "SEC.DEPENDENCIES": "skipped",
        "SEC.THREAT_MODEL": "skipped",
        "SEC.INPUT_VALIDATION": "passed",
        "SEC.UNKNOWN_FIELDS": "failure",  # a required check that is missing fails closed
    }
    assert (suite.get("failures"), suite.get("skipped"), suite.get("tests")) == ("4", "2", "7")


def test_junit_message_has_measured_value_and_threshold() -> None:
    xml = render(_report(MIXED), "junit")
    case = next(c for c in ET.fromstring(xml).iter("testcase") if c.get("name", "").startswith("SEC.DEP"))
    skipped = case.find("skipped")
    assert skipped is not None
    assert "[threshold unpinned: warn > 0]" in skipped.get("message", "")
    assert "Measured: requirements 3; unpinned numpy>=1.26, pandas" in (skipped.text or "")


def test_sarif_results_validate_and_mask_secrets() -> None:
    text = render(_report(MIXED), "sarif")
    log = json.loads(text)
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    by_rule: dict[str, list[dict[str, object]]] = {}
    for r in results:
        by_rule.setdefault(r["ruleId"], []).append(r)
    assert set(by_rule) == {"SEC.ARTIFACT_UNSAFE", "SEC.ARTIFACT_INTEGRITY", "SEC.SECRETS", "SEC.DEPENDENCIES"}
    assert [r["level"] for r in by_rule["SEC.ARTIFACT_INTEGRITY"]] == ["error"]  # error, not a note
    secrets = by_rule["SEC.SECRETS"]
    assert len(secrets) == 2
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in secrets]  # type: ignore[index]
    assert regions == [{"startLine": 7}, None]
    assert "AK**M4" not in text and SECRET not in text  # not even the masked preview
    deps = by_rule["SEC.DEPENDENCIES"]
    assert [r["message"]["text"] for r in deps] == [  # type: ignore[index]
        "Requirement not pinned to one version: numpy>=1.26",
        "Requirement not pinned to one version: pandas",
    ]
    assert {r["level"] for r in deps} == {"warning"}


def test_sarif_of_a_clean_review_has_rules_and_no_results() -> None:
    log = json.loads(render(_report([_finding("SEC.SECRETS", Outcome.PASS)]), "sarif"))
    run = log["runs"][0]
    assert run["results"] == []
    assert [r["id"] for r in run["tool"]["driver"]["rules"]][:2] == ["SEC.ARTIFACT_UNSAFE", "SEC.ARTIFACT_INTEGRITY"]


def test_github_actions_summary_and_one_annotation_per_failing_check(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    emitted: list[str] = []
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    assert publish_to_github(_report(MIXED), env, emitted.append)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")  # appended, not overwritten
    assert "| Gate | Status | Key Risk | Suggested Mitigation | Owner |" in text
    assert "**Overall Recommendation: No-Go**" in text
    titles = [re.match(r"::error title=([^:]+)::", line) for line in emitted]
    assert all(titles) and len(emitted) == 4
    assert {t.group(1).split(" ")[0] for t in titles if t} == {
        "SEC.ARTIFACT_UNSAFE", "SEC.ARTIFACT_INTEGRITY", "SEC.SECRETS", "SEC.UNKNOWN_FIELDS",
    }


def test_outside_github_actions_nothing_is_written(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    emitted: list[str] = []
    assert not publish_to_github(_report(MIXED), {"GITHUB_STEP_SUMMARY": str(summary)}, emitted.append)
    assert not summary.exists() and emitted == []


def test_annotation_text_is_escaped_for_the_runner() -> None:
    f = _finding("SEC.SECRETS", Outcome.FAIL, message="100% bad\nsecond line")
    (line,) = failing_check_annotations(_report([f]))
    assert line.endswith("::100%25 bad%0Asecond line")


def test_measured_values_read_as_text_and_are_never_cut_mid_word() -> None:
    f = _finding(
        "DR.MISSINGNESS",
        Outcome.WARN,
        gate="data_readiness",
        measured={
            "missing_fraction": {f"feature_{i}": i / 100 for i in range(9)},
            "rows": 42000,
            "judged": True,
            "nested": [{"a": 1}, {"b": 2}],
        },
    )
    text = measured_text(f)
    assert "=" not in text and "…" not in text
    assert text.startswith("missing fraction (feature_0 0, feature_1 0.01,")
    assert "and 3 more)" in text and "rows 42,000" in text and "judged yes" in text
    assert "nested (1 item(s)), (1 item(s))" in text


def test_markdown_shows_each_finding_once_and_no_boilerplate_on_a_clean_gate() -> None:
    passing = GateResult(
        id="problem_framing", title="Problem Framing / KPIs", evidence_status=Status.PASS,
        status=Status.PASS, owner="pm", mitigation="Keep monitoring; re-review on major changes.",
        findings=[_finding("PF.OBJECTIVE", Outcome.PASS, gate="problem_framing")],
        sections={"Business objectives and strategic alignment": "- [PASS] PF.OBJECTIVE: fine"},
    )
    report = _report(MIXED)
    report = report.model_copy(update={"gates": [passing, *report.gates]})
    md = render(report, "md")
    for f in MIXED:
        assert md.count(f"`{f.check_id}`") == 1, f.check_id
    assert md.count("PF.OBJECTIVE") == 1
    assert "Keep monitoring" not in md
    assert "## Sign-off" in md and "| Approver | | | | |" in md
    txt = render(report, "txt")
    for f in MIXED:
        assert txt.count(f.check_id) == 1, f.check_id
    assert "Keep monitoring" not in txt and "SIGN-OFF" in txt


def test_readme_shows_the_example_workflow_verbatim() -> None:
    workflow = (ROOT / "examples" / "ci" / "github-actions.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    assert workflow in blocks


@pytest.mark.parametrize("fmt", ["junit", "sarif", "modelcard"])
def test_new_formats_render_an_empty_review(fmt: str) -> None:
    report = ReviewReport(recommendation=Recommendation.GO, generated_at="not a date")
    assert render(report, fmt).strip()
