"""The commented dossier template that `gates init` writes.

The template is rendered, not hand-written: the example values live here, but every comment is
the field's description read from the dossier models, the same text `gates schema` prints, so
the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from langgraph_gates.dossier import Dossier

__all__ = ["DOSSIER_TEMPLATE", "EXAMPLES", "HEADER", "field_description", "render_template"]

MAX_WIDTH = 100
# Trailing comments line up here when the code before them is shorter, as in a hand-written file.
COMMENT_COLUMN = 32

HEADER: tuple[str, ...] = (
    "# langgraph-gates review dossier. Every section is optional: what is missing becomes a",
    "# finding (usually `missing` or `fail`), never a crash. Relative paths resolve against this",
    "# file's folder and may not leave it. `gates schema` prints the full JSON Schema.",
)

# Example values only, in the order they are written. A mapping under a field whose type is a
# model becomes a block of its own fields; a list under a list-of-models field becomes one flow
# mapping per item; anything else is written as a YAML flow value.
EXAMPLES: dict[str, Any] = {
    "model": {
        "name": "my-model",
        "version": "0.1.0",
        "task": "binary_classification",
        "use_case": "Customer churn prediction for B2B SaaS",
        "description": "What it predicts, for whom, and how its output is used.",
        "algorithms": ["gradient boosting"],
    },
    "owners": {"data_readiness": "data-platform@example.com"},
    "problem": {
        "objective": "Who benefits, what changes and by when, in one sentence.",
        "kpis": [{"name": "monthly churn rate", "baseline": 0.042, "target": 0.035}],
        "success_criteria": [{"metric": "roc_auc", "threshold": 0.80, "direction": "higher"}],
        "in_scope": ["what the model decides"],
        "out_of_scope": ["what it must not be used for"],
        "assumptions": ["what must hold for it to work"],
    },
    "data": {
        "sources": [
            {"name": "warehouse_table", "owner": "data-eng", "refreshed": dt.date(2026, 10, 1)}
        ],
        "label": "target",
        "timestamp": "event_date",
        "sensitive_attributes": [],
        "sensitive_justification": "Explain why no attribute is sensitive, if the list is empty.",
        "train": "data/train.parquet",
        "validation": "data/valid.parquet",
        "serving": "data/serving_sample.parquet",
        "labeling_qc": "How labels are produced and audited.",
    },
    "features": {
        "key": ["feature_a", "feature_b"],
        "transformations": "Encodings, scaling, windows, and where they run.",
        "missingness_strategy": "Median for numbers, a missing category for text; why.",
        "excluded": ["id"],
    },
    "performance": {
        "predictions": "eval/predictions.csv",
        "metrics": "eval/metrics.json",
        "validation_strategy": "time_split",
        "baseline": {"metric": "roc_auc", "value": 0.70},
        "error_analysis": "Where the model fails, and why.",
        "champion": {
            "name": "my-model",
            "version": "1.4.0",
            "review_id": "my-model-1.4.0",
            "columns": {"y_pred": "champion_pred", "y_score": "champion_score"},
        },
    },
    "responsible_ai": {
        "favorable_label": 1,
        "harms": ["Who could be hurt by a wrong prediction, and how"],
        "governance": {"review_board": "model-risk-committee", "approver": "head-of-ml"},
    },
    "security": {
        "artifact": "model/model.joblib",
        "artifact_sha256": "",
        "scan_paths": ["config/"],
        "requirements": "requirements.txt",
        "threat_model": "Evasion, poisoning and extraction - what you expect and how you defend.",
        "input_validation": "How serving inputs are validated.",
    },
    "deployment": {
        "rollout": {"strategy": "canary", "stages": [5, 25, 50, 100]},
        "rollback_plan": "How to go back to the previous version, and who decides.",
        "slo": {"latency_p95_ms": 200, "availability": 99.9},
        "monitoring": {
            "latency": True,
            "drift": "psi",
            "quality": ["roc_auc"],
            "alerts": {"psi": 0.2},
        },
        "retraining_trigger": "When the model is retrained.",
        "on_call": "ml-oncall",
        "post_launch_review_days": [30, 60, 90],
        "mlops_level": 1,
    },
}


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model class inside an annotation (``X``, ``X | None``, ``list[X]``), and if a list."""
    origin = typing.get_origin(annotation)
    if origin is list:
        inner, _ = _model_in(typing.get_args(annotation)[0])
        return inner, inner is not None
    if origin in (typing.Union, types.UnionType):  # `X | None`: its first model member
        for arg in typing.get_args(annotation):
            inner, is_list = _model_in(arg)
            if inner is not None:
                return inner, is_list
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def field_description(field: FieldInfo) -> str:
    """A field's description, else (for a model-typed field) its model's docstring first line."""
    if field.description:
        return field.description
    inner, _ = _model_in(field.annotation)
    doc = (inner.__doc__ or "").strip() if inner is not None else ""
    return doc.splitlines()[0] if doc else ""


