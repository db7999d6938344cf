"""The paired bootstrap of candidate-minus-champion metric differences, computed in DuckDB.

Both models are scored on the same resampled rows, so the interval of their difference is
much narrower than two separate intervals would suggest: the rows both find easy (or hard)
cancel out. Resampling is the Poisson bootstrap (each row's weight in a replicate is drawn from
Poisson(1), which approximates multinomial resampling for large n): the weight of row ``r`` in
replicate ``b`` is a function of ``hash(r, b, seed)``, so no replicate is ever materialised and
every replicate is one weighted aggregate over a streaming scan. Same seed, same file, same
DuckDB version: same interval. On a Spark table the same SQL runs translated, where ``hash`` is
xxhash64 (:mod:`~langgraph_gates.evidence.spark_sql`): other weights, so the intervals agree
with a file's within bootstrap error, while the point estimates (weight 1) are the same.

Metrics come from weighted sums (counts of a confusion matrix, sums of losses or errors); ROC
AUC comes from weighted score histograms of ``auc_bins`` equal-frequency bins per class (pairs
inside one bin count half, as tied scores do), so its value can differ from the exact AUC by
at most half the share of positive-negative pairs that fall in the same bin (about
``1 / (2 * auc_bins)``; the two models' errors largely cancel in their difference).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from langgraph_gates.errors import EvidenceError
from langgraph_gates.evidence.champion._align import PairedTable
from langgraph_gates.evidence.engine import Connection

__all__ = ["SUPPORTED_METRICS", "BootstrapSettings", "Replicates", "replicate_metrics"]

# A CDF of Poisson(1): the weight is the number of these a uniform draw exceeds.
_POISSON_CDF = (
    0.36787944117144233,
    0.7357588823428847,
    0.9196986029286058,
    0.9810118431238462,
    0.9963401531726563,
    0.9994058151824183,
    0.9999167588507935,
    0.9999897508033705,
)

Agg = Mapping[str, np.ndarray]
_MetricFn = Callable[[Agg, str], np.ndarray]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _r2(a: Agg, m: str) -> np.ndarray:
    total = a["syy"] - _ratio(a["sy"] ** 2, a["n"])
    return 1.0 - _ratio(a[f"{m}_se"], total)


_BINARY: dict[str, _MetricFn] = {
    "accuracy": lambda a, m: _ratio(a[f"{m}_ok"], a["n"]),
    "precision": lambda a, m: _ratio(a[f"{m}_tp"], a[f"{m}_pp"]),
    "recall": lambda a, m: _ratio(a[f"{m}_tp"], a["pos"]),
    "f1": lambda a, m: _ratio(2 * a[f"{m}_tp"], a[f"{m}_pp"] + a["pos"]),
    "balanced_accuracy": lambda a, m: (
        (_ratio(a[f"{m}_tp"], a["pos"]) + _ratio(a[f"{m}_ok"] - a[f"{m}_tp"], a["n"] - a["pos"]))
        / 2
    ),
}
_SCORED: dict[str, _MetricFn] = {
    "log_loss": lambda a, m: _ratio(a[f"{m}_ll"], a["n"]),
    "brier": lambda a, m: _ratio(a[f"{m}_br"], a["n"]),
    "roc_auc": lambda a, m: a[f"{m}_auc"],
}
_REGRESSION: dict[str, _MetricFn] = {
    "mae": lambda a, m: _ratio(a[f"{m}_ae"], a["n"]),
    "mse": lambda a, m: _ratio(a[f"{m}_se"], a["n"]),
    "rmse": lambda a, m: np.sqrt(_ratio(a[f"{m}_se"], a["n"])),
    "r2": _r2,
    "mape": lambda a, m: np.where(a["zeros"] > 0, np.nan, _ratio(a[f"{m}_ape"], a["n"])),
}
_MULTICLASS: dict[str, _MetricFn] = {"accuracy": _BINARY["accuracy"]}

SUPPORTED_METRICS: dict[str, tuple[str, ...]] = {
    "binary_classification": (*_BINARY, *_SCORED),
    "multiclass_classification": tuple(_MULTICLASS),
    "regression": tuple(_REGRESSION),
}
"""Metrics the paired bootstrap computes, per task (ROC AUC, log loss, Brier need both scores)."""


@dataclass(frozen=True)
class BootstrapSettings:
    """How the paired bootstrap runs: replicates, seed and ROC AUC's score bins."""

    samples: int = 200
    seed: int = 0
    auc_bins: int = 2000


