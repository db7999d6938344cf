"""The durable-review commands: resume, edit, rerun, history, diff, show and list.

Each command opens the review database, calls :mod:`langgraph_gates.durable` and prints what
happened; errors are one line and exit code 2 (``handle_errors``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from langgraph_gates._terminal import safe_json, safe_text
from langgraph_gates.checkpoint import DEFAULT_DB, describe_db
from langgraph_gates.cli._common import GateProgress, console, err_console, handle_errors
from langgraph_gates.cli._options import (
    DEFAULT_FORMATS,
    DEFAULT_OUTPUT,
    ByOpt,
    DbOpt,
    FailOnOpt,
    FormatOpt,
    FrameworkOpt,
    IdArg,
    InteractiveOpt,
    LeaseTtlOpt,
    ModelOpt,
    OutputOpt,
    PauseOpt,
    ProgressOpt,
    ReasonOpt,
)
from langgraph_gates.cli._run import (
    check_output,
    cli_reviews,
    finish,
    narrator_for,
    parse_frameworks,
    parse_pause_after,
)
from langgraph_gates.durable import ReviewStatus
from langgraph_gates.durable._common import require_name_and_reason
from langgraph_gates.durable._edits import parse_assignment, parse_override
from langgraph_gates.durable._lease import DEFAULT_LEASE_TTL
from langgraph_gates.errors import ConfigError
from langgraph_gates.report import render

__all__ = [
    "diff_command",
    "edit_command",
    "history_command",
    "list_command",
    "rerun_command",
    "resume_command",
    "show_command",
]


def _pauses(pause_after: str | None, interactive: bool) -> list[str] | None:
    if pause_after is None and not interactive:
        return None
    return parse_pause_after(pause_after, interactive)


def _say(status: ReviewStatus) -> None:
    for note in status.notes:
        console.print(f"• {note}", soft_wrap=True)


def resume_command(
    review_id: IdArg,
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve the gates so far and go on.")
    ] = False,
    override: Annotated[
        list[str] | None,
        typer.Option("--override", help="GATE=STATUS (Pass, Conditional, Fail); repeatable."),
    ] = None,
    reason: ReasonOpt = None,
    by: ByOpt = None,
    pause_after: PauseOpt = None,
    interactive: InteractiveOpt = False,
    db: DbOpt = DEFAULT_DB,
    model: ModelOpt = None,
    output_dir: OutputOpt = DEFAULT_OUTPUT,
    formats: FormatOpt = DEFAULT_FORMATS,
    framework: FrameworkOpt = None,
    fail_on: FailOnOpt = "never",
    progress: ProgressOpt = True,
    lease_ttl: LeaseTtlOpt = DEFAULT_LEASE_TTL,
) -> None:
    """Go on with a paused or interrupted review; record approval or overrides."""
    with handle_errors():
        fmt_list = check_output(formats, fail_on)
        frameworks = parse_frameworks(framework)
        overrides = dict(parse_override(o) for o in override or [])
        require_name_and_reason(overrides, by, reason)
        pauses = _pauses(pause_after, interactive)
        narrator = narrator_for(model)
        with cli_reviews(db, narrator, lease_ttl) as reviews, GateProgress(enabled=progress) as show:
            status = reviews.resume(
                review_id,
                approve=approve,
                overrides=overrides,
                by=by,
                reason=reason,
                pause_after=pauses,
                on_progress=show,
            )
        _say(status)
        if not status.executed and not status.next:
            console.print(f"Review {review_id} is finished: {status.recommendation or '?'}.")
            return
        finish(
            status,
            review_id=review_id,
            output_dir=output_dir,
            formats=fmt_list,
            fail_on=fail_on,
            frameworks=frameworks,
        )


def edit_command(
    review_id: IdArg,
    assignments: Annotated[
        list[str],
        typer.Option(
            "--set", help="dotted.path=value (value read as YAML); repeatable.", show_default=False
        ),
    ],
    by: ByOpt = None,
    reason: ReasonOpt = None,
    db: DbOpt = DEFAULT_DB,
    lease_ttl: LeaseTtlOpt = DEFAULT_LEASE_TTL,
) -> None:
    """Change dossier fields of a review (validated first; nothing is written if invalid)."""
    with handle_errors():
        changes = dict(parse_assignment(a) for a in assignments)
        with cli_reviews(db, lease_ttl=lease_ttl) as reviews:
            result = reviews.edit(review_id, changes, by=by, reason=reason)
        if not result.changes:
            console.print("No change: the dossier already has these values.")
            return
        for change in result.changes:
            console.print(f"✎ {change.describe()}", markup=False, soft_wrap=True)
        if result.affected:
            console.print("Gates that read these fields: " + ", ".join(result.affected))
        if result.stale and result.finished:
            console.print(
                f"Re-run with: gates rerun {review_id}   (starts at {result.stale[0]})",
                soft_wrap=True,
            )
        elif result.rerun_on_resume:
            console.print(
                f"`gates resume {review_id}` re-runs {', '.join(result.rerun_on_resume)} first, "
                "then goes on.",
                soft_wrap=True,
            )
        elif result.finished:
            console.print("No gate result depends on these fields; the report stands.")
        else:
            console.print(
                f"The change takes effect when the review goes on: gates resume {review_id}"
            )


def rerun_command(
    review_id: IdArg,
    from_gate: Annotated[
        str | None,
        typer.Option(
            "--from", help="First gate to re-run (default: the earliest that reads an edit)."
        ),
    ] = None,
    by: ByOpt = None,
    reason: ReasonOpt = None,
    pause_after: PauseOpt = None,
    interactive: InteractiveOpt = False,
    db: DbOpt = DEFAULT_DB,
    model: ModelOpt = None,
    output_dir: OutputOpt = DEFAULT_OUTPUT,
    formats: FormatOpt = DEFAULT_FORMATS,
    framework: FrameworkOpt = None,
    fail_on: FailOnOpt = "never",
    progress: ProgressOpt = True,
    lease_ttl: LeaseTtlOpt = DEFAULT_LEASE_TTL,
) -> None:
    """Re-run a review from a gate as a new run (earlier runs stay in the history)."""
    with handle_errors():
        fmt_list = check_output(formats, fail_on)
        frameworks = parse_frameworks(framework)
        pauses = _pauses(pause_after, interactive) or []
        narrator = narrator_for(model)
        with cli_reviews(db, narrator, lease_ttl) as reviews, GateProgress(enabled=progress) as show:
            status = reviews.rerun(
                review_id,
                from_gate=from_gate,
                by=by,
                reason=reason,
                pause_after=pauses,
                on_progress=show,
            )
        console.print(f"Run {status.run} of review {review_id}.")
        _say(status)
        finish(
            status,
            review_id=review_id,
            output_dir=output_dir,
            formats=fmt_list,
            fail_on=fail_on,
            frameworks=frameworks,
        )


def _fmt_time(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


def _output_format(value: str, allowed: tuple[str, ...]) -> str:
    fmt = value.strip().lower()
    if fmt not in allowed:
        raise ConfigError(f"choose from {', '.join(allowed)}, got {value!r}", field="--format")
    return fmt


def _echo_json(data: Any) -> None:
    typer.echo(safe_json(json.dumps(data, indent=2, ensure_ascii=False)))


def history_command(
    review_id: IdArg,
    db: DbOpt = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="txt or json.")] = "txt",
) -> None:
    """List a review's runs and checkpoints (forks included; * marks the current branch)."""
    with handle_errors():
        fmt = _output_format(fmt, ("txt", "json"))
        with cli_reviews(db) as reviews:
            history = reviews.history(review_id)
        if fmt == "json":
            _echo_json(history.model_dump(mode="json"))
            return
        runs = Table(title=f"Runs of review {review_id}", expand=False)
        for col in ("Run", "Started", "From", "State", "Recommendation", "Gates run"):
            runs.add_column(col, overflow="fold")
        for r in history.runs:
            state = r.state if r.state == "finished" else f"waiting before {', '.join(r.next)}"
            runs.add_row(
                str(r.run),
                _fmt_time(r.started_at),
                r.from_gate or "",
                state,
                r.recommendation.value if r.recommendation else "",
                str(len(r.gates_run)),
            )
        console.print(runs)
        cps = Table(title="Checkpoints (oldest first; * = current branch)", expand=False)
        for col in ("", "Checkpoint", "Time", "Run", "Step", "Source", "Event", "Next"):
            cps.add_column(col, overflow="fold")
        for c in history.checkpoints:
            cps.add_row(
                "*" if c.on_branch else "",
                c.checkpoint_id[-12:],
                _fmt_time(c.created_at),
                str(c.run),
                "" if c.step is None else str(c.step),
                c.source,
                c.event,
                ", ".join(c.next),
            )
        console.print(cps)


