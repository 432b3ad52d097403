"""Traces are pinned: ``runner.run`` writes, bit for bit, the traces the runner wrote before it
was made fast (digests in ``fixtures/runner_traces.json``, made by
``fixtures/make_runner_traces.py`` from the older runner; see that script for regenerating on
another platform)."""
from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("make_runner_traces", HERE / "fixtures" / "make_runner_traces.py")
_mk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mk)
CASES, benchmarks, case_key, digest = _mk.CASES, _mk.benchmarks, _mk.case_key, _mk.digest
PINNED = json.loads((HERE / "fixtures" / "runner_traces.json").read_text())["runs"]
REPO = HERE.parent


@pytest.fixture(scope="module")
def benches():
    return {k: make() for k, make in benchmarks(REPO).items()}


def _check(key, tr):
    want = PINNED[key]
    got = digest(tr)
    assert got["n"] == want["n"], key
    assert got["first_archs"] == want["first_archs"], key
    bad = sorted(k for k in want["digests"] if got["digests"].get(k) != want["digests"][k])
    assert not bad, f"{key}: columns differ from the pinned trace: {bad}"
    assert set(got["digests"]) == set(want["digests"]), key


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-w{c[4]}")
def test_run_matches_pinned_traces(benches, case):
    from nasbench.catalog import strategy_factory
    from nasbench.runner import run

    bname, strat, budget, seeds, workers = case
    bench = benches[bname]
    f = strategy_factory(strat, bench)
    for s in seeds:
        _check(case_key(bname, strat, budget, s, workers), run(f, bench, budget, s, n_workers=workers, name=strat))


def test_every_pinned_run_is_checked():
    keys = {case_key(b, st, bu, s, w) for b, st, bu, seeds, w in CASES for s in seeds}
    assert keys == set(PINNED)
    groups = defaultdict(int)
    for b, *_ in CASES:
        groups[b] += 1
    assert set(groups) == {"synthetic", "fixture", "shipped"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-w{c[4]}")
def test_run_many_matches_pinned_traces(benches, case):
    """Lockstep over the case's seeds writes the same traces as the old runner, seed by seed."""
    from nasbench.catalog import strategy_factory
    from nasbench.runner import run_many

    bname, strat, budget, seeds, workers = case
    bench = benches[bname]
    traces = run_many(strategy_factory(strat, bench), bench, budget, list(seeds), n_workers=workers, name=strat)
    assert [t.meta["seed"] for t in traces] == list(seeds)
    for s, tr in zip(seeds, traces):
        _check(case_key(bname, strat, budget, s, workers), tr)
