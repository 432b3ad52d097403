import numpy as np
import pytest

from nasbench.spaces import NB201Space
from nasbench.strategies import Reinforce

from .conftest import additive_values, drive


def test_policy_learns_the_rewarded_op():
    space = NB201Space()
    rf = Reinforce(space, 0, lr=0.1)
    p0 = rf.probabilities()
    np.testing.assert_allclose(p0, 0.2)
    drive(rf, space, 300, batch=4)
    p = rf.probabilities()
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert (p.argmax(1) == 2).all()  # op 2 is rewarded on every edge
    assert p[:, 2].min() > 0.5


def test_nan_rewards_are_skipped():
    space = NB201Space()
    rf = Reinforce(space, 1)
    s = rf.ask(3)
    rf.tell(s, {"val_acc": np.array([np.nan, np.nan, np.nan])})
    np.testing.assert_array_equal(rf.theta_, 0.0)


def test_cache_samples_only_unseen_architectures(tiny):
    rf = Reinforce(tiny, 0, lr=0.3)
    assert not rf.allows_repeats
    seen = drive(rf, tiny, 27, batch=2)
    assert len({tiny.index(s.arch) for s in seen}) == 27  # the whole tiny space, no repeats
    assert rf.ask(1) == []  # exhausted


def test_without_cache_repeats_are_declared_and_happen(tiny):
    rf = Reinforce(tiny, 0, lr=0.3, cache=False)
    assert rf.allows_repeats
    seen = drive(rf, tiny, 60)
    assert len({tiny.index(s.arch) for s in seen}) < 60


def test_bad_settings():
    with pytest.raises(ValueError, match="lr"):
        Reinforce(NB201Space(), 0, lr=0)


def test_adam_step_equals_the_textbook_update_bit_for_bit():
    """The stacked (m, v) update does the textbook operations in the textbook order, so theta
    equals a plain per-array implementation exactly, for any decays passed in."""
    import numpy as np

    from nasbench.spaces import get_space
    from nasbench.strategies import Reinforce

    st = Reinforce(get_space("nb201"), 0, lr=0.1)
    theta, m, v = np.zeros((6, 5)), np.zeros((6, 5)), np.zeros((6, 5))
    rng = np.random.default_rng(3)
    for t, (b1, b2) in enumerate([(0.9, 0.999)] * 3 + [(0.8, 0.99)] * 2 + [(0.9, 0.999)] * 2, start=1):
        g = rng.normal(size=(6, 5))
        st._adam(g.copy(), b1=b1, b2=b2)
        m = m * b1 + g * (1 - b1)
        v = v * b2 + (g * (1 - b2)) * g
        theta = theta + (m / (1 - b1**t)) * 0.1 / (np.sqrt(v / (1 - b2**t)) + 1e-8)
        assert np.array_equal(st.theta_, theta), t
