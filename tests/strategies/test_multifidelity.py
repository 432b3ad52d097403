import numpy as np
import pytest

from nasbench.spaces import NB201Space
from nasbench.strategies import BOHB, Hyperband, SuccessiveHalving, rung_fidelities

from .conftest import additive_values


def test_rungs():
    assert rung_fidelities(np.arange(1, 13), 3) == [1, 4, 12]
    assert rung_fidelities([12, 200], 3) == [12, 200]
    assert rung_fidelities(np.arange(1, 10), 3) == [1, 3, 9]
    assert rung_fidelities(np.arange(1, 28), 3, min_fidelity=3) == [3, 9, 27]
    with pytest.raises(ValueError, match="eta"):
        rung_fidelities([1, 2], 1)


def test_successive_halving_promotes_the_best_third():
    space = NB201Space()
    sh = SuccessiveHalving(space, 0, eta=3)
    with pytest.raises(RuntimeError, match="setup"):
        sh.ask(1)
    sh.setup(np.arange(1, 10))
    first = sh.ask(9)
    assert len(first) == 9 and all(s.fidelity == 1 for s in first)
    vals = additive_values(space, first)["val_acc"]
    sh.tell(first, {"val_acc": vals})
    second = sh.ask(3)
    assert [s.fidelity for s in second] == [3, 3, 3]
    top3 = {first[k].arch for k in np.argsort(-vals, kind="stable")[:3]}
    assert {s.arch for s in second} == top3
    sh.tell(second, additive_values(space, second))
    third = sh.ask(1)
    assert third[0].fidelity == 9 and third[0].arch in top3


def test_hyperband_cycles_brackets():
    space = NB201Space()
    hb = Hyperband(space, 0, eta=3)
    hb.setup(np.arange(1, 10))
    fids = []
    for _ in range(9 + 3 + 1 + 5 + 1 + 3):  # one worker: ask one, tell it, repeat
        s = hb.ask(1)
        hb.tell(s, additive_values(space, s))
        fids.append(s[0].fidelity)
    # brackets s=2: 9@1 -> 3@3 -> 1@9; s=1: 5@3 -> 1@9; s=0: 3@9 (Li et al.'s sizes)
    assert fids == [1] * 9 + [3] * 3 + [9] + [3] * 5 + [9] + [9] * 3
    assert hb.ask(1)[0].fidelity == 1  # and around again


def test_parallel_workers_open_new_brackets():
    space = NB201Space()
    sh = SuccessiveHalving(space, 0, n_configs=3)
    sh.setup(np.arange(1, 10))
    a = sh.ask(5)  # 3 from the first bracket, 2 from a second one
    assert len(a) == 5 and len(sh._brackets) == 2
    assert len({s.arch for s in a}) == 5


def test_bohb_uses_its_model_after_enough_results():
    space = NB201Space()
    bohb = BOHB(space, 0, random_fraction=0.0, min_points=3)
    bohb.setup(np.arange(1, 10))
    new_archs, seen = [], set()
    for _ in range(80):
        s = bohb.ask(1)
        bohb.tell(s, additive_values(space, s))
        if s[0].arch not in seen:
            seen.add(s[0].arch)
            new_archs.append(np.mean(np.array(s[0].arch.ops) == 2))
    # the first bracket's 9 are uniform (op 2 on ~20% of edges); model-drawn ones favour op 2
    assert np.mean(new_archs[9:]) > np.mean(new_archs[:9]) + 0.15
    assert np.mean(new_archs[9:]) > 0.4
