"""The dossier template: valid, complete, and commented from the same source as the schema."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from langgraph_gates.cli import app
from langgraph_gates.dossier import (
    Dossier,
    LoadedDossier,
    ModelInfo,
    TaskType,
    validate_dossier_unknown,
)
from langgraph_gates.template import DOSSIER_TEMPLATE, EXAMPLES, field_description, render_template

# Every field the hand-written template had before it was rendered from the models.
HAND_WRITTEN_FIELDS = {
    "model",
    "model.name",
    "model.version",
    "model.task",
    "model.use_case",
    "model.description",
    "model.algorithms",
    "owners",
    "problem",
    "problem.objective",
    "problem.kpis",
    "problem.success_criteria",
    "problem.in_scope",
    "problem.out_of_scope",
    "problem.assumptions",
    "data",
    "data.sources",
    "data.label",
    "data.timestamp",
    "data.sensitive_attributes",
    "data.sensitive_justification",
    "data.train",
    "data.validation",
    "data.serving",
    "data.labeling_qc",
    "features",
    "features.key",
    "features.transformations",
    "features.missingness_strategy",
    "features.excluded",
    "performance",
    "performance.predictions",
    "performance.metrics",
    "performance.validation_strategy",
    "performance.baseline",
    "performance.baseline.metric",
    "performance.baseline.value",
    "performance.error_analysis",
    "responsible_ai",
    "responsible_ai.harms",
    "responsible_ai.governance",
    "responsible_ai.governance.review_board",
    "responsible_ai.governance.approver",
    "security",
    "security.artifact",
    "security.artifact_sha256",
    "security.scan_paths",
    "security.requirements",
    "security.threat_model",
    "security.input_validation",
    "deployment",
    "deployment.rollout",
    "deployment.rollout.strategy",
    "deployment.rollout.stages",
    "deployment.rollback_plan",
    "deployment.slo",
    "deployment.monitoring",
    "deployment.monitoring.latency",
    "deployment.monitoring.drift",
    "deployment.monitoring.quality",
    "deployment.monitoring.alerts",
    "deployment.retraining_trigger",
    "deployment.on_call",
    "deployment.post_launch_review_days",
}

_KEY_LINE = re.compile(r"^( *)([A-Za-z_]\w*):(.*)$")
_TRAILING = re.compile(r"\s#\s(.*)$")


def _squash(text: str) -> str:
    return " ".join(text.split())


def _commented_fields(text: str) -> dict[str, str]:
    """Each field path written in ``text`` with its comment (the lines above, or trailing)."""
    fields: dict[str, str] = {}
    parents: list[tuple[int, str]] = []
    above: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.removeprefix("#"))
            continue
        match = _KEY_LINE.match(line)
        if match is None:  # a blank line or a list item: comments above belong to nothing
            above = []
            continue
        indent, key, rest = len(match[1]), match[2], match[3]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        trailing = _TRAILING.search(rest)
        path = ".".join([name for _, name in parents] + [key])
        fields[path] = _squash(" ".join([*above, trailing[1] if trailing else ""]))
        parents.append((indent, key))
        above = []
    return fields


def _ref(prop: dict[str, Any]) -> str | None:
    # A model-typed field is a $ref, or an anyOf with one when it may be null.
    for option in [prop, *prop.get("anyOf", [])]:
        if "$ref" in option:
            return str(option["$ref"]).rsplit("/", 1)[-1]
    return None


def _schema_descriptions() -> dict[str, str]:
    """Every field path of the `gates schema` output with its description."""
    schema = Dossier.model_json_schema()
    defs = schema["$defs"]
    found: dict[str, str] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, prop in node["properties"].items():
            ref = _ref(prop)
            nested = defs[ref] if ref else {}
            found[prefix + name] = prop.get("description") or nested.get("description", "")
            if nested:
                walk(nested, f"{prefix}{name}.")

    walk(schema, "")
    return found


def test_template_validates_with_no_unknown_fields() -> None:
    _, unknown = validate_dossier_unknown(yaml.safe_load(DOSSIER_TEMPLATE))
    assert unknown == []


def test_template_reads_back_as_the_example_values() -> None:
    assert yaml.safe_load(DOSSIER_TEMPLATE) == EXAMPLES


def test_template_keeps_every_hand_written_field() -> None:
    assert HAND_WRITTEN_FIELDS - set(_commented_fields(DOSSIER_TEMPLATE)) == set()


def test_every_field_in_the_template_carries_its_schema_description() -> None:
    schema = _schema_descriptions()
    commented = _commented_fields(DOSSIER_TEMPLATE)
    wrong = {
        path: comment
        for path, comment in commented.items()
        if not schema.get(path) or _squash(schema[path]) not in comment
    }
    assert wrong == {}


def test_a_description_edited_in_the_model_changes_the_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = ModelInfo.model_fields["name"].description
    assert f"# {old}" in render_template()
    monkeypatch.setattr(ModelInfo.model_fields["name"], "description", "Edited in one place.")
    rendered = render_template()
    assert "name: my-model" in rendered
    assert "# Edited in one place." in rendered
    assert str(old) not in rendered


def test_a_section_without_a_description_falls_back_to_its_docstring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Dossier.model_fields["performance"], "description", None)
    rendered = render_template()
    assert "# Model performance: predictions, metrics, validation.\nperformance:\n" in rendered


def test_field_description_takes_the_docstring_first_line() -> None:
    # LoadedDossier.dossier has no description of its own; Dossier's docstring is one line.
    assert LoadedDossier.model_fields["dossier"].description is None
    assert field_description(LoadedDossier.model_fields["dossier"]) == (
        "A review dossier (SPEC section 2). Every section is optional."
    )


def test_literal_fields_list_their_choices() -> None:
    comments = _commented_fields(DOSSIER_TEMPLATE)
    assert all(task in comments["model.task"] for task in typing.get_args(TaskType))
    assert (
        "One of: time_split, kfold, holdout, none." in comments["performance.validation_strategy"]
    )
    assert "One of" not in comments["owners"]  # a Literal dict key is not the field's choice


def test_template_lines_fit_in_100_characters() -> None:
    assert [line for line in DOSSIER_TEMPLATE.splitlines() if len(line) > 100] == []


def test_gates_init_writes_the_template_into_a_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dossier.yaml"
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == DOSSIER_TEMPLATE
