"""The options the review commands share, declared once.

``gates review``, ``resume`` and ``rerun`` run gates and so take the same run options (the
database, the model, the pause plan, where and how to report); the durable commands take the
same ``--by``/``--reason``. Each is an ``Annotated`` alias here so help text and environment
variables cannot drift apart between commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from langgraph_gates.report import FORMATS

__all__ = [
    "DEFAULT_FORMATS",
    "DEFAULT_OUTPUT",
    "ByOpt",
    "ContextModeOpt",
    "DbOpt",
    "FailOnOpt",
    "FormatOpt",
    "FrameworkOpt",
    "IdArg",
    "InteractiveOpt",
    "LeaseTtlOpt",
    "MaxRetriesOpt",
    "ModelOpt",
    "OfflineOpt",
    "OutputOpt",
    "PauseOpt",
    "ProgressOpt",
    "ReasonOpt",
    "SparkRemoteOpt",
    "TemperatureOpt",
    "TimeoutOpt",
    "TraceOpt",
]

DEFAULT_OUTPUT = Path("workflow_outputs")
DEFAULT_FORMATS = "txt,md,json"

IdArg = Annotated[str, typer.Argument(help="The review id (its thread id).", show_default=False)]
DbOpt = Annotated[
    str, typer.Option("--db", envvar="GATES_DB", help="SQLite path or postgresql:// URL.")
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who acts (recorded in the audit trail).")]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Why (recorded in the audit trail).")
]
PauseOpt = Annotated[
    str | None, typer.Option("--pause-after", help="Pause after these gates (comma-separated).")
]
InteractiveOpt = Annotated[bool, typer.Option("--interactive", help="Pause after every gate.")]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", envvar="GATES_MODEL", help="Chat model, e.g. openai:gpt-4o-mini."),
]
TraceOpt = Annotated[
    str | None,
    typer.Option(
        "--trace",
        help="console: print the review's OpenTelemetry spans to stderr "
        "(OTEL_EXPORTER_OTLP_ENDPOINT sends them to a collector; LANGSMITH_TRACING to LangSmith).",
    ),
]
OfflineOpt = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Finish without a model, even if the review was started with one (it is reused by default).",
    ),
]
ContextModeOpt = Annotated[
    str,
    typer.Option("--context-mode", help="What each gate's model sees: digest or full_history."),
]
TemperatureOpt = Annotated[
    float | None,
    typer.Option("--temperature", min=0.0, max=2.0, help="Model sampling temperature."),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", min=0.001, help="Seconds one model request may take [60]."),
]
MaxRetriesOpt = Annotated[
    int | None, typer.Option("--max-retries", min=0, max=10, help="Retries per model call [3].")
]
OutputOpt = Annotated[Path, typer.Option("--output-dir", "-o", help="Where reports are written.")]
FormatOpt = Annotated[
    str, typer.Option("--format", help=f"Comma-separated formats: {', '.join(FORMATS)}.")
]
FrameworkOpt = Annotated[
    str | None,
    typer.Option(
        "--framework",
        help="Add a coverage table: eu-ai-act, nist-ai-rmf, ml-test-score (comma-separated).",
    ),
]
FailOnOpt = Annotated[
    str, typer.Option("--fail-on", help="Exit 3 when the call is this bad: no-go, conditional.")
]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress")]
SparkRemoteOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-remote",
        envvar="GATES_SPARK_REMOTE",
        help="Spark Connect server (sc://host:port) for data given as {table: ..., engine: spark}; "
        "default: $SPARK_REMOTE.",
        show_default=False,
    ),
]
# Hidden: how long a SQLite lease outlives a killed process. Tests shorten it; users rarely
# need to (PostgreSQL frees a dead holder's lease at once).
LeaseTtlOpt = Annotated[
    float,
    typer.Option("--lease-ttl", envvar="GATES_LEASE_TTL", min=0.5, hidden=True),
]
