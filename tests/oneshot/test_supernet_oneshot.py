"""Supernet estimator and one-shot search (DARTS, GDAS, SPOS+RE): tiny CPU settings."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.estimators.supernet import N_OPS, Supernet  # noqa: E402
from nasbench.oneshot import OneShotConfig, search  # noqa: E402
from nasbench.spaces.nb201 import NB201Space  # noqa: E402
from nasbench.train.data import Task  # noqa: E402

SPACE = NB201Space()


@pytest.fixture(scope="module")
def tiny_task():
    rng = np.random.default_rng(0)

    def split(n):
        return rng.standard_normal((n, 1, 40)).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)

    (xt, yt), (xv, yv), (xs, ys) = split(64), split(48), split(32)
    return Task("tiny", xt, yt, xv, yv, xs, ys, 10)


def _est(task, **kw):
    kw = {"batch_size": 32, "recal_batches": 1, "recal_batch_size": 32, **kw}
    return Supernet("nb201-mnist1d", task, seed=0, **kw)


def test_path_is_the_table_network(tiny_task):
    est = _est(tiny_task).fit(1)
    net = est.net_.eval()
    x = torch.as_tensor(tiny_task.x_val[:16])
    for i in np.random.default_rng(1).integers(0, SPACE.size, 8):
        a = SPACE.from_index(int(i))
        sub = net.subnet(a).eval()
        with torch.no_grad():
            assert torch.equal(sub(x)[:, 0], net.path(x, a.ops))


def test_estimate_deterministic_and_batch_invariant(tiny_task):
    idx = np.array([5, 77, 1234, 9999, 15624])
    s1 = _est(tiny_task).fit(1).estimate(idx)
    e2 = _est(tiny_task).fit(1)
    s2 = e2.estimate(idx[::-1])[::-1]
    s3 = np.array([e2.estimate([int(i)])[0] for i in idx])
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(s1, s3)
    c = e2.cost_
    assert c["basis"] == "process_cpu" and c["setup_s"] > 0 and c["n_archs"] == 10 and c["per_arch_s"] > 0


def test_recalibration_and_loss_score(tiny_task):
    idx = np.array([3, 600, 14000])
    a = _est(tiny_task, bn_recal=False).fit(1).estimate(idx)
    b = _est(tiny_task, score="neg_loss").fit(1).estimate(idx)
    assert np.all((a >= 0) & (a <= 100)) and np.all(b <= 0)


def test_fair_sampling_covers_every_op(tiny_task):
    est = _est(tiny_task, sampling="fair")
    est._setup()
    paths = np.array(est.sample_paths())  # (5, 6)
    assert paths.shape == (N_OPS, 6)
    for e in range(6):
        assert sorted(paths[:, e]) == list(range(N_OPS))


def test_fit_continues_schedule(tiny_task):
    est = _est(tiny_task, epochs_total=2).fit(1).fit(1)
    assert est.epochs_done_ == 2 and len(est.history_) == 2


@pytest.mark.parametrize("method", ["darts", "gdas", "spos-re"])
def test_search_one_epoch_deterministic(method, tiny_task):
    cfg = OneShotConfig(method=method, epochs=2, batch_size=32, spos_batch_size=32, re_population=4, re_sample=2,
                        re_cycles=2)
    seen = []
    r1 = search(cfg, 0, task=tiny_task, on_epoch=lambda ep, a, rec: seen.append(ep))
    r2 = search(cfg, 0, task=tiny_task)
    assert seen == [1, 2]
    assert r1.derived.shape == (2,) and np.all((r1.derived >= 0) & (r1.derived < SPACE.size))
    np.testing.assert_array_equal(r1.derived, r2.derived)
    assert np.all(r1.seconds > 0)
    assert r1.config["bn_affine"] == (method == "spos-re")
    if method == "spos-re":
        assert r1.alphas is None
    else:
        assert r1.alphas.shape == (2, 6, 5)
        np.testing.assert_allclose(r1.alphas.sum(-1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(r1.alphas, r2.alphas)


def test_bn_mode_is_an_option(tiny_task):
    cfg = OneShotConfig(method="darts", epochs=1, batch_size=32, bn_affine=True, bn_track=True)
    r = search(cfg, 0, task=tiny_task)
    assert r.config["bn_affine"] and r.config["bn_track"]


def test_trace_charges_lookups(tiny_bench_or_skip):
    from nasbench.jobs.oneshot import make_trace

    bench = tiny_bench_or_skip
    derived = np.array([10, 10, 20, 10])
    secs = np.array([1.0, 1.0, 1.0, 1.0])
    tr = make_trace(bench, "darts", 0, derived, secs)
    cost = np.asarray(tr.cost)
    assert len(tr) == 4
    assert cost[0] > 1.0 and cost[1] == 1.0 and cost[3] == 1.0  # arch 10 trained (charged) once
    np.testing.assert_allclose(np.asarray(tr.finish), np.cumsum(cost))
    assert math.isfinite(tr.final()["test_acc"])


def test_leaderboard_reads_oneshot_traces(tiny_bench_or_skip, tmp_path):
    from nasbench.jobs.leaderboard import load_extra_traces
    from nasbench.jobs.oneshot import make_trace
    from nasbench.leaderboard import Leaderboard

    bench = tiny_bench_or_skip
    for k in range(2):
        make_trace(bench, "gdas", k, np.array([10, 20 + k]), np.array([0.5, 0.5])).save(
            tmp_path / "traces" / "gdas" / f"seed_{k}.npz")
    got = load_extra_traces([tmp_path], bench)
    assert list(got) == ["gdas"] and len(got["gdas"]) == 2
    lb = Leaderboard.from_traces(got)
    assert np.isfinite(lb.final_regret["gdas"]).all()


@pytest.fixture
def tiny_bench_or_skip():
    from nasbench import load_benchmark

    try:
        return load_benchmark("nb201-mnist1d")
    except Exception as err:  # pragma: no cover
        pytest.skip(f"shipped table not available: {err}")


def test_cli_oneshot_parses():
    from nasbench.cli import build_parser

    a = build_parser().parse_args(["oneshot", "--method", "gdas", "--seeds", "0", "--epochs", "1", "-o", "x"])
    assert a.method == ["gdas"] and a.bn_track is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["oneshot", "--meth", "gdas", "-o", "x"])


@pytest.mark.gpu
@pytest.mark.parametrize("method", ["darts", "gdas", "spos-re"])
def test_search_cuda(method, tiny_task):
    cfg = OneShotConfig(method=method, epochs=1, batch_size=32, spos_batch_size=32, re_population=4, re_sample=2,
                        re_cycles=2, device="cuda")
    r = search(cfg, 0, task=tiny_task)
    assert r.basis == "wall" and r.derived.shape == (1,)


@pytest.mark.gpu
def test_supernet_cuda(tiny_task):
    est = _est(tiny_task, device="cuda").fit(1)
    s = est.estimate(np.array([1, 2, 3]))
    assert est.cost_["basis"] == "wall" and np.all(np.isfinite(s))