@dataclass(frozen=True)
class Replicates:
    """Per grouping set and group: every metric of both models, point estimate then replicates.

    ``values[(column, group)][metric] = (candidate, champion)``, each an array whose element 0
    is the point estimate on all rows and elements 1.. are the bootstrap replicates; the
    overall rows have ``column == ""``. ``rows`` counts each group's rows.
    """

    values: dict[tuple[str, str], dict[str, tuple[np.ndarray, np.ndarray]]]
    rows: dict[tuple[str, str], int]


def _weight_sql(seed: int) -> str:
    """Poisson(1) weight of row ``rid`` in replicate ``b`` (1 for the point estimate, b = -1)."""
    u = f"(hash(rid, b, {int(seed)}) / 18446744073709551616.0)"
    steps = " + ".join(f"CAST({u} >= {p!r} AS INTEGER)" for p in _POISSON_CDF)
    return f"CASE WHEN b < 0 THEN 1 ELSE {steps} END"


def _sums(task: str, has_scores: bool) -> list[str]:
    """The weighted sums every metric of the task is computed from."""
    out = ["sum(w) AS n"]
    if task == "binary_classification":
        out.append("sum(w * y) AS pos")
        for m in ("c", "p"):
            out += [
                f"sum(w * y * {m}_pred) AS {m}_tp",
                f"sum(w * {m}_pred) AS {m}_pp",
                f"sum(w * CAST({m}_pred = y AS INTEGER)) AS {m}_ok",
            ]
            if has_scores:
                s = f"least(greatest({m}_score, 1e-15), 1 - 1e-15)"
                out += [
                    f"sum(w * -(y * ln({s}) + (1 - y) * ln(1 - {s}))) AS {m}_ll",
                    f"sum(w * ({m}_score - y) ^ 2) AS {m}_br",
                ]
    elif task == "regression":
        out += [
            "sum(w * y) AS sy",
            "sum(w * y * y) AS syy",
            "sum(w * CAST(y = 0 AS INTEGER)) AS zeros",
        ]
        for m in ("c", "p"):
            out += [
                f"sum(w * abs({m}_pred - y)) AS {m}_ae",
                f"sum(w * ({m}_pred - y) ^ 2) AS {m}_se",
                f"sum(w * CASE WHEN y = 0 THEN 0 ELSE abs(({m}_pred - y) / y) END) AS {m}_ape",
            ]
    else:
        out += [f"sum(w * CAST({m}_pred = y AS INTEGER)) AS {m}_ok" for m in ("c", "p")]
    return out


def _weighted(settings: BootstrapSettings, rows: str = "paired") -> str:
    """The resampled rows: every row of ``rows`` once per replicate, with its weight."""
    return (
        f"(SELECT *, {_weight_sql(settings.seed)} AS w FROM {rows}, "
        # unnest(range(...)) rather than the range() table function: the same BIGINTs on DuckDB,
        # and it translates to Spark (explode(sequence(...))) with the column still named b.
        f"(SELECT unnest(range(-1, {int(settings.samples)})) AS b))"
    )


def _grouping(paired: PairedTable, *extra: str) -> str:
    cols = [f"g{i}" for i in range(len(paired.groups))]
    sets = [f"(b{''.join(', ' + e for e in extra)})"]
    sets += [f"(b, {g}{''.join(', ' + e for e in extra)})" for g in cols]
    return f"GROUPING SETS ({', '.join(sets)})"


def _group_select(paired: PairedTable) -> str:
    return "".join(f", g{i}" for i in range(len(paired.groups)))


def _auc_sql(paired: PairedTable, settings: BootstrapSettings, model: str) -> str:
    """Per replicate and group: AUC from weighted score histograms of positives and negatives.

    Bins are equal-frequency on all rows (by rank, so tied scores share a bin): the histogram
    has at most ``auc_bins`` cells per class whatever the number of rows, and pairs inside one
    cell (counted half, like ties) are at most about ``1 / auc_bins`` of all pairs.
    """
    gs = _group_select(paired)
    bins = int(settings.auc_bins)
    ranked = (
        f"(SELECT *, floor((rank() OVER (ORDER BY {model}_score) - 1) * {bins} / "
        "count(*) OVER ()) AS bin FROM paired)"
    )
    return (
        f"WITH h AS (SELECT b{gs}, bin, sum(w * y) AS pos, sum(w * (1 - y)) AS neg "
        f"FROM {_weighted(settings, ranked)} WHERE w > 0 GROUP BY {_grouping(paired, 'bin')}), "
        f"c AS (SELECT *, coalesce(sum(neg) OVER (PARTITION BY b{gs} ORDER BY bin ROWS BETWEEN "
        "UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS neg_below FROM h) "
        f"SELECT b{gs}, sum(pos * (neg_below + 0.5 * neg)) / nullif(sum(pos) * sum(neg), 0) "
        f"AS auc FROM c GROUP BY b{gs}"
    )


