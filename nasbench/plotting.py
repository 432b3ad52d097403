"""Figures for leaderboards: regret vs simulated time, rank vs time, final accuracies, Pareto fronts.

matplotlib is imported inside the functions and used through its object API with the Agg canvas
(no pyplot state, no display needed).  Figures are sized for one column of a two-column paper
(3.4 x 2.5 in, 7-8 pt text) and saved as PNG (300 dpi) and/or PDF by :func:`save_figure`.
Every function returns the ``matplotlib.figure.Figure``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

__all__ = ["plot_regret", "plot_ranks", "plot_final", "plot_pareto", "plot_agreement", "save_figure",
           "metric_label", "COLUMN_WIDTH"]

COLUMN_WIDTH = 3.4  # inches, one column of a two-column paper
_STYLES = ["-", "--", "-.", ":"]
_RC = {"font.size": 7.5, "axes.labelsize": 7.5, "axes.titlesize": 8, "legend.fontsize": 6.5,
       "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.3, "axes.linewidth": 0.6,
       "pdf.fonttype": 42, "ps.fonttype": 42}


def metric_label(metric: str) -> str:
    """Axis label with unit for a metric name."""
    named = {"val_acc": "validation accuracy (%)", "test_acc": "test accuracy (%)",
             "train_acc": "training accuracy (%)", "params": "parameters (millions)",
             "flops": "FLOPs (millions)", "train_time": "training time (s)"}
    if metric in named:
        return named[metric]
    if metric.startswith("latency_"):
        dev = metric[len("latency_"):].replace("_bs", ", batch ")
        return f"latency on {dev} (ms)"
    if metric.startswith("energy_"):
        dev = metric[len("energy_"):].replace("_bs", ", batch ")
        return f"energy on {dev} (mJ)"
    if metric.endswith("_loss"):
        return metric.replace("_", " ")
    return metric


def _figure(width: float = COLUMN_WIDTH, height: float = 2.5):
    import matplotlib

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    return fig, ax


def _style(k: int) -> dict:
    import matplotlib

    colors = matplotlib.colormaps["tab10"].colors
    return {"color": colors[k % 10], "linestyle": _STYLES[(k // 10 + k) % len(_STYLES)] if k >= 4 else "-"}


def _finish(fig, ax, legend: bool = True, ncol: int = 1, loc: str = "best") -> None:
    import matplotlib

    with matplotlib.rc_context(_RC):
        ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
        ax.grid(True, which="minor", linewidth=0.25, alpha=0.25)
        ax.tick_params(which="both", labelsize=_RC["xtick.labelsize"], width=0.5)
        ax.xaxis.label.set_size(_RC["axes.labelsize"])
        ax.yaxis.label.set_size(_RC["axes.labelsize"])
        ax.title.set_size(_RC["axes.titlesize"])
        if legend and ax.get_legend_handles_labels()[0]:
            ax.legend(ncol=ncol, loc=loc, fontsize=_RC["legend.fontsize"], frameon=True, framealpha=0.85,
                      handlelength=2.2, borderpad=0.3, labelspacing=0.25, columnspacing=0.8)


def save_figure(fig, path, formats: Sequence[str] = ("png", "pdf"), dpi: int = 300) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats``; returns the written paths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import matplotlib

    out = []
    for fmt in formats:
        if fmt not in ("png", "pdf", "svg"):
            raise ValueError(f"unknown figure format {fmt!r}; choose from png, pdf, svg")
        p = path.with_suffix("." + fmt)
        with matplotlib.rc_context(_RC):
            fig.savefig(p, dpi=dpi)
        out.append(p)
    return out


def _log_x(ax, grid) -> None:
    """Log x axis when the grid spans at least a decade; no minor tick labels (they overlap)."""
    from matplotlib.ticker import NullFormatter

    lo, hi = float(np.nanmin(grid)), float(np.nanmax(grid))
    if lo > 0 and hi / lo >= 10:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())


def plot_regret(lb, path=None, *, statistic: str = "mean", logx: bool = True, logy: bool = True,
                title: str | None = None, formats: Sequence[str] = ("png", "pdf")):
    """Anytime test regret of the validation-chosen incumbent vs simulated time.

    ``statistic="mean"`` draws the mean with a +- 1 standard error band, ``"median"`` the median
    with the inter-quartile band.  On a log y axis, values below ``1e-3`` are drawn at ``1e-3``
    (the figure says so).
    """
    import matplotlib

    from nasbench.leaderboard import x_label

    if statistic not in ("mean", "median"):
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    fig, ax = _figure()
    floor = 1e-3
    clipped = False
    with matplotlib.rc_context(_RC):
        for k, s in enumerate(lb.strategies):
            st = lb.stats(s)
            if statistic == "mean":
                y, lo, hi = st["mean"], st["mean"] - st["se"], st["mean"] + st["se"]
            else:
                y, lo, hi = st["median"], st["q25"], st["q75"]
            if logy:
                clipped |= bool(np.nanmin(y, initial=np.inf) < floor)
                y, lo, hi = (np.maximum(v, floor) for v in (y, lo, hi))
            sty = _style(k)
            ax.plot(lb.grid, y, label=s, **sty)
            ax.fill_between(lb.grid, lo, hi, color=sty["color"], alpha=0.15, linewidth=0)
        if logx and (lb.axis == "time" or lb.grid[0] > 0):
            _log_x(ax, lb.grid)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(x_label(lb.axis, lb.info.get("cost_unit", "")))
        band = "± 1 s.e." if statistic == "mean" else "IQR"
        ax.set_ylabel(f"test regret (% points), {statistic} {band}")
        ax.set_xlim(lb.grid[0], lb.grid[-1])
        ax.set_title(title if title is not None else f"{lb.info.get('benchmark')}")
        if clipped:
            ax.text(0.01, 0.01, f"values < {floor:g} drawn at {floor:g}", transform=ax.transAxes,
                    fontsize=5.5, color="0.35", va="bottom")
        _finish(fig, ax, ncol=2 if len(lb.strategies) > 4 else 1, loc="lower left" if not clipped else "best")
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def plot_ranks(lb, path=None, *, logx: bool = True, title: str | None = None,
               formats: Sequence[str] = ("png", "pdf")):
    """Average rank (1 = best; per seed index, averaged) vs simulated time."""
    import matplotlib

    from nasbench.leaderboard import x_label

    fig, ax = _figure()
    with matplotlib.rc_context(_RC):
        for k, s in enumerate(lb.strategies):
            ax.plot(lb.grid, lb.mean_rank[k], label=s, **_style(k))
        if logx and lb.grid[0] > 0:
            _log_x(ax, lb.grid)
        n = len(lb.strategies)
        ax.set_ylim(n + 0.3, 0.7)
        ax.set_yticks(range(1, n + 1))
        ax.set_xlim(lb.grid[0], lb.grid[-1])
        ax.set_xlabel(x_label(lb.axis, lb.info.get("cost_unit", "")))
        ax.set_ylabel("average rank (1 = best)")
        ax.set_title(title if title is not None else f"{lb.info.get('benchmark')}")
        _finish(fig, ax, ncol=2 if n > 4 else 1, loc="lower left")
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def plot_final(lb, path=None, *, title: str | None = None, formats: Sequence[str] = ("png", "pdf")):
    """Distribution over seeds of the final incumbent's test accuracy, one box per strategy,
    with every run as a dot and the space's best as a dashed line."""
    import matplotlib

    order = lb.order()[::-1]  # best at the top
    fig, ax = _figure(height=0.45 + 0.22 * len(order) + 0.6)
    rng = np.random.default_rng(0)  # fixed jitter, for the figure only
    with matplotlib.rc_context(_RC):
        data = [lb.final_test[s][np.isfinite(lb.final_test[s])] for s in order]
        new_mpl = tuple(int(v) for v in matplotlib.__version__.split(".")[:2]) >= (3, 10)
        orient = {"orientation": "horizontal"} if new_mpl else {"vert": False}
        ax.boxplot(data, **orient, widths=0.55, showfliers=False, medianprops={"color": "k", "linewidth": 1.0},
                   boxprops={"linewidth": 0.7}, whiskerprops={"linewidth": 0.7}, capprops={"linewidth": 0.7})
        for k, s in enumerate(order):
            d = data[k]
            ax.scatter(d, k + 1 + rng.uniform(-0.18, 0.18, len(d)), s=3, alpha=0.5,
                       color=_style(lb.strategies.index(s))["color"], linewidths=0, zorder=3)
        ax.set_yticks(range(1, len(order) + 1), labels=order)
        vals = [round(o, 6) for o in lb.oracle.values()]
        common = max(set(vals), key=vals.count)  # constrained strategies have their own oracle
        ax.axvline(common, color="0.3", linestyle="--", linewidth=0.8)
        # label the line along itself instead of a legend box that can cover a strategy's box
        ax.annotate("best in space", xy=(common, 1.0), xycoords=("data", "axes fraction"), xytext=(-2, -3),
                    textcoords="offset points", rotation=90, ha="right", va="top",
                    fontsize=_RC["legend.fontsize"], color="0.3")
        ax.set_xlabel("test accuracy of the final incumbent (%)")
        ax.set_title(title if title is not None else f"{lb.info.get('benchmark')}: final incumbents")
        _finish(fig, ax, legend=False)
        ax.grid(False, axis="y")
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def plot_agreement(x, y, path=None, *, xlabel: str = "x", ylabel: str = "y", stats: Mapping | None = None,
                   title: str | None = None, formats: Sequence[str] = ("png", "pdf")):
    """Scores of the same architectures against each other: ``x`` (``(n,)``, e.g. a cheap
    benchmark or a proxy) on the horizontal axis, the reference ``y`` (``(n,)``) on the vertical.

    Rows with NaN are left out.  Above 2,000 points a log-count hexbin replaces the scatter so
    that dense regions stay readable.  ``stats`` (a :func:`nasbench.metrics.rank_agreement`
    result) is printed in the corner: n, Kendall tau, Spearman, top-fraction tau.
    """
    import matplotlib

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    fig, ax = _figure(height=COLUMN_WIDTH * 0.85)
    with matplotlib.rc_context(_RC):
        if ok.sum() > 2000:
            hb = ax.hexbin(x[ok], y[ok], gridsize=45, bins="log", mincnt=1, cmap="viridis", linewidths=0)
            cb = fig.colorbar(hb, ax=ax, pad=0.01, fraction=0.05)
            cb.set_label("architectures", size=_RC["legend.fontsize"])
            cb.ax.tick_params(labelsize=_RC["legend.fontsize"])
        else:
            ax.scatter(x[ok], y[ok], s=4, alpha=0.6, linewidths=0, color=_style(0)["color"])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if stats:
            txt = (f"n = {stats['n']:,}\nKendall \u03c4 = {stats['kendall_tau']:.3f}\n"
                   f"Spearman \u03c1 = {stats['spearman']:.3f}\n"
                   f"top {100 * stats['top']:.0f}% \u03c4 = {stats['top_kendall_tau']:.3f}")
            # bottom right: the corner that agreeing scores leave empty
            ax.text(0.97, 0.03, txt, transform=ax.transAxes, va="bottom", ha="right", fontsize=_RC["legend.fontsize"],
                    bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "alpha": 0.85, "linewidth": 0.4})
        if title:
            ax.set_title(title)
        _finish(fig, ax, legend=False)
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def _front(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pareto front (x minimised, y maximised), sorted by x."""
    from nasbench.strategies.multiobjective import pareto_mask

    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return x, y
    m = pareto_mask(np.stack([-x, y], 1))
    o = np.argsort(x[m], kind="stable")
    return x[m][o], y[m][o]


def plot_pareto(traces: Mapping[str, Sequence], x_metric: str, y_metric: str = "val_acc", path=None, *,
                reference=None, true_front=None, title: str | None = None,
                formats: Sequence[str] = ("png", "pdf")):
    """Pareto fronts of multi-objective runs: ``y_metric`` (maximised) vs ``x_metric`` (minimised).

    For each strategy the front of the run with the median hypervolume is drawn; the legend gives
    the hypervolume (mean ± s.e. over seeds) with respect to ``reference`` = (x, y) (default: the
    worst x and y seen in any run).  ``true_front`` = ``(x, y)`` arrays draws the best attainable
    front (e.g. from ``benchmark.table``) in grey.
    """
    import matplotlib

    from nasbench.strategies.multiobjective import hypervolume_2d

    for s, trs in traces.items():
        for t in trs:
            missing = [m for m in (x_metric, y_metric) if m not in t.values]
            if missing:
                raise KeyError(f"trace of {s!r} lacks {missing}; recorded metrics: {sorted(t.values)}")
    allx = np.concatenate([t.values[x_metric] for trs in traces.values() for t in trs])
    ally = np.concatenate([t.values[y_metric] for trs in traces.values() for t in trs])
    if reference is None:
        reference = (float(np.nanmax(allx)), float(np.nanmin(ally)))
    ref = np.array([-reference[0], reference[1]])
    fig, ax = _figure(height=2.6)
    with matplotlib.rc_context(_RC):
        if true_front is not None:
            fx, fy = _front(np.asarray(true_front[0], float), np.asarray(true_front[1], float))
            ax.step(fx, fy, where="post", color="0.6", linewidth=1.0, label="best attainable")
        for k, (s, trs) in enumerate(traces.items()):
            hv = np.array([hypervolume_2d(np.stack([-t.values[x_metric], t.values[y_metric]], 1), ref) for t in trs])
            j = int(np.argsort(hv, kind="stable")[len(hv) // 2])
            fx, fy = _front(np.asarray(trs[j].values[x_metric]), np.asarray(trs[j].values[y_metric]))
            se = hv.std(ddof=1) / np.sqrt(len(hv)) if len(hv) > 1 else np.nan
            lab = f"{s} (HV {hv.mean():.3g}" + (f" ± {se:.2g})" if np.isfinite(se) else ")")
            sty = _style(k)
            ax.step(fx, fy, where="post", label=lab, **sty)
            ax.plot(fx, fy, "o", color=sty["color"], markersize=2.2)
        ax.set_xlabel(metric_label(x_metric))
        ax.set_ylabel(metric_label(y_metric))
        ax.set_title(title if title is not None else "Pareto fronts (median-hypervolume run)")
        _finish(fig, ax, loc="lower right")
    if path is not None:
        save_figure(fig, path, formats)
    return fig
