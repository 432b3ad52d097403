"""The ``PerformanceEstimator`` contract: a cheap proxy for an architecture's final accuracy.

An estimator maps architectures to scores, higher = predicted better::

    est = ZeroCost("synflow", preset="nb201-mnist1d", seed=0)
    scores = est.fit().estimate(archs)      # ndarray (n,), float64
    est.cost_["total_s"], est.cost_["per_arch_s"]

- ``estimate(archs) -> ndarray (n,)``: ``archs`` is a list of :class:`~nasbench.types.Architecture`
  or an ``(n,)`` int array of NB201 indices.  NaN = could not score.
- ``cost_``: seconds spent (CPU seconds on CPU, wall seconds on CUDA; ``cost_["basis"]`` says
  which): ``total_s`` (everything since construction, including ``fit``), ``setup_s`` (one-off,
  e.g. ``fit``), ``per_arch_s`` (mean cost of scoring one architecture), ``n_archs`` (scored so
  far).  Estimators may add keys (e.g. per-proxy seconds).
- ``fit(*args, **kw) -> self``: a no-op for estimators that learn nothing.
- Deterministic under the constructor's ``seed``; the same architecture gets the same score
  whatever batch it is passed in.

:class:`ScoreTable` wraps precomputed scores (one per NB201 index, e.g. the ``zc_<proxy>``
static metrics shipped with a table) so a score array plugs in wherever an estimator does.
numpy only here; estimators that need torch import it in their own modules.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["PerformanceEstimator", "ScoreTable", "as_indices"]


def as_indices(archs, space=None) -> np.ndarray:
    """``(n,)`` int64 NB201 indices of ``archs`` (Architectures or integer indices)."""
    if isinstance(archs, np.ndarray) and archs.dtype.kind in "iu":
        return archs.astype(np.int64).reshape(-1)
    archs = list(archs)
    if archs and all(isinstance(a, (int, np.integer)) for a in archs):
        return np.asarray(archs, dtype=np.int64)
    if space is None:
        from nasbench.spaces.nb201 import NB201Space

        space = NB201Space()
    return np.asarray([space.index(a) for a in archs], dtype=np.int64)


class PerformanceEstimator:
    """Base class: subclasses implement :meth:`_estimate` (or override :meth:`estimate`)."""

    name: str = "estimator"

    def _reset_cost(self) -> None:
        self.cost_ = {"total_s": 0.0, "setup_s": 0.0, "per_arch_s": float("nan"), "n_archs": 0,
                      "basis": "cpu"}

    def _charge(self, seconds: float, n_archs: int = 0, setup: bool = False) -> None:
        if not hasattr(self, "cost_"):
            self._reset_cost()
        c = self.cost_
        c["total_s"] += float(seconds)
        if setup:
            c["setup_s"] += float(seconds)
        c["n_archs"] += int(n_archs)
        scored = c["total_s"] - c["setup_s"]
        c["per_arch_s"] = scored / c["n_archs"] if c["n_archs"] else float("nan")

    def fit(self, *args, **kw) -> "PerformanceEstimator":
        if not hasattr(self, "cost_"):
            self._reset_cost()
        return self

    def estimate(self, archs) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class ScoreTable(PerformanceEstimator):
    """Precomputed scores as an estimator.

    Parameters
    ----------
    scores : array (15625,) or mapping index -> score
        One score per NB201 index, higher = better (NaN = unscored).
    per_arch_s : float
        The measured cost of computing one score, charged per architecture estimated (the
        lookup itself is free; the cost is what the score cost to make).
    """

    def __init__(self, scores, name: str = "scores", per_arch_s: float = 0.0, setup_s: float = 0.0):
        self.scores = scores
        self.name = name
        self.per_arch_s = per_arch_s
        self.setup_s = setup_s

    def fit(self, *args, **kw) -> "ScoreTable":
        self._reset_cost()
        self._charge(self.setup_s, setup=True)
        return self

    def estimate(self, archs) -> np.ndarray:
        if not hasattr(self, "cost_"):
            self.fit()
        idx = as_indices(archs)
        if isinstance(self.scores, dict):
            out = np.asarray([self.scores.get(int(i), np.nan) for i in idx], dtype=np.float64)
        else:
            out = np.asarray(self.scores, dtype=np.float64)[idx]
        self._charge(self.per_arch_s * len(idx), n_archs=len(idx))
        return out
