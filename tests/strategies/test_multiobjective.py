import numpy as np
import pytest

from nasbench.spaces import NB201Space
from nasbench.strategies import (NSGA2, ConstrainedEvolution, crowding_distance, hypervolume_2d,
                                 non_dominated_sort, pareto_mask)


def test_pareto_helpers_on_a_known_set():
    p = np.array([[3, 1], [2, 2], [1, 3], [1, 1], [2, 1]], dtype=float)  # both maximised
    np.testing.assert_array_equal(pareto_mask(p), [True, True, True, False, False])
    np.testing.assert_array_equal(non_dominated_sort(p), [0, 0, 0, 2, 1])
    cd = crowding_distance(p[:3])
    assert np.isinf(cd[0]) and np.isinf(cd[2]) and np.isfinite(cd[1])
    # staircase area above ref (0, 0): 3*1 + 2*1 + 1*1
    assert hypervolume_2d(p, (0, 0)) == pytest.approx(6.0)
    assert hypervolume_2d(p, (5, 5)) == 0.0


def test_large_pareto_mask_matches_the_quadratic_rule():
    rng = np.random.default_rng(0)
    p = rng.integers(0, 10, (300, 2)).astype(float)
    ge = (p[:, None] >= p[None]).all(2)
    gt = (p[:, None] > p[None]).any(2)
    np.testing.assert_array_equal(pareto_mask(p), ~(ge & gt).any(0))


def _mo_values(space, sugg):
    ops = np.array([s.arch.ops for s in sugg])
    return {"val_acc": (ops == 3).sum(1).astype(float), "params": (ops >= 2).sum(1) * 0.1}


def test_nsga2_population_and_front():
    space = NB201Space()
    ns = NSGA2(space, 0, objectives=("val_acc", "params"), population_size=8)
    assert ns.metrics == ("val_acc", "params")
    for _ in range(40):
        s = ns.ask(1)
        ns.tell(s, _mo_values(space, s))
    assert len(ns._pop_idx) == 8
    F = np.asarray(ns._pop_f)
    assert (non_dominated_sort(F) == ns._rank).all()
    with pytest.raises(ValueError, match="two objectives"):
        NSGA2(space, 0, objectives=("val_acc",))


def test_constrained_evolution_prefers_feasible():
    space = NB201Space()
    ce = ConstrainedEvolution(space, 0, metric="params", cap=0.25, population_size=5, sample_size=5)
    assert ce.constraints == {"params": 0.25} and ce.metrics == ("val_acc", "params")
    first = ce.ask(5)
    vals = _mo_values(space, first)
    ce.tell(first, vals)
    fits = [f for _, f in ce._population]
    feasible = vals["params"] <= 0.25
    for f, ok in zip(fits, feasible):
        assert f[0] == bool(ok)
    with pytest.raises(ValueError, match="lower is better"):
        ConstrainedEvolution(space, 0, metric="val_acc", cap=1.0)
