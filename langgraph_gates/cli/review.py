"""`gates review`: run a full review of a dossier."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from langgraph_gates.api import prepare_input
from langgraph_gates.checkpoint import DEFAULT_DB, open_checkpointer
from langgraph_gates.cli._common import console, handle_errors, warn_unknown
from langgraph_gates.cli._run import FAIL_ON_LEVELS, finish, parse_formats, stream_review
from langgraph_gates.errors import ConfigError
from langgraph_gates.evidence.store import EvidenceStore
from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.graph import build_graph
from langgraph_gates.nodes import RunContext
from langgraph_gates.policy import load_policy
from langgraph_gates.report import FORMATS
from langgraph_gates.reviews import run_metadata

__all__ = ["build_context", "cache_dir_for", "parse_pause_after", "review_command"]


def parse_pause_after(value: str | None, interactive: bool) -> list[str]:
    """Gate ids to pause after; ``--interactive`` pauses after every gate.

    Raises:
        ConfigError: an unknown gate id.
    """
    if interactive:
        return list(GATES_BY_ID)
    if not value:
        return []
    gates = [g.strip() for g in value.split(",") if g.strip()]
    unknown = [g for g in gates if g not in GATES_BY_ID]
    if unknown:
        msg = f"unknown gate {unknown[0]!r} (choose from {', '.join(GATES_BY_ID)})"
        raise ConfigError(msg, field="--pause-after")
    return gates


def cache_dir_for(db: str) -> str | None:
    """The evidence cache folder that goes with a database (beside a SQLite file)."""
    if db in (":memory:", "memory") or db.startswith(("postgresql://", "postgres://")):
        return str(Path(".gates") / "cache")
    return str(Path(db).parent / "cache")


def build_context(
    *,
    model: str | None,
    context_mode: str,
    db: str,
    allow_outside: bool,
    policy_fp: str,
    temperature: float | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> RunContext:
    """The run context of a CLI command: evidence store (with its cache) and optional narrator.

    Raises:
        ConfigError: the model cannot be built.
    """
    narrator = None
    if model:
        from langgraph_gates.llm import build_narrator  # imported only when a model is asked for

        narrator = build_narrator(
            model,
            context_mode=context_mode,
            temperature=temperature,
            timeout=timeout,
            max_retries=max_retries,
        )
    store = EvidenceStore(policy_fingerprint=policy_fp, cache_dir=cache_dir_for(db))
    return RunContext(narrator=narrator, evidence=store, allow_outside=allow_outside)


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
    output_dir: Annotated[
        Path, typer.Option("--output-dir", "-o", help="Where reports are written.")
    ] = Path("workflow_outputs"),
    formats: Annotated[
        str, typer.Option("--format", help=f"Comma-separated formats: {', '.join(FORMATS)}.")
    ] = "txt,md,json",
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 3 when the call is this bad: no-go, conditional.")
    ] = "never",
    review_id: Annotated[
        str | None, typer.Option("--id", help="Review id (thread id); new if not given.")
    ] = None,
    db: Annotated[
        str, typer.Option("--db", envvar="GATES_DB", help="SQLite path or postgresql:// URL.")
    ] = DEFAULT_DB,
    pause_after: Annotated[
        str | None, typer.Option("--pause-after", help="Pause after these gates (comma-separated).")
    ] = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", help="Pause after every gate.")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", envvar="GATES_MODEL", help="Chat model, e.g. openai:gpt-4o-mini."),
    ] = None,
    context_mode: Annotated[
        str,
        typer.Option("--context-mode", help="What each gate's model sees: digest or full_history."),
    ] = "digest",
    temperature: Annotated[
        float | None,
        typer.Option("--temperature", min=0.0, max=2.0, help="Model sampling temperature."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.001, help="Seconds one model request may take [60]."),
    ] = None,
    max_retries: Annotated[
        int | None,
        typer.Option("--max-retries", min=0, max=10, help="Retries per model call [3]."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Review date (YYYY-MM-DD) for freshness checks.")
    ] = None,
    allow_outside: Annotated[
        bool, typer.Option("--allow-outside", help="Let dossier paths leave the dossier's folder.")
    ] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Refuse a dossier with fields the format does not know."),
    ] = False,
) -> None:
    """Review a model for production readiness through the seven gates."""
    with handle_errors():
        if fail_on not in FAIL_ON_LEVELS:
            msg = f"must be one of {', '.join(FAIL_ON_LEVELS)}, got {fail_on!r}"
            raise ConfigError(msg, field="--fail-on")
        if context_mode not in ("digest", "full_history"):
            raise ConfigError("must be digest or full_history", field="--context-mode")
        fmt_list = parse_formats(formats)
        unknown = [f for f in fmt_list if f not in FORMATS]
        if unknown or not fmt_list:
            msg = f"unknown format {unknown[0] if unknown else formats!r} (choose from {', '.join(FORMATS)})"
            raise ConfigError(msg, field="--format")
        if dossier is None and not text:
            raise ConfigError("give a dossier file or --text", field="DOSSIER")
        pauses = parse_pause_after(pause_after, interactive)
        if as_of is not None:
            import datetime as dt

            try:
                dt.date.fromisoformat(as_of)
            except ValueError:
                raise ConfigError(f"not a date: {as_of!r}", field="--as-of") from None
        loaded_policy = load_policy(policy)
        payload = prepare_input(
            dossier,
            text=text,
            policy=loaded_policy,
            as_of=as_of,
            allow_outside=allow_outside,
            strict=strict,
        )
        warn_unknown(payload.get("unknown_fields") or [])
        thread = review_id or uuid.uuid4().hex[:12]
        payload["review_id"] = thread
        context = build_context(
            model=model,
            context_mode=context_mode,
            db=db,
            allow_outside=allow_outside,
            policy_fp=loaded_policy.fingerprint(),
            temperature=temperature,
            timeout=timeout,
            max_retries=max_retries,
        )
        # The metadata keeps the pause plan for `gates resume` in a later process.
        config = {
            "configurable": {"thread_id": thread},
            "metadata": run_metadata(pauses, allow_outside),
        }
        with open_checkpointer(db) as saver:
            graph = build_graph(saver, interrupt_after=pauses)
            if graph.get_state(config).values:
                msg = "a review with this id exists; use `gates resume` or `gates rerun`"
                raise ConfigError(msg, field="--id")
            name = payload["dossier"]["model"].get("name") if payload.get("dossier") else None
            console.print(
                f"🤖 Reviewing [bold]{escape(name or 'model')}[/] — review id [bold]{escape(thread)}[/]",
                markup=True,
            )
            snapshot = stream_review(graph, payload, config, context, progress=progress)
        finish(snapshot, review_id=thread, output_dir=output_dir, formats=fmt_list, fail_on=fail_on)
