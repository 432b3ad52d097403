"""The :class:`Benchmark` contract shared by tabular, surrogate, synthetic and live benchmarks.

A benchmark answers batched, read-only queries; it holds no experiment state (no clock).

Seed semantics of ``query`` (DESIGN.md):

* ``seed=int`` or ``np.random.Generator``: an RNG that draws one recorded training seed per
  architecture, independently;
* ``seed="mean"``: the mean over recorded seeds;
* ``trial=k``: recorded seed ``k`` for every architecture (overrides ``seed``);
  ``trial=ks`` with ``ks`` an ``(n,)`` int array: recorded seed ``ks[j]`` for row ``j`` (per-row
  trials), so one batched query can answer many runs at once.  Row ``j`` of
  ``query(archs, trial=ks)`` equals row 0 of ``query([archs[j]], trial=int(ks[j]))``, bit for
  bit.  A wrong length or a value outside ``0 .. n_seeds-1`` raises ``ValueError``; a
  non-integer trial raises ``TypeError``.

Tables whose values are already seed means (``seeds_are_means``) return them for any seed.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nasbench.rng import as_generator
from nasbench.space import SearchSpace
from nasbench.types import PER_EPOCH_METRICS  # noqa: F401  (moved to the core; re-exported for old imports)
from nasbench.types import Evaluation

__all__ = ["Benchmark", "pick_seeds", "check_trial"]


def check_trial(trial, n: int, n_seeds: int) -> int | np.ndarray:
    """Validate ``trial``: an int in ``0 .. n_seeds-1`` (returned as int) or an ``(n,)`` int array
    of such values (returned as an int64 array).

    Raises ``ValueError`` for a value out of range or an array of the wrong shape, and
    ``TypeError`` for anything that is not an integer (bools included).
    """
    if trial.__class__ is int and 0 <= trial < n_seeds:
        return trial
    if isinstance(trial, (int, np.integer)) and not isinstance(trial, bool):
        t = int(trial)
        if not 0 <= t < n_seeds:
            raise ValueError(f"trial={t} out of range: this table has {n_seeds} seed(s)")
        return t
    if isinstance(trial, bool):
        raise TypeError("trial must be an int or an (n,) int array, got a bool")
    arr = np.asarray(trial)
    if not (np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.bool_):
        raise TypeError(f"trial must be an int or an (n,) int array, got dtype {arr.dtype}")
    if arr.ndim == 0:
        return check_trial(int(arr), n, n_seeds)
    if arr.shape != (n,):
        raise ValueError(f"trial array must have shape ({n},) (one recorded seed per queried row), "
                         f"got {arr.shape}")
    if n and (arr.min() < 0 or arr.max() >= n_seeds):
        bad = int(arr[(arr < 0) | (arr >= n_seeds)][0])
        raise ValueError(f"trial={bad} out of range: this table has {n_seeds} seed(s)")
    return arr.astype(np.int64, copy=False)


def _no_tail(i) -> tuple:
    """Nothing to append after an architecture's values (the scalar readers' default ``tail``)."""
    return ()


def pick_seeds(n: int, n_seeds: int, seed, trial) -> np.ndarray | None:
    """Seed column per queried architecture: ``(n,)`` int, or ``None`` for the seed mean.

    ``trial`` (int or ``(n,)`` int array, see :func:`check_trial`) wins over ``seed``.
    """
    if trial is not None:
        t = check_trial(trial, n, n_seeds)
        return np.full(n, t, dtype=np.int64) if isinstance(t, int) else t
    if isinstance(seed, str):
        if seed != "mean":
            raise ValueError(f"seed must be an int, a np.random.Generator or 'mean', got {seed!r}")
        return None
    rng = as_generator(seed)
    return rng.integers(0, n_seeds, size=n)


class Benchmark:
    """Interface of every benchmark.

    Attributes
    ----------
    space : SearchSpace
    name : str
    metrics : tuple of str
        Per-epoch metrics (``val_acc``, ``test_acc``, ...).
    static_metrics : tuple of str
        Per-architecture constants (``params``, ``flops``, ``latency_<device>_bs<k>``, ...).
    fidelities : ndarray of int, shape (n_fid,)
    fidelity_kind : str
        ``"epoch_of_schedule"`` (one schedule's per-epoch curve: continuing to a higher
        fidelity costs the difference) or ``"schedule_length"`` (separate runs: a higher
        fidelity is a new run).
    cost_unit : str
        ``"seconds"`` or ``"evaluations"``.
    n_seeds : int
    seeds_are_means : bool
    """

    space: SearchSpace
    name: str = "benchmark"
    metrics: tuple[str, ...] = ()
    static_metrics: tuple[str, ...] = ()
    fidelities: np.ndarray = np.zeros(0, dtype=np.int32)
    fidelity_kind: str = "epoch_of_schedule"
    cost_unit: str = "seconds"
    n_seeds: int = 1
    seeds_are_means: bool = False

    # ----------------------------------------------------------- the contract
    def query(self, archs, *, fidelity: int | None = None, seed=0, trial: int | np.ndarray | None = None,
              metrics: Sequence[str] | None = None) -> Evaluation:
        """Evaluate a batch.

        Parameters
        ----------
        archs : list of Architecture, ``(n, L)`` int op array, or ``(n,)`` int index array
        fidelity : int or None
            One of ``fidelities``; ``None`` returns whole curves ``(n, n_fid)``.
        seed : int, np.random.Generator or "mean"
            See the module docstring.
        trial : int, ``(n,)`` int array or None
            Recorded seed for every row (int) or per row (array); overrides ``seed``.  Validate
            with :func:`check_trial` (``ValueError`` for a wrong length or out of range).
        metrics : names to return (default: all per-epoch and static metrics).

        Returns
        -------
        Evaluation
            ``values[m]`` of shape ``(n,)`` (or ``(n, n_fid)`` for curves; static metrics are
            always ``(n,)``) and ``cost`` of the per-epoch shape.
        """
        raise NotImplementedError

    def table(self, metric: str, fidelity: int | None = None, seed="mean") -> np.ndarray:
        """``(space.size,)`` values of ``metric`` for every architecture (NaN = missing)."""
        idx = np.arange(self.space.size)
        f = self.max_fidelity if fidelity is None and metric not in self.static_metrics else fidelity
        return np.asarray(self.query(idx, fidelity=f, seed=seed, metrics=[metric]).values[metric])

    def best(self, metric: str = "test_acc", fidelity: int | None = None) -> float:
        """Oracle: the best seed-mean value of ``metric`` over the whole space."""
        t = self.table(metric, fidelity, seed="mean")
        return float(np.nanmax(t) if self.higher_is_better(metric) else np.nanmin(t))

    def coverage(self) -> float:
        """Fraction of architectures with results (1.0 for complete tables)."""
        return 1.0

    # ---------------------------------------------------------------- helpers
    @property
    def max_fidelity(self) -> int:
        return int(self.fidelities[-1])

    def higher_is_better(self, metric: str) -> bool:
        return not (metric.endswith("_loss") or metric in ("params", "flops", "train_time")
                    or metric.startswith("latency") or metric.startswith("energy"))

    def fidelity_pos(self, fidelity: int) -> int:
        """Column of ``fidelity`` in ``fidelities``; ``ValueError`` names the valid ones."""
        pos = np.flatnonzero(self.fidelities == int(fidelity))
        if len(pos) == 0:
            raise ValueError(f"{self.name}: unknown fidelity {fidelity!r}; available: {self.fidelities.tolist()}")
        return int(pos[0])

    def check_metrics(self, metrics: Sequence[str] | None) -> tuple[list[str], list[str]]:
        """Split requested names into (per-epoch, static); ``KeyError`` for unknown names."""
        if metrics is None:
            return list(self.metrics), list(self.static_metrics)
        if isinstance(metrics, str):
            metrics = [metrics]
        unknown = [m for m in metrics if m not in self.metrics and m not in self.static_metrics]
        if unknown:
            raise KeyError(f"{self.name}: unknown metric(s) {unknown}; available: "
                           f"{list(self.metrics) + list(self.static_metrics)}")
        return [m for m in metrics if m in self.metrics], [m for m in metrics if m in self.static_metrics]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
