"""Random search without replacement: uniform over architectures never suggested before."""
from __future__ import annotations

from nasbench.strategies.base import Strategy, Suggestion

__all__ = ["RandomSearch"]


class RandomSearch(Strategy):
    """Uniformly random architectures, each at most once (at the top fidelity).

    Parameters
    ----------
    space : SearchSpace
    seed : int or np.random.Generator
    objective : str
        Only recorded; random search ignores results.
    """

    name = "rs"
    _fast_rng = True  # its draws: rng.integers(size) (see Strategy._randint)

    def ask(self, n: int) -> list[Suggestion]:
        new = self._random_unseen(n)
        return self._suggest1(new[0]) if len(new) == 1 else self._suggest(new)

    def tell(self, suggestions, values) -> None:
        self._check_tell(suggestions, values)

    def _tell_one(self, suggestion, i, value) -> None:  # the runner's shortcut: nothing to learn
        pass
