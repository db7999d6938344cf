"""The catalog table (langgraph_gates/catalog.yaml): every row resolves, nothing is left out."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from pydantic import ValidationError

import langgraph_gates.checks as checks_pkg
from langgraph_gates.checks import catalog
from langgraph_gates.checks.catalog import CatalogError, CheckEntry, FailWhen, check_spec
from langgraph_gates.gates import GATES
from langgraph_gates.policy import Policy


def test_every_row_resolves_and_gates_run_the_table_in_order() -> None:
    entries = catalog.gate_entries()
    assert [g.gate for g in entries] == [g.id for g in GATES]
    for entry, gate in zip(entries, GATES, strict=True):
        ids = [row.id for row in entry.checks]
        assert list(gate.check_ids) == [*ids, gate.checks[-1].id]
        assert gate.check_ids[-1].endswith(".UNKNOWN_FIELDS")
        for row in entry.checks:
            spec = check_spec(row.id)
            assert spec.gate == entry.gate
            assert spec.fn.__name__ == row.fn.split(":")[1]
            assert (spec.fn.__doc__ or "").startswith("Judges")
            spec.can_fail(Policy())  # a band path that does not exist would raise here


def test_every_public_check_function_is_in_the_table() -> None:
    listed = {row.fn for g in catalog.gate_entries() for row in g.checks}
    found = set()
    for info in pkgutil.iter_modules(checks_pkg.__path__):
        module = importlib.import_module(f"langgraph_gates.checks.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (
                name.startswith("check_")
                and name != "check_spec"
                and fn.__module__ == module.__name__
            ):
                found.add(f"{info.name}:{name}")
    assert found - listed == set(), "a check function nobody runs"


def test_fail_level_follows_the_policy_bands() -> None:
    proxy = check_spec("FE.PROXY")
    assert proxy.can_fail(Policy()) is False  # warn-only by default
    loud = Policy.model_validate({"features": {"proxy_name_match": "fail"}})
    assert proxy.can_fail(loud) is True
    volume = check_spec("DR.VOLUME")
    assert volume.can_fail(Policy()) is (Policy().data.volume_per_class.fail is not None)
    assert check_spec("PF.SCOPE").can_fail(Policy()) is False


def test_a_malformed_row_is_refused() -> None:
    with pytest.raises(ValidationError):
        CheckEntry.model_validate({"id": "X.Y", "title": "t", "fn": "a:b", "mitigaton": "typo"})
    with pytest.raises(CatalogError, match="no policy field"):
        catalog._fail_level(FailWhen(bands=("data.volum_per_class",)), "X.Y")
    with pytest.raises(CatalogError, match="no check function"):
        catalog._function("framing:check_nothing")
    with pytest.raises(KeyError):
        check_spec("PF.NOTHING")
