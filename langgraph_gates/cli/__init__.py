"""The `gates` command line. Every command is registered here, explicitly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from langgraph_gates.cli._common import console, handle_errors
from langgraph_gates.cli.durable import (
    diff_command,
    edit_command,
    history_command,
    list_command,
    rerun_command,
    resume_command,
    show_command,
)
from langgraph_gates.cli.lineage import compare_command
from langgraph_gates.cli.review import review_command
from langgraph_gates.cli.verify import verify_command
from langgraph_gates.dossier import Dossier
from langgraph_gates.errors import ConfigError
from langgraph_gates.template import DOSSIER_TEMPLATE

__all__ = ["app", "main"]

app = typer.Typer(
    name="gates",
    help="Evidence-based production-readiness gate review for ML models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command("review")(review_command)
app.command("resume")(resume_command)
app.command("edit")(edit_command)
app.command("rerun")(rerun_command)
app.command("history")(history_command)
app.command("diff")(diff_command)
app.command("compare")(compare_command)
app.command("show")(show_command)
app.command("list")(list_command)
app.command("verify")(verify_command)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the review dossier."""
    console.print_json(json.dumps(Dossier.model_json_schema()))


@app.command("init")
def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the template.")] = Path(
        "dossier.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented dossier template to fill in."""
    with handle_errors():
        if path.exists() and not force:
            raise ConfigError("file exists (use --force to overwrite)", source=str(path))
        path.parent.mkdir(parents=True, exist_ok=True)  # `gates init my-model/dossier.yaml`
        path.write_text(DOSSIER_TEMPLATE, encoding="utf-8")
        console.print(f"Wrote {path}. Fill it in, then run: gates review {path}")


def main() -> None:
    """Entry point of the `gates` script."""
    app()
