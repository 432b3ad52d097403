"""Training throughput on CPU: architecture-seed-epochs per second, optimised path vs a plain loop.

Both modes train the same N random architectures (``nb201-mnist1d`` preset, MNIST-1D, the
shipped table's trainer settings) with the same seeds for the same epochs, in this run:

(a) baseline: one process, torch's default thread count, seeds one after another
    (``TrainConfig(pack_seeds=False, threads=None)``);
(b) optimised: 2 worker processes with 1 torch thread each, the seeds of an architecture packed
    into one model (``pack_seeds=True``), architectures handed out one at a time;
(c) for attribution: one process, 1 torch thread, seeds one after another.

On a machine that is busy with other processes, torch's default multi-threading suffers far
more than single-threaded work (its threads wait for each other whenever one is descheduled),
so (a) drops sharply; compare (c) to see what packing and two processes bring on their own.

Process start-up and data loading are excluded from both timings (each mode first trains one
untimed warm-up architecture in every process).  Run:

    python perf/train_throughput.py [--archs 3] [--epochs 2] [--seeds 0 1 2]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time

import numpy as np

_W: dict = {}


def _config(epochs: int, pack: bool, threads):
    from nasbench.train.trainer import TrainConfig

    return TrainConfig(preset="nb201-mnist1d", epochs=epochs, batch_size=128, eval_batch_size=128,
                       device="cpu", threads=threads, pack_seeds=pack)


def _worker_init(epochs: int, seeds: tuple[int, ...], ready) -> None:
    import torch

    from nasbench.spaces import NB201Space
    from nasbench.train.data import mnist1d_task
    from nasbench.train.trainer import Trainer

    torch.set_num_threads(1)
    _W["task"] = mnist1d_task()
    _W["trainer"] = Trainer(_config(epochs, True, 1))
    _W["seeds"] = list(seeds)
    Trainer(_config(1, True, 1)).train(NB201Space().from_index(15624), _W["task"], _W["seeds"])  # warm-up
    ready.wait()  # the driver starts its clock once every worker is warm


def _train_index(i: int) -> float:
    from nasbench.spaces import NB201Space

    curve = _W["trainer"].train(NB201Space().from_index(int(i)), _W["task"], _W["seeds"])
    return float(np.mean(curve.final("val_acc")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archs", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample-seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    from nasbench.spaces import NB201Space
    from nasbench.train.data import mnist1d_task
    from nasbench.train.trainer import Trainer

    space = NB201Space()
    idx = space.as_indices(space.sample(args.sample_seed, args.archs))
    units = len(idx) * len(args.seeds) * args.epochs
    task = mnist1d_task()
    print(f"{len(idx)} random nb201-mnist1d architectures x {len(args.seeds)} seeds x {args.epochs} epochs "
          f"= {units} architecture-seed-epochs; {os.cpu_count()} CPUs, torch {torch.__version__}")

    def loop(threads):
        trainer = Trainer(_config(args.epochs, False, threads))
        Trainer(_config(1, False, threads)).train(space.from_index(15624), task, args.seeds)  # warm-up
        n_threads = torch.get_num_threads()
        t0 = time.perf_counter()
        acc = [float(np.mean(trainer.train(space.from_index(int(i)), task, args.seeds).final("val_acc")))
               for i in idx]
        return time.perf_counter() - t0, acc, n_threads

    # (a) baseline: torch's default threads, seeds one after another
    ta, acc_a, threads = loop(None)
    print(f"(a) baseline : 1 process, {threads} torch threads, sequential seeds: "
          f"{ta:7.1f} s  {units / ta:7.2f} arch-seed-epochs/s")

    # (b) optimised: worker processes, 1 thread each, packed seeds
    ctx = mp.get_context("spawn")
    ready = ctx.Barrier(args.workers + 1)
    with ctx.Pool(args.workers, initializer=_worker_init, initargs=(args.epochs, tuple(args.seeds), ready)) as pool:
        ready.wait()  # every worker has loaded the data and trained its warm-up architecture
        t0 = time.perf_counter()
        acc_b = list(pool.imap(_train_index, idx.tolist(), chunksize=1))
        tb = time.perf_counter() - t0
    print(f"(b) optimised: {args.workers} processes x 1 thread, packed seeds:        "
          f"{tb:7.1f} s  {units / tb:7.2f} arch-seed-epochs/s")
    # (c) attribution: one thread, seeds one after another
    tc, _, _ = loop(1)
    print(f"(c) reference: 1 process, 1 torch thread, sequential seeds:    "
          f"{tc:7.1f} s  {units / tc:7.2f} arch-seed-epochs/s")
    print(f"speed-up (b)/(a): {ta / tb:.2f}x   [(b)/(c): {tc / tb:.2f}x, (c)/(a): {ta / tc:.2f}x]")
    diff = np.max(np.abs(np.array(acc_a) - np.array(acc_b)))
    print(f"check: largest difference of mean final val_acc between (a) and (b): {diff:.3f} percentage points "
          "(grouped and plain convolutions round differently; SGD amplifies it a little)")


if __name__ == "__main__":
    main()
