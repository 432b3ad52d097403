import numpy as np
import pytest

from nasbench.encodings import encode, onehot, path_encoding
from nasbench.spaces import NB201Space


def test_onehot_layout():
    ops = np.array([[0, 1, 2, 3, 4, 0], [4, 4, 4, 4, 4, 4]])
    x = onehot(ops, 5)
    assert x.shape == (2, 30) and x.dtype == np.float32
    assert (x.sum(1) == 6).all()
    assert x[0, 0 * 5 + 0] == 1 and x[0, 3 * 5 + 3] == 1 and x[1, 5 * 5 + 4] == 1


def test_path_encoding_routes():
    space = NB201Space()
    # only edge (3<-0) is a conv3x3, everything else none: one length-1 path "3" is set ...
    a = space.from_string("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    x = path_encoding(space.encode_ops([a]))
    assert x.shape == (1, 155)
    assert x[0, 3] == 1  # length-1 block, op id 3
    # ... and the none-carrying longer routes land on their own (all-zero-op) features
    assert x[0, 5 + 0] == 1 and x[0, 30 + 0] == 1
    assert x.sum() == 3  # both two-edge routes read "none, none": one shared feature


def test_path_encoding_is_vectorised_and_distinguishes_archs():
    space = NB201Space()
    ops = space.all_ops()
    x = path_encoding(ops)
    assert x.shape == (15625, 155)
    assert np.all(x.sum(1) <= 4) and np.all(x.sum(1) >= 3)
    # architectures that differ on a route's ops get different codes
    assert len(np.unique(x, axis=0)) > 3000


def test_encode_dispatch_and_errors():
    space = NB201Space()
    idx = np.array([0, 1, 15624])
    np.testing.assert_array_equal(encode(space, idx, "onehot"), onehot(space.ops_from_index(idx)))
    np.testing.assert_array_equal(encode(space, space.ops_from_index(idx), "path"),
                                  path_encoding(space.ops_from_index(idx)))
    with pytest.raises(ValueError, match="unknown encoding"):
        encode(space, idx, "adjacency")
    with pytest.raises(ValueError, match="op ids"):
        onehot(np.array([[0, 5]]), 5)