def diff_command(
    review_id: IdArg,
    run_a: Annotated[int | None, typer.Argument(help="Earlier run (default: second last).")] = None,
    run_b: Annotated[int | None, typer.Argument(help="Later run (default: last).")] = None,
    db: DbOpt = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="txt or json.")] = "txt",
) -> None:
    """Show status and finding changes per gate between two runs (default: the last two)."""
    with handle_errors():
        fmt = _output_format(fmt, ("txt", "json"))
        with cli_reviews(db) as reviews:
            diff = reviews.diff(review_id, run_a, run_b)
        if fmt == "json":
            _echo_json(diff.model_dump(mode="json"))
        else:
            typer.echo(safe_text(diff.render()), nl=False)


def show_command(
    review_id: IdArg,
    fmt: Annotated[str, typer.Option("--format", help="md, txt or json.")] = "txt",
    run: Annotated[
        int | None, typer.Option("--run", help="Show this run (default: the latest).")
    ] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Print the report of a review (the latest run, or --run N)."""
    with handle_errors():
        fmt = _output_format(fmt, ("md", "txt", "json"))
        with cli_reviews(db) as reviews:
            report = reviews.report(review_id, run=run)
            stale = reviews.status(review_id).stale_gates if run is None else []
        # The report's text is the dossier's: shown, not sent to the terminal as codes.
        text = render(report, fmt)
        typer.echo(safe_json(text) if fmt == "json" else safe_text(text), nl=False)
        if stale:
            err_console.print(
                f"note: {', '.join(stale)} read fields edited after they ran; "
                f"`gates rerun {review_id}` refreshes them.",
                soft_wrap=True,
            )


def list_command(
    db: DbOpt = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="txt or json.")] = "txt",
) -> None:
    """List the reviews in the database, most recently updated first."""
    with handle_errors():
        fmt = _output_format(fmt, ("txt", "json"))
        with cli_reviews(db) as reviews:
            summaries = reviews.list_reviews()
        if fmt == "json":
            _echo_json([s.model_dump(mode="json") for s in summaries])
            return
        if not summaries:
            console.print(f"No reviews in {describe_db(db)}.")
            return
        table = Table(title=f"Reviews in {describe_db(db)}", expand=False)
        for col in ("Id", "Model", "Recommendation", "Run", "State", "Updated"):
            table.add_column(col, overflow="fold")
        for s in summaries:
            model = " ".join(x for x in (s.model, s.version) if x) or "-"
            rec = s.recommendation.value if s.recommendation else "-"
            table.add_row(s.review_id, model, rec, str(s.run), s.state, _fmt_time(s.updated_at))
        console.print(table)
