"""Strategy._randint / _sample draw exactly what numpy's Generator draws, from the same stream."""
import numpy as np
import pytest

from nasbench.strategies.base import Strategy

from .conftest import TinySpace


class _Fast(Strategy):
    _fast_rng = True


def _space():
    return TinySpace()


@pytest.mark.parametrize("seed", [0, 1])
def test_randint_and_sample_match_numpy(seed):
    s = _Fast(_space(), seed)
    ref = np.random.default_rng(seed)
    bounds = [15625, 6, 4, 5, 1, 2, 3, 7, 1000, 2**31 + 5]
    for t in range(100_000):
        n = bounds[t % len(bounds)]
        assert s._randint(n) == int(ref.integers(n))
    cases = [(10, 3), (3, 3), (1, 1), (2, 2), (5, 3), (6, 2), (10, 10), (7, 1), (100, 3), (10, 0)]
    for t in range(100_000):
        n, k = cases[t % len(cases)]
        assert s._sample(n, k) == ref.choice(n, size=k, replace=False).tolist()
    # reading rng rewinds the read-ahead: the stream goes on where numpy's would
    assert s.rng.random(5).tolist() == ref.random(5).tolist()
    assert s._randint(6) == int(ref.integers(6))
    assert s.rng.permutation(7).tolist() == ref.permutation(7).tolist()


def test_shared_generator_is_never_read_ahead():
    g = np.random.default_rng(3)
    ref = np.random.default_rng(3)
    s = _Fast(_space(), g)
    assert s._randint(6) == int(ref.integers(6))
    assert g.integers(100) == ref.integers(100)  # the caller's generator advanced by one draw only


@pytest.mark.parametrize("space_name", ["nb201", "size-mnist1d"])
def test_arithmetic_one_edge_mutation_equals_the_op_list_path(space_name):
    """``_mutate`` on a positional space changes one digit of the index; it draws the same
    numbers and gives the same child as building the op list and looking the index up."""
    from nasbench.spaces import get_space
    from nasbench.strategies import RegularizedEvolution

    space = get_space(space_name)
    fast, slow = RegularizedEvolution(space, 11), RegularizedEvolution(space, 11)
    slow._is_positional = False  # force the op-list path
    parents = np.random.default_rng(0).integers(0, space.size, 300).tolist()
    for i in parents:
        a, b = fast._mutate(i), slow._mutate(i)
        assert a == b and a != i
        assert sum(x != y for x, y in zip(space.from_index(a).ops, space.from_index(i).ops)) == 1
    assert fast._randint(1 << 20) == slow._randint(1 << 20)  # the streams stayed together


def test_inline_sample_leaves_rejection_draws_to_the_general_path():
    """A block draw that needs Lemire's rejection test (here an output of 0) makes the inline
    tournament sample give up without consuming; the general path then draws what numpy draws."""
    s = _Fast(_space(), 5)
    s._randint(7)  # fill a block
    s._u32_buf[s._u32_pos + 1] = 0  # the second draw of the next sample: leftover 0 < bound
    ref = _Fast(_space(), 5)
    ref._randint(7)
    ref._u32_buf = list(s._u32_buf)
    got = s._sample(10, 3)
    # the general path, draw by draw (Floyd + shuffle through _randint)
    want, seen = [], set()
    for j in range(7, 10):
        v = ref._randint(j + 1)
        v = j if v in seen else v
        seen.add(v)
        want.append(v)
    for i in (2, 1):
        j = ref._randint(i + 1)
        want[i], want[j] = want[j], want[i]
    assert got == want and s._u32_pos == ref._u32_pos


def test_inline_mutation_leaves_rejection_draws_to_the_general_path():
    """A block output that Lemire's method rejects (0 for a bound of 6 edges) sends ``_mutate``
    to ``_randint``, which skips it as numpy does; the op-list path agrees draw for draw."""
    from nasbench.spaces import get_space
    from nasbench.strategies import RegularizedEvolution

    space = get_space("nb201")
    fast, slow = RegularizedEvolution(space, 4), RegularizedEvolution(space, 4)
    slow._is_positional = False
    for s in (fast, slow):
        s._randint(9)
        s._u32_buf[s._u32_pos] = 0
    assert fast._mutate(777) == slow._mutate(777)
    assert fast._u32_pos == slow._u32_pos
    assert fast._randint(1000) == slow._randint(1000)
