"""Running the graph for a command: stream with progress, then report or say where it paused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from langgraph_gates.cli._common import EXIT_FAIL_ON, GateProgress, console, print_outcome
from langgraph_gates.report import ReviewReport, write_reports
from langgraph_gates.state import Recommendation

__all__ = ["FAIL_ON_LEVELS", "finish", "parse_formats", "stream_review"]

FAIL_ON_LEVELS = {
    "no-go": {Recommendation.NO_GO},
    "conditional": {Recommendation.NO_GO, Recommendation.CONDITIONAL_GO},
    "never": set(),
}


def parse_formats(value: str) -> list[str]:
    """``"txt,md"`` -> ``["txt", "md"]`` (validated when rendering)."""
    return [f.strip().lower() for f in value.split(",") if f.strip()]


def stream_review(
    graph: Any, payload: Any, config: dict[str, Any], context: Any, *, progress: bool = True
) -> Any:
    """Run (or resume, with ``payload=None``) the graph, printing a line per gate.

    Returns:
        The thread's state snapshot after the run.
    """
    with GateProgress(enabled=progress) as show:
        for mode, chunk in graph.stream(
            payload, config, context=context, stream_mode=["custom", "updates"], durability="sync"
        ):
            if mode == "custom":
                show(chunk)
    return graph.get_state(config)


def finish(
    snapshot: Any, *, review_id: str, output_dir: Path, formats: list[str], fail_on: str
) -> None:
    """Report a finished review, or explain how to go on with a paused one.

    Raises:
        typer.Exit: with code 3 when the recommendation reaches ``fail_on``.
    """
    if snapshot.next:
        done = [g for g in (snapshot.values.get("gates") or {})]
        last = done[-1] if done else "dispatcher"
        console.print(
            f"\n⏸  Review [bold]{review_id}[/] paused after [bold]{last}[/] "
            f"(next: {', '.join(snapshot.next)}).",
            markup=True,
        )
        console.print(
            f"   Go on with: gates resume {review_id} --approve   "
            f"(or --override GATE=STATUS --reason TEXT --by NAME; edit with gates edit {review_id})"
        )
        return
    report = ReviewReport.from_state(snapshot.values, review_id=review_id)
    files = write_reports(report, output_dir, formats)
    print_outcome(report, files)
    if report.recommendation in FAIL_ON_LEVELS[fail_on]:
        raise typer.Exit(EXIT_FAIL_ON)
