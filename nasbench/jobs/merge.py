"""Merge a generation's records (``nasbench generate --out DIR``) into one HDF5 table.

``merge_records(DIR, OUT)`` reads ``manifest.json`` and every complete record
(:mod:`nasbench.io.records`), and writes a table (:func:`nasbench.io.hdf5.write_table`) with one
row per architecture of the space:

* a trained architecture's row holds its own record;
* every other member of its equivalence class (``NB201Space().class_index(rule)`` with the
  run's ``rule``) gets the same values (functional equivalence: same network, same results);
* rows of a class without any record are NaN, so a partial run is already a valid, partial
  table (``TabularBenchmark.coverage()``);
* ``/archs/class`` maps each row to the row whose record filled it (for unfilled rows, to the
  class representative that would be trained).

A seed that diverged has NaN metrics from the epoch it diverged on (as the trainer records
them).  Static metrics (params, FLOPs, latency: one value per *architecture*, never shared by
class) come from ``static_dir/static/*.npz`` when given: each archive holds ``index`` ``(k,)``
and one ``(k,)`` array per metric; ``meta.json`` beside them gives units and provenance.
Merging never modifies the records directory and can run while the generation continues.
"""
from __future__ import annotations

import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np

from nasbench._system import cpu_model
from nasbench.benchmarks.base import PER_EPOCH_METRICS
from nasbench.io.hdf5 import write_table
from nasbench.io.records import RecordsError, read_manifest, read_records

__all__ = ["merge_records", "cpu_model"]

#: what each split of a task is (written into the metric attrs)
_SPLITS = {
    "mnist1d": {"train": "2,000 training samples of the MNIST-1D dataset (nasbench.train.data.MNIST1D_SPLIT)",
                "val": "2,000 other samples of the MNIST-1D training part, never trained on",
                "test": "the 2,500 MNIST-1D test samples"},
    "synthetic": {"train": "256 random samples (nasbench.train.data.synthetic_task)",
                  "val": "128 other random samples", "test": "128 other random samples"},
}
_MEANING = {
    "train": "running mean over the epoch's mini-batches (train mode)",
    "val": "evaluated after each epoch (eval mode); use it to choose architectures",
    "test": "evaluated after each epoch (eval mode); report it, never select on it",
}


def _read_static(static_dir: Path, n: int) -> tuple[dict, dict, dict]:
    """``(values {name: (n,) float32}, attrs {name: dict}, provenance dict)``."""
    d = Path(static_dir)
    folder = d / "static" if (d / "static").is_dir() else d
    files = [p for p in sorted(folder.glob("*.npz")) if not p.name.startswith(".")]  # skip temp files
    if not files:
        raise FileNotFoundError(f"{static_dir}: no static/*.npz files (run the static pass first)")
    values: dict[str, np.ndarray] = {}
    seen = np.zeros(n, dtype=bool)
    for path in files:
        with np.load(path) as f:
            if "index" not in f.files:
                raise ValueError(f"{path}: no 'index' array")
            idx = np.asarray(f["index"], dtype=np.int64).reshape(-1)
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise ValueError(f"{path}: indices outside 0..{n - 1}")
            dup = seen[idx]
            if dup.any():
                warnings.warn(f"{path}: {int(dup.sum())} architecture(s) already read from another file; "
                              "the first value is kept")
            keep = ~dup
            for name in f.files:
                if name == "index":
                    continue
                arr = np.asarray(f[name])
                if arr.shape != idx.shape or not np.issubdtype(arr.dtype, np.number):
                    continue  # not a per-architecture metric (e.g. a scalar setting)
                col = values.setdefault(name, np.full(n, np.nan, dtype=np.float32))
                col[idx[keep]] = arr[keep]
            seen[idx] = True
    meta: dict = {}
    for mp in (folder / "meta.json", d / "meta.json"):
        if mp.is_file():
            meta = json.loads(mp.read_text())
            break
    units = meta.get("units", {}) if isinstance(meta.get("units"), dict) else {}
    attrs = {}
    for name in values:
        a: dict = {"source": "static pass (one value per architecture)"}
        if isinstance(meta.get(name), dict):
            a.update(meta[name])
        if name in units:
            if name.startswith("latency_") and str(units[name]).startswith("ms "):
                a["unit"], a["measurement"] = "ms", units[name]
            else:
                a["unit"] = units[name]
        if name == "flops" and isinstance(meta.get("flops_counts"), str):
            a["counts"] = meta["flops_counts"]
        if name.startswith("latency_") and "_bs" in name:
            a.setdefault("batch_size", int(name.rsplit("_bs", 1)[1]) if name.rsplit("_bs", 1)[1].isdigit() else None)
            a.setdefault("device", name[len("latency_"):].rsplit("_bs", 1)[0])
        attrs[name] = {k: v for k, v in a.items() if v is not None}
    prov = {k: v for k, v in meta.items() if k != "units" and k not in values}
    prov["files"] = [p.name for p in files]
    prov["architectures_covered"] = int(seen.sum())
    return values, attrs, prov


