"""`gates verify`: recompute a JSON report's digests and say what changed since the review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from langgraph_gates.cli._common import console, handle_errors, term
from langgraph_gates.errors import ConfigError
from langgraph_gates.report.integrity import verify_report

__all__ = ["verify_command"]

# A report is text we wrote; anything far larger is not one of ours.
_MAX_REPORT_BYTES = 64 * 1024 * 1024


def _load(path: Path) -> dict[str, object]:
    try:
        if path.stat().st_size > _MAX_REPORT_BYTES:
            raise ConfigError("too large to be a JSON report", source=str(path))
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the report ({exc.strerror})", source=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"not a JSON report ({exc})", source=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("not a JSON report (not an object)", source=str(path))
    return data


def verify_command(
    report: Annotated[Path, typer.Argument(help="A JSON report written by gates review.")],
    base_dir: Annotated[
        Path | None,
        typer.Option(
            "--base-dir", help="Folder the evidence paths resolve against (default: recorded)."
        ),
    ] = None,
) -> None:
    """Check a JSON report and its evidence files against their recorded SHA-256.

    Exit 0 when nothing changed, 3 when the report or an evidence file changed, 2 when the
    report or a file cannot be read.
    """
    with handle_errors():
        data = _load(report)
    result = verify_report(data, base_dir=str(base_dir) if base_dir else None)
    for line in result.changed:
        console.print(f"[bold red]changed[/]     {term(line)}", markup=True, soft_wrap=True)
    for line in result.unreadable:
        console.print(f"[yellow]unreadable[/]  {term(line)}", markup=True, soft_wrap=True)
    for line in result.unchanged:
        console.print(f"[green]unchanged[/]   {term(line)}", markup=True, soft_wrap=True)
    verdict = {0: "verified: unchanged", 3: "CHANGED since the review", 2: "cannot be verified"}
    console.print(f"{report}: {verdict[result.exit_code]}", soft_wrap=True)
    raise typer.Exit(result.exit_code)
