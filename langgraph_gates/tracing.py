"""Traces of a review, opt-in: LangSmith runs and OpenTelemetry spans of the review and its gates.

**LangSmith** follows its usual environment variables (``LANGSMITH_TRACING=true``,
``LANGSMITH_API_KEY``, ``LANGSMITH_PROJECT``, ``LANGSMITH_ENDPOINT``). A review is one trace,
named after the model under review, tagged with its recommendation; under it LangGraph's own
runs (the graph and its nodes), one ``gate:<id>`` run per gate whose metadata holds the gate
id, status, finding counts by outcome and the SHA-256 of its evidence files, and the chat-model
calls with their token usage. Unset or ``false``: nothing is sent.

**OpenTelemetry** (the seed's tracing): with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, the same
review and gate spans go to that OTLP/HTTP collector; ``gates review --trace console`` prints
them to stderr. Without either, the OpenTelemetry API's no-op tracer costs nothing.

What goes into a trace was redacted before the run started (dossier, free text, reasons):
these spans carry ids, statuses, counts and hashes, never dossier text.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from opentelemetry import trace as otel

from langgraph_gates.errors import ConfigError
from langgraph_gates.state import GateResult, Outcome

__all__ = [
    "GateSpan",
    "ReviewTrace",
    "cited_file_hashes",
    "flush_tracing",
    "gate_span",
    "langsmith_enabled",
    "review_trace",
    "setup_tracing",
]

log = logging.getLogger(__name__)

_TRACER_NAME = "langgraph_gates"
_setup_lock = threading.Lock()
_configured: set[str] = set()


def langsmith_enabled() -> bool:
    """Whether LangSmith tracing is switched on by its environment variables."""
    from langsmith.utils import tracing_is_enabled

    return bool(tracing_is_enabled())


def setup_tracing(*, console: bool = False) -> None:
    """Send OpenTelemetry spans where the environment (or ``console``) says; once per process.

    With ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) set, spans go to that
    OTLP/HTTP collector; with ``console``, to stderr. An application that installed its own
    tracer provider keeps it: spans then go wherever it sends them.

    Raises:
        ConfigError: export is asked for and the ``otel`` extra is not installed.
    """
    wanted = set()
    if console:
        wanted.add("console")
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        wanted.add("otlp")
    with _setup_lock:
        wanted -= _configured
        if not wanted:
            return
        try:
            _add_exporters(wanted)
        except ImportError:
            how = "pip install 'langgraph-gates[otel]'"
            msg = f"OpenTelemetry export needs opentelemetry-sdk and its OTLP exporter ({how})"
            field = "--trace" if "console" in wanted else "OTEL_EXPORTER_OTLP_ENDPOINT"
            raise ConfigError(msg, field=field) from None
        _configured.update(wanted)


def _add_exporters(wanted: set[str]) -> None:
    """Add an exporter per wish to our tracer provider (none if an app brought its own)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    provider = _sdk_provider()
    if provider is None:
        log.info("an OpenTelemetry tracer provider is set already; using it")
        return
    if "otlp" in wanted:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if "console" in wanted:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))


