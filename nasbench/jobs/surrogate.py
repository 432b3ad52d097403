"""Jobs: ``nasbench surrogate fit`` / ``nasbench surrogate info`` and the checks that make a
surrogate worth shipping (README, "Surrogate benchmarks").

* :func:`run_fit` fits a :class:`~nasbench.benchmarks.surrogate.SurrogateBenchmark` on a
  fraction of a table's classes and writes ``surrogates/<name>/``;
* :func:`describe_surrogate` summarises one (metadata, validation scores, files);
* :func:`noise_report` compares the surrogate's seed noise with the table's (per-class seed
  standard deviations, seed-vs-seed Kendall tau);
* :func:`nb301_test` is NAS-Bench-301's claim on a table with three seeds: a surrogate fitted on
  seed 0 only against seed 0 itself, both as estimates of the mean of the other seeds, on
  held-out classes;
* :func:`leaderboard_test` runs the same leaderboard on the table and on the surrogate and
  compares them (rank agreement of the strategies, gaps between mean regret curves, the
  surrogate runs' incumbents looked up in the table).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["SurrogateFitJob", "run_fit", "describe_surrogate", "noise_report", "nb301_test", "leaderboard_test"]


@dataclass(frozen=True)
class SurrogateFitJob:
    """Settings of ``nasbench surrogate fit``.

    Attributes
    ----------
    benchmark : str
        Table name (``nb201-mnist1d``) or path.
    out : str
        Output folder (``surrogates/<name>``).
    train_fraction : float
        Share of the table's classes used for training (one representative each).
    split_seed : int
        Seeds the training classes, the predictors and the noise draws.
    n_virtual_seeds : int
        ``K`` virtual seeds.
    name : str or None
        Surrogate name (default: the folder's name).
    n_jobs : int
        xgboost threads.
    direct_epochs : tuple of int
        Low fidelities with their own predictor per metric (see
        :class:`~nasbench.benchmarks.surrogate.SurrogateConfig`).
    zc_features : tuple of str or "auto"
        Zero-cost proxies used as features (:func:`resolve_zc_features`; default ``"auto"``).
    """

    benchmark: str
    out: str
    train_fraction: float = 0.2
    split_seed: int = 0
    n_virtual_seeds: int = 10
    name: str | None = None
    n_jobs: int = 2
    direct_epochs: tuple[int, ...] = (1,)
    zc_features: tuple[str, ...] | str = "auto"


def resolve_zc_features(bench, zc_features) -> tuple[str, ...]:
    """``"auto"``: :data:`~nasbench.benchmarks.surrogate.DEFAULT_ZC_FEATURES` if the table has all
    of them (its ``_zc`` companion is there), else none; ``"none"`` / empty: none; names: those
    (checked when fitting)."""
    from nasbench.benchmarks.surrogate import DEFAULT_ZC_FEATURES

    if isinstance(zc_features, str):
        zc_features = (zc_features,)
    zc = tuple(str(z) for z in zc_features)
    if zc == ("auto",):
        have = set(bench.static_metrics)
        return DEFAULT_ZC_FEATURES if all(f"zc_{z}" in have for z in DEFAULT_ZC_FEATURES) else ()
    if zc in ((), ("none",)):
        return ()
    return zc


def run_fit(job: SurrogateFitJob, progress=print) -> Path:
    """Fit and write the surrogate; returns its folder."""
    from nasbench.benchmarks.surrogate import SurrogateConfig, fit_surrogate
    from nasbench.benchmarks.tabular import load_benchmark

    bench = load_benchmark(job.benchmark)
    base = SurrogateConfig()
    zc = resolve_zc_features(bench, job.zc_features)
    if progress:
        progress(f"zero-cost features: {', '.join(zc) if zc else 'none'}"
                 + (" (auto: the table has no zero-cost companion)" if not zc and job.zc_features == "auto" else ""))
    cfg = SurrogateConfig(train_fraction=job.train_fraction, split_seed=job.split_seed,
                          n_virtual_seeds=job.n_virtual_seeds, name=job.name or Path(job.out).name,
                          direct_epochs=tuple(job.direct_epochs), zc_features=zc,
                          final_params={**base.final_params, "n_jobs": job.n_jobs},
                          aux_params={**base.aux_params, "n_jobs": job.n_jobs},
                          curve_params={**base.curve_params, "n_jobs": job.n_jobs})
    out = fit_surrogate(bench, job.out, cfg, progress=progress)
    if bench.n_seeds >= 2:  # how the virtual seeds' noise compares with the recorded seeds'
        from nasbench.benchmarks.surrogate import METADATA, SurrogateBenchmark

        meta = json.loads((out / METADATA).read_text())
        meta["noise_comparison"] = noise_report(SurrogateBenchmark(out), bench)
        (out / METADATA).write_text(json.dumps(meta, indent=1))
    return out


def describe_surrogate(name_or_path, root=None) -> str:
    """A human-readable summary: what it was fitted on, held-out scores, files."""
    from nasbench.benchmarks.surrogate import load_surrogate

    s = load_surrogate(name_or_path, root=root)
    m = s.metadata
    td = m["training_data"]
    lines = [f"{s.name}: {s.path}",
             f"  space {m['space']} ({s.space.size} architectures, coverage 100%), encoding {m['encoding']} "
             f"v{m['encoding_version']}",
             f"  fitted on {td['benchmark']}: {td['n_train_classes']} of {td['n_classes_with_results']} classes "
             f"({100 * td['train_fraction']:.0f}%), target: {td['target']}; training data sha256 "
             f"{td['sha256'][:16]}",
             f"  fidelities {m['fidelities']} ({m['fidelity_kind']}), {m['n_virtual_seeds']} virtual seeds, "
             f"cost in {m['cost_unit']}",
             f"  metrics: {', '.join(m['metrics'])}; static (exact): {', '.join(m['static_metrics'])}",
             f"  features: {len(m.get('feature_names', []))} columns; zero-cost scores: "
             + (", ".join(z for z in (m.get("model", {}).get("features", {}).get("zero_cost") or [])) or "none"),
             "  held-out validation (final epoch, seed-mean truth):"]
    for key, r in m["validation"].items():
        if isinstance(r, dict) and "kendall_tau" in r:
            lines.append(f"    {key:18s} n={r['n']:<6d} Kendall {r['kendall_tau']:.3f}  Spearman {r['spearman']:.3f}"
                         f"  sparse Kendall {r['sparse_kendall_tau']:.3f}  R2 {r['r2']:.3f}")
    rm = m["validation"].get("curve_rmse_heldout_classes", {})
    if rm:
        lines.append("  curve RMSE on held-out classes: " + ", ".join(f"{k} {v:.3g}" for k, v in rm.items()))
    nc = m.get("noise_comparison")
    if nc:
        lines.append(f"  seed noise of {nc['metric']} at fidelity {nc['fidelity']} ({nc['n_seeds']} seeds each side):")
        for side in ("table", "surrogate"):
            r = nc[side]
            q = r["seed_std_quantiles"]
            lines.append(f"    {side:10s} per-class seed std q10/50/90/99 {q['q10']}/{q['q50']}/{q['q90']}/{q['q99']}, "
                         f"seed-vs-seed Kendall {r['seed_vs_seed_kendall_classes']:.3f} (classes), "
                         f"{r['seed_vs_seed_kendall_rows']:.3f} (rows)")
    lines.append("  versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))
    lines.append(f"  files: {', '.join(sorted(m['files']))}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- noise
def _pairwise_tau(per: np.ndarray) -> float:
    from scipy.stats import kendalltau

    K = per.shape[0]
    return float(np.mean([kendalltau(per[a], per[b])[0] for a in range(K) for b in range(a + 1, K)]))


def noise_report(surrogate, table, metric: str = "test_acc", n_seeds: int | None = None) -> dict:
    """Seed noise of ``surrogate`` against ``table`` at the top fidelity.

    Both sides use ``n_seeds`` seeds (default: the table's, so standard deviations are equally
    biased): the table's recorded seeds, the surrogate's first virtual seeds.  Per class: the
    seed standard deviation (quantiles 10/50/90/99 %, mean); over classes and over rows: the
    mean seed-vs-seed Kendall tau.
    """
    S = int(n_seeds or table.n_seeds)
    f = table.max_fidelity
    reps = np.unique(np.asarray(table.arch_class)) if getattr(table, "arch_class", None) is not None \
        else np.arange(table.space.size)
    out = {"metric": metric, "fidelity": int(f), "n_seeds": S}

    def seeds_of(b):  # (S, n) the first S seeds of every row
        return np.stack([np.asarray(b.query(np.arange(b.space.size), fidelity=f, trial=k, metrics=[metric])
                                    .values[metric], dtype=np.float64) for k in range(S)])

    # both sides over the architectures the table trained (a sampled table has NaN elsewhere)
    table_rows = seeds_of(table)
    trained = np.isfinite(table_rows).all(0)
    reps = reps[trained[reps]]
    rows = np.flatnonzero(trained)
    out["n_classes"], out["n_rows"] = int(len(reps)), int(len(rows))
    for label, all_rows in (("table", table_rows), ("surrogate", seeds_of(surrogate))):
        per_rows = all_rows[:, rows]
        per = all_rows[:, reps]
        sd = per.std(0, ddof=1)
        out[label] = {"seed_std_quantiles": dict(zip(("q10", "q50", "q90", "q99"),
                                                     np.percentile(sd, [10, 50, 90, 99]).round(3).tolist())),
                      "seed_std_mean": round(float(sd.mean()), 3),
                      "seed_vs_seed_kendall_classes": round(_pairwise_tau(per), 4),
                      "seed_vs_seed_kendall_rows": round(_pairwise_tau(per_rows), 4)}
    return out


# ----------------------------------------------------------------------------- NB301's claim
def nb301_test(table, train_fraction: float = 0.2, split_seed: int = 0, metric: str = "test_acc",
               params: dict | None = None, zc_features: Sequence[str] = ()) -> dict:
    """Is a surrogate fitted on one seed closer to the truth than that seed itself?

    Fits the final-epoch model of :func:`~nasbench.benchmarks.surrogate.fit_surrogate` (same
    features -- pass the shipped surrogate's ``zc_features`` -- settings and class split) on
    recorded seed 0 of ``train_fraction`` of the classes; on the held-out classes compares (a)
    the surrogate's prediction and (b) seed 0's own value, both against the mean of seeds
    1..S-1 (Kendall tau, Spearman, R2), over rows and classes.
    """
    from nasbench.benchmarks.surrogate import SurrogateConfig, _predictor, class_structure, design_matrix
    from nasbench.results import score_ranking

    if table.n_seeds < 2:
        raise ValueError(f"{table.name} has {table.n_seeds} seed; the test needs at least 2")
    cfg = SurrogateConfig(train_fraction=train_fraction, split_seed=split_seed)
    row_class, reps = class_structure(table)
    f = table.max_fidelity
    per = np.stack([np.asarray(table.query(reps, fidelity=f, trial=k, metrics=[metric]).values[metric],
                               dtype=np.float64) for k in range(table.n_seeds)])  # (S, C)
    covered = np.flatnonzero(np.isfinite(per).all(0))
    rng = np.random.default_rng(split_seed)
    train = np.sort(rng.choice(covered, size=int(round(train_fraction * len(covered))), replace=False))
    held = np.setdiff1d(covered, train)
    X, names = design_matrix(table, reps, tuple(zc_features))
    seed0, rest = per[0], per[1:].mean(0)
    p = _predictor(params or cfg.final_params, 0).fit(X[train], seed0[train])
    pred = p.predict(X)
    rows = np.flatnonzero(np.isin(row_class, held))
    out = {"metric": metric, "train_classes": int(len(train)), "heldout_classes": int(len(held)),
           "heldout_rows": int(len(rows)), "zc_features": [n for n in names if n.startswith("zc_")]}
    for over, cls in (("rows", row_class[rows]), ("classes", held)):
        for name, x in (("surrogate_seed0", pred), ("seed0", seed0)):
            r = score_ranking(x[cls], rest[cls], name=name, over=over, same_scale=True)
            out[f"{name}/{over}"] = {k: round(float(r[k]), 4) for k in ("kendall_tau", "spearman", "r2", "mae")}
    return out


# ----------------------------------------------------------------------------- leaderboard
def leaderboard_test(table_name: str, surrogate_name: str, out, *, strategies: Sequence[str] | None = None,
                     seeds: int = 30, budget: str = "150x", progress: bool = False) -> dict:
    """The same leaderboard on the table and on the surrogate, compared.

    Returns (and writes to ``out/comparison.json``): per strategy the mean final regret on
    each, the mean *real* regret of the surrogate runs' final incumbents (their seed-mean test
    accuracy looked up in the table), Kendall tau of the strategies' mean final regrets (all
    strategies, and without BANANAS, whose model resembles the surrogate's), and the largest
    gap between the mean regret curves (grid: 50 log-spaced fractions of the budget, 1 % to
    100 %).
    """
    from scipy.stats import kendalltau

    from nasbench.benchmarks.tabular import load_benchmark
    from nasbench.catalog import STRATEGIES
    from nasbench.jobs.leaderboard import LeaderboardJob, run_leaderboard

    strategies = tuple(strategies or ("rs", "re", "ls", "ls-first", "reinforce", "bananas", "sh", "hb", "bohb"))
    out = Path(out)
    benches = {"table": load_benchmark(table_name), "surrogate": load_benchmark(surrogate_name)}
    table = benches["table"]
    reps = {}
    for key, b in benches.items():
        reps[key] = run_leaderboard(LeaderboardJob(benchmark=b.name, strategies=strategies, seeds=seeds,
                                                   budget=budget, out=str(out / key), formats=("png",),
                                                   progress=progress), benchmark=b)
    t_mean = np.asarray(table.table("test_acc", seed="mean"), dtype=np.float64)
    t_oracle = float(np.nanmax(t_mean))
    frac = np.logspace(-2, 0, 50)
    res: dict = {"strategies": list(strategies), "seeds": seeds, "budget": budget, "per_strategy": {}}
    final = {"table": [], "surrogate": [], "surrogate_real": []}
    gaps = []
    for s in strategies:
        row = {}
        curves = {}
        for key, rep in reps.items():
            trs = rep.leaderboard.traces[s] if hasattr(rep.leaderboard, "traces") else None
            if trs is None:
                raise RuntimeError("Leaderboard has no traces attribute")
            end = float(rep.budget.cost) if rep.budget.cost is not None else None
            reg = np.stack([tr.regret_at(frac * (end if end is not None else float(tr.finish[-1])))
                            for tr in trs])
            curves[key] = np.nanmean(reg, 0)
            fin = np.array([tr.final()["regret"] for tr in trs], dtype=np.float64)
            row[f"{key}_final_regret"] = round(float(fin.mean()), 3)
            row[f"{key}_final_regret_se"] = round(float(fin.std(ddof=1) / np.sqrt(len(fin))), 3)
            final[key].append(fin.mean())
            if key == "surrogate":
                inc = np.array([tr.final()["arch"] for tr in trs], dtype=np.int64)
                real = t_oracle - t_mean[inc]
                row["surrogate_incumbents_real_regret"] = round(float(real.mean()), 3)
                row["surrogate_incumbents_real_regret_se"] = round(float(real.std(ddof=1) / np.sqrt(len(real))), 3)
                final["surrogate_real"].append(real.mean())
        gap = np.abs(curves["table"] - curves["surrogate"])
        row["max_curve_gap"] = round(float(np.nanmax(gap)), 3)
        gaps.append((float(np.nanmax(gap)), s))
        res["per_strategy"][s] = row
    keep = [i for i, s in enumerate(strategies) if STRATEGIES[s].kind != "model-based"]
    a, b, c = (np.array(final[k]) for k in ("table", "surrogate", "surrogate_real"))
    res["kendall_final_regret_all"] = round(float(kendalltau(a, b)[0]), 3)
    res["kendall_final_regret_without_model_based"] = round(float(kendalltau(a[keep], b[keep])[0]), 3)
    res["kendall_table_vs_surrogate_incumbents_in_table"] = round(float(kendalltau(a, c)[0]), 3)
    res["largest_mean_regret_curve_gap"] = {"gap": round(max(gaps)[0], 3), "strategy": max(gaps)[1]}
    res["largest_gap_without_model_based"] = {"gap": round(max(gaps[i] for i in keep)[0], 3),
                                              "strategy": max(gaps[i] for i in keep)[1]}
    res["oracle"] = {"table": round(t_oracle, 3), "surrogate": round(float(benches["surrogate"].best("test_acc")), 3)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.json").write_text(json.dumps(res, indent=1))
    return res
