"""The policy: bands at their thresholds, YAML overrides, and refused policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from langgraph_gates.errors import PolicyError
from langgraph_gates.policy import Band, Policy, load_policy, policy_from_mapping
from langgraph_gates.state import Outcome


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.09, Outcome.PASS), (0.10, Outcome.PASS), (0.11, Outcome.WARN), (0.30, Outcome.WARN), (0.31, Outcome.FAIL)],
)
def test_above_band_exclusive(value: float, expected: Outcome) -> None:
    assert Band(direction="above", warn=0.10, fail=0.30).judge(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.099, Outcome.PASS), (0.10, Outcome.WARN), (0.249, Outcome.WARN), (0.25, Outcome.FAIL)],
)
def test_above_band_inclusive_psi(value: float, expected: Outcome) -> None:
    assert Policy().data.psi.judge(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(999, Outcome.FAIL), (1000, Outcome.WARN), (9999, Outcome.WARN), (10_000, Outcome.PASS)],
)
def test_below_band_volume(value: float, expected: Outcome) -> None:
    assert Policy().data.volume_per_class.judge(value) is expected


def test_seed_defaults() -> None:
    p = Policy()
    assert (p.data.missing_fraction.warn, p.data.missing_fraction.fail) == (0.10, 0.30)
    assert (p.data.minority_fraction.warn, p.data.minority_fraction.fail) == (0.05, 0.01)
    assert (p.performance.overfit_relative_gap.warn, p.performance.overfit_relative_gap.fail) == (0.05, 0.10)
    assert (p.fairness.selection_rate_ratio.warn, p.fairness.selection_rate_ratio.fail) == (0.90, 0.80)
    assert p.data.psi_bins == 10


def test_threshold_is_data() -> None:
    t = Policy().data.missing_fraction.threshold("missing_fraction")
    assert t.model_dump() == {
        "metric": "missing_fraction", "direction": "above", "warn": 0.1, "fail": 0.3, "inclusive": False,
    }
    assert t.describe() == "missing_fraction: warn > 0.1, fail > 0.3"


def test_yaml_override_merges_onto_defaults(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("name: strict\ndata:\n  missing_fraction: {warn: 0.05}\n")
    p = load_policy(f)
    assert p.name == "strict"
    assert p.data.missing_fraction.warn == 0.05
    assert p.data.missing_fraction.fail == 0.30  # kept from the defaults
    assert p.fingerprint() != Policy().fingerprint()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("data:\n  missing_fraction: {warn: 0.5, fail: 0.3}\n", "data.missing_fraction"),
        ("fairness:\n  selection_rate_ratio: {warn: 0.7, fail: 0.8}\n", "fairness.selection_rate_ratio"),
        ("data:\n  psi: {warn: -1}\n", "data.psi.warn"),
        ("data:\n  psi: {warn: .nan}\n", "data.psi.warn"),
        ("data:\n  missing_fractoin: {warn: 0.2}\n", "data.missing_fractoin"),
        ("performance:\n  calibration_bins: 1\n", "performance.calibration_bins"),
    ],
)
def test_invalid_policy_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(PolicyError) as exc:
        load_policy(f)
    line = exc.value.one_line()
    assert str(f) in line and field in line
    assert "\n" not in line


def test_contradictory_band_message() -> None:
    with pytest.raises(PolicyError, match="contradictory band"):
        policy_from_mapping({"data": {"missing_fraction": {"warn": 0.5, "fail": 0.3}}})


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"\x00\x01\x02", "binary"), (b"a: [1, 2", "not valid YAML"), (b"\xff\xfe\xfa", "UTF-8"),
     (b"- 1\n- 2\n", "mapping")],
)
def test_unreadable_policy_files(tmp_path: Path, content: bytes, reason: str) -> None:
    f = tmp_path / "p.yaml"
    f.write_bytes(content)
    with pytest.raises(PolicyError, match=reason):
        load_policy(f)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.yaml")
