import functools

import numpy as np
import pytest

from nasbench.benchmarks import SyntheticBenchmark
from nasbench.runner import Budget, Trace, mean_full_cost, oracle, run
from nasbench.strategies import (ConstrainedEvolution, RandomSearch, RegularizedEvolution, Strategy,
                                 Suggestion, SuccessiveHalving)


@pytest.fixture(scope="module")
def bench():
    return SyntheticBenchmark(n_epochs=4, n_seeds=3)


class Scripted(Strategy):
    """Asks a fixed list of (index, fidelity) one by one."""

    name = "scripted"
    allows_repeats = True
    plan: list = []

    def ask(self, n):
        out = []
        while self.plan and len(out) < n:
            i, f = self.plan.pop(0)
            out.append(Suggestion(self.space.from_index(i), f))
        return out

    def tell(self, suggestions, values):
        self._check_tell(suggestions, values)


def scripted(plan):
    return type("S", (Scripted,), {"plan": list(plan)})


# ------------------------------------------------------------------ budgets
def test_budget_parsing(bench):
    assert Budget.parse("150") == Budget(evaluations=150) == Budget.parse(150)
    assert Budget.parse("3600s") == Budget(cost=3600.0)
    assert Budget.parse("2.5x", bench).cost == pytest.approx(2.5 * mean_full_cost(bench))
    for bad in ("ten", "5h", "-3", "x"):
        with pytest.raises(ValueError, match="budget"):
            Budget.parse(bad, bench)
    with pytest.raises(ValueError, match="pass the benchmark"):
        Budget.parse("3x")
    with pytest.raises(ValueError, match="exactly one"):
        Budget()
    with pytest.raises(ValueError, match="positive"):
        Budget(cost=0)


def test_seconds_budget_refused_on_evaluation_tables(bench):
    b = SyntheticBenchmark(n_epochs=2)
    b.cost_unit = "evaluations"
    with pytest.raises(ValueError, match="evaluations"):
        Budget.parse("100s", b)


# -------------------------------------------------------------- basic loop
def test_evaluation_budget_is_exact_and_clock_adds_up(bench):
    tr = run(RandomSearch, bench, 25, seed=0)
    assert len(tr) == 25
    np.testing.assert_allclose(tr.finish, np.cumsum(tr.cost))
    np.testing.assert_array_equal(tr.start[1:], tr.finish[:-1])
    assert (tr.fidelity == 4).all() and (tr.worker == 0).all()
    assert set(tr.values) >= {"val_acc", "test_acc", "params", "flops", "latency_cpu_bs1"}  # static recorded


def test_cost_budget_is_never_exceeded(bench):
    budget = 5 * mean_full_cost(bench)
    for w in (1, 3):
        tr = run(RegularizedEvolution, bench, Budget(cost=budget), seed=1, n_workers=w)
        assert tr.finish[-1] <= budget
        assert len(tr) >= 3


def test_same_seed_same_trace_other_seed_other_trace(bench, tmp_path):
    a = run(RegularizedEvolution, bench, 30, seed=5, n_workers=2)
    b = run(RegularizedEvolution, bench, 30, seed=5, n_workers=2)
    c = run(RegularizedEvolution, bench, 30, seed=6, n_workers=2)
    assert a.equals(b) and not a.equals(c)
    p = a.save(tmp_path / "a")
    assert p.suffix == ".npz"
    d = Trace.load(p)
    assert d.equals(a, ignore_wall=False) and d.meta == a.meta
    for col in ("arch", "fidelity", "trial", "finish", "incumbent_test"):
        np.testing.assert_array_equal(getattr(d, col), getattr(a, col))
    with pytest.raises(ValueError, match="read-only"):
        a.arch[0] = 3


def test_trace_file_errors(tmp_path):
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a nasbench trace"):
        Trace.load(tmp_path / "x.npz")


def test_seeds_drive_both_strategy_and_queries(bench):
    tr = run(RandomSearch, bench, 200, seed=3)
    assert set(np.unique(tr.trial)) == {0, 1, 2}  # recorded training seeds drawn by the query RNG


