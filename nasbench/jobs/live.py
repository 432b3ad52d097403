"""Interactive live jobs behind ``nasbench train`` and ``nasbench profile``.

Each job is a frozen dataclass built by the CLI and run by one function that prints a small
report and returns an exit code.  torch is imported inside the functions.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import TextIO

import numpy as np

__all__ = ["TrainJob", "run_train", "train_config", "compare_to_table", "run_reproduce", "ProfileJob", "run_profile", "default_preset"]

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
    ``task``.  For mnist1d / synthetic every unset option defaults to the shipped table's
    trainer (``MNIST1D_TABLE_CONFIG``: CPU, one thread, batch 128, seeds 0 1 2 trained as one
    pack), so that training a table row's class representative reproduces the row bit for
    bit on the same torch version and CPU; other tasks default to NB201's batch 256, seed 0,
    CUDA when present and torch's default threads.  ``compare``: a table (name or path) to
    compare the result with, row by row (``"auto"``: the shipped ``nb201-mnist1d`` table when
    the task and every setting match it; ``None``: no comparison).
    """

    arch: str
    task: str = "mnist1d"
    preset: str | None = None
    epochs: int = 10
    seeds: tuple[int, ...] | None = None
    batch_size: int | None = None
    device: str | None = None
    threads: int | None = None
    data_root: str | None = None
    progress: bool = True
    compare: str | None = "auto"


def train_config(job: TrainJob, preset: str):
    """The :class:`~nasbench.train.trainer.TrainConfig` and seeds a job trains with."""
    from nasbench.train.trainer import MNIST1D_TABLE_CONFIG, MNIST1D_TABLE_SEEDS, TrainConfig

    if job.epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {job.epochs}")
    if job.task.lower() in ("mnist1d", "synthetic"):
        base, seeds = MNIST1D_TABLE_CONFIG.replace(preset=preset), MNIST1D_TABLE_SEEDS
    else:
        base, seeds = TrainConfig(preset=preset, device="auto", threads=None), (0,)
    cfg = base.replace(epochs=int(job.epochs))
    if job.batch_size is not None:
        cfg = cfg.replace(batch_size=int(job.batch_size))
    if job.device is not None:
        cfg = cfg.replace(device=job.device)
    if job.threads is not None:
        cfg = cfg.replace(threads=int(job.threads) or None)
    return cfg, tuple(int(s) for s in (job.seeds if job.seeds is not None else seeds))


def compare_to_table(curve, bench) -> dict:
    """Compare a live :class:`~nasbench.train.trainer.LearningCurve` with a table row, bit for bit.

    The row of ``curve.arch`` holds the results of its class representative (members of a
    class compute the same function and share one training); only training that
    representative, with the table's seeds packed the same way, can reproduce it exactly.

    Returns a dict: ``row``, ``representative`` (index), ``is_representative``, ``seeds``
    compared, ``identical`` (every per-epoch metric equal as float32, the table's dtype),
    ``max_abs_diff`` per metric, ``first_diff_epoch`` (1-based, or None), the table's training
    provenance (``table_cpu``, ``table_capability``, ``table_torch``) and this run's.
    """
    space = bench.space
    row = int(space.index(curve.arch))
    cls = bench.arch_class
    rep = int(cls[row]) if cls is not None else row
    tseeds = [int(s) for s in np.asarray(getattr(bench, "seeds", np.arange(bench.n_seeds)))]
    out = {"row": row, "representative": rep, "is_representative": rep == row, "seeds": [], "identical": False,
           "max_abs_diff": {}, "first_diff_epoch": None,
           "table_cpu": bench.attrs.get("host_cpu"), "table_capability": bench.attrs.get("cpu_capability"),
           "table_torch": bench.attrs.get("torch"), "run_cpu": curve.info.get("host_cpu"),
           "run_capability": curve.info.get("cpu_capability"), "run_torch": curve.info.get("torch")}
    E = len(curve.epochs)
    if list(map(int, bench.fidelities))[:E] != list(map(int, curve.epochs)):
        return out
    same = True
    first = None
    for j, s in enumerate(map(int, curve.seeds)):
        if s not in tseeds:
            continue
        out["seeds"].append(s)
        k = tseeds.index(s)
        ev = bench.query(np.array([row]), fidelity=None, trial=k, metrics=list(curve.metrics))
        for m, live in curve.metrics.items():
            t = np.asarray(ev.values[m][0, :E], dtype=np.float32)
            v = np.asarray(live[j], dtype=np.float32)
            eq = (t == v) | (np.isnan(t) & np.isnan(v))
            d = np.abs(t.astype(np.float64) - v)
            out["max_abs_diff"][m] = float(max(out["max_abs_diff"].get(m, 0.0), np.nanmax(d) if d.size else 0.0))
            if not eq.all():
                same = False
                e = int(np.flatnonzero(~eq)[0]) + 1
                first = e if first is None else min(first, e)
    out["identical"] = bool(same and out["seeds"])
    out["first_diff_epoch"] = first
    return out


def _table_to_compare(job: TrainJob, cfg, seeds):
    """The table ``job.compare`` names, or for ``"auto"`` the shipped one when every setting matches."""
    if job.compare is None:
        return None
    from nasbench.benchmarks.tabular import load_benchmark

    if job.compare != "auto":
        return load_benchmark(job.compare)
    if job.task.lower() != "mnist1d":
        return None
    try:
        bench = load_benchmark("nb201-mnist1d")
    except Exception:  # no shipped table here (e.g. a wheel without data): nothing to compare
        return None
    tc = dict(bench.attrs.get("trainer") or {})
    mine = dataclasses.asdict(cfg)
    keys = [k for k in tc if k not in ("device", "threads")]
    if any(mine.get(k) != tc[k] for k in keys) or cfg.device != "cpu" or cfg.threads != 1:
        return None
    if tuple(int(s) for s in bench.seeds) != tuple(seeds):
        return None
    return bench


