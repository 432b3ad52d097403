"""The same contract checks over every benchmark implementation.

Includes the per-row ``trial`` contract (an ``(n,)`` int array, one recorded seed per row).
Benchmarks: ``SyntheticBenchmark``; ``TabularBenchmark`` on the committed fixture; a tiny
``SurrogateBenchmark`` fitted on that fixture; a ``LiveBenchmark`` training a tiny synthetic task
(no oracle, whole-space tables only from its cache); the imported NB201 CIFAR-10 table (when ``../shared/data/nb201`` is present; fails under CI=true
without it).  Add new implementations to ``BENCHMARKS``.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from nasbench.benchmarks.base import Benchmark
from nasbench.benchmarks.synthetic import SyntheticBenchmark
from nasbench.benchmarks.tabular import TabularBenchmark
from nasbench.types import Architecture, Evaluation

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5"
BENCHMARKS = ["synthetic", "tabular-fixture", "surrogate-fixture", "live-tiny", "nb201-cifar10-imported"]


@pytest.fixture(scope="session")
def _imported_cifar10(nb201_data_dir, tmp_path_factory) -> Path:
    from nasbench.jobs.importers import import_nb201_csv

    [p] = import_nb201_csv(nb201_data_dir / "nb201_accuracy.csv", tmp_path_factory.mktemp("imp"),
                           datasets=["cifar10"])
    return p


@pytest.fixture(scope="session")
def _tiny_surrogate(tmp_path_factory) -> Path:
    pytest.importorskip("xgboost")
    from nasbench.benchmarks.surrogate import SurrogateConfig, fit_surrogate

    tiny = dict(n_estimators=10, max_depth=3, learning_rate=0.3, n_jobs=1)
    cfg = SurrogateConfig(train_fraction=0.5, n_virtual_seeds=4, final_params=tiny, aux_params=tiny,
                          curve_params=tiny,
                          donor_neighbours=8)
    return fit_surrogate(TabularBenchmark(FIXTURE), tmp_path_factory.mktemp("surr") / "tiny", cfg)


@pytest.fixture(scope="module", params=BENCHMARKS)
def bench(request) -> Benchmark:
    if request.param == "synthetic":
        return SyntheticBenchmark(n_epochs=5, n_seeds=3)
    if request.param == "tabular-fixture":
        return TabularBenchmark(FIXTURE)
    if request.param == "live-tiny":
        pytest.importorskip("torch")
        from nasbench.benchmarks.live import LiveBenchmark
        from nasbench.train.data import synthetic_task
        from nasbench.train.trainer import MNIST1D_TABLE_CONFIG

        live = LiveBenchmark(request.getfixturevalue("tmp_path_factory").mktemp("live"),
                             task=synthetic_task((1, 40), 10, n=(32, 16, 16), seed=0),
                             config=MNIST1D_TABLE_CONFIG.replace(epochs=2, batch_size=16, eval_batch_size=32),
                             seeds=(0, 1, 2))
        live.query(np.array([3281, 11718, 1]), fidelity=None, seed="mean")  # a few cached results
        return live
    if request.param == "surrogate-fixture":
        from nasbench.benchmarks.surrogate import SurrogateBenchmark

        return SurrogateBenchmark(request.getfixturevalue("_tiny_surrogate"))
    return TabularBenchmark(request.getfixturevalue("_imported_cifar10"))


@pytest.fixture(scope="module")
def idx(bench) -> np.ndarray:
    """16 architectures: up to 8 with results (tabular tables are sparse) and 8 random ones."""
    rng = np.random.default_rng(3)
    have = np.flatnonzero(np.isfinite(bench.table("val_acc")))
    assert len(have) > 0
    return np.concatenate([rng.choice(have, size=min(8, len(have)), replace=False),
                           rng.integers(0, bench.space.size, size=8)])


def _equal(a: Evaluation, b: Evaluation) -> None:
    assert set(a.values) == set(b.values)
    for m in a.values:
        np.testing.assert_array_equal(a[m], b[m], err_msg=m)
    np.testing.assert_array_equal(a.cost, b.cost)


def test_attributes(bench):
    assert bench.metrics and "val_acc" in bench.metrics and "test_acc" in bench.metrics
    assert not set(bench.metrics) & set(bench.static_metrics)
    f = np.asarray(bench.fidelities)
    assert f.ndim == 1 and len(f) >= 1 and np.issubdtype(f.dtype, np.integer) and np.all(np.diff(f) > 0)
    assert bench.fidelity_kind in ("epoch_of_schedule", "schedule_length")
    assert bench.cost_unit in ("seconds", "evaluations")
    assert bench.n_seeds >= 1 and 0.0 < bench.coverage() <= 1.0


@pytest.mark.parametrize("which", ["all", "one"])
def test_shapes(bench, idx, which):
    n, F = len(idx), len(bench.fidelities)
    metrics = None if which == "all" else ["val_acc"]
    for fid in (None, int(bench.fidelities[0]), bench.max_fidelity):
        ev = bench.query(idx, fidelity=fid, seed=0, metrics=metrics)
        want = (n,) if fid is not None else (n, F)
        assert len(ev) == n and ev.fidelity == fid and ev.cost_unit == bench.cost_unit
        np.testing.assert_array_equal(ev.fidelities, bench.fidelities)
        assert ev.cost.shape == want
        expected = set(bench.metrics) | set(bench.static_metrics) if metrics is None else {"val_acc"}
        assert set(ev.values) == expected
        for m, v in ev.values.items():
            assert v.shape == ((n,) if m in bench.static_metrics else want), m


def test_static_metrics_ignore_seed_and_fidelity(bench, idx):
    if not bench.static_metrics:
        pytest.skip("no static metrics")
    a = bench.query(idx, fidelity=None, seed=1, metrics=list(bench.static_metrics))
    b = bench.query(idx, fidelity=bench.max_fidelity, seed="mean", metrics=list(bench.static_metrics))
    for m in bench.static_metrics:
        np.testing.assert_array_equal(a[m], b[m])


def test_seed_determinism(bench, idx):
    _equal(bench.query(idx, fidelity=None, seed=42), bench.query(idx, fidelity=None, seed=42))
    _equal(bench.query(idx, seed=np.random.default_rng(7)), bench.query(idx, seed=np.random.default_rng(7)))


def test_trial_and_mean(bench, idx):
    f = bench.max_fidelity
    trials = np.stack([bench.query(idx, fidelity=f, trial=k, metrics=["val_acc"])["val_acc"]
                       for k in range(bench.n_seeds)])  # (n_seeds, n)
    mean = bench.query(idx, fidelity=f, seed="mean", metrics=["val_acc"])["val_acc"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(mean, np.nanmean(trials, 0), rtol=1e-5)
    drawn = bench.query(idx, fidelity=f, seed=5, metrics=["val_acc"])["val_acc"]
    for j, v in enumerate(drawn):  # an int seed picks one recorded seed per architecture
        assert np.isnan(v) and np.isnan(trials[:, j]).any() or np.any(trials[:, j] == v)
    with pytest.raises(ValueError):
        bench.query(idx, trial=bench.n_seeds)
    if bench.seeds_are_means:
        np.testing.assert_array_equal(drawn, mean)


@pytest.mark.parametrize("fid", ["none", "low", "top"])
def test_per_row_trials(bench, idx, fid):
    """``trial=(n,) array``: row j equals the scalar-trial query of row j alone, bit for bit."""
    f = {"none": None, "low": int(bench.fidelities[0]), "top": bench.max_fidelity}[fid]
    rng = np.random.default_rng(11)
    trials = rng.integers(0, bench.n_seeds, size=len(idx))
    archs = [bench.space.from_index(int(i)) for i in idx]
    for metrics in (None, ["val_acc"]):
        ev = bench.query(idx, fidelity=f, trial=trials, metrics=metrics)
        assert len(ev) == len(idx)
        for j, (i, k) in enumerate(zip(idx, trials)):
            one = bench.query(np.array([i]), fidelity=f, trial=int(k), metrics=metrics)
            assert set(one.values) == set(ev.values)
            for m in one.values:
                np.testing.assert_array_equal(ev[m][j], one[m][0], err_msg=m)
            np.testing.assert_array_equal(ev.cost[j], one.cost[0])
        # the same through the other batch forms, and a list of Python ints as the trial array
        _equal(ev, bench.query(archs, fidelity=f, trial=trials.tolist(), metrics=metrics))
        _equal(ev, bench.query(bench.space.encode_ops(archs), fidelity=f, trial=trials, metrics=metrics))
    # a constant array is the scalar trial; trial wins over seed
    for k in range(bench.n_seeds):
        _equal(bench.query(idx, fidelity=f, trial=k),
               bench.query(idx, fidelity=f, trial=np.full(len(idx), k), seed=123))
    # one-row forms: a bare Architecture / int with a one-element trial array
    _equal(bench.query(archs[0], fidelity=f, trial=trials[:1]), bench.query(idx[:1], fidelity=f, trial=int(trials[0])))


def test_one_architecture_forms_agree(bench, idx):
    """A bare Architecture, a list of one, an index array of one and a (1, L) op array, with
    every seed form, answer exactly row 0 of a two-row batch query (scalar paths included)."""
    space = bench.space
    for i in idx[:4]:
        i = int(i)
        a = space.from_index(i)
        forms = [a, [a], np.array([i]), space.ops_from_index(np.array([i])), i, np.int64(i)]
        pair = np.array([i, (i + 1) % space.size])
        for f in (None, bench.max_fidelity):
            for metrics in (None, ["val_acc"], "test_acc"):
                for kw in (dict(seed=7), dict(seed="mean"), dict(trial=bench.n_seeds - 1),
                           dict(trial=np.array([0])), dict(seed="gen")):
                    def q(x):
                        k = dict(kw, seed=np.random.default_rng(4)) if kw.get("seed") == "gen" else kw
                        return bench.query(x, fidelity=f, metrics=metrics, **k)
                    ref = q(pair) if "trial" not in kw or np.ndim(kw["trial"]) == 0 else \
                        bench.query(pair, fidelity=f, metrics=metrics, trial=np.array([0, 0]))
                    for form in forms:
                        one = q(form)
                        assert len(one) == 1 and set(one.values) == set(ref.values)
                        for m in ref.values:
                            np.testing.assert_array_equal(one[m], ref[m][:1], err_msg=f"{m} {type(form)} {kw}")
                        np.testing.assert_array_equal(one.cost, ref.cost[:1])


def test_per_row_trial_errors(bench, idx):
    n, S = len(idx), bench.n_seeds
    for bad in (np.zeros(n - 1, dtype=int), np.zeros(n + 1, dtype=int), np.zeros((n, 1), dtype=int)):
        with pytest.raises(ValueError, match="shape"):
            bench.query(idx, trial=bad)
    for bad in (np.r_[np.zeros(n - 1, dtype=int), S], np.r_[-1, np.zeros(n - 1, dtype=int)]):
        with pytest.raises(ValueError, match="out of range"):
            bench.query(idx, trial=bad)
    for bad in (S, -1):
        with pytest.raises(ValueError, match="out of range"):
            bench.query(idx, trial=bad)
    with pytest.raises(TypeError, match="trial"):
        bench.query(idx, trial=np.zeros(n))
    with pytest.raises(ValueError, match="shape"):
        bench.query(bench.space.from_index(int(idx[0])), trial=np.zeros(2, dtype=int))


def test_batch_forms_agree(bench, idx):
    archs = [bench.space.from_index(int(i)) for i in idx]
    ops = bench.space.encode_ops(archs)
    for kw in (dict(fidelity=None, seed=3), dict(fidelity=bench.max_fidelity, seed="mean"),
               dict(fidelity=int(bench.fidelities[0]), trial=0)):
        ref = bench.query(idx, **kw)
        _equal(ref, bench.query(archs, **kw))
        _equal(ref, bench.query(ops, **kw))


def test_errors(bench, idx):
    with pytest.raises(KeyError, match="val_acc"):  # the message lists what is available
        bench.query(idx, metrics=["no_such_metric"])
    bad = int(bench.fidelities[-1]) + 1000
    with pytest.raises(ValueError, match=str(int(bench.fidelities[-1]))):
        bench.query(idx, fidelity=bad)
    with pytest.raises(ValueError, match="space"):
        bench.query([Architecture("other-space", (0,) * bench.space.n_edges)])


def test_best_is_an_upper_bound_of_seed_means(bench, idx):
    if not getattr(bench, "has_oracle", True):
        with pytest.raises(NotImplementedError):
            bench.best("test_acc")
        return
    f = bench.max_fidelity
    ev = bench.query(idx, fidelity=f, seed="mean")
    for m in ("val_acc", "test_acc"):
        assert bench.best(m) >= np.nanmax(ev[m])
    for m in [m for m in bench.metrics if m.endswith("_loss")]:
        assert bench.best(m) <= np.nanmin(ev[m])
    for m in bench.static_metrics:
        b = bench.best(m)
        assert (b >= np.nanmax(ev[m])) if bench.higher_is_better(m) else (b <= np.nanmin(ev[m]))


def test_table(bench):
    cheap = getattr(bench, "cheap_tables", True)  # a live benchmark would build every network
    for m in ("val_acc", *(bench.static_metrics[:1] if cheap else ())):
        t = bench.table(m)
        assert t.shape == (bench.space.size,)
    t_low = bench.table("val_acc", int(bench.fidelities[0]))
    assert t_low.shape == (bench.space.size,)


def test_cost_grows_with_fidelity(bench, idx):
    c = bench.query(idx, fidelity=None, seed="mean").cost
    ok = np.isfinite(c).all(1)
    assert ok.any()
    assert np.all(np.diff(c[ok], axis=1) >= 0)
    assert np.all(c[ok] > 0)
