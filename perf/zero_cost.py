"""Throughput of the zero-cost proxies: architectures per CPU second, per proxy.

    PYTHONPATH=. python perf/zero_cost.py [--n 30] [--preset nb201-mnist1d] [--batch-size 64]

Scores ``n`` random architectures (seeded) once with every proxy together (shared passes run
once) and reports, per proxy, the CPU seconds of computing it *alone* (network build + the
passes it needs, measured inside the shared run) as archs/s, and the ratio of the sum of the
alone-costs to the shared run's cost (how much sharing the passes saves), all from one run on one
torch thread.  CPU time (``time.process_time``) so a loaded machine does not distort it much.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--preset", default="nb201-mnist1d")
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    from nasbench.estimators.zero_cost import PROXIES, compute_proxies, make_batch, proxy_cost
    from nasbench.spaces.nb201 import NB201Space

    space = NB201Space()
    batches = make_batch(args.preset, 0, args.batch_size, 2)
    idx = np.random.default_rng(0).choice(space.size, args.n, replace=False)
    compute_proxies(space.from_index(int(idx[0])), args.preset, PROXIES, 0, batches, args.batch_size)  # warm-up
    tot: dict[str, float] = {}
    t0 = time.process_time()
    for i in idx:
        _, sec = compute_proxies(space.from_index(int(i)), args.preset, PROXIES, 0, batches, args.batch_size)
        for k, v in sec.items():
            tot[k] = tot.get(k, 0.0) + v
    shared = (time.process_time() - t0) / args.n
    per = {k: v / args.n for k, v in tot.items()}
    alone = proxy_cost(per)
    print(f"{args.preset}, batch {args.batch_size}, {args.n} architectures, one torch thread, CPU seconds")
    print(f"{'proxy':18s} {'s/arch alone':>12s} {'archs/s':>9s}")
    for q in PROXIES:
        print(f"{q:18s} {alone[q]:12.4f} {1.0 / alone[q]:9.1f}")
    print(f"{'all, shared passes':18s} {shared:12.4f} {1.0 / shared:9.1f}")
    print(f"sum of alone-costs / shared run: {sum(alone.values()) / shared:.1f}x "
          f"(passes: {', '.join(f'{k} {v:.4f}' for k, v in per.items())})")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
