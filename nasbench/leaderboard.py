"""Leaderboards from traces: anytime regret over seeds, ranks over time, tables.

The numbers are numpy arrays; pandas appears only in :meth:`Leaderboard.summary`,
:meth:`Leaderboard.curves` and the CSV export (imported there, so importing this module stays
light).  Plots live in :mod:`nasbench.plotting`.

Definitions
-----------
regret(t)
    ``oracle - incumbent_test(t)``: the seed-mean top-fidelity test accuracy of the incumbent
    (chosen on validation accuracy, see :mod:`nasbench.runner`) at simulated time ``t`` (or
    after ``t`` evaluations), subtracted from the best test accuracy in the space.  In accuracy
    points (%).  NaN before a run's first result.
grid
    Log-spaced from the latest first result over all runs (so every run has an incumbent) to
    the end of the budget; or the points you pass.
statistics over seeds
    mean, standard error (``std(ddof=1) / sqrt(n)``), median and inter-quartile range at every
    grid point.
ranks
    At every grid point, strategies are ranked by regret within each seed index (seed ``k`` of
    every strategy forms one "instance"; ties share the average rank; a missing result ranks
    last), then ranks are averaged over seed indices (with their standard error over seed
    indices).  "Average rank over time" is the mean of that curve over the grid (the log-spaced
    grid weighs every decade of the budget equally).
problems
    Strategies searching under constraints (e.g. ``re-capped``: ``params <= cap``) solve another
    problem: their regret is against the best *feasible* test accuracy (the trace's recorded
    oracle, :func:`nasbench.runner.oracle`), and they are ranked only against strategies with the
    same constraints.  :meth:`Leaderboard.problems` groups the strategies, :meth:`Leaderboard.split`
    makes one leaderboard per problem (one table and one set of figures each).
non-monotone mean regret
    The incumbent is chosen on (noisy, one-seed) validation accuracy and scored on seed-mean test
    accuracy, so a run's regret can *rise* when a new evaluation wins on validation but is worse
    on test; mean regret curves are therefore not monotone.
Pareto fronts and hypervolume
    :func:`pareto_summary`: per run, the non-dominated set of the architectures it evaluated, each
    scored by its seed-mean value at the top fidelity (what a benchmark's ``table`` holds, so the
    fronts are comparable with the best attainable front of the table), and the hypervolume of
    that set with respect to a fixed reference point (by default the table's worst values), in
    the plotted units, and as a fraction of the best attainable front's hypervolume.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from nasbench.runner import Trace

__all__ = ["Leaderboard", "ParetoSummary", "pareto_summary", "x_label", "display_scale"]


def x_label(axis: str, cost_unit: str) -> str:
    """Axis label with unit for the leaderboard's x axis."""
    if axis == "evaluations":
        return "evaluations"
    if cost_unit == "seconds":
        return "simulated time (s)"
    return "simulated cost (full trainings)"


def display_scale(metric: str, values=None) -> tuple[float, str]:
    """``(factor, label)``: multiply ``metric``'s values by ``factor`` to show them in the unit of
    ``label`` (an axis label with unit).  ``params`` and ``flops`` are stored in millions; when
    every value is below one million they are shown in thousands (the mnist1d table: 1.2-26
    thousand parameters)."""
    named = {"val_acc": "validation accuracy (%)", "test_acc": "test accuracy (%)",
             "train_acc": "training accuracy (%)", "train_time": "training time (s)"}
    if metric in ("params", "flops"):
        what = "parameters" if metric == "params" else "FLOPs"
        v = np.asarray(values if values is not None else [np.nan], dtype=np.float64)
        big = np.nanmax(np.abs(v)) if np.isfinite(v).any() else np.inf
        if big < 1.0:
            return 1e3, f"{what} (thousands)"
        return 1.0, f"{what} (millions)"
    if metric in named:
        return 1.0, named[metric]
    if metric.startswith("latency_"):
        dev = metric[len("latency_"):].replace("_bs", ", batch ")
        return 1.0, f"latency on {dev} (ms)"
    if metric.startswith("energy_"):
        dev = metric[len("energy_"):].replace("_bs", ", batch ")
        return 1.0, f"energy on {dev} (mJ)"
    if metric.endswith("_loss"):
        return 1.0, metric.replace("_", " ")
    return 1.0, metric


def _unit(label: str) -> str:
    """The unit inside the last parentheses of an axis label ("%" -> "% points")."""
    if "(" not in label:
        return "units"
    u = label[label.rfind("(") + 1:label.rfind(")")]
    return {"%": "% points", "thousands": "thousand " + label.split(" (")[0],
            "millions": "million " + label.split(" (")[0]}.get(u, u)


