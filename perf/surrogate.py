"""Surrogate query speed against the table it was fitted on, measured in this one process.

    python perf/surrogate.py [--surrogate surrogate:nb201-mnist1d-xgb20] [--table nb201-mnist1d] [--n 1000000]

Printed: time to open each benchmark; batched queries of ``n`` random architectures (one
metric, one fidelity) with ``seed="mean"``, an int ``seed`` and a per-row ``trial`` array, as
architectures per second; a single query of one ``Architecture`` (median over 2,000 calls, in
microseconds) -- each for the surrogate and for the table (the baseline).  The surrogate's
predictions are precomputed for the whole space, so a query is the table lookup plus one
class-map gather; no model runs at query time.  Nothing here is asserted by tests.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _best_of(fn, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--surrogate", default="surrogate:nb201-mnist1d-xgb20")
    ap.add_argument("--table", default="nb201-mnist1d")
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args(argv)

    from nasbench.benchmarks import load_benchmark

    rng = np.random.default_rng(0)
    print(f"{'benchmark':12s} {'open ms':>8s} {'mean /s':>12s} {'seed=int /s':>12s} {'trial array /s':>14s} "
          f"{'single us':>10s}")
    for label, name in (("table", args.table), ("surrogate", args.surrogate)):
        t = time.perf_counter()
        b = load_benchmark(name)
        opened = time.perf_counter() - t
        idx = rng.integers(0, b.space.size, size=args.n)
        trials = rng.integers(0, b.n_seeds, size=args.n)
        f = b.max_fidelity
        b.query(idx[:10], fidelity=f, trial=trials[:10], metrics=["val_acc"])  # warm the caches
        b.query(idx[:10], fidelity=f, seed="mean", metrics=["val_acc"])
        rates = [args.n / _best_of(lambda kw=kw: b.query(idx, fidelity=f, metrics=["val_acc"], **kw))
                 for kw in (dict(seed="mean"), dict(seed=1), dict(trial=trials))]
        archs = [b.space.from_index(int(i)) for i in idx[:2000]]
        b.query(archs[0], fidelity=f, seed=0, metrics=["val_acc"])
        times = []
        for a in archs:
            t = time.perf_counter()
            b.query(a, fidelity=f, seed=0, metrics=["val_acc"])
            times.append(time.perf_counter() - t)
        print(f"{label:12s} {1e3 * opened:8.1f} {rates[0]:12.3g} {rates[1]:12.3g} {rates[2]:14.3g} "
              f"{1e6 * float(np.median(times)):10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
