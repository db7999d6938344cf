"""Reports: pure renderers (txt, md, json) and the one place that writes files."""

from langgraph_gates.report.model import SCHEMA_VERSION, ReviewReport
from langgraph_gates.report.writer import FORMATS, render, write_reports

__all__ = ["FORMATS", "SCHEMA_VERSION", "ReviewReport", "render", "write_reports"]
