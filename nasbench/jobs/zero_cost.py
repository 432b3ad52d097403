"""Score a whole table's space with the zero-cost proxies, crash-safely and resumably.

``score_space(out, benchmark="nb201-mnist1d", seeds=(0,))`` scores one representative per
equivalence class of the table (``bench.arch_class``; every row of a class builds the same
network, so its scores are the representative's) with every proxy of
:data:`nasbench.estimators.zero_cost.PROXIES`, for each initialisation seed, in one process with
one torch thread.  Records go to ``out/seed-<s>/records-*.log`` (:mod:`nasbench.io.records`,
fsync'd, one record per architecture: ``scores`` ``(n_proxies,)`` float64 in the manifest's
proxy order and ``seconds`` ``(n_passes,)`` CPU seconds per shared pass); rerunning the same
call skips what is recorded, so a kill loses only the architecture in flight.  The plan is a
seeded permutation of the classes, so a partial run is a uniform sample.

``write_companion(out, bench, path)`` turns the records into the companion file that
:func:`nasbench.load_benchmark` attaches (``tabular_data/<table>_zc.h5``): static metrics
``zc_<proxy>`` ``(n_archs,)`` float32, the seed mean (NaN = not scored), ``zc_aznas`` and
``zc_vote`` (rank aggregations over the scored classes as the reference set), their attrs
giving the measured CPU seconds per architecture of computing the proxy alone.
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from nasbench.io.records import Record, RecordWriter, read_records, write_manifest

__all__ = ["score_space", "read_scores", "write_companion", "PASSES", "VOTE_DEFAULT"]

PASSES = ("build", "static", "flops", "grad", "grad2", "grasp", "jac", "feat", "synflow", "zen", "az")
#: the proxies the shipped ``zc_vote`` averages (see the README for why these)
VOTE_DEFAULT = ("synflow", "nwot", "zico", "swap", "flops")


def _plan(bench, order_seed: int = 0) -> np.ndarray:
    cls = bench.arch_class
    reps = np.unique(cls) if cls is not None else np.arange(bench.space.size)
    return np.random.default_rng(order_seed).permutation(reps)


def score_space(out, benchmark: str = "nb201-mnist1d", seeds: Sequence[int] = (0,), proxies=None,
                batch_size: int = 64, limit: int | None = None, progress: bool = True, order_seed: int = 0,
                threads: int = 1) -> Path:
    """Score every class representative (or the first ``limit`` of the plan) of ``benchmark``.

    Returns ``out``.  Resumable: call again with the same arguments.
    """
    import torch

    from nasbench import load_benchmark
    from nasbench.estimators.zero_cost import PROXIES, compute_proxies, make_batch
    from nasbench.train.data import load_task

    torch.set_num_threads(int(threads))
    proxies = tuple(PROXIES if proxies is None else proxies)
    bench = load_benchmark(benchmark)
    preset = bench.attrs.get("preset") or "nb201-" + str(bench.attrs["task"])
    preset = str(preset[0] if isinstance(preset, (list, tuple)) else preset)
    plan = _plan(bench, order_seed)
    if limit is not None:
        plan = plan[:int(limit)]
    flops = bench.table("flops") if "flops" in bench.static_metrics else None
    task = load_task("mnist1d") if preset == "nb201-mnist1d" else None
    out = Path(out)
    for seed in seeds:
        d = out / f"seed-{int(seed)}"
        manifest = {"kind": "zero_cost_scores", "benchmark": bench.name, "preset": preset, "seed": int(seed),
                    "proxies": list(proxies), "passes": list(PASSES), "batch_size": int(batch_size),
                    "n_batches": 2, "order_seed": int(order_seed), "torch": torch.__version__,
                    "data": (f"mnist1d train split sha256 {task.meta['sha256']}" if task is not None
                             else "surrogate N(0,1) input, uniform labels"),
                    "time_basis": "process_time", "threads": int(threads),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_manifest(d, manifest)
        done = set(read_records(d)) if any(d.glob("records-*.log")) else set()
        todo = [int(i) for i in plan if int(i) not in done]
        if not todo:
            continue
        batches = make_batch(preset, int(seed), batch_size, 2, task=task)
        space = bench.space
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(plan), initial=len(plan) - len(todo), desc=f"zero-cost seed {seed}",
                       mininterval=10)
        with RecordWriter(d) as w:
            for i in todo:
                s, sec = compute_proxies(space.from_index(i), preset, proxies, int(seed), batches, batch_size,
                                         flops=None if flops is None else float(flops[i]))
                arr = {"scores": np.array([s[q] for q in proxies], dtype=np.float64),
                       "seconds": np.array([sec.get(p, np.nan) for p in PASSES], dtype=np.float64)}
                w.append(Record(i, arr, {"host": platform.node()}))
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
    return out


def read_scores(out) -> dict:
    """Everything recorded under ``out``: ``{"proxies": [...], "passes": [...], "seeds": [...],
    "index": (m,) int64 (architectures scored for every seed), "scores": (m, n_seeds, n_proxies),
    "seconds": (m, n_seeds, n_passes), "manifest": first seed's manifest}``."""
    from nasbench.io.records import read_manifest

    out = Path(out)
    dirs = sorted(out.glob("seed-*"), key=lambda p: int(p.name.split("-")[1]))
    if not dirs:
        raise FileNotFoundError(f"{out}: no seed-*/ record directories")
    recs, seeds, man = [], [], None
    for d in dirs:
        m = read_manifest(d)
        man = man or m
        if m["proxies"] != man["proxies"]:
            raise ValueError(f"{d}: proxies differ from {dirs[0]}")
        recs.append(read_records(d))
        seeds.append(int(m["seed"]))
    common = sorted(set.intersection(*[set(r) for r in recs]))
    idx = np.array(common, dtype=np.int64)
    S = np.array([[r[i].arrays["scores"] for r in recs] for i in common]).reshape(len(common), len(recs), -1)
    T = np.array([[r[i].arrays["seconds"] for r in recs] for i in common]).reshape(len(common), len(recs), -1)
    return {"proxies": list(man["proxies"]), "passes": list(man["passes"]), "seeds": seeds, "index": idx,
            "scores": S, "seconds": T, "manifest": man,
            "n_per_seed": [len(r) for r in recs]}


def _seed_mean(S: np.ndarray) -> np.ndarray:
    """Mean over seeds (axis 1) where -inf (a degenerate network) stays -inf."""
    with np.errstate(invalid="ignore"):
        m = np.mean(np.where(np.isneginf(S), np.nan, S), axis=1)
    return np.where(np.isneginf(S).any(axis=1), -np.inf, m)


def class_tables(out, bench) -> dict:
    """Seed-mean proxy scores per row: ``{"zc_<proxy>": (n_archs,) float64 (NaN unscored)}``
    plus ``cost_s`` proxy -> mean CPU seconds per architecture alone, ``n_classes_scored``."""
    from nasbench.estimators.zero_cost import PROXIES, proxy_cost

    r = read_scores(out)
    mean = _seed_mean(r["scores"])  # (m, n_proxies)
    cls = bench.arch_class if bench.arch_class is not None else np.arange(bench.space.size)
    pos = np.full(bench.space.size, -1, dtype=np.int64)
    pos[r["index"]] = np.arange(len(r["index"]))
    rowpos = pos[cls]
    tables = {}
    for j, q in enumerate(r["proxies"]):
        v = np.full(bench.space.size, np.nan)
        ok = rowpos >= 0
        v[ok] = mean[rowpos[ok], j]
        tables[f"zc_{q}"] = v
    sec = np.nanmean(r["seconds"].reshape(-1, r["seconds"].shape[-1]), axis=0)
    cost = proxy_cost({p: float(s) for p, s in zip(r["passes"], sec) if np.isfinite(s)})
    cost = {q: c for q, c in cost.items() if q in r["proxies"]}
    return {"tables": tables, "cost_s": cost, "n_classes_scored": int(len(r["index"])), "seeds": r["seeds"],
            "manifest": r["manifest"], "raw": r}


def aggregate_tables(tables: dict, bench, cost_s: dict, vote=VOTE_DEFAULT) -> dict:
    """``zc_aznas`` and ``zc_vote`` rows, ranks taken within the scored class representatives."""
    from nasbench.estimators.zero_cost import AZ_PROXIES, rank_aggregate

    cls = bench.arch_class if bench.arch_class is not None else np.arange(bench.space.size)
    reps = np.unique(cls)
    out, costs = {}, {}
    for name, comps in (("aznas", AZ_PROXIES), ("vote", tuple(vote))):
        if not all(f"zc_{q}" in tables for q in comps):
            continue
        ref_ok = np.all([np.isfinite(tables[f"zc_{q}"][reps]) | np.isneginf(tables[f"zc_{q}"][reps])
                         for q in comps], axis=0)
        ref = {q: tables[f"zc_{q}"][reps[ref_ok]] for q in comps}
        scored = np.all([~np.isnan(tables[f"zc_{q}"]) for q in comps], axis=0)
        v = np.full(bench.space.size, np.nan)
        v[scored] = rank_aggregate({q: tables[f"zc_{q}"][scored] for q in comps}, ref, name)
        out[f"zc_{name}"] = v
    return {"tables": out}


def union_cost(raw: dict, comps) -> float:
    """Mean CPU seconds per architecture of computing ``comps`` together (passes shared)."""
    from nasbench.estimators.zero_cost import PASS_OF

    sec = np.nanmean(raw["seconds"].reshape(-1, raw["seconds"].shape[-1]), axis=0)
    per = dict(zip(raw["passes"], sec))
    need = {"build"} | {p for q in comps for p in PASS_OF[q]}
    return float(sum(per.get(p, 0.0) for p in need))


def write_companion(out, bench, path=None, vote=VOTE_DEFAULT) -> Path:
    """Write ``<table>_zc.h5`` (next to the table by default) from the records in ``out``."""
    import h5py
    import torch

    ct = class_tables(out, bench)
    ag = aggregate_tables(ct["tables"], bench, ct["cost_s"], vote)
    raw = ct["raw"]
    sec = np.nanmean(raw["seconds"].reshape(-1, raw["seconds"].shape[-1]), axis=0)
    pass_seconds = json.dumps({p: round(float(s), 6) for p, s in zip(raw["passes"], sec) if np.isfinite(s)})
    from nasbench.estimators.zero_cost import AZ_PROXIES, PROXY_DOC

    cost = dict(ct["cost_s"])
    cost["aznas"] = union_cost(raw, AZ_PROXIES)
    cost["vote"] = union_cost(raw, vote)
    path = Path(path) if path is not None else bench.path.with_name(bench.path.stem + "_zc.h5")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    man = ct["manifest"]
    with h5py.File(tmp, "w") as f:
        f.attrs["kind"] = "nasbench_companion_static"
        f.attrs["companion_of"] = bench.path.name
        f.attrs["table_name"] = bench.name
        f.attrs["n_archs"] = bench.space.size
        f.attrs["proxies"] = json.dumps(raw["proxies"])
        f.attrs["seeds"] = json.dumps(ct["seeds"])
        f.attrs["n_classes_scored"] = ct["n_classes_scored"]
        f.attrs["torch"] = str(torch.__version__)
        f.attrs["data"] = man["data"]
        f.attrs["batch_size"] = man["batch_size"]
        f.attrs["preset"] = man["preset"]
        f.attrs["time_basis"] = "CPU seconds (time.process_time), one torch thread, " + platform.processor()
        f.attrs["vote"] = json.dumps(list(vote))
        f.attrs["pass_seconds"] = pass_seconds
        f.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        f.attrs["note"] = ("zc_<proxy>: seed mean over the initialisation seeds of the proxy of the class "
                           "representative's network (every row of a class builds the same network); NaN = not "
                           "scored; -inf = degenerate network (AZ-NAS). zc_aznas / zc_vote: rank aggregations with "
                           "the scored class representatives as the fixed reference set. See "
                           "nasbench/estimators/zero_cost.py for each definition.")
        g = f.create_group("static")
        for name, v in list(ct["tables"].items()) + list(ag["tables"].items()):
            q = name[3:]
            ds = g.create_dataset(name, data=v.astype(np.float64), compression="gzip", shuffle=True)  # float64: jacov ~ -2.5e6 needs the digits
            ds.attrs["higher_is_better"] = True
            ds.attrs["unit"] = "score"
            ds.attrs["seconds_per_arch"] = float(cost.get(q, np.nan))
            ds.attrs["pass_seconds"] = pass_seconds
            doc = PROXY_DOC.get(q)
            ds.attrs["description"] = (f"zero-cost proxy {q}: " + "; ".join(doc)) if doc else f"rank aggregation {q}"
        f.flush()
    os.replace(tmp, path)
    return path
