"""Multi-objective and constrained search, plus Pareto-front helpers (numpy only).

* :class:`NSGA2` — steady-state NSGA-II (Deb et al. 2002): a population of ``population_size``;
  each child comes from two binary tournaments (lower non-domination rank wins, then larger
  crowding distance), uniform crossover of the two parents and a one-edge mutation; after each
  result the worst member (last front, smallest crowding distance) is removed.  Objectives are
  e.g. ``("val_acc", "params")`` or ``("val_acc", "latency_<device>_bs1")``; each metric's
  direction follows its name (accuracy up; params, FLOPs, latency, losses down).
* :class:`ConstrainedEvolution` — regularized evolution on the objective subject to
  ``metric <= cap`` (e.g. parameters or latency): feasible architectures beat infeasible ones,
  infeasible ones rank by how far they exceed the cap.  It exposes ``constraints``, so the runner
  picks the incumbent among feasible results and measures regret against the best feasible
  architecture.
* :func:`pareto_mask`, :func:`non_dominated_sort`, :func:`crowding_distance`,
  :func:`hypervolume_2d` — on ``(n, m)`` arrays of objectives to *maximise* (flip signs first).
"""
from __future__ import annotations

import numpy as np

from nasbench.strategies.base import Strategy, Suggestion, higher_is_better
from nasbench.strategies.evolution import RegularizedEvolution

__all__ = ["NSGA2", "ConstrainedEvolution", "pareto_mask", "non_dominated_sort", "crowding_distance",
           "hypervolume_2d"]


# ------------------------------------------------------------------ Pareto helpers
def pareto_mask(points) -> np.ndarray:
    """``(n,)`` bool: rows of ``points (n, m)`` (maximised) that no other row dominates."""
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"points must have shape (n, m), got {p.shape}")
    if p.shape[1] == 2 and len(p) > 64:  # O(n log n) sweep: x descending, keep strict new y maxima
        order = np.lexsort((-p[:, 1], -p[:, 0]))  # by x desc, then y desc
        x, y = p[order, 0], p[order, 1]
        best_before = np.maximum.accumulate(np.concatenate([[-np.inf], y[:-1]]))
        keep = y > best_before
        # equal points are mutually non-dominated: keep duplicates of a kept point
        same_as_prev = np.concatenate([[False], (x[1:] == x[:-1]) & (y[1:] == y[:-1])])
        for k in np.flatnonzero(same_as_prev):
            keep[k] = keep[k - 1]
        out = np.zeros(len(p), dtype=bool)
        out[order[keep]] = True
        return out
    ge = (p[:, None, :] >= p[None, :, :]).all(2)
    gt = (p[:, None, :] > p[None, :, :]).any(2)
    dominated = (ge & gt).any(0)  # dominated[j]: some i dominates j
    return ~dominated


def non_dominated_sort(points) -> np.ndarray:
    """``(n,)`` int front number (0 = Pareto front) of each row of ``points (n, m)`` (maximised)."""
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    ge = (p[:, None, :] >= p[None, :, :]).all(2)
    gt = (p[:, None, :] > p[None, :, :]).any(2)
    dom = ge & gt  # dom[i, j]: i dominates j
    rank = np.full(n, -1, dtype=np.int64)
    remaining = np.ones(n, dtype=bool)
    front = 0
    while remaining.any():
        count = dom[remaining][:, remaining].sum(0)
        cur = np.flatnonzero(remaining)[count == 0]
        rank[cur] = front
        remaining[cur] = False
        front += 1
    return rank


def crowding_distance(points) -> np.ndarray:
    """``(n,)`` NSGA-II crowding distance of rows of ``points (n, m)`` within one front."""
    p = np.asarray(points, dtype=np.float64)
    n, m = p.shape
    d = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(p[:, k], kind="stable")
        span = p[order[-1], k] - p[order[0], k]
        d[order[0]] = d[order[-1]] = np.inf
        if span > 0:
            d[order[1:-1]] += (p[order[2:], k] - p[order[:-2], k]) / span
    return d


