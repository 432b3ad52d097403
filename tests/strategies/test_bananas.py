import numpy as np
import pytest
from sklearn.linear_model import Ridge

from nasbench.spaces import NB201Space
from nasbench.strategies import Bananas

from .conftest import TinySpace, additive_values, drive


def test_uses_the_predictor_passed_in_and_improves():
    space = NB201Space()
    b = Bananas(space, 0, predictor=Ridge(alpha=1.0), n_ensemble=3, n_init=10, batch_size=5, n_candidates=60)
    seen = drive(b, space, 40)
    assert b.n_fits_ == 6  # one fit per batch of 5 after the 10 random ones
    vals = additive_values(space, seen)["val_acc"]
    assert vals[10:].mean() > vals[:10].mean()  # model-chosen architectures are better than the random start
    idx = [space.index(s.arch) for s in seen]
    assert len(set(idx)) == len(idx)


@pytest.mark.parametrize("acq", ["its", "ucb"])
def test_acquisitions_and_onehot_encoding(acq, tiny):
    b = Bananas(tiny, 1, predictor=Ridge(), acquisition=acq, n_init=4, batch_size=3, n_ensemble=2)
    assert b.encoding == "onehot"  # the path encoding is only defined for NB201
    seen = drive(b, tiny, 27)
    assert len({tiny.index(s.arch) for s in seen}) == 27  # exhausts the tiny space without repeats
    assert b.ask(1) == []


def test_bad_settings():
    with pytest.raises(ValueError, match="acquisition"):
        Bananas(NB201Space(), 0, acquisition="ei")
    with pytest.raises(ValueError, match="path encoding"):
        Bananas(TinySpace(), 0, encoding="path")


class _CountingStd:
    """A predictor with ``return_std`` that records how it is used (sklearn contract)."""

    fits = 0

    def __init__(self, random_state=0):
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"random_state": self.random_state}

    def set_params(self, **kw):
        self.random_state = kw.get("random_state", self.random_state)
        return self

    def fit(self, X, y):
        type(self).fits += 1
        self.coef_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
        return self

    def predict(self, X, return_std=False):
        m = np.c_[X, np.ones(len(X))] @ self.coef_
        return (m, np.full(len(X), 0.1)) if return_std else m


def test_a_predictor_with_return_std_is_fitted_once_per_proposal():
    space = NB201Space()
    _CountingStd.fits = 0
    b = Bananas(space, 0, predictor=_CountingStd(), n_ensemble=3, n_init=10, batch_size=5, n_candidates=60)
    drive(b, space, 40)
    assert b.n_fits_ == 6 and _CountingStd.fits == 6  # not n_ensemble per proposal


def test_default_surrogate_is_deterministic_and_improves():
    space = NB201Space()
    runs = []
    for _ in range(2):
        b = Bananas(space, 3, n_init=10, batch_size=5, n_candidates=60)
        runs.append(drive(b, space, 30))
    assert [space.index(s.arch) for s in runs[0]] == [space.index(s.arch) for s in runs[1]]
    vals = additive_values(space, runs[0])["val_acc"]
    assert vals[10:].mean() > vals[:10].mean()
