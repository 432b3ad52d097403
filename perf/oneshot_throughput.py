"""Seconds per search epoch of DARTS / GDAS / SPOS-RE and of supernet training + scoring, on CPU
(one thread, process time: the table's clock) and on CUDA (wall, with and without AMP), on a
synthetic task of the mnist1d shapes (2000 train, 2000 val, (1, 40)), in one process.

    PYTHONPATH=. python perf/oneshot_throughput.py [--epochs 3] [--no-cpu]
Prints one JSON line per measurement and the CUDA/CPU ratios.
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from nasbench.estimators.supernet import Supernet
from nasbench.oneshot import OneShotConfig, search
from nasbench.train.data import synthetic_task


def main() -> None:
    ap = argparse.ArgumentParser(allow_abbrev=False)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--no-cpu", action="store_true")
    args = ap.parse_args()
    task = synthetic_task((1, 40), 10, (2000, 2000, 100), seed=0)
    devices = ([] if args.no_cpu else [("cpu", False)]) + ([("cuda", True), ("cuda", False)]
                                                           if torch.cuda.is_available() else [])
    res = {}
    for dev, amp in devices:
        for m in ("darts", "gdas", "spos-re"):
            r = search(OneShotConfig(method=m, epochs=args.epochs, device=dev, amp=amp), 0, task=task)
            s = float(np.median(r.seconds[1:])) if len(r.seconds) > 1 else float(r.seconds[0])
            res[(dev, amp, m)] = s
            print(json.dumps({"device": dev, "amp": amp, "what": f"{m} epoch", "seconds": s, "basis": r.basis}),
                  flush=True)
        est = Supernet("nb201-mnist1d", task, 0, device=dev, amp=amp).fit(args.epochs)
        est.estimate(np.arange(0, 15625, 50))
        for k, v in (("supernet epoch", est.cost_["setup_s"] / args.epochs), ("supernet score/arch", est.cost_["per_arch_s"])):
            res[(dev, amp, k)] = v
            print(json.dumps({"device": dev, "amp": amp, "what": k, "seconds": v, "basis": est.cost_["basis"]}),
                  flush=True)
    if torch.cuda.is_available() and not args.no_cpu:
        for (dev, amp, what), v in res.items():
            if dev == "cuda":
                print(f"{what:22s} amp={amp!s:5s} CPU/CUDA = {res[('cpu', False, what)] / v:.2f}")


if __name__ == "__main__":
    main()