def _choices(annotation: Any) -> list[str]:
    # A Literal field's allowed values are part of the model too; listing them in the comment
    # spares the reader a trip to `gates schema`. Only the value itself (or `X | None`) counts:
    # a Literal dict key or list item would read as the field's own choices.
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    if origin in (typing.Union, types.UnionType):
        return [choice for arg in typing.get_args(annotation) for choice in _choices(arg)]
    return []


def _comment_text(field: FieldInfo) -> str:
    choices = _choices(field.annotation)
    description = field_description(field)
    return f"{description} One of: {', '.join(choices)}." if choices else description


def _flow(value: Any) -> str:
    """One value as single-line YAML (flow style), quoted only where YAML needs it."""
    text = yaml.safe_dump(
        value, default_flow_style=True, width=10_000, sort_keys=False, allow_unicode=True
    )
    return text.removesuffix("\n").removesuffix("\n...")  # the end-of-document marker


def _comment_above(comment: str, indent: str) -> list[str]:
    if not comment:
        return []
    width = MAX_WIDTH - len(indent) - 2
    wrapped = textwrap.wrap(comment, width, break_long_words=False, break_on_hyphens=False)
    return [f"{indent}# {line}" for line in wrapped]


def _with_comment(code: str, comment: str, indent: str) -> list[str]:
    """``code`` with ``comment`` trailing it, or wrapped above it when the line would be long."""
    if not comment:
        return [code]
    trailing = f"{code.ljust(COMMENT_COLUMN - 2)}  # {comment}"
    if len(trailing) <= MAX_WIDTH:
        return [trailing]
    return [*_comment_above(comment, indent), code]


def _field_of(model: type[BaseModel], name: str) -> FieldInfo:
    try:
        return model.model_fields[name]
    except KeyError:
        msg = f"template example {name!r} is not a field of {model.__name__}"
        raise ValueError(msg) from None


def _section_lines(model: type[BaseModel], examples: Mapping[str, Any], indent: str) -> list[str]:
    """The lines of every example field of ``model``, in the examples' order."""
    return [
        line
        for name, value in examples.items()
        for line in _field_lines(_field_of(model, name), name, value, indent)
    ]


def _field_lines(field: FieldInfo, name: str, value: Any, indent: str) -> list[str]:
    """One field: a block of its own fields, a list of flow mappings, or a flow value."""
    comment = _comment_text(field)
    inner, is_list = _model_in(field.annotation)
    if inner is not None and not is_list and isinstance(value, Mapping):
        body = _section_lines(inner, value, indent + "  ")
        return [*_comment_above(comment, indent), f"{indent}{name}:", *body]
    if inner is not None and is_list and value:
        items = [f"{indent}  - {_flow(item)}" for item in value]
        return [*_with_comment(f"{indent}{name}:", comment, indent), *items]
    return _with_comment(f"{indent}{name}: {_flow(value)}", comment, indent)


def render_template(examples: Mapping[str, Any] = EXAMPLES) -> str:
    """Render the dossier template: example values commented with the models' descriptions."""
    lines = list(HEADER)
    for name, value in examples.items():
        lines.append("")  # a blank line between top-level sections
        lines.extend(_field_lines(_field_of(Dossier, name), name, value, ""))
    return "\n".join(lines) + "\n"


DOSSIER_TEMPLATE: str = render_template()
