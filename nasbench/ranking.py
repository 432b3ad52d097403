"""Rank agreement between two scorings of the same architectures.

One question comes back throughout NAS: does a cheap score rank architectures the way the
expensive one does?  A proxy benchmark against NAS-Bench-201's CIFAR-10 results, one seed
against another, a predictor, zero-cost proxy or supernet against ground truth.
:func:`rank_agreement` answers it for two ``(n,)`` arrays, :func:`compare_tables` for two
tables of one space (``nasbench compare A B`` on the command line).

Reported (rows where both scores are finite):

- ``kendall_tau`` (tau-b, ties handled) and ``spearman`` over all those rows;
- ``top_kendall_tau``: Kendall tau among the ``top`` fraction of rows by the reference ``y``
  (how well ``x`` orders the architectures a search actually ends up comparing);
- ``top_overlap``: the share of ``y``'s top ``top`` fraction that is also in ``x``'s top
  fraction of the same size (precision at k);
- ``x_best_percentile_in_y`` / ``y_best_percentile_in_x``: where one score's best
  architecture lands in the other's ranking (1.0 = the best; ties count half).
"""
from __future__ import annotations

import numpy as np

__all__ = ["rank_agreement", "compare_tables"]


def _percentile(values: np.ndarray, v: float) -> float:
    """Share of ``values`` below ``v``, ties counting half; 1.0 means ``v`` beats all others."""
    n = len(values)
    if n <= 1:
        return 1.0
    below = np.sum(values < v)
    ties = np.sum(values == v) - 1  # the value itself is in ``values``
    return float((below + 0.5 * ties) / (n - 1))


def rank_agreement(x, y, *, top: float = 0.1, x_higher_is_better: bool = True,
                   y_higher_is_better: bool = True) -> dict:
    """Agreement of score ``x`` with reference score ``y``.

    Parameters
    ----------
    x, y : array-like, shape ``(n,)``
        Scores of the same ``n`` architectures (NaN = missing; such rows are left out).
    top : float in (0, 1]
        Fraction of rows (by ``y``) for ``top_kendall_tau`` and ``top_overlap``.
    x_higher_is_better, y_higher_is_better : bool
        Direction of each score (losses, latency: ``False``).

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
        return dict(out, kendall_tau=nan, spearman=nan, top_kendall_tau=nan, top_overlap=nan,
                    x_best_percentile_in_y=nan, y_best_percentile_in_x=nan)
    out["kendall_tau"] = float(kendalltau(xs, ys)[0])
    out["spearman"] = float(spearmanr(xs, ys)[0])
    k = max(2, int(round(top * n)))
    top_y = np.argsort(-ys, kind="stable")[:k]
    top_x = np.argsort(-xs, kind="stable")[:k]
    out["top_kendall_tau"] = float(kendalltau(xs[top_y], ys[top_y])[0])
    out["top_overlap"] = float(len(np.intersect1d(top_x, top_y)) / k)
    out["x_best_percentile_in_y"] = _percentile(ys, ys[int(np.argmax(xs))])
    out["y_best_percentile_in_x"] = _percentile(xs, xs[int(np.argmax(ys))])
    return out


def compare_tables(a, b, *, metric_a: str = "test_acc", metric_b: str | None = None,
                   fidelity_a: int | None = None, fidelity_b: int | None = None,
                   top: float = 0.1, a_higher_is_better: bool | None = None,
                   b_higher_is_better: bool | None = None) -> dict:
    """:func:`rank_agreement` of table ``a`` (scored) against table ``b`` (reference).

    ``a`` and ``b`` are benchmarks, table names or paths (:func:`nasbench.load_benchmark`) of
    the same search space.  Seed means at ``fidelity_a`` / ``fidelity_b`` (default: each
    table's last fidelity) are compared over the architectures both tables cover.  Each
    metric's direction is the table's own (accuracy up, loss and latency down) unless
    ``a_higher_is_better`` / ``b_higher_is_better`` say otherwise (e.g. ``params`` used as an
    accuracy proxy: more is better).  The result also names the tables, metrics, fidelities
    and directions used.
    """
    from nasbench.benchmarks.tabular import load_benchmark

    ta = a if hasattr(a, "table") else load_benchmark(a)
    tb = b if hasattr(b, "table") else load_benchmark(b)
    if type(ta.space) is not type(tb.space) or ta.space.size != tb.space.size:
        raise ValueError(f"{ta.name} and {tb.name} are tables of different search spaces "
                         f"({ta.space!r}, {tb.space!r}); rank agreement needs the same architectures")
    metric_b = metric_a if metric_b is None else metric_b
    for t, m in ((ta, metric_a), (tb, metric_b)):
        if m not in t.metrics and m not in t.static_metrics:
            raise KeyError(f"{t.name}: unknown metric {m!r}; available: {list(t.metrics) + list(t.static_metrics)}")
    fa = ta.max_fidelity if fidelity_a is None else int(fidelity_a)
    fb = tb.max_fidelity if fidelity_b is None else int(fidelity_b)
    x = ta.table(metric_a, None if metric_a in ta.static_metrics else fa)
    y = tb.table(metric_b, None if metric_b in tb.static_metrics else fb)
    hib_a = ta.higher_is_better(metric_a) if a_higher_is_better is None else bool(a_higher_is_better)
    hib_b = tb.higher_is_better(metric_b) if b_higher_is_better is None else bool(b_higher_is_better)
    res = rank_agreement(x, y, top=top, x_higher_is_better=hib_a, y_higher_is_better=hib_b)
    return dict(res, a=ta.name, b=tb.name, metric_a=metric_a, metric_b=metric_b,
                a_higher_is_better=hib_a, b_higher_is_better=hib_b,
                fidelity_a=None if metric_a in ta.static_metrics else fa,
                fidelity_b=None if metric_b in tb.static_metrics else fb)
