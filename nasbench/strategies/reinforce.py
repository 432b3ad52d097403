"""REINFORCE (Williams, 1992) with a categorical policy per edge, as NAS-Bench-201 ran it.

The policy is a table of logits ``theta`` of shape ``(L, K)``; an architecture samples each
edge's op independently from ``softmax(theta[e])``.  After each result the reward ``r`` (the
objective, e.g. validation accuracy in %) updates a bias-corrected exponential moving average
baseline ``b`` (``momentum``), then ``theta`` takes one Adam step (``lr``) along
``(r - b) * grad log pi(arch)``.  Defaults (Adam, lr 0.01, momentum 0.9) follow NAS-Bench-201's
REINFORCE baseline.  The policy may sample an architecture again (``allows_repeats``): the
runner then pays for a new training run, exactly as the original algorithm would.
"""
from __future__ import annotations

import numpy as np

from nasbench.strategies.base import Strategy, Suggestion, higher_is_better

__all__ = ["Reinforce"]


class Reinforce(Strategy):
    """Policy-gradient search with a per-edge categorical policy and a moving-average baseline.

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    lr : float
        Adam learning rate on the logits.
    momentum : float
        Decay of the moving-average baseline.
    objective : str
    """

    name = "reinforce"
    allows_repeats = True

    def __init__(self, space, seed, *, lr: float = 0.01, momentum: float = 0.9, objective: str = "val_acc"):
        super().__init__(space, seed, objective=objective)
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"need lr > 0 and 0 <= momentum < 1, got lr={lr}, momentum={momentum}")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.theta_ = np.zeros((self._L, self._K))
        self._m = np.zeros_like(self.theta_)
        self._v = np.zeros_like(self.theta_)
        self._t = 0
        self._ema_num = 0.0
        self._ema_den = 0.0

    def probabilities(self) -> np.ndarray:
        """Current policy, ``(L, K)``; rows sum to 1."""
        z = np.exp(self.theta_ - self.theta_.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    def ask(self, n: int) -> list[Suggestion]:
        cdf = np.cumsum(self.probabilities(), axis=1)
        u = self.rng.random((n, self._L))
        ops = np.minimum((u[:, :, None] > cdf[None, :, :]).sum(2), self._K - 1)  # (n, L)
        idx = (ops * np.asarray(self._pow)).sum(1)
        return self._suggest([int(i) for i in idx])

    def tell(self, suggestions, values) -> None:
        idx, _ = self._check_tell(suggestions, values)
        rewards = np.asarray(values[self.objective], dtype=np.float64)
        sign = 1.0 if higher_is_better(self.objective) else -1.0
        for i, r in zip(idx, rewards):
            if not np.isfinite(r):
                continue  # no result: no learning signal
            r = sign * float(r)
            self._ema_num = self.momentum * self._ema_num + (1 - self.momentum) * r
            self._ema_den = self.momentum * self._ema_den + (1 - self.momentum)
            adv = r - self._ema_num / self._ema_den
            grad = -self.probabilities()
            grad[np.arange(self._L), self._ops(i)] += 1.0
            self._adam(adv * grad)

    def _adam(self, g: np.ndarray, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> None:
        """One Adam ascent step along ``g``."""
        self._t += 1
        self._m = b1 * self._m + (1 - b1) * g
        self._v = b2 * self._v + (1 - b2) * g * g
        mhat = self._m / (1 - b1**self._t)
        vhat = self._v / (1 - b2**self._t)
        self.theta_ += self.lr * mhat / (np.sqrt(vhat) + eps)
