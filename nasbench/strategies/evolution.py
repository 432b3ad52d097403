"""Regularized (aging) evolution, Real et al., AAAI 2019.

A population of the ``population_size`` most recent results; each new architecture is a
one-edge mutation of the best of ``sample_size`` members drawn at random (tournament); the
oldest member dies when a new one arrives (aging), whatever its accuracy.  The first
``population_size`` suggestions are uniformly random.  Defaults (10, 3) are those NAS-Bench-201
used for REA.  Children already suggested are re-drawn (no repeats on a table).
"""
from __future__ import annotations

from collections import deque


from nasbench.strategies.base import Strategy, Suggestion

__all__ = ["RegularizedEvolution"]


class RegularizedEvolution(Strategy):
    """Regularized evolution (aging + tournament selection).

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    population_size : int
        Members kept alive (the most recent results).
    sample_size : int
        Tournament size.
    objective : str
    """

    name = "re"
    _fast_rng = True  # its draws: integers and small choices (see Strategy._randint)

    def __init__(self, space, seed, *, population_size: int = 10, sample_size: int = 3,
                 objective: str = "val_acc"):
        super().__init__(space, seed, objective=objective)
        if population_size < 1 or sample_size < 1:
            raise ValueError(f"population_size and sample_size must be >= 1, got {population_size}, {sample_size}")
        self.population_size = int(population_size)
        self.sample_size = int(sample_size)
        self._population: deque[tuple[int, float]] = deque()
        self._plain_fitness = type(self)._fitness is RegularizedEvolution._fitness

    def _fitness(self, member: tuple[int, float]):
        return member[1]

    def _parent(self) -> int:
        pop = self._population
        k = min(self.sample_size, len(pop))
        picks = self._sample(len(pop), k)
        if self._plain_fitness:  # plain scores: no key tuples
            best = picks[0]
            bf = pop[best][1]
            for j in picks[1:]:
                f = pop[j][1]
                if f > bf or (f == bf and j < best):
                    best, bf = j, f
        else:
            fit = self._fitness
            best = max(picks, key=lambda j: (fit(pop[j]), -j))
        return pop[best][0]

    def ask(self, n: int) -> list[Suggestion]:
        if n == 1:  # the common case, without _ask_evolving's callbacks (same draws, same order)
            if self._n_asked < self.population_size or not self._population:
                new = self._random_unseen(1)
                new = new[0] if new else None
            else:
                new = self._mutate_unseen(self._parent())
            if new is None:
                return []
            self._n_asked += 1
            return self._suggest1(new)
        return self._ask_evolving(
            n, lambda: self._n_asked < self.population_size or not self._population,
            lambda: self._mutate_unseen(self._parent()))

    def tell(self, suggestions, values) -> None:
        idx, _ = self._check_tell(suggestions, values)
        for i, s in zip(idx, self._member_scores(values)):
            self._add_member(i, s)

    def _add_member(self, i: int, score: float) -> None:
        """The newest member joins; the oldest dies when the population is full (aging)."""
        pop = self._population
        pop.append((i, score))
        if len(pop) > self.population_size:
            pop.popleft()

    _tell_one_mirrors = ("_member_scores",)  # tell scores through it; _tell_one does not

    def _tell_one(self, suggestion, i, value) -> None:  # the runner's shortcut (see Strategy._runner_tell)
        self._add_member(i, self._score1(value))

    def _member_scores(self, values):
        return self._score_list(values)