# ---------------------------------------------------------------- incumbent
def test_incumbent_is_chosen_on_validation_and_reported_on_test(bench):
    tr = run(RandomSearch, bench, 40, seed=2)
    np.testing.assert_array_equal(tr.incumbent_val, np.maximum.accumulate(tr.values["val_acc"]))
    rows = tr.incumbent
    np.testing.assert_array_equal(tr.values["val_acc"][rows], tr.incumbent_val)
    inc_arch = tr.arch[rows]
    expect = bench.query(inc_arch, fidelity=4, seed="mean", metrics=["test_acc"]).values["test_acc"]
    np.testing.assert_allclose(tr.incumbent_test, expect)
    assert tr.oracle == pytest.approx(bench.best("test_acc"))
    np.testing.assert_allclose(tr.regret, tr.oracle - tr.incumbent_test)
    assert (tr.regret >= 0).all()
    assert tr.final()["arch"] == inc_arch[-1]
    # step-function lookups
    assert np.isnan(tr.regret_at([tr.finish[0] / 2])[0])
    assert tr.regret_at([tr.finish[-1] * 10])[0] == pytest.approx(tr.regret[-1])
    assert tr.regret_at([3], axis="evaluations")[0] == pytest.approx(tr.regret[2])


def test_constrained_incumbents_are_feasible(bench):
    cap = float(np.median(bench.table("params")))
    f = functools.partial(ConstrainedEvolution, metric="params", cap=cap)
    tr = run(f, bench, 40, seed=0)
    ok = tr.incumbent >= 0
    assert ok.any()
    assert (tr.values["params"][tr.incumbent[ok]] <= cap).all()
    assert tr.oracle == pytest.approx(oracle(bench, {"params": cap}))
    assert tr.oracle <= bench.best("test_acc")
    assert tr.meta["constraints"] == {"params": cap}


# ---------------------------------------------------------- fidelity costs
def test_continuation_pays_the_difference_on_epoch_tables(bench):
    tr = run(scripted([(7, 1), (7, 3), (7, 2)]), bench, 3, seed=0)
    full = {f: bench.query(np.array([7]), fidelity=f, trial=int(tr.trial[0])).cost[0] for f in (1, 2, 3)}
    assert tr.trial[1] == tr.trial[0]  # the same training run continues
    np.testing.assert_allclose(tr.cost[:2], [full[1], full[3] - full[1]])
    # going down is a new run: full cost (of whichever seed was drawn)
    c2 = bench.query(np.array([7]), fidelity=2, trial=int(tr.trial[2])).cost[0]
    assert tr.cost[2] == pytest.approx(c2)


def test_schedule_length_tables_pay_full_cost_for_promotions():
    b = SyntheticBenchmark(n_epochs=4, n_seeds=1)
    b.fidelity_kind = "schedule_length"
    tr = run(scripted([(7, 1), (7, 3)]), b, 2, seed=0)
    assert tr.cost[1] == pytest.approx(b.query(np.array([7]), fidelity=3, trial=0).cost[0])


def test_default_fidelity_argument(bench):
    tr = run(RandomSearch, bench, 5, seed=0, fidelity=2)
    assert (tr.fidelity == 2).all()
    assert tr.meta["default_fidelity"] == 2
    with pytest.raises(ValueError, match="fidelity"):
        run(RandomSearch, bench, 5, seed=0, fidelity=99)


# ----------------------------------------------------------------- workers
def test_asynchronous_workers(bench):
    tr = run(SuccessiveHalving, bench, 60, seed=0, n_workers=4)
    assert len(tr) == 60
    assert np.all(np.diff(tr.finish) >= 0)  # told in completion order
    assert set(np.unique(tr.worker)) == {0, 1, 2, 3}
    # at no time more than 4 jobs run, and a worker's jobs never overlap
    t = np.sort(np.concatenate([tr.start, tr.finish]))
    for x in (t[:-1] + t[1:]) / 2:
        assert ((tr.start <= x) & (tr.finish > x)).sum() <= 4
    for w in range(4):
        s, f = tr.start[tr.worker == w], tr.finish[tr.worker == w]
        o = np.argsort(s)
        assert np.all(s[o][1:] >= f[o][:-1] - 1e-12)


def test_more_workers_means_more_evaluations_in_the_same_time(bench):
    budget = Budget(cost=10 * mean_full_cost(bench))
    n1 = len(run(RandomSearch, bench, budget, seed=0, n_workers=1))
    n4 = len(run(RandomSearch, bench, budget, seed=0, n_workers=4))
    assert n4 > 2.5 * n1


