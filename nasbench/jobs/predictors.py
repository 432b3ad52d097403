"""Job: evaluate performance predictors with the protocol of White et al. (NeurIPS 2021).

For every training size ``n`` and trial ``t``: draw ``n`` equivalence classes (functional
rule: architectures that compute the same function share a class) at random, train on one
representative of each, and test on the architectures of the *other* classes (over rows: the
space as a search samples it; over classes: each held-out network once), so no network sits
on both sides.  Every predictor of one (size, trial) sees the same split.  Scores come from
:func:`nasbench.results.score_ranking` (Kendall, Spearman, Pearson, both sparse Kendall taus,
top-1/5/10 % precision, R2, MAE, fit seconds as ``setup_seconds`` and prediction seconds per
architecture), averaged with :func:`nasbench.results.summarize` (mean and standard error over
trials), next to :func:`nasbench.results.references` (one real training run, the
Spearman-Brown ceiling, params-only / FLOPs-only).

Predictor names are catalog names (:data:`nasbench.catalog.PREDICTORS`), optionally with
static metrics appended as features: ``xgb+params+flops``.  ``signal="single"`` trains on one
recorded seed per architecture (drawn at random) instead of the seed mean; the ground truth of
the test set is always the seed mean.

Writes into ``out``: ``rows.jsonl`` (one line per (predictor, size, trial, population); an
interrupted job resumes from it), ``results.csv`` (the same rows), ``summary.csv`` and
``summary.md`` (means +- standard errors, references first), ``<score>.png`` (score vs training
size, log x, one line per predictor, standard-error bands, references as dashed lines) and
``config.json``.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

__all__ = ["EvaluateConfig", "evaluate_predictors", "FIGURE_SCORES", "split_classes"]

FIGURE_SCORES = ("kendall_tau", "spearman", "sparse_kendall_tau", "sparse_kendall_tau_pred", "top10_precision",
                 "r2")


@dataclass(frozen=True)
class EvaluateConfig:
    """Settings of ``nasbench predictors evaluate``.

    Attributes
    ----------
    benchmark : str
        Table name or path (``nb201-mnist1d``, an imported ``nb201-cifar10`` ...).
    out : str
        Output directory.
    metric : str
        Target: a per-epoch metric (its final epoch) or a static one (``latency_...``).
    predictors : tuple of str
        Catalog names, optionally ``+metric`` suffixes for static feature columns.
    train_sizes : tuple of int
    trials : int
    heavy_sizes : tuple of int or None
        Training sizes of the neural predictors (``heavy`` catalog entries: gin, mlp);
        ``None``: three of ``train_sizes`` (first, middle, last).
    heavy_trials : int
    signal : {"mean", "single"}
        Training targets: seed mean, or one recorded seed per architecture.
    over : tuple of str
        Test populations: ``rows`` and/or ``classes``.
    test_size : int or None
        Cap on the test rows per trial (a random subset; ``None``: all held-out rows).
    curve_epochs : int
        ``k`` for the curve predictor (epochs of the curve it sees).
    resolution : float or None
        Sparse-Kendall rounding step in the target's unit (``None``: 0.1 for accuracies,
        else the target's standard deviation / 20, rounded to one digit).
    seed : int
    progress : bool
    """

    benchmark: str
    out: str
    metric: str = "val_acc"
    predictors: tuple[str, ...] = ("xgb", "rf", "gp", "mlp", "gin", "curve")
    train_sizes: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000)
    trials: int = 10
    heavy_sizes: tuple[int, ...] | None = None
    heavy_trials: int = 5
    signal: str = "mean"
    over: tuple[str, ...] = ("rows", "classes")
    test_size: int | None = None
    curve_epochs: int = 3
    resolution: float | None = None
    seed: int = 0
    progress: bool = True


def split_classes(classes: np.ndarray, eligible: np.ndarray, n_train: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Train / test split by class.

    Parameters
    ----------
    classes : (n_rows,) int
        Class id (representative row) of each row.
    eligible : (n_rows,) bool
        Rows with a finite target.
    n_train : int
        Classes to train on.

    Returns
    -------
    train_rows : (n_train,) int
        One representative row per drawn class.
    test_rows : (m,) int
        Every eligible row whose class was not drawn.
    """
    reps = np.unique(classes[eligible])
    if n_train >= len(reps):
        raise ValueError(f"training size {n_train} leaves no test classes ({len(reps)} classes with results)")
    drawn = rng.choice(reps, size=n_train, replace=False)
    # the representative row of a class: the class id itself when it is eligible, else its first member
    rows = np.flatnonzero(eligible)
    first = {}
    for r in rows[np.argsort(classes[rows], kind="stable")]:
        first.setdefault(int(classes[r]), int(r))
    train = np.array([int(c) if eligible[int(c)] and classes[int(c)] == c else first[int(c)] for c in drawn],
                     dtype=np.int64)
    test = rows[~np.isin(classes[rows], drawn)]
    return train, test