def hypervolume_2d(points, ref) -> float:
    """Area dominated by ``points (n, 2)`` (both maximised) and bounded below by ``ref (2,)``.

    Points not strictly better than ``ref`` in both objectives add nothing.
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    r = np.asarray(ref, dtype=np.float64)
    p = p[np.isfinite(p).all(1) & (p > r).all(1)]
    if len(p) == 0:
        return 0.0
    p = p[pareto_mask(p)]
    p = p[np.argsort(-p[:, 0], kind="stable")]  # x descending -> y ascending on the front
    area, y_prev = 0.0, r[1]
    for x, y in p:
        area += (x - r[0]) * (y - y_prev)
        y_prev = y
    return float(area)


# -------------------------------------------------------------------- strategies
class NSGA2(Strategy):
    """Steady-state NSGA-II over two (or more) objectives.

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    objectives : tuple of str
        Metrics to optimise, e.g. ``("val_acc", "params")``.
    population_size : int
    crossover_prob : float
        Probability of uniform crossover before the mutation.
    """

    name = "nsga2"

    def __init__(self, space, seed, *, objectives=("val_acc", "params"), population_size: int = 20,
                 crossover_prob: float = 0.5):
        objectives = tuple(objectives)
        if len(objectives) < 2:
            raise ValueError(f"NSGA2 needs at least two objectives, got {objectives}")
        super().__init__(space, seed, objective=objectives[0])
        if population_size < 2:
            raise ValueError(f"population_size must be >= 2, got {population_size}")
        self.objectives = objectives
        self.population_size = int(population_size)
        self.crossover_prob = float(crossover_prob)
        self._pop_idx: list[int] = []
        self._pop_f: list[np.ndarray] = []
        self._rank = np.zeros(0, dtype=np.int64)
        self._crowd = np.zeros(0)

    @property
    def metrics(self) -> tuple[str, ...]:
        return self.objectives

    def _refresh(self) -> None:
        F = np.asarray(self._pop_f)
        self._rank = non_dominated_sort(F)
        self._crowd = np.zeros(len(F))
        for r in np.unique(self._rank):
            sel = self._rank == r
            self._crowd[sel] = crowding_distance(F[sel])

    def _tournament(self) -> int:
        a, b = self.rng.integers(0, len(self._pop_idx), 2)
        ka = (-self._rank[a], self._crowd[a])
        kb = (-self._rank[b], self._crowd[b])
        return int(a if ka >= kb else b)

    def _child(self) -> int | None:
        for _ in range(50):
            pa, pb = self._pop_idx[self._tournament()], self._pop_idx[self._tournament()]
            ops = self._ops(pa)
            if self.rng.random() < self.crossover_prob:
                other = self._ops(pb)
                take = self.rng.random(self._L) < 0.5
                ops = [o2 if t else o1 for o1, o2, t in zip(ops, other, take)]
            child = self._mutate(self._index(ops))
            if child not in self._asked:
                return child
        new = self._random_unseen(1)
        return new[0] if new else None

    def ask(self, n: int) -> list[Suggestion]:
        return self._ask_evolving(
            n, lambda: self._n_asked < self.population_size or len(self._pop_idx) < 2, self._child)

    def tell(self, suggestions, values) -> None:
        idx, _ = self._check_tell(suggestions, values)
        F = np.stack([self._score(values, m) for m in self.objectives], axis=1)  # (n, m), maximised
        F = np.where(np.isfinite(F), F, -1e300)
        for i, f in zip(idx, F):
            self._pop_idx.append(i)
            self._pop_f.append(f)
            if len(self._pop_idx) > self.population_size:
                self._refresh()
                worst_rank = self._rank.max()
                cand = np.flatnonzero(self._rank == worst_rank)
                drop = int(cand[np.argmin(self._crowd[cand])])  # first of the least crowded
                del self._pop_idx[drop]
                del self._pop_f[drop]
        if len(self._pop_idx) >= 2:
            self._refresh()


class ConstrainedEvolution(RegularizedEvolution):
    """Regularized evolution for the best objective subject to ``metric <= cap``.

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    metric : str
        Constrained metric, e.g. ``"params"`` (millions) or ``"latency_cpu_bs1"`` (ms).
    cap : float
        Upper bound, in the metric's unit.
    population_size, sample_size, objective : see :class:`RegularizedEvolution`
    """

    name = "re-capped"

    def __init__(self, space, seed, *, metric: str = "params", cap: float, population_size: int = 10,
                 sample_size: int = 3, objective: str = "val_acc"):
        super().__init__(space, seed, population_size=population_size, sample_size=sample_size,
                         objective=objective)
        if higher_is_better(metric):
            raise ValueError(f"the constrained metric must be a cost (lower is better), got {metric!r}")
        if not np.isfinite(cap):
            raise ValueError(f"cap must be a finite number, got {cap!r}")
        self.metric = metric
        self.cap = float(cap)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.objective, self.metric)

    @property
    def constraints(self) -> dict[str, float]:
        return {self.metric: self.cap}

    def _member_scores(self, values):
        score = self._score(values)
        v = np.asarray(values[self.metric], dtype=np.float64)
        excess = np.where(np.isnan(v), np.inf, v - self.cap)
        return [(True, s) if e <= 0 else (False, -e) for s, e in zip(score.tolist(), excess.tolist())]
