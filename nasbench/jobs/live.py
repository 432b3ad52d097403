"""Interactive live jobs behind ``nasbench train`` and ``nasbench profile``.

Each job is a frozen dataclass built by the CLI and run by one function that prints a small
report and returns an exit code.  torch is imported inside the functions.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

import numpy as np

__all__ = ["TrainJob", "run_train", "ProfileJob", "run_profile", "default_preset"]

_TASK_PRESETS = {
    "mnist1d": "nb201-mnist1d",
    "synthetic": "nb201-mnist1d",
    "cifar10": "nb201-cifar10",
    "cifar100": "nb201-cifar100",
    "imagenet16-120": "nb201-imagenet16-120",
}


def default_preset(task: str) -> str:
    """``nb201-<task>``; the synthetic task uses the ``nb201-mnist1d`` network."""
    try:
        return _TASK_PRESETS[task.lower()]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; choose from {sorted(_TASK_PRESETS)}") from None


@dataclass(frozen=True)
class TrainJob:
    """Train one architecture (``nasbench train``).

    ``arch`` is a NAS-Bench-201 string; ``preset`` defaults to :func:`default_preset` of
    ``task``; ``batch_size`` defaults to 128 for mnist1d / synthetic (the shipped table's
    setting) and NB201's 256 otherwise; ``threads`` ``None`` keeps torch's default on CPU.
    """

    arch: str
    task: str = "mnist1d"
    preset: str | None = None
    epochs: int = 10
    seeds: tuple[int, ...] = (0,)
    batch_size: int | None = None
    device: str = "auto"
    threads: int | None = None
    data_root: str | None = None
    progress: bool = True


def _load_task(job: TrainJob, preset: str):
    from nasbench.train.data import load_task
    from nasbench.train.models import PRESETS

    task = job.task.lower()
    if task == "synthetic":
        cfg = PRESETS[preset]
        return load_task("synthetic", input_shape=cfg.input_shape, n_classes=cfg.n_classes, seed=0)
    if task in ("cifar10", "cifar100", "imagenet16-120"):
        return load_task(task, job.data_root)
    return load_task(task)


def run_train(job: TrainJob, out: TextIO | None = None) -> int:
    """Train ``job.arch`` with every seed, show a progress bar, print the learning curve.

    The table lists per epoch the mean over seeds of train loss/accuracy, validation and test
    accuracy (%) and the cumulative training seconds per seed.
    """
    out = out or sys.stdout
    from nasbench.spaces import NB201Space
    from nasbench.train.models import PRESETS
    from nasbench.train.trainer import TrainConfig, Trainer

    arch = NB201Space().from_string(job.arch)
    preset = job.preset or default_preset(job.task)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    if job.epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {job.epochs}")
    small = job.task.lower() in ("mnist1d", "synthetic")
    batch = job.batch_size or (128 if small else 256)
    cfg = TrainConfig(preset=preset, epochs=int(job.epochs), batch_size=int(batch), device=job.device,
                      threads=job.threads)
    task = _load_task(job, preset)
    if tuple(task.input_shape) != tuple(PRESETS[preset].input_shape):
        raise ValueError(f"task {task.name!r} has inputs {task.input_shape} but preset {preset!r} expects "
                         f"{PRESETS[preset].input_shape}")
    curve = Trainer(cfg).train(arch, task, list(job.seeds), progress=job.progress)
    m = curve.metrics
    print(f"arch    {job.arch}", file=out)
    print(f"task    {task.name} (sha256 {task.meta.get('sha256')}), preset {preset}, "
          f"device {curve.info['device']}, seeds {list(map(int, curve.seeds))}", file=out)
    header = f"{'epoch':>5} {'train_loss':>10} {'train_acc':>9} {'val_acc':>8} {'test_acc':>8} {'time_s':>8}"
    print(header, file=out)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns after divergence
            for e, ep in enumerate(curve.epochs):
                print(f"{int(ep):>5} {np.nanmean(m['train_loss'][:, e]):>10.4f} "
                      f"{np.nanmean(m['train_acc'][:, e]):>9.2f} {np.nanmean(m['val_acc'][:, e]):>8.2f} "
                      f"{np.nanmean(m['test_acc'][:, e]):>8.2f} {np.mean(curve.train_time[:, e]):>8.2f}",
                      file=out)
    if len(curve.seeds) > 1:
        print("(accuracy in %, mean over seeds; time_s: cumulative training seconds per seed)", file=out)
    else:
        print("(accuracy in %; time_s: cumulative training seconds)", file=out)
    if curve.diverged.any():
        bad = [int(s) for s, d in zip(curve.seeds, curve.diverged) if d]
        print(f"diverged (loss became NaN/inf) for seed(s) {bad}; their metrics are NaN from then on",
              file=out)
    return 0


@dataclass(frozen=True)
class ProfileJob:
    """Profile one architecture (``nasbench profile``): params, MACs, latency.

    ``threads``: torch CPU threads while timing (default 1, as the static pass of the tables
    measures; ``None`` keeps torch's default).
    """

    arch: str
    preset: str = "nb201-cifar10"
    device: str = "cpu"
    batch_sizes: tuple[int, ...] = (1, 256)
    repeats: int = 20
    warmup: int = 5
    threads: int | None = 1


def run_profile(job: ProfileJob, out: TextIO | None = None) -> int:
    """Print params (M), MACs (M) and median latency (ms) per batch size, with units."""
    out = out or sys.stdout
    from nasbench.spaces import NB201Space
    from nasbench.train.profile import profile_arch

    import torch

    arch = NB201Space().from_string(job.arch)
    before = torch.get_num_threads()
    if job.threads is not None:
        torch.set_num_threads(int(job.threads))
    try:
        res = profile_arch(arch, job.preset, device=job.device, batch_sizes=job.batch_sizes,
                           repeats=job.repeats, warmup=job.warmup)
    finally:
        torch.set_num_threads(before)
    shape = "x".join(map(str, res["input_shape"]))
    print(f"arch     {job.arch}", file=out)
    print(f"preset   {job.preset} (input {shape}), device {res['device']}, torch {res['torch']}"
          + (f", {res['threads']} thread(s)" if res["threads"] else ""), file=out)
    print(f"params   {res['params']:.6f} M (trainable parameters, millions)", file=out)
    print(f"flops    {res['flops']:.4f} M MACs per example (multiply-accumulates = torch FLOPs / 2)",
          file=out)
    dev = res["device"].split(":")[0]
    for k in res["batch_sizes"]:
        print(f"latency  {res[f'latency_{dev}_bs{k}']:.3f} ms at batch size {k} "
              f"(median of {res['repeats']} after {res['warmup']} warm-up passes)", file=out)
    return 0
