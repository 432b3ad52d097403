"""Pilot of the size space on MNIST-1D: train width vectors with the table's settings.

Usage: PYTHONPATH=. python perf/size_pilot.py OUT.json [--eval-batch N] W:W:W:W:W [...]

Trains each width vector with seeds 0 and 1 packed (CPU, one thread, 10 epochs, batch 128,
as ``nasbench generate`` does) and prints / writes final val and test accuracy per seed, the
training CPU time (``time.process_time``, the generator's basis) and the whole call's CPU time
(evaluation included), params and MACs.  Widths need not be candidates of the space (the pilot
chooses the candidates).
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch

from nasbench.train import load_task
from nasbench.train.models import build_size_model, count_params
from nasbench.train.profile import count_flops
from nasbench.train.trainer import MNIST1D_TABLE_CONFIG, Trainer


def main(out: str, vectors: list[str], eval_batch: int = 128) -> None:
    torch.set_num_threads(1)
    task = load_task("mnist1d")
    cfg = MNIST1D_TABLE_CONFIG.replace(preset="size-mnist1d", eval_batch_size=eval_batch)
    trainer = Trainer(cfg)
    rows = []
    import nasbench.train.trainer as tr

    for vec in vectors:
        widths = [int(w) for w in vec.split(":")]
        orig = tr.build_model
        tr.build_model = lambda arch, preset, seeds: build_size_model(widths, preset, seeds=seeds)  # noqa: E731
        try:
            c0 = time.process_time()
            curve = trainer.train(None, task, [0, 1])
            call_cpu = time.process_time() - c0
        finally:
            tr.build_model = orig
        m = build_size_model(widths, "size-mnist1d", seeds=[0])
        row = {"widths": vec, "eval_batch": eval_batch, "val_acc": curve.metrics["val_acc"][:, -1].round(2).tolist(),
               "test_acc": curve.metrics["test_acc"][:, -1].round(2).tolist(),
               "train_cpu_s_per_seed": round(float(curve.train_time[0, -1]), 3),
               "call_cpu_s": round(call_cpu, 3), "params_M": round(count_params(m), 5),
               "macs_M": round(count_flops(m, (1, 40)), 4)}
        print(json.dumps(row), flush=True)
        rows.append(row)
        with open(out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    args = sys.argv[2:]
    eb = 128
    if args and args[0] == "--eval-batch":
        eb, args = int(args[1]), args[2:]
    main(sys.argv[1], args, eb)
