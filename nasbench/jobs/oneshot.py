"""Job: one-shot searches (DARTS, GDAS, SPOS + RE) over seeds, looked up in a table.

For every method and seed :func:`nasbench.oneshot.search` runs on the table's task and preset;
every epoch's derived architecture is looked up in the table (seed-mean final test and
validation accuracy).  Writes into ``out``:

* ``runs/<method>/seed_<k>.json``: per epoch the derived architecture (string, index), its
  table accuracies and regret, the epoch's search seconds, softmax(alpha) per edge (DARTS,
  GDAS), plus the configuration, seed, versions and timings of the run;
* ``traces/<method>/seed_<k>.npz``: a :class:`~nasbench.runner.Trace` on the leaderboard's clock
  (``nasbench leaderboard --with-traces out`` plots it beside the black-box strategies).  Row
  ``i`` is epoch ``i``'s derived architecture, finishing at the cumulative search seconds.  The
  incumbent is picked on validation accuracy over the derived architectures, and reading a
  derived architecture's validation accuracy means training it: each *new* derived network
  (functional class) is charged one training run (its table ``train_time``, one recorded seed
  drawn by the run's query RNG, whose ``val_acc`` is the one read).  The uncharged alternative,
  the last epoch's derivation, is ``final_*`` in ``summary.md``;
* ``accuracy.png`` (table test accuracy of the derived architecture vs search epoch, one line
  per method, mean with min-max band over seeds), ``alphas_<method>.png`` (softmax(alpha) of
  each op on each edge vs epoch, mean over seeds), ``summary.md`` / ``summary.csv`` and
  ``config.json``.

Clocks: search seconds are one-thread process CPU seconds (``time.process_time``) on CPU, the
clock the table's ``train_time`` was measured with for the same preset on the same kind of
machine, so search cost and table lookups add up on one axis; on CUDA they are wall seconds
and ``config.json`` says so.
"""
from __future__ import annotations

import json
import math
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

__all__ = ["OneShotJob", "run_oneshot", "make_trace", "plot_accuracy", "plot_alphas"]

_OPS_SHORT = ("none", "skip", "conv1x1", "conv3x3", "avgpool")


@dataclass(frozen=True)
class OneShotJob:
    """Settings of ``nasbench oneshot``; ``overrides`` are :class:`~nasbench.oneshot.OneShotConfig`
    fields (``bn_affine``, ``bn_track``, ``arch_lr`` ...) applied to every method.  ``report_only``:
    run nothing, report the runs found in ``out``."""

    methods: tuple[str, ...] = ("darts", "gdas", "spos-re")
    benchmark: str = "nb201-mnist1d"
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int | None = None
    device: str = "cpu"
    out: str = "runs/oneshot"
    overrides: tuple[tuple[str, object], ...] = ()
    progress: bool = True
    resume: bool = True
    report_only: bool = False


def _lookup(bench, idx: np.ndarray) -> dict:
    f = bench.max_fidelity
    ev = bench.query(np.asarray(idx, dtype=np.int64), fidelity=f, seed="mean", metrics=["val_acc", "test_acc"])
    return {m: np.asarray(ev.values[m], dtype=np.float64).reshape(-1) for m in ("val_acc", "test_acc")}


def make_trace(bench, name: str, seed: int, derived: np.ndarray, seconds: np.ndarray, meta_extra: dict | None = None):
    """A leaderboard :class:`~nasbench.runner.Trace` of one search (see the module docstring)."""
    from nasbench.runner import Trace, oracle

    f = bench.max_fidelity
    cls = bench.arch_class if bench.arch_class is not None else np.arange(bench.space.size)
    qrng = np.random.default_rng(np.random.SeedSequence([int(seed), 404]))
    n_seeds = int(getattr(bench, "n_seeds", 1))
    meta = {"strategy": name, "strategy_class": "OneShot", "hparams": {}, "benchmark": bench.name,
            "space": bench.space.name, "seed": int(seed), "budget": {"evaluations": None, "cost": None},
            "n_workers": 1, "cost_unit": bench.cost_unit, "fidelity_kind": bench.fidelity_kind,
            "fidelities": [int(x) for x in bench.fidelities], "default_fidelity": int(f),
            "oracle": float(oracle(bench)), "constraints": {}, "allows_repeats": True, "multi_fidelity": False,
            "charged": "search seconds + one table training per new derived network"}
    meta.update(meta_extra or {})
    tr = Trace(["val_acc", "test_acc"], meta)
    mean = _lookup(bench, derived)
    trained: dict[int, tuple[int, float, float]] = {}
    clock = 0.0
    inc_row, inc_val, inc_test = -1, -math.inf, math.nan
    for i, (a, s) in enumerate(zip(derived, seconds)):
        a = int(a)
        c = int(cls[a])
        charge = 0.0
        if c not in trained:
            trial = int(qrng.integers(0, n_seeds))
            ev = bench.query(np.array([a]), fidelity=f, trial=trial, metrics=["val_acc", "test_acc"])
            charge = float(np.asarray(ev.cost).reshape(-1)[0])
            trained[c] = (trial, float(np.asarray(ev.values["val_acc"]).reshape(-1)[0]),
                          float(np.asarray(ev.values["test_acc"]).reshape(-1)[0]))
        trial, v, t = trained[c]
        start = clock
        clock += float(s) + charge
        if math.isfinite(v) and v > inc_val:
            inc_row, inc_val, inc_test = i, v, float(mean["test_acc"][i])
        tr.append(arch=a, fidelity=int(f), trial=trial, worker=0, cost=float(s) + charge, start=start, finish=clock,
                  wall=0.0, values={"val_acc": v, "test_acc": t}, incumbent=inc_row,
                  incumbent_val=inc_val if inc_row >= 0 else math.nan, incumbent_test=inc_test)
    tr.meta["budget"] = {"evaluations": None, "cost": float(clock)}
    return tr


