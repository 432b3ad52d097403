"""Local search over one-edge neighbourhoods, with random restarts (White et al., 2020/2021).

Start: ``n_init`` random architectures; the best becomes the centre.  Then, repeatedly:

* ``variant="best"`` (best improvement): evaluate every not-yet-evaluated neighbour of the
  centre (``L * (K - 1)`` = 24 for NB201); move to the best neighbour if it beats the centre;
* ``variant="first"`` (first improvement): evaluate neighbours in random order and move as soon
  as one beats the centre (already-known neighbours are checked first, free of charge).

When no neighbour beats the centre (a local optimum) the search restarts from one new random
architecture.  Architectures are never suggested twice; known results are reused.  With several
workers the neighbours of the current centre are evaluated in parallel; extra workers wait
(``ask`` returns fewer suggestions) while a step's results are pending.
"""
from __future__ import annotations

from nasbench.strategies.base import Strategy, Suggestion

__all__ = ["LocalSearch"]


class LocalSearch(Strategy):
    """First- or best-improvement local search with random restarts.

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    variant : {"best", "first"}
    n_init : int
        Random architectures evaluated before the first centre is chosen.
    objective : str
    """

    name = "ls"

    def __init__(self, space, seed, *, variant: str = "best", n_init: int = 10, objective: str = "val_acc"):
        super().__init__(space, seed, objective=objective)
        if variant not in ("best", "first"):
            raise ValueError(f"variant must be 'best' or 'first', got {variant!r}")
        if n_init < 1:
            raise ValueError(f"n_init must be >= 1, got {n_init}")
        self.variant = variant
        self.n_init = int(n_init)
        self._scores: dict[int, float] = {}
        self._pending: set[int] = set()
        self._queue: list[int] = []
        self._start_batch: list[int] = []   # random starts whose best becomes the centre
        self._center: int | None = None
        self._round: set[int] = set()       # neighbours of the current centre
        self._started = False

    # ---------------------------------------------------------------- steps
    def _set_center(self, c: int) -> None:
        self._center = c
        nb = self._neighbors(c)
        self._round = set(nb)
        if self.variant == "first":
            known = [j for j in nb if j in self._scores and self._scores[j] > self._scores[c]]
            if known:  # a known better neighbour: move without spending budget
                self._set_center(max(known, key=lambda j: (self._scores[j], -j)))
                return
            order = self.rng.permutation(len(nb))
            self._queue = [nb[k] for k in order if nb[k] not in self._asked]
        else:
            self._queue = [nb[k] for k in self.rng.permutation(len(nb)) if nb[k] not in self._asked]

    def _restart(self, n: int) -> None:
        self._center = None
        self._round = set()
        self._start_batch = self._random_unseen(n)
        self._queue = list(self._start_batch)

    def _advance(self) -> bool:
        """All results of the current step are in: choose the next step.  False = exhausted."""
        if not self._started:
            self._started = True
            self._restart(self.n_init)
            return bool(self._queue)
        if self._center is None:  # a (re)start batch finished
            done = [i for i in self._start_batch if i in self._scores]
            if not done:
                self._restart(1)
                return bool(self._queue)
            self._set_center(max(done, key=lambda j: (self._scores[j], -j)))
            return bool(self._queue) or self._advance_from_center()
        return self._advance_from_center()

    def _advance_from_center(self) -> bool:
        c = self._center
        known = [j for j in self._round if j in self._scores]
        if known:
            best = max(known, key=lambda j: (self._scores[j], -j))
            if self._scores[best] > self._scores[c]:
                self._set_center(best)
                if self._queue:
                    return True
                return self._advance_from_center()
        self._restart(1)  # local optimum
        return bool(self._queue)

    # ------------------------------------------------------------- contract
    def ask(self, n: int) -> list[Suggestion]:
        out: list[int] = []
        while len(out) < n:
            if self._queue:
                i = self._queue.pop(0)
                if i in self._asked:
                    continue
                self._asked.add(i)
                self._pending.add(i)
                out.append(i)
            elif self._pending or out:
                break  # wait for this step's results
            elif not self._advance():
                break  # space exhausted
        return self._suggest1(out[0]) if len(out) == 1 else self._suggest(out)

    def tell(self, suggestions, values) -> None:
        idx, _ = self._check_tell(suggestions, values)
        for i, s in zip(idx, self._score_list(values)):
            self._told(i, s)

    def _tell_one(self, suggestion, i, value) -> None:  # the runner's shortcut (see Strategy._runner_tell)
        self._told(i, self._score1(value))

    def _told(self, i: int, s: float) -> None:
        """Record the score ``s`` of architecture ``i``; move the centre at once (first improvement)."""
        self._pending.discard(i)
        self._scores[i] = s
        if (self.variant == "first" and self._center is not None and i in self._round
                and s > self._scores[self._center]):
            self._set_center(i)  # move at once; late results of the old round are only recorded
