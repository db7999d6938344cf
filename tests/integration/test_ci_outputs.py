"""The outputs a platform team plugs in, on the bundled examples: JUnit and SARIF valid against
their published schemas, a model card with nothing invented, an EU AI Act coverage table, and
`gates verify` catching a one-byte change in an evidence file.

The examples are reviewed once per module, offline, with a fixed review date.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import xmlschema
import yaml

from langgraph_gates import ReviewReport, review
from langgraph_gates.report.modelcard import dossier_value
from langgraph_gates.state import Outcome

from ..conftest import EXAMPLES, SCHEMAS, run_gates

pytestmark = pytest.mark.xdist_group("examples")

AS_OF = "2026-11-28"
NAMES = ["churn", "fraud_detection", "job_matching"]
FORMATS = ("json", "md", "junit", "sarif", "modelcard")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[ReviewReport, dict[str, Path]]]]:
    out = {}
    for name in NAMES:
        result = review(
            EXAMPLES / name / "dossier.yaml",
            as_of=AS_OF,
            output_dir=tmp_path_factory.mktemp(name),
            formats=FORMATS,
            frameworks=("eu-ai-act",),
        )
        out[name] = (result.report, result.files)
    yield out


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-ant.xsd"))


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


@pytest.mark.parametrize("name", NAMES)
def test_junit_is_valid_and_counts_what_fails_a_gate(
    outputs: dict[str, tuple[ReviewReport, dict[str, Path]]], junit_schema: xmlschema.XMLSchema, name: str
) -> None:
    report, files = outputs[name]
    assert files["junit"].name.endswith(".junit.xml")
    junit_schema.validate(str(files["junit"]))
    root = ET.parse(files["junit"]).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [g.title for g in report.gates]
    for suite, gate in zip(suites, report.gates, strict=True):
        failing = {f.check_id for f in gate.findings if f.fails_gate or f.outcome is Outcome.ERROR}
        open_ = {f.check_id for f in gate.findings if f.outcome in (Outcome.WARN, Outcome.MISSING)} - failing
        cases = suite.findall("testcase")
        assert len(cases) == len(gate.findings) == int(suite.get("tests", "-1"))
        failed = {c.get("name", "").split()[0] for c in cases if c.find("failure") is not None}
        skipped = {c.get("name", "").split()[0] for c in cases if c.find("skipped") is not None}
        assert (failed, skipped) == (failing, open_)
        assert int(suite.get("failures", "-1")) == len(failing)


def test_junit_failure_message_carries_the_threshold(
    outputs: dict[str, tuple[ReviewReport, dict[str, Path]]],
) -> None:
    report, files = outputs["fraud_detection"]
    leak = next(f for g in report.gates for f in g.findings if f.check_id == "FE.TARGET_LEAKAGE")
    assert leak.outcome is Outcome.FAIL and leak.threshold is not None
    case = next(
        c for c in ET.parse(files["junit"]).getroot().iter("testcase")
        if c.get("name", "").startswith("FE.TARGET_LEAKAGE")
    )
    failure = case.find("failure")
    assert failure is not None
    assert leak.threshold.describe() in failure.get("message", "")
    assert "Measured:" in (failure.text or "")


@pytest.mark.parametrize("name", NAMES)
def test_sarif_is_valid_2_1_0(
    outputs: dict[str, tuple[ReviewReport, dict[str, Path]]],
    sarif_validator: jsonschema.Draft4Validator,
    name: str,
) -> None:
    _, files = outputs[name]
    log = json.loads(files["sarif"].read_text(encoding="utf-8"))
    sarif_validator.validate(log)
    assert log["version"] == "2.1.0"


def test_sarif_points_at_the_unsafe_artifact(outputs: dict[str, tuple[ReviewReport, dict[str, Path]]]) -> None:
    _, files = outputs["fraud_detection"]
    results = json.loads(files["sarif"].read_text(encoding="utf-8"))["runs"][0]["results"]
    unsafe = [r for r in results if r["ruleId"] == "SEC.ARTIFACT_UNSAFE"]
    assert len(unsafe) == 1 and unsafe[0]["level"] == "error"
    uri = unsafe[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("fraud_detection/model/model.pkl"), uri


def test_sarif_locates_the_secret_and_never_shows_it(
    outputs: dict[str, tuple[ReviewReport, dict[str, Path]]],
) -> None:
    _, files = outputs["job_matching"]
    config = EXAMPLES / "job_matching" / "config" / "matching_service.yaml"
    line, secret = next(
        (i, text.split(":", 1)[1].strip())
        for i, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1)
        if "aws_access_key_id:" in text
    )
    assert secret.startswith("AKIA")
    text = files["sarif"].read_text(encoding="utf-8")
    assert secret not in text and secret[4:10] not in text and secret[-4:] not in text
    hits = [r for r in json.loads(text)["runs"][0]["results"] if r["ruleId"] == "SEC.SECRETS"]
    assert len(hits) == 1
    location = hits[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("job_matching/config/matching_service.yaml")
    assert location["region"]["startLine"] == line


_FACT = re.compile(r"^- \*\*(?P<label>[^*]+):\*\* (?P<value>.*) _\((?P<source>(dossier|finding):[^)]+)\)_$")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9][A-Za-z0-9@._%+-]*", text.lower()))


@pytest.mark.parametrize("name", NAMES)
def test_model_card_invents_nothing(outputs: dict[str, tuple[ReviewReport, dict[str, Path]]], name: str) -> None:
    """Every value line names its source, and every word of the value is in that source."""
    report, files = outputs[name]
    card = files["modelcard"].read_text(encoding="utf-8")
    dossier = yaml.safe_load((EXAMPLES / name / "dossier.yaml").read_text(encoding="utf-8"))
    findings: dict[str, str] = {}
    for f in (f for g in report.gates for f in g.findings):
        findings[f.check_id] = " ".join([findings.get(f.check_id, ""), f.outcome.value, f.message, f.mitigation])
    facts = 0
    for line in card.splitlines():
        if not line.startswith("- **"):
            continue
        match = _FACT.match(line)
        assert match, f"a value line without its source: {line}"
        kind, _, ref = match["source"].partition(":")
        if kind == "dossier":
            source_text = json.dumps(dossier_value(dossier, ref), default=str)
        else:
            source_text = findings[ref]
        invented = _words(match["value"]) - _words(source_text) - _words(ref) - {"mitigation", ref.lower()}
        assert not invented, f"{match['label']}: words not in {match['source']}: {sorted(invented)}"
        facts += 1
    assert facts >= 20
    for section in ("Model Details", "Intended Use", "Factors", "Metrics", "Evaluation Data",
                    "Training Data", "Quantitative Analyses", "Ethical Considerations",
                    "Caveats and Recommendations"):
        assert f"\n## {section}\n" in card


def test_model_card_carries_the_fairness_intervals(outputs: dict[str, tuple[ReviewReport, dict[str, Path]]]) -> None:
    _, files = outputs["churn"]
    card = files["modelcard"].read_text(encoding="utf-8")
    section = card[card.index("## Quantitative Analyses"):card.index("## Ethical Considerations")]
    assert re.search(r"Selection-rate ratio:\*\* \w+: .*95% interval", section)


@pytest.mark.parametrize("name", NAMES)
def test_eu_ai_act_coverage_table(outputs: dict[str, tuple[ReviewReport, dict[str, Path]]], name: str) -> None:
    report, files = outputs[name]
    md = files["md"].read_text(encoding="utf-8")
    assert "## Framework coverage: EU AI Act" in md
    coverage = report.frameworks[0]
    covered = {i.item for i in coverage.items if i.outcome is not None}
    assert {"Art. 10(2)(f)", "Art. 15(5)", "Art. 9(8)"} <= covered
    assert "Art. 12(1)" in {i.item for i in coverage.uncovered}  # no check reads logging
    data = json.loads(files["json"].read_text(encoding="utf-8"))
    assert data["frameworks"][0]["framework"] == "eu-ai-act"
    # an item is never better than its worst check
    for item in coverage.items:
        if item.outcome is not None:
            assert item.outcome in item.outcomes.values()


def test_verify_catches_a_one_byte_change(tmp_path: Path) -> None:
    """Copy an example, review it, flip one byte of one evidence file: verify names that file."""
    folder = tmp_path / "churn"
    shutil.copytree(EXAMPLES / "churn", folder)
    result = review(folder / "dossier.yaml", as_of=AS_OF, output_dir=tmp_path / "out", formats=("json",))
    report_path = result.files["json"]
    clean = run_gates("verify", str(report_path), cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "verified: unchanged" in clean.stdout

    target = folder / "eval" / "predictions.csv"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    changed = run_gates("verify", str(report_path), cwd=tmp_path)
    assert changed.returncode == 3, changed.stdout + changed.stderr
    changed_lines = [line for line in changed.stdout.splitlines() if line.startswith("changed")]
    assert len(changed_lines) == 1 and "eval/predictions.csv" in changed_lines[0]


def test_verify_catches_an_edited_report_and_refuses_a_broken_one(tmp_path: Path) -> None:
    result = review(EXAMPLES / "churn" / "dossier.yaml", as_of=AS_OF, output_dir=tmp_path, formats=("json",))
    path = result.files["json"]
    data = json.loads(path.read_text(encoding="utf-8"))
    data["recommendation"] = "Go"  # a better call than the evidence gave
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data, indent=2), encoding="utf-8")
    out = run_gates("verify", str(edited), cwd=tmp_path)
    assert out.returncode == 3 and "the report itself" in out.stdout

    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    out = run_gates("verify", str(broken), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error [config_error]:") and "Traceback" not in out.stderr


def test_in_github_actions_the_cli_writes_the_step_summary_and_annotations(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    out = run_gates(
        "review", str(EXAMPLES / "fraud_detection" / "dossier.yaml"), "--as-of", AS_OF,
        "--fail-on", "no-go", "--no-progress", "--db", str(tmp_path / "r.sqlite"),
        "-o", str(tmp_path / "out"), "--format", "json", cwd=tmp_path, env=env,
    )
    assert out.returncode == 3, out.stderr  # No-Go gates the pull request
    text = summary.read_text(encoding="utf-8")
    assert "**Overall Recommendation: No-Go**" in text and "### Open findings" in text
    annotations = [line for line in out.stdout.splitlines() if line.startswith("::error title=")]
    report = json.loads(next((tmp_path / "out").glob("*.json")).read_text(encoding="utf-8"))
    failing = [
        f["check_id"] for g in report["gates"] for f in g["findings"]
        if f["outcome"] == "fail" or f["counts_as_fail"]
    ]
    assert len(annotations) == len(failing) >= 5
    assert {a.split("=", 1)[1].split(" ", 1)[0] for a in annotations} == set(failing)


def test_an_unknown_framework_is_refused_before_the_review(tmp_path: Path) -> None:
    out = run_gates(
        "review", str(EXAMPLES / "churn" / "dossier.yaml"), "--framework", "iso-42001", cwd=tmp_path
    )
    assert out.returncode == 2
    assert out.stderr.startswith("error [config_error]: --framework: unknown framework 'iso-42001'")
    assert not (tmp_path / ".gates").exists()  # nothing ran


def test_markdown_shows_the_decision_rule_and_confusion_matrix(
    outputs: dict[str, tuple[ReviewReport, dict[str, Path]]],
) -> None:
    report, files = outputs["churn"]
    md = files["md"].read_text(encoding="utf-8")
    cal = next(f for g in report.gates for f in g.findings if f.check_id == "MP.CALIBRATION")
    d = cal.measured["decisions"]
    assert isinstance(d, dict)
    crit = next(f for g in report.gates for f in g.findings if f.check_id == "MP.SUCCESS_CRITERIA_MET")
    recall = next(c for c in crit.measured["criteria"] if c["metric"] == "recall")  # type: ignore[union-attr,index]
    assert d["tp"] / (d["tp"] + d["fn"]) == pytest.approx(recall["value"], abs=1e-6)  # type: ignore[operator,index]
    assert "### Decisions on the validation split" in md
    assert f"| **actual 1** | {d['fn']} (false negatives) | {d['tp']} (true positives) |" in md
