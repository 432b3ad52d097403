"""Training throughput on CUDA against one CPU thread, measured in the same run.

For each preset (``nb201-mnist1d`` on MNIST-1D when its data is available, else on a synthetic
task of the same shape; ``nb201-cifar10`` on a synthetic 3x32x32 task, since no CIFAR images
travel), the same N random architectures are trained with the same seeds packed into one model:

(a) baseline: CPU, 1 torch thread (how the shipped table was trained);
(b) CUDA, float32;
(c) CUDA, automatic mixed precision (bf16/fp16 autocast), channels-last for 2-D.

It prints architecture-seed-epochs per second and the ratios (b)/(a), (c)/(a), plus checks:
CUDA repeats give identical curves (deterministic kernels), and CUDA float32 agrees with the CPU
on the first epoch's training loss.  Run on a machine with a GPU:

    python perf/train_throughput_cuda.py [--archs 4] [--epochs 2] [--seeds 0 1 2]
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
    ap.add_argument("--archs", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--cifar-n", type=int, default=2048, help="synthetic CIFAR-shaped training examples")
    ap.add_argument("--cpu-archs", type=int, default=1,
                    help="architectures the CPU baseline trains for the 2-D preset (it is slow; rates are per "
                         "architecture-seed-epoch, so they compare)")
    args = ap.parse_args()

    import torch

    from nasbench.spaces import NB201Space
    from nasbench.train.data import load_task, synthetic_task
    from nasbench.train.trainer import TrainConfig, Trainer

    if not torch.cuda.is_available():
        raise SystemExit("needs a CUDA device (torch.cuda.is_available() is False)")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    space = NB201Space()
    idx = space.as_indices(space.sample(0, args.archs))
    try:
        mnist = load_task("mnist1d")
    except Exception as err:  # no mnist1d package / cache there
        print(f"mnist1d unavailable ({err}); using a synthetic (1, 40) task")
        mnist = synthetic_task((1, 40), 10, n=(4000, 2000, 2500), seed=0)
    cifar = synthetic_task((3, 32, 32), 10, n=(args.cifar_n, 512, 512), seed=0)
    cases = [("nb201-mnist1d", mnist, 128), ("nb201-cifar10", cifar, 256)]
    for preset, task, bs in cases:
        base = TrainConfig(preset=preset, epochs=args.epochs, batch_size=bs, eval_batch_size=bs, threads=1)
        res = {}
        for name, cfg in (("cpu-1thread", base.replace(device="cpu")),
                          ("cuda-fp32", base.replace(device="cuda", amp=False)),
                          ("cuda-amp", base.replace(device="cuda", amp=True))):
            tr = Trainer(cfg)
            Trainer(cfg.replace(epochs=1)).train(space.from_index(15624), task, args.seeds)  # warm-up
            todo = idx[:args.cpu_archs] if (cfg.device == "cpu" and preset != "nb201-mnist1d") else idx
            units = len(todo) * len(args.seeds) * args.epochs
            t0 = time.perf_counter()
            curves = [tr.train(space.from_index(int(i)), task, args.seeds) for i in todo]
            if cfg.device == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            res[name] = (dt / units, curves)
            print(f"{preset:14s} {name:12s} {dt:8.2f} s  {units / dt:9.2f} arch-seed-epochs/s")
        ta = res["cpu-1thread"][0]
        print(f"{preset:14s} {len(task.y_train)} training examples per epoch")
        print(f"{preset:14s} speed-up vs 1 CPU thread: fp32 {ta / res['cuda-fp32'][0]:.1f}x, "
              f"amp {ta / res['cuda-amp'][0]:.1f}x")
        again = Trainer(base.replace(device="cuda", amp=False)).train(space.from_index(int(idx[0])), task, args.seeds)
        same = all(np.array_equal(again.metrics[m], res["cuda-fp32"][1][0].metrics[m], equal_nan=True)
                   for m in again.metrics)
        d0 = max(np.max(np.abs(c.metrics["train_loss"][:, 0] - g.metrics["train_loss"][:, 0]) /
                        np.abs(c.metrics["train_loss"][:, 0]))
                 for c, g in zip(res["cpu-1thread"][1], res["cuda-fp32"][1]))
        dfin = max(np.max(np.abs(c.final("val_acc") - g.final("val_acc")))
                   for c, g in zip(res["cpu-1thread"][1], res["cuda-fp32"][1]))
        amp_ok = all(np.isfinite(c.metrics["val_acc"]).all() for c in res["cuda-amp"][1])
        print(f"{preset:14s} checks: CUDA repeat identical: {same}; epoch-1 train loss CUDA vs CPU rel diff "
              f"{d0:.2e}; final val_acc max |CUDA-CPU| {dfin:.2f} points; AMP finite: {amp_ok}")


if __name__ == "__main__":
    main()
