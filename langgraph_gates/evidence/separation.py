"""How well one feature alone separates the target: the statistics behind FE.TARGET_LEAKAGE.

Pure NumPy functions over in-memory arrays (a bounded sample of the data, see
:mod:`langgraph_gates.evidence.tabular`):

* :func:`auc`: ROC AUC of a score against a binary outcome, from average ranks (the
  Mann-Whitney U statistic), so ties count one half, as in ``sklearn.metrics.roc_auc_score``;
* :func:`symmetric_auc`: ``max(auc, 1 - auc)``, because a feature that ranks the classes in
  reverse order separates them just as well;
* :func:`spearman`: Spearman's rank correlation (Pearson on average ranks);
* :func:`target_rates` / :func:`out_of_fold_rates`: the target rate of each category learned on
  one set of rows and applied to others, so that a category seen once (an ID) does not
  "predict" its own label.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["auc", "average_ranks", "out_of_fold_rates", "spearman", "symmetric_auc", "target_rates"]


def average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks with ties sharing their average rank (``scipy.stats.rankdata``'s default).

    Written with NumPy so that importing the package does not pull in ``scipy.stats`` (about
    two seconds of every CLI start-up). Callers pass finite values.
    """
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    bounds = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1], [True])))
    mean_rank = (bounds[:-1] + bounds[1:] - 1) / 2.0 + 1.0
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, np.diff(bounds))
    return ranks


def auc(score: NDArray[np.float64], positive: NDArray[np.bool_]) -> float | None:
    """ROC AUC of ``score`` for ``positive``; ``None`` when one class is absent.

    Ties in ``score`` count one half (average ranks).
    """
    n_pos = int(positive.sum())
    n_neg = int(positive.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = average_ranks(score)
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def symmetric_auc(score: NDArray[np.float64], positive: NDArray[np.bool_]) -> float | None:
    """``max(auc, 1 - auc)``: separation regardless of direction; ``None`` as :func:`auc`."""
    value = auc(score, positive)
    return None if value is None else max(value, 1.0 - value)


def spearman(x: NDArray[np.float64], y: NDArray[np.float64]) -> float | None:
    """Spearman's rho (average ranks for ties); ``None`` when either side is constant."""
    if x.size < 3:
        return None
    rx = average_ranks(x)
    ry = average_ranks(y)
    sx, sy = rx.std(), ry.std()
    if sx == 0 or sy == 0:
        return None
    return float(((rx - rx.mean()) * (ry - ry.mean())).mean() / (sx * sy))


def target_rates(
    codes: NDArray[np.int64],
    target: NDArray[np.float64],
    n_codes: int,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Mean target per category code, and which codes were seen at all.

    Args:
        codes: category code of each row, in ``0 .. n_codes-1``.
        target: the value to average (a 0/1 class indicator, or a numeric label).
        n_codes: number of distinct codes.
    """
    counts = np.bincount(codes, minlength=n_codes).astype(np.float64)
    sums = np.bincount(codes, weights=target, minlength=n_codes)
    seen = counts > 0
    rates = np.divide(sums, counts, out=np.zeros(n_codes), where=seen)
    return rates, seen


def out_of_fold_rates(
    codes: NDArray[np.int64],
    target: NDArray[np.float64],
    folds: NDArray[np.int64],
    n_codes: int,
) -> NDArray[np.float64]:
    """Each row's category target rate learned on the other folds (global rate if unseen there).

    Args:
        codes: category code of each row, in ``0 .. n_codes-1``.
        target: the value to average per category.
        folds: the fold of each row (small non-negative integers).
        n_codes: number of distinct codes.
    """
    out = np.empty(codes.size, dtype=np.float64)
    total_count = np.bincount(codes, minlength=n_codes).astype(np.float64)
    total_sum = np.bincount(codes, weights=target, minlength=n_codes)
    for fold in np.unique(folds):
        inside = folds == fold
        count = total_count - np.bincount(codes[inside], minlength=n_codes)
        sums = total_sum - np.bincount(codes[inside], weights=target[inside], minlength=n_codes)
        outside = ~inside
        prior = float(target[outside].mean()) if outside.any() else float(target.mean())
        rates = np.divide(sums, count, out=np.full(n_codes, prior), where=count > 0)
        out[inside] = rates[codes[inside]]
    return out
