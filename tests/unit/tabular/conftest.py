"""Fixtures for the tabular evidence tests: small real CSV/Parquet files in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

WriteTable = Callable[..., str]


def write_parquet(folder: Path, name: str, columns: Mapping[str, Any]) -> str:
    """Write columns (lists or arrays; None is null) as a Parquet file; return its name."""
    arrays = {}
    for key, values in columns.items():
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            # NaN stays NaN in a float column: the profile must count it as missing too.
            arrays[key] = pa.array(values, from_pandas=False)
        else:
            arrays[key] = pa.array(list(values) if isinstance(values, np.ndarray) else values)
    pq.write_table(pa.table(arrays), folder / name)
    return name


@pytest.fixture
def parquet(tmp_path: Path) -> WriteTable:
    """``parquet(name, {column: values})`` writes a Parquet file under the test folder."""

    def write(name: str, columns: Mapping[str, Any]) -> str:
        return write_parquet(tmp_path, name, columns)

    return write


@pytest.fixture
def raw(tmp_path: Path) -> Callable[[str, str | bytes], str]:
    """``raw(name, text_or_bytes)`` writes a file as given (bad evidence)."""

    def write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return name

    return write


def data_dossier(
    *,
    train: str | None = None,
    validation: str | None = None,
    serving: str | None = None,
    label: str | None = "y",
    task: str | None = "binary_classification",
    timestamp: str | None = None,
    excluded: list[str] | None = None,
    key: list[str] | None = None,
    sensitive: list[str] | None = None,
    strategy: str | None = None,
    validation_strategy: str | None = None,
) -> dict[str, Any]:
    """A dossier mapping with only the fields the data and leakage checks read."""
    data: dict[str, Any] = {
        k: v
        for k, v in {
            "train": train,
            "validation": validation,
            "serving": serving,
            "label": label,
            "timestamp": timestamp,
            "sensitive_attributes": sensitive,
        }.items()
        if v is not None
    }
    features: dict[str, Any] = {"excluded": excluded or [], "key": key or []}
    if strategy is not None:
        features["missingness_strategy"] = strategy
    out: dict[str, Any] = {"data": data, "features": features}
    if task is not None:
        out["model"] = {"task": task}
    if validation_strategy is not None:
        out["performance"] = {"validation_strategy": validation_strategy}
    return out
