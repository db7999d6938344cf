"""The metrics JSON: per-split metrics, cross-validation scores and feature importance."""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field

from langgraph_gates.errors import EvidenceError

__all__ = ["MetricsFile", "read_metrics"]

SPLITS = ("train", "validation", "test")
MAX_METRICS_BYTES = 20_000_000


class MetricsFile(BaseModel):
    """A parsed metrics file: ``{"train": {...}, "validation": {...}, "test": {...}, "cv": ...}``."""

    splits: dict[str, dict[str, float]] = Field(default_factory=dict)
    cv: dict[str, list[float]] = Field(default_factory=dict)
    feature_importance: dict[str, float] = Field(default_factory=dict)

    def metric(self, split: str, name: str) -> float | None:
        """The value of a metric on a split, if reported."""
        return self.splits.get(split, {}).get(name)


def _number(value: object, where: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"expected a number, got {type(value).__name__} {value!r:.40}"
        raise EvidenceError(msg, source=source, field=where)
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise EvidenceError(f"expected a finite number, got {value}", source=source, field=where)
    return number


def read_metrics(path: Path, *, display: str) -> MetricsFile:
    """Read and validate a metrics JSON file.

    Raises:
        EvidenceError: the file is missing, not JSON, or holds non-numeric metrics.
    """
    if not path.is_file():
        raise EvidenceError("metrics file not found", source=display)
    if path.stat().st_size > MAX_METRICS_BYTES:
        raise EvidenceError("metrics file is larger than 20 MB", source=display)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise EvidenceError("metrics file is not UTF-8 text", source=display) from None
    except json.JSONDecodeError as exc:
        msg = f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise EvidenceError(msg, source=display) from None
    except ValueError as exc:  # e.g. an integer longer than Python's 4,300-digit limit
        msg = f"not valid JSON ({' '.join(str(exc).split())[:120]})"
        raise EvidenceError(msg, source=display) from None
    except RecursionError:
        raise EvidenceError("JSON nests too deeply", source=display) from None
    if not isinstance(raw, dict):
        raise EvidenceError("metrics file must hold a JSON object", source=display)
    splits: dict[str, dict[str, float]] = {}
    for split in SPLITS:
        values = raw.get(split)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise EvidenceError("expected an object of metrics", source=display, field=split)
        splits[split] = {str(k): _number(v, f"{split}.{k}", display) for k, v in values.items()}
    cv: dict[str, list[float]] = {}
    raw_cv = raw.get("cv") or {}
    if not isinstance(raw_cv, dict):
        raise EvidenceError("expected an object of score lists", source=display, field="cv")
    for name, scores in raw_cv.items():
        if not isinstance(scores, list):
            raise EvidenceError("expected a list of scores", source=display, field=f"cv.{name}")
        cv[str(name)] = [_number(s, f"cv.{name}[{i}]", display) for i, s in enumerate(scores)]
    raw_fi = raw.get("feature_importance") or {}
    if not isinstance(raw_fi, dict):
        raise EvidenceError(
            "expected an object of feature -> importance",
            source=display,
            field="feature_importance",
        )
    fi = {str(k): _number(v, f"feature_importance.{k}", display) for k, v in raw_fi.items()}
    return MetricsFile(splits=splits, cv=cv, feature_importance=fi)