def _parse_name(name: str):
    from nasbench.catalog import predictor_factory

    base, *extra = name.split("+")
    return predictor_factory(base), base, tuple(extra)


def _resolution(cfg: EvaluateConfig, truth: np.ndarray) -> float:
    if cfg.resolution is not None:
        return float(cfg.resolution)
    if cfg.metric.endswith("_acc"):
        return 0.1
    sd = float(np.nanstd(truth))
    return float(f"{sd / 20:.1g}") if sd > 0 else 1.0


def _features(bench, kind: str, extra: tuple[str, ...], curve: np.ndarray | None, k: int) -> np.ndarray:
    """``(n_rows, d)`` features of every row for one predictor input kind."""
    from nasbench.encodings import AdjacencyOps, AppendFeatures, OneHot, PathEncoding, static_features

    space = bench.space
    idx = np.arange(space.size)
    feats = static_features(bench, extra) if extra else {}
    if kind == "graph":
        enc = AppendFeatures(AdjacencyOps(space), feats).fit()
        return enc.transform(idx).astype(np.float64)
    parts = [OneHot(space).fit().transform(idx)]
    if kind == "vector" and space.name == "nb201":
        parts.append(PathEncoding(space).fit().transform(idx))
    if feats:
        parts.append(AppendFeatures(None, feats, space=space).fit().transform(idx))
    if kind == "curve":
        if curve is None:
            raise ValueError("the curve predictor needs a per-epoch target metric with several fidelities")
        parts.append(curve[:, :k])
    return np.concatenate(parts, axis=1).astype(np.float64)


def _key(r) -> tuple:
    return (r["name"], int(r["train_size"]), int(r["trial"]), r["over"])


