"""A surrogate benchmark of the size space: fitted on a sampled table, validated on its held-out split."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("xgboost")

from nasbench.benchmarks.base import PER_EPOCH_METRICS  # noqa: E402
from nasbench.benchmarks.surrogate import SurrogateBenchmark, SurrogateConfig, fit_surrogate  # noqa: E402
from nasbench.benchmarks.tabular import TabularBenchmark  # noqa: E402
from nasbench.io.records import Record, RecordWriter, write_manifest  # noqa: E402
from nasbench.jobs.size_plan import is_holdout, size_plan  # noqa: E402
from nasbench.spaces import SizeMNIST1DSpace  # noqa: E402

SPACE = SizeMNIST1DSpace()
TINY = dict(n_estimators=20, max_depth=3, learning_rate=0.3, n_jobs=1)
E, S = 4, 2


def _fake_records(d, n=240):
    """Records of a smooth width -> accuracy landscape (saturating), with seed noise."""
    idx = size_plan(SPACE, n)
    write_manifest(d, {"space": SPACE.name, "task": "synthetic", "seeds": [0, 1], "epochs": E, "rule": "function",
                       "holdout": {"seed": 1, "fraction": 0.125, "rule": "is_holdout"}})
    rng = np.random.default_rng(0)
    with RecordWriter(d, "fake") as w:
        for i in idx:
            wd = np.array(SPACE.widths(SPACE.from_index(int(i))), dtype=float)
            final = 80 - 200 / (wd.sum() + 5) + rng.normal(0, 0.5, S)
            ep = np.arange(1, E + 1) / E
            acc = final[:, None] * (0.6 + 0.4 * ep)[None, :]
            arrays = {m: (acc if m.endswith("acc") else 3 - acc / 40).astype(np.float32) for m in PER_EPOCH_METRICS}
            arrays["train_time"] = (np.outer(np.ones(S), ep) * wd.sum() / 10).astype(np.float32)
            arrays["seeds"], arrays["diverged"] = np.array([0, 1], np.int32), np.zeros(S, bool)
            w.append(Record(int(i), arrays, {"time_basis": "process_cpu"}))
    return idx


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    from nasbench.jobs.merge import merge_records
    from nasbench.jobs.static_pass import profile_space

    root = tmp_path_factory.mktemp("size")
    idx = _fake_records(root / "rec")
    pytest.importorskip("torch")
    profile_space(root / "static", preset="size-mnist1d", batch_sizes=(), chunk=8192, progress=False)
    b = TabularBenchmark(merge_records(root / "rec", root / "t.h5", static_dir=root / "static"))
    return b, idx


def test_fit_on_non_heldout_validate_on_heldout(table, tmp_path):
    b, idx = table
    cfg = SurrogateConfig(train_fraction=1.0, n_virtual_seeds=4, final_params=TINY, aux_params=TINY, curve_params=TINY,
                          donor_neighbours=16, name="size-test")
    s = SurrogateBenchmark(fit_surrogate(b, tmp_path / "size-test", cfg))
    meta = s.metadata
    held = idx[is_holdout(idx)]
    assert meta["encoding"] == "size-widths" and meta["space"] == "size-mnist1d"
    assert sorted(meta["heldout_representatives"]) == sorted(held.tolist())
    assert not set(meta["training_data"]["train_class_representatives"]) & set(held.tolist())
    assert meta["training_data"]["n_train_classes"] == len(idx) - len(held)
    assert meta["validation"]["val_acc/rows"]["n"] == len(held)
    assert meta["validation"]["val_acc/rows"]["kendall_tau"] > 0.5  # a smooth landscape
    ev = s.query(np.arange(SPACE.size), fidelity=E, seed="mean", metrics=["val_acc", "params", "flops"])
    assert np.isfinite(ev.values["val_acc"]).all() and s.coverage() == 1.0
    np.testing.assert_array_equal(ev.values["params"], b.table("params"))  # exact, not predicted
    assert ev.values["val_acc"][SPACE.size - 1] > ev.values["val_acc"][0]  # widest beats narrowest
    t0 = s.query(idx[:5], trial=0, metrics=["val_acc"])
    assert np.array_equal(t0.values["val_acc"], s.query(idx[:5], trial=0, metrics=["val_acc"]).values["val_acc"])


def test_size_checks(table, tmp_path):
    from nasbench.jobs.size_checks import heldout_report, pareto_agreement, width_effects

    b, idx = table
    cfg = SurrogateConfig(train_fraction=1.0, n_virtual_seeds=2, final_params=TINY, aux_params=TINY, curve_params=TINY,
                          donor_neighbours=16, name="size-test2")
    s = SurrogateBenchmark(fit_surrogate(b, tmp_path / "size-test2", cfg))
    w = width_effects(b)
    assert w["n_trained"] == len(idx)
    uni = w["uniform_widths"]
    assert uni[20]["test_acc"] > uni[4]["test_acc"] and uni[20]["flops"] > uni[4]["flops"]
    assert w["spearman_with_total_width"]["params"] > 0.5
    h = heldout_report(s, b)
    assert h["n_heldout"] == int(is_holdout(idx).sum())
    assert {"surrogate_vs_mean", "surrogate_vs_seed1", "seed0_vs_seed1"} <= set(h["val_acc"])
    from nasbench.jobs.surrogate import noise_report

    nr = noise_report(s, b)  # a sampled table: only its trained architectures are compared
    assert nr["n_classes"] == nr["n_rows"] == len(idx)
    for side in ("table", "surrogate"):
        assert all(np.isfinite(v) for v in nr[side]["seed_std_quantiles"].values())
        assert np.isfinite(nr[side]["seed_vs_seed_kendall_classes"])
    p = pareto_agreement(s, b, "flops")
    assert 0 <= p["on_trained"]["jaccard"] <= 1
    assert 0 < p["on_trained"]["hv_ratio_surrogate_front_true_values"] <= 1 + 1e-9
    assert p["whole_space"]["n_surrogate_front"] >= 1


def test_live_check_helpers(table, tmp_path):
    from nasbench.jobs.size_validate import compare_incumbents, incumbent_generate_config, surrogate_incumbents

    b, idx = table
    cfg = SurrogateConfig(train_fraction=1.0, n_virtual_seeds=2, final_params=TINY, aux_params=TINY, curve_params=TINY,
                          donor_neighbours=16, name="size-test3")
    s = SurrogateBenchmark(fit_surrogate(b, tmp_path / "size-test3", cfg))
    inc = surrogate_incumbents(s, strategies=("rs", "re"), seeds=range(2), budget=15)
    assert len(inc["runs"]) == 4 and 1 <= len(inc["archs"]) <= 4
    gc = incumbent_generate_config(inc["archs"], tmp_path / "live")
    assert gc.space == "size-mnist1d" and gc.archs == tuple(inc["archs"]) and gc.seeds == (0, 1)
    inc2 = {"runs": [("rs", 0, int(idx[0]), 0.0, 0.0)], "archs": [int(i) for i in idx[:12]]}  # trained rows
    r = compare_incumbents(s, b, inc2)
    assert r["n_trained_incumbents"] == 12 and r["per_strategy"]["rs"]["runs"] == 1
