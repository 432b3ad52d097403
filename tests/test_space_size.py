"""The size space (NATS-Bench's size search space shape) and its 1-D MNIST-1D variant."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.spaces import SizeMNIST1DSpace, SizeSpace, get_space
from nasbench.spaces.size import MNIST1D_CHANNELS, NATS_CHANNELS
from nasbench.types import Architecture


@pytest.fixture(params=[SizeSpace, SizeMNIST1DSpace])
def space(request):
    return request.param()


def test_size_and_names(space):
    assert space.size == 8**5 == 32768
    assert space.n_edges == 5 and space.n_ops == 8
    assert get_space(space.name) == space
    assert SizeSpace() != SizeMNIST1DSpace()
    assert SizeSpace().channels == NATS_CHANNELS and SizeMNIST1DSpace().channels == MNIST1D_CHANNELS


def test_string_roundtrip_and_nats_form():
    s = SizeSpace()
    a = s.from_string("64:32:16:48:24")
    assert s.widths(a) == (64, 32, 16, 48, 24)
    assert a.ops == (7, 3, 1, 5, 2)
    assert s.to_string(a) == "64:32:16:48:24"
    assert s.index(s.from_string("8:8:8:8:8")) == 0
    assert s.index(s.from_string("64:64:64:64:64")) == s.size - 1
    assert s.index(s.from_string("16:8:8:8:8")) == 1  # layer 0 is the least significant digit
    for bad in ["64:32:16:48", "64:32:16:48:25", "a:b:c:d:e", "64-32-16-48-24", ""]:
        with pytest.raises(ValueError):
            s.from_string(bad)


def test_index_bijection_and_vectorised_forms(space):
    idx = np.arange(space.size)
    ops = space.ops_from_index(idx)
    assert np.array_equal(space.index_ops(ops), idx)
    assert len({tuple(r) for r in ops.tolist()}) == space.size
    rng = np.random.default_rng(0)
    for i in rng.integers(0, space.size, 50):
        a = space.from_index(int(i))
        assert space.index(a) == i
        assert space.from_string(space.to_string(a)) == a
        assert space.from_widths(space.widths(a)) == a
    w = space.widths_of(idx[:100])
    assert w.shape == (100, 5) and set(np.unique(w)) <= set(space.channels)
    assert np.array_equal(space.widths_of(ops[:100]), w)


def test_sample_mutate_neighbors(space):
    archs = space.sample(0, 20)
    assert all(a.space == space.name for a in archs)
    assert space.sample(0, 20) == archs
    arr = space.sample(1, 7, as_array=True)
    assert arr.shape == (7, 5) and arr.max() < 8
    a = archs[0]
    m = space.mutate(a, 3)
    assert sum(x != y for x, y in zip(a.ops, m.ops)) == 1
    nb = space.neighbors(a)
    assert len(nb) == 5 * 7 == len(set(nb)) and a not in nb
    step = space.step_neighbors(space.from_index(0))
    assert len(step) == 5 and all(sum(step_a.ops) == 1 for step_a in step)
    assert len(space.step_neighbors(space.arch((3,) * 5))) == 10


def test_every_architecture_is_its_own_class(space):
    a = space.from_index(1234)
    assert space.canonical(a) == a
    assert np.array_equal(space.class_index(), np.arange(space.size))
    assert len(space.unique_indices()) == space.size


def test_other_space_rejected(space):
    with pytest.raises(ValueError):
        space.index(Architecture("nb201", (0, 0, 0, 0, 0)))
    with pytest.raises(ValueError):
        space.arch((8, 0, 0, 0, 0))


def test_configspace_roundtrip(space):
    CS = pytest.importorskip("ConfigSpace")
    cs = space.to_configspace(seed=0)
    assert len(list(cs.values())) == 5
    for cfg in cs.sample_configuration(10):
        a = space.from_config(dict(cfg))
        assert space.widths(a) == tuple(dict(cfg)[f"channels_{l}"] for l in range(5))
    assert isinstance(cs["channels_0"], CS.OrdinalHyperparameter)
