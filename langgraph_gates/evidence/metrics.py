"""The metrics JSON: per-split metrics, cross-validation scores and feature importance."""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field

from langgraph_gates._names import closest
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.predictions import KNOWN_METRICS, canonical_metric
from langgraph_gates.state import UnknownName

__all__ = ["MetricsFile", "read_metrics"]

SPLITS = ("train", "validation", "test")
MAX_METRICS_BYTES = 20_000_000


class MetricsFile(BaseModel):
    """A parsed metrics file: ``{"train": {...}, "validation": {...}, "test": {...}, "cv": ...}``."""

    splits: dict[str, dict[str, float]] = Field(default_factory=dict)
    cv: dict[str, list[float]] = Field(default_factory=dict)
    feature_importance: dict[str, float] = Field(default_factory=dict)
    unknown: list[UnknownName] = Field(
        default_factory=list,
        description="Top-level keys the format does not know, and metric names close to a "
        "known metric but not one (likely typos, e.g. roc_acu); both left out.",
    )

    @property
    def misnamed(self) -> list[UnknownName]:
        """Unknown names whose likely meaning is absent from the file: evidence misnamed."""
        return [u for u in self.unknown if u.meant_is_absent]

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
    unknown = _unknown_keys(raw, display)
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
    return MetricsFile(splits=splits, cv=cv, feature_importance=fi, unknown=unknown)


_TOP_LEVEL = (*SPLITS, "cv", "feature_importance")


def _unknown_keys(raw: dict[str, object], display: str) -> list[UnknownName]:
    """Unknown top-level keys, and metric names that look like a known metric misspelt.

    A team's own metric (``revenue_lift``) is not close to a known one and is kept quietly;
    ``roc_acu`` is, and is reported (the checks would otherwise judge another metric).
    """
    out: list[UnknownName] = []
    for key in raw:
        if key in _TOP_LEVEL:
            continue
        meant = closest(str(key), _TOP_LEVEL)
        out.append(_name(str(key), meant, meant is not None and meant not in raw, display))
    for section in (*SPLITS, "cv"):
        values = raw.get(section)
        if not isinstance(values, dict):
            continue
        present = {canonical_metric(str(k)) for k in values}
        for key in values:
            name = canonical_metric(str(key))
            if name in KNOWN_METRICS:
                continue
            meant = closest(name, KNOWN_METRICS)
            if meant is not None:
                out.append(
                    _name(f"{section}.{key}", f"{section}.{meant}", meant not in present, display)
                )
    return out


def _name(path: str, meant: str | None, absent: bool, display: str) -> UnknownName:
    return UnknownName(
        path=path,
        source=display,
        suggestion=meant,
        gate="model_performance",
        meant_is_absent=absent,
    )
