"""SurrogateBenchmark: artifact round trip, clear errors, trial semantics, loading by name.

Tiny surrogates fitted on the committed fixture table (the contract itself is checked by
tests/conformance/test_benchmarks.py).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("xgboost")

from nasbench.benchmarks.surrogate import (SurrogateBenchmark, SurrogateConfig, SurrogateError,  # noqa: E402
                                           class_structure, features, fit_surrogate, live_mask, load_surrogate)
from nasbench.benchmarks.tabular import TabularBenchmark, load_benchmark  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5"
TINY = dict(n_estimators=10, max_depth=3, learning_rate=0.3, n_jobs=1)


@pytest.fixture(scope="module")
def table():
    return TabularBenchmark(FIXTURE)


@pytest.fixture(scope="module")
def fitted(table, tmp_path_factory) -> Path:
    cfg = SurrogateConfig(train_fraction=0.5, n_virtual_seeds=5, final_params=TINY, aux_params=TINY, curve_params=TINY,
                          donor_neighbours=8, name="tiny-surrogate")
    return fit_surrogate(table, tmp_path_factory.mktemp("s") / "tiny-surrogate", cfg)


@pytest.fixture(scope="module")
def surr(fitted) -> SurrogateBenchmark:
    return SurrogateBenchmark(fitted)


@pytest.fixture()
def copy(fitted, tmp_path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(fitted, dst)
    return dst


def test_live_mask_matches_the_space():
    from nasbench.spaces import NB201Space

    sp = NB201Space()
    idx = np.random.default_rng(0).integers(0, sp.size, 500)
    ref = np.array([sp.live_edges(sp.from_index(int(i))) for i in idx])
    np.testing.assert_array_equal(live_mask(sp.ops_from_index(idx)), ref)


def test_features_ignore_dead_edges():
    # edge 2 (2<-1) is dead when node 1 has no input: its op must not change the features
    a = np.array([[0, 3, 1, 3, 0, 3], [0, 3, 4, 3, 0, 3]])
    f = features(a, {"params": np.ones(2)})
    np.testing.assert_array_equal(f[0], f[1])


def test_metadata_and_files(surr, fitted, table):
    m = json.loads((fitted / "metadata.json").read_text())
    assert m["space"] == "nb201" and m["encoding"] == "nb201-live" and m["encoding_version"] == 1
    assert m["metrics"] == list(table.metrics) and m["fidelities"] == table.fidelities.tolist()
    td = m["training_data"]
    assert td["n_train_classes"] == len(td["train_class_representatives"]) > 0 and len(td["sha256"]) == 64
    assert {"nasbench", "numpy", "xgboost", "h5py"} <= set(m["versions"])
    assert "test_acc/rows" in m["validation"] and "test_acc/classes" in m["validation"]
    assert all((fitted / f).is_file() for f in m["files"])
    assert not list(fitted.rglob("*.pkl")) and not list(fitted.rglob("*.pickle"))
    assert surr.coverage() == 1.0 and surr.n_seeds == 5 and surr.name == "tiny-surrogate"


def test_model_files_round_trip(surr, fitted, table):
    """The native model files reproduce the stored final-epoch predictions."""
    from nasbench.benchmarks.surrogate import _static_features
    from nasbench.predictors import XGBoostPredictor

    _, reps = class_structure(table)
    X = features(table.space.ops_from_index(reps), _static_features(table, reps))
    p = XGBoostPredictor().load_model(fitted / "models" / "final_val_acc.ubj")
    want = np.clip(p.predict(X), 0, 100)
    got = surr.query(reps, fidelity=surr.max_fidelity, seed="mean", metrics=["val_acc"])["val_acc"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_static_metrics_are_exact(surr, table):
    idx = np.arange(0, table.space.size, 97)
    for m in table.static_metrics:
        np.testing.assert_array_equal(surr.query(idx, metrics=[m])[m], table.query(idx, metrics=[m])[m])


def test_class_members_share_results(surr):
    ac = surr.arch_class
    rows = np.flatnonzero(ac != np.arange(len(ac)))[:50]
    a = surr.query(rows, fidelity=None, trial=2, metrics=["val_acc", "test_loss"])
    b = surr.query(ac[rows], fidelity=None, trial=2, metrics=["val_acc", "test_loss"])
    for m in ("val_acc", "test_loss"):
        np.testing.assert_array_equal(a[m], b[m])


def test_trials_are_fixed_draws_consistent_across_fidelities(surr):
    idx = np.arange(0, surr.space.size, 131)
    K = surr.n_seeds
    for k in range(K):
        curve = surr.query(idx, fidelity=None, trial=k)
        again = surr.query(idx, fidelity=None, trial=k)
        for m in surr.metrics:
            np.testing.assert_array_equal(curve[m], again[m])
            for j, f in enumerate(surr.fidelities):
                np.testing.assert_array_equal(surr.query(idx, fidelity=int(f), trial=k, metrics=[m])[m],
                                              curve[m][:, j])
        assert np.all(np.diff(curve.cost, axis=1) >= 0) and np.all(curve.cost > 0)
    draws = np.stack([surr.query(idx, fidelity=surr.max_fidelity, trial=k, metrics=["val_acc"])["val_acc"]
                      for k in range(K)])
    assert np.all(draws.std(0) > 0)  # the noise model makes seeds differ
    # per-row trials: row j equals the scalar query with trial ks[j]
    ks = np.arange(len(idx)) % K
    ev = surr.query(idx, fidelity=None, trial=ks)
    for j in range(0, len(idx), 7):
        one = surr.query(int(idx[j]), fidelity=None, trial=int(ks[j]))
        for m in surr.metrics:
            np.testing.assert_array_equal(ev[m][j], one[m][0])


def test_mean_is_the_noiseless_prediction(surr):
    idx = np.arange(0, surr.space.size, 53)
    f = surr.max_fidelity
    mean = surr.query(idx, fidelity=f, seed="mean", metrics=["val_acc"])["val_acc"]
    draws = np.stack([surr.query(idx, fidelity=f, trial=k, metrics=["val_acc"])["val_acc"]
                      for k in range(surr.n_seeds)])
    np.testing.assert_allclose(draws.mean(0), mean, rtol=1e-4)
    # cost does not depend on the virtual seed (the table's seeds share their train time)
    c = [surr.query(idx, fidelity=f, trial=k).cost for k in range(surr.n_seeds)]
    assert all(np.array_equal(c[0], x) for x in c)


def test_runner_continues_runs_on_a_surrogate(surr):
    from nasbench.runner import Budget, run
    from nasbench.strategies import Hyperband

    tr = run(Hyperband, surr, Budget(evaluations=60), seed=1)
    assert len(tr) == 60 and np.all(np.asarray(tr.cost) >= 0)


def test_load_by_name_and_path(fitted):
    assert isinstance(load_benchmark(str(fitted)), SurrogateBenchmark)
    b = load_benchmark("surrogate:tiny-surrogate", root=fitted.parent)
    assert isinstance(b, SurrogateBenchmark) and b.name == "tiny-surrogate"
    assert isinstance(load_surrogate(fitted / "metadata.json"), SurrogateBenchmark)
    with pytest.raises(FileNotFoundError, match="tiny-surrogate"):  # lists what is available
        load_benchmark("surrogate:nope", root=fitted.parent)


def test_missing_file_names_it(copy):
    (copy / "predictions.h5").unlink()
    with pytest.raises(SurrogateError, match="predictions.h5.*missing"):
        SurrogateBenchmark(copy)


def test_missing_metadata_names_it(copy):
    (copy / "metadata.json").unlink()
    with pytest.raises(SurrogateError, match="metadata.json"):
        SurrogateBenchmark(copy)


def test_corrupted_model_file_names_it(copy):
    f = copy / "models" / "final_test_acc.ubj"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(SurrogateError, match="final_test_acc.ubj.*corrupted"):
        SurrogateBenchmark(copy)


def test_truncated_predictions_name_the_file(copy):
    p = copy / "predictions.h5"
    p.write_bytes(p.read_bytes()[:1000])
    with pytest.raises(SurrogateError, match="predictions.h5"):
        SurrogateBenchmark(copy)
    with pytest.raises(SurrogateError, match="predictions.h5"):
        SurrogateBenchmark(copy, verify=False)


@pytest.mark.parametrize("key, value, match", [("encoding_version", 99, "encoding"),
                                               ("space", "nb101", "space"),
                                               ("format_version", 7, "format_version")])
def test_mismatched_metadata(copy, key, value, match):
    m = json.loads((copy / "metadata.json").read_text())
    m[key] = value
    (copy / "metadata.json").write_text(json.dumps(m))
    with pytest.raises(SurrogateError, match=f"metadata.json.*{match}"):
        SurrogateBenchmark(copy)


def test_not_json(copy):
    (copy / "metadata.json").write_text("{not json")
    with pytest.raises(SurrogateError, match="metadata.json.*JSON"):
        SurrogateBenchmark(copy)


def test_cli_info(fitted, capsys):
    from nasbench.cli import main

    assert main(["surrogate", "info", str(fitted)]) == 0
    out = capsys.readouterr().out
    assert "tiny-surrogate" in out and "Kendall" in out


def test_one_seed_fit_has_no_noise_model(table, tmp_path):
    cfg = SurrogateConfig(train_fraction=0.5, n_virtual_seeds=3, final_params=TINY, aux_params=TINY, curve_params=TINY,
                          donor_neighbours=8, train_seed=0)
    s = SurrogateBenchmark(fit_surrogate(table, tmp_path / "seed0", cfg))
    idx = np.arange(0, s.space.size, 211)
    mean = s.query(idx, fidelity=None, seed="mean", metrics=["val_acc"])["val_acc"]
    for k in range(s.n_seeds):
        np.testing.assert_array_equal(s.query(idx, fidelity=None, trial=k, metrics=["val_acc"])["val_acc"], mean)
    assert "recorded seed 0" in s.metadata["training_data"]["target"]
    with pytest.raises(ValueError, match="train_seed"):
        fit_surrogate(table, tmp_path / "bad", SurrogateConfig(train_seed=5))


def test_direct_epochs_only_change_those_epochs(table, tmp_path):
    kw = dict(train_fraction=0.5, n_virtual_seeds=3, final_params=TINY, aux_params=TINY, curve_params=TINY,
              donor_neighbours=8)
    a = SurrogateBenchmark(fit_surrogate(table, tmp_path / "a", SurrogateConfig(direct_epochs=(), **kw)))
    b = SurrogateBenchmark(fit_surrogate(table, tmp_path / "b", SurrogateConfig(direct_epochs=(1,), **kw)))
    idx = np.arange(0, a.space.size, 101)
    for m in a.metrics:
        x = a.query(idx, fidelity=None, trial=1, metrics=[m])[m]
        y = b.query(idx, fidelity=None, trial=1, metrics=[m])[m]
        np.testing.assert_array_equal(x[:, 1:], y[:, 1:])
        assert not np.array_equal(x[:, 0], y[:, 0])
    assert (b.path / "models" / "epoch1_val_acc.ubj").is_file()
    with pytest.raises(ValueError, match="direct_epochs"):
        fit_surrogate(table, tmp_path / "c", SurrogateConfig(direct_epochs=(table.max_fidelity,), **kw))


def test_noise_draws_are_bounded(fitted):
    """A donor rescaled by an absurd spread ratio cannot push a draw beyond the residual bank's range."""
    s = SurrogateBenchmark(fitted)
    s._scale = np.full_like(s._scale, 1e3)
    K = s.n_seeds
    for m in ("val_acc", "train_loss"):
        bank = s._resid[m]
        lo, hi = np.quantile(bank, [0.001, 0.999], axis=0)
        dev = s.draws(m) - s._mean[m][:, None, :]
        bound = (hi - lo) * np.sqrt(K / (K - 1)) + 1e-3
        assert np.all(np.abs(dev) <= bound[None, None, :])


