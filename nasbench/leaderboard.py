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
    last), then ranks are averaged over seed indices.  "Average rank over time" is the mean of
    that curve over the grid (the log-spaced grid weighs every decade of the budget equally).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from nasbench.runner import Trace

__all__ = ["Leaderboard", "x_label"]


def x_label(axis: str, cost_unit: str) -> str:
    """Axis label with unit for the leaderboard's x axis."""
    if axis == "evaluations":
        return "evaluations"
    if cost_unit == "seconds":
        return "simulated time (s)"
    return "simulated cost (full trainings)"


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
    final_rank : ndarray (n_strategies,)
        Average rank (over seed indices) of the final regrets.
    oracle : dict str -> float
        Oracle per strategy (constrained strategies are measured against the best feasible).
    info : dict
        Benchmark, cost unit, budget, workers, seeds (from the traces' meta).
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

    # ----------------------------------------------------------------- build
    @classmethod
    def from_traces(cls, traces: Mapping[str, Sequence[Trace]], oracle: float | None = None, *,
                    grid: Sequence[float] | None = None, n_points: int = 60, axis: str = "time",
                    checkpoints: Sequence[float] = (0.1, 0.25, 0.5, 1.0)) -> "Leaderboard":
        """Aggregate ``{strategy: [trace per seed]}``.

        Parameters
        ----------
        traces : mapping str -> sequence of Trace
        oracle : float or None
            Best test accuracy in the space; ``None`` uses each trace's recorded oracle
            (``benchmark.best("test_acc")``, or the best feasible one for constrained runs).
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

        regret, ftest, freg, orc = {}, {}, {}, {}
        for s in names:
            trs = list(traces[s])
            o = [float(oracle) if oracle is not None else t.oracle for t in trs]
            orc[s] = float(np.mean(o))
            regret[s] = np.stack([t.regret_at(g, axis, oracle=oi) for t, oi in zip(trs, o)])
            ftest[s] = np.array([t.final()["test_acc"] for t in trs])
            freg[s] = np.array([oi - t.final()["test_acc"] for t, oi in zip(trs, o)])
        n_common = min(len(traces[s]) for s in names)
        stack = np.stack([regret[s][:n_common] for s in names])          # (S, seeds, G)
        ranks = np.stack([_rank_rows(stack[:, k, :]) for k in range(n_common)])  # (seeds, S, G)
        fstack = np.stack([freg[s][:n_common] for s in names])            # (S, seeds)
        franks = np.stack([_rank_rows(fstack[:, k:k + 1])[:, 0] for k in range(n_common)])  # (seeds, S)
        t0 = all_tr[0].meta
        info = {"benchmark": benches[0], "cost_unit": units[0] if len(units) == 1 else "/".join(units),
                "budget": t0.get("budget"), "n_workers": sorted({t.meta.get("n_workers") for t in all_tr}),
                "seeds": {s: len(traces[s]) for s in names}, "budget_end": end}
        return cls(strategies=names, grid=g, axis=axis, regret=regret, final_test=ftest, final_regret=freg,
                   mean_rank=ranks.mean(0), final_rank=franks.mean(0), oracle=orc, info=info,
                   checkpoints=tuple(float(c) for c in checkpoints),
                   traces={s: list(traces[s]) for s in names})

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
        """Strategies sorted by mean final regret (then by final average rank)."""
        fr = dict(zip(self.strategies, self.final_rank))

        def key(s):
            r = self.final_regret[s]
            m = float(np.mean(r[np.isfinite(r)])) if np.isfinite(r).any() else np.inf
            return (m, fr[s])

        return sorted(self.strategies, key=key)

    def rows(self) -> list[dict]:
        """One dict per strategy (sorted by :meth:`order`) with the summary numbers."""
        out = []
        rank_over_time = dict(zip(self.strategies, self.mean_rank.mean(1)))
        fr = dict(zip(self.strategies, self.final_rank))
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
                "oracle": self.oracle[s],
            }
            for c in self.checkpoints:
                m, se = self._at_fraction(s, c)
                row[f"regret@{c:g}"] = m
                row[f"regret@{c:g}_se"] = se
            out.append(row)
        return out

    # ---------------------------------------------------------------- export
    def summary(self):
        """The summary table as a pandas DataFrame (one row per strategy)."""
        import pandas as pd

        return pd.DataFrame(self.rows()).set_index("strategy")

    def curves(self):
        """Long-format pandas DataFrame: strategy, x, mean, se, median, q25, q75, n, mean_rank."""
        import pandas as pd

        frames = []
        for j, s in enumerate(self.strategies):
            st = self.stats(s)
            frames.append(pd.DataFrame({"strategy": s, "x": self.grid, **st, "mean_rank": self.mean_rank[j]}))
        return pd.concat(frames, ignore_index=True)

    def to_csv(self, path, what: str = "summary") -> Path:
        """Write the summary (``what="summary"``) or the anytime curves (``"curves"``) as CSV."""
        if what not in ("summary", "curves"):
            raise ValueError(f"what must be 'summary' or 'curves', got {what!r}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        (self.summary() if what == "summary" else self.curves()).to_csv(path, float_format="%.6g")
        return path

    def to_markdown(self, path=None) -> str:
        """A markdown table (sorted by final rank); written to ``path`` when given."""
        unit = self.info.get("cost_unit", "")
        b = self.info.get("budget") or {}
        if b.get("evaluations") is not None:
            budget = f"{b['evaluations']} evaluations"
        elif b.get("cost") is not None:
            budget = f"{b['cost']:.4g} {'s' if unit == 'seconds' else 'full trainings'} (simulated)"
        else:
            budget = "?"
        seeds = sorted(set(self.info.get("seeds", {}).values()))
        head = (f"Benchmark `{self.info.get('benchmark')}`, budget {budget}, workers "
                f"{', '.join(str(w) for w in self.info.get('n_workers', []))}, seeds "
                f"{', '.join(str(s) for s in seeds)}.  Test accuracy (%) of the incumbent chosen on "
                "validation accuracy; regret = best test accuracy in the space - that (% points); "
                "mean ± standard error over seeds; rank 1 = best.")
        cps = [c for c in self.checkpoints if c < 1.0]
        cols = ["#", "strategy", "test acc", "regret", "median [IQR]"] + [f"regret @{c:.0%}" for c in cps] + [
            "final rank", "mean rank over time"]
        lines = [head, "", "| " + " | ".join(cols) + " |", "|" + "|".join(["---"] * len(cols)) + "|"]

        def pm(m, se, d):
            if not np.isfinite(m):
                return "–"
            return f"{m:.{d}f} ± {se:.{d}f}" if np.isfinite(se) else f"{m:.{d}f}"

        for k, r in enumerate(self.rows(), start=1):
            cells = [str(k), r["strategy"], pm(r["test_acc_mean"], r["test_acc_se"], 2),
                     pm(r["regret_mean"], r["regret_se"], 3),
                     "–" if not np.isfinite(r["regret_median"]) else
                     f"{r['regret_median']:.3f} [{r['regret_q25']:.3f}, {r['regret_q75']:.3f}]"]
            cells += [pm(r[f"regret@{c:g}"], r[f"regret@{c:g}_se"], 3) for c in cps]
            cells += [f"{r['final_rank']:.2f}", f"{r['mean_rank_over_time']:.2f}"]
            lines.append("| " + " | ".join(cells) + " |")
        base = float(np.median(list(self.oracle.values())))
        def cons(s):
            c = self.traces[s][0].meta.get("constraints", {}) if self.traces.get(s) else {}
            return " and ".join(f"{m} ≤ {cap:.4g}" for m, cap in c.items()) or "its constraint"

        notes = [f"- `{s}`: regret against {o:.2f}, the best test accuracy among architectures with {cons(s)}"
                 for s, o in self.oracle.items() if abs(o - base) > 1e-9]
        if notes:
            lines += ["", f"Best test accuracy in the space: {base:.2f}."] + notes
        text = "\n".join(lines) + "\n"
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text)
        return text

    def __repr__(self) -> str:
        return (f"Leaderboard({self.info.get('benchmark')!r}, strategies={self.strategies}, "
                f"seeds={self.info.get('seeds')}, grid={len(self.grid)} points)")
