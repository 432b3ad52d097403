import numpy as np
import pytest

from nasbench.spaces import NB201Space
from nasbench.strategies import RandomSearch, Strategy, Suggestion, higher_is_better
from nasbench.types import Architecture

from .conftest import additive_values, drive


def test_suggestion_is_a_frozen_value():
    a = Architecture("nb201", (1, 2, 3, 4, 0, 1))
    s = Suggestion(a)
    assert s.fidelity is None and s == Suggestion(a, None)
    with pytest.raises(AttributeError):
        s.fidelity = 3


def test_random_search_never_repeats_and_stops_when_exhausted(tiny):
    rs = RandomSearch(tiny, seed=0)
    seen = drive(rs, tiny, 100, batch=4)
    idx = [tiny.index(s.arch) for s in seen]
    assert len(idx) == tiny.size == len(set(idx))
    assert rs.ask(3) == []


def test_same_seed_same_suggestions_and_generators_accepted():
    space = NB201Space()
    a = [s.arch for s in RandomSearch(space, 7).ask(20)]
    b = [s.arch for s in RandomSearch(space, np.random.default_rng(7)).ask(20)]
    c = [s.arch for s in RandomSearch(space, 8).ask(20)]
    assert a == b and a != c


def test_tell_checks_metric_names_and_shapes(tiny):
    rs = RandomSearch(tiny, 0)
    sugg = rs.ask(2)
    with pytest.raises(KeyError, match="val_acc"):
        rs.tell(sugg, {"train_acc": np.zeros(2)})
    with pytest.raises(ValueError, match="shape"):
        rs.tell(sugg, {"val_acc": np.zeros(3)})
    rs.tell([s.arch for s in sugg], additive_values(tiny, sugg))  # plain architectures are accepted


def test_setup_validates_fidelities(tiny):
    s = RandomSearch(tiny, 0)
    with pytest.raises(ValueError, match="increasing"):
        s.setup([4, 2])
    with pytest.raises(ValueError, match="fidelity_kind"):
        s.setup([1, 2], "per_epoch")
    s.setup(np.array([1, 2, 3]), "schedule_length")
    assert s.fidelities_.tolist() == [1, 2, 3] and s.fidelity_kind_ == "schedule_length"


def test_constructor_refuses_non_spaces_and_score_direction(tiny):
    with pytest.raises(TypeError, match="SearchSpace"):
        RandomSearch("nb201", 0)
    assert higher_is_better("val_acc") and not higher_is_better("val_loss")
    assert not higher_is_better("latency_cpu_bs1") and not higher_is_better("params")
    s = Strategy(tiny, 0, objective="val_loss")
    np.testing.assert_array_equal(s._score({"val_loss": np.array([1.0, np.nan])}), [-1.0, -np.inf])


def test_neighbors_and_mutation_agree_with_the_space():
    space = NB201Space()
    s = Strategy(space, 0)
    a = space.from_index(1234)
    assert sorted(s._neighbors(1234)) == sorted(space.index(b) for b in space.neighbors(a))
    for _ in range(50):
        j = s._mutate(1234)
        diff = np.sum(np.array(space.from_index(j).ops) != np.array(a.ops))
        assert diff == 1
