"""The population stability index (PSI), with the binning fixed by the policy.

PSI compares how a feature's values spread over bins in a reference (training) sample and a
current (serving) sample::

    PSI = sum over bins of (q_i - p_i) * ln(q_i / p_i)

where ``p_i`` and ``q_i`` are the reference and current shares of bin ``i``. A share of zero is
replaced by a fixed ``epsilon`` (no renormalisation), so an empty bin contributes a finite
amount and two empty bins contribute nothing. Values move with the binning (0.07 -> 0.11 for 5
-> 50 bins on the same shift), so the method, the number of bins and ``epsilon`` are policy
values (:class:`~langgraph_gates.policy.DataPolicy`), recorded next to every PSI reported.

Bins:

* numeric (and date/time, as epoch seconds): the reference's quantiles at ``1/k .. (k-1)/k``
  (linear interpolation, as ``numpy.quantile`` and DuckDB's ``quantile_cont``), duplicates and
  non-finite values dropped; bin ``i`` holds ``edges[i-1] < x <= edges[i]``, the first bin
  everything up to ``edges[0]``, the last everything above ``edges[-1]``;
* categorical (and boolean): each of the reference's most frequent categories (up to
  ``psi_max_categories``) is a bin; the reference's other (rarer) categories share one bin, and
  values the reference never has (unseen categories) share another;
* missing values (null or NaN) are one more bin in both cases, so a change in missingness is
  drift too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["clean_edges", "psi", "quantile_levels", "shares"]


def quantile_levels(bins: int) -> list[float]:
    """The quantile levels that cut ``bins`` equal-mass bins: ``1/bins .. (bins-1)/bins``."""
    if bins < 2:
        msg = f"bins must be >= 2, got {bins}"
        raise ValueError(msg)
    return [i / bins for i in range(1, bins)]


def clean_edges(edges: Iterable[float | None]) -> list[float]:
    """Sorted, distinct, finite bin edges (ties in the reference collapse bins)."""
    out = sorted({float(e) for e in edges if e is not None and math.isfinite(float(e))})
    return out


def shares(counts: Sequence[int], *, epsilon: float) -> list[float]:
    """Each bin's share of the total, with an empty bin given ``epsilon``.

    Raises:
        ValueError: no counts at all, or a negative count.
    """
    if any(c < 0 for c in counts):
        msg = "bin counts must be >= 0"
        raise ValueError(msg)
    total = sum(counts)
    if total <= 0:
        msg = "no values to compare"
        raise ValueError(msg)
    return [c / total if c > 0 else epsilon for c in counts]


def psi(reference: Sequence[int], current: Sequence[int], *, epsilon: float) -> float:
    """The PSI of two histograms over the same bins.

    Args:
        reference: counts per bin in the reference (training) data.
        current: counts per bin in the current (serving) data, same bins in the same order.
        epsilon: the share given to an empty bin.

    Raises:
        ValueError: the histograms differ in length, or one of them is empty.
    """
    if len(reference) != len(current):
        msg = f"histograms differ in length: {len(reference)} vs {len(current)}"
        raise ValueError(msg)
    p = shares(reference, epsilon=epsilon)
    q = shares(current, epsilon=epsilon)
    return float(sum((qi - pi) * math.log(qi / pi) for pi, qi in zip(p, q, strict=True)))
