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

import math
from bisect import bisect_left
from itertools import accumulate

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
        # Adam's moments m and v stacked as one (2, L, K) array, so that each step of the
        # update is one numpy call for both (elementwise: the same IEEE operations per entry)
        self._mv = np.zeros((2, self._L, self._K))
        self._m, self._v = self._mv[0], self._mv[1]
        self._mv_betas = (0.9, 0.999)  # b1, b2 (see _adam)
        self._mv_decay = np.array(self._mv_betas).reshape(2, 1, 1)
        self._mv_gain = np.array([1 - 0.9, 1 - 0.999]).reshape(2, 1, 1)
        self._mv_bias = np.ones((2, 1, 1))  # 1 - b1**t, 1 - b2**t
        self._mv_tmp = np.empty_like(self._mv)
        self._mv_hat = np.empty_like(self._mv)
        self._grad = np.empty_like(self.theta_)
        self._pol = None
        self._t = 0
        self._ema_num = 0.0
        self._ema_den = 0.0

    def probabilities(self) -> np.ndarray:
        """Current policy, ``(L, K)``; rows sum to 1."""
        th = self.theta_
        z = np.subtract(th, np.maximum.reduce(th, axis=1, keepdims=True))
        np.exp(z, out=z)
        z /= np.add.reduce(z, axis=1, keepdims=True)
        return z

    # The policy changes once per result; ask and the next update both read it, so it is
    # computed once per step (``_t``, the Adam step count, names the version of ``theta_``).
    # Draws are those of ``rng.random((n, L))`` whatever path reads them, and every float is
    # computed by the same IEEE operations in the same order as the plain numpy version
    # (checked against pinned traces in tests/test_runner_pinned.py).
    def _policy(self) -> tuple:
        """``(version, probabilities (L, K), cdf rows as lists)`` of the current ``theta_``."""
        c = self._pol
        if c is None or c[0] != self._t or c[3] is not self.theta_:
            p = self.probabilities()
            # running sums left to right, as np.cumsum adds
            c = self._pol = (self._t, p, [list(accumulate(row)) for row in p.tolist()], self.theta_)
        return c

    def _sample(self, n: int) -> np.ndarray:
        """``(n,)`` indices drawn from the policy."""
        cdf = np.asarray(self._policy()[2])
        u = self.rng.random((n, self._L))
        ops = np.minimum((u[:, :, None] > cdf[None, :, :]).sum(2), self._K - 1)  # (n, L)
        return (ops * np.asarray(self._pow)).sum(1)

    def _row_index(self, row: list, cdf: list) -> int:
        """Index of the architecture that one row of uniforms ``(L,)`` draws: on edge ``e`` the
        op is the number of cdf entries below ``u[e]`` (``_sample``'s count, by bisection)."""
        k1, i = self._K - 1, 0
        for u, c, p in zip(row, cdf, self._pow):
            o = bisect_left(c, u)
            i += (o if o < k1 else k1) * p
        return i

    def ask(self, n: int) -> list[Suggestion]:
        if not self.cache:
            return self._suggest([int(i) for i in self._sample(n)])
        out: list[int] = []
        taken: set[int] = set()
        asked, L, row_index = self._asked, self._L, self._row_index
        cdf = self._policy()[2]
        U, pos = self.rng.random((64 * n, L)), 0  # the draws of _sample(64 * n), read row by row
        for _ in range(n):
            new = None
            for _ in range(4):  # up to 4 x 64 policy draws per suggestion
                while pos < len(U):
                    i = row_index(U[pos].tolist(), cdf)
                    pos += 1
                    if i not in asked and i not in taken:
                        new = i
                        break
                if new is not None:
                    break
                U, pos = self.rng.random((64, L)), 0
            if new is None:
                rest = self._random_unseen(1)
                if not rest:
                    break
                new = rest[0]
            taken.add(new)
            out.append(new)
        return self._suggest1(out[0]) if len(out) == 1 else self._suggest(out)

    def tell(self, suggestions, values) -> None:
        idx, _ = self._check_tell(suggestions, values)
        rewards = np.asarray(values[self.objective], dtype=np.float64).tolist()
        sign = 1.0 if higher_is_better(self.objective) else -1.0
        for i, r in zip(idx, rewards):
            if not math.isfinite(r):
                continue  # no result: no learning signal
            self._update(i, sign * r)

    def _tell_one(self, suggestion, i, value) -> None:  # the runner's shortcut (see Strategy._runner_tell)
        if math.isfinite(value):
            self._update(i, value if higher_is_better(self.objective) else -value)

    def _update(self, i: int, r: float) -> None:
        """Baseline update and one policy-gradient step for reward ``r`` of architecture ``i``."""
        self._ema_num = self.momentum * self._ema_num + (1 - self.momentum) * r
        self._ema_den = self.momentum * self._ema_den + (1 - self.momentum)
        adv = r - self._ema_num / self._ema_den
        grad = np.subtract(self._onehot(i), self._policy()[1], out=self._grad)  # d log pi / d theta
        grad *= adv
        self._adam(grad)

    def _onehot(self, i: int) -> np.ndarray:
        """``(L, K)`` one-hot of architecture ``i``'s ops (rows of a table shared per space)."""
        space = self.space
        tab = space.__dict__.get("_onehot_f64")
        if tab is None and space.size <= 1 << 16:
            ops = space.all_ops().astype(np.int64)
            tab = np.zeros((space.size, self._L, self._K))
            np.put_along_axis(tab, ops[:, :, None], 1.0, axis=2)
            tab.flags.writeable = False
            space.__dict__["_onehot_f64"] = tab
        if tab is not None:
            return tab[i]
        out = np.zeros((self._L, self._K))
        out[np.arange(self._L), self._ops(i)] = 1.0
        return out

    def _adam(self, g: np.ndarray, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> None:
        """One Adam ascent step along ``g`` in the textbook order ``m = b1*m + (1-b1)*g;
        v = b2*v + (1-b2)*g*g; theta += lr*mhat / (sqrt(vhat) + eps)``, every operation in
        place, ``m`` and ``v`` updated together as the stacked ``(2, L, K)`` array."""
        self._t += 1
        t = self._t
        mv, tmp, hat = self._mv, self._mv_tmp, self._mv_hat
        if (b1, b2) != self._mv_betas:  # the decays the stacked constants hold
            self._mv_decay[:, 0, 0] = (b1, b2)
            self._mv_gain[:, 0, 0] = (1 - b1, 1 - b2)
            self._mv_betas = (b1, b2)
        bias = self._mv_bias
        bias[0, 0, 0] = 1 - b1**t
        bias[1, 0, 0] = 1 - b2**t
        mv *= self._mv_decay                            # b1*m, b2*v
        np.multiply(g, self._mv_gain, out=tmp)          # (1-b1)*g, (1-b2)*g
        tmp[1] *= g                                     # (1-b2)*g*g
        mv += tmp
        np.divide(mv, bias, out=hat)                    # mhat, vhat
        mhat, vhat = hat[0], hat[1]
        np.sqrt(vhat, out=vhat)
        vhat += eps
        mhat *= self.lr
        mhat /= vhat
        self.theta_ += mhat
