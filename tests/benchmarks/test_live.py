"""LiveBenchmark: trains on demand, caches in a record log, serves the Benchmark contract."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.benchmarks.live import LiveBenchmark  # noqa: E402
from nasbench.io.records import read_records  # noqa: E402
from nasbench.spaces import NB201Space  # noqa: E402
from nasbench.train.data import synthetic_task  # noqa: E402
from nasbench.train.trainer import MNIST1D_TABLE_CONFIG, Trainer  # noqa: E402

SPACE = NB201Space()
CFG = MNIST1D_TABLE_CONFIG.replace(epochs=2, batch_size=16, eval_batch_size=64)
CLS = SPACE.class_index("function")
REP, MEMBER = 3281, 3781  # one functional class


@pytest.fixture(scope="module")
def task():
    return synthetic_task(input_shape=(1, 40), n_classes=10, n=(48, 32, 32), seed=0)


@pytest.fixture
def live(tmp_path, task):
    return LiveBenchmark(tmp_path / "cache", task=task, config=CFG, seeds=(0, 1))


def test_contract_shapes_and_trials(live):
    idx = np.array([REP, 11718])
    ev = live.query(idx, fidelity=None, trial=0)
    assert ev.values["val_acc"].shape == (2, 2) and ev.cost.shape == (2, 2)
    assert np.all(np.diff(ev.cost, axis=1) > 0)  # cumulative time grows
    assert ev.values["params"].shape == (2,) and np.all(ev.values["params"] > 0)
    rows = live.query(idx, fidelity=2, trial=np.array([1, 0])).values["val_acc"]
    assert rows[0] == live.query(idx[:1], fidelity=2, trial=1).values["val_acc"][0]
    assert rows[1] == live.query(idx[1:], fidelity=2, trial=0).values["val_acc"][0]
    mean = live.query(idx, fidelity=2, seed="mean").values["test_acc"]
    per = np.stack([live.query(idx, fidelity=2, trial=k).values["test_acc"] for k in range(2)])
    np.testing.assert_allclose(mean, per.mean(0))
    with pytest.raises(ValueError):
        live.query(idx, fidelity=2, trial=np.array([0]))
    with pytest.raises(KeyError):
        live.query(idx, metrics=["nope"])
    with pytest.raises(NotImplementedError, match="no oracle"):
        live.best()


def test_results_equal_the_trainer_and_are_cached(live, task, tmp_path):
    ev = live.query(np.array([REP]), fidelity=None, trial=1)
    curve = Trainer(CFG).train(SPACE.from_index(REP), task, [0, 1])
    np.testing.assert_array_equal(ev.values["val_acc"][0], curve.metrics["val_acc"][1].astype(np.float32))
    assert live.n_trained == 1
    live.query(np.array([MEMBER, REP]), fidelity=2, seed=0)  # a class member is a lookup too
    assert live.n_trained == 1
    live.close()
    assert set(read_records(tmp_path / "cache")) == {REP}
    again = LiveBenchmark(tmp_path / "cache", task=task, config=CFG, seeds=(0, 1))
    np.testing.assert_array_equal(again.query(np.array([REP]), fidelity=None, trial=1).values["val_acc"],
                                  ev.values["val_acc"])
    assert again.n_trained == 0 and again.cached()[MEMBER]
    with pytest.raises(ValueError, match="other settings"):
        LiveBenchmark(tmp_path / "cache", task=task, config=CFG.replace(lr=0.05), seeds=(0, 1))


def test_runner_and_leaderboard_work_unchanged(live):
    from nasbench.leaderboard import Leaderboard
    from nasbench.runner import run_many
    from nasbench.strategies import RandomSearch, RegularizedEvolution

    traces = {name: run_many(s, live, 4, seeds=[0, 1]) for name, s in (("rs", RandomSearch),
                                                                       ("re", RegularizedEvolution))}
    assert all(len(t) == 4 and np.isnan(t.oracle) for ts in traces.values() for t in ts)
    best = max(float(np.nanmax(t.incumbent_test)) for ts in traces.values() for t in ts)
    lb = Leaderboard.from_traces(traces, oracle=best)  # best found by any run as the reference
    assert set(lb.order()) == {"rs", "re"}
    # a second identical search is answered from the cache: same traces, nothing trained
    n = live.n_trained
    again = run_many(RandomSearch, live, 4, seeds=[0, 1])
    assert live.n_trained == n and all(a.equals(b) for a, b in zip(again, traces["rs"]))


def test_arch_class_and_task_data_in_the_manifest(live, tmp_path):
    assert live.arch_class[MEMBER] == REP and live.arch_class[REP] == REP
    np.testing.assert_array_equal(live.arch_class, CLS)
    other = synthetic_task(input_shape=(1, 40), n_classes=10, n=(48, 32, 32), seed=1)  # same name, other data
    with pytest.raises(ValueError, match="task_sha256"):
        LiveBenchmark(tmp_path / "cache", task=other, config=CFG, seeds=(0, 1))