def _print_comparison(c: dict, bench, out) -> None:
    name = getattr(bench, "name", "table")
    what = "val_acc" if "val_acc" in c["max_abs_diff"] else next(iter(c["max_abs_diff"]), None)
    print(f"table   {name}, row {c['row']}, seeds {c['seeds']}:", end=" ", file=out)
    if c["identical"]:
        print("identical, bit for bit (every per-epoch metric)", file=out)
    else:
        diff = f"{c['max_abs_diff'].get(what, float('nan')):.2f}" if what else "?"
        print(f"differs from epoch {c['first_diff_epoch']} (max |diff| {what} {diff} points)", file=out)
    if not c["is_representative"]:
        print(f"        this row's results come from its class representative, row {c['representative']} "
              f"({bench.space.to_string(bench.space.from_index(c['representative']))}), which computes the "
              "same function; train that architecture to reproduce the row", file=out)
    print(f"        table trained on {c['table_cpu']} (torch {c['table_torch']}, CPU capability "
          f"{c['table_capability'] or 'not recorded'}); this run: {c['run_cpu']} (torch {c['run_torch']}, "
          f"{c['run_capability']}). Bit-equality holds only for the same torch, CPU and seed pack", file=out)


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
    from nasbench.train.trainer import Trainer

    arch = NB201Space().from_string(job.arch)
    preset = job.preset or default_preset(job.task)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    cfg, seeds = train_config(job, preset)
    task = _load_task(job, preset)
    if tuple(task.input_shape) != tuple(PRESETS[preset].input_shape):
        raise ValueError(f"task {task.name!r} has inputs {task.input_shape} but preset {preset!r} expects "
                         f"{PRESETS[preset].input_shape}")
    curve = Trainer(cfg).train(arch, task, list(seeds), progress=job.progress)
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
    bench = _table_to_compare(job, cfg, seeds)
    if bench is not None:
        _print_comparison(compare_to_table(curve, bench), bench, out)
    return 0


def run_reproduce(table: str = "nb201-mnist1d", sample: int = 5, seed: int = 0, out: TextIO | None = None,
                  progress: bool = True) -> dict:
    """Retrain ``sample`` random class representatives of ``table`` with its recorded trainer
    settings and seed pack; print, per row, whether the result is bit-identical and a summary.

    Returns ``{"rows": [...compare dicts...], "identical": int, "final_val_abs_diff": (n, n_seeds)}``.
    Only tables made by ``nasbench generate`` (with a ``trainer`` attribute) can be retrained.
    """
    out = out or sys.stdout
    from nasbench.benchmarks.tabular import load_benchmark
    from nasbench.train.data import load_task
    from nasbench.train.trainer import TrainConfig, Trainer

    bench = load_benchmark(table)
    tc = bench.attrs.get("trainer")
    if not tc:
        raise ValueError(f"{bench.name}: no 'trainer' attribute; only tables made by nasbench generate can be "
                         "retrained")
    task_name = bench.attrs.get("task", "mnist1d")
    cfg = TrainConfig(**{**tc, "device": "cpu", "threads": 1})
    seeds = [int(s) for s in bench.seeds]
    cls = bench.arch_class
    have = np.flatnonzero(np.isfinite(bench.table("val_acc" if "val_acc" in bench.metrics else bench.metrics[0])))
    reps = np.unique(cls[have]) if cls is not None else have  # trained representatives only
    chosen = np.sort(np.random.default_rng(seed).choice(reps, size=min(int(sample), len(reps)), replace=False))
    task = load_task(task_name)
    trainer = Trainer(cfg)
    rows, diffs = [], []
    for i in chosen:
        curve = trainer.train(bench.space.from_index(int(i)), task, seeds, progress=False)
        c = compare_to_table(curve, bench)
        ev = [bench.query(np.array([int(i)]), fidelity=bench.max_fidelity, trial=k, metrics=["val_acc"]).values["val_acc"][0]
              for k in range(len(seeds))]
        d = np.abs(np.asarray(ev, dtype=np.float64) - curve.final("val_acc"))
        diffs.append(d)
        rows.append(c)
        if progress:
            tab = np.round(np.asarray(ev, dtype=np.float64), 2).tolist()
            print(f"row {int(i):5d}: {'identical' if c['identical'] else 'differs'}; final val_acc per seed "
                  f"table {tab} live {np.round(curve.final('val_acc'), 2).tolist()}", file=out)
    diffs = np.asarray(diffs)
    n_same = sum(r["identical"] for r in rows)
    print(f"{n_same} of {len(rows)} rows bit-identical; final val_acc |table - live| per seed: median "
          f"{np.median(diffs):.2f}, max {np.max(diffs):.2f} points", file=out)
    if rows:
        r = rows[0]
        print(f"table trained on {r['table_cpu']} (torch {r['table_torch']}, CPU capability "
              f"{r['table_capability'] or 'not recorded'}); this machine: {r['run_cpu']} (torch {r['run_torch']}, "
              f"{r['run_capability']})", file=out)
    return {"rows": rows, "identical": n_same, "final_val_abs_diff": diffs}


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
