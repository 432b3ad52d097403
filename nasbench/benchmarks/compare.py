"""Rank agreement of two tables of one search space (``nasbench compare A B``)."""
from __future__ import annotations

from nasbench.metrics import rank_agreement

__all__ = ["compare_tables"]


def compare_tables(a, b, *, metric_a: str = "test_acc", metric_b: str | None = None,
                   fidelity_a: int | None = None, fidelity_b: int | None = None,
                   top: float = 0.1, a_higher_is_better: bool | None = None,
                   b_higher_is_better: bool | None = None, resolution: float = 0.1) -> dict:
    """:func:`nasbench.metrics.rank_agreement` of table ``a`` (scored) against table ``b`` (reference).

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
    res = rank_agreement(x, y, top=top, x_higher_is_better=hib_a, y_higher_is_better=hib_b,
                         resolution=resolution)
    return dict(res, a=ta.name, b=tb.name, metric_a=metric_a, metric_b=metric_b,
                a_higher_is_better=hib_a, b_higher_is_better=hib_b,
                fidelity_a=None if metric_a in ta.static_metrics else fa,
                fidelity_b=None if metric_b in tb.static_metrics else fb)
