"""Learning-curve families, extrapolation and the curve estimators (numpy/scipy only)."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.benchmarks.synthetic import SyntheticBenchmark
from nasbench.estimators.curves import (FAMILIES, AccuracyAtK, CurveExtrapolation, TrainingSpeed, extrapolate,
                                        fit_family, prob_above)

TRUE = {
    "vapor_pressure": [-0.1, -1.0, 0.05], "pow3": [0.8, 0.5, 0.7], "log_log_linear": [0.5, 1.3],
    "hill3": [0.85, 1.5, 2.0], "log_power": [0.85, 1.0, -1.5], "pow4": [1.0, 0.5, 1.0, 0.85],
    "mmf": [0.85, 0.2, 0.5, 1.5], "exp4": [0.85, 0.6, -0.5, 0.8], "janoschek": [0.85, 0.2, 0.5, 0.8],
    "weibull": [0.85, 0.2, 0.3, 1.2], "ilog2": [0.9, 0.3],
}


def test_eleven_families():
    assert sorted(FAMILIES) == sorted(TRUE)
    for name, fam in FAMILIES.items():
        assert len(fam.params) == len(TRUE[name]) == len(fam.positive)


@pytest.mark.parametrize("name", sorted(TRUE))
def test_families_recover_known_parameters(name):
    x = np.arange(1, 11, dtype=float)
    theta = np.array([TRUE[name]])
    y = FAMILIES[name].f(x, theta)
    est, sse = fit_family(name, np.repeat(y, 3, axis=0), prior_weight=1e-8, n_iter=300, tol=0)
    np.testing.assert_allclose(est, np.repeat(theta, 3, axis=0), rtol=2e-3, atol=2e-3)
    assert np.all(sse < 1e-10)


def test_extrapolation_of_a_saturating_curve():
    x = np.arange(1, 11, dtype=float)
    y = FAMILIES["pow3"].f(x, np.array([[0.8, 0.5, 0.7], [0.6, 0.4, 1.0]]))
    out = extrapolate(y[:, :6], 10)
    assert out["mean"].shape == out["std"].shape == (2,)
    np.testing.assert_allclose(out["mean"], y[:, -1], atol=0.02)
    assert np.all(out["std"] > 0)
    np.testing.assert_allclose(out["weights"].sum(1), 1.0)
    assert out["mean"][0] > out["mean"][1]
    assert prob_above(out["mean"], out["std"], 0.0).min() > 0.99


@pytest.fixture(scope="module")
def bench():
    return SyntheticBenchmark(n_epochs=6)


def test_estimator_contract(bench):
    idx = np.arange(0, 200, 7)
    for est in (AccuracyAtK(bench, 3), TrainingSpeed(bench, 3), CurveExtrapolation(bench, 3)):
        s = est.estimate(idx)
        assert s.shape == (len(idx),) and s.dtype == np.float64 and np.all(np.isfinite(s))
        c = est.cost_
        assert c["n_archs"] == len(idx)
        ev = bench.query(idx, fidelity=3, trial=0, metrics=["val_acc"])
        assert c["train_s"] == pytest.approx(float(np.sum(ev.cost)))  # the training to epoch k is charged
        assert c["total_s"] == pytest.approx(c["train_s"] + c["fit_s"])
        assert c["per_arch_s"] == pytest.approx(c["total_s"] / len(idx))
        archs = [bench.space.from_index(int(i)) for i in idx[:5]]
        np.testing.assert_allclose(type(est)(bench, 3).estimate(archs), s[:5], rtol=1e-6)


def test_sotl_and_acc_at_k_values(bench):
    idx = np.arange(50)
    curves = bench.query(idx, fidelity=None, trial=1)
    np.testing.assert_allclose(TrainingSpeed(bench, 4, trial=1).estimate(idx),
                               -curves.values["train_loss"][:, :4].sum(1))
    np.testing.assert_allclose(AccuracyAtK(bench, 4, trial=1).estimate(idx), curves.values["val_acc"][:, 3])


def test_estimator_arguments(bench):
    with pytest.raises(ValueError, match="k=99"):
        AccuracyAtK(bench, 99)
    with pytest.raises(ValueError, match="k >= 2"):
        CurveExtrapolation(bench, 1)


def test_make_estimator(bench):
    from nasbench.estimators.curves import make_estimator

    assert isinstance(make_estimator("lce@3", bench), CurveExtrapolation)
    assert isinstance(make_estimator("sotl@2", bench), TrainingSpeed)
    assert make_estimator("acc@4", bench, trial=1).trial == 1
    with pytest.raises(KeyError, match="lce@k"):
        make_estimator("foo@3", bench)