# ----------------------------------------------------------- odd inputs
def test_runner_refuses_instances_test_metrics_and_unknown_metrics(bench):
    from nasbench.spaces import NB201Space

    with pytest.raises(TypeError, match="factory"):
        run(RandomSearch(NB201Space(), 0), bench, 5, seed=0)
    with pytest.raises(ValueError, match="test metrics"):
        run(functools.partial(RandomSearch, objective="test_acc"), bench, 5, seed=0)
    with pytest.raises(KeyError, match="unknown metric"):
        run(functools.partial(RandomSearch, objective="val_f1"), bench, 5, seed=0)
    with pytest.raises(TypeError, match="seed"):
        run(RandomSearch, bench, 5, seed=None)


def test_callbacks_observe_every_evaluation(bench):
    seen = []
    run(RandomSearch, bench, 7, seed=0, callbacks=[lambda tr: seen.append(len(tr))])
    assert seen == list(range(1, 8))


def test_exhausted_strategy_ends_the_run():
    from nasbench.space import SearchSpace

    class TinySpace(SearchSpace):
        name, op_names, n_edges = "tiny", ("a", "b", "c"), 3

    b = SyntheticBenchmark(TinySpace(), n_epochs=2)
    tr = run(RandomSearch, b, 100, seed=0)
    assert len(tr) == 27 and len(set(tr.arch.tolist())) == 27


def test_partial_tables_charge_the_mean_cost_for_missing_results():
    from pathlib import Path

    from nasbench import load_benchmark

    fx = load_benchmark(Path(__file__).parent / "fixtures" / "nb201_tiny.h5")
    tr = run(RandomSearch, fx, 30, seed=0)
    missing = np.isnan(tr.values["val_acc"])
    assert missing.any() and np.isfinite(tr.cost).all()
    assert tr.cost[missing] == pytest.approx(mean_full_cost(fx))


# ---------------------------------------------------------------- lockstep
@pytest.mark.parametrize("strategy", ["rs", "re", "ls", "reinforce", "hb", "bohb", "nsga2", "re-capped"])
@pytest.mark.parametrize("workers", [1, 3])
def test_run_many_equals_run_seed_by_seed(bench, strategy, workers):
    from nasbench.catalog import strategy_factory
    from nasbench.runner import run_many

    f = strategy_factory(strategy, bench)
    seeds = [4, 0, 11, 4, 2]  # any order, repeats allowed
    for budget in (30, "4x"):
        many = run_many(f, bench, budget, seeds, n_workers=workers)
        assert len(many) == len(seeds)
        for s, tr in zip(seeds, many):
            one = run(f, bench, budget, s, n_workers=workers)
            assert tr.equals(one), (strategy, workers, budget, s)
            assert tr.meta["wall_seconds"] >= tr.meta["strategy_seconds"]


def test_run_many_callbacks_and_errors(bench):
    from nasbench.runner import run_many

    seen = []
    traces = run_many(RandomSearch, bench, 5, [0, 1], callbacks=[lambda tr: seen.append((tr.meta["seed"], len(tr)))])
    assert sorted(seen) == [(s, n) for s in (0, 1) for n in range(1, 6)]
    assert [len(t) for t in traces] == [5, 5]
    assert run_many(RandomSearch, bench, 5, []) == []
    with pytest.raises(TypeError, match="seed"):
        run_many(RandomSearch, bench, 5, [0, "1"])
    with pytest.raises(TypeError, match="factory"):
        run_many(RandomSearch(bench.space, 0), bench, 5, [0])


@pytest.mark.parametrize("strategy", ["rs", "re", "sh", "reinforce", "nsga2"])
def test_one_worker_step_equals_the_event_queue_on_a_table(strategy, queued_trace):
    """``run`` with one worker takes ``_Run.run_serial`` (ask, read the arrays, record, tell at
    once); the event-queue step (``step``/``start``, what several workers and batched lockstep
    use), answering through ``query``, gives the same trace with one worker, on a partial table
    (missing results charged the mean)."""
    from pathlib import Path

    from nasbench import load_benchmark
    from nasbench.catalog import strategy_factory

    fx = load_benchmark(Path(__file__).parent / "fixtures" / "nb201_tiny.h5")
    f = strategy_factory(strategy, fx)
    for budget in (40, "12x"):
        queued = queued_trace(f, fx, budget, 3)
        assert len(queued) > 5
        assert queued.equals(run(f, fx, budget, 3)), (strategy, budget)
