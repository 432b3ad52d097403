"""Conformance: every catalog strategy on the synthetic benchmark (NB201 and size spaces) and the
fixture table.

Checks: valid architectures and fidelities only, the budget is respected, same seed -> same
trace, no (architecture, fidelity) evaluated twice unless the strategy allows repeats, several
asynchronous workers work, and on an easy synthetic landscape every non-random strategy finds
better architectures than random search (mean over seeds).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nasbench.catalog import STRATEGIES, get_benchmark, strategy_factory
from nasbench.runner import Budget, mean_full_cost, run

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5"
NAMES = sorted(STRATEGIES)


def _synthetic_size():
    from nasbench.benchmarks.synthetic import SyntheticBenchmark
    from nasbench.spaces import SizeMNIST1DSpace

    return SyntheticBenchmark(SizeMNIST1DSpace())  # the chain-structured size space (8**5 archs)


def _benchmarks():
    out = [("synthetic", lambda: get_benchmark("synthetic")), ("synthetic-size", _synthetic_size)]
    if FIXTURE.is_file():
        out.append(("fixture", lambda: get_benchmark(str(FIXTURE))))
    return out


_CACHE: dict = {}


def bench(key):
    if key not in _CACHE:
        _CACHE[key] = dict(_benchmarks())[key]()
    return _CACHE[key]


BENCH_KEYS = [k for k, _ in _benchmarks()]


def _check_trace(tr, b, name, budget):
    space = b.space
    assert ((tr.arch >= 0) & (tr.arch < space.size)).all()
    assert np.isin(tr.fidelity, b.fidelities).all()
    if not STRATEGIES[name].kind == "multi-fidelity":
        assert (tr.fidelity == b.max_fidelity).all()
    if budget.evaluations is not None:
        assert len(tr) == budget.evaluations
    else:
        assert tr.finish[-1] <= budget.cost + 1e-9
    assert np.all(np.diff(tr.finish) >= 0)
    pairs = list(zip(tr.arch.tolist(), tr.fidelity.tolist()))
    if not tr.meta["allows_repeats"]:
        assert len(set(pairs)) == len(pairs), f"{name} repeated an (architecture, fidelity) pair"


@pytest.mark.parametrize("bkey", BENCH_KEYS)
@pytest.mark.parametrize("name", NAMES)
def test_valid_within_budget_deterministic_no_repeats(name, bkey):
    b = bench(bkey)
    f = strategy_factory(name, b)
    budget = Budget(cost=12 * mean_full_cost(b))
    a = run(f, b, budget, seed=11, name=name)
    _check_trace(a, b, name, budget)
    assert a.equals(run(f, b, budget, seed=11, name=name)), f"{name} is not deterministic under a seed"
    ev = run(f, b, 15, seed=12, name=name)
    _check_trace(ev, b, name, Budget(evaluations=15))


@pytest.mark.parametrize("name", NAMES)
def test_parallel_workers(name):
    b = bench("synthetic")
    f = strategy_factory(name, b)
    budget = Budget(cost=6 * mean_full_cost(b))
    tr = run(f, b, budget, seed=3, n_workers=3, name=name)
    _check_trace(tr, b, name, budget)
    assert set(np.unique(tr.worker)) == {0, 1, 2}
    assert tr.equals(run(f, b, budget, seed=3, n_workers=3, name=name))
    assert len(tr) > len(run(f, b, budget, seed=3, n_workers=1, name=name))


# ------------------------------------------------------------- beats random search
SEEDS = range(12)
EASY_BUDGET = "40x"


@pytest.fixture(scope="module")
def easy():
    return get_benchmark("synthetic-easy")


@pytest.fixture(scope="module")
def rs_traces(easy):
    return [run(strategy_factory("rs", easy), easy, EASY_BUDGET, seed=k) for k in SEEDS]


def _constrained_regret(tr, b, metric, cap, oracle):
    """Regret of the best feasible (by validation) result in ``tr`` against ``oracle``."""
    ok = tr.values[metric] <= cap
    if not ok.any():
        return np.inf
    j = np.flatnonzero(ok)[np.argmax(tr.values["val_acc"][ok])]
    test = b.query(np.array([tr.arch[j]]), fidelity=b.max_fidelity, seed="mean", metrics=["test_acc"])
    return oracle - float(test.values["test_acc"][0])


@pytest.mark.parametrize("name", [n for n in NAMES if n != "rs"])
def test_beats_random_search_on_an_easy_landscape(name, easy, rs_traces):
    from nasbench.strategies.multiobjective import hypervolume_2d

    f = strategy_factory(name, easy)
    traces = [run(f, easy, EASY_BUDGET, seed=k, name=name) for k in SEEDS]
    kind = STRATEGIES[name].kind
    if name == "nsga2":  # multi-objective: compare hypervolumes of (val_acc up, params down)
        allp = np.concatenate([t.values["params"] for t in traces + rs_traces])
        alla = np.concatenate([t.values["val_acc"] for t in traces + rs_traces])
        ref = (-allp.max(), alla.min())
        hv = lambda t: hypervolume_2d(np.stack([-t.values["params"], t.values["val_acc"]], 1), ref)  # noqa: E731
        assert np.mean([hv(t) for t in traces]) > np.mean([hv(t) for t in rs_traces])
    elif traces[0].meta["constraints"]:  # constrained: compare on the feasible set
        (metric, cap), = traces[0].meta["constraints"].items()
        oracle = traces[0].oracle
        mine = np.mean([t.final()["regret"] for t in traces])
        theirs = np.mean([_constrained_regret(t, easy, metric, cap, oracle) for t in rs_traces])
        assert mine < theirs
    else:
        mine = np.mean([t.final()["regret"] for t in traces])
        theirs = np.mean([t.final()["regret"] for t in rs_traces])
        assert mine < theirs, f"{name} ({kind}): mean regret {mine:.3f} vs random search {theirs:.3f}"


def _values_of(i: int) -> float:
    """A fixed, rugged value per architecture index, NaN for some (a partial table)."""
    if i % 17 == 3:
        return float("nan")
    return float((i * 2654435761) % 1000) / 10.0


@pytest.mark.parametrize("name", NAMES)
def test_runner_shortcut_tells_what_tell_tells(name):
    """Strategy._runner_tell's one-result shortcut leaves a strategy in the state ``tell`` would:
    the same suggestions follow, step for step (NaN results included)."""
    from nasbench.strategies.base import Suggestion

    b = bench("synthetic")
    f = strategy_factory(name, b)
    plain, fast = f(b.space, 7), f(b.space, 7)
    one = fast._runner_tell()
    if one is None:  # told through tell: model-based, several metrics, or no shortcut written
        assert name in {"bananas", "nsga2", "re-capped", "rs-es", "sh-sotl", "hb-sotl"}, name
        return
    metric = plain.metrics[0]
    for s in (plain, fast):
        s.setup(b.fidelities, b.fidelity_kind)
    for step in range(150):
        a, c = plain.ask(1), fast.ask(1)
        assert [(x.arch, x.fidelity) for x in a] == [(x.arch, x.fidelity) for x in c], f"step {step}"
        if not a:
            break
        i = b.space.index(a[0].arch)
        v = _values_of(i) + (a[0].fidelity or 0) * 0.01
        plain.tell(a, {metric: np.array([v])})
        one(c[0], i, v)
        assert isinstance(c[0], Suggestion)


def test_runner_shortcut_skipped_when_a_subclass_changes_tell():
    """A subclass overriding tell (or a method the shortcut bypasses) is told through tell."""
    from nasbench.strategies import RegularizedEvolution

    class Counting(RegularizedEvolution):
        told = 0

        def tell(self, suggestions, values):
            type(self).told += len(suggestions)
            super().tell(suggestions, values)

    class Rescored(RegularizedEvolution):
        def _member_scores(self, values):
            return [-x for x in super()._member_scores(values)]

    b = bench("synthetic")
    assert RegularizedEvolution(b.space, 0)._runner_tell() is not None
    assert Counting(b.space, 0)._runner_tell() is None
    assert Rescored(b.space, 0)._runner_tell() is None
    tr = run(Counting, b, 25, seed=0)
    assert Counting.told == len(tr) == 25
    # a subclass adding nothing keeps the shortcut and the same trace
    class Same(RegularizedEvolution):
        pass

    assert Same(b.space, 0)._runner_tell() is not None
    t1, t2 = run(Same, b, 25, seed=0), run(RegularizedEvolution, b, 25, seed=0)
    assert np.array_equal(t1.arch, t2.arch) and np.array_equal(t1.values["val_acc"], t2.values["val_acc"])
