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
        encode(space, idx, "no-such-encoding")
    with pytest.raises(ValueError, match="op ids"):
        onehot(np.array([[0, 5]]), 5)


# ------------------------------------------------------------------ sklearn transformers
def test_adjacency_ops_layout():
    from nasbench.encodings import adjacency_ops

    x = adjacency_ops(np.array([[0, 1, 2, 3, 4, 0]]), 5)
    assert x.shape == (1, 36)
    np.testing.assert_array_equal(x[0, :6], [0, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(x[0, 6:], onehot(np.array([[0, 1, 2, 3, 4, 0]]), 5)[0])


@pytest.mark.parametrize("name,width", [("OneHot", 30), ("PathEncoding", 155), ("AdjacencyOps", 36)])
def test_transformers_accept_every_batch_form(name, width):
    import nasbench.encodings as enc

    space = NB201Space()
    idx = np.array([0, 17, 15624, 4321])
    ops = space.ops_from_index(idx)
    archs = [space.from_index(int(i)) for i in idx]
    t = getattr(enc, name)(space).fit(idx)
    kind = {"OneHot": "onehot", "PathEncoding": "path", "AdjacencyOps": "adjacency"}[name]
    want = encode(space, ops, kind)
    assert want.shape == (4, width) and t.n_features_out_ == width
    for X in (idx, ops, archs, idx[:, None], idx.astype(float), list(idx)):
        got = t.transform(X)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(getattr(enc, name)().fit_transform(idx), want)  # NB201 by default
    with pytest.raises(ValueError):
        t.transform(np.array([15625]))
    with pytest.raises(ValueError):
        t.transform(np.array([0.5]))


def test_append_features_pipeline_and_clone():
    from sklearn.base import clone
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from nasbench.encodings import AppendFeatures, OneHot

    space = NB201Space()
    rng = np.random.default_rng(0)
    params = rng.uniform(0.1, 2.0, space.size)
    params[3] = np.nan  # a missing value becomes the (standardised) mean, 0
    zc = rng.normal(size=space.size)
    t = AppendFeatures(OneHot(), {"params": params, "zc": zc}).fit()
    x = t.transform(np.array([0, 3, 7]))
    assert x.shape == (3, 32) and t.n_features_out_ == 32
    lp = np.log(params[np.isfinite(params)])
    np.testing.assert_allclose(x[0, 30], (np.log(params[0]) - lp.mean()) / lp.std(), rtol=1e-5)
    assert x[1, 30] == 0
    np.testing.assert_allclose(x[2, 31], (zc[7] - zc.mean()) / zc.std(), rtol=1e-5)
    only = AppendFeatures(None, {"zc": zc}, log=False, standardize=False).fit()
    np.testing.assert_allclose(only.transform([space.from_index(7)])[0], [zc[7]], rtol=1e-6)
    c = clone(t).fit()
    np.testing.assert_array_equal(c.transform(np.array([0, 3, 7])), x)
    # features + encoding + regressor is one pipeline over index arrays
    idx = rng.integers(0, space.size, 200)
    y = params[idx] * 3 + onehot(space.ops_from_index(idx))[:, 3]
    y = np.nan_to_num(y)
    pipe = make_pipeline(AppendFeatures(OneHot(), {"params": params}), Ridge()).fit(idx, y)
    assert pipe.predict(idx[:5]).shape == (5,)
    with pytest.raises(ValueError, match="one value per architecture"):
        AppendFeatures(OneHot(), {"bad": np.ones(3)}).fit()


def test_static_features_from_a_benchmark():
    from nasbench.benchmarks.synthetic import SyntheticBenchmark
    from nasbench.encodings import static_features

    bench = SyntheticBenchmark()
    m = [s for s in bench.static_metrics][:1]
    f = static_features(bench, m)
    assert f[m[0]].shape == (bench.space.size,)
    with pytest.raises(KeyError, match="no static metric"):
        static_features(bench, ["no-such-metric"])
