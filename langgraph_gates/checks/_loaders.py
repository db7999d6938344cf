"""Loaders and small helpers that the check modules share (private).

The data, leakage, column, proxy and metrics-file checks read the same dossier files; they get
them from here, through the evidence store, so each file is profiled once per review and its
failure (an :class:`~langgraph_gates.errors.EvidenceError`) is computed once and reused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from langgraph_gates.checks.base import CheckContext
from langgraph_gates.dossier import TableRef
from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.engine import Table
from langgraph_gates.evidence.spark_table import SparkTable, open_spark_table
from langgraph_gates.evidence.tabular import TableProfile, open_table, profile_table
from langgraph_gates.state import EvidenceRef

__all__ = [
    "DataFile",
    "TargetKind",
    "cached_over_data",
    "column_refs",
    "data_source",
    "missing_fractions",
    "name_list",
    "open_data",
    "referenced",
    "rounded",
    "serving_profile",
    "target_kind",
    "train_profile",
    "validation_profile",
]

DataFile = Literal["train", "validation", "test", "serving"]
TargetKind = Literal["classification", "regression"]

_CLASSIFICATION = frozenset({"binary_classification", "multiclass_classification"})
_NUMERIC_TARGET = frozenset({"regression", "forecasting", "ranking"})
M = TypeVar("M", bound=BaseModel)
_LISTED = 8  # names shown in a message before "and N more"


# --- loading -----------------------------------------------------------------------------------


def referenced(ctx: CheckContext, name: DataFile) -> bool:
    """Whether the dossier references this data (a file or a table)."""
    return bool(getattr(ctx.dossier.data, name))


def data_source(ctx: CheckContext, name: DataFile) -> str:
    """How findings name the data: the dossier's path of a file, ``spark:<name>`` of a table."""
    return str(getattr(ctx.dossier.data, name) or f"data.{name}")


def _data_path(ctx: CheckContext, name: DataFile) -> Path:
    """The resolved path of a referenced data file (not a table).

    Raises:
        EvidenceError: the path leaves the dossier's folder.
    """
    value = getattr(ctx.dossier.data, name)
    assert isinstance(value, str) and value  # callers test referenced() and TableRef first
    return ctx.path(f"data.{name}", value)


def _spark_table(ctx: CheckContext, name: DataFile, ref: TableRef) -> SparkTable:
    # No file to hash: a table's failure is remembered for this review only (attempt()), and
    # its profile is never cached on disk (the table may change between reviews).
    return ctx.evidence.attempt(
        "open-spark-table", [], lambda: open_spark_table(ref.table), params=str(ref)
    )


def open_data(ctx: CheckContext, name: DataFile) -> Table | None:
    """Open the data the dossier references (a file or a Spark table); ``None`` when none.

    Raises:
        EvidenceError: the data is referenced but cannot be used.
    """
    value = getattr(ctx.dossier.data, name)
    if isinstance(value, TableRef):
        return _spark_table(ctx, name, value)
    if not value:
        return None
    path, display = _data_path(ctx, name), value
    nulls = ctx.policy.data.csv_null_values
    # A file that cannot be opened fails once per review; the checks after share its error.
    return ctx.evidence.attempt(
        "open-table",
        [path],
        lambda: open_table(path, display, null_values=nulls),
        params=json.dumps([display, list(nulls)]),
    )


def cached_over_data(
    ctx: CheckContext,
    name: str,
    data: Sequence[DataFile],
    model: type[M],
    compute: Callable[[], M],
    *,
    params: dict[str, Any],
    tolerated: Sequence[DataFile] = (),
) -> M:
    """Evidence computed over the dossier's data (files or tables), through the evidence store.

    Over files only, the key holds their content hashes and the result is cached on disk, as
    any evidence. A table has no content hash: when any of ``data`` is a table, the key holds
    what opening each one reads (its name, columns and row count) and the result stays in
    memory, for this review only (the table may change between reviews).

    Args:
        ctx: the check's context.
        name: what is computed (part of the key).
        data: the data it reads; those not referenced are left out.
        model: the Pydantic type of the result.
        compute: computes the result.
        params: anything else the result depends on.
        tolerated: of ``data``, those whose failure to open ``compute`` handles itself (it
            reads them as absent, with a note): their failure is part of the key, not raised.

    Raises:
        EvidenceError: a file's path leaves the dossier's folder, or a table cannot be opened.
    """
    used = [n for n in data if referenced(ctx, n)]
    if not any(isinstance(getattr(ctx.dossier.data, n), TableRef) for n in used):
        files = [_data_path(ctx, n) for n in used]
        key = json.dumps(params, sort_keys=True)
        return ctx.evidence.cached(name, files, model, compute, params=key)
    opened = [_opened_key(ctx, n, tolerate=n in tolerated) for n in used]
    key = json.dumps({**params, "tables": opened}, sort_keys=True)
    return ctx.evidence.cached(name, [], model, compute, params=key, persist=False)


