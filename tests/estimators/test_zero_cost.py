"""Zero-cost proxies, their estimator, the scoring job's resume and the validation harness.

Tiny, CPU only: two architectures per preset with batches of 8.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.estimators.base import PerformanceEstimator, ScoreTable  # noqa: E402
from nasbench.estimators.zero_cost import (AZ_PROXIES, PROXIES, ZeroCost, compute_proxies, make_batch,  # noqa: E402
                                           proxy_cost, rank_aggregate)
from nasbench.spaces.nb201 import NB201Space  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5"
SPACE = NB201Space()
ARCHS = [SPACE.from_string("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"),
         SPACE.from_string("|skip_connect~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|")]


def _small(preset):
    """The preset's network, shrunk for speed where it is big (2-D: C=4, N=1, 8x8 inputs)."""
    import dataclasses

    from nasbench.train.models import PRESETS

    cfg = PRESETS[preset]
    return preset if cfg.dim == 1 else dataclasses.replace(cfg, C=4, N=1, input_shape=(3, 8, 8))


def _data(preset):
    # tiny random data of the preset's shape: no dataset needed for the test
    from nasbench.train.models import PRESETS

    cfg = PRESETS[preset] if isinstance(preset, str) else preset
    rng = np.random.default_rng(0)
    return rng.standard_normal((32, *cfg.input_shape)).astype(np.float32), rng.integers(0, cfg.n_classes, 32)


@pytest.mark.parametrize("preset", ["nb201-mnist1d", "nb201-cifar10"])
def test_every_proxy_is_a_number_and_deterministic(preset):
    preset = _small(preset)
    batches = make_batch(preset, 0, 8, 2, data=_data(preset))
    for a in ARCHS:
        s1, sec = compute_proxies(a, preset, PROXIES, seed=3, batches=batches, batch_size=8)
        s2, _ = compute_proxies(a, preset, PROXIES, seed=3, batches=batches, batch_size=8)
        assert set(s1) == set(PROXIES)
        for q in PROXIES:
            assert not np.isnan(s1[q]), (q, a)
            assert np.isfinite(s1[q]) or (q in AZ_PROXIES and s1[q] == -np.inf), (q, s1[q])
            assert s1[q] == s2[q] or (np.isneginf(s1[q]) and np.isneginf(s2[q])), q
        cost = proxy_cost(sec)
        assert set(cost) == set(PROXIES) and all(c >= 0 for c in cost.values())


def test_seed_changes_init():
    batches = make_batch("nb201-mnist1d", 0, 8, 2, data=_data("nb201-mnist1d"))
    a, _ = compute_proxies(ARCHS[0], "nb201-mnist1d", ["snip", "synflow"], seed=0, batches=batches, batch_size=8)
    b, _ = compute_proxies(ARCHS[0], "nb201-mnist1d", ["snip", "synflow"], seed=1, batches=batches, batch_size=8)
    assert a["snip"] != b["snip"] and a["synflow"] != b["synflow"]


def test_params_proxy_matches_builder():
    from nasbench.train.models import build_model, count_params

    s, _ = compute_proxies(ARCHS[0], "nb201-mnist1d", ["params"], seed=0)
    assert s["params"] == pytest.approx(count_params(build_model(ARCHS[0], "nb201-mnist1d")))


def test_rank_aggregate_reference_consistency():
    rng = np.random.default_rng(0)
    ref = {q: rng.standard_normal(50) for q in AZ_PROXIES}
    full = rank_aggregate(ref, ref, "aznas")
    part = rank_aggregate({q: v[[3, 7]] for q, v in ref.items()}, ref, "aznas")
    assert np.allclose(full[[3, 7]], part)
    # within-set ranks: the best on every proxy gets log(1) * 4 = 0
    best = {q: np.array([v.max()]) for q, v in ref.items()}
    assert rank_aggregate(best, ref, "aznas")[0] == pytest.approx(0.0)
    vote = rank_aggregate(ref, ref, "vote")
    assert vote.min() > 0 and vote.max() <= 1


