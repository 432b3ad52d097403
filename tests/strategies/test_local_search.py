import numpy as np
import pytest

from nasbench.spaces import NB201Space
from nasbench.strategies import LocalSearch

from .conftest import additive_values, drive


@pytest.mark.parametrize("variant", ["best", "first"])
def test_reaches_the_optimum_of_an_additive_landscape(variant):
    space = NB201Space()
    ls = LocalSearch(space, 0, variant=variant, n_init=3)
    seen = drive(ls, space, 200)
    vals = additive_values(space, seen)["val_acc"]
    assert vals.max() == space.n_edges  # all edges carry the best op
    idx = [space.index(s.arch) for s in seen]
    assert len(idx) == len(set(idx))


def test_best_improvement_evaluates_the_whole_neighbourhood_first():
    space = NB201Space()
    ls = LocalSearch(space, 1, variant="best", n_init=1)
    start = ls.ask(5)
    assert len(start) == 1  # waits for the start result before anything else
    ls.tell(start, additive_values(space, start))
    nb = ls.ask(100)
    assert len(nb) == 24
    assert {space.index(s.arch) for s in nb} == {space.index(a) for a in space.neighbors(start[0].arch)}
    assert ls.ask(1) == []  # pending results: wait


def test_restarts_at_a_local_optimum():
    space = NB201Space()
    # a flat landscape: no neighbour is ever better, so each centre is a local optimum
    flat = lambda sp, sugg: {"val_acc": np.zeros(len(sugg))}  # noqa: E731
    ls = LocalSearch(space, 2, variant="best", n_init=1)
    seen = drive(ls, space, 1 + 24 + 1, values=flat)
    # start, its 24 neighbours, then a random restart that is not a neighbour of the start
    assert space.index(seen[-1].arch) not in {space.index(a) for a in space.neighbors(seen[0].arch)}


def test_first_improvement_moves_at_once():
    space = NB201Space()
    ls = LocalSearch(space, 3, variant="first", n_init=1)
    start = ls.ask(1)
    ls.tell(start, {"val_acc": np.array([0.0])})
    a = ls.ask(1)
    ls.tell(a, {"val_acc": np.array([1.0])})  # better than the centre: move
    assert ls._center == space.index(a[0].arch)
    nxt = ls.ask(1)[0]
    assert np.sum(np.array(nxt.arch.ops) != np.array(a[0].arch.ops)) == 1


def test_bad_variant():
    with pytest.raises(ValueError, match="variant"):
        LocalSearch(NB201Space(), 0, variant="steepest")