def _opened_key(ctx: CheckContext, name: DataFile, *, tolerate: bool) -> list[Any]:
    try:
        table = open_data(ctx, name)
    except EvidenceError as exc:
        if not tolerate:
            raise
        return [data_source(ctx, name), exc.one_line()]
    assert table is not None  # referenced
    return [table.display, table.columns, table.n_rows]


def _profile_params(ctx: CheckContext, mode: str, display: str) -> dict[str, Any]:
    d = ctx.dossier
    return {
        "mode": mode,
        "display": display,
        "label": d.data.label,
        "timestamp": d.data.timestamp,
        "excluded": sorted(d.features.excluded),
    }


def _profile(
    ctx: CheckContext, name: DataFile, mode: Literal["reference", "compare", "basic"]
) -> TableProfile | None:
    if not referenced(ctx, name):
        return None
    reference = train_profile(ctx) if mode == "compare" else None
    d, pol = ctx.dossier, ctx.policy.data

    def compute() -> TableProfile:
        table = open_data(ctx, name)
        assert table is not None  # referenced, checked above
        reference_table = open_data(ctx, "train") if mode == "compare" else None
        return profile_table(
            table,
            label=d.data.label,
            timestamp=d.data.timestamp,
            excluded=d.features.excluded,
            mode=mode,
            reference=reference,
            reference_table=reference_table,
            psi_bins=pol.psi_bins,
            max_categories=pol.psi_max_categories,
            quantile_sample_rows=pol.quantile_sample_rows,
        )

    data: list[DataFile] = [name, "train"] if mode == "compare" else [name]
    params = _profile_params(ctx, mode, data_source(ctx, name))
    return cached_over_data(ctx, "tabular-profile", data, TableProfile, compute, params=params)


def train_profile(ctx: CheckContext) -> TableProfile | None:
    """The training file's reference profile (cached); ``None`` when none is referenced.

    Raises:
        EvidenceError: the file is referenced but cannot be used.
    """
    return _profile(ctx, "train", "reference")


def serving_profile(ctx: CheckContext) -> TableProfile | None:
    """The serving file's profile in the training file's bins; ``None`` without serving data.

    Raises:
        EvidenceError: the serving or training file cannot be used.
    """
    if not referenced(ctx, "serving") or not referenced(ctx, "train"):
        return None
    return _profile(ctx, "serving", "compare")


def validation_profile(ctx: CheckContext) -> TableProfile | None:
    """The validation file's basic profile (cached); ``None`` when none is referenced.

    Raises:
        EvidenceError: the file is referenced but cannot be used.
    """
    return _profile(ctx, "validation", "basic")


def target_kind(ctx: CheckContext) -> TargetKind | None:
    """``classification`` or ``regression`` from ``model.task``; ``None`` when it is neither."""
    task = ctx.dossier.model.task
    if task in _CLASSIFICATION:
        return "classification"
    if task in _NUMERIC_TARGET:
        return "regression"
    return None


# --- helpers ------------------------------------------------------------------------------


def name_list(items: Sequence[str], limit: int = _LISTED) -> str:
    """Names joined by commas, at most ``limit`` of them, then "and N more"."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def column_refs(
    source: str, columns: Sequence[str] = (), limit: int = _LISTED
) -> list[EvidenceRef]:
    """Evidence references to a file's columns (the file alone when none is given)."""
    if not columns:
        return [EvidenceRef(source=source)]
    return [EvidenceRef(source=source, column=c) for c in columns[:limit]]


def rounded(value: float) -> float:
    """A measured value rounded for the report (6 decimals)."""
    return round(float(value), 6)


def missing_fractions(ctx: CheckContext, profile: TableProfile) -> dict[str, Any]:
    """Missing shares of the judged features (key features, else all) and of the others."""
    key = list(dict.fromkeys(ctx.dossier.features.key))
    features = {c.name: c for c in profile.features}
    judged_names = key or list(features)
    absent = [k for k in judged_names if k not in profile.column_names]
    fractions: dict[str, float] = {}
    for name in judged_names:
        col = profile.column(name)
        fractions[name] = 1.0 if col is None else rounded(col.n_missing / profile.n_rows)
    others = {
        name: rounded(c.n_missing / profile.n_rows)
        for name, c in features.items()
        if name not in fractions and c.n_missing > 0
    }
    return {"judged": judged_names, "fractions": fractions, "others": others, "absent": absent}