def constraint_label(constraints: Mapping[str, float] | None) -> str:
    """``"params ≤ 6.77 thousand"`` for ``{"params": 0.00677}`` (params in millions, shown in the
    unit of :func:`display_scale`); ``""`` when unconstrained."""
    parts = []
    for m, cap in sorted((constraints or {}).items()):
        k, lab = display_scale(m, [cap])
        unit = _unit(lab)
        unit = {"% points": "%"}.get(unit, unit).replace(" parameters", "").replace(" FLOPs", "")
        parts.append(f"{m} ≤ {cap * k:.4g}" + (f" {unit}" if unit != "units" else ""))
    return " and ".join(parts)


def _budget_end(tr: Trace, axis: str) -> float:
    b = tr.meta.get("budget", {}) or {}
    if axis == "evaluations":
        return float(b.get("evaluations") or len(tr))
    if b.get("cost") is not None:
        return float(b["cost"])
    return float(tr.finish[-1]) if len(tr) else 0.0


def _first_incumbent(tr: Trace, axis: str) -> float:
    ok = np.flatnonzero(np.isfinite(tr.incumbent_test))
    if len(ok) == 0:
        return np.inf
    return float(tr.finish[ok[0]]) if axis == "time" else float(ok[0] + 1)


def _rank_rows(r: np.ndarray) -> np.ndarray:
    """Ranks (1 = lowest regret, ties averaged, NaN last) along axis 0 of ``(n_strat, n_grid)``."""
    from scipy.stats import rankdata

    filled = np.where(np.isnan(r), np.inf, r)
    return rankdata(filled, axis=0, method="average")


