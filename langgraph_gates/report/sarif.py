"""SARIF 2.1.0 for the security and dependency findings, for code-scanning views.

Only the checks a code scanner would raise are here: an artifact that can run code on load, an
artifact whose hash does not match, hard-coded secrets (one result per secret, at its file and
line, the value never shown: not even the masked preview), and unpinned requirements (one result
per requirement). A check that did not pass is a result; ``error`` and a gap that counts as a
fail are ``error``-level, so a scanner never shows them milder than the gate does.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.report.model import ReviewReport
from langgraph_gates.state import Finding, Outcome

__all__ = ["SARIF_CHECKS", "SARIF_SCHEMA", "render_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_CHECKS: tuple[str, ...] = (
    "SEC.ARTIFACT_UNSAFE",
    "SEC.ARTIFACT_INTEGRITY",
    "SEC.SECRETS",
    "SEC.DEPENDENCIES",
)
_LEVEL = {Outcome.FAIL: "error", Outcome.ERROR: "error", Outcome.WARN: "warning"}
_LINE = re.compile(r"^line (\d+): (.+)$")


def _tool_version() -> str:
    try:
        return version("langgraph-gates")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


def _rules() -> list[dict[str, Any]]:
    specs = {c.id: c for c in GATES_BY_ID["security_robustness"].checks}
    return [
        {
            "id": check_id,
            "name": check_id.replace(".", "_").title().replace("_", ""),
            "shortDescription": {"text": specs[check_id].title},
            "help": {"text": specs[check_id].mitigation},
            "properties": {"tags": ["security", "ml-production-readiness"]},
        }
        for check_id in SARIF_CHECKS
    ]


def _uri(report: ReviewReport, source: str) -> str:
    """A path as the dossier names it, made relative to where the review was run if inside."""
    base = report.integrity.base_dir if report.integrity else None
    if source == "dossier" and report.dossier_path:
        full = Path(report.dossier_path)
    else:
        full = Path(base or ".") / source
    full = full.resolve()
    cwd = Path.cwd().resolve()
    return full.relative_to(cwd).as_posix() if full.is_relative_to(cwd) else full.as_uri()


def _location(uri: str, line: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _result(f: Finding, index: int, text: str, locations: list[dict[str, Any]]) -> dict[str, Any]:
    level = "error" if f.counts_as_fail else _LEVEL.get(f.outcome, "note")
    return {
        "ruleId": f.check_id,
        "ruleIndex": index,
        "level": level,
        "message": {"text": text},
        "locations": locations,
        "properties": {"outcome": f.outcome.value, "gate": f.gate, "severity": f.severity.value},
    }


def _secret_results(report: ReviewReport, f: Finding, index: int) -> list[dict[str, Any]]:
    out = []
    for ref in f.evidence:
        match = _LINE.match(ref.detail or "")
        if match:  # a file hit: "line N: Type"
            line, kind = int(match.group(1)), match.group(2)
        else:  # a dossier hit: "field: Type"
            line, kind = None, (ref.detail or "secret").rsplit(": ", 1)[-1]
        text = (
            f"Hard-coded {kind} (value redacted): revoke and rotate it, then load it at run time."
        )
        out.append(_result(f, index, text, [_location(_uri(report, ref.source), line)]))
    return out


def _dependency_results(report: ReviewReport, f: Finding, index: int) -> list[dict[str, Any]]:
    unpinned = f.measured.get("unpinned")
    source = f.evidence[0].source if f.evidence else "security.requirements"
    where = [_location(_uri(report, source))]
    if not isinstance(unpinned, list) or not unpinned:
        return [_result(f, index, f.message, where)]
    return [
        _result(f, index, f"Requirement not pinned to one version: {req}", where)
        for req in unpinned
    ]


def _results(report: ReviewReport) -> list[dict[str, Any]]:
    gate = report.gate("security_robustness")
    if gate is None:
        return []
    out: list[dict[str, Any]] = []
    for index, check_id in enumerate(SARIF_CHECKS):
        f = gate.finding(check_id)
        if f is None or (f.outcome is Outcome.PASS and not f.counts_as_fail):
            continue
        if check_id == "SEC.SECRETS" and f.outcome is Outcome.FAIL:
            out += _secret_results(report, f, index)
        elif check_id == "SEC.DEPENDENCIES" and f.outcome is Outcome.WARN:
            out += _dependency_results(report, f, index)
        else:
            source = f.evidence[0].source if f.evidence else "dossier"
            out.append(_result(f, index, f.message, [_location(_uri(report, source))]))
    return out


def render_sarif(report: ReviewReport) -> str:
    """Render the security and dependency findings as a SARIF 2.1.0 log."""
    run = {
        "tool": {
            "driver": {"name": "langgraph-gates", "version": _tool_version(), "rules": _rules()}
        },
        "results": _results(report),
        "properties": {
            "review_id": report.review_id or "",
            "recommendation": report.recommendation.value,
        },
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
