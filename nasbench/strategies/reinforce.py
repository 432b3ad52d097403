"""REINFORCE (Williams, 1992) with a categorical policy per edge, as NAS-Bench-201 ran it.

The policy is a table of logits ``theta`` of shape ``(L, K)``; an architecture samples each
edge's op independently from ``softmax(theta[e])``.  After each result the reward ``r`` (the
objective, e.g. validation accuracy in %) updates a bias-corrected exponential moving average
baseline ``b`` (``momentum``), then ``theta`` takes one Adam step (``lr``) along
``(r - b) * grad log pi(arch)``.  Adam and the baseline momentum 0.9 follow NAS-Bench-201's
REINFORCE baseline; its learning rate 0.01 barely moves the policy within the 100-300
evaluations of a typical tabular budget, so the default here is ``lr=0.1``.

Repeats: with ``cache=True`` (default) the policy is sampled until it draws an architecture not
suggested before (its distribution restricted to unseen architectures; after 256 draws without
one, an unseen architecture is drawn uniformly), so no budget is spent re-training.  With
``cache=False`` every sample is evaluated (``allows_repeats``), so the runner pays for a new
training run each time, as NB201's implementation did; ``Reinforce(space, seed, lr=0.01,
cache=False)`` reproduces that setting.
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
    cache : bool
        Sample only architectures not suggested before (no budget spent on repeats).
    objective : str
    """

    name = "reinforce"

    def __init__(self, space, seed, *, lr: float = 0.1, momentum: float = 0.9, cache: bool = True,
                 objective: str = "val_acc"):
        super().__init__(space, seed, objective=objective)
        self.cache = bool(cache)
        self.allows_repeats = not self.cache
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

    def _sample(self, n: int) -> np.ndarray:
        """``(n,)`` indices drawn from the policy."""
        cdf = np.cumsum(self.probabilities(), axis=1)
        u = self.rng.random((n, self._L))
        ops = np.minimum((u[:, :, None] > cdf[None, :, :]).sum(2), self._K - 1)  # (n, L)
        return (ops * np.asarray(self._pow)).sum(1)

    def ask(self, n: int) -> list[Suggestion]:
        if not self.cache:
            return self._suggest([int(i) for i in self._sample(n)])
        out: list[int] = []
        taken: set[int] = set()
        draws = self._sample(64 * n).tolist()
        pos = 0
        for _ in range(n):
            new = None
            for _ in range(4):  # up to 4 x 64 policy draws per suggestion
                while pos < len(draws):
                    i = draws[pos]
                    pos += 1
                    if i not in self._asked and i not in taken:
                        new = i
                        break
                if new is not None:
                    break
                draws, pos = self._sample(64).tolist(), 0
            if new is None:
                rest = self._random_unseen(1)
                if not rest:
                    break
                new = rest[0]
            taken.add(new)
            out.append(new)
        return self._suggest(out)

    def tell(self, suggestions, values) -> None:
        idx, _ = self._check_tell(suggestions, values)
        rewards = np.asarray(values[self.objective], dtype=np.float64)
        sign = 1.0 if higher_is_better(self.objective) else -1.0
        for i, r in zip(idx, rewards):
            if not np.isfinite(r):
                continue  # no result: no learning signal
            self._update(i, sign * float(r))

    def _update(self, i: int, r: float) -> None:
        """Baseline update and one policy-gradient step for reward ``r`` of architecture ``i``."""
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
