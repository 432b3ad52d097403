"""The size space's sample plan, held-out split, and generate -> merge -> query."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.jobs.size_plan import HOLDOUT_FRACTION, LANDMARKS, is_holdout, size_plan
from nasbench.spaces import SizeMNIST1DSpace

SPACE = SizeMNIST1DSpace()


def test_plan_landmarks_first_prefix_stable_and_balanced():
    p = size_plan(SPACE, 7 + 64 * 4, order_seed=0)
    assert len(set(p.tolist())) == len(p)
    assert [tuple(SPACE.from_index(int(i)).ops) for i in p[:len(LANDMARKS)]] == list(LANDMARKS)
    assert np.array_equal(size_plan(SPACE, 100, order_seed=0), p[:100])  # asking for more only appends
    assert not np.array_equal(size_plan(SPACE, 100, order_seed=1), p[:100])
    ops = SPACE.ops_from_index(p[len(LANDMARKS):])
    for layer in range(5):  # each Latin-hypercube block of 64 balances every layer (minus repeats)
        counts = np.bincount(ops[:, layer], minlength=8)
        assert counts.min() >= 4 * 8 - 8 and counts.max() <= 4 * 8


def test_holdout_is_a_fixed_fraction_of_the_space():
    mask = is_holdout(np.arange(SPACE.size), SPACE.size)
    assert mask.sum() == round(HOLDOUT_FRACTION * SPACE.size)
    assert is_holdout(int(np.flatnonzero(mask)[0])) is True
    frac = is_holdout(size_plan(SPACE, 2000)).mean()
    assert abs(frac - HOLDOUT_FRACTION) < 0.03


def test_generate_merge_query_size_space(tmp_path):
    pytest.importorskip("torch")
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.jobs.ground_truth import GenerateConfig, generate
    from nasbench.jobs.merge import merge_records

    out = tmp_path / "records"
    cfg = GenerateConfig(out=str(out), space="size-mnist1d", task="synthetic", preset="size-mnist1d",
                         epochs=2, seeds=(0, 1), sample=3, workers=1)
    rep = generate(cfg, progress=False)
    assert rep.trained == 3
    assert generate(cfg, progress=False).trained == 0  # resumes: nothing left
    b = TabularBenchmark(merge_records(out, tmp_path / "t.h5"))
    assert b.space == SPACE and b.space.size == 32768
    trained = size_plan(SPACE, 3)
    assert b.coverage() == pytest.approx(3 / SPACE.size)
    ev = b.query(trained, seed="mean", metrics=["val_acc"])
    assert np.isfinite(ev.values["val_acc"]).all() and ev.values["val_acc"].shape == (3, 2)
    assert b.attrs["holdout"]["trained_fit"] + b.attrs["holdout"]["trained_holdout"] == 3
