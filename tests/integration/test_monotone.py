"""Verdicts fail closed, as a property over every bundled example (SPEC section 3).

For each example, every mutation of its evidence is reviewed and compared with the intact
review: no gate may get a better status and the recommendation may not get better.

The mutations, generated from the dossier itself:

* **withhold**: remove a dossier field that is evidence of a required check (the policy's
  ``required`` list, plus the fairness checks when sensitive attributes are declared). Evidence
  of checks that are not required (serving data, the validation file, ...) may be left out by
  SPEC: a first launch has no serving data, and such a check is ``missing`` (Conditional).
* **break**: a typo in a file path, a file cut in half (the last row partial), a column dropped
  (the label from the data files, ``y_true`` and a sensitive column from the predictions file);
* **misname**: a dossier file field under a misspelt key (``data.servng``), and in the metrics
  file a misspelt split (``validaton``) or success-criterion metric (``roc_acu``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from langgraph_gates import review
from langgraph_gates.dossier import Dossier
from langgraph_gates.gates import GATES
from langgraph_gates.policy import Policy
from langgraph_gates.state import Recommendation, Status

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/dossier.yaml"))
AS_OF = "2026-11-28"
_STATUS = {Status.PASS: 0, Status.CONDITIONAL: 1, Status.FAIL: 2}
_REC = {Recommendation.GO: 0, Recommendation.CONDITIONAL_GO: 1, Recommendation.NO_GO: 2}

Mutation = tuple[str, Callable[[Path, dict[str, Any]], None]]


def _get(d: dict[str, Any], dotted: str) -> Any:
    node: Any = d
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _parent(d: dict[str, Any], dotted: str) -> tuple[dict[str, Any], str]:
    *parents, last = dotted.split(".")
    node = d
    for part in parents:
        node = node[part]
    return node, last


def _pop(dotted: str) -> Callable[[Path, dict[str, Any]], None]:
    def apply(folder: Path, d: dict[str, Any]) -> None:
        node, last = _parent(d, dotted)
        node.pop(last)

    return apply


def _rename(dotted: str, new_key: str) -> Callable[[Path, dict[str, Any]], None]:
    def apply(folder: Path, d: dict[str, Any]) -> None:
        node, last = _parent(d, dotted)
        node[new_key] = node.pop(last)

    return apply


def _set(dotted: str, value: Any) -> Callable[[Path, dict[str, Any]], None]:
    def apply(folder: Path, d: dict[str, Any]) -> None:
        node, last = _parent(d, dotted)
        node[last] = value

    return apply


def _truncate(rel: str) -> Callable[[Path, dict[str, Any]], None]:
    def apply(folder: Path, d: dict[str, Any]) -> None:
        path = folder / rel
        data = path.read_bytes()
        path.write_bytes(data[: max(1, len(data) // 2)])

    return apply


def _drop_column(rel: str, column: str) -> Callable[[Path, dict[str, Any]], None]:
    def apply(folder: Path, d: dict[str, Any]) -> None:
        path = folder / rel
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            pq.write_table(table.drop_columns([column]), path)
            return
        import csv

        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
        keep = [i for i, name in enumerate(rows[0]) if name != column]
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows([[r[i] for i in keep if i < len(r)] for r in rows])

    return apply


def _edit_metrics(rel: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Path, dict[str, Any]], None]:
    def apply(folder: Path, d: dict[str, Any]) -> None:
        path = folder / rel
        content = json.loads(path.read_text())
        edit(content)
        path.write_text(json.dumps(content))

    return apply


def _required_fields(d: dict[str, Any]) -> set[str]:
    dossier = Dossier.model_validate(d)
    required = Policy().required_checks(
        sensitive_declared=bool(dossier.data.sensitive_attributes),
        time_split=dossier.performance.validation_strategy == "time_split",
    )
    specs = [c for g in GATES for c in g.checks if c.id in required]
    # Declarations are not evidence: which attributes are sensitive (RAI.SENSITIVE_DECLARED
    # reports their absence; SPEC section 3 requires fairness only once declared) and which
    # validation strategy was used (MP.VALIDATION_STRATEGY reports its absence).
    declarations = {"data.sensitive_attributes", "performance.validation_strategy"}
    return {f for s in specs for f in s.evidence_fields} - declarations


def mutations(d: dict[str, Any]) -> Iterator[Mutation]:
    """Every withhold, break and misname mutation that applies to this dossier."""
    for field in sorted(_required_fields(d)):
        if _get(d, field) not in (None, [], ""):
            yield f"withhold {field}", _pop(field)
    files = {f: _get(d, f) for f in ("data.train", "data.validation", "data.serving",
                                      "performance.predictions", "performance.metrics",
                                      "security.artifact", "security.requirements")}
    files = {k: v for k, v in files.items() if v}
    for field, rel in files.items():
        yield f"typo in {field}", _set(field, rel + "x")
        yield f"truncate {field}", _truncate(rel)
        key = field.split(".")[1]
        yield f"misname {field}", _rename(field, key[:-2] + key[-1] + key[-2])
    scan = _get(d, "security.scan_paths") or []
    if scan:
        yield "typo in security.scan_paths", _set("security.scan_paths", [p + "x" for p in scan])
    label = _get(d, "data.label")
    for field in ("data.train", "data.validation"):
        if label and field in files:
            yield f"drop label from {field}", _drop_column(files[field], label)
    if "performance.predictions" in files:
        yield "drop y_true", _drop_column(files["performance.predictions"], "y_true")
        for attr in (_get(d, "data.sensitive_attributes") or [])[:1]:
            yield f"drop {attr} from predictions", _drop_column(files["performance.predictions"], attr)
    if "performance.metrics" in files:
        rel = files["performance.metrics"]

        def misspell_split(m: dict[str, Any]) -> None:
            if "validation" in m:
                m["validaton"] = m.pop("validation")

        yield "metrics key validaton", _edit_metrics(rel, misspell_split)
        criteria = [c["metric"] for c in (_get(d, "problem.success_criteria") or [])]
        for metric in criteria[:1]:
            typo = metric[:-2] + metric[-1] + metric[-2]

            def misspell_metric(m: dict[str, Any], metric: str = metric, typo: str = typo) -> None:
                for split in ("train", "validation", "test"):
                    if isinstance(m.get(split), dict) and metric in m[split]:
                        m[split][typo] = m[split].pop(metric)

            yield f"metrics key {typo}", _edit_metrics(rel, misspell_metric)


def _review(folder: Path, d: dict[str, Any], cache: Path) -> tuple[dict[str, Status], Recommendation]:
    (folder / "dossier.yaml").write_text(yaml.safe_dump(d, sort_keys=False))
    result = review(folder / "dossier.yaml", as_of=AS_OF, cache_dir=cache)
    report = result.report
    return {g.id: g.status for g in report.gates}, report.recommendation


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_no_mutation_of_the_evidence_makes_a_verdict_better(name: str, tmp_path: Path) -> None:
    source = EXAMPLES / name
    original = json.loads(json.dumps(yaml.safe_load((source / "dossier.yaml").read_text()), default=str))
    cache = tmp_path / "cache"
    intact_dir = tmp_path / "intact"
    shutil.copytree(source, intact_dir)
    intact, intact_rec = _review(intact_dir, json.loads(json.dumps(original)), cache)
    better: list[str] = []
    tried = 0
    for i, (label, mutate) in enumerate(mutations(original)):
        folder = tmp_path / f"m{i}"
        shutil.copytree(source, folder)
        d = json.loads(json.dumps(original))
        mutate(folder, d)
        statuses, rec = _review(folder, d, cache)
        tried += 1
        for gate, status in intact.items():
            if _STATUS[statuses[gate]] < _STATUS[status]:
                better.append(f"{label}: {gate} {status.value} -> {statuses[gate].value}")
        if _REC[rec] < _REC[intact_rec]:
            better.append(f"{label}: {intact_rec.value} -> {rec.value}")
        shutil.rmtree(folder)
    assert tried >= 5, f"{name}: only {tried} mutations apply"
    assert better == [], "\n".join(better)
