"""Property-based tests of the dossier and policy loaders: anything either loads or is refused.

For any input (random bytes, YAML-ish token soup, random JSON-like structures dumped as YAML or
JSON, mutations of the bundled example dossier and of the default policy), loading either
returns a value or raises the project's own error (a :class:`GatesError` subclass) whose message
is one line. Any other exception is a bug. Example counts are bounded and the Hypothesis
database is off, so a run is fast and leaves no files behind.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langgraph_gates._structured import parse_structured_text
from langgraph_gates.dossier import Dossier, LoadedDossier, load_dossier, validate_dossier
from langgraph_gates.errors import DossierError, GatesError, PolicyError
from langgraph_gates.policy import Policy, load_policy, policy_from_mapping
from tests.corpus.records import Record, write_record

from ..conftest import EXAMPLES

FAST = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces of YAML syntax, tags and scalars that PyYAML treats specially.
YAML_TOKENS = [
    "\n",
    "  ",
    "- ",
    ": ",
    "? ",
    ",",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "<<: ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!binary ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!!set ",
    "!!omap ",
    "!!python/object:os.system ",
    "!local ",
    "|",
    ">",
    "'",
    '"',
    "#",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "\t",
    "2026-13-45",
    "2026-01-01t25:00:00",
    "1:2:3",
    "0x_",
    "0o9",
    ".nan",
    "-.inf",
    "~",
    "null",
    "yes",
    "no",
    "1e999",
    "9" * 60,
    "model",
    "data",
    "problem",
    "task",
    "train",
    "kpis",
    "threshold",
    "\\x00",
    "\ufeff",
    "é",
    "\u2028",
]


def _json_like(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**30), max_value=10**30)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(max_size=30)
        | st.sampled_from(["model", "data", "train", "binary_classification", "../x", "/etc/x"])
    )
    keys = st.text(max_size=12) | st.sampled_from(
        [
            *Dossier.model_fields,  # the sections
            "name",
            "task",
            "kpis",
            "label",
            "train",
        ]
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=max_leaves,
    )


JSON_LIKE = _json_like()


class Tally:
    """Counts the examples a property saw and the ones that raised something unexpected."""

    def __init__(self) -> None:
        self.examples = 0
        self.unexpected: list[str] = []

    def check(
        self,
        load: Callable[[], Any],
        allowed: type[GatesError],
        accept: type,
        *,
        names: str | None = None,
    ) -> None:
        """Run ``load``: it must return an ``accept`` or raise ``allowed`` in one line.

        With ``names``, a refusal must also name that file.
        """
        self.examples += 1
        try:
            value = load()
        except allowed as exc:
            line = exc.one_line()
            if "\n" in line or not line.strip() or (names is not None and names not in line):
                self.unexpected.append(f"not one line naming {names}: {line!r}")
                raise AssertionError(line) from None
            return
        except Exception as exc:
            self.unexpected.append(f"{type(exc).__name__}: {exc}"[:300])
            raise
        assert isinstance(value, accept), type(value)


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    t = Tally()
    started = time.perf_counter()
    yield t
    write_record(
        Record(
            suite="fuzz",
            name=request.node.name,
            inputs=t.examples,
            tracebacks=len(t.unexpected),
            seconds=round(time.perf_counter() - started, 2),
            detail=t.unexpected[:5],
        )
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- the dossier loader -------------------------------------------------------------------------


def random_bytes_load(
    tally: Tally, path: Path, load: Callable[[Path], object], error: type[GatesError],
    accept: type, max_size: int,
) -> None:
    """Random bytes written to ``path`` either ``load`` into ``accept`` or raise ``error``."""

    @FAST
    @given(st.binary(max_size=max_size))
    def prop(data: bytes) -> None:
        path.write_bytes(data)
        tally.check(lambda: load(path), error, accept, names=str(path))

    prop()


def test_dossier_from_random_bytes(tally: Tally, folder: Path) -> None:
    random_bytes_load(tally, folder / "bytes.yaml", load_dossier, DossierError, LoadedDossier, 3000)


def test_dossier_from_yaml_token_soup(tally: Tally, folder: Path) -> None:
    path = folder / "soup.yaml"
    soup = st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=6), max_size=60).map("".join)

    @settings(FAST, max_examples=400)
    @given(soup)
    def prop(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        tally.check(lambda: load_dossier(path), DossierError, LoadedDossier, names=str(path))

    prop()


def test_dossier_from_random_structures(tally: Tally, folder: Path) -> None:
    path = folder / "structure"

    @FAST
    @given(JSON_LIKE, st.sampled_from(["yaml", "json"]))
    def prop(value: Any, fmt: str) -> None:
        text = (
            yaml.safe_dump(value, allow_unicode=True)
            if fmt == "yaml"
            else json.dumps(value)  # NaN and Infinity literals included, as Python writes them
        )
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        tally.check(lambda: load_dossier(path), DossierError, LoadedDossier, names=str(path))
        tally.check(lambda: validate_dossier(value), DossierError, Dossier)

    prop()


def _example_dossier() -> dict[str, Any]:
    raw = yaml.safe_load((EXAMPLES / "churn" / "dossier.yaml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(raw, default=str))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], op: str, new: Any) -> Any:
    if not path:
        return new if op == "replace" else doc
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if op == "replace":
        parent[last] = new
    elif op == "delete":
        del parent[last]
    elif op == "rename" and isinstance(parent, dict):
        parent[f"{last}_x"] = parent.pop(last)
    elif op == "wrap":
        parent[last] = [parent[last]]
    return doc


def test_mutated_example_dossiers(tally: Tally, folder: Path) -> None:
    base = _example_dossier()
    paths = _paths(base)
    path = folder / "mutated.yaml"
    mutation = st.tuples(
        st.sampled_from(paths), st.sampled_from(["replace", "delete", "rename", "wrap"]), JSON_LIKE
    )

    @FAST
    @given(st.lists(mutation, min_size=1, max_size=4), st.sampled_from(["yaml", "json"]))
    def prop(mutations: list[tuple[tuple[Any, ...], str, Any]], fmt: str) -> None:
        doc: Any = json.loads(json.dumps(base))
        for where, op, new in mutations:
            try:
                doc = _mutate(doc, where, op, new)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mutation removed or changed this path
        text = yaml.safe_dump(doc, allow_unicode=True) if fmt == "yaml" else json.dumps(doc)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        tally.check(lambda: load_dossier(path), DossierError, LoadedDossier, names=str(path))

    prop()


def test_the_unmutated_example_loads() -> None:
    """The mutations start from a dossier that loads (else every mutant would be refused)."""
    loaded = load_dossier(EXAMPLES / "churn" / "dossier.yaml")
    assert loaded.dossier.model.name == "churn-predictor"


def test_parse_errors_name_the_source(tally: Tally) -> None:
    @FAST
    @given(st.text(max_size=200))
    def prop(text: str) -> None:
        tally.check(
            lambda: parse_structured_text(text, source="fuzz.yaml", error=DossierError),
            DossierError,
            object,
            names="fuzz.yaml",
        )

    prop()


# --- the policy loader -------------------------------------------------------------------------


def test_policy_from_random_bytes(tally: Tally, folder: Path) -> None:
    random_bytes_load(tally, folder / "policy.yaml", load_policy, PolicyError, Policy, 2000)


def test_policy_from_random_structures(tally: Tally) -> None:
    @FAST
    @given(JSON_LIKE)
    def prop(value: Any) -> None:
        tally.check(lambda: policy_from_mapping(value), PolicyError, Policy)

    prop()


def _band_values() -> st.SearchStrategy[Any]:
    return (
        st.floats(allow_nan=True, allow_infinity=True)
        | st.integers(min_value=-5, max_value=10**6)
        | st.none()
        | st.text(max_size=5)
        | st.sampled_from(["above", "below", True, [], {}])
    )


def test_mutated_default_policies(tally: Tally, folder: Path) -> None:
    base = Policy().model_dump(mode="json")
    paths = [p for p in _paths(base) if p]
    path = folder / "mutated-policy.yaml"

    @FAST
    @given(
        st.lists(st.tuples(st.sampled_from(paths), _band_values()), min_size=1, max_size=5),
        st.booleans(),
    )
    def prop(changes: list[tuple[tuple[Any, ...], Any]], via_file: bool) -> None:
        doc: Any = json.loads(json.dumps(base))
        for where, new in changes:
            try:
                doc = _mutate(doc, where, "replace", new)
            except (KeyError, IndexError, TypeError):
                continue
        if via_file:
            path.write_text(yaml.safe_dump(doc), encoding="utf-8")
            tally.check(lambda: load_policy(path), PolicyError, Policy, names=str(path))
        else:
            tally.check(lambda: policy_from_mapping(doc), PolicyError, Policy)

    prop()


def test_accepted_policies_keep_their_bands_sound(tally: Tally) -> None:
    """Whatever a policy file sets, an accepted band is finite, non-negative and ordered."""
    checked = 0

    @FAST
    @given(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["above", "below"]),
    )
    def prop(warn: float, fail: float, direction: str) -> None:
        nonlocal checked
        doc = {"data": {"psi": {"direction": direction, "warn": warn, "fail": fail}}}
        tally.examples += 1
        try:
            band = policy_from_mapping(doc).data.psi
        except PolicyError:
            return
        checked += 1
        assert band.warn is not None and band.fail is not None
        assert math.isfinite(band.warn) and math.isfinite(band.fail)
        assert band.warn >= 0 and band.fail >= 0
        assert band.warn <= band.fail if direction == "above" else band.warn >= band.fail

    prop()
    assert checked > 0


def _floats(value: Any) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _floats(v)
    elif isinstance(value, list):
        for v in value:
            yield from _floats(v)


def test_accepted_dossiers_hold_only_finite_numbers(tally: Tally) -> None:
    """A NaN threshold or an infinite baseline would decide a check silently: refused."""
    accepted = 0
    number = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10)

    @FAST
    @given(number, number, number, number)
    def prop(threshold: float, baseline: float, slo: float, stage: float) -> None:
        nonlocal accepted
        doc = {
            "problem": {"success_criteria": [{"metric": "roc_auc", "threshold": threshold}]},
            "performance": {"baseline": {"metric": "roc_auc", "value": baseline}},
            "deployment": {
                "slo": {"latency_p95_ms": slo},
                "rollout": {"stages": [stage]},
                "monitoring": {"alerts": {"psi": slo}},
            },
        }
        tally.examples += 1
        try:
            dossier = validate_dossier(doc)
        except DossierError as exc:
            assert "finite" in exc.one_line(), exc.one_line()
            return
        accepted += 1
        assert all(math.isfinite(x) for x in _floats(dossier.model_dump()))

    prop()
    assert accepted > 0
