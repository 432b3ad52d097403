"""Which batch size makes CPU latency follow the work on the size space (MNIST-1D preset)?

Usage: PYTHONPATH=. python perf/size_latency_pilot.py OUT.json [N_ARCHS] [BATCH ...]

Profiles ``N_ARCHS`` (default 150) architectures (a fixed random sample plus the all-min and
all-max widths) at each batch size (default 1 64 256 1024) with the static pass's settings
(one thread, eval mode, inference mode, median of 10 timed passes after 2 warm-up passes), in
two passes over the sample in opposite orders.  Reports per batch size: Spearman of latency with
MACs (does latency follow the work?), and repeat-to-repeat noise between the two passes
(median and 90th percentile of |log ratio|, Spearman between passes).  Run it on a quiet machine.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch
from scipy.stats import spearmanr

from nasbench._system import cpu_model
from nasbench.spaces import SizeMNIST1DSpace
from nasbench.train.models import build_model
from nasbench.train.models.size import size_counts
from nasbench.train.profile import measure_latency


def main(out: str, n: int = 150, batches=(1, 64, 256, 1024)) -> None:
    torch.set_num_threads(1)
    space = SizeMNIST1DSpace()
    idx = np.concatenate([[0, space.size - 1], np.random.default_rng(0).choice(space.size, n - 2, replace=False)])
    _, macs = size_counts(space.widths_of(idx), "size-mnist1d")
    models = [build_model(space.from_index(int(i)), "size-mnist1d", seeds=[0]).eval() for i in idx]
    for m in models[:3]:  # warm the allocator and kernels
        for b in batches:
            measure_latency(m, (1, 40), b, "cpu", 3, 1)
    lat = np.zeros((2, len(batches), len(idx)))
    t0 = time.time()
    for rep, order in enumerate((np.arange(len(idx)), np.arange(len(idx))[::-1])):
        for j in order:
            for k, b in enumerate(batches):
                lat[rep, k, j] = measure_latency(models[j], (1, 40), b, "cpu", 10, 2)
    res = {"cpu": cpu_model(), "torch": torch.__version__, "n_archs": int(len(idx)), "seconds": round(time.time() - t0, 1),
           "settings": "one thread, median of 10 timed passes after 2 warm-up passes, two passes in opposite orders",
           "batches": {}}
    for k, b in enumerate(batches):
        a, c = lat[0, k], lat[1, k]
        lr = np.abs(np.log(a / c))
        res["batches"][str(b)] = {
            "spearman_latency_macs": round(float(spearmanr(a, macs)[0]), 4),
            "spearman_between_passes": round(float(spearmanr(a, c)[0]), 4),
            "abs_log_ratio_q50": round(float(np.median(lr)), 4), "abs_log_ratio_q90": round(float(np.quantile(lr, 0.9)), 4),
            "latency_ms_min_median_max": [round(float(x), 4) for x in np.quantile(a, [0, 0.5, 1])],
            "all_min_ms": round(float(a[0]), 4), "all_max_ms": round(float(a[1]), 4)}
        print(b, res["batches"][str(b)], flush=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], int(args[1]) if len(args) > 1 else 150, tuple(int(b) for b in args[2:]) or (1, 64, 256, 1024))
