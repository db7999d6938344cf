"""How strongly each feature predicts a sensitive attribute: the statistics behind FE.PROXY.

For one sensitive attribute (a column of the training data) and every feature,
:func:`proxy_report` -> :class:`ProxyReport` measures, on the bounded deterministic sample that
FE.TARGET_LEAKAGE draws (rows keyed on their position in a file, on their row hash in a Spark
table, so the same data gives the same sample on every run):

* the **symmetrised AUC** of the feature predicting the attribute (macro one-vs-rest for an
  attribute with more than two values), computed by
  :func:`langgraph_gates.evidence.leakage.separation_report` with the attribute as the label;
  an attribute with more than ``max_classes`` values that is numeric (an age in years) gets no
  AUC, since one-vs-rest over its values means nothing;
* the **bias-corrected Cramér's V** (Bergsma 2013) of the feature against the attribute:
  numeric, boolean and date values are cut into quantile bins of the sample, categories beyond
  the ``max_categories`` most frequent share one bin, a missing value is a bin of its own (so
  that a feature missing for one group only is seen). A many-valued numeric attribute is binned
  the same way. The correction keeps an ID-like feature (one row per value) near 0 instead of 1.

Only the sample comes back to Python, as numbers (categories as 64-bit hashes of their text).
The same SQL runs on a file (DuckDB) or a Spark table (translated); see
:mod:`~langgraph_gates.evidence.leakage` for what agrees exactly between the engines. Here,
below the sample size: Cramér's V of numeric features and of up to ``max_categories``
categories agrees to float rounding; beyond that many categories, which ones share the last bin
among equally frequent ones follows the hash order, which differs; the AUC of a categorical
feature is out-of-fold and agrees within the tolerance stated there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from langgraph_gates.evidence._duck import ident
from langgraph_gates.evidence.engine import Connection, Table
from langgraph_gates.evidence.leakage import separation_report
from langgraph_gates.evidence.tabular import (
    Family,
    label_key_expr,
    numeric_expr,
    run_scan,
    sample_threshold,
    text_expr,
    type_family,
)

__all__ = ["FeatureAssociation", "ProxyReport", "contingency", "cramers_v", "proxy_report"]

_BINNED = ("numeric", "temporal", "boolean")


class FeatureAssociation(BaseModel):
    """How strongly one feature predicts one sensitive attribute."""

    feature: str
    family: Family
    cramers_v: float | None = Field(
        default=None, description="Bias-corrected Cramér's V (Bergsma); None: not measured."
    )
    auc: float | None = Field(
        default=None,
        description="Symmetrised AUC of the feature predicting the attribute (macro "
        "one-vs-rest); None: not measured.",
    )
    note: str | None = Field(default=None, description="Why a statistic was not measured.")


class ProxyReport(BaseModel):
    """Association of every feature with one sensitive attribute, on a bounded sample."""

    attribute: str
    attribute_values: int = Field(description="Distinct non-missing values of the attribute.")
    classes: list[str] = Field(
        default_factory=list, description="Attribute values scored one-vs-rest for the AUC."
    )
    attribute_binned: bool = Field(
        default=False, description="A many-valued numeric attribute cut into quantile bins."
    )
    rows_total: int = Field(description="Training rows where the attribute is present.")
    rows_sampled: int = Field(description="Of those, rows in the sample.")
    sample_limit: int = Field(description="The policy's sample size (rows, about).")
    bins: int = Field(description="Quantile bins of a numeric feature.")
    features: list[FeatureAssociation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def cramers_v(table: NDArray[np.float64]) -> float | None:
    """Bias-corrected Cramér's V of a contingency table (Bergsma 2013); ``None`` if undefined.

    Empty rows and columns are dropped first (a bin nobody falls in is no category).
    """
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = float(table.sum())
    r, k = table.shape
    if n < 2 or r < 2 or k < 2:
        return None
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    r_corr = r - (r - 1) ** 2 / (n - 1)
    k_corr = k - (k - 1) ** 2 / (n - 1)
    denominator = min(k_corr - 1, r_corr - 1)
    if denominator <= 0:
        return None
    return float(min(1.0, np.sqrt(phi2 / denominator)))


def _quantile_bins(x: NDArray[np.float64], bins: int) -> NDArray[np.int64]:
    """Bin index of each value at the sample's quantiles; a missing value gets its own bin."""
    present = ~np.isnan(x)
    codes = np.full(x.size, bins + 1, dtype=np.int64)
    if present.any():
        # Unique inner edges: a value that fills several quantiles is one bin, never split.
        edges = np.unique(np.quantile(x[present], np.linspace(0, 1, bins + 1)[1:-1]))
        codes[present] = np.searchsorted(edges, x[present], side="right")
    return codes


