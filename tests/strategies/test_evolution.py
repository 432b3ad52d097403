import numpy as np
import pytest

from nasbench.spaces import NB201Space
from nasbench.strategies import RegularizedEvolution

from .conftest import additive_values, drive


def test_first_population_is_random_then_children_are_one_edge_mutations():
    space = NB201Space()
    re = RegularizedEvolution(space, 0, population_size=5, sample_size=5)
    first = re.ask(5)
    re.tell(first, additive_values(space, first))
    best = max(first, key=lambda s: additive_values(space, [s])["val_acc"][0])
    child = re.ask(1)[0]
    # tournament over the whole population picks the best member as the parent
    assert np.sum(np.array(child.arch.ops) != np.array(best.arch.ops)) == 1


def test_aging_keeps_only_the_most_recent_members():
    space = NB201Space()
    re = RegularizedEvolution(space, 1, population_size=4, sample_size=2)
    seen = drive(re, space, 12)
    members = [i for i, _ in re._population]
    assert len(members) == 4
    assert members == [space.index(s.arch) for s in seen[-4:]]  # oldest died, whatever their accuracy


def test_no_repeats_and_improvement_on_an_additive_landscape(tiny):
    re = RegularizedEvolution(tiny, 3, population_size=4, sample_size=2)
    seen = drive(re, tiny, 27)
    idx = [tiny.index(s.arch) for s in seen]
    assert len(idx) == len(set(idx)) == 27


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="population_size"):
        RegularizedEvolution(NB201Space(), 0, population_size=0)