def _sdk_provider() -> Any:
    """Our SDK tracer provider (installed now if none is), or ``None`` if an app has its own."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    current = otel.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current if getattr(current, "_gates_owned", False) else None
    provider = TracerProvider(resource=Resource.create({"service.name": "langgraph-gates"}))
    provider._gates_owned = True  # type: ignore[attr-defined]
    otel.set_tracer_provider(provider)
    return provider


def flush_tracing() -> None:
    """Send what is buffered (LangSmith runs, OpenTelemetry spans) before the process goes on."""
    provider = otel.get_tracer_provider()
    force_flush = getattr(provider, "force_flush", None)
    if callable(force_flush):
        force_flush()
    if langsmith_enabled():
        from langchain_core.tracers.langchain import wait_for_all_tracers
        from langsmith.run_trees import get_cached_client

        wait_for_all_tracers()
        get_cached_client().flush()


class ReviewTrace:
    """The open trace of one review; :meth:`finish` records its recommendation."""

    def __init__(self, span: Any, run: Any) -> None:
        self._span = span
        self._run = run

    def finish(self, recommendation: str | None, review_id: str) -> None:
        """Tag the trace with the recommendation (``None``: paused, not finished)."""
        outputs = {"review_id": review_id, "recommendation": recommendation or "paused"}
        self._span.set_attribute("gates.recommendation", outputs["recommendation"])
        if self._run is not None:
            if recommendation:
                self._run.add_tags([recommendation])
            self._run.end(outputs=outputs)


@contextlib.contextmanager
def review_trace(
    name: str, *, review_id: str, metadata: Mapping[str, Any]
) -> Iterator[ReviewTrace]:
    """One trace per review: a LangSmith root run and an OpenTelemetry span.

    Args:
        name: the model under review, e.g. ``churn-predictor 2.3.0``.
        review_id: the review (thread) id.
        metadata: plain values to record (run number, model used for narrative, ...).
    """
    attributes = {"gates.review_id": review_id, **{f"gates.{k}": v for k, v in metadata.items()}}
    tracer = otel.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(
        f"review {name}", attributes=_otel_values(attributes)
    ) as span:
        if not langsmith_enabled():
            yield ReviewTrace(span, None)
            return
        from langsmith import trace

        with trace(
            name,
            run_type="chain",
            inputs={"review_id": review_id, "model_under_review": name},
            metadata={"review_id": review_id, **metadata},
            tags=["langgraph-gates", "review"],
        ) as run:
            yield ReviewTrace(span, run)
    flush_tracing()


def _otel_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes OpenTelemetry accepts: scalars and lists of strings (others as text)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool | int | float | str):
            out[key] = value
        elif isinstance(value, list | tuple):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(value)
    return out


class GateSpan:
    """The open span of one gate; :meth:`finish` records what it concluded."""

    def __init__(self, span: Any, run: Any) -> None:
        self._span = span
        self._run = run

    @property
    def recording(self) -> bool:
        """Whether anything is traced (else the caller can skip hashing evidence files)."""
        return self._run is not None or bool(self._span.is_recording())

    def finish(self, result: GateResult, hashes: Mapping[str, str]) -> None:
        """Record the gate's status, finding counts by outcome and evidence hashes."""
        counts = {o.value: 0 for o in Outcome}
        for finding in result.findings:
            counts[finding.outcome.value] += 1
        metadata: dict[str, Any] = {
            "gate_id": result.id,
            "status": result.status.value,
            "evidence_status": result.evidence_status.value,
            "narrative_source": result.narrative_source,
            "findings": counts,
            "evidence_sha256": dict(hashes),
        }
        flat = {
            "gates.gate_id": result.id,
            "gates.status": result.status.value,
            "gates.evidence_status": result.evidence_status.value,
            **{f"gates.findings.{k}": v for k, v in counts.items()},
            **{f"gates.evidence_sha256.{k}": v for k, v in hashes.items()},
        }
        self._span.set_attributes(_otel_values(flat))
        if self._run is not None:
            self._run.metadata.update(metadata)
            self._run.add_tags([f"status:{result.status.value}"])
            self._run.end(outputs={"status": result.status.value, "findings": counts})


@contextlib.contextmanager
def gate_span(gate_id: str) -> Iterator[GateSpan]:
    """A span (and, with LangSmith on, a run) around one gate's checks and narrative."""
    tracer = otel.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(
        f"gate {gate_id}", attributes={"gates.gate_id": gate_id}
    ) as span:
        if not langsmith_enabled():
            yield GateSpan(span, None)
            return
        from langsmith import trace

        with trace(
            f"gate:{gate_id}",
            run_type="chain",
            inputs={"gate_id": gate_id},
            metadata={"gate_id": gate_id},
            tags=["langgraph-gates", "gate"],
        ) as run:
            yield GateSpan(span, run)


def cited_file_hashes(base_dir: Path, result: GateResult) -> dict[str, str]:
    """SHA-256 of each evidence file a gate's findings cite (files that exist), by path."""
    from langgraph_gates.evidence.store import file_sha256

    hashes: dict[str, str] = {}
    for finding in result.findings:
        for ref in finding.evidence:
            if ref.source in hashes:
                continue
            path = base_dir / ref.source
            try:
                if path.is_file():
                    hashes[ref.source] = file_sha256(path)
            except OSError:  # a path the check could not read either; its finding says so
                continue
    return hashes
