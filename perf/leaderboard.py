"""How long a full leaderboard takes: 8 strategies x 30 seeds x a budget worth 300 full trainings.

    python perf/leaderboard.py [--benchmark NAME_OR_PATH] [--seeds 30] [--budget 300x]
                               [--strategies rs re ...] [--processes 1]

Benchmark: ``--benchmark`` (a table name or path, or ``synthetic``); by default the shipped table
``nb201-mnist1d`` when it exists, else the synthetic benchmark (which computes its values on the
fly, so its queries are slower than a table's).

Measured in one run:

* per strategy: wall time of all its runs, evaluations, microseconds per evaluation, and the
  share of time spent inside the strategy (``ask``/``tell``), inside benchmark queries, and in
  the runner's own bookkeeping (the rest);
* the total for the non-model-based strategies (goal: < 30 s on 2 cores) and BANANAS apart;
* a baseline measured on the same benchmark in the same process: a bare Python loop doing the
  same single-architecture lookups the runner did (same architectures, fidelities and recorded
  seeds, replayed from the random-search traces) with no strategy and no bookkeeping — the
  floor any ask/tell loop over one-at-a-time queries pays.  ``x baseline`` = the runner's time
  per evaluation / the baseline's.

``--processes 2`` spreads runs over two processes (both cores); times inside the runs are then
summed CPU-side while the wall time is the elapsed time.  Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STRATEGIES = ("rs", "re", "ls", "reinforce", "sh", "hb", "bohb", "bananas")
MODEL_BASED = ("bananas",)


def _bench(name):
    from nasbench.catalog import get_benchmark

    return get_benchmark(name)


def _runs(args):
    """Run ``strategy`` for ``seeds`` in one process; returns per-run stats and RS replay data."""
    bench_name, strategy, seeds, budget, workers = args
    from nasbench.catalog import strategy_factory
    from nasbench.runner import run

    bench = _bench(bench_name)
    f = strategy_factory(strategy, bench)
    out = []
    for k in seeds:
        t = time.perf_counter()
        tr = run(f, bench, budget, seed=k, n_workers=workers, name=strategy)
        wall = time.perf_counter() - t
        replay = (tr.arch.copy(), tr.fidelity.copy(), tr.trial.copy()) if strategy == "rs" else None
        out.append({"wall": wall, "n": len(tr), "strategy_s": tr.meta["strategy_seconds"],
                    "bench_s": tr.meta["benchmark_seconds"], "replay": replay,
                    "regret": tr.final()["regret"]})
    return strategy, out


def baseline(bench, replays, metrics) -> float:
    """Seconds per lookup of a bare loop replaying the recorded (arch, fidelity, trial) triples."""
    space = bench.space
    archs = [[space.from_index(int(i)) for i in r[0]] for r in replays]
    n = sum(len(a) for a in archs)
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        for a, (_, fid, trial) in zip(archs, replays):
            for j in range(len(a)):
                bench.query(a[j], fidelity=int(fid[j]), trial=int(trial[j]), metrics=metrics)
        best = min(best, time.perf_counter() - t)
    return best / n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", default=None,
                   help="table name or path, or 'synthetic' (default: the shipped table, else synthetic)")
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--budget", default="300x")
    p.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    p.add_argument("--workers", type=int, default=1, help="simulated workers per run")
    p.add_argument("--processes", type=int, default=1, help="OS processes to spread the runs over")
    args = p.parse_args(argv)

    name = args.benchmark
    if name is None:
        from nasbench.benchmarks.tabular import available_benchmarks

        name = "nb201-mnist1d" if "nb201-mnist1d" in available_benchmarks() else "synthetic"
    t = time.perf_counter()
    bench = _bench(name)
    from nasbench.runner import Budget

    budget = Budget.parse(args.budget, bench)
    print(f"benchmark {bench.name} ({type(bench).__name__}, coverage {bench.coverage():.1%}, cost in "
          f"{bench.cost_unit}); budget {args.budget} = {budget.to_dict()}; {args.seeds} seeds; "
          f"{args.workers} worker(s); {args.processes} process(es); {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")
    seeds = list(range(args.seeds))
    jobs = []
    chunks = max(1, args.processes)
    for s in args.strategies:
        for c in range(chunks):
            jobs.append((name, s, seeds[c::chunks], budget, args.workers))
    results: dict[str, list] = {s: [] for s in args.strategies}
    wall_of: dict[str, float] = {}
    t_all = time.perf_counter()
    if args.processes > 1:
        with ProcessPoolExecutor(args.processes) as ex:
            for s in args.strategies:  # one strategy at a time so its wall time is measurable
                ts = time.perf_counter()
                for strat, out in ex.map(_runs, [j for j in jobs if j[1] == s]):
                    results[strat].extend(out)
                wall_of[s] = time.perf_counter() - ts
    else:
        for j in jobs:
            ts = time.perf_counter()
            strat, out = _runs(j)
            results[strat].extend(out)
            wall_of[strat] = wall_of.get(strat, 0.0) + time.perf_counter() - ts
    total = time.perf_counter() - t_all

    replays = [r["replay"] for r in results.get("rs", []) if r["replay"] is not None]
    from nasbench.catalog import strategy_factory

    probe = strategy_factory("rs", bench)(bench.space, 0)
    q_metrics = list(dict.fromkeys(["val_acc", "test_acc", *probe.metrics, *bench.static_metrics]))
    base = baseline(bench, replays[:10], q_metrics) if replays else np.nan

    print(f"\n{'strategy':10s} {'wall s':>8s} {'evals':>8s} {'us/eval':>8s} {'x baseline':>10s} "
          f"{'strategy':>9s} {'queries':>8s} {'runner':>7s}  mean final regret")
    non_model = 0.0
    for s in args.strategies:
        rs = results[s]
        wall = sum(r["wall"] for r in rs)
        n = sum(r["n"] for r in rs)
        st = sum(r["strategy_s"] for r in rs)
        bq = sum(r["bench_s"] for r in rs)
        per = wall / max(n, 1)
        reg = np.mean([r["regret"] for r in rs])
        print(f"{s:10s} {wall_of[s]:8.2f} {n:8d} {per * 1e6:8.1f} {per / base:10.1f} {st / wall:9.0%} "
              f"{bq / wall:8.0%} {max(wall - st - bq, 0) / wall:7.0%}  {reg:.3f}")
        if s not in MODEL_BASED:
            non_model += wall_of[s]
    print(f"\nbaseline (bare query loop, same lookups): {base * 1e6:.1f} us per lookup")
    nm = [s for s in args.strategies if s not in MODEL_BASED]
    print(f"non-model-based strategies ({', '.join(nm)}): {non_model:.1f} s wall (goal < 30 s on 2 cores)")
    for s in args.strategies:
        if s in MODEL_BASED:
            print(f"{s}: {wall_of[s]:.1f} s wall for {len(results[s])} runs "
                  f"({wall_of[s] / max(len(results[s]), 1):.2f} s per run)")
    print(f"everything: {total:.1f} s wall (+ {t_all - t:.1f} s set-up)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
