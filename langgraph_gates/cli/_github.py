"""GitHub Actions: the review's summary on the job page and one annotation per failing check.

Only the CLI reads the environment (STYLE: nodes never do); it passes it in here, so tests set
``GITHUB_ACTIONS`` and ``GITHUB_STEP_SUMMARY`` in a dict instead of the process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from langgraph_gates.errors import ConfigError
from langgraph_gates.report.markdown import render_summary_md
from langgraph_gates.report.model import ReviewReport

__all__ = ["failing_check_annotations", "publish_to_github"]


def _escape_data(text: str) -> str:
    """Workflow-command message escaping (``%``, CR and LF), as the runner decodes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def failing_check_annotations(report: ReviewReport) -> list[str]:
    """One ``::error`` workflow command per check that fails its gate (SPEC 3 gaps included)."""
    out = []
    for gate in report.gates:
        for f in gate.findings:
            if not f.fails_gate:
                continue
            title = _escape_property(f"{f.check_id} ({gate.title})")
            detail = f" Threshold: {f.threshold.describe()}." if f.threshold else ""
            out.append(f"::error title={title}::{_escape_data(f.message + detail)}")
    return out


def publish_to_github(
    report: ReviewReport, env: Mapping[str, str], emit: Callable[[str], None]
) -> bool:
    """In GitHub Actions, append the summary to the step summary and emit the annotations.

    Returns whether it ran (``GITHUB_ACTIONS=true``). ``emit`` prints one line on stdout,
    where the runner reads workflow commands.

    Raises:
        ConfigError: the step-summary file cannot be written.
    """
    if env.get("GITHUB_ACTIONS") != "true":
        return False
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with Path(summary).open("a", encoding="utf-8") as fh:
                fh.write(render_summary_md(report) + "\n")
        except OSError as exc:
            msg = f"cannot append the step summary ({exc.strerror})"
            raise ConfigError(msg, source=summary) from None
    for line in failing_check_annotations(report):
        emit(line)
    return True