def merge_records(records_dir, out_path, static_dir=None) -> Path:
    """Merge the records in ``records_dir`` into the table ``out_path``; returns its path.

    Parameters
    ----------
    records_dir : path
        A ``nasbench generate`` output directory (``manifest.json`` + ``records-*.log``).
    out_path : path
        The table to write (atomically; an existing file is replaced).
    static_dir : path, optional
        Directory with ``static/*.npz`` (+ ``meta.json``) from the static pass.

    Raises
    ------
    RecordsError
        No manifest, or a record that does not match it (seeds, epochs).
    """
    from nasbench.spaces import SPACES, get_space

    records_dir = Path(records_dir)
    man = read_manifest(records_dir)
    if man.get("space") not in SPACES:
        raise RecordsError(f"{records_dir}: unknown space {man.get('space')!r}; known: {sorted(SPACES)}")
    recs = read_records(records_dir)
    space = get_space(man["space"])
    n = space.size
    rule = man.get("rule", "nb201")
    cls = space.class_index(rule)
    seeds = np.asarray(man["seeds"], dtype=np.int32)
    S, E = len(seeds), int(man["epochs"])
    fidelities = np.arange(1, E + 1, dtype=np.int32)

    idx = np.array(sorted(recs), dtype=np.int64)
    R = len(idx)
    stack = {m: np.full((R, S, E), np.nan, dtype=np.float32) for m in (*PER_EPOCH_METRICS, "train_time")}
    diverged = np.zeros((R, S), dtype=bool)
    infos = []
    for pos, i in enumerate(idx):
        rec = recs[int(i)]
        if not np.array_equal(np.asarray(rec.arrays["seeds"]), seeds):
            raise RecordsError(f"{records_dir}: record of architecture {i} has seeds "
                               f"{np.asarray(rec.arrays['seeds']).tolist()}, the manifest {seeds.tolist()}")
        for m in stack:
            a = np.asarray(rec.arrays[m])
            if a.shape != (S, E):
                raise RecordsError(f"{records_dir}: record of architecture {i}: {m} has shape {a.shape}, "
                                   f"expected (n_seeds, n_epochs) = {(S, E)}")
            stack[m][pos] = a
        diverged[pos] = np.asarray(rec.arrays.get("diverged", np.zeros(S, bool)), dtype=bool)
        infos.append(rec.info)

    # which record fills each row: its own, else the lowest-index record of its class
    src = np.full(n, -1, dtype=np.int64)
    cls_src = np.full(n, -1, dtype=np.int64)
    for pos in range(R - 1, -1, -1):  # descending, so the lowest index of a class wins
        cls_src[cls[idx[pos]]] = pos
    src = cls_src[cls]
    src[idx] = np.arange(R)
    have = src >= 0
    arch_class = np.where(have, idx[np.maximum(src, 0)] if R else 0, cls).astype(np.int64)

    full = {}
    for m, a in stack.items():
        out = np.full((n, S, E), np.nan, dtype=np.float32)
        out[have] = a[src[have]]
        full[m] = out
    cost = full.pop("train_time")

    task = man.get("task", "unknown")
    splits = _SPLITS.get(task, {})
    metric_attrs = {}
    for m in PER_EPOCH_METRICS:
        split = m.split("_", 1)[0]
        metric_attrs[m] = {"split": split, "split_data": splits.get(split, f"the task's {split} split"),
                           "meaning": _MEANING[split], "source": f"nasbench generate (task {task})",
                           "unit": "%" if m.endswith("_acc") else "cross-entropy (nats), mean per sample"}

    def _distinct(key):
        vals = sorted({i.get(key) for i in infos if i.get(key) is not None}, key=str)
        return vals if vals else None

    final_time = stack["train_time"][:, :, -1]
    attrs = {
        # a sampled space's table is named "<space>-sample" (its benchmark is the surrogate "<space>")
        "name": (f"{man['space']}-{task}" if man["space"] == "nb201" else
                 f"{man['space'] if man['space'].endswith(task) else man['space'] + '-' + task}-sample"),
        "rule": rule, "trainer": man.get("trainer"),
        "epochs": E, "data_root": man.get("data_root"), "generation_created": man.get("created"),
        "torch": _distinct("torch"), "cuda": _distinct("cuda"), "train_device": _distinct("device"),
        "train_threads": _distinct("threads"), "host_cpu": _distinct("host_cpu"),
        # the instruction set torch's CPU kernels used (records before it was logged lack it):
        # live training reproduces a row bit for bit only with the same torch, CPU and capability
        "cpu_capability": _distinct("cpu_capability"),
        "preset": _distinct("preset"), "task_sha256": _distinct("task_sha256"),
        # how train_time was measured: "process_cpu" (CPU time of the one-thread training
        # process) or "wall"; records without the key were timed by wall clock
        "train_time_basis": sorted({i.get("time_basis", "wall") for i in infos}) or None,
        "train_time_basis_counts": {b: sum(1 for i in infos if i.get("time_basis", "wall") == b)
                                    for b in sorted({i.get("time_basis", "wall") for i in infos})},
        "n_records": int(R), "n_classes": int(len(np.unique(cls))),
        "n_trained_classes": int(len(np.unique(cls[idx]))) if R else 0,
        "rows_with_results": int(have.sum()), "diverged_runs": int(diverged.sum()),
        "train_core_seconds": float(np.nansum(final_time)),
        "merged_on": {"cpu_model": cpu_model(), "platform": platform.platform(),
                      "python": platform.python_version(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
        "seed_semantics": "each seed is a separate training run (own init and data order)",
        "equivalence": f"rows of one '{rule}' class share the trained representative's results",
    }
    if "holdout" in man:  # a sampled space: the split the surrogate must never train on
        from nasbench.jobs.size_plan import is_holdout

        held = idx[is_holdout(idx, n)] if R else idx
        attrs["holdout"] = dict(man["holdout"], trained_holdout=int(len(held)), trained_fit=int(R - len(held)))
        attrs["coverage_note"] = (f"{R} of {n} architectures trained (a sample; untrained rows are NaN); "
                                  "a surrogate benchmark covers the whole space")
    static, static_attrs = {}, {}
    if static_dir is not None:
        static, static_attrs, prov = _read_static(Path(static_dir), n)
        attrs["static_pass"] = prov
    return write_table(out_path, space=man["space"], task=task, ops=space.all_ops(), fidelities=fidelities,
                       seeds=seeds, metrics=full, static=static, cost_train_time=cost, arch_class=arch_class,
                       attrs={k: v for k, v in attrs.items() if v is not None}, metric_attrs=metric_attrs,
                       static_attrs=static_attrs, fidelity_kind="epoch_of_schedule", fidelity_name="epoch",
                       cost_unit="seconds", seeds_are_means=False)
