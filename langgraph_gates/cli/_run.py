"""What the commands that run gates share.

Checking output options, opening the reviews with the narrator asked for, and reporting or
saying where a review paused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from langgraph_gates.cli._common import EXIT_FAIL_ON, console, print_outcome
from langgraph_gates.cli._github import publish_to_github
from langgraph_gates.durable import Reviews, open_reviews
from langgraph_gates.durable._common import check_gates
from langgraph_gates.durable._lease import DEFAULT_LEASE_TTL
from langgraph_gates.errors import ConfigError
from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.narrator import Narrator
from langgraph_gates.report import FORMATS, ReviewReport, write_reports
from langgraph_gates.report.frameworks import FRAMEWORKS
from langgraph_gates.state import Recommendation

__all__ = [
    "FAIL_ON_LEVELS",
    "cache_dir_for",
    "check_output",
    "cli_reviews",
    "finish",
    "narrator_for",
    "parse_formats",
    "parse_frameworks",
    "parse_pause_after",
]

FAIL_ON_LEVELS = {
    "no-go": {Recommendation.NO_GO},
    "conditional": {Recommendation.NO_GO, Recommendation.CONDITIONAL_GO},
    "never": set(),
}


def parse_formats(value: str) -> list[str]:
    """``"txt,md"`` -> ``["txt", "md"]`` (validated when rendering)."""
    return [f.strip().lower() for f in value.split(",") if f.strip()]


def check_output(formats: str, fail_on: str) -> list[str]:
    """Validate ``--format`` and ``--fail-on`` before anything runs; return the formats.

    Raises:
        ConfigError: an unknown format or fail-on level.
    """
    if fail_on not in FAIL_ON_LEVELS:
        msg = f"must be one of {', '.join(FAIL_ON_LEVELS)}, got {fail_on!r}"
        raise ConfigError(msg, field="--fail-on")
    fmt_list = parse_formats(formats)
    unknown = [f for f in fmt_list if f not in FORMATS]
    if unknown or not fmt_list:
        bad = unknown[0] if unknown else formats
        msg = f"unknown format {bad!r} (choose from {', '.join(FORMATS)})"
        raise ConfigError(msg, field="--format")
    return fmt_list


def parse_frameworks(value: str | None) -> tuple[str, ...]:
    """``"eu-ai-act,nist-ai-rmf"`` -> the framework ids, checked before anything runs.

    Raises:
        ConfigError: an unknown framework.
    """
    names = tuple(dict.fromkeys(f.strip().lower() for f in (value or "").split(",") if f.strip()))
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown:
        msg = f"unknown framework {unknown[0]!r} (choose from {', '.join(FRAMEWORKS)})"
        raise ConfigError(msg, field="--framework")
    return names


def parse_pause_after(value: str | None, interactive: bool) -> list[str]:
    """Gate ids to pause after; ``--interactive`` pauses after every gate.

    Raises:
        ConfigError: an unknown gate id.
    """
    if interactive:
        return list(GATES_BY_ID)
    gates = [g.strip() for g in (value or "").split(",") if g.strip()]
    return check_gates(gates, "--pause-after")


def cache_dir_for(db: str) -> str | None:
    """The evidence cache folder that goes with a database (beside a SQLite file)."""
    if db in (":memory:", "memory") or db.startswith(("postgresql://", "postgres://")):
        return str(Path(".gates") / "cache")
    return str(Path(db).parent / "cache")


def narrator_for(
    model: str | None,
    *,
    context_mode: str = "digest",
    temperature: float | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> Narrator | None:
    """The chat-model narrator a command asked for (``None``: offline).

    Raises:
        ConfigError: the model cannot be built.
    """
    if not model:
        return None
    from langgraph_gates.llm import build_narrator  # imported only when a model is asked for

    return build_narrator(
        model,
        context_mode=context_mode,
        temperature=temperature,
        timeout=timeout,
        max_retries=max_retries,
    )


@contextmanager
def cli_reviews(
    db: str, narrator: Narrator | None = None, lease_ttl: float = DEFAULT_LEASE_TTL
) -> Iterator[Reviews]:
    """The reviews of ``--db``, with the evidence cache beside it: what every command drives."""
    with open_reviews(
        db, cache_dir=cache_dir_for(db), narrator=narrator, lease_ttl=lease_ttl
    ) as reviews:
        yield reviews


def finish(
    snapshot: Any,
    *,
    review_id: str,
    output_dir: Path,
    formats: list[str],
    fail_on: str,
    frameworks: tuple[str, ...] = (),
) -> None:
    """Report a finished review, or explain how to go on with a paused one.

    In GitHub Actions the summary also goes to the step summary, with one annotation per
    failing check.

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
    report = ReviewReport.from_state(snapshot.values, review_id=review_id, frameworks=frameworks)
    files = write_reports(report, output_dir, formats)
    print_outcome(report, files)
    publish_to_github(report, os.environ, lambda line: typer.echo(line))
    if report.recommendation in FAIL_ON_LEVELS[fail_on]:
        raise typer.Exit(EXIT_FAIL_ON)
