"""A synthetic dense benchmark: a deterministic function of the ops, defined everywhere.

For tests and for checking strategies on a landscape whose optimum is known.  Every edge adds
a fixed contribution per op plus one pairwise interaction term; learning curves saturate
exponentially; seed noise is a fixed function of (architecture, seed).  Nothing is random at
query time except the choice of recorded seed (see :class:`~nasbench.benchmarks.base.Benchmark`).
"""
from __future__ import annotations


import numpy as np

from nasbench.benchmarks.base import PER_EPOCH_METRICS, Benchmark, pick_seeds
from nasbench.space import SearchSpace
from nasbench.spaces import NB201Space
from nasbench.types import Evaluation

__all__ = ["SyntheticBenchmark"]


class SyntheticBenchmark(Benchmark):
    """Dense synthetic table over any :class:`SearchSpace` (default NB201).

    Parameters
    ----------
    space : SearchSpace
    n_epochs : int
        Fidelities ``1..n_epochs`` (kind ``epoch_of_schedule``).
    n_seeds : int
    noise : float
        Standard deviation (accuracy points) of the per-seed noise.
    difficulty : float
        Scales the interaction term; 0 makes the landscape additive (easy).
    landscape_seed : int
        Seed of the fixed landscape (not of queries).
    """

    fidelity_kind = "epoch_of_schedule"
    cost_unit = "seconds"

    def __init__(self, space: SearchSpace | None = None, n_epochs: int = 12, n_seeds: int = 3,
                 noise: float = 1.0, difficulty: float = 0.5, landscape_seed: int = 0):
        self.space = space if space is not None else NB201Space()
        self.name = f"synthetic-{self.space.name}"
        self.metrics = PER_EPOCH_METRICS
        self.static_metrics = ("params", "flops", "latency_cpu_bs1")
        self.fidelities = np.arange(1, n_epochs + 1, dtype=np.int32)
        self.n_seeds = int(n_seeds)
        rng = np.random.default_rng(landscape_seed)
        L, K = self.space.n_edges, self.space.n_ops
        self._w = rng.normal(0, 4.0, size=(L, K))
        self._pair = rng.normal(0, 3.0 * difficulty, size=(L, L, K, K))
        self._cost = rng.uniform(0.2, 2.0, size=K)
        self._noise = float(noise)
        self._seed_offset = rng.normal(0, 1, size=(997, self.n_seeds))

    # final accuracy of the seed mean, (n,)
    def _final(self, ops: np.ndarray) -> np.ndarray:
        L = ops.shape[1]
        score = self._w[np.arange(L), ops].sum(1)
        for a in range(L - 1):
            score += self._pair[a, a + 1, ops[:, a], ops[:, a + 1]]
        return 60.0 + 30.0 / (1.0 + np.exp(-score / 6.0))

    def query(self, archs, *, fidelity=None, seed=0, trial=None, metrics=None) -> Evaluation:
        per, static = self.check_metrics(metrics)
        idx = self.space.as_indices(archs)
        ops = self.space.ops_from_index(idx).astype(np.int64).reshape(len(idx), -1)
        n = len(idx)
        cols = pick_seeds(n, self.n_seeds, seed, trial)
        off = self._seed_offset[idx % 997]  # (n, n_seeds)
        noise = off.mean(1) if cols is None else off[np.arange(n), cols]
        final = self._final(ops) + self._noise * noise
        ep = self.fidelities if fidelity is None else np.array([self.fidelities[self.fidelity_pos(fidelity)]])
        shape = 1.0 - np.exp(-ep[None, :] / 3.0)  # (1, n_fid)
        val = final[:, None] * shape
        test = val - 0.5
        per_epoch_cost = self._cost[ops].sum(1) + 0.5  # seconds per epoch
        values = {}
        curves = {
            "val_acc": val, "test_acc": test, "train_acc": np.minimum(val + 5.0, 100.0),
            "val_loss": 3.0 - val / 40.0, "test_loss": 3.0 - test / 40.0, "train_loss": 2.8 - val / 40.0,
        }
        for m in per:
            v = curves[m]
            values[m] = v if fidelity is None else v[:, 0]
        stat = {"params": (ops >= 2).sum(1) * 0.1 + 0.05, "flops": (ops >= 2).sum(1) * 10.0 + 2.0,
                "latency_cpu_bs1": per_epoch_cost * 0.3}
        for m in static:
            values[m] = stat[m].astype(np.float64)
        cost = per_epoch_cost[:, None] * ep[None, :]
        return Evaluation(values=values, cost=cost if fidelity is None else cost[:, 0], fidelity=fidelity,
                          fidelities=self.fidelities, cost_unit=self.cost_unit)
