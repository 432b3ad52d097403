"""Rank agreement between two scorings of the same architectures (numpy + scipy only).

One question comes back throughout NAS: does a cheap score rank architectures the way the
expensive one does?  A proxy benchmark against NAS-Bench-201's CIFAR-10 results, one seed
against another, a predictor, zero-cost proxy or supernet against ground truth.
:func:`rank_agreement` answers it for two ``(n,)`` arrays;
:func:`nasbench.benchmarks.compare_tables` for two tables of one space (``nasbench compare A
B`` on the command line).  The figures follow the predictor-evaluation protocol of White et
al. 2021 ("How powerful are performance predictors in neural architecture search?").

Reported (rows where both scores are finite):

- ``kendall_tau`` (tau-b, ties handled) and ``spearman`` over all those rows;
- ``sparse_kendall_tau``: Kendall tau after rounding the reference to ``resolution`` (0.1
  accuracy points by default), so that swaps between near-equal architectures do not count
  (Yu et al. 2020, "Evaluating the effectiveness of weight sharing"; used by White et al.);
- ``top_kendall_tau``: Kendall tau among the ``top`` fraction of rows by the reference ``y``
  (how well ``x`` orders the architectures a search actually ends up comparing);
- ``top_overlap``: the share of ``y``'s top ``top`` fraction that is also in ``x``'s top
  fraction of the same size (precision at k);
- ``x_best_percentile_in_y`` / ``y_best_percentile_in_x``: where one score's best
  architecture lands in the other's ranking (1.0 = the best; ties count half).
"""
from __future__ import annotations

import numpy as np

__all__ = ["rank_agreement", "sparse_kendall_tau"]


def _percentile(values: np.ndarray, v: float) -> float:
    """Share of ``values`` below ``v``, ties counting half; 1.0 means ``v`` beats all others."""
    n = len(values)
    if n <= 1:
        return 1.0
    below = np.sum(values < v)
    ties = np.sum(values == v) - 1  # the value itself is in ``values``
    return float((below + 0.5 * ties) / (n - 1))


def sparse_kendall_tau(x, y, resolution: float = 0.1) -> float:
    """Kendall tau-b of ``x`` against ``y`` rounded to multiples of ``resolution``.

    ``x``, ``y``: ``(n,)`` arrays without NaN.  Pairs whose reference values round to the same
    level count as ties, not as swaps.
    """
    from scipy.stats import kendalltau

    if resolution <= 0:
        raise ValueError(f"resolution must be positive, got {resolution!r}")
    yr = np.round(np.asarray(y, dtype=np.float64) / resolution)
    return float(kendalltau(np.asarray(x, dtype=np.float64), yr)[0])


def rank_agreement(x, y, *, top: float = 0.1, x_higher_is_better: bool = True,
                   y_higher_is_better: bool = True, resolution: float = 0.1) -> dict:
    """Agreement of score ``x`` with reference score ``y``.

    Parameters
    ----------
    x, y : array-like, shape ``(n,)``
        Scores of the same ``n`` architectures (NaN = missing; such rows are left out).
    top : float in (0, 1]
        Fraction of rows (by ``y``) for ``top_kendall_tau`` and ``top_overlap``.
    x_higher_is_better, y_higher_is_better : bool
        Direction of each score (losses, latency: ``False``).
    resolution : float
        Rounding of ``y`` for ``sparse_kendall_tau`` (in ``y``'s unit; 0.1 = 0.1 accuracy points).

    Returns
    -------
    dict with ``n`` and the figures listed in the module docstring (NaN where fewer than two
    rows are usable).
    """
    from scipy.stats import kendalltau, spearmanr

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D arrays of the same length, got shapes {x.shape} and {y.shape}")
    if not 0.0 < top <= 1.0:
        raise ValueError(f"top must be a fraction in (0, 1], got {top!r}")
    ok = np.isfinite(x) & np.isfinite(y)
    xs = x[ok] if x_higher_is_better else -x[ok]
    ys = y[ok] if y_higher_is_better else -y[ok]
    n = int(ok.sum())
    out = {"n": n, "top": float(top)}
    nan = float("nan")
    if n < 2:
        return dict(out, kendall_tau=nan, spearman=nan, sparse_kendall_tau=nan, top_kendall_tau=nan, top_overlap=nan,
                    x_best_percentile_in_y=nan, y_best_percentile_in_x=nan)
    out["kendall_tau"] = float(kendalltau(xs, ys)[0])
    out["spearman"] = float(spearmanr(xs, ys)[0])
    out["sparse_kendall_tau"] = sparse_kendall_tau(xs, ys, resolution)
    k = max(2, int(round(top * n)))
    top_y = np.argsort(-ys, kind="stable")[:k]
    top_x = np.argsort(-xs, kind="stable")[:k]
    out["top_kendall_tau"] = float(kendalltau(xs[top_y], ys[top_y])[0])
    out["top_overlap"] = float(len(np.intersect1d(top_x, top_y)) / k)
    out["x_best_percentile_in_y"] = _percentile(ys, ys[int(np.argmax(xs))])
    out["y_best_percentile_in_x"] = _percentile(xs, xs[int(np.argmax(ys))])
    return out