@dataclass
class Leaderboard:
    """Anytime-regret comparison of strategies (build it with :meth:`from_traces`).

    Attributes
    ----------
    strategies : list of str
        In the order given.
    grid : ndarray (n_grid,)
        x positions (simulated time in ``cost_unit``, or evaluation counts).
    axis : {"time", "evaluations"}
    regret : dict str -> ndarray (n_seeds, n_grid)
    final_test : dict str -> ndarray (n_seeds,)
        Test accuracy (%) of each run's final incumbent.
    final_regret : dict str -> ndarray (n_seeds,)
        Regret at the end of each run's budget.
    mean_rank : ndarray (n_strategies, n_grid)
        Average rank among the strategies of the same problem (see :meth:`problems`).
    final_rank : ndarray (n_strategies,)
        Average rank (over seed indices) of the final regrets, within each problem.
    oracle : dict str -> float
        Oracle per strategy (constrained strategies are measured against the best feasible).
    info : dict
        Benchmark, cost unit, budget, workers, seeds (from the traces' meta).
    rank_se : ndarray (n_strategies, n_grid)
        Standard error of ``mean_rank`` over seed indices (NaN with one seed).
    constraints : dict str -> dict
        Each strategy's constraints (``{}`` when unconstrained), from the traces' meta.
    pareto : ParetoSummary or None
        Hypervolumes of a multi-objective comparison; set it (``lb.pareto = pareto_summary(...)``)
        to have them in :meth:`rows`, the CSV and the markdown.
    """

    strategies: list[str]
    grid: np.ndarray
    axis: str
    regret: dict[str, np.ndarray]
    final_test: dict[str, np.ndarray]
    final_regret: dict[str, np.ndarray]
    mean_rank: np.ndarray
    final_rank: np.ndarray
    oracle: dict[str, float]
    info: dict = field(default_factory=dict)
    checkpoints: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    traces: dict[str, list[Trace]] = field(default_factory=dict, repr=False)
    rank_se: np.ndarray | None = None
    constraints: dict[str, dict] = field(default_factory=dict)
    pareto: "ParetoSummary | None" = None

    # ----------------------------------------------------------------- build
    @classmethod
    def from_traces(cls, traces: Mapping[str, Sequence[Trace]], oracle: float | Mapping[str, float] | None = None, *,
                    grid: Sequence[float] | None = None, n_points: int = 60, axis: str = "time",
                    checkpoints: Sequence[float] = (0.1, 0.25, 0.5, 1.0)) -> "Leaderboard":
        """Aggregate ``{strategy: [trace per seed]}``.

        Parameters
        ----------
        traces : mapping str -> sequence of Trace
        oracle : float, mapping str -> float, or None
            Best test accuracy in the space (one for all, or per strategy); ``None`` uses each
            trace's recorded oracle (``benchmark.best("test_acc")``, or the best feasible one for
            constrained runs).
        grid : x positions, optional (default: see the module docstring)
        n_points : int
            Points of the default grid.
        axis : {"time", "evaluations"}
        checkpoints : fractions of the budget reported in the table
        """
        if axis not in ("time", "evaluations"):
            raise ValueError(f"axis must be 'time' or 'evaluations', got {axis!r}")
        names = list(traces)
        if not names:
            raise ValueError("no traces given")
        for s in names:
            if len(traces[s]) == 0:
                raise ValueError(f"strategy {s!r} has no traces")
        all_tr = [t for s in names for t in traces[s]]
        benches = sorted({t.meta.get("benchmark", "?") for t in all_tr})
        if len(benches) > 1:
            raise ValueError(f"traces come from different benchmarks {benches}; compare one benchmark at a time")
        units = sorted({t.meta.get("cost_unit", "?") for t in all_tr})
        end = max(_budget_end(t, axis) for t in all_tr)
        if grid is None:
            firsts = [_first_incumbent(t, axis) for t in all_tr]
            finite = [f for f in firsts if np.isfinite(f)]
            start = max(finite) if finite else 1.0
            start = min(max(start, 1e-12), end)
            g = np.geomspace(start, end, n_points) if end > start else np.array([end])
            if axis == "evaluations":
                g = np.unique(np.round(g))
        else:
            g = np.asarray(grid, dtype=np.float64)
            if g.ndim != 1 or len(g) == 0 or np.any(np.diff(g) <= 0):
                raise ValueError("grid must be a non-empty increasing 1-D sequence")
        g.setflags(write=False)

        regret, ftest, freg, orc, cons = {}, {}, {}, {}, {}
        for s in names:
            trs = list(traces[s])
            if isinstance(oracle, Mapping):
                o = [float(oracle[s])] * len(trs)
            else:
                o = [float(oracle) if oracle is not None else t.oracle for t in trs]
            orc[s] = float(np.mean(o))
            cons[s] = dict(trs[0].meta.get("constraints") or {})
            regret[s] = np.stack([t.regret_at(g, axis, oracle=oi) for t, oi in zip(trs, o)])
            ftest[s] = np.array([t.final()["test_acc"] for t in trs])
            freg[s] = np.array([oi - t.final()["test_acc"] for t, oi in zip(trs, o)])
        # ranks only among strategies that solve the same problem (same constraints)
        n_common = min(len(traces[s]) for s in names)
        mean_rank = np.full((len(names), len(g)), np.nan)
        rank_se = np.full((len(names), len(g)), np.nan)
        final_rank = np.full(len(names), np.nan)
        groups: dict[str, list[int]] = {}
        for j, s in enumerate(names):
            groups.setdefault(constraint_label(cons[s]), []).append(j)
        for idx in groups.values():
            stack = np.stack([regret[names[j]][:n_common] for j in idx])          # (S, seeds, G)
            ranks = np.stack([_rank_rows(stack[:, k, :]) for k in range(n_common)])  # (seeds, S, G)
            fstack = np.stack([freg[names[j]][:n_common] for j in idx])            # (S, seeds)
            franks = np.stack([_rank_rows(fstack[:, k:k + 1])[:, 0] for k in range(n_common)])  # (seeds, S)
            mean_rank[idx] = ranks.mean(0)
            if n_common > 1:
                rank_se[idx] = ranks.std(0, ddof=1) / np.sqrt(n_common)
            final_rank[idx] = franks.mean(0)
        t0 = all_tr[0].meta
        info = {"benchmark": benches[0], "cost_unit": units[0] if len(units) == 1 else "/".join(units),
                "budget": t0.get("budget"), "n_workers": sorted({t.meta.get("n_workers") for t in all_tr}),
                "seeds": {s: len(traces[s]) for s in names}, "budget_end": end}
        return cls(strategies=names, grid=g, axis=axis, regret=regret, final_test=ftest, final_regret=freg,
                   mean_rank=mean_rank, final_rank=final_rank, oracle=orc, info=info,
                   checkpoints=tuple(float(c) for c in checkpoints),
                   traces={s: list(traces[s]) for s in names}, rank_se=rank_se, constraints=cons)

    # --------------------------------------------------------------- problems
    def problems(self) -> dict[str, list[str]]:
        """``{label: strategies}`` grouped by constraints, unconstrained (label ``""``) first;
        a constrained label reads ``"params ≤ 0.00677"``."""
        out: dict[str, list[str]] = {}
        for s in self.strategies:
            out.setdefault(constraint_label(self.constraints.get(s)), []).append(s)
        return dict(sorted(out.items(), key=lambda kv: kv[0] != ""))

    def subset(self, strategies: Sequence[str]) -> "Leaderboard":
        """The leaderboard of some strategies only (same grid, oracles and checkpoints)."""
        unknown = [s for s in strategies if s not in self.strategies]
        if unknown:
            raise KeyError(f"unknown strategies {unknown}; this leaderboard has {self.strategies}")
        if not self.traces:
            raise ValueError("this leaderboard keeps no traces; rebuild it with Leaderboard.from_traces")
        lb = Leaderboard.from_traces({s: self.traces[s] for s in strategies}, {s: self.oracle[s] for s in strategies},
                                     grid=self.grid, axis=self.axis, checkpoints=self.checkpoints)
        for k, v in self.info.items():  # budget end and anything a job added (e.g. full_trainings)
            if k not in ("seeds", "n_workers"):
                lb.info[k] = v
        if self.pareto is not None:
            lb.pareto = self.pareto
        return lb

    def split(self) -> list["Leaderboard"]:
        """One leaderboard per problem (:meth:`problems`), unconstrained first; ``[self]`` when
        there is one problem only."""
        probs = self.problems()
        if len(probs) == 1:
            return [self]
        return [self.subset(v) for v in probs.values()]

    def problem(self) -> str:
        """The problem's label (``""`` = unconstrained); ``ValueError`` if this leaderboard mixes problems."""
        probs = self.problems()
        if len(probs) > 1:
            raise ValueError(f"this leaderboard mixes problems {list(probs)}; use Leaderboard.split()")
        return next(iter(probs))

    # ------------------------------------------------------------ descriptions
    def budget_text(self) -> str:
        """``"150 evaluations"``, ``"111.4 s (simulated)"`` or ``"300 full trainings (simulated)"``;
        with ``info["full_trainings"]`` (set by the leaderboard job for ``"100x"`` budgets) a
        time budget also says how many mean full trainings it is worth."""
        unit = self.info.get("cost_unit", "")
        b = self.info.get("budget") or {}
        if b.get("evaluations") is not None:
            return f"{b['evaluations']} evaluations"
        if b.get("cost") is not None:
            if unit != "seconds":
                return f"{b['cost']:.4g} full trainings (simulated)"
            ft = self.info.get("full_trainings")
            worth = f", {ft:.4g} mean full trainings" if ft else ""
            return f"{b['cost']:.4g} s (simulated{worth})"
        return "?"

    def seeds_text(self) -> str:
        """``"10 seeds"`` (or ``"5-10 seeds"`` when strategies differ)."""
        n = sorted(set(self.info.get("seeds", {}).values()))
        if not n:
            return "? seeds"
        return f"{n[0]} seed{'s' if n[0] != 1 else ''}" if len(n) == 1 else f"{n[0]}-{n[-1]} seeds"

    def title(self) -> str:
        """Short figure title: table, budget, seeds (and the constraint of a constrained problem)."""
        b = self.info.get("budget") or {}
        ft = self.info.get("full_trainings")
        if ft and b.get("cost") is not None and self.info.get("cost_unit") == "seconds":
            budget = f"{ft:.3g} trainings"  # the x axis shows the seconds
        else:
            budget = self.budget_text().split(" (simulated")[0]
        t = f"{self.info.get('benchmark')}, budget {budget}, {self.seeds_text()}"
        probs = self.problems()
        cons = [p for p in probs if p]
        if len(probs) == 1 and cons:
            t += f"\nconstrained: {cons[0]}"
        return t

    def oracle_text(self) -> str:
        """Which oracle the regrets are against, one clause per problem."""
        parts = []
        for label, ss in self.problems().items():
            o = self.oracle[ss[0]]
            if label:
                who = f" ({', '.join(ss)})" if len(self.problems()) > 1 else ""
                parts.append(f"best test accuracy among architectures with {label}{who} ({o:.2f}%)")
            else:
                parts.append(f"best test accuracy in the space ({o:.2f}%)")
        return "; ".join(parts)

    def caption(self, kind: str) -> str:
        """A caption for the figure ``kind`` (``regret``, ``ranks``, ``final``, ``pareto``) that
        says what is plotted, on which table, with which budget and seeds."""
        bench = self.info.get("benchmark")
        what = f"`{bench}`, budget {self.budget_text()}, {self.seeds_text()} per strategy"
        if kind == "regret":
            return (f"Anytime test regret on {what}: oracle minus the seed-mean test accuracy of the "
                    f"incumbent chosen on validation accuracy, in % points; regret against the "
                    f"{self.oracle_text()}. Lines: mean over seeds, bands ± 1 standard error. The "
                    "incumbent is chosen on one training seed's validation accuracy and scored on "
                    "test, so a run's regret can rise when a new evaluation wins on validation but "
                    "is worse on test: mean regret need not be monotone.")
        if kind == "ranks":
            return (f"Average rank (1 = best) of the strategies on {what}: ranked by regret within "
                    "each seed index, averaged over seed indices; bands ± 1 standard error over "
                    "seed indices. Only strategies that solve the same problem are ranked together.")
        if kind == "final":
            return (f"Test accuracy of each run's final incumbent on {what}; boxes: median and "
                    "quartiles, whiskers 1.5 IQR, dots: runs; dashed line: "
                    f"{self.oracle_text()}.")
        if kind == "pareto":
            if self.pareto is None:
                raise ValueError("no Pareto summary attached (lb.pareto = pareto_summary(...))")
            return self.pareto.caption()
        raise ValueError(f"unknown figure kind {kind!r}; choose from regret, ranks, final, pareto")

    # ------------------------------------------------------------- statistics
    def stats(self, strategy: str) -> dict[str, np.ndarray]:
        """Per grid point over seeds: ``mean``, ``se``, ``median``, ``q25``, ``q75``, ``n`` (each ``(n_grid,)``)."""
        r = self.regret[strategy]
        n = np.isfinite(r).sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(r, 0)
                sd = np.nanstd(r, 0, ddof=1)
                q25, med, q75 = np.nanpercentile(r, [25, 50, 75], axis=0)
        se = np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), np.nan)
        return {"mean": mean, "se": se, "median": med, "q25": q25, "q75": q75, "n": n}

    def _at_fraction(self, strategy: str, frac: float) -> tuple[float, float]:
        x = frac * self.info["budget_end"]
        r = np.stack([t.regret_at([x], self.axis, oracle=self.oracle[strategy])[0]
                      for t in self.traces[strategy]]) if self.traces else np.array([np.nan])
        r = r[np.isfinite(r)]
        if len(r) == 0:
            return np.nan, np.nan
        return float(r.mean()), float(r.std(ddof=1) / np.sqrt(len(r))) if len(r) > 1 else np.nan

    def order(self) -> list[str]:
        """Strategies grouped by problem (unconstrained first), each group sorted by mean final
        regret (then by final average rank)."""
        fr = dict(zip(self.strategies, self.final_rank))
        pos = {s: k for k, ss in enumerate(self.problems().values()) for s in ss}

        def key(s):
            r = self.final_regret[s]
            m = float(np.mean(r[np.isfinite(r)])) if np.isfinite(r).any() else np.inf
            return (pos[s], m, fr[s])

        return sorted(self.strategies, key=key)

    def rows(self) -> list[dict]:
        """One dict per strategy (sorted by :meth:`order`) with the summary numbers."""
        out = []
        rank_over_time = dict(zip(self.strategies, self.mean_rank.mean(1)))
        fr = dict(zip(self.strategies, self.final_rank))
        hv = {r["strategy"]: r for r in self.pareto.rows()} if self.pareto is not None else {}
        for s in self.order():
            ft, fg = self.final_test[s], self.final_regret[s]
            ok, okg = ft[np.isfinite(ft)], fg[np.isfinite(fg)]
            row = {
                "strategy": s, "n_seeds": int(len(ft)),
                "test_acc_mean": float(ok.mean()) if len(ok) else np.nan,
                "test_acc_se": float(ok.std(ddof=1) / np.sqrt(len(ok))) if len(ok) > 1 else np.nan,
                "regret_mean": float(okg.mean()) if len(okg) else np.nan,
                "regret_se": float(okg.std(ddof=1) / np.sqrt(len(okg))) if len(okg) > 1 else np.nan,
                "regret_median": float(np.median(okg)) if len(okg) else np.nan,
                "regret_q25": float(np.percentile(okg, 25)) if len(okg) else np.nan,
                "regret_q75": float(np.percentile(okg, 75)) if len(okg) else np.nan,
                "final_rank": float(fr[s]), "mean_rank_over_time": float(rank_over_time[s]),
                "oracle": self.oracle[s], "constraints": constraint_label(self.constraints.get(s)),
            }
            for c in self.checkpoints:
                m, se = self._at_fraction(s, c)
                row[f"regret@{c:g}"] = m
                row[f"regret@{c:g}_se"] = se
            if hv:
                h = hv.get(s, {})
                for k in ("hv_mean", "hv_se", "hv_fraction_mean", "hv_fraction_se"):
                    row[k] = h.get(k, np.nan)
                row["hv_reference"] = h.get("hv_reference", "")
                row["hv_unit"] = h.get("hv_unit", "")
            out.append(row)
        return out

    # ---------------------------------------------------------------- export
    def summary(self):
        """The summary table as a pandas DataFrame (one row per strategy)."""
        import pandas as pd

        return pd.DataFrame(self.rows()).set_index("strategy")

    def curves(self):
        """Long-format pandas DataFrame: strategy, x, mean, se, median, q25, q75, n, mean_rank, rank_se."""
        import pandas as pd

        frames = []
        for j, s in enumerate(self.strategies):
            st = self.stats(s)
            rse = self.rank_se[j] if self.rank_se is not None else np.nan
            frames.append(pd.DataFrame({"strategy": s, "x": self.grid, **st, "mean_rank": self.mean_rank[j],
                                        "rank_se": rse}))
        return pd.concat(frames, ignore_index=True)

    def to_csv(self, path, what: str = "summary") -> Path:
        """Write the summary (``what="summary"``) or the anytime curves (``"curves"``) as CSV."""
        if what not in ("summary", "curves"):
            raise ValueError(f"what must be 'summary' or 'curves', got {what!r}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        (self.summary() if what == "summary" else self.curves()).to_csv(path, float_format="%.6g")
        return path

    def _table_lines(self, rows: list[dict]) -> list[str]:
        cps = [c for c in self.checkpoints if c < 1.0]
        cols = ["#", "strategy", "test acc", "regret", "median [IQR]"] + [f"regret @{c:.0%}" for c in cps] + [
            "final rank", "mean rank over time"]
        lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(["---"] * len(cols)) + "|"]

        def pm(m, se, d):
            if not np.isfinite(m):
                return "–"
            return f"{m:.{d}f} ± {se:.{d}f}" if np.isfinite(se) else f"{m:.{d}f}"

        for k, r in enumerate(rows, start=1):
            cells = [str(k), r["strategy"], pm(r["test_acc_mean"], r["test_acc_se"], 2),
                     pm(r["regret_mean"], r["regret_se"], 3),
                     "–" if not np.isfinite(r["regret_median"]) else
                     f"{r['regret_median']:.3f} [{r['regret_q25']:.3f}, {r['regret_q75']:.3f}]"]
            cells += [pm(r[f"regret@{c:g}"], r[f"regret@{c:g}_se"], 3) for c in cps]
            cells += [f"{r['final_rank']:.2f}", f"{r['mean_rank_over_time']:.2f}"]
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def to_markdown(self, path=None, *, figures: Mapping[str, str] | None = None) -> str:
        """Markdown: one table per problem (sorted by mean final regret), the hypervolume table
        when :attr:`pareto` is set, and, with ``figures`` (``{file name: caption}``, captions
        from :meth:`caption`), a caption per figure; written to ``path`` when given."""
        workers = ", ".join(str(w) for w in self.info.get("n_workers", []))
        head = (f"Benchmark `{self.info.get('benchmark')}`, budget {self.budget_text()}, workers {workers}, "
                f"{self.seeds_text()}.  Test accuracy (%) of the incumbent chosen on validation accuracy; "
                "regret = best test accuracy in the space (or, for a constrained search, the best "
                "feasible one) - that (% points); mean ± standard error over seeds; rank 1 = best, "
                "among strategies of the same problem.")
        lines = [head]
        rows = self.rows()
        for label, ss in self.problems().items():
            o = self.oracle[ss[0]]
            if label:
                lines += ["", f"**Constrained search, {label}** (regret against {o:.2f}, the best test accuracy "
                              f"among architectures with {label}; not comparable with the unconstrained rows):"]
            elif len(self.problems()) > 1:
                lines += ["", f"**Unconstrained search** (regret against {o:.2f}, the best test accuracy in the "
                              "space):"]
            else:
                lines += ["", f"Best test accuracy in the space: {o:.2f}."]
            lines += [""] + self._table_lines([r for r in rows if r["strategy"] in ss])
        if self.pareto is not None:
            lines += ["", self.pareto.to_markdown().rstrip("\n")]
        if figures:
            lines += ["", "Figures:", ""]
            for name, cap in figures.items():
                lines.append(f"- `{name}`: {cap}")
        text = "\n".join(lines) + "\n"
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text)
        return text

    def __repr__(self) -> str:
        return (f"Leaderboard({self.info.get('benchmark')!r}, strategies={self.strategies}, "
                f"seeds={self.info.get('seeds')}, grid={len(self.grid)} points)")


