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