def _category_bins(hashed: NDArray[Any], max_categories: int) -> NDArray[np.int64]:
    """Code of each row's category; categories beyond the most frequent share one code."""
    _, inverse, counts = np.unique(np.asarray(hashed), return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if counts.size <= max_categories:
        return inverse.astype(np.int64)
    ranked = np.argsort(-counts, kind="stable")
    code = np.full(counts.size, max_categories, dtype=np.int64)
    code[ranked[:max_categories]] = np.arange(max_categories)
    return code[inverse]


def contingency(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
    """Counts of each (a, b) code pair, as a table with one row per distinct ``a``."""
    a_values, a_codes = np.unique(a, return_inverse=True)
    b_values, b_codes = np.unique(b, return_inverse=True)
    table = np.zeros((a_values.size, b_values.size), dtype=np.float64)
    np.add.at(table, (a_codes.reshape(-1), b_codes.reshape(-1)), 1.0)
    return table


def _select(name: str, dtype: str) -> str | None:
    """SQL for a feature as the sample should hold it: a number, or the hash of its text."""
    family = type_family(dtype)
    if family in _BINNED:
        return numeric_expr(name, dtype)
    if family == "categorical":
        return f"hash({text_expr(name, dtype)})"
    return None


def _sample(
    train: Table,
    exprs: dict[str, str],
    attribute_sql: str,
    present_sql: str,
    present_rows: int,
    sample_rows: int,
) -> dict[str, NDArray[Any]]:
    """The rows of the sample where the attribute is present, in row-key order (file order for a file).

    The same Bernoulli sample as ``separation_report`` draws (same hash threshold on the same
    row key), so AUC and Cramér's V are measured on the same rows.
    """
    threshold = sample_threshold(present_rows, sample_rows)
    where = [f"({present_sql}) IS NOT NULL"]
    if threshold is not None:
        where.append(f"hash({train.row_key}) < {threshold}::UBIGINT")
    select = [f"{sql} AS {ident('f_' + name)}" for name, sql in exprs.items()]
    select += [f"{attribute_sql} AS __attribute", f"{train.row_key} AS __row"]
    query = f"SELECT {', '.join(select)} FROM {train.relation} WHERE {' AND '.join(where)}"

    def work(con: Connection) -> dict[str, NDArray[Any]]:
        raw = con.execute(query).fetchnumpy()
        # Threads deliver rows in any order; sorting by position makes every run identical.
        order = np.argsort(np.asarray(np.ma.getdata(raw["__row"])), kind="stable")
        return {key: values[order] for key, values in raw.items()}

    sample: dict[str, NDArray[Any]] = run_scan([train], work)
    return sample


def _floats(values: NDArray[Any]) -> NDArray[np.float64]:
    return np.asarray(np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan))


def _attribute_values(train: Table, attribute: str, limit: int) -> tuple[list[str], int, int]:
    """Most frequent attribute values (at most ``limit`` + 1), distinct count, present rows."""
    key = label_key_expr(attribute, train.dtype(attribute) or "VARCHAR")
    query = (
        f"WITH c AS (SELECT {key} AS k, count(*) AS n FROM {train.relation} "
        f"WHERE {key} IS NOT NULL GROUP BY 1) "
        "SELECT k, n, count(*) OVER (), sum(n) OVER () FROM c ORDER BY n DESC, k "
        f"LIMIT {limit + 1}"
    )
    rows = run_scan([train], lambda con: con.execute(query).fetchall())
    if not rows:
        return [], 0, 0
    return [str(r[0]) for r in rows], int(rows[0][2]), int(rows[0][3])


def _attribute_codes(
    sample: dict[str, NDArray[Any]], binned: bool, bins: int, max_categories: int
) -> NDArray[np.int64]:
    raw = sample["__attribute"]
    if binned:
        return _quantile_bins(_floats(raw), bins)
    return _category_bins(np.asarray(np.ma.getdata(raw)), max_categories)


def _feature_codes(
    column: NDArray[Any], family: Family, bins: int, max_categories: int
) -> NDArray[np.int64]:
    if family in _BINNED:
        return _quantile_bins(_floats(column), bins)
    # A null category hashes to one value of its own: missing is a category here.
    return _category_bins(np.asarray(np.ma.getdata(column)), max_categories)


def _aucs(
    train: Table,
    attribute: str,
    judged: list[tuple[str, Family]],
    classes: list[str],
    present_rows: int,
    sample_rows: int,
) -> dict[str, tuple[float | None, str | None]]:
    """Symmetrised AUC of each feature predicting the attribute (the leakage statistic)."""
    if len(classes) < 2 or not judged:
        return {}
    report = separation_report(
        train,
        None,  # out-of-fold category rates: the attribute need not be in the validation file
        label=attribute,
        features=judged,
        metric="auc",
        # Binary: one-vs-rest on either value gives the same symmetrised AUC.
        classes=classes[-1:] if len(classes) == 2 else classes,
        labelled_rows=present_rows,
        sample_rows=sample_rows,
    )
    return {f.feature: (f.score, f.note) for f in report.features}


def proxy_report(
    train: Table,
    *,
    attribute: str,
    features: Sequence[tuple[str, Family]],
    sample_rows: int = 200_000,
    bins: int = 10,
    max_classes: int = 50,
    max_categories: int = 50,
) -> ProxyReport:
    """Cramér's V and AUC of every feature against one sensitive attribute (FE.PROXY).

    Args:
        train: the training data, a file or a Spark table (it has the ``attribute`` column).
        attribute: the sensitive attribute.
        features: ``(name, family)`` of each feature to measure.
        sample_rows: rows (about) to sample where the attribute is present.
        bins: quantile bins of a numeric feature (and of a many-valued numeric attribute).
        max_classes: an attribute with more values is not scored by AUC when numeric (it is
            binned), and by its ``max_classes`` most frequent values otherwise.
        max_categories: most frequent categories of a feature kept apart for Cramér's V.

    Raises:
        EvidenceError: the file or table cannot be scanned.
    """
    dtype = train.dtype(attribute) or "VARCHAR"
    values, n_values, present_rows = _attribute_values(train, attribute, max_classes)
    binned = n_values > max_classes and type_family(dtype) in _BINNED
    classes = [] if binned else values[:max_classes]
    notes: list[str] = []
    if binned:
        notes.append(
            f"{attribute} has {n_values:,} values: cut into {bins} quantile bins for Cramér's "
            "V; no AUC"
        )
    exprs = {
        name: sql
        for name, _ in features
        if (sql := _select(name, train.dtype(name) or "NULL")) is not None
    }
    judged = [(n, f) for n, f in features if n in exprs]
    key = label_key_expr(attribute, dtype)
    # hash(NULL) is not NULL: presence is tested on the value itself, as the AUC's sample does.
    attribute_sql = (numeric_expr(attribute, dtype) or key) if binned else f"hash({key})"
    sample = _sample(train, exprs, attribute_sql, key, present_rows, sample_rows)
    attribute_codes = _attribute_codes(sample, binned, bins, max_categories)
    aucs = _aucs(train, attribute, judged, classes, present_rows, sample_rows)
    results = []
    for name, family in features:
        if name not in exprs:
            note = f"type {train.dtype(name)} not measured"
            results.append(FeatureAssociation(feature=name, family=family, note=note))
            continue
        codes = _feature_codes(sample[f"f_{name}"], family, bins, max_categories)
        v = cramers_v(contingency(codes, attribute_codes))
        auc, auc_note = aucs.get(name, (None, None))
        why = None if v is not None else "constant, one attribute value, or too few rows"
        results.append(
            FeatureAssociation(
                feature=name, family=family, cramers_v=v, auc=auc, note=why or auc_note
            )
        )
    return ProxyReport(
        attribute=attribute,
        attribute_values=n_values,
        classes=classes,
        attribute_binned=binned,
        rows_total=present_rows,
        rows_sampled=int(attribute_codes.size),
        sample_limit=sample_rows,
        bins=bins,
        features=results,
        notes=notes,
    )
