"""TabularBenchmark on the committed fixture table and on a small seed-mean (NB201-style) table."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nasbench.benchmarks.base import pick_seeds
from nasbench.benchmarks.tabular import TabularBenchmark, available_benchmarks, load_benchmark
from nasbench.io.hdf5 import open_table, write_table
from nasbench.spaces import NB201Space
from nasbench.types import Architecture

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5"
SPACE = NB201Space()


@pytest.fixture(scope="module")
def bench() -> TabularBenchmark:
    return TabularBenchmark(FIXTURE)


@pytest.fixture(scope="module")
def raw():
    return open_table(FIXTURE)


@pytest.fixture(scope="module")
def filled(raw) -> np.ndarray:
    return np.flatnonzero(np.isfinite(raw.metric("val_acc")[:, 0, -1]))


@pytest.fixture(scope="module")
def means_table(tmp_path_factory) -> Path:
    """Full NB201 table, values are seed means, 12/200-epoch schedules, an official-index column."""
    n = SPACE.size
    rng = np.random.default_rng(1)
    val = rng.uniform(10, 90, size=(n, 1, 2)).astype(np.float32)
    val[:, :, 1] += 5
    val[7] = np.nan
    nb = rng.permutation(n)
    p = tmp_path_factory.mktemp("means") / "nb201_toy.h5"
    return write_table(p, space="nb201", task="toy", ops=SPACE.all_ops(), fidelities=np.array([12, 200]),
                       seeds=np.array([-1]), metrics={"val_acc": val, "test_acc": val - 1},
                       static={"params": rng.uniform(0, 1.5, n), "nb201_index": nb.astype(np.float32)},
                       fidelity_kind="schedule_length", seeds_are_means=True)


# ------------------------------------------------------------------ basics
def test_metadata(bench):
    assert bench.name == "nb201-tiny" and bench.space == SPACE
    assert bench.metrics == ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss")
    assert bench.static_metrics == ("params", "flops", "latency_cpu_bs1")
    np.testing.assert_array_equal(bench.fidelities, [1, 2, 3, 4])
    assert bench.n_seeds == 2 and not bench.seeds_are_means and bench.cost_unit == "seconds"
    assert bench.fidelity_kind == "epoch_of_schedule"
    assert bench.attrs["task"] == "synthetic" and bench.attrs["schema_version"] == 1
    assert bench.metric_attrs["val_acc"]["unit"] == "%" and bench.metric_attrs["val_acc"]["split"] == "val"
    assert bench.higher_is_better("val_acc") and not bench.higher_is_better("val_loss")
    assert bench.coverage() == pytest.approx(40 / SPACE.size)


def test_values_are_the_stored_ones(bench, raw, filled):
    idx = np.concatenate([filled, [0, 1, 2]])
    for k in range(2):
        ev = bench.query(idx, fidelity=3, trial=k)
        for m in bench.metrics:
            np.testing.assert_array_equal(ev[m], raw.metric(m)[idx, k, 2])
        np.testing.assert_array_equal(ev.cost, raw.cost()[idx, k, 2])
        assert np.isnan(ev["val_acc"][-3:]).all()  # rows without results are NaN
        curves = bench.query(idx, fidelity=None, trial=k)
        assert curves["val_acc"].shape == (len(idx), 4) and curves.cost.shape == (len(idx), 4)
        np.testing.assert_array_equal(curves["test_loss"], raw.metric("test_loss")[idx, k])
    np.testing.assert_array_equal(ev["params"], raw.static("params")[idx])
    assert np.isfinite(ev["params"]).all()  # static metrics exist for every row


def test_class_members_share_results(bench, raw, filled):
    cls = raw.arch_class
    members = [i for i in filled if cls[i] != i]
    assert members, "fixture should contain multi-member classes"
    ev = bench.query(np.array(members), fidelity=None, trial=1)
    ref = bench.query(cls[members], fidelity=None, trial=1)
    np.testing.assert_array_equal(ev["val_acc"], ref["val_acc"])


def test_seed_semantics(bench, raw, filled):
    idx = np.repeat(filled[:5], 40)
    cols = pick_seeds(len(idx), 2, 123, None)
    ev = bench.query(idx, fidelity=4, seed=123, metrics=["val_acc"])
    np.testing.assert_array_equal(ev["val_acc"], raw.metric("val_acc")[idx, cols, 3])
    again = bench.query(idx, fidelity=4, seed=123, metrics=["val_acc"])
    np.testing.assert_array_equal(ev["val_acc"], again["val_acc"])
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(bench.query(idx, fidelity=4, seed=g1)["val_acc"],
                                  bench.query(idx, fidelity=4, seed=g2)["val_acc"])
    assert len(np.unique(ev["val_acc"][:40])) == 2  # both seeds get drawn
    mean = bench.query(idx, fidelity=4, seed="mean")
    np.testing.assert_allclose(mean["val_acc"], raw.metric("val_acc")[idx, :, 3].mean(1), rtol=1e-6)
    np.testing.assert_allclose(mean.cost, raw.cost()[idx, :, 3].mean(1), rtol=1e-6)
    with pytest.raises(ValueError, match="trial=2 out of range"):
        bench.query(idx, trial=2)
    with pytest.raises(ValueError, match="'mean'"):
        bench.query(idx, seed="median")
    with pytest.raises(TypeError, match="seed"):
        bench.query(idx, seed=None)


def test_batch_forms_and_scalar_path_agree(bench, filled):
    idx = np.concatenate([filled[:6], [3, 15624]])
    archs = [SPACE.from_index(int(i)) for i in idx]
    ops = SPACE.encode_ops(archs)
    for kw in [dict(fidelity=2, seed=7), dict(fidelity=None, seed=7), dict(fidelity=4, seed="mean"),
               dict(fidelity=None, seed="mean"), dict(fidelity=1, trial=1),
               dict(fidelity=4, seed=0, metrics="val_acc")]:
        a = bench.query(idx, **kw)
        for form in (archs, ops, ops.astype(np.int64), list(idx)):
            b = bench.query(form, **kw)
            assert set(a.values) == set(b.values)
            for m in a.values:
                np.testing.assert_array_equal(a[m], b[m])
            np.testing.assert_array_equal(a.cost, b.cost)
        for i, arch in zip(idx, archs):
            ref = bench.query(np.array([i]), **kw)
            for one in (bench.query(arch, **kw), bench.query(int(i), **kw), bench.query(np.int64(i), **kw)):
                assert set(one.values) == set(ref.values)
                for m in ref.values:
                    np.testing.assert_array_equal(one[m], ref[m])
                    assert one[m].shape == ref[m].shape and one[m].dtype == ref[m].dtype
                np.testing.assert_array_equal(one.cost, ref.cost)
                assert one.cost.shape == ref.cost.shape


def test_scalar_path_with_generator_draws_like_batch(bench, filled):
    g1, g2 = np.random.default_rng(11), np.random.default_rng(11)
    a = SPACE.from_index(int(filled[0]))
    single = [float(bench.query(a, fidelity=4, seed=g1, metrics=["val_acc"])["val_acc"][0]) for _ in range(30)]
    batch = [float(bench.query([a], fidelity=4, seed=g2, metrics=["val_acc"])["val_acc"][0]) for _ in range(30)]
    assert single == batch and len(set(single)) == 2
    assert g1.bit_generator.state == g2.bit_generator.state


def test_errors(bench):
    with pytest.raises(KeyError, match=r"unknown metric\(s\) \['val_accuracy'\].*val_acc"):
        bench.query(np.arange(3), metrics=["val_accuracy"])
    with pytest.raises(KeyError, match="available"):
        bench.query(0, metrics=["val_accuracy"])
    with pytest.raises(ValueError, match=r"unknown fidelity 5; available: \[1, 2, 3, 4\]"):
        bench.query(np.arange(3), fidelity=5)
    with pytest.raises(ValueError, match=r"unknown fidelity 200"):
        bench.query(0, fidelity=200)
    other = Architecture("nb101", (1, 2, 3, 1, 2, 3))
    for form in (other, [other]):
        with pytest.raises(ValueError, match="space 'nb101'"):
            bench.query(form)
    for bad in (15625, -1, np.array([0, 15625]), np.array([[0, 1, 2, 3, 4, 5]])):
        with pytest.raises(ValueError):
            bench.query(bad)
    with pytest.raises(ValueError, match="op ids"):
        bench.query(Architecture("nb201", (0, 1, 2, 3, 4, 9)))


def test_table_best_and_oracle(bench, raw):
    t = bench.table("val_acc")
    assert t.shape == (SPACE.size,)
    mean = raw.metric("val_acc")[:, :, -1].mean(1)
    np.testing.assert_allclose(t, mean, rtol=1e-6)
    assert bench.best("val_acc") == pytest.approx(np.nanmax(mean), rel=1e-6)
    assert bench.best("val_loss") == pytest.approx(np.nanmin(raw.metric("val_loss")[:, :, -1].mean(1)), rel=1e-6)
    assert bench.best("val_acc", fidelity=1) < bench.best("val_acc")
    assert bench.best("params") == pytest.approx(float(raw.static("params").min()))
    assert bench.table("params").shape == (SPACE.size,)


def test_means_table_and_nb201_index(means_table):
    b = TabularBenchmark(means_table)
    assert b.seeds_are_means and b.n_seeds == 1 and b.cost_unit == "evaluations"
    assert b.fidelity_kind == "schedule_length" and b.static_metrics == ("params", "nb201_index")
    idx = np.arange(20)
    g = np.random.default_rng(0)
    state = g.bit_generator.state
    ref = b.query(idx, fidelity=200, seed="mean")
    for seed in (0, 99, g, "mean"):
        np.testing.assert_array_equal(b.query(idx, fidelity=200, seed=seed)["val_acc"], ref["val_acc"])
    np.testing.assert_array_equal(b.query(idx, fidelity=200, trial=0)["val_acc"], ref["val_acc"])
    assert g.bit_generator.state == state  # nothing drawn: the values are means already
    with pytest.raises(ValueError, match="out of range"):
        b.query(idx, trial=1)
    # cost in evaluations: 1 at the top fidelity, proportional below
    np.testing.assert_allclose(ref.cost, 1.0)
    np.testing.assert_allclose(b.query(idx, fidelity=12).cost, 12 / 200)
    np.testing.assert_allclose(b.query(idx, fidelity=None).cost, np.tile([0.06, 1.0], (20, 1)))
    assert b.query(3, fidelity=12).cost[0] == pytest.approx(0.06)
    # official index -> our row
    nb = b.table("nb201_index").astype(np.int64)
    ours = np.array([5, 0, 15624, 777])
    ev = b.query_nb201_index(nb[ours], fidelity=200)
    np.testing.assert_array_equal(ev["val_acc"], ref_vals(b, ours))
    np.testing.assert_array_equal(ev["nb201_index"], nb[ours])
    assert b.query_nb201_index(int(nb[9]), fidelity=12)["val_acc"].shape == (1,)
    with pytest.raises(ValueError, match="0..15624"):
        b.query_nb201_index([15625])
    assert b.coverage() == pytest.approx(1 - 1 / SPACE.size)


def ref_vals(b, rows):
    return b.query(rows, fidelity=200, seed="mean")["val_acc"]


def test_nb201_index_missing(bench):
    with pytest.raises(KeyError, match="nb201_index"):
        bench.query_nb201_index([0])


# ------------------------------------------------------------------ loading
def test_load_benchmark_by_path_and_name(tmp_path, monkeypatch, means_table):
    assert load_benchmark(FIXTURE).name == "nb201-tiny"
    assert load_benchmark(str(FIXTURE)).name == "nb201-tiny"
    (tmp_path / "nb201_tiny.h5").symlink_to(FIXTURE)
    assert load_benchmark("nb201-tiny", root=tmp_path).path == tmp_path / "nb201_tiny.h5"
    assert load_benchmark("NB201_tiny", root=tmp_path).name == "nb201-tiny"
    monkeypatch.setenv("NASBENCH_DATA", str(means_table.parent))
    assert load_benchmark("nb201-toy").path == means_table
    assert "nb201-toy" in available_benchmarks()
    with pytest.raises(FileNotFoundError, match=r"no table named 'nb201-cifar7'.*available: \[.*'nb201-toy'"):
        load_benchmark("nb201-cifar7")
    with pytest.raises(FileNotFoundError, match="available: none"):
        load_benchmark("nb201-tiny", root=tmp_path / "empty")


def test_public_name(tmp_path):
    import nasbench

    assert nasbench.load_benchmark(FIXTURE).coverage() > 0
    assert nasbench.TabularBenchmark is TabularBenchmark


def test_query_path_imports_no_torch_pandas_matplotlib():
    code = (
        "import sys, numpy as np, nasbench\n"
        f"b = nasbench.load_benchmark({str(FIXTURE)!r})\n"
        "b.query(np.arange(100), fidelity=2, seed=0); b.query(3, seed='mean'); b.best('val_acc')\n"
        "bad = [m for m in ('torch', 'pandas', 'matplotlib') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = dict(os.environ)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def test_pickles(bench):
    import pickle

    b2 = pickle.loads(pickle.dumps(bench))
    np.testing.assert_array_equal(b2.table("val_acc"), bench.table("val_acc"))


@pytest.mark.parametrize("which", ["seeds", "means"])
def test_runner_scalar_reader_matches_query(which, bench, means_table):
    """The runner's one-architecture reader returns exactly what ``query`` returns."""
    b = bench if which == "seeds" else TabularBenchmark(means_table)
    rng = np.random.default_rng(0)
    metrics = tuple(dict.fromkeys(["val_acc", "test_acc", *b.metrics[:3], *b.static_metrics]))
    for f in b.fidelities.tolist():
        read = b._scalar_reader(metrics, int(f))
        for i in rng.integers(0, b.space.size, 40).tolist():
            t = int(rng.integers(b.n_seeds))
            ev = b.query(i, fidelity=int(f), trial=t, metrics=list(metrics))
            v, c = read(i, t)
            want = [float(ev.values[m][0]) for m in metrics]
            np.testing.assert_array_equal(np.array(v), np.array(want))  # NaN == NaN here
            assert all(type(x) is float for x in v) and type(c) is float
            np.testing.assert_array_equal(c, float(ev.cost[0]))
    # the runner's own form: val_acc and test_acc, then a tuple per architecture appended
    tail = [(float(k), -float(k)) for k in range(b.space.size)]
    for f in b.fidelities.tolist():
        read = b._scalar_reader(("val_acc", "test_acc"), int(f), tail=tail)
        for i in rng.integers(0, b.space.size, 40).tolist():
            t = int(rng.integers(b.n_seeds))
            ev = b.query(i, fidelity=int(f), trial=t, metrics=["val_acc", "test_acc"])
            v, c = read(i, t)
            want = [float(ev.values["val_acc"][0]), float(ev.values["test_acc"][0]), float(i), -float(i)]
            np.testing.assert_array_equal(np.array(v), np.array(want))
            np.testing.assert_array_equal(c, float(ev.cost[0]))
    with pytest.raises(KeyError):
        b._scalar_reader(("no_such_metric",), int(b.fidelities[0]))