def _versions() -> dict:
    import torch

    import nasbench
    from nasbench._system import cpu_model

    return {"torch": torch.__version__, "python": platform.python_version(),
            "nasbench": getattr(nasbench, "__version__", "?"), "host_cpu": cpu_model(),
            "cuda": torch.version.cuda if torch.cuda.is_available() else None}


def run_oneshot(job: OneShotJob, benchmark=None) -> dict:
    """Run the job; returns ``{"summary": rows, "files": {...}}``."""
    from tqdm.auto import tqdm

    from nasbench import load_benchmark
    from nasbench.oneshot import METHODS, OneShotConfig, search
    from nasbench.oneshot.search import _cfg_dict
    from nasbench.runner import oracle
    from nasbench.train.data import load_task

    bad = [m for m in job.methods if m not in METHODS]
    if bad:
        raise ValueError(f"unknown method(s) {bad}; choose from {METHODS}")
    bench = benchmark if benchmark is not None else load_benchmark(job.benchmark)
    out = Path(job.out)
    out.mkdir(parents=True, exist_ok=True)
    space = bench.space
    best = float(oracle(bench))
    task = None
    runs: dict[str, list[dict]] = {}
    for method in job.methods:
        cfg = OneShotConfig(method=method, epochs=job.epochs, device=job.device, **dict(job.overrides))
        cfg_d = _cfg_dict(cfg)
        runs[method] = []
        for seed in job.seeds:
            path = out / "runs" / method / f"seed_{seed}.json"
            if job.resume and path.is_file():
                old = json.loads(path.read_text())
                if old.get("config") == json.loads(json.dumps(cfg_d)) and old.get("benchmark") == bench.name:
                    runs[method].append(old)
                    continue
            if job.report_only:
                continue
            if task is None:
                task = load_task(cfg.task)
            E = cfg.resolved_epochs()
            bar = tqdm(total=E, desc=f"{method} seed {seed}", unit="epoch", disable=not job.progress)

            def on_epoch(ep, arch, rec, bar=bar):
                acc = _lookup(bench, np.array([space.index(arch)]))["test_acc"][0]
                bar.update(1)
                bar.set_postfix_str(f"table test {acc:.2f}% {space.to_string(arch)}")

            res = search(cfg, seed, task=task, on_epoch=on_epoch)
            bar.close()
            look = _lookup(bench, res.derived)
            rec = {"method": method, "seed": int(seed), "benchmark": bench.name, "config": json.loads(json.dumps(cfg_d)),
                   "time_basis": res.basis, "versions": _versions(), "oracle": best,
                   "search_seconds": float(res.seconds.sum()),
                   "epochs": [{**h, "arch": space.to_string(space.from_index(int(a))), "index": int(a),
                               "table_test_acc": float(t), "table_val_acc": float(v), "regret": best - float(t),
                               "alpha": (res.alphas[i].round(5).tolist() if res.alphas is not None else None)}
                              for i, (h, a, t, v) in enumerate(zip(res.history, res.derived, look["test_acc"],
                                                                  look["val_acc"]))]}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rec, indent=1))
            runs[method].append(rec)
    # traces, figures, summary
    rows = []
    runs = {m: r for m, r in runs.items() if r}
    for method, recs in runs.items():
        for rec in recs:
            derived = np.array([e["index"] for e in rec["epochs"]])
            secs = np.array([e["seconds"] for e in rec["epochs"]])
            tr = make_trace(bench, method, rec["seed"], derived, secs,
                            {"search_seconds": rec["search_seconds"], "time_basis": rec["time_basis"],
                             "oneshot_config": rec["config"]})
            tr.save(out / "traces" / method / f"seed_{rec['seed']}.npz")
            fin = tr.final()
            last = rec["epochs"][-1]
            rows.append({"method": method, "seed": rec["seed"], "epochs": len(rec["epochs"]),
                         "bn_affine": rec["config"]["bn_affine"], "bn_track": rec["config"]["bn_track"],
                         "search_cpu_s": rec["search_seconds"], "final_arch": last["arch"],
                         "final_test_acc": last["table_test_acc"], "final_regret": last["regret"],
                         "charged_test_acc": fin["test_acc"], "charged_regret": fin["regret"],
                         "charged_time_s": fin["time"],
                         "n_skip_final": last["arch"].count("skip_connect"),
                         "n_param_free_final": sum(last["arch"].count(o) for o in ("skip_connect", "avg_pool", "none"))})
    files = {"summary_md": out / "summary.md", "summary_csv": out / "summary.csv"}
    _write_summary(rows, files["summary_md"], files["summary_csv"], best)
    files["accuracy"] = plot_accuracy(runs, out / "accuracy.png", best)
    for method, recs in runs.items():
        if recs and recs[0]["epochs"][0]["alpha"] is not None:
            files[f"alphas_{method}"] = plot_alphas(recs, out / f"alphas_{method}.png")
    (out / "config.json").write_text(json.dumps({"job": asdict(job), "benchmark": bench.name, "oracle": best,
                                                 "versions": _versions()}, indent=2, default=str))
    return {"summary": rows, "files": files}


