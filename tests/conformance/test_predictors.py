"""Conformance: every predictor of ``nasbench.predictors`` (tiny settings, CPU, no timings).

Checks, for each: ``fit`` returns ``self`` and sets fitted attributes ending in ``_``;
``predict`` gives ``(n,)`` finite values (and ``(mean, std)`` with ``return_std`` where the
model has an uncertainty, std >= 0); the same ``random_state`` gives the same predictions;
NaN targets are refused with an error that says so; a clone refits to the same predictions;
predicting before ``fit`` raises ``NotFittedError``; a wrong feature count is refused; the
predictor learns a simple signal (Spearman > 0.3 on held-out architectures).  The
scikit-learn-only predictors also pass ``sklearn.utils.estimator_checks.check_estimator``.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from scipy.stats import spearmanr

from nasbench.encodings import adjacency_ops, onehot
from nasbench.spaces import NB201Space

HAS_XGB = importlib.util.find_spec("xgboost") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _factories():
    import nasbench.predictors as P

    out = {
        "rf": (lambda rs=0: P.RandomForestPredictor(n_estimators=20, random_state=rs), True),
        "gp": (lambda rs=0: P.GPPredictor(random_state=rs), True),
        "mlp": (lambda rs=0: P.MLPEnsemble(n_members=2, hidden_layer_sizes=(16,), max_iter=200, random_state=rs), True),
        "curve": (lambda rs=0: P.CurvePredictor(curve_columns=2), False),
        "bagged": (lambda rs=0: P.BaggedPredictor(n_members=3, random_state=rs), True),
    }
    if HAS_XGB:
        out["xgb"] = (lambda rs=0: P.XGBoostPredictor(n_estimators=30, random_state=rs), False)
    if HAS_TORCH:
        out["gin"] = (lambda rs=0: P.GINPredictor(n_members=2, hidden=16, epochs=30, random_state=rs), True)
    return out


NAMES = ["rf", "gp", "mlp", "curve", "bagged", "xgb", "gin"]
SKLEARN_ONLY = ["rf", "gp", "mlp", "curve", "bagged", "xgb"]


def _skip_missing(name):
    if name == "xgb" and not HAS_XGB:
        pytest.skip("xgboost not installed (pip install 'nasbench[predictors]')")
    if name == "gin" and not HAS_TORCH:
        pytest.skip("torch not installed (pip install 'nasbench[train]')")


def _data(n=120, seed=0):
    """AdjacencyOps features of random NB201 archs (+ 2 curve-like columns) and a smooth target."""
    space = NB201Space()
    rng = np.random.default_rng(seed)
    idx = rng.choice(space.size, n, replace=False)
    ops = space.ops_from_index(idx)
    X = adjacency_ops(ops).astype(np.float64)
    oh = onehot(ops)
    y = 3.0 * oh[:, 3::5].sum(1) + 1.5 * oh[:, 2::5].sum(1) - 2.0 * oh[:, 0::5].sum(1) + 0.1 * rng.normal(size=n)
    curve = np.column_stack([0.5 * y + rng.normal(size=n), 0.8 * y + 0.5 * rng.normal(size=n)])
    return np.hstack([X, curve]), y


@pytest.mark.parametrize("name", NAMES)
def test_contract(name):
    _skip_missing(name)
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    make, has_std = _factories()[name]
    X, y = _data()
    Xtr, ytr, Xte, yte = X[:80], y[:80], X[80:], y[80:]
    p = make()
    with pytest.raises(NotFittedError):
        p.predict(Xte)
    assert p.fit(Xtr, ytr) is p
    assert any(k.endswith("_") and not k.startswith("_") for k in vars(p))
    pred = p.predict(Xte)
    assert pred.shape == (40,) and np.all(np.isfinite(pred))
    assert spearmanr(pred, yte)[0] > 0.3
    if has_std:
        m, s = p.predict(Xte, return_std=True)
        assert m.shape == s.shape == (40,)
        assert np.all(s >= 0) and np.all(np.isfinite(s))
        np.testing.assert_allclose(m, pred, rtol=1e-6, atol=1e-8)
    # determinism under random_state, and clone/refit
    np.testing.assert_array_equal(make().fit(Xtr, ytr).predict(Xte), pred)
    np.testing.assert_array_equal(clone(p).fit(Xtr, ytr).predict(Xte), pred)
    assert clone(p).get_params() == p.get_params()
    with pytest.raises(ValueError):
        p.predict(Xte[:, :-1])


@pytest.mark.parametrize("name", NAMES)
def test_nan_targets_refused(name):
    _skip_missing(name)
    make, _ = _factories()[name]
    X, y = _data(40)
    y[[3, 7]] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make().fit(X, y)


@pytest.mark.parametrize("name", SKLEARN_ONLY)
def test_check_estimator(name):
    _skip_missing(name)
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    make, _ = _factories()[name]
    est = make()
    if name == "gp":
        est.set_params(optimize=False)  # the contract, not the optimiser: keeps the check fast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(est)


def test_xgboost_native_save_load(tmp_path):
    _skip_missing("xgb")
    from nasbench.predictors import XGBoostPredictor

    X, y = _data()
    p = XGBoostPredictor(n_estimators=20).fit(X, y)
    assert p.get_booster() is not None and p.booster_.num_features() == X.shape[1]
    for suffix in (".json", ".ubj"):
        p.save_model(tmp_path / f"m{suffix}")
        q = XGBoostPredictor().load_model(tmp_path / f"m{suffix}")
        np.testing.assert_allclose(q.predict(X), p.predict(X), rtol=1e-6)
        assert q.n_features_in_ == X.shape[1]


def test_supports_std_sees_through_pipelines():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from nasbench.encodings import OneHot
    from nasbench.predictors import RandomForestPredictor, supports_std

    assert supports_std(RandomForestPredictor())
    assert not supports_std(Ridge())
    assert supports_std(make_pipeline(OneHot(), RandomForestPredictor()))


def test_gin_state_dict_round_trip(tmp_path):
    _skip_missing("gin")
    from nasbench.predictors import GINPredictor

    X, y = _data(60)
    p = GINPredictor(n_members=2, hidden=8, epochs=5).fit(X, y)
    p.save_model(tmp_path / "gin.pt")
    q = GINPredictor(n_members=2, hidden=8, epochs=5).load_model(tmp_path / "gin.pt")
    np.testing.assert_allclose(q.predict(X), p.predict(X), rtol=1e-5, atol=1e-6)
