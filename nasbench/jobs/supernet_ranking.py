"""Job: how well does a weight-sharing supernet rank the table, as a function of its epochs?

One supernet (:class:`nasbench.estimators.supernet.Supernet`) is trained once and scored at
checkpoints (``epochs``: cumulative), each checkpoint going through the estimators' validation
harness (:func:`nasbench.jobs.validate_estimators.validate`: the same sample, the table's
seed-mean final test accuracy, bootstrap CIs, references one-seed / ceiling / params-only /
FLOPs-only).  Zero-cost proxies (``proxies``) are scored on the same sample for comparison.

Writes into ``out``: ``results.csv`` / ``results.md`` (all rows), ``supernet_vs_epochs.png``
(Kendall and Spearman with 95 % CIs vs the supernet's training CPU seconds, points labelled with
epochs; params-only, the best proxy and the one-seed reference as horizontal lines),
``cost_quality_<over>.png`` (the harness's figure) and ``config.json`` (settings, versions,
timings).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["SupernetRankingJob", "run_supernet_ranking", "plot_vs_epochs", "combine"]


@dataclass(frozen=True)
class SupernetRankingJob:
    benchmark: str = "nb201-mnist1d"
    epochs: tuple[int, ...] = (5, 10, 20, 40, 80)
    seed: int = 0
    sample: int | None = 500
    over: tuple[str, ...] = ("classes",)
    sampling: tuple[str, ...] = ("uniform",)
    score: str = "acc"
    bn_recal: bool = True
    proxies: tuple[str, ...] = ("synflow", "nwot", "zico", "jacov", "snip")
    n_boot: int = 200
    device: str = "cpu"
    out: str = "runs/supernet"
    progress: bool = True


def _label(sampling: str, epochs: int) -> str:
    return f"supernet-{sampling}@{epochs}"


def run_supernet_ranking(job: SupernetRankingJob, benchmark=None) -> list[dict]:
    import torch

    from nasbench import load_benchmark
    from nasbench.estimators.supernet import Supernet
    from nasbench.jobs.validate_estimators import validate, write_report

    bench = benchmark if benchmark is not None else load_benchmark(job.benchmark)
    out = Path(job.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    infos = {}
    ref_rows: list[dict] = []
    epochs = sorted(int(e) for e in job.epochs)
    for sampling in job.sampling:
        if sampling == "fair":  # five paths per step: the same training compute in a fifth of the epochs
            epochs = sorted({max(1, int(e) // 5) for e in job.epochs})
        est = Supernet(seed=job.seed, sampling=sampling, epochs_total=epochs[-1], score=job.score,
                       bn_recal=job.bn_recal, device=job.device, progress=job.progress)
        done = 0
        for e in epochs:
            est.fit(e - done)
            done = e
            before = dict(est.cost_)
            r = validate(bench, {_label(sampling, e): est}, sample=job.sample, over=job.over, n_boot=job.n_boot,
                         seed=job.seed)
            for row in r:
                if row["kind"] == "estimator":
                    row["k"] = float(e)
                    row["setup_seconds"] = float(before["setup_s"])
                    row["notes"] = (f"SPOS supernet ({sampling} sampling), {e} epochs, BN recal "
                                    f"{'on' if job.bn_recal else 'off'}, score={job.score}; setup = training CPU s")
                    rows.append(row)
            ref_rows = [x for x in r if x["kind"] != "estimator"]
            infos[f"{sampling}@{e}"] = est.info()
    if not ref_rows:
        ref_rows = [x for x in validate(bench, {}, sample=job.sample, over=job.over, n_boot=job.n_boot,
                                        seed=job.seed)]
    # zero-cost proxies on the same sample (the harness draws the same population under the seed)
    if job.proxies:
        from nasbench.estimators.zero_cost import ZeroCost

        zc = {p: ZeroCost(p, seed=job.seed) for p in job.proxies}
        for p, z in zc.items():
            z.fit()
        r = validate(bench, zc, sample=job.sample, over=job.over, n_boot=job.n_boot, seed=job.seed)
        rows += [x for x in r if x["kind"] == "estimator"]
    rows += ref_rows
    paths = write_report(rows, out, title=f"supernet vs proxies on {bench.name} (sample {job.sample})")
    for ov in job.over:
        plot_vs_epochs(rows, out / f"supernet_vs_epochs_{ov}.png", over=ov,
                       title=f"{bench.name}: supernet ranking vs epochs ({ov}, n={job.sample})")
    cfg = {"job": asdict(job), "benchmark": bench.name, "torch": torch.__version__, "supernets": infos,
           "files": {k: str(v) for k, v in paths.items()}}
    (out / "config.json").write_text(json.dumps(cfg, indent=2, default=str))
    return rows


def plot_vs_epochs(rows: Sequence[dict], path, over: str = "classes", title: str = "") -> Path:
    """Kendall tau and Spearman (95 % bootstrap CI bands) of each supernet vs its epochs, with
    params-only, the best zero-cost proxy and the one-seed reference as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = [r for r in rows if r.get("over") == over]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    fams: dict[str, list] = {}
    for r in rs:
        if str(r["name"]).startswith("supernet"):
            fams.setdefault(str(r["name"]).split("@")[0], []).append(r)
    proxies = [r for r in rs if r.get("kind") == "estimator" and not str(r["name"]).startswith("supernet")]
    for ax, stat in zip(axes, ("kendall_tau", "spearman")):
        for i, (fam, pts) in enumerate(sorted(fams.items())):
            pts.sort(key=lambda r: r["setup_seconds"])
            x = [r["setup_seconds"] for r in pts]
            y = [r[stat] for r in pts]
            ax.plot(x, y, "o-", color=f"C{i}", label=fam)
            for r, xx, yy in zip(pts, x, y):
                ax.annotate(f"{int(r['k'])} ep", (xx, yy), textcoords="offset points", xytext=(3, -9), fontsize=6)
            lo = [r.get(f"{stat}_lo", math.nan) for r in pts]
            hi = [r.get(f"{stat}_hi", math.nan) for r in pts]
            if all(isinstance(v, float) and math.isfinite(v) for v in lo + hi):
                ax.fill_between(x, lo, hi, color=f"C{i}", alpha=0.2)
        refs = {r["name"]: r for r in rs if r.get("kind") in ("reference", "baseline")}
        for name, color, ls in (("params-only", "0.3", "--"), ("one-seed", "C3", ":")):
            if name in refs and math.isfinite(refs[name].get(stat, math.nan)):
                ax.axhline(refs[name][stat], color=color, ls=ls, label=f"{name} ({refs[name][stat]:.3f})")
        if proxies:
            best = max(proxies, key=lambda r: r.get(stat, -1) if math.isfinite(r.get(stat, math.nan)) else -1)
            ax.axhline(best[stat], color="C5", ls="-.", label=f"best proxy {best['name']} ({best[stat]:.3f})")
        ax.set_xscale("log")
        ax.set_xlabel("supernet training, CPU seconds (one thread; labels: epochs)")
        ax.set_ylabel(stat.replace("_", " ") + " vs seed-mean test acc")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _num(v: str):
    if v == "":
        return math.nan
    try:
        return float(v)
    except ValueError:
        return v


def combine(dirs: Sequence, out, title: str = "") -> list[dict]:
    """Merge the ``results.csv`` of several runs (e.g. one per sampling scheme, one for the proxies;
    the same sample and seed) into one report and one figure per population; references once."""
    import csv

    from nasbench.jobs.validate_estimators import write_report

    rows, seen = [], set()
    for d in dirs:
        with open(Path(d) / "results.csv", newline="") as fh:
            for r in csv.DictReader(fh):
                r = {k: _num(v) if k not in ("name", "kind", "over", "benchmark", "target", "notes") else v
                     for k, v in r.items()}
                key = (r["kind"], r["name"], r["over"])
                if key in seen:
                    continue
                seen.add(key)
                rows.append(r)
    rows.sort(key=lambda r: (r["kind"] in ("reference", "baseline"), str(r["name"])))
    out = Path(out)
    write_report(rows, out, title=title)
    for ov in sorted({r["over"] for r in rows}):
        plot_vs_epochs(rows, out / f"supernet_vs_epochs_{ov}.png", over=ov, title=title)
    return rows
