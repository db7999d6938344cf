"""JUnit XML: one test suite per gate, one test case per check, for CI test-result views.

The layout follows the Ant JUnit schema that CI systems read (Jenkins, GitLab, Azure DevOps,
GitHub test-reporter actions). A ``fail``, an ``error``, and a gap that counts as a fail (SPEC
section 3) are ``<failure>``s, so a CI that goes red on failures goes red on exactly what fails a
gate. ``warn`` and ``missing`` are ``<skipped>`` with the reason: visible, not red.
"""

from __future__ import annotations

import datetime as dt
import socket
import xml.etree.ElementTree as ET

from langgraph_gates.report._common import measured_text
from langgraph_gates.report.model import ReviewReport
from langgraph_gates.state import Finding, GateResult, Outcome

__all__ = ["render_junit"]


def _timestamp(report: ReviewReport) -> str:
    """The schema wants local ``YYYY-MM-DDTHH:MM:SS`` without a zone."""
    try:
        when = dt.datetime.fromisoformat(report.generated_at)
    except ValueError:
        when = dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def _detail(f: Finding) -> str:
    lines = [f.message]
    measured = measured_text(f)
    if measured:
        lines.append(f"Measured: {measured}")
    if f.threshold is not None:
        lines.append(f"Threshold: {f.threshold.describe()}")
    lines += [f"Evidence: {e.source}" + (f" [{e.column}]" if e.column else "") for e in f.evidence]
    if f.mitigation:
        lines.append(f"Mitigation: {f.mitigation}")
    return "\n".join(lines)


def _summary(f: Finding) -> str:
    """The one-line message CI shows: the finding, and the threshold it was judged against."""
    text = f"{f.outcome.value}: {f.message}"
    if f.counts_as_fail and f.outcome is not Outcome.FAIL:
        text = f"{f.outcome.value} (counts as fail): {f.message}"
    if f.threshold is not None:
        text += f" [threshold {f.threshold.describe()}]"
    return text


def _testcase(suite: ET.Element, gate: GateResult, f: Finding) -> tuple[bool, bool]:
    case = ET.SubElement(
        suite, "testcase", name=f"{f.check_id} {f.title}", classname=f"gates.{gate.id}", time="0"
    )
    if f.fails_gate or f.outcome is Outcome.ERROR:
        failure = ET.SubElement(case, "failure", message=_summary(f), type=f.outcome.value)
        failure.text = _detail(f)
        return True, False
    if f.outcome in (Outcome.WARN, Outcome.MISSING):
        skipped = ET.SubElement(case, "skipped", message=_summary(f))
        skipped.text = _detail(f)
        return False, True
    return False, False


def _suite(root: ET.Element, index: int, gate: GateResult, report: ReviewReport) -> None:
    suite = ET.SubElement(
        root,
        "testsuite",
        name=gate.title,
        package="langgraph_gates",
        id=str(index),
        timestamp=_timestamp(report),
        hostname=socket.gethostname() or "localhost",
        tests=str(len(gate.findings)),
        time=f"{gate.duration_s:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("gate", gate.id),
        ("status", gate.status.value),
        ("owner", gate.owner),
        ("model", " ".join(p for p in (report.model.name, report.model.version) if p)),
        ("recommendation", report.recommendation.value),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    failures = skipped = 0
    for f in gate.findings:
        failed, skip = _testcase(suite, gate, f)
        failures += failed
        skipped += skip
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    ET.SubElement(
        suite, "system-out"
    ).text = f"Gate status: {gate.status.value}. {gate.key_risk_line}"
    ET.SubElement(suite, "system-err").text = ""


def render_junit(report: ReviewReport) -> str:
    """Render the review as JUnit XML (``<testsuites>``, one ``<testsuite>`` per gate)."""
    root = ET.Element("testsuites")
    for index, gate in enumerate(report.gates):
        _suite(root, index, gate, report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