# ----------------------------------------------------------------------------- zero-cost features
def _table_with_zc(tmp_path) -> TabularBenchmark:
    """The fixture table plus a ``_zc`` companion with two made-up zero-cost scores."""
    import h5py

    dst = tmp_path / FIXTURE.name
    shutil.copy(FIXTURE, dst)
    t = TabularBenchmark(FIXTURE)
    n = t.space.size
    p = np.log(np.asarray(t.table("params"), dtype=np.float64))
    rng = np.random.default_rng(0)
    with h5py.File(tmp_path / (FIXTURE.stem + "_zc.h5"), "w") as f:
        f.attrs["n_archs"] = n
        for name, v in (("zc_meco", p + rng.normal(0, 0.1, n)), ("zc_synflow", np.exp(3 * p) * 1e20)):
            d = f.create_dataset(f"static/{name}", data=v)
            d.attrs.update(higher_is_better=True, unit="score", seconds_per_arch=0.01)
        f["static/zc_synflow"][0] = -np.inf  # a degenerate network
    return TabularBenchmark(dst)


def test_zero_cost_features(tmp_path):
    from nasbench.benchmarks.surrogate import surrogate_features
    from nasbench.predictors import XGBoostPredictor

    table = _table_with_zc(tmp_path)
    assert {"zc_meco", "zc_synflow"} <= set(table.static_metrics)
    cfg = SurrogateConfig(train_fraction=0.5, n_virtual_seeds=3, final_params=TINY, aux_params=TINY,
                          curve_params=TINY, donor_neighbours=8, zc_features=("meco", "zc_synflow"))
    s = SurrogateBenchmark(fit_surrogate(table, tmp_path / "zc", cfg))
    m = s.metadata
    assert m["feature_names"][-2:] == ["zc_meco", "zc_synflow"]
    assert m["config"]["zc_features"] == ["meco", "zc_synflow"]
    assert m["model"]["features"]["zero_cost"] == ["zc_meco", "zc_synflow"]
    assert m["model"]["features"]["zero_cost_seconds_per_arch"] == {"zc_meco": 0.01, "zc_synflow": 0.01}
    assert len(m["model"]["features"]["zero_cost_file_sha256"]) == 64
    # the scores are features, not served metrics (the table answers them)
    assert not any(x.startswith("zc_") for x in s.static_metrics)
    # loading needs no companion: queries read predictions.h5
    idx = np.arange(0, s.space.size, 97)
    assert np.all(np.isfinite(s.query(idx, fidelity=None, trial=1)["val_acc"]))
    # the model files take the rebuilt features (finite even for the -inf score)
    X = surrogate_features(s, table)
    assert X.shape[1] == len(m["feature_names"]) and np.isfinite(X[:, -1]).all()
    p = XGBoostPredictor().load_model(s.path / "models" / "final_val_acc.ubj")
    got = s.query(s._rep, fidelity=s.max_fidelity, seed="mean", metrics=["val_acc"])["val_acc"]
    np.testing.assert_allclose(got, np.clip(p.predict(X), 0, 100), rtol=1e-5, atol=1e-4)
    # ... and a table without the companion cannot rebuild them
    with pytest.raises(SurrogateError, match="zc_meco.*_zc.h5.*missing"):
        surrogate_features(s, TabularBenchmark(FIXTURE))


