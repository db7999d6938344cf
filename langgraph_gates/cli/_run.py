"""What the commands that run gates share.

Checking output options, opening the reviews with the narrator asked for, and reporting or
saying where a review paused; and the run options themselves, declared once
(:func:`with_run_options`).
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import typer

from langgraph_gates.checkpoint import DEFAULT_DB
from langgraph_gates.cli._common import EXIT_FAIL_ON, GateProgress, console, print_outcome
from langgraph_gates.cli._github import publish_to_github
from langgraph_gates.cli._options import (
    DEFAULT_FORMATS,
    DEFAULT_OUTPUT,
    DbOpt,
    FailOnOpt,
    FormatOpt,
    FrameworkOpt,
    InteractiveOpt,
    LeaseTtlOpt,
    ModelOpt,
    OutputOpt,
    PauseOpt,
    ProgressOpt,
    SparkRemoteOpt,
    TraceOpt,
)
from langgraph_gates.durable import Reviews, model_history, open_reviews
from langgraph_gates.durable._common import check_gates
from langgraph_gates.durable._lease import DEFAULT_LEASE_TTL
from langgraph_gates.errors import ConfigError, ReviewStateError
from langgraph_gates.evidence.spark_table import REMOTE_ENV
from langgraph_gates.gates import GATES_BY_ID
from langgraph_gates.narrator import Narrator
from langgraph_gates.report import FORMATS, ReviewReport, write_reports
from langgraph_gates.report.frameworks import FRAMEWORKS
from langgraph_gates.report.model import TrendPoint
from langgraph_gates.state import Recommendation

__all__ = [
    "FAIL_ON_LEVELS",
    "RunOptions",
    "cache_dir_for",
    "check_output",
    "cli_reviews",
    "finish",
    "narrator_for",
    "parse_formats",
    "parse_frameworks",
    "parse_pause_after",
    "with_run_options",
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
    db: str,
    narrator: Narrator | None = None,
    lease_ttl: float = DEFAULT_LEASE_TTL,
    *,
    offline: bool = False,
) -> Iterator[Reviews]:
    """The reviews of ``--db``, with the evidence cache beside it: what every command drives.

    Without a narrator, resume and re-run use the model a review was started with, unless
    ``offline`` (``--offline``).
    """
    with open_reviews(
        db,
        cache_dir=cache_dir_for(db),
        narrator=narrator,
        lease_ttl=lease_ttl,
        reuse_model=not offline,
    ) as reviews:
        yield reviews


def trend_of(reviews: Reviews, snapshot: Any) -> list[TrendPoint]:
    """The finished reviews of this review's model in the database, for the report's trend."""
    name = ((snapshot.values.get("dossier") or {}).get("model") or {}).get("name")
    if not name or snapshot.next:
        return []
    try:
        history = model_history(reviews, str(name))
    except ReviewStateError:
        return []
    return [
        TrendPoint(
            review_id=r.review_id,
            version=r.version,
            reviewed_on=r.reviewed_on,
            recommendation=r.recommendation.value if r.recommendation else None,
            key_metrics=r.key_metrics,
        )
        for r in history.reviews
        if r.state == "finished"
    ]


def finish(
    snapshot: Any,
    *,
    review_id: str,
    output_dir: Path,
    formats: list[str],
    fail_on: str,
    trend: list[TrendPoint] | None = None,
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
    report.trend = list(trend or [])
    files = write_reports(report, output_dir, formats)
    print_outcome(report, files)
    publish_to_github(report, os.environ, lambda line: typer.echo(line))
    if report.recommendation in FAIL_ON_LEVELS[fail_on]:
        raise typer.Exit(EXIT_FAIL_ON)


@dataclass(frozen=True)
class RunOptions:
    """The options of every command that runs gates (``review``, ``resume``, ``rerun``)."""

    db: str
    model: str | None
    pause_after: str | None
    interactive: bool
    output_dir: Path
    formats: str
    fail_on: str
    progress: bool
    lease_ttl: float
    trace: str | None
    framework: str | None
    spark_remote: str | None = None

    def checked_formats(self) -> list[str]:
        """The output options, validated before anything runs; returns the formats.

        Raises:
            ConfigError: an unknown format, fail-on level, framework or trace target.
        """
        if self.trace not in (None, "console"):
            raise ConfigError(f"must be console, got {self.trace!r}", field="--trace")
        parse_frameworks(self.framework)
        return check_output(self.formats, self.fail_on)

    def pauses(self) -> list[str] | None:
        """The pause plan asked for; ``None`` when neither option was given (keep the stored)."""
        if self.pause_after is None and not self.interactive:
            return None
        return parse_pause_after(self.pause_after, self.interactive)

    @contextmanager
    def session(
        self, narrator: Narrator | None, *, offline: bool = False
    ) -> Iterator[tuple[Reviews, GateProgress]]:
        """The reviews of ``--db`` and the progress display (and tracing), for one command."""
        if self.trace == "console":
            from langgraph_gates.tracing import setup_tracing

            setup_tracing(console=True)
        if self.spark_remote:
            # The evidence layer reads the server from the environment, the one channel that
            # reaches it from every entry point (CLI, API, LangGraph server) without the dossier.
            os.environ[REMOTE_ENV[0]] = self.spark_remote
        with (
            cli_reviews(self.db, narrator, self.lease_ttl, offline=offline) as reviews,
            GateProgress(enabled=self.progress) as show,
        ):
            yield reviews, show

    @staticmethod
    def trend(reviews: Reviews, snapshot: Any, formats: list[str]) -> list[TrendPoint]:
        """The model's trend across versions, for an HTML report (read while ``reviews`` is open)."""
        return trend_of(reviews, snapshot) if "html" in formats else []

    def finish(
        self,
        snapshot: Any,
        review_id: str,
        formats: list[str],
        trend: list[TrendPoint] | None = None,
    ) -> None:
        """Report the review (or say where it paused) as these options ask."""
        finish(
            snapshot,
            review_id=review_id,
            output_dir=self.output_dir,
            formats=formats,
            fail_on=self.fail_on,
            trend=trend,
            frameworks=parse_frameworks(self.framework),
        )


_RUN_OPTIONS = (
    ("db", DbOpt, DEFAULT_DB),
    ("model", ModelOpt, None),
    ("pause_after", PauseOpt, None),
    ("interactive", InteractiveOpt, False),
    ("output_dir", OutputOpt, DEFAULT_OUTPUT),
    ("formats", FormatOpt, DEFAULT_FORMATS),
    ("framework", FrameworkOpt, None),
    ("fail_on", FailOnOpt, "never"),
    ("progress", ProgressOpt, True),
    ("lease_ttl", LeaseTtlOpt, DEFAULT_LEASE_TTL),
    ("trace", TraceOpt, None),
    ("spark_remote", SparkRemoteOpt, None),
)

Command = TypeVar("Command", bound=Callable[..., None])


def with_run_options(command: Command) -> Command:
    """Give a command the run options, declared once, as one ``run: RunOptions`` argument.

    Typer reads a command's options from its signature, so the wrapper's signature is the
    command's own (without ``run``) followed by the shared options.
    """
    own = [
        p
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.name != "run"
    ]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
        for name, hint, default in _RUN_OPTIONS
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        run = RunOptions(**{name: kwargs.pop(name) for name, _, _ in _RUN_OPTIONS})
        command(*args, run=run, **kwargs)

    wrapper.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
    return cast(Command, wrapper)