def _key_of(row: Sequence[object], groups: Sequence[str]) -> tuple[str, str]:
    """The grouping set a result row belongs to: ``("", "")`` overall, else (column, group)."""
    for col, value in zip(groups, row, strict=True):
        if value is not None:
            return col, str(value)
    return "", ""


def _collect(
    con: Connection, sql: str, groups: Sequence[str], samples: int
) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """Run an aggregate query: per group key, each column as an array indexed by ``b + 1``.

    A replicate a group does not appear in (every one of its rows drew weight 0) stays NaN.
    """
    data = con.execute(sql).fetchnumpy()
    gcols = [f"g{i}" for i in range(len(groups))]
    names = [k for k in data if k != "b" and k not in gcols]
    slots = np.asarray(data["b"], dtype=np.int64) + 1
    labels = list(zip(*(np.ma.asarray(data[g], dtype=object).tolist() for g in gcols), strict=True))
    keys = [_key_of(lab, groups) for lab in labels] if gcols else [("", "")] * len(slots)
    out: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    columns: dict[str, np.ndarray] = {
        n: np.ma.filled(np.ma.asarray(data[n], dtype=float), np.nan) for n in names
    }
    for r, key in enumerate(keys):
        target = out.setdefault(key, {n: np.full(samples + 1, np.nan) for n in names})
        for n in names:
            target[n][slots[r]] = columns[n][r]
    return out


def _check_binary(con: Connection, paired: PairedTable, display: str) -> None:
    row = con.execute(
        "SELECT count(*) FILTER (WHERE y NOT IN (0, 1)), "
        "count(*) FILTER (WHERE c_pred NOT IN (0, 1) OR p_pred NOT IN (0, 1)) FROM paired"
    ).fetchone()
    if paired.text_labels or (row is not None and (row[0] or row[1])):
        msg = "binary y_true and y_pred must be 0/1 (or booleans) to compare with the champion"
        raise EvidenceError(msg, source=display, field="y_true")


def replicate_metrics(
    con: Connection,
    paired: PairedTable,
    *,
    task: str,
    metrics: Sequence[str],
    settings: BootstrapSettings,
    display: str,
) -> Replicates:
    """Both models' metrics on all rows and on every bootstrap replicate, overall and per group.

    Raises:
        EvidenceError: labels or decisions do not fit the task (e.g. a binary label of 2).
    """
    if task == "binary_classification":
        _check_binary(con, paired, display)
    elif task == "regression" and paired.text_labels:
        raise EvidenceError("y_true holds text; a regression needs numbers", source=display)
    gs = _group_select(paired)
    sums = ", ".join(_sums(task, paired.has_scores))
    sql = (
        f"SELECT b{gs}, {sums} FROM {_weighted(settings)} WHERE w > 0 GROUP BY {_grouping(paired)}"
    )
    agg = _collect(con, sql, paired.groups, settings.samples)
    if "roc_auc" in metrics and paired.has_scores and task == "binary_classification":
        for model in ("c", "p"):
            for key, cols in _collect(
                con, _auc_sql(paired, settings, model), paired.groups, settings.samples
            ).items():
                agg.setdefault(key, {})[f"{model}_auc"] = cols["auc"]
    table = (
        {**_BINARY, **_SCORED}
        if task == "binary_classification"
        else (_REGRESSION if task == "regression" else _MULTICLASS)
    )
    values = {
        key: {name: (table[name](a, "c"), table[name](a, "p")) for name in metrics if name in table}
        for key, a in agg.items()
    }
    rows = {
        key: int(a["n"][0]) if len(a["n"]) and not math.isnan(a["n"][0]) else 0
        for key, a in agg.items()
    }
    return Replicates(values=values, rows=rows)