def test_zero_cost_features_need_the_companion(table, tmp_path):
    cfg = SurrogateConfig(train_fraction=0.5, final_params=TINY, aux_params=TINY, curve_params=TINY,
                          zc_features=("meco",))
    with pytest.raises(SurrogateError, match=r"no zero-cost score 'zc_meco'.*nb201_tiny_zc\.h5.*missing"):
        fit_surrogate(table, tmp_path / "nozc", cfg)
    assert not (tmp_path / "nozc").exists()
    t2 = _table_with_zc(tmp_path)
    with pytest.raises(SurrogateError, match="lacks it"):
        fit_surrogate(t2, tmp_path / "nozc", SurrogateConfig(train_fraction=0.5, final_params=TINY,
                                                            zc_features=("zen",)))


def test_cli_zero_cost_features_auto(table, tmp_path):
    from nasbench.benchmarks.surrogate import DEFAULT_ZC_FEATURES
    from nasbench.jobs.surrogate import resolve_zc_features

    assert resolve_zc_features(table, "auto") == ()  # no companion: none, said in the progress line
    assert resolve_zc_features(table, ("none",)) == () and resolve_zc_features(table, ()) == ()
    assert resolve_zc_features(table, ("meco",)) == ("meco",)
    full = _table_with_zc(tmp_path)
    want = DEFAULT_ZC_FEATURES if all(f"zc_{z}" in full.static_metrics for z in DEFAULT_ZC_FEATURES) else ()
    assert resolve_zc_features(full, ["auto"]) == want