def test_zero_cost_estimator_vote_is_batch_consistent():
    data = _data("nb201-mnist1d")
    ref = [SPACE.from_index(i) for i in (5, 77, 301, 999, 4444, 12000)]
    est = ZeroCost(["synflow", "params", "nwot"], preset="nb201-mnist1d", seed=0, batch_size=8, data=data)
    assert isinstance(est, PerformanceEstimator)
    est.fit(ref)
    both = est.estimate(ARCHS)
    one = est.estimate([ARCHS[1]])
    assert both.shape == (2,) and one[0] == pytest.approx(both[1])
    assert est.cost_["n_archs"] == 3 and est.cost_["per_arch_s"] > 0 and est.cost_["setup_s"] > 0
    with pytest.raises(RuntimeError):
        ZeroCost("aznas", preset="nb201-mnist1d").estimate(ARCHS)


def test_score_table_charges_cost():
    t = ScoreTable(np.arange(15625.0), name="x", per_arch_s=0.25)
    assert list(t.estimate(np.array([4, 2]))) == [4.0, 2.0]
    assert t.cost_["total_s"] == pytest.approx(0.5) and t.cost_["per_arch_s"] == pytest.approx(0.25)


def test_score_space_resumes_and_companion_attaches(tmp_path):
    pytest.importorskip("h5py")
    from nasbench import load_benchmark
    from nasbench.jobs.zero_cost import read_scores, score_space, write_companion

    table = tmp_path / "tiny.h5"
    shutil.copy(FIXTURE, table)
    proxies = ("params", "l2_norm", "synflow")
    out = tmp_path / "zc"
    score_space(out, benchmark=str(table), seeds=(0,), proxies=proxies, limit=3, progress=False,
                preset="nb201-mnist1d")
    first = read_scores(out)
    assert len(first["index"]) == 3
    logs = sorted((out / "seed-0").glob("records-*.log"))
    score_space(out, benchmark=str(table), seeds=(0, 1), proxies=proxies, limit=5, progress=False,
                preset="nb201-mnist1d")
    r = read_scores(out)
    assert len(r["index"]) == 5 and r["scores"].shape == (5, 2, 3)
    assert set(first["index"]) <= set(r["index"])
    # the first three were not rescored: the first log still holds exactly them
    from nasbench.io.records import _iter_log

    assert sorted(rec.index for rec in _iter_log(logs[0])) == sorted(first["index"].tolist())
    # a torn record at the end of a log is ignored on resume
    with open(logs[0], "ab") as f:
        f.write(b"NBR1\x00\x01")
    with pytest.warns(UserWarning):
        assert len(read_scores(out)["index"]) == 5
    bench = load_benchmark(table)
    path = write_companion(out, bench, tmp_path / "tiny_zc.h5", vote=proxies)
    assert path.name == "tiny_zc.h5"
    b2 = load_benchmark(table)
    assert {"zc_params", "zc_synflow", "zc_vote"} <= set(b2.static_metrics)
    v = b2.table("zc_params")
    assert np.isfinite(v).sum() >= 5  # every row of a scored class carries its score
    assert b2.metric_attrs["zc_params"]["seconds_per_arch"] > 0
    from nasbench.benchmarks.tabular import available_benchmarks

    assert "tiny-zc" not in available_benchmarks(tmp_path)

    # a strategy that reads a zero-cost score is charged its cost once per architecture
    from nasbench.runner import run
    from nasbench.strategies import RandomSearch

    class ZCRandom(RandomSearch):
        @property
        def metrics(self):
            return ("val_acc", "zc_params")

    plain = run(RandomSearch, b2, budget=4, seed=1)
    zc = run(ZCRandom, b2, budget=4, seed=1)
    per = b2.metric_attrs["zc_params"]["seconds_per_arch"]
    assert np.allclose(np.asarray(zc.cost) - np.asarray(plain.cost), per)


