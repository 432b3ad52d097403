"""Ground-truth generation: train architectures and log their curves crash-safely.

``generate(GenerateConfig(...))`` trains one representative per equivalence class (or a given
list) with every seed, in worker processes (``executor="local"``) or on Ray
(``executor="ray"``), appending one fsync'd record per architecture to ``out``
(:mod:`nasbench.io.records`).  Rerunning the same command resumes: architectures with a
record are skipped, so nothing is trained twice and nothing already written is lost; a kill
loses only the architectures in flight.  ``nasbench merge`` turns the records into a table.
"""
from __future__ import annotations

import dataclasses
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from nasbench.io.records import Record, RecordWriter, read_records, write_manifest

__all__ = ["GenerateConfig", "generate", "plan", "train_one"]


@dataclass(frozen=True)
class GenerateConfig:
    """Settings of a generation run.

    ``archs``: explicit architecture indices to train (default: one representative of every
    class under ``rule``).  ``sample``: train only the first ``sample`` of the (shuffled)
    plan.  ``order_seed`` shuffles the plan.  ``retime``: instead of new architectures, re-run
    those whose record was timed by wall clock (older records) to re-measure their train time
    as CPU time; training is deterministic, so their metrics do not change.
    """

    out: str
    space: str = "nb201"
    task: str = "mnist1d"
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 10
    workers: int = 2
    executor: str = "local"
    ray_address: str | None = None
    rule: str = "function"
    archs: tuple[int, ...] | None = None
    sample: int | None = None
    order_seed: int = 0
    preset: str = "nb201-mnist1d"
    batch_size: int = 128
    eval_batch_size: int = 128
    lr: float = 0.1
    weight_decay: float = 5e-4
    device: str = "cpu"
    data_root: str | None = None
    retime: bool = False


def _train_config(cfg: GenerateConfig):
    from nasbench.train.trainer import TrainConfig

    return TrainConfig(preset=cfg.preset, epochs=cfg.epochs, batch_size=cfg.batch_size,
                       eval_batch_size=cfg.eval_batch_size, lr=cfg.lr,
                       weight_decay=cfg.weight_decay, device=cfg.device, threads=1)


