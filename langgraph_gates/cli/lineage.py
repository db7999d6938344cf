"""``gates history --model NAME`` and ``gates compare ID_A ID_B``: a model across its versions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from langgraph_gates._terminal import safe_json, safe_text
from langgraph_gates.checkpoint import DEFAULT_DB, describe_db
from langgraph_gates.cli._common import console, err_console, handle_errors
from langgraph_gates.cli._options import DbOpt
from langgraph_gates.cli._run import cli_reviews
from langgraph_gates.durable import ModelHistory, compare_reviews, model_history
from langgraph_gates.errors import ConfigError
from langgraph_gates.gates import GATES

__all__ = ["compare_command", "print_model_history"]

FormatOpt = Annotated[str, typer.Option("--format", help="txt or json.")]


def _format(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in ("txt", "json"):
        raise ConfigError(f"choose from txt, json, got {value!r}", field="--format")
    return fmt


def _today(as_of: str | None) -> dt.date:
    if as_of is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise ConfigError(f"not a date: {as_of!r}", field="--as-of") from None


def _history_table(history: ModelHistory, db: str) -> Table:
    numbers = ", ".join(f"{g.number} {g.table_name}" for g in GATES)
    table = Table(
        title=f"Reviews of {history.model} in {describe_db(db)}",
        caption=f"Gates: {numbers}. P pass, C conditional, F fail.",
        expand=False,
    )
    for col in (
        "Id",
        "Version",
        "Date",
        "Recommendation",
        "Gates",
        "Key metrics",
        "Champion",
        "Overrides",
        "Next review",
    ):
        table.add_column(col, overflow="fold")
    number: dict[str, int] = {g.id: g.number for g in GATES}
    for r in history.reviews:
        gates = " ".join(f"{number.get(g, '?')}{s.value[0]}" for g, s in r.gates.items())
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in r.key_metrics.items())
        table.add_row(
            r.review_id,
            r.version or "-",
            r.reviewed_on or "",
            r.recommendation.value if r.recommendation else r.state,
            gates,
            metrics or "-",
            r.champion or "-",
            "; ".join(r.overrides) or "-",
            r.next_review or (r.review_cadence if r.review_cadence.startswith("level") else "-"),
        )
    return table


def print_model_history(model: str, db: str, fmt: str, as_of: str | None) -> None:
    """Print every review of every version of a model; flag an overdue review."""
    fmt = _format(fmt)
    with cli_reviews(db) as reviews:
        history = model_history(reviews, model, today=_today(as_of))
    if fmt == "json":
        typer.echo(safe_json(json.dumps(history.model_dump(mode="json"), indent=2)))
        return
    console.print(_history_table(history, db))
    if history.overdue:
        err_console.print(f"[bold red]{safe_text(history.overdue_note)}[/]", soft_wrap=True)


def compare_command(
    review_a: Annotated[str, typer.Argument(help="The earlier review (e.g. of version 2.3).")],
    review_b: Annotated[str, typer.Argument(help="The later review (e.g. of version 2.4).")],
    db: DbOpt = DEFAULT_DB,
    fmt: FormatOpt = "txt",
) -> None:
    """Show what changed between two reviews: gates, findings, metrics, policy, evidence."""
    with handle_errors():
        fmt = _format(fmt)
        with cli_reviews(db) as reviews:
            comparison = compare_reviews(reviews, review_a, review_b)
        if fmt == "json":
            typer.echo(safe_json(json.dumps(comparison.model_dump(mode="json"), indent=2)))
        else:
            typer.echo(safe_text(comparison.render()), nl=False)