# ----------------------------------------------------------------- Pareto fronts
def _front(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pareto front (x minimised, y maximised) of ``(n,)`` arrays, sorted by x."""
    from nasbench.strategies.multiobjective import pareto_mask

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return x, y
    m = pareto_mask(np.stack([-x, y], 1))
    o = np.argsort(x[m], kind="stable")
    return x[m][o], y[m][o]


def _fmt(v: float) -> str:
    return f"{v:.4g}"


@dataclass
class ParetoSummary:
    """Pareto fronts and hypervolumes of multi-objective comparisons (see :func:`pareto_summary`).

    Attributes
    ----------
    x_metric, y_metric : str
        ``x`` is minimised (a cost: params, latency), ``y`` maximised (an accuracy).
    values : str
        Which values the points are (e.g. ``"seed-mean values at fidelity 10 (mean over the
        table's 3 training seeds)"``); ``values_short`` says it in a few words for a figure.
    benchmark : str
    reference : tuple (x, y)
        Hypervolume reference point, in the metrics' stored units.
    reference_source : str
        Where the reference point comes from.
    x_scale : float
        Factor from the stored to the displayed unit of ``x`` (1e3: millions -> thousands).
    x_label, y_label : str
        Axis labels with the displayed units.
    points : dict str -> list of (x, y)
        Per strategy and run: the evaluated architectures' values (stored units).
    hv : dict str -> ndarray (n_runs,)
        Hypervolume of each run's points, in :attr:`hv_unit` (displayed units).
    best_front : (x, y) or None
        The best attainable front on the same values (stored units).
    best_hv : float
        Its hypervolume (NaN without a best front).
    """

    x_metric: str
    y_metric: str
    values: str
    values_short: str
    benchmark: str
    reference: tuple[float, float]
    reference_source: str
    x_scale: float
    x_label: str
    y_label: str
    points: dict[str, list[tuple[np.ndarray, np.ndarray]]]
    hv: dict[str, np.ndarray]
    best_front: tuple[np.ndarray, np.ndarray] | None = None
    best_hv: float = float("nan")

    @property
    def hv_unit(self) -> str:
        return f"{_unit(self.y_label)} × {_unit(self.x_label)}"

    def reference_text(self) -> str:
        return (f"x = {_fmt(self.reference[0] * self.x_scale)} {_unit(self.x_label)}, "
                f"y = {_fmt(self.reference[1])} {_unit(self.y_label).replace(' points', '')}")

    def median_run(self, strategy: str) -> int:
        """Index of the run with the median hypervolume (the lower median for an even count)."""
        hv = self.hv[strategy]
        return int(np.argsort(hv, kind="stable")[(len(hv) - 1) // 2])

    def front(self, strategy: str, run: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Front of one run (default: the median-hypervolume run), stored units, sorted by x."""
        x, y = self.points[strategy][self.median_run(strategy) if run is None else run]
        return _front(x, y)

    def rows(self) -> list[dict]:
        out = []
        for s, hv in self.hv.items():
            n = len(hv)
            se = float(hv.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            fr = hv / self.best_hv if np.isfinite(self.best_hv) and self.best_hv > 0 else np.full(n, np.nan)
            out.append({"strategy": s, "n_seeds": n, "hv_mean": float(hv.mean()), "hv_se": se,
                        "hv_fraction_mean": float(fr.mean()),
                        "hv_fraction_se": float(fr.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
                        "hv_reference": self.reference_text(), "hv_unit": self.hv_unit,
                        "values": self.values})
        return out

    def to_csv(self, path) -> Path:
        import pandas as pd

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(self.rows()).set_index("strategy").to_csv(path, float_format="%.6g")
        return path

    def to_markdown(self) -> str:
        best = (f"; the best attainable front of the table has HV {_fmt(self.best_hv)}"
                if np.isfinite(self.best_hv) else "")
        lines = [f"**Hypervolume** of the architectures each run evaluated, {self.y_label} (maximised) vs "
                 f"{self.x_label} (minimised), scored by {self.values}; reference point "
                 f"({self.reference_text()}, {self.reference_source}); HV in {self.hv_unit}, mean ± "
                 f"standard error over runs{best}.", "",
                 "| strategy | runs | HV | fraction of best attainable HV |", "|---|---|---|---|"]
        for r in sorted(self.rows(), key=lambda r: -r["hv_mean"]):
            hv = f"{r['hv_mean']:.4g}" + (f" ± {r['hv_se']:.2g}" if np.isfinite(r["hv_se"]) else "")
            fr = ("–" if not np.isfinite(r["hv_fraction_mean"]) else f"{r['hv_fraction_mean']:.4f}"
                  + (f" ± {r['hv_fraction_se']:.4f}" if np.isfinite(r["hv_fraction_se"]) else ""))
            lines.append(f"| {r['strategy']} | {r['n_seeds']} | {hv} | {fr} |")
        return "\n".join(lines) + "\n"

    def caption(self) -> str:
        ref = (" Black dotted: the best attainable front of the table on the same values."
               if self.best_front is not None else "")
        return (f"Pareto fronts of {self.y_label} (maximised) vs {self.x_label} (minimised) on "
                f"`{self.benchmark}`: for each strategy the run with the median hypervolume (HV); "
                f"points: the non-dominated architectures it evaluated, scored by {self.values}.{ref} "
                f"HV: area dominated up to the reference point ({self.reference_text()}; "
                f"{self.reference_source}), in {self.hv_unit}; mean ± standard error over runs.")


def pareto_summary(traces: Mapping[str, Sequence[Trace]], x_metric: str, y_metric: str = "val_acc", *,
                   benchmark=None, reference: tuple[float, float] | None = None,
                   true_front: tuple | None = None) -> ParetoSummary:
    """Fronts and hypervolumes of ``{strategy: [trace per seed]}``: ``y_metric`` (maximised) vs
    ``x_metric`` (minimised).

    With ``benchmark``, each run's points are the architectures it evaluated (at its search
    fidelity or higher), scored by their *seed-mean* values at the top fidelity
    (``benchmark.table``), so that the best attainable front (default ``true_front``: the whole
    table's) bounds them; the default ``reference`` is the table's worst ``x`` and worst ``y``,
    a fixed point, so hypervolumes are comparable between runs and jobs.  Without it, the values
    each run recorded (one training seed per evaluation, at the evaluated fidelity) are used,
    and the default reference is the worst values seen in these runs (and ``true_front``);
    a ``true_front`` given then must be on the same kind of values.
    """
    from nasbench.strategies.multiobjective import hypervolume_2d

    names = list(traces)
    if not names or any(len(traces[s]) == 0 for s in names):
        raise ValueError("pareto_summary needs at least one trace per strategy")
    all_tr = [t for s in names for t in traces[s]]
    bench_name = all_tr[0].meta.get("benchmark", "?")
    points: dict[str, list] = {}
    if benchmark is not None:
        benchmark.check_metrics([x_metric, y_metric])
        tx = np.asarray(benchmark.table(x_metric), dtype=np.float64)
        ty = np.asarray(benchmark.table(y_metric), dtype=np.float64)
        n_seeds = getattr(benchmark, "n_seeds", None)
        if getattr(benchmark, "seeds_are_means", False):
            how = "the table's published seed means"
        elif n_seeds:
            how = f"mean over the table's {n_seeds} training seed{'s' if n_seeds != 1 else ''}"
        else:
            how = "the benchmark's seed mean"
        values = f"seed-mean values at fidelity {benchmark.max_fidelity} ({how})"
        short = (f"mean of {n_seeds} training seeds" if n_seeds and not getattr(benchmark, "seeds_are_means", False)
                 else "seed means") + f", fidelity {benchmark.max_fidelity}"
        for s in names:
            pts = []
            for t in traces[s]:
                f0 = t.meta.get("default_fidelity")
                rows = np.asarray(t.fidelity) >= f0 if f0 is not None else np.ones(len(t), bool)
                idx = np.unique(np.asarray(t.arch)[rows] if rows.any() else np.asarray(t.arch))
                pts.append((tx[idx], ty[idx]))
            points[s] = pts
        if true_front is None:
            true_front = (tx, ty)
        if reference is None:
            reference = (float(np.nanmax(tx)), float(np.nanmin(ty)))
            source = "the table's worst values"
        else:
            source = "as given"
    else:
        for s in names:
            for t in traces[s]:
                missing = [m for m in (x_metric, y_metric) if m not in t.values]
                if missing:
                    raise KeyError(f"trace of {s!r} lacks {missing}; recorded metrics: {sorted(t.values)}")
            points[s] = [(np.asarray(t.values[x_metric], dtype=np.float64),
                          np.asarray(t.values[y_metric], dtype=np.float64)) for t in traces[s]]
        values = "the values each run recorded (one training seed per evaluation, at its evaluated fidelity)"
        short = "one training seed per point (as recorded)"
        if reference is None:
            xs = [p[0] for v in points.values() for p in v]
            ys = [p[1] for v in points.values() for p in v]
            if true_front is not None:
                xs.append(np.asarray(true_front[0], dtype=np.float64))
                ys.append(np.asarray(true_front[1], dtype=np.float64))
            reference = (float(np.nanmax(np.concatenate(xs))), float(np.nanmin(np.concatenate(ys))))
            source = "the worst values in these runs"
        else:
            source = "as given"
    best = _front(*true_front) if true_front is not None else None
    allx = np.concatenate([p[0] for v in points.values() for p in v] + ([best[0]] if best is not None else []))
    scale, xlab = display_scale(x_metric, allx)
    _, ylab = display_scale(y_metric)
    ref = np.array([-reference[0] * scale, reference[1]])

    def hv_of(x, y):
        return hypervolume_2d(np.stack([-np.asarray(x) * scale, np.asarray(y)], 1), ref)

    hv = {s: np.array([hv_of(x, y) for x, y in points[s]]) for s in names}
    best_hv = hv_of(*best) if best is not None else float("nan")
    return ParetoSummary(x_metric=x_metric, y_metric=y_metric, values=values, values_short=short, benchmark=bench_name,
                         reference=(float(reference[0]), float(reference[1])), reference_source=source,
                         x_scale=scale, x_label=xlab, y_label=ylab, points=points, hv=hv,
                         best_front=best, best_hv=float(best_hv))