def manifest_of(cfg: GenerateConfig) -> dict:
    """What must match for records to be merged into one table."""
    tc = dataclasses.asdict(_train_config(cfg))
    tc.pop("device")
    tc.pop("threads")
    from nasbench.spaces import get_space

    man = {"space": cfg.space, "task": cfg.task, "seeds": list(cfg.seeds), "epochs": cfg.epochs,
           "rule": cfg.rule, "rule_classes": int(len(get_space(cfg.space).unique_indices(cfg.rule))), "trainer": tc,
           "data_root": cfg.data_root, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if cfg.space != "nb201":
        from nasbench.jobs.size_plan import HOLDOUT_FRACTION, HOLDOUT_SEED

        man.update(plan="latin-hypercube blocks (nasbench.jobs.size_plan)", order_seed=cfg.order_seed,
                   holdout={"seed": HOLDOUT_SEED, "fraction": HOLDOUT_FRACTION,
                            "rule": "nasbench.jobs.size_plan.is_holdout(index)"})
    return man


def plan(cfg: GenerateConfig) -> np.ndarray:
    """Architecture indices to train, in training order (before skipping finished ones)."""
    from nasbench.spaces import NB201Space, get_space

    space = get_space(cfg.space)
    if cfg.archs is not None:
        idx = np.unique(np.asarray(cfg.archs, dtype=np.int64))
        space.as_indices(idx)  # range check
        return idx
    if cfg.space != "nb201":  # a size space: stratified sample (pilot landmarks first)
        from nasbench.jobs.size_plan import size_plan

        return size_plan(space, cfg.sample if cfg.sample is not None else 2048, cfg.order_seed)
    space = NB201Space()
    # classes in the order their members appear in a random permutation of the whole space:
    # big classes tend to come first, so a partial table covers many rows early (its rows
    # lean towards cells with dead or repeated edges until the run completes)
    cls_all = space.class_index(cfg.rule)
    seen = cls_all[np.random.default_rng(cfg.order_seed).permutation(space.size)]
    _, first = np.unique(seen, return_index=True)
    reps = seen[np.sort(first)]
    # landmark cells first (all-skip, all-pool, all-conv): a pilot can compare against them
    cls = space.class_index(cfg.rule)
    marks = [int(cls[space.index(space.arch((o,) * 6))]) for o in (1, 4, 3, 2)]
    reps = np.concatenate([marks, [r for r in reps if r not in marks]]).astype(np.int64)
    return reps[: cfg.sample] if cfg.sample is not None else reps


# ---------------------------------------------------------------- worker side
_WORKER: dict = {}


def _worker_init(cfg: GenerateConfig) -> None:
    import torch

    from nasbench.train.data import load_task
    from nasbench.train.trainer import Trainer

    torch.set_num_threads(1)
    kwargs = {"root": cfg.data_root} if cfg.data_root else {}
    _WORKER["task"] = load_task(cfg.task, **kwargs)
    _WORKER["trainer"] = Trainer(_train_config(cfg))
    _WORKER["seeds"] = list(cfg.seeds)
    _WORKER["retime"] = bool(cfg.retime)
    from nasbench.spaces import get_space

    _WORKER["space"] = get_space(cfg.space)


def train_one(index: int) -> Record:
    """Train architecture ``index`` with every seed (in a worker initialised by ``_worker_init``)."""
    arch = _WORKER["space"].from_index(int(index))
    t0 = time.perf_counter()
    curve = _WORKER["trainer"].train(arch, _WORKER["task"], _WORKER["seeds"])
    arrays = {k: v.astype(np.float32) for k, v in curve.metrics.items()}
    arrays["train_time"] = curve.train_time.astype(np.float32)
    arrays["diverged"] = curve.diverged
    arrays["seeds"] = curve.seeds
    info = dict(curve.info, wall_s=round(time.perf_counter() - t0, 3), pid=os.getpid())
    if _WORKER.get("retime"):
        info["retime"] = True
    return Record(int(index), arrays, info)


def _train_one_ray(cfg: GenerateConfig, index: int) -> Record:  # pragma: no cover - via ray
    if not _WORKER:
        _worker_init(cfg)
    return train_one(index)


# ---------------------------------------------------------------- driver side
@dataclass
class GenerateReport:
    planned: int
    done_before: int
    trained: int
    out: str
    seconds: float
    failures: list = field(default_factory=list)


def generate(cfg: GenerateConfig, progress: bool = True) -> GenerateReport:
    """Run (or resume) a generation; returns counts.  Safe to kill at any time."""
    out = Path(cfg.out)
    write_manifest(out, manifest_of(cfg))
    todo_all = plan(cfg)
    recs = read_records(out)
    done = set(recs)
    if cfg.retime:
        # re-run (deterministically) the records timed by wall clock, to re-measure their
        # train time as CPU time; metrics are unchanged, the new record supersedes the old
        todo_all = np.array(sorted(i for i, r in recs.items() if r.info.get("time_basis", "wall") == "wall"),
                            dtype=np.int64)
        done = set()
        todo = [int(i) for i in todo_all]
    elif cfg.archs is None:
        # records are per architecture; a class with any trained member is done (this keeps
        # earlier records useful if the plan's representatives change)
        from nasbench.spaces import get_space

        cls = get_space(cfg.space).class_index(cfg.rule)
        done_classes = {int(cls[i]) for i in done}
        todo = [int(i) for i in todo_all if int(cls[i]) not in done_classes]
    else:
        todo = [int(i) for i in todo_all if int(i) not in done]
    t0 = time.perf_counter()
    report = GenerateReport(len(todo_all), len(todo_all) - len(todo), 0, str(out), 0.0)
    if not todo:
        return report
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo_all), initial=report.done_before, desc="generate", unit="arch",
                   smoothing=0.05)
    run_id = time.strftime("%Y%m%dT%H%M%S") + f"-{platform.node()[:12]}-{os.getpid()}"
    with RecordWriter(out, run_id) as writer:
        for rec in _execute(cfg, todo):
            writer.append(rec)
            report.trained += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(val=f"{np.nanmean(rec.arrays['val_acc'][:, -1]):.1f}")
    if bar is not None:
        bar.close()
    report.seconds = time.perf_counter() - t0
    return report


def _execute(cfg: GenerateConfig, todo: Sequence[int]):
    if cfg.executor == "local":
        if cfg.workers <= 1:
            _worker_init(cfg)
            for i in todo:
                yield train_one(i)
            return
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        with ctx.Pool(cfg.workers, initializer=_worker_init, initargs=(cfg,), maxtasksperchild=200) as pool:
            yield from pool.imap_unordered(train_one, todo, chunksize=1)
        return
    if cfg.executor == "ray":
        from nasbench.jobs import _ray_exec

        yield from _ray_exec.run(cfg, todo)
        return
    raise ValueError(f"unknown executor {cfg.executor!r}; choose local or ray")
