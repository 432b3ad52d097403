"""SoTL rung signal of successive halving / Hyperband, and learning-curve early stopping."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.spaces import NB201Space
from nasbench.strategies import EarlyStoppingRandomSearch, Hyperband, SuccessiveHalving


def _values(suggestions):
    """val_acc grows with the op id on edge 0, train_loss falls with the op id on edge 1 (two rankings)."""
    ops = np.array([s.arch.ops for s in suggestions])
    f = np.array([s.fidelity for s in suggestions], dtype=float)
    val = 10.0 * ops[:, 0] + ops.sum(1) * 0.01 + f
    loss = 2.0 - 0.1 * ops[:, 1] - 0.001 * ops.sum(1) - 0.01 * f
    return {"val_acc": val, "train_loss": loss}


def test_sotl_rung_promotes_by_summed_training_loss_stepping_epochs():
    space = NB201Space()
    sh = SuccessiveHalving(space, 0, eta=3, rung_metric="sotl")
    assert sh.metrics == ("val_acc", "train_loss")
    sh.setup(np.arange(1, 10))
    first = sh.ask(9)
    assert [s.fidelity for s in first] == [1] * 9
    v = _values(first)
    sh.tell(first, v)
    # rung 3 decides a promotion: the promoted three are asked epoch by epoch (2, then 3)
    step2 = sh.ask(3)
    assert [s.fidelity for s in step2] == [2, 2, 2]
    best = {first[k].arch for k in np.argsort(v["train_loss"], kind="stable")[:3]}
    assert {s.arch for s in step2} == best
    sh.tell(step2, _values(step2))
    step3 = sh.ask(3)
    assert [s.fidelity for s in step3] == [3, 3, 3] and {s.arch for s in step3} == best
    sh.tell(step3, _values(step3))
    top = sh.ask(1)
    assert top[0].fidelity == 9  # the top rung is asked directly
    # the promoted one has the smallest sum of train_loss over epochs 1..3
    curves = {s.arch: 0.0 for s in step3}
    for batch in (first, step2, step3):
        for s, loss in zip(batch, _values(batch)["train_loss"]):
            if s.arch in curves:
                curves[s.arch] += loss
    assert top[0].arch == min(curves, key=curves.get)


def test_default_rung_metric_unchanged_and_sotl_differs():
    space = NB201Space()
    picks = {}
    for rm in (None, "sotl"):
        sh = SuccessiveHalving(space, 0, eta=3, rung_metric=rm)
        sh.setup(np.arange(1, 10))
        first = sh.ask(9)
        sh.tell(first, _values(first))
        picks[rm] = {s.arch for s in sh.ask(3)}
        if rm is None:
            v = _values(first)["val_acc"]
            assert picks[rm] == {first[k].arch for k in np.argsort(-v, kind="stable")[:3]}
    assert picks[None] != picks["sotl"]


def test_sotl_refused_on_schedule_length_and_unknown_metric():
    space = NB201Space()
    with pytest.raises(ValueError, match="rung_metric"):
        Hyperband(space, 0, rung_metric="lce")
    with pytest.raises(ValueError, match="epoch_of_schedule"):
        Hyperband(space, 0, rung_metric="sotl").setup([12, 200], "schedule_length")


def _curve_tell(es, suggestions, final_of):
    """val_acc curves rising to ``final_of(arch)`` (a saturating pow3 curve)."""
    vals = []
    for s in suggestions:
        c = final_of(s.arch)
        vals.append(c - 40.0 * s.fidelity ** -0.8 + 40.0 * 10 ** -0.8)
    es.tell(suggestions, {"val_acc": np.array(vals)})


def test_early_stopping_continues_promising_runs_only():
    space = NB201Space()
    es = EarlyStoppingRandomSearch(space, 0, min_epochs=3, p=0.05, warmup=2)
    es.setup(np.arange(1, 11))
    final_of = lambda a: 80.0 if a.ops[0] == 3 else 40.0  # noqa: E731
    seen = []
    for _ in range(200):
        s = es.ask(1)
        seen += s
        _curve_tell(es, s, final_of)
    full = [s for s in seen if s.fidelity == 10]
    assert es.n_stopped_ > 0 and es.n_continued_ > 0
    # once a good architecture is the incumbent, bad ones are no longer trained to the end
    arch_full = [s.arch for s in full]
    first_good = next(k for k, a in enumerate(arch_full) if a.ops[0] == 3)
    late = arch_full[max(first_good, 2) + 1:]
    assert len(late) >= 3 and all(a.ops[0] == 3 for a in late)
    # every run is asked epoch by epoch up to the decision, then at the top
    per_arch = {}
    for s in seen:
        per_arch.setdefault(s.arch, []).append(s.fidelity)
    for fids in per_arch.values():
        assert fids in ([1], [1, 2], [1, 2, 3], [1, 2, 3, 10])


def test_early_stopping_with_p0_trains_everything():
    space = NB201Space()
    es = EarlyStoppingRandomSearch(space, 1, p=0.0)
    es.setup(np.arange(1, 11))
    for _ in range(40):
        _curve_tell(es, es.ask(1), lambda a: 50.0)
    assert es.n_stopped_ == 0
    with pytest.raises(ValueError, match="p must be"):
        EarlyStoppingRandomSearch(space, 0, p=1.5)