def test_validate_rows_and_report(tmp_path):
    pytest.importorskip("matplotlib")
    from nasbench import load_benchmark
    from nasbench.jobs.validate_estimators import validate, write_report

    bench = load_benchmark(FIXTURE)
    truth = bench.table("test_acc", bench.max_fidelity)
    rng = np.random.default_rng(0)
    noisy = truth + rng.normal(0, 1, truth.shape)
    noisy[0] = -np.inf
    rows = validate(bench, {"noisy": {"scores": noisy, "seconds_per_arch": 0.01},
                            "curve@2": {"scores": noisy, "seconds_per_arch": 0.1, "k": 2}}, n_boot=20)
    est = [r for r in rows if r["name"] == "noisy"]
    assert {r["over"] for r in est} == {"rows", "classes"}
    for r in est:
        assert r["kendall_tau_lo"] <= r["kendall_tau"] <= r["kendall_tau_hi"]
        assert r["seconds_per_arch"] == 0.01
    assert any(r["name"] == "one-seed" for r in rows) and any(r["name"] == "params-only" for r in rows)
    paths = write_report(rows, tmp_path / "v")
    assert paths["csv"].is_file() and paths["md"].is_file() and paths["png_rows"].is_file()
    again = validate(bench, {"noisy": {"scores": noisy, "seconds_per_arch": 0.01}}, n_boot=20)
    assert again[0]["kendall_tau_lo"] == est[0]["kendall_tau_lo"]  # deterministic under the seed


def test_degenerate_network_scores_lowest_not_nan():
    """All edges from the input are 'none': the output does not depend on the input."""
    batches = make_batch("nb201-mnist1d", 0, 8, 2, data=_data("nb201-mnist1d"))
    s, _ = compute_proxies(SPACE.from_index(0), "nb201-mnist1d", PROXIES, seed=0, batches=batches, batch_size=8,
                           flops=1.0)
    assert not any(np.isnan(v) for v in s.values()), s
    for q in ("jacov", "epe_nas", "nwot", "az_expressivity", "az_progressivity", "az_trainability"):
        assert s[q] == -np.inf, q


def test_fast_ci_stats_match_score_ranking():
    from nasbench.jobs.validate_estimators import CI_STATS, _ci_stats
    from nasbench.results import score_ranking

    rng = np.random.default_rng(1)
    t = rng.normal(size=300)
    p = t + rng.normal(size=300)
    p[:20] = np.round(p[:20])  # ties
    row = score_ranking(p, t, name="x")
    fast = _ci_stats(p, t)
    for c in CI_STATS:
        assert fast[c] == pytest.approx(row[c]), c


@pytest.mark.gpu
@pytest.mark.parametrize("preset", ["nb201-mnist1d", "nb201-cifar10"])
def test_every_proxy_on_cuda_is_a_number_and_deterministic(preset):
    """The CUDA path: every proxy finite (AZ-NAS may give -inf for a dead network) and repeats
    identical; the data-independent counts equal the CPU's."""
    preset = _small(preset)
    batches = make_batch(preset, 0, 8, 2, data=_data(preset))
    for a in ARCHS:
        s1, _ = compute_proxies(a, preset, PROXIES, seed=3, batches=batches, batch_size=8, device="cuda")
        s2, _ = compute_proxies(a, preset, PROXIES, seed=3, batches=batches, batch_size=8, device="cuda")
        cpu, _ = compute_proxies(a, preset, ("params", "flops"), seed=3, batches=batches, batch_size=8)
        for q in PROXIES:
            assert not np.isnan(s1[q]), (q, a)
            assert np.isfinite(s1[q]) or (q in AZ_PROXIES and s1[q] == -np.inf), (q, s1[q])
            assert s1[q] == s2[q] or (np.isneginf(s1[q]) and np.isneginf(s2[q])), q
        assert s1["params"] == cpu["params"] and s1["flops"] == cpu["flops"]
