"""Tracing set-up: off by default, and a clear one-line error when its extra is missing."""

from __future__ import annotations

import sys

import pytest
from opentelemetry import trace as otel

from langgraph_gates import tracing
from langgraph_gates.errors import ConfigError


def test_without_settings_nothing_is_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tracing, "_configured", set())
    before = otel.get_tracer_provider()
    tracing.setup_tracing()
    assert otel.get_tracer_provider() is before


def test_asking_for_export_without_the_otel_extra_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tracing, "_configured", set())
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace.export", None)  # not installed
    with pytest.raises(ConfigError) as err:
        tracing.setup_tracing(console=True)
    assert err.value.one_line() == (
        "--trace: OpenTelemetry export needs opentelemetry-sdk and its "
        "OTLP exporter (pip install 'langgraph-gates[otel]')"
    )