def evaluate_predictors(cfg: EvaluateConfig) -> dict:
    """Run the grid; returns ``{"rows", "summary", "references", "out"}``."""
    from nasbench.catalog import get_benchmark
    from nasbench.rng import as_generator
    from nasbench.results import references, score_ranking, summarize, to_markdown, write_results

    if cfg.signal not in ("mean", "single"):
        raise ValueError(f"signal must be 'mean' or 'single', got {cfg.signal!r}")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    bench = get_benchmark(cfg.benchmark)
    space = bench.space
    n = space.size
    static = tuple(getattr(bench, "static_metrics", ()))
    is_static = cfg.metric in static
    hib = bench.higher_is_better(cfg.metric)
    idx_all = np.arange(n)
    if is_static:
        truth = np.asarray(bench.table(cfg.metric), dtype=np.float64)
        train_y = truth
        curve = None
    else:
        f = bench.max_fidelity
        truth = np.asarray(bench.query(idx_all, fidelity=f, seed="mean", metrics=[cfg.metric]).values[cfg.metric],
                           dtype=np.float64)
        curve = np.asarray(bench.query(idx_all, fidelity=None, seed="mean", metrics=[cfg.metric]).values[cfg.metric],
                           dtype=np.float64)
        if curve.ndim != 2 or curve.shape[1] < 2:
            curve = None
        train_y = truth
        K = int(getattr(bench, "n_seeds", 1))
        if cfg.signal == "single":
            if K < 2 or getattr(bench, "seeds_are_means", False):
                raise ValueError(f"{bench.name} has no separate seeds: signal='single' needs them")
            pick = as_generator(np.random.SeedSequence([cfg.seed, 7])).integers(0, K, n)
            train_y = np.asarray(bench.query(idx_all, fidelity=f, trial=pick, metrics=[cfg.metric]).values[cfg.metric],
                                 dtype=np.float64)
            if curve is not None:
                curve = np.asarray(bench.query(idx_all, fidelity=None, trial=pick, metrics=[cfg.metric])
                                   .values[cfg.metric], dtype=np.float64)
    cls = getattr(bench, "arch_class", None)
    classes = np.asarray(cls, dtype=np.int64) if cls is not None else np.asarray(space.class_index("function"))
    eligible = np.isfinite(truth) & np.isfinite(train_y)
    res = _resolution(cfg, truth[eligible])
    sizes = tuple(int(s) for s in cfg.train_sizes)
    heavy_sizes = cfg.heavy_sizes if cfg.heavy_sizes is not None else tuple(
        dict.fromkeys([sizes[0], sizes[len(sizes) // 2], sizes[-1]]))
    suffix = "" if cfg.signal == "mean" else " [1 seed]"

    entries = {}
    feats: dict = {}
    for name in cfg.predictors:
        entry, base, extra = _parse_name(name)
        if entry.input == "curve" and curve is None:
            raise ValueError(f"{name}: {cfg.metric} has no learning curve on {bench.name}")
        key = (entry.input, extra)
        if key not in feats:
            feats[key] = _features(bench, entry.input, extra, curve, cfg.curve_epochs)
        entries[name] = (entry, key)

    (out / "config.json").write_text(json.dumps({**asdict(cfg), "benchmark_name": bench.name, "resolution_used": res,
                                                 "heavy_sizes_used": list(heavy_sizes)}, indent=2, default=list))
    rows_path = out / "rows.jsonl"
    done = {}
    if rows_path.is_file():
        for line in rows_path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                done[_key(r)] = r
    tasks = []
    for size in sizes:
        for trial in range(max(cfg.trials, cfg.heavy_trials)):
            for name, (entry, _) in entries.items():
                if entry.heavy and (size not in heavy_sizes or trial >= cfg.heavy_trials):
                    continue
                if not entry.heavy and trial >= cfg.trials:
                    continue
                tasks.append((size, trial, name))
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc=f"predictors on {bench.name}", unit="fit", disable=not cfg.progress)
    common = dict(benchmark=bench.name, target=cfg.metric, higher_is_better=hib, same_scale=True, resolution=res,
                  kind="predictor")
    with open(rows_path, "a") as log:
        split_cache = {}
        for size, trial, name in tasks:
            label = name + suffix
            if all((label, size, trial, o) in done for o in cfg.over):
                bar.update(1)
                continue
            if (size, trial) not in split_cache:
                split_cache.clear()
                rng = as_generator(np.random.SeedSequence([cfg.seed, size, trial]))
                tr, te = split_classes(classes, eligible, size, rng)
                if cfg.test_size is not None and len(te) > cfg.test_size:
                    te = np.sort(rng.choice(te, cfg.test_size, replace=False))
                split_cache[(size, trial)] = (tr, te)
            tr, te = split_cache[(size, trial)]
            entry, fkey = entries[name]
            X = feats[fkey]
            model = entry.build(random_state=int(np.random.SeedSequence([cfg.seed, size, trial, 1]).generate_state(1)[0]
                                                 % (2**31 - 1)))
            t0 = time.perf_counter()
            model.fit(X[tr], train_y[tr])
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            pred = np.asarray(model.predict(X[te]), dtype=np.float64)
            pred_s = time.perf_counter() - t0
            for o in cfg.over:
                if o == "rows":
                    sel = np.arange(len(te))
                else:  # one row per held-out class
                    _, sel = np.unique(classes[te], return_index=True)
                r = score_ranking(pred[sel], truth[te][sel], name=label, over=o, train_size=size, trial=trial,
                                  setup_seconds=fit_s, seconds_per_arch=pred_s / max(len(te), 1),
                                  notes=f"signal={cfg.signal}", **common)
                done[_key(r)] = r
                log.write(json.dumps(r) + "\n")
            log.flush()
            bar.update(1)
    bar.close()

    wanted = {(name + suffix) for name in cfg.predictors}
    rows = [r for k, r in done.items() if r["name"] in wanted and r["over"] in cfg.over
            and int(r["train_size"]) in sizes]
    rows.sort(key=lambda r: (r["over"], r["name"], r["train_size"], r["trial"]))
    refs = []
    for o in cfg.over:
        refs += references(bench, cfg.metric, over=o, resolution=res)
    summary = summarize(rows)
    write_results(rows, out / "results.csv")
    write_results(refs + summary, out / "summary.csv")
    cols = ("kind", "name", "over", "train_size", "n", "kendall_tau", "spearman", "sparse_kendall_tau",
            "sparse_kendall_tau_pred", "top5_precision", "r2", "mae", "setup_seconds", "seconds_per_arch")
    md = [f"# Predictors on {bench.name}: target {cfg.metric} (final), training signal: "
          f"{'seed mean' if cfg.signal == 'mean' else 'one seed per architecture'}\n",
          f"Split by class ({len(np.unique(classes[eligible]))} classes with results); sparse Kendall "
          f"rounding step {res:g} (`sparse_kendall_tau` rounds the reference, `sparse_kendall_tau_pred` the "
          f"predictions). Mean ± standard error over trials; `setup_seconds` = fit time.\n"]
    for o in cfg.over:
        md.append(f"\n## over {o}\n\n")
        md.append(to_markdown([r for r in refs + summary if r["over"] == o], columns=cols))
    (out / "summary.md").write_text("".join(md))
    _figures(summary, refs, out, bench.name, cfg.metric)
    return {"rows": rows, "summary": summary, "references": refs, "out": out}


def _figures(summary, refs, out: Path, bench_name: str, metric: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for score in FIGURE_SCORES:
        overs = sorted({r["over"] for r in summary})
        if not any(np.isfinite(r.get(score, np.nan)) for r in summary):
            continue
        fig, axes = plt.subplots(1, len(overs), figsize=(5.2 * len(overs), 3.8), squeeze=False)
        for ax, o in zip(axes[0], overs):
            names = sorted({r["name"] for r in summary if r["over"] == o})
            for name in names:
                rs = sorted((r for r in summary if r["over"] == o and r["name"] == name), key=lambda r: r["train_size"])
                x = np.array([r["train_size"] for r in rs], dtype=float)
                y = np.array([r[score] for r in rs], dtype=float)
                se = np.nan_to_num(np.array([r.get(score + "_se", np.nan) for r in rs], dtype=float))
                (line,) = ax.plot(x, y, marker="o", ms=3, label=name)
                ax.fill_between(x, y - se, y + se, color=line.get_color(), alpha=0.2)
            for r in refs:
                v = r.get(score, np.nan)
                if r["over"] == o and isinstance(v, float) and math.isfinite(v):
                    ax.axhline(v, ls="--", lw=1, color="0.4" if r["kind"] == "reference" else "0.7")
                    ax.annotate(r["name"], (ax.get_xlim()[0] if False else 1.0, v), xycoords=("axes fraction", "data"),
                                ha="right", va="bottom", fontsize=7, color="0.3")
            ax.set_xscale("log")
            ax.set_xlabel("training architectures (classes)")
            ax.set_ylabel(score)
            ax.set_title(f"{bench_name}, {metric}, over {o}", fontsize=9)
            ax.grid(alpha=0.3)
        axes[0][-1].legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        fig.savefig(out / f"{score}.png", dpi=120)
        plt.close(fig)
