"""`gates review`: run a full review of a dossier (through :meth:`Reviews.start`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from langgraph_gates.checkpoint import DEFAULT_DB
from langgraph_gates.cli._common import GateProgress, console, handle_errors, warn_unknown
from langgraph_gates.cli._options import (
    DEFAULT_FORMATS,
    DEFAULT_OUTPUT,
    ContextModeOpt,
    DbOpt,
    FailOnOpt,
    FormatOpt,
    FrameworkOpt,
    InteractiveOpt,
    LeaseTtlOpt,
    MaxRetriesOpt,
    ModelOpt,
    OutputOpt,
    PauseOpt,
    ProgressOpt,
    TemperatureOpt,
    TimeoutOpt,
)
from langgraph_gates.cli._run import (
    check_output,
    cli_reviews,
    finish,
    narrator_for,
    parse_frameworks,
    parse_pause_after,
)
from langgraph_gates.durable._lease import DEFAULT_LEASE_TTL
from langgraph_gates.errors import ConfigError
from langgraph_gates.policy import load_policy

__all__ = ["review_command"]


class _Progress:
    """Prints the header and unknown-field warning when the review starts, then gate lines."""

    def __init__(self, show: GateProgress) -> None:
        self.show = show

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") == "review_submitted":
            warn_unknown(event.get("unknown_fields") or [])
            name = escape(event.get("model") or "model")
            console.print(
                f"🤖 Reviewing [bold]{name}[/] — review id [bold]{escape(event['review_id'])}[/]",
                markup=True,
            )
        else:
            self.show(event)


def _check_run_settings(context_mode: str, as_of: str | None) -> None:
    if context_mode not in ("digest", "full_history"):
        raise ConfigError("must be digest or full_history", field="--context-mode")
    if as_of is not None:
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise ConfigError(f"not a date: {as_of!r}", field="--as-of") from None


def review_command(
    dossier: Annotated[
        Path | None, typer.Argument(help="The dossier (YAML or JSON).", show_default=False)
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Free-text description (alone or with a dossier).")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="A YAML policy file overriding thresholds.")
    ] = None,
    output_dir: OutputOpt = DEFAULT_OUTPUT,
    formats: FormatOpt = DEFAULT_FORMATS,
    framework: FrameworkOpt = None,
    fail_on: FailOnOpt = "never",
    review_id: Annotated[
        str | None, typer.Option("--id", help="Review id (thread id); new if not given.")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    pause_after: PauseOpt = None,
    interactive: InteractiveOpt = False,
    model: ModelOpt = None,
    context_mode: ContextModeOpt = "digest",
    temperature: TemperatureOpt = None,
    timeout: TimeoutOpt = None,
    max_retries: MaxRetriesOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Review date (YYYY-MM-DD) for freshness checks.")
    ] = None,
    allow_outside: Annotated[
        bool, typer.Option("--allow-outside", help="Let dossier paths leave the dossier's folder.")
    ] = False,
    progress: ProgressOpt = True,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Refuse a dossier with fields the format does not know."),
    ] = False,
    lease_ttl: LeaseTtlOpt = DEFAULT_LEASE_TTL,
) -> None:
    """Review a model for production readiness through the seven gates."""
    with handle_errors():
        fmt_list = check_output(formats, fail_on)
        frameworks = parse_frameworks(framework)
        _check_run_settings(context_mode, as_of)
        if dossier is None and not text:
            raise ConfigError("give a dossier file or --text", field="DOSSIER")
        pauses = parse_pause_after(pause_after, interactive)
        loaded_policy = load_policy(policy)
        narrator = narrator_for(
            model,
            context_mode=context_mode,
            temperature=temperature,
            timeout=timeout,
            max_retries=max_retries,
        )
        with cli_reviews(db, narrator, lease_ttl) as reviews, GateProgress(enabled=progress) as show:
            status = reviews.start(
                dossier,
                text=text,
                policy=loaded_policy,
                review_id=review_id,
                pause_after=pauses,
                as_of=as_of,
                allow_outside=allow_outside,
                strict=strict,
                on_progress=_Progress(show),
            )
        finish(
            status,
            review_id=status.review_id,
            output_dir=output_dir,
            formats=fmt_list,
            fail_on=fail_on,
            frameworks=frameworks,
        )
