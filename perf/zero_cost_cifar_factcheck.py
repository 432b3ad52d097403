"""Fact check of the data-independent proxies on the faithful NB201 CIFAR-10 network.

Two steps:

``python perf/zero_cost_cifar_factcheck.py score OUT [--workers P] [--seconds S] [--device cuda]``
    scores synflow and AZ-NAS's expressivity / progressivity / trainability (Gaussian input,
    batch 64, seed 0) on ``nb201-cifar10`` networks, in a seeded random order of all 15,625
    architectures, with ``P`` worker processes until ``S`` seconds have passed; each worker
    writes ``OUT/w<k>.npz`` (``index``, ``scores`` (m, 4), ``seconds`` (m,)) every 25
    architectures (atomically), so a partial run is a uniform sample.

``python perf/zero_cost_cifar_factcheck.py report OUT [--csv ../shared/data/nb201/nb201_accuracy.csv]``
    joins the scores with NAS-Bench-201's accuracies (read at run time, never copied):
    synflow |Spearman| against ``cifar10valid_test_200ep`` (zero-cost-nas reports 0.737 over
    all 15,625) and AZ-NAS (rank aggregation of the four, FLOPs = MACs of our builder, which
    match NB201's counts) against ``cifar10_test_200ep`` (AZ-NAS reports Spearman 0.913, Kendall
    0.741), each with a bootstrap standard error.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

PROXIES = ("synflow", "az_expressivity", "az_progressivity", "az_trainability")


def _worker(k: int, P: int, out: str, seconds: float, device: str, batch_size: int, offset: int = 0) -> None:
    import torch

    torch.set_num_threads(1)
    from nasbench.estimators.zero_cost import compute_proxies
    from nasbench.spaces.nb201 import NB201Space

    space = NB201Space()
    order = np.random.default_rng(2024).permutation(space.size)[offset:][k::P]
    t_end = time.time() + seconds
    idx, sc, secs = [], [], []
    path = Path(out) / f"w{k}.npz"

    def save():
        tmp = path.with_name(f".w{k}.tmp.npz")
        np.savez(tmp, index=np.array(idx, dtype=np.int64), scores=np.array(sc, dtype=np.float64).reshape(-1, 4),
                 seconds=np.array(secs, dtype=np.float64))
        os.replace(tmp, path)

    for i in order:
        if time.time() > t_end:
            break
        s, sec = compute_proxies(space.from_index(int(i)), "nb201-cifar10", PROXIES, seed=0, batches=None,
                                 batch_size=batch_size, flops=0.0, device=device)
        idx.append(int(i))
        sc.append([s[q] for q in PROXIES])
        secs.append(sum(sec.values()))
        if len(idx) % 25 == 0:
            save()
    save()


def score(args) -> None:
    import torch.multiprocessing as mp

    Path(args.out).mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("spawn")
    P = args.workers + args.cpu_workers
    devs = [args.device] * args.workers + ["cpu"] * args.cpu_workers
    procs = [ctx.Process(target=_worker, args=(k, P, args.out, args.seconds, devs[k], args.batch_size, args.offset))
             for k in range(P)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    parts = sorted(Path(args.out).glob("w*.npz"), key=lambda f: int(f.stem[1:]))
    data = [dict(np.load(f)) for f in parts]
    merged = {k: np.concatenate([d[k] for d in data]) for k in ("index", "scores", "seconds")}
    merged["device"] = np.concatenate([np.full(len(d["index"]), devs[int(f.stem[1:])]) for f, d in zip(parts, data)])
    np.savez(Path(args.out) / "scores.npz", **merged)
    for f in parts:
        f.unlink()
    for dv in sorted(set(devs)):
        m = merged["device"] == dv
        print(f"{dv}: {m.sum()} architectures, mean {merged['seconds'][m].mean():.3f} s each (wall on cuda, "
              f"CPU on cpu) with {devs.count(dv)} processes")
    print(f"scored {len(merged['index'])} architectures in {args.seconds:.0f} s")


def flops_table() -> np.ndarray:
    """MACs (millions) of every ``nb201-cifar10`` network: the builder keeps every edge, so MACs
    are a base plus a cost per conv edge (1x1 or 3x3); fitted from count_flops and checked."""
    from nasbench.spaces.nb201 import NB201Space
    from nasbench.train.models import build_model
    from nasbench.train.profile import count_flops

    space = NB201Space()

    def macs(ops):
        a = space.from_index(int(sum(int(o) * 5 ** e for e, o in enumerate(ops))))
        return count_flops(build_model(a, "nb201-cifar10"), (3, 32, 32))

    base = macs([0] * 6)
    c1 = macs([2] + [0] * 5) - base
    c3 = macs([3] + [0] * 5) - base
    ops = space.all_ops()
    f = base + c1 * (ops == 2).sum(1) + c3 * (ops == 3).sum(1)
    rng = np.random.default_rng(0)
    for i in rng.choice(space.size, 3, replace=False):
        assert abs(macs(ops[i]) - f[i]) < 1e-6 * f[i], "MACs are not additive per edge"
    return f


def report(args) -> None:
    import csv

    from scipy.stats import kendalltau, spearmanr

    from nasbench.estimators.zero_cost import rank_aggregate
    from nasbench.spaces.nb201 import NB201Space

    files = []
    for d in args.out.split(","):  # several runs (e.g. continued with --offset): comma-separated
        files += sorted(Path(d).glob("scores.npz")) or sorted(Path(d).glob("w*.npz"))
    idx = np.concatenate([np.load(f)["index"] for f in files])
    if len(np.unique(idx)) != len(idx):
        raise ValueError("the runs overlap: continue with --offset equal to the architectures already scored")
    S = np.concatenate([np.load(f)["scores"] for f in files])
    sec = np.concatenate([np.load(f)["seconds"] for f in files])
    space = NB201Space()
    acc = {}
    with open(args.csv) as fh:
        for row in csv.DictReader(fh):
            i = space.index(space.from_string(row["arch_str"]))
            acc[i] = (float(row["cifar10valid_test_200ep"]), float(row["cifar10_test_200ep"]))
    yv = np.array([acc[int(i)][0] for i in idx])
    yt = np.array([acc[int(i)][1] for i in idx])
    flops = flops_table()[idx]
    comps = {"az_expressivity": S[:, 1], "az_progressivity": S[:, 2], "az_trainability": S[:, 3],
             "az_complexity": flops}
    az = rank_aggregate(comps, comps, "aznas")
    rng = np.random.default_rng(0)

    def stat(x, y, f, n_boot=200):
        v = f(x, y)[0]
        b = []
        for _ in range(n_boot):
            j = rng.integers(0, len(x), len(x))
            b.append(f(x[j], y[j])[0])
        return v, float(np.std(b, ddof=1))

    n = len(idx)
    print(f"n = {n} architectures (uniform sample of NB201's 15,625; seed 0; batch {args.batch_size}); "
          f"mean {sec.mean():.3f} s per architecture for the four proxies ({args.device_note})")
    r, se = stat(S[:, 0], yv, spearmanr)
    print(f"synflow vs cifar10valid_test_200ep: |Spearman| {abs(r):.3f} +- {se:.3f}   (zero-cost-nas: 0.737)")
    r, se = stat(az, yt, spearmanr)
    t, tse = stat(az, yt, kendalltau)
    print(f"AZ-NAS  vs cifar10_test_200ep:      Spearman {r:.3f} +- {se:.3f}, Kendall {t:.3f} +- {tse:.3f}   "
          f"(AZ-NAS: 0.913 / 0.741)")
    for q, v in comps.items():
        v = np.where(np.isneginf(v), np.nanmin(v[np.isfinite(v)]) - 1, v)
        print(f"  {q:17s} Spearman vs cifar10 test {spearmanr(v, yt)[0]:+.3f}")
    r, se = stat(flops, yt, spearmanr)
    print(f"FLOPs alone vs cifar10_test_200ep:   Spearman {r:.3f} +- {se:.3f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["score", "report"])
    ap.add_argument("out")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--cpu-workers", type=int, default=0, help="extra worker processes on the CPU")
    ap.add_argument("--offset", type=int, default=0,
                    help="skip the first N architectures of the order (continue an earlier run)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--csv", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nb201"
                                         / "nb201_accuracy.csv"))
    ap.add_argument("--device-note", default="see the score step's output")
    args = ap.parse_args(argv)
    score(args) if args.step == "score" else report(args)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
