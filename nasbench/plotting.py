"""Figures for leaderboards: regret vs simulated time, rank vs time, final accuracies, Pareto fronts.

matplotlib is imported inside the functions and used through its object API with the Agg canvas
(no pyplot state, no display needed).  Figures are sized for one column of a two-column paper
(3.4 x 2.5 in, 7-8 pt text) and saved as PNG (300 dpi) and/or PDF by :func:`save_figure`.
Every function returns the ``matplotlib.figure.Figure``.

Each strategy has one colour and line style in every figure of every run, looked up by its name
(:data:`STRATEGY_STYLES` for the catalog's strategies; other names get a fixed style derived from
a hash of the name), never by its position in a list.  Log axes are labelled with plain numbers
(0.5, 1, 2, 5, 10), and figure titles say the table, the budget and the number of seeds;
:meth:`nasbench.leaderboard.Leaderboard.caption` gives a caption for each figure.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

__all__ = ["plot_regret", "plot_ranks", "plot_final", "plot_pareto", "plot_agreement", "save_figure",
           "write_figures", "metric_label", "strategy_style", "STRATEGY_STYLES", "COLUMN_WIDTH"]

COLUMN_WIDTH = 3.4  # inches, one column of a two-column paper

#: colour and line style of the catalog's strategies (tab10 colours; variants share a colour
#: family, e.g. ``ls``/``ls-first``); every pair is distinct, so figures stay readable in grey.
STRATEGY_STYLES: dict[str, dict] = {
    "rs": {"color": "#7f7f7f", "linestyle": "-"},
    "re": {"color": "#1f77b4", "linestyle": "-"},
    "re-capped": {"color": "#17becf", "linestyle": "--"},
    "ls": {"color": "#ff7f0e", "linestyle": "-"},
    "ls-first": {"color": "#ff7f0e", "linestyle": "--"},
    "reinforce": {"color": "#9467bd", "linestyle": "-."},
    "bananas": {"color": "#d62728", "linestyle": "-"},
    "sh": {"color": "#bcbd22", "linestyle": ":"},
    "hb": {"color": "#2ca02c", "linestyle": "--"},
    "bohb": {"color": "#8c564b", "linestyle": "-"},
    "nsga2": {"color": "#e377c2", "linestyle": "-"},
}
_HASH_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]
_HASH_STYLES = ["-", "--", "-.", ":"]
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


def strategy_style(name: str) -> dict:
    """``{"color": ..., "linestyle": ...}`` of the strategy ``name``: :data:`STRATEGY_STYLES` for
    catalog names, else a fixed pair chosen by a CRC-32 of the name (the same in every figure,
    process and run; two unknown names may share a pair, then pass them to
    :data:`STRATEGY_STYLES` yourself)."""
    if name in STRATEGY_STYLES:
        return dict(STRATEGY_STYLES[name])
    import zlib

    h = zlib.crc32(name.encode("utf-8"))
    return {"color": _HASH_COLORS[h % len(_HASH_COLORS)],
            "linestyle": _HASH_STYLES[(h // len(_HASH_COLORS)) % len(_HASH_STYLES)]}


def _num(v: float, _pos=None) -> str:
    """Tick label: a plain number (0.002, 0.5, 3, 20, 1500), powers of ten beyond."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:g}"
    return f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-")


