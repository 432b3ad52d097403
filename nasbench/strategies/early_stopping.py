"""Random search with learning-curve early stopping (Domhan et al. 2015's rule).

Every new architecture is trained epoch by epoch up to ``min_epochs`` (each step is a
suggestion at the next fidelity; on ``epoch_of_schedule`` tables the runner continues the same
run and charges only the difference).  Its validation curve is then extrapolated to the top
fidelity with the parametric ensemble of :mod:`nasbench.estimators.curves`, which gives a
predictive mean and standard deviation; the run continues to the top fidelity only when

    P(final val_acc > incumbent) >= p

where the incumbent is the best top-fidelity ``val_acc`` seen so far; otherwise it is stopped
and its remaining epochs are never paid.  Until ``warmup`` architectures are fully trained,
every run continues.

Calibration (``calibrate=True``)
    The extrapolation is biased on schedules it does not describe (on the shipped cosine-schedule
    table it predicts too low a final accuracy from early epochs).  The strategy keeps, for every
    run it trained fully, the residual ``final - predicted`` and shifts each prediction by their
    mean and widens its standard deviation by their spread: information it has paid for.  Only
    runs that were continued are trained fully, so the residuals come from the runs predicted
    to do well (all runs during the warm-up).

Cost not on the runner's clock: the fitting CPU time (milliseconds per decision; the
estimator's ``cost_`` documents it) is not charged, because the runner has no way to charge a
strategy's own compute.
"""
from __future__ import annotations

import math

import numpy as np

from nasbench.strategies.base import Strategy, Suggestion

__all__ = ["EarlyStoppingRandomSearch"]


class EarlyStoppingRandomSearch(Strategy):
    """Random search that stops runs whose extrapolated final accuracy is unlikely to win.

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    min_epochs : int
        Epochs every run trains before the decision (snapped to the largest fidelity <= it).
    p : float in [0, 1]
        Continue only when ``P(final > incumbent) >= p`` (0: never stop, plain random search
        at the top fidelity with the first epochs asked one by one).
    warmup : int
        Fully trained runs before any stopping.
    calibrate : bool
        Correct predictions with the residuals of fully trained runs (see module docstring).
    families : names of :data:`nasbench.estimators.curves.FAMILIES` or None (all 11)
    objective : str
        The curve extrapolated (an accuracy in %, default ``val_acc``).
    """

    name = "rs-es"
    multi_fidelity = True

    def __init__(self, space, seed, *, min_epochs: int = 3, p: float = 0.05, warmup: int = 5,
                 calibrate: bool = True, families=None, objective: str = "val_acc"):
        super().__init__(space, seed, objective=objective)
        if not 0 <= p <= 1:
            raise ValueError(f"p must be in [0, 1], got {p}")
        if min_epochs < 1:
            raise ValueError(f"min_epochs must be >= 1, got {min_epochs}")
        self.min_epochs = int(min_epochs)
        self.p = float(p)
        self.warmup = int(warmup)
        self.calibrate = bool(calibrate)
        self.families = None if families is None else tuple(families)
        self._curves: dict[int, list[float]] = {}
        self._pred: dict[int, tuple[float, float]] = {}
        self._next: list[Suggestion] = []
        self._resid: list[float] = []
        self._n_full = 0
        self.incumbent_ = -math.inf
        self.n_stopped_ = 0
        self.n_continued_ = 0

    def setup(self, fidelities, fidelity_kind: str = "epoch_of_schedule") -> None:
        super().setup(fidelities, fidelity_kind)
        if fidelity_kind != "epoch_of_schedule":
            raise ValueError(f"{self.name} needs per-epoch curves (epoch_of_schedule), got {fidelity_kind!r}")
        fid = self.fidelities_
        below = fid[fid <= self.min_epochs]
        self.decide_at_ = int(below[-1]) if len(below) else int(fid[0])
        self.top_ = int(fid[-1])

    def ask(self, n: int) -> list[Suggestion]:
        if self.fidelities_ is None:
            raise RuntimeError(f"{self.name}: call setup(fidelities, fidelity_kind) before ask (the runner does)")
        out: list[Suggestion] = []
        while self._next and len(out) < n:
            out.append(self._next.pop(0))
        if len(out) < n:
            out += self._suggest(self._random_unseen(n - len(out)), int(self.fidelities_[0]))
        return out

    def tell(self, suggestions, values) -> None:
        idx, fid = self._check_tell(suggestions, values)
        v = np.asarray(values[self.objective], dtype=np.float64)
        for i, f, val, s in zip(idx, fid, v.tolist(), suggestions):
            f = self.top_ if f is None else int(f)
            if f >= self.top_:
                self._finish(i, val)
                continue
            self._curves.setdefault(i, []).append(val)
            if f < self.decide_at_:
                nxt = int(self.fidelities_[self.fidelities_ > f][0])
                self._next.append(Suggestion(s.arch if isinstance(s, Suggestion) else s, nxt))
            elif self._continue(i):
                self.n_continued_ += 1
                self._next.append(Suggestion(s.arch if isinstance(s, Suggestion) else s, self.top_))
            else:
                self.n_stopped_ += 1

    # -------------------------------------------------------------- rule
    def _finish(self, i: int, val: float) -> None:
        self._n_full += 1
        if math.isfinite(val) and val > self.incumbent_:
            self.incumbent_ = val
        if i in self._pred and math.isfinite(val):
            self._resid.append(val - self._pred[i][0])

    def _continue(self, i: int) -> bool:
        y = np.asarray(self._curves[i], dtype=np.float64)
        if not np.all(np.isfinite(y)):
            return False
        if self.p <= 0:
            return True
        mu, sd = self.predict(y)
        self._pred[i] = (mu, sd)  # kept for calibration once the run is trained fully
        if self._n_full < self.warmup or not math.isfinite(self.incumbent_):
            return True
        return bool(self.prob_better(mu, sd) >= self.p)

    def predict(self, y) -> tuple[float, float]:
        """Raw (uncalibrated) predictive mean and sd (%) of the final value from curve ``y`` (k,)."""
        from nasbench.estimators.curves import extrapolate

        y = np.asarray(y, dtype=np.float64)
        if len(y) < 2:  # one epoch: no shape to fit; the value itself with a wide sd
            return float(y[-1]), 100.0
        o = extrapolate(y[None, :] / 100.0, self.top_, families=self.families)
        return float(o["mean"][0]) * 100.0, float(o["std"][0]) * 100.0

    def prob_better(self, mu: float, sd: float) -> float:
        """``P(final > incumbent)`` for a raw prediction ``(mu, sd)``, calibrated when asked."""
        from scipy.stats import norm

        if self.calibrate and len(self._resid) >= 2:
            r = np.asarray(self._resid)
            mu = mu + float(r.mean())
            sd = math.sqrt(sd ** 2 + float(r.var(ddof=1)))
        return float(norm.sf((self.incumbent_ - mu) / max(sd, 1e-9)))
