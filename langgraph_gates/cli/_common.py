"""What every command shares: the consoles, error handling and the progress display."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from langgraph_gates._terminal import SafeConsole, safe_text
from langgraph_gates.errors import GatesError
from langgraph_gates.gates import GATES
from langgraph_gates.report import ReviewReport
from langgraph_gates.report._common import gate_action
from langgraph_gates.state import Recommendation, Status, UnknownName

__all__ = [
    "EXIT_FAIL_ON",
    "EXIT_USAGE",
    "GateProgress",
    "console",
    "err_console",
    "handle_errors",
    "print_outcome",
    "term",
]

EXIT_USAGE = 2
EXIT_FAIL_ON = 3

# Piped output (CI logs, files) gets a wide console instead of Rich's 80-column default.
# SafeConsole: dossier and model text is printed here, and it must not drive the terminal.
console = SafeConsole(highlight=False, width=None if sys.stdout.isatty() else 140)
err_console = SafeConsole(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)

STATUS_STYLE = {Status.PASS: "green", Status.CONDITIONAL: "yellow", Status.FAIL: "bold red"}
REC_STYLE = {
    Recommendation.GO: "bold green",
    Recommendation.CONDITIONAL_GO: "bold yellow",
    Recommendation.NO_GO: "bold red",
}


def term(text: str) -> str:
    """Dossier or model text ready for a Rich markup string: controls shown, markup escaped."""
    return escape(safe_text(text))


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn the project's errors into one line on stderr and exit code 2 (no traceback).

    The line leads with the error's code (``error [dossier_error]: ...``), so scripts can tell
    kinds of failure apart without parsing the message.
    """
    try:
        yield
    except GatesError as exc:
        from langgraph_gates.evidence.secrets import redact_text  # only on this error path

        # A refused value is quoted in the message, and a refused value can be a secret.
        line = term(redact_text(exc.one_line())[0])
        err_console.print(f"[red]error \\[{exc.code}]:[/red] {line}", markup=True, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        err_console.print("interrupted: the review is checkpointed; `gates resume ID` goes on.")
        raise typer.Exit(130) from None


class GateProgress:
    """Prints one line per gate as it completes, under a progress bar of the seven gates."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stdout.isatty()
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> GateProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]Reviewing[/bold]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=len(GATES))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def __call__(self, event: dict[str, Any]) -> None:
        """Handle one custom stream event from the graph."""
        if event.get("event") != "gate_completed":
            return
        status = Status(event["status"])
        risk = " ".join(str(event.get("key_risk", "")).split())
        more = f" ({event['more_risks']})" if event.get("more_risks") else ""
        room = max(30, console.width - 60 - len(more))
        if len(risk) > room:
            risk = risk[: room - 1] + "…"
        risk += more
        # Key risks carry dossier and model text: escape it so brackets print as written.
        line = (
            f"[{event['number']}/7] {term(event['title']):<26} "
            f"[{STATUS_STYLE[status]}]{status.value:<11}[/] {event['duration_s']:6.2f}s  "
            f"{term(risk)}"
        )
        console.print(line, markup=True)
        if self._progress is not None:
            self._progress.update(self._task, completed=event["number"], description=event["title"])


def gate_table(report: ReviewReport) -> Table:
    """The gate table as a Rich table."""
    table = Table(title="📋 GATE TABLE", show_lines=False, expand=True)
    table.add_column("Gate", ratio=2, overflow="fold")
    table.add_column("Status", min_width=13, no_wrap=True)
    for col, ratio in (("Key Risk", 5), ("Suggested Mitigation", 4), ("Owner", 2)):
        table.add_column(col, ratio=ratio, overflow="fold")
    for spec in GATES:
        g = report.gate(spec.id)
        if g is None:
            continue
        status = f"[{STATUS_STYLE[g.status]}]{g.status.value}[/]" + (" *" if g.override else "")
        action = g.mitigation if gate_action(g) else "—"  # no boilerplate on a clean pass
        table.add_row(spec.table_name, status, term(g.key_risk_line), term(action), term(g.owner))
    return table


def print_outcome(report: ReviewReport, files: dict[str, Any] | None = None) -> None:
    """Print the gate table, the recommendation, elapsed time and the report files."""
    console.print()
    console.print(gate_table(report))
    if any(g.override for g in report.gates):
        console.print("* status overridden by a reviewer (see the audit trail in the report)")
    console.print()
    style = REC_STYLE[report.recommendation]
    console.print(
        f"Overall Recommendation: [{style}]{report.recommendation.value}[/] ({term(report.rationale)})",
        markup=True,
        soft_wrap=True,
    )
    if report.tokens.calls:
        t = report.tokens
        console.print(f"Model tokens: {t.input_tokens} in / {t.output_tokens} out, {t.calls} calls")
    console.print(f"⏱️ Elapsed Time: {report.elapsed_s:.2f} seconds")
    for fmt, path in (files or {}).items():
        console.print(f"  {fmt:4} report: {path}", soft_wrap=True)


def warn_unknown(unknown: list[dict[str, Any]]) -> None:
    """Say on stderr, all at once, which dossier fields the format does not know."""
    if not unknown:
        return
    names = [UnknownName.model_validate(u).describe() for u in unknown]
    err_console.print(
        f"warning: {len(names)} unknown dossier field(s), left out of the review: "
        + term("; ".join(names))
        + " (each gate reports its own; --strict refuses them)",
        markup=False,
    )
