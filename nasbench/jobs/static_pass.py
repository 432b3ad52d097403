"""The quiet static pass: params, MACs and CPU latency of every NB201 architecture.

``profile_space(out_dir)`` profiles all 15,625 architectures (not only class representatives:
static metrics are per architecture) in one process with one torch thread, after a warm-up,
and writes ``out_dir/static/chunk-<start>.npz`` (architectures ``start .. start+chunk-1``)
atomically (temporary file + ``os.replace``) plus ``out_dir/static/meta.json``.  Rerunning the
same call resumes: chunks already holding every wanted index are skipped.  Run it on a quiet
machine (latency is wall time).  ``read_static(out_dir)`` gathers the chunks into whole-space
arrays.

Chunk arrays: ``index`` int64 ``(m,)`` (our NB201 index), ``params``, ``flops`` and
``latency_cpu_bs<k>`` float32 ``(m,)``.

Default timing: ``repeats=10`` timed passes after ``warmup=2`` per batch size.  Measured on this
project's 2-core machine (one torch thread) while a training job kept both cores busy (load
average about 5), a ``nb201-mnist1d`` architecture took 128 ms in total (build, MAC count,
12 passes at batch 1 and 12 at batch 256; the batch-256 passes dominate), i.e. about 33
minutes for the whole space; a quiet machine is faster.
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from nasbench._system import cpu_model

__all__ = ["profile_space", "read_static", "cpu_model", "STATIC_DIR"]

STATIC_DIR = "static"
N_ARCHS = 15625


def _metric_names(batch_sizes: Sequence[int]) -> list[str]:
    return ["params", "flops"] + [f"latency_cpu_bs{int(k)}" for k in batch_sizes]


def _chunk_path(static: Path, start: int) -> Path:
    return static / f"chunk-{start:05d}.npz"


def _load_chunk(path: Path) -> dict[str, np.ndarray] | None:
    if not path.exists():
        return None
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _write_atomic_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # never matches *.npz
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _write_atomic_json(path: Path, obj: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


_MUST_MATCH = ("space", "preset", "batch_sizes", "repeats", "warmup", "threads", "cpu")


def profile_space(out_dir: str | os.PathLike, preset: str = "nb201-mnist1d",
                  batch_sizes: Sequence[int] = (1, 256), repeats: int = 10, warmup: int = 2,
                  chunk: int = 500, progress: bool = True,
                  indices: Sequence[int] | np.ndarray | None = None, space: str | None = None) -> Path:
    """Profile every architecture of the space (or ``indices``) on the CPU into ``out_dir/static``.

    Parameters
    ----------
    out_dir : path
        Output folder; chunks and ``meta.json`` go to ``out_dir/static``.
    preset : str
        Network preset (``nasbench.train.PRESETS``).
    batch_sizes : sequence of int
        Latency batch sizes (one ``latency_cpu_bs<k>`` array each).
    repeats, warmup : int
        Timed and untimed forward passes per architecture and batch size (median reported).
    chunk : int
        Architectures per chunk file (by index range ``start .. start+chunk-1``).
    indices : array of int, optional
        Profile only these architecture indices (tests, partial passes); chunks are merged with
        what is already on disk.
    space : str, optional
        The space (``nb201``, ``size``, ``size-mnist1d``); default: ``nb201`` for NB201 presets,
        the preset's own space for size presets.

    Returns
    -------
    Path
        The ``static`` folder.

    Raises
    ------
    ValueError
        If ``out_dir/static/meta.json`` exists with other settings (``preset``, ``batch_sizes``,
        ``repeats``, ``warmup``, ``threads`` or CPU model), since mixing them would mix
        incomparable latencies.
    """
    import torch

    from nasbench.spaces import get_space
    from nasbench.train.models import PRESETS, SIZE_PRESETS
    from nasbench.train.models.size import size_space_of_preset

    if preset not in PRESETS and preset not in SIZE_PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS) + sorted(SIZE_PRESETS)}")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    batch_sizes = [int(k) for k in batch_sizes]
    if space is None:
        space = "nb201" if preset in PRESETS else size_space_of_preset(preset)
    space = get_space(space)
    wanted = np.arange(space.size, dtype=np.int64) if indices is None else \
        np.unique(space.as_indices(np.asarray(indices, dtype=np.int64).reshape(-1)))
    static = Path(out_dir) / STATIC_DIR
    static.mkdir(parents=True, exist_ok=True)

    threads_before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _profile_space(space, wanted, static, preset, batch_sizes, repeats, warmup, chunk, progress)
    finally:
        torch.set_num_threads(threads_before)


def _profile_space(space, wanted, static, preset, batch_sizes, repeats, warmup, chunk, progress) -> Path:
    import torch

    from nasbench.train.models import build_model, count_params, input_shape_of
    from nasbench.train.profile import UNITS, count_flops, measure_latency

    meta = {
        "space": space.name, "n_archs": space.size, "preset": preset,
        "input_shape": list(input_shape_of(preset)), "device": "cpu",
        "batch_sizes": batch_sizes, "repeats": int(repeats), "warmup": int(warmup),
        "threads": torch.get_num_threads(), "cpu": cpu_model(), "machine": platform.machine(),
        "torch": torch.__version__, "numpy": np.__version__, "chunk": int(chunk),
        "metrics": _metric_names(batch_sizes),
        "units": {"params": UNITS["params"], "flops": UNITS["flops"],
                  **{f"latency_cpu_bs{k}": f"ms per forward pass of a batch of {k}, median of "
                     f"{repeats} after {warmup} warm-up passes" for k in batch_sizes}},
        "flops_counts": "flops counts multiply-accumulates (MACs): torch FlopCounterMode FLOPs / 2; "
                        "convolutions and the linear head only",
        "latency_statistic": "median",
        "model_init": "build_model(arch, preset, seeds=[0]), eval mode, torch.inference_mode",
    }
    meta_path = static / "meta.json"
    if meta_path.exists():
        old = json.loads(meta_path.read_text())
        diff = {k: (old.get(k), meta[k]) for k in _MUST_MATCH if old.get(k) != meta[k]}
        if diff:
            raise ValueError(
                f"{meta_path} was written with other settings {diff} (old, new); use another out_dir "
                "or the same settings to resume"
            )
        meta["created"] = old.get("created")
    else:
        meta["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    _write_atomic_json(meta_path, meta)

    # plan: per chunk, the wanted indices not on disk yet
    plan = []
    for start in range(0, space.size, chunk):
        want = wanted[(wanted >= start) & (wanted < start + chunk)]
        if not len(want):
            continue
        have = _load_chunk(_chunk_path(static, start))
        done = have["index"] if have is not None else np.zeros(0, dtype=np.int64)
        todo = np.setdiff1d(want, done)
        if len(todo):
            plan.append((start, todo, have))
    if not plan:
        return static

    names = _metric_names(batch_sizes)
    input_shape = input_shape_of(preset)

    closed_form = space.name != "nb201"  # size spaces: exact closed-form params / MACs (tested equal)
    if closed_form:
        from nasbench.train.models.size import size_counts

    def measure(i: int) -> list[float]:
        arch = space.from_index(int(i))
        if closed_form:
            p, m = size_counts(np.array([space.widths(arch)]), preset)
            vals = [float(p[0]), float(m[0])]
            if not batch_sizes:
                return vals
            model = build_model(arch, preset, seeds=[0]).eval()
        else:
            model = build_model(arch, preset, seeds=[0]).eval()
            vals = [count_params(model), count_flops(model, input_shape)]
        vals += [measure_latency(model, input_shape, k, "cpu", repeats, warmup) for k in batch_sizes]
        return vals

    # warm-up: a few architectures, untimed, so allocator and kernels are hot
    for i in (0, space.size - 1, int(plan[0][1][0])):
        measure(i)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(sum(len(t) for _, t, _ in plan)), desc="profile-space", unit="arch")
    for start, todo, have in plan:
        rows = np.empty((len(todo), len(names)), dtype=np.float64)
        for r, i in enumerate(todo):
            rows[r] = measure(int(i))
            if bar is not None:
                bar.update(1)
        arrays = {"index": todo.astype(np.int64)}
        arrays.update({n: rows[:, c].astype(np.float32) for c, n in enumerate(names)})
        if have is not None:  # merge with what was there
            idx = np.concatenate([have["index"], arrays["index"]])
            order = np.argsort(idx, kind="stable")
            arrays = {k: np.concatenate([have[k], arrays[k]])[order] for k in arrays}
        _write_atomic_npz(_chunk_path(static, start), arrays)
    if bar is not None:
        bar.close()
    return static


def read_static(out_dir: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """Whole-space arrays from ``out_dir/static``.

    Returns
    -------
    values : dict of str -> ndarray, shape (15625,), float32
        ``params``, ``flops``, ``latency_cpu_bs<k>`` by our NB201 index; NaN where missing.
    meta : dict
        The contents of ``meta.json`` (units, batch sizes, repeats, CPU, torch version, ...).
    """
    static = Path(out_dir) / STATIC_DIR
    meta_path = static / "meta.json"
    if not meta_path.exists():
        raise FileNotFoundError(f"no static pass in {static}: {meta_path} is missing "
                                "(run `nasbench profile-space --out DIR` first)")
    meta = json.loads(meta_path.read_text())
    n = int(meta.get("n_archs", N_ARCHS))
    values = {name: np.full(n, np.nan, dtype=np.float32) for name in meta["metrics"]}
    for path in sorted(static.glob("chunk-*.npz")):
        with np.load(path) as f:
            idx = f["index"]
            for name in values:
                if name not in f.files:
                    raise ValueError(f"{path}: array {name!r} missing (has {sorted(f.files)})")
                values[name][idx] = f[name]
    return values, meta