def test_runner_scalar_reader_matches_query(surr):
    """The runner's one-architecture reader returns exactly what ``query(trial=k)`` returns,
    in its two-metric form (with a tuple per architecture appended) and its general form."""
    rng = np.random.default_rng(0)
    general = tuple(dict.fromkeys(["val_acc", "test_acc", *surr.metrics[:3], *surr.static_metrics]))
    tail = [(float(k),) for k in range(surr.space.size)]
    for f in surr.fidelities.tolist():
        for metrics, t_ in ((("val_acc", "test_acc"), tail), (general, None)):
            read = surr._scalar_reader(metrics, int(f), tail=t_)
            for i in rng.integers(0, surr.space.size, 30).tolist():
                k = int(rng.integers(surr.n_seeds))
                ev = surr.query(i, fidelity=int(f), trial=k, metrics=list(metrics))
                v, c = read(i, k)
                want = [float(ev.values[m][0]) for m in metrics] + ([float(i)] if t_ else [])
                np.testing.assert_array_equal(np.array(v), np.array(want))
                assert all(type(x) is float for x in v) and type(c) is float
                assert c == float(ev.cost[0])
    with pytest.raises(KeyError):
        surr._scalar_reader(("no_such_metric",), int(surr.fidelities[0]))


def test_one_worker_loop_equals_the_event_queue_on_a_surrogate(surr, queued_trace):
    """``run`` reads a surrogate's arrays directly on one worker; the event-queue step made to
    answer through ``query`` gives the same trace."""
    from nasbench.catalog import strategy_factory
    from nasbench.runner import _Search, run

    for name in ("re", "hb"):
        f = strategy_factory(name, surr)
        assert _Search(f, surr, 40, 1, None, (), None, "static").reads_scalars
        assert queued_trace(f, surr, 40, 5).equals(run(f, surr, 40, 5)), name
