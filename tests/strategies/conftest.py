"""Helpers for strategy tests: a tiny search space and an additive toy landscape."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.space import SearchSpace


class TinySpace(SearchSpace):
    """3 edges x 3 ops = 27 architectures (small enough to exhaust)."""

    name = "tiny"
    op_names = ("a", "b", "c")
    n_edges = 3


def additive_values(space, suggestions, best_op: int = 2) -> dict[str, np.ndarray]:
    """val_acc = number of edges carrying ``best_op`` (the unique optimum has all of them)."""
    ops = np.array([s.arch.ops for s in suggestions]).reshape(len(suggestions), space.n_edges)
    return {"val_acc": (ops == best_op).sum(1).astype(float)}


def drive(strategy, space, n_evals: int, values=additive_values, batch: int = 1) -> list:
    """Ask/tell loop without a benchmark: returns every suggestion in order."""
    out = []
    while len(out) < n_evals:
        sugg = strategy.ask(min(batch, n_evals - len(out)))
        if not sugg:
            break
        strategy.tell(sugg, values(space, sugg))
        out.extend(sugg)
    return out


@pytest.fixture
def tiny():
    return TinySpace()