def _write_summary(rows, md_path: Path, csv_path: Path, best: float) -> None:
    import csv

    if not rows:
        return
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [f"Best test accuracy in the space: {best:.2f} %.  `final`: the last epoch's derivation (no lookup "
             "charged); `charged`: best-by-validation over the derived architectures, each new one charged one "
             "table training.  CPU seconds: one thread, process time.", "",
             "| method | seed | epochs | BN affine/track | search CPU s | final test acc | final regret | charged "
             "test acc | charged time s | final architecture |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['seed']} | {r['epochs']} | {int(r['bn_affine'])}/{int(r['bn_track'])} | "
                     f"{r['search_cpu_s']:.1f} | {r['final_test_acc']:.2f} | {r['final_regret']:.2f} | "
                     f"{r['charged_test_acc']:.2f} | {r['charged_time_s']:.1f} | `{r['final_arch']}` |")
    lines += ["", "| method | mean final test acc | mean final regret | mean charged test acc | mean search CPU s |",
              "|---|---|---|---|---|"]
    for m in dict.fromkeys(r["method"] for r in rows):
        rs = [r for r in rows if r["method"] == m]
        f = np.array([r["final_test_acc"] for r in rs])
        lines.append(f"| {m} | {f.mean():.2f} ± {f.std(ddof=1) / np.sqrt(len(f)) if len(f) > 1 else 0:.2f} | "
                     f"{np.mean([r['final_regret'] for r in rs]):.2f} | "
                     f"{np.mean([r['charged_test_acc'] for r in rs]):.2f} | "
                     f"{np.mean([r['search_cpu_s'] for r in rs]):.1f} |")
    md_path.write_text("\n".join(lines) + "\n")


def plot_accuracy(runs: dict, path, best: float) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for i, (method, recs) in enumerate(runs.items()):
        if not recs:
            continue
        E = min(len(r["epochs"]) for r in recs)
        acc = np.array([[e["table_test_acc"] for e in r["epochs"][:E]] for r in recs])
        x = np.arange(1, E + 1)
        ax.plot(x, acc.mean(0), color=f"C{i}", label=f"{method} ({len(recs)} seeds)")
        ax.fill_between(x, acc.min(0), acc.max(0), color=f"C{i}", alpha=0.2)
    ax.axhline(best, color="0.3", ls="--", lw=1, label=f"best in table ({best:.2f})")
    ax.set_xlabel("search epoch")
    ax.set_ylabel("table test acc of derived arch (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_alphas(recs: list, path) -> Path:
    """softmax(alpha) per op on each of the six edges vs epoch (mean over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nasbench.spaces.nb201 import NB201_EDGES

    E = min(len(r["epochs"]) for r in recs)
    a = np.array([[e["alpha"] for e in r["epochs"][:E]] for r in recs]).mean(0)  # (E, 6, 5)
    fig, axes = plt.subplots(2, 3, figsize=(11, 5.5), sharex=True, sharey=True)
    x = np.arange(1, E + 1)
    for e, ax in enumerate(axes.ravel()):
        for o in range(a.shape[2]):
            ax.plot(x, a[:, e, o], color=f"C{o}", label=_OPS_SHORT[o])
        k, j = NB201_EDGES[e]
        ax.set_title(f"edge {k}<-{j}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    for ax in axes[1]:
        ax.set_xlabel("search epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("softmax(alpha)")
    fig.suptitle(f"{recs[0]['method']}: op weights per edge (mean over {len(recs)} seeds; "
                 f"BN affine={recs[0]['config']['bn_affine']}, track={recs[0]['config']['bn_track']})", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