def _readable_log(axis, lo: float, hi: float) -> None:
    """Plain-number ticks on a log ``axis`` spanning ``[lo, hi]``: 1-2-...-9 per decade below 0.7
    decades, 1-2-3-5 up to 1.3, 1-2-5 up to 2.5, powers of ten beyond; minor ticks unlabelled."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    dec = np.log10(hi / lo) if lo > 0 and hi > lo else 1.0
    if dec < 0.7:
        subs = tuple(float(k) for k in range(1, 10))
    elif dec <= 1.3:
        subs = (1.0, 2.0, 3.0, 5.0)
    elif dec <= 2.5:
        subs = (1.0, 2.0, 5.0)
    else:
        subs = (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(_num))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(float(k) for k in range(1, 10))))
    axis.set_minor_formatter(NullFormatter())


def _problem_marks(lb) -> tuple[dict[str, str], list[str]]:
    """Legend suffix per strategy and note lines when ``lb`` mixes constrained and unconstrained
    problems (constrained strategies get a dagger and a note naming their oracle)."""
    probs = lb.problems()
    if len(probs) == 1:
        return {}, []
    marks, notes = {}, []
    daggers = ["†", "‡", "§", "¶"]
    k = 0
    for label, ss in probs.items():
        if not label:
            continue
        d = daggers[k % len(daggers)] * (1 + k // len(daggers))
        k += 1
        for s in ss:
            marks[s] = d
        notes.append(f"{d} {label}: regret vs best feasible ({lb.oracle[ss[0]]:.2f})")
    return marks, notes


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
    """Log x axis with plain-number ticks when the grid spans at least a decade."""
    lo, hi = float(np.nanmin(grid)), float(np.nanmax(grid))
    if lo > 0 and hi / lo >= 10:
        ax.set_xscale("log")
        _readable_log(ax.xaxis, lo, hi)


def plot_regret(lb, path=None, *, statistic: str = "mean", logx: bool = True, logy: bool = True,
                title: str | None = None, formats: Sequence[str] = ("png", "pdf")):
    """Anytime test regret of the validation-chosen incumbent vs simulated time.

    ``statistic="mean"`` draws the mean with a +- 1 standard error band, ``"median"`` the median
    with the inter-quartile band.  On a log y axis, values below ``1e-3`` are drawn at ``1e-3``
    (the figure says so).  The default title names the table, the budget and the number of
    seeds.  Constrained strategies (regret against their best feasible architecture) get a
    dagger in the legend and a note naming their constraint and oracle; plot
    ``lb.split()`` parts separately to keep them apart.  Mean regret need not fall
    monotonically: see ``lb.caption("regret")``.
    """
    import matplotlib

    from nasbench.leaderboard import x_label

    if statistic not in ("mean", "median"):
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    fig, ax = _figure()
    floor = 1e-3
    clipped = False
    marks, notes = _problem_marks(lb)
    with matplotlib.rc_context(_RC):
        lo_all, hi_all = np.inf, -np.inf
        for s in lb.strategies:
            st = lb.stats(s)
            if statistic == "mean":
                y, lo, hi = st["mean"], st["mean"] - st["se"], st["mean"] + st["se"]
            else:
                y, lo, hi = st["median"], st["q25"], st["q75"]
            if logy:
                clipped |= bool(np.nanmin(y, initial=np.inf) < floor)
                y, lo, hi = (np.maximum(v, floor) for v in (y, lo, hi))
            lo_all = min(lo_all, float(np.nanmin(np.where(np.isfinite(lo), lo, y), initial=np.inf)))
            hi_all = max(hi_all, float(np.nanmax(np.where(np.isfinite(hi), hi, y), initial=-np.inf)))
            sty = strategy_style(s)
            ax.plot(lb.grid, y, label=s + marks.get(s, ""), **sty)
            ax.fill_between(lb.grid, lo, hi, color=sty["color"], alpha=0.15, linewidth=0)
        if logx and (lb.axis == "time" or lb.grid[0] > 0):
            _log_x(ax, lb.grid)
        if logy:
            ax.set_yscale("log")
            if np.isfinite(lo_all) and np.isfinite(hi_all):
                _readable_log(ax.yaxis, max(lo_all, floor), hi_all)
        ax.set_xlabel(x_label(lb.axis, lb.info.get("cost_unit", "")))
        band = "± 1 s.e." if statistic == "mean" else "IQR"
        ax.set_ylabel(f"test regret (% points), {statistic} {band}")
        ax.set_xlim(lb.grid[0], lb.grid[-1])
        ax.set_title(title if title is not None else lb.title())
        foot = ([f"values < {floor:g} drawn at {floor:g}"] if clipped else []) + notes
        if foot:
            ax.text(0.99, 0.99, "\n".join(foot), transform=ax.transAxes, fontsize=5.5, color="0.3",
                    va="top", ha="right")
        _finish(fig, ax, ncol=2 if len(lb.strategies) > 4 else 1, loc="lower left")
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def plot_ranks(lb, path=None, *, logx: bool = True, title: str | None = None, band: bool = True,
               formats: Sequence[str] = ("png", "pdf")):
    """Average rank (1 = best; per seed index, averaged) vs simulated time, with a band of
    ± 1 standard error over seed indices (``band=False`` leaves it out).

    Ranks only mean something among strategies solving the same problem, so a leaderboard that
    mixes constrained and unconstrained strategies is refused (plot the parts of
    ``lb.split()``).  With few seeds the bands are wide: read them before the lines.
    """
    import matplotlib

    from nasbench.leaderboard import x_label

    lb.problem()  # ValueError when problems are mixed
    fig, ax = _figure()
    n = len(lb.strategies)
    with matplotlib.rc_context(_RC):
        for k, s in enumerate(lb.strategies):
            sty = strategy_style(s)
            ax.plot(lb.grid, lb.mean_rank[k], label=s, **sty)
            if band and lb.rank_se is not None and np.isfinite(lb.rank_se[k]).any():
                ax.fill_between(lb.grid, lb.mean_rank[k] - lb.rank_se[k], lb.mean_rank[k] + lb.rank_se[k],
                                color=sty["color"], alpha=0.12, linewidth=0)
        if logx and lb.grid[0] > 0:
            _log_x(ax, lb.grid)
        ax.set_ylim(n + 0.3, 0.7)
        ax.set_yticks(range(1, n + 1))
        ax.set_xlim(lb.grid[0], lb.grid[-1])
        ax.set_xlabel(x_label(lb.axis, lb.info.get("cost_unit", "")))
        ax.set_ylabel("average rank (1 = best), ± 1 s.e." if band else "average rank (1 = best)")
        ax.set_title(title if title is not None else lb.title())
        _finish(fig, ax, ncol=2 if n > 4 else 1, loc="lower left")
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def plot_final(lb, path=None, *, title: str | None = None, formats: Sequence[str] = ("png", "pdf")):
    """Distribution over seeds of the final incumbent's test accuracy, one box per strategy,
    with every run as a dot and the oracle the regrets are measured against as a dashed line
    (a constrained strategy's best feasible accuracy as a dashed mark on its own row)."""
    import matplotlib

    order = lb.order()[::-1]  # best at the top
    marks, notes = _problem_marks(lb)
    fig, ax = _figure(height=0.45 + 0.22 * max(len(order), 3) + 0.6 + 0.1 * len(notes))
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
                       color=strategy_style(s)["color"], linewidths=0, zorder=3)
        ax.set_yticks(range(1, len(order) + 1), labels=[s + marks.get(s, "") for s in order])
        main = next(iter(lb.problems().values()))
        common = lb.oracle[main[0]]
        first_label = next(iter(lb.problems()))
        ax.axvline(common, color="0.3", linestyle="--", linewidth=0.8)
        # label the line along itself instead of a legend box that can cover a strategy's box
        ax.annotate("best feasible" if first_label else "best in space", xy=(common, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(-2, -3),
                    textcoords="offset points", rotation=90, ha="right", va="top",
                    fontsize=_RC["legend.fontsize"], color="0.3")
        for k, s in enumerate(order):
            if s not in main:
                ax.plot([lb.oracle[s]] * 2, [k + 0.6, k + 1.4], color="0.3", linestyle="--", linewidth=0.8)
        ax.set_xlabel("test accuracy of the final incumbent (%)")
        ax.set_title(title if title is not None else lb.title())
        if notes:
            # below the x label, where it cannot cover a box
            note = "\n".join(n.replace(": regret vs best feasible", ", dashed mark: best feasible") for n in notes)
            ax.annotate(note, xy=(0.0, 0.0), xycoords="axes fraction", xytext=(0, -28), textcoords="offset points",
                        ha="left", va="top", fontsize=5.5, color="0.3")
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
            ax.scatter(x[ok], y[ok], s=4, alpha=0.6, linewidths=0, color="#1f77b4")
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


def write_figures(lb, out, *, formats: Sequence[str] = ("png", "pdf"), min_seeds_for_ranks: int = 5):
    """Every figure of a leaderboard into the folder ``out``; returns ``(files, captions)``:
    ``{key: path of the first format}`` and ``{file name: caption}`` (for
    :meth:`~nasbench.leaderboard.Leaderboard.to_markdown`'s ``figures``).

    One ``regret``/``ranks``/``final`` set per problem (:meth:`Leaderboard.split`): the
    unconstrained strategies' under those names, constrained ones' with a ``-constrained``
    suffix (numbered when there are several constraints).  ``ranks`` needs two strategies and
    ``min_seeds_for_ranks`` seeds (fewer: ranks over time are noise; the captions say it was
    left out).  ``pareto`` when ``lb.pareto`` is set.
    """
    out = Path(out)
    files: dict[str, Path] = {}
    captions: dict[str, str] = {}
    if lb.pareto is not None:
        plot_pareto(None, lb.pareto.x_metric, lb.pareto.y_metric, out / "pareto", summary=lb.pareto, formats=formats)
        files["pareto"] = out / f"pareto.{formats[0]}"
    parts = lb.split()
    n_cons = sum(1 for part in parts if part.problem())
    k_cons = 0
    for part in parts:
        suffix = ""
        if part.problem():
            k_cons += 1
            suffix = "-constrained" + (f"-{k_cons}" if n_cons > 1 else "")
        kinds = ["regret", "final"]
        if len(part.strategies) > 1:
            if min(part.info["seeds"].values()) >= min_seeds_for_ranks:
                kinds.insert(1, "ranks")
            else:
                captions[f"ranks{suffix} (not drawn)"] = (f"fewer than {min_seeds_for_ranks} seeds per strategy: "
                                                          "average ranks over time would be noise")
        for kind in kinds:
            fn = {"regret": plot_regret, "ranks": plot_ranks, "final": plot_final}[kind]
            fn(part, out / f"{kind}{suffix}", formats=formats)
            files[kind + suffix] = out / f"{kind}{suffix}.{formats[0]}"
            captions[files[kind + suffix].name] = part.caption(kind)
    if "pareto" in files:
        captions[files["pareto"].name] = lb.caption("pareto")
    return files, captions


def plot_pareto(traces: Mapping[str, Sequence] | None, x_metric: str, y_metric: str = "val_acc", path=None, *,
                benchmark=None, reference=None, true_front=None, summary=None, title: str | None = None,
                formats: Sequence[str] = ("png", "pdf")):
    """Pareto fronts of multi-objective runs: ``y_metric`` (maximised) vs ``x_metric`` (minimised).

    The points come from :func:`nasbench.leaderboard.pareto_summary` (or ``summary``, one you
    computed; ``traces`` may then be None): with ``benchmark``, the architectures each run evaluated, scored by their
    seed-mean values at the top fidelity, against the table's best attainable front on the same
    values (black, dotted) and a fixed reference point (the table's worst values); without it, the values
    the runs recorded (one training seed each), which a seed-mean front does not bound.  For each
    strategy the run with the median hypervolume is drawn; the legend gives the hypervolume
    (mean ± s.e. over runs) as a fraction of the best attainable front's when there is one, and
    the corner says which values are plotted and the reference point.  ``params`` below one
    million are shown in thousands.
    """
    import matplotlib

    from nasbench.leaderboard import pareto_summary

    if summary is None and traces is None:
        raise ValueError("plot_pareto needs traces or a summary")
    ps = summary if summary is not None else pareto_summary(traces, x_metric, y_metric, benchmark=benchmark,
                                                            reference=reference, true_front=true_front)
    k = ps.x_scale
    fig, ax = _figure(height=2.7)
    rows = {r["strategy"]: r for r in ps.rows()}
    frac = np.isfinite(ps.best_hv) and ps.best_hv > 0
    with matplotlib.rc_context(_RC):
        if ps.best_front is not None:
            fx, fy = ps.best_front
            ax.step(fx * k, fy, where="post", color="k", linestyle=":", linewidth=0.9,
                    label="best attainable" + (f" (HV {ps.best_hv:.4g})" if frac else ""))
        for s in ps.hv:
            r = rows[s]
            if frac:
                m, se = r["hv_fraction_mean"], r["hv_fraction_se"]
                lab = f"{s}: HV {m:.3f}" + (f" ± {se:.3f}" if np.isfinite(se) else "")
            else:
                m, se = r["hv_mean"], r["hv_se"]
                lab = f"{s}: HV {m:.4g}" + (f" ± {se:.2g}" if np.isfinite(se) else "")
            fx, fy = ps.front(s)
            sty = strategy_style(s)
            ax.step(fx * k, fy, where="post", label=lab, **sty)
            ax.plot(fx * k, fy, "o", color=sty["color"], markersize=2.2)
        ax.set_xlabel(ps.x_label)
        ax.set_ylabel(ps.y_label)
        n = sorted({len(v) for v in ps.hv.values()})
        runs = f"{n[0]}" if len(n) == 1 else f"{n[0]}-{n[-1]}"
        ax.set_title(title if title is not None else f"{ps.benchmark}: Pareto fronts (median-HV run of {runs})")
        hv_what = "HV: fraction of best attainable" if frac else f"HV in {ps.hv_unit}"
        note = (f"points: {ps.values_short}\n{hv_what}; reference ({ps.reference[0] * k:.3g}, "
                f"{ps.reference[1]:.3g})\n= {ps.reference_source.replace('the ', '')}")
        _finish(fig, ax, loc="lower right")
        leg = ax.get_legend()
        if leg is not None:
            leg.set_title(note, prop={"size": 5.5})
            leg.get_title().set_color("0.3")
            leg._legend_box.align = "left"
    if path is not None:
        save_figure(fig, path, formats)
    return fig
