"""BANANAS: time and search quality of its surrogate, 30 seeds at the leaderboard budget.

    python perf/bananas.py [--benchmark NAME] [--seeds 30] [--budget 300x] [--configs old new ...]

Every configuration runs the same seeds on the same benchmark in this one process, so the
times compare (the baseline ``old`` is the pre-issue-12 surrogate: a bootstrap ensemble of three
scikit-learn gradient-boosting models of 50 trees, refitted every ``batch_size`` evaluations,
which reproduces the old default bit for bit).  Printed per configuration: wall seconds for all
runs, seconds per run, share of time inside the strategy, mean final regret +- standard error
over seeds, and the paired difference of final regret against ``old`` (same seeds).  Nothing
here is asserted by tests.
"""
from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def configs():
    from sklearn.ensemble import GradientBoostingRegressor

    from nasbench.predictors import GPPredictor, RandomForestPredictor
    from nasbench.strategies import default_predictor

    return {
        "old": lambda: GradientBoostingRegressor(n_estimators=50, max_depth=3, learning_rate=0.1, subsample=1.0),
        "new": default_predictor,
        "gp": lambda: GPPredictor(),
        "gp2": lambda: GPPredictor(length_scale=2.0, noise_level=0.05, optimize=False),
        "gp4": lambda: GPPredictor(length_scale=4.0, noise_level=0.05, optimize=False),
        "rf": lambda: RandomForestPredictor(n_estimators=30),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("--benchmark", default="nb201-mnist1d")
    p.add_argument("--seeds", type=int, default=30)
    p.add_argument("--budget", default="300x")
    p.add_argument("--configs", nargs="+", default=["old", "new"])
    args = p.parse_args(argv)

    from nasbench.catalog import get_benchmark
    from nasbench.runner import Budget, run
    from nasbench.strategies import Bananas

    bench = get_benchmark(args.benchmark)
    budget = Budget.parse(args.budget, bench)
    import os

    print(f"{bench.name}: budget {args.budget}, {args.seeds} seeds, load average {os.getloadavg()[0]:.1f}")
    table = configs()
    regrets = {}
    print(f"{'config':8s} {'wall s':>8s} {'s/run':>7s} {'strategy':>9s}  final regret (mean +- se)")
    for name in args.configs:
        make = table[name]
        factory = functools.partial(Bananas, predictor=make())
        walls, strat, reg = [], [], []
        for k in range(args.seeds):
            t = time.perf_counter()
            tr = run(factory, bench, budget, seed=k, name="bananas")
            walls.append(time.perf_counter() - t)
            strat.append(tr.meta["strategy_seconds"])
            reg.append(tr.final()["regret"])
        reg = np.asarray(reg)
        regrets[name] = reg
        wall = sum(walls)
        print(f"{name:8s} {wall:8.2f} {wall / args.seeds:7.3f} {sum(strat) / wall:9.0%}  "
              f"{reg.mean():.3f} +- {reg.std(ddof=1) / np.sqrt(len(reg)):.3f}")
    if "old" in regrets:
        for name, reg in regrets.items():
            if name == "old":
                continue
            d = reg - regrets["old"]
            print(f"{name} - old: {d.mean():+.3f} +- {d.std(ddof=1) / np.sqrt(len(d)):.3f} (paired over seeds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
