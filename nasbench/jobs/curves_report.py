"""Job: score learning-curve extrapolation, training speed and accuracy-at-k on a table.

For every ``k`` (epochs seen) and every recorded seed (``trial``: one training run, as a live
search would see), each estimator of :mod:`nasbench.estimators.curves` scores every
equivalence class; rows inherit their class's score.  Scores are ranked against the seed-mean
``test_acc`` at the last epoch over rows and over classes (:func:`nasbench.results.score_ranking`),
averaged over trials (:func:`nasbench.results.summarize`: mean and standard error over the
recorded seeds) and written next to :func:`nasbench.results.references` (one-seed reference,
ceiling, params-only).  Also written: how well each family fits and extrapolates.

Writes into ``out``: ``curves.csv``/``curves.md`` (ranking results), ``fit_quality.csv``/
``fit_quality.md`` (per family and k: in-sample RMSE, error of the extrapolated last epoch,
Kendall of each family alone; ensemble calibration), ``kendall_vs_k.{png,pdf}``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CurvesJob", "run_curves_report", "leaderboard_gaps"]


@dataclass(frozen=True)
class CurvesJob:
    """Settings of the curve-estimator report.

    Attributes
    ----------
    benchmark : str
        Table name or path (an ``epoch_of_schedule`` table with ``train_loss``).
    ks : tuple of int or None
        Epochs seen (default every fidelity but the last; ``lce`` starts at 2).
    trials : tuple of int or None
        Recorded seeds read (default all).
    target : str
    out : str
    formats : tuple of str
    """

    benchmark: str = "nb201-mnist1d"
    ks: tuple[int, ...] | None = None
    trials: tuple[int, ...] | None = None
    target: str = "test_acc"
    out: str = "nasbench-curves"
    formats: tuple[str, ...] = ("png",)


def run_curves_report(job: CurvesJob, progress: bool = True) -> dict:
    """Run ``job``; returns ``{"rows": summary rows, "fit": fit-quality rows, "files": ...}``."""
    from scipy.stats import kendalltau

    from nasbench.catalog import get_benchmark
    from nasbench.estimators.curves import AccuracyAtK, CurveExtrapolation, TrainingSpeed
    from nasbench.results import references, score_ranking, summarize, to_markdown, write_results

    out = Path(job.out)
    out.mkdir(parents=True, exist_ok=True)
    b = get_benchmark(job.benchmark)
    fids = np.asarray(b.fidelities).tolist()
    ks = list(job.ks) if job.ks is not None else fids[:-1]
    trials = list(job.trials) if job.trials is not None else list(range(int(getattr(b, "n_seeds", 1))))
    cls = np.asarray(b.arch_class) if getattr(b, "arch_class", None) is not None else np.arange(b.space.size)
    reps = np.unique(cls)
    row_pos = np.searchsorted(reps, cls)  # row -> position of its class representative
    top = b.max_fidelity
    truth_c = np.asarray(b.query(reps, fidelity=top, seed="mean", metrics=[job.target]).values[job.target],
                         dtype=np.float64)
    truth_r = truth_c[row_pos]
    # the target without the run the estimator read (each seed vs the mean of the others, as the
    # one-seed reference is scored): the seed-mean shares 1/K of its noise with the run read
    per_seed = np.stack([np.asarray(b.query(reps, fidelity=top, trial=t, metrics=[job.target]).values[job.target],
                                    dtype=np.float64) for t in range(int(getattr(b, "n_seeds", 1)))])
    others = {t: (np.delete(per_seed, t, axis=0).mean(0) if len(per_seed) > 1 else truth_c) for t in trials}
    other_target = f"{job.target} (other seeds)"
    hib = b.higher_is_better(job.target)
    common = dict(kind="estimator", benchmark=b.name, target=job.target, higher_is_better=hib)

    raw: list[dict] = []
    fit_rows: list[dict] = []
    last_seen = {t: np.asarray(b.query(reps, fidelity=top, trial=t, metrics=["val_acc"]).values["val_acc"],
                               dtype=np.float64) for t in trials}
    t_start = time.perf_counter()
    for k in ks:
        for t in trials:
            ests = [AccuracyAtK(b, k, trial=t), TrainingSpeed(b, k, trial=t)]
            if k >= 2:
                ests.append(CurveExtrapolation(b, k, trial=t))
            for est in ests:
                if isinstance(est, CurveExtrapolation):
                    pr = est.predict(reps)
                    s = pr["mean"]
                    _fit_quality(fit_rows, pr, k, t, last_seen[t], truth_c, kendalltau)
                else:
                    s = est.estimate(reps)
                spa = est.cost_["per_arch_s"]
                notes = (f"train_s/arch {est.cost_['train_s'] / len(reps):.3g} (table, to epoch {k}) + "
                         f"fit_s/arch {est.cost_['fit_s'] / len(reps):.2g} (CPU)")
                kind_name = est.name.split("@")[0]
                raw.append(score_ranking(s, truth_c, name=kind_name, over="classes", k=k, trial=t,
                                         seconds_per_arch=spa, notes=notes, **common))
                raw.append(score_ranking(s[row_pos], truth_r, name=kind_name, over="rows", k=k, trial=t,
                                         seconds_per_arch=spa, notes=notes, **common))
                for over, sel in (("classes", slice(None)), ("rows", row_pos)):
                    raw.append(score_ranking(s[sel], others[t][sel], name=kind_name, over=over, k=k, trial=t,
                                             seconds_per_arch=spa, notes=notes,
                                             **{**common, "target": other_target}))
        if progress:
            print(f"k={k} done ({time.perf_counter() - t_start:.0f}s)", flush=True)
    # the whole curve (k = last epoch): how well the families describe the cosine-schedule shape
    for t in trials:
        full = CurveExtrapolation(b, top, trial=t).predict(reps)
        _fit_quality(fit_rows, full, top, t, last_seen[t], truth_c, kendalltau)
    rows = summarize(raw)
    refs = references(b, job.target, over="rows") + references(b, job.target, over="classes")
    allrows = refs + sorted(rows, key=lambda r: (r["target"] != job.target, r["over"], r["name"], r["k"]))
    files = {"csv": write_results(allrows, out / "curves.csv")}
    cols = ("kind", "name", "target", "over", "k", "n", "kendall_tau", "spearman", "top10_precision", "regret_top1",
            "seconds_per_arch")
    md = ["# Learning-curve estimators on " + b.name, "",
          f"Target: seed-mean `{job.target}` at epoch {top}; scores read one recorded run (trial) of "
          f"{len(trials)}; mean ± se over trials. `seconds_per_arch`: table train_time to epoch k plus fitting "
          f"CPU time. Target `{other_target}`: the mean of the seeds other than the run read (how the one-seed "
          "reference is scored; the seed-mean target shares the read run's noise).", "",
          to_markdown(allrows, cols)]
    (out / "curves.md").write_text("\n".join(md))
    files["md"] = out / "curves.md"
    fsum = _summarize_fit(fit_rows)
    files["fit_csv"] = _write_plain(fsum, out / "fit_quality.csv")
    (out / "fit_quality.md").write_text(_fit_markdown(fsum))
    files["fit_md"] = out / "fit_quality.md"
    files.update(_figure(allrows, out, job.formats, job.target))
    return {"rows": allrows, "fit": fsum, "files": files}


def _fit_quality(fit_rows, pr, k, trial, last, truth, kendalltau) -> None:
    """Per family: in-sample RMSE, error of the extrapolated last epoch (same run), Kendall alone."""
    y_k = pr["fitted"]  # (n, k, M) fitted values (0..1)
    names = pr["families"]
    obs = pr["observed"]
    for m, name in enumerate(names + ["ensemble"]):
        if name == "ensemble":
            p = pr["mean"]
            ins = float("nan")
        else:
            p = pr["per_family"][:, m]
            ins = float(np.sqrt(np.nanmean((y_k[:, :, m] - obs) ** 2)))
        err = p - last
        ok = np.isfinite(p)
        row = {"family": name, "k": k, "trial": trial, "insample_rmse": ins,
               "final_mae": float(np.nanmean(np.abs(err))), "final_bias": float(np.nanmean(err)),
               "final_rmse": float(np.sqrt(np.nanmean(err ** 2))),
               "kendall_tau": float(kendalltau(p[ok], truth[ok])[0]),
               "at_clip": float(np.mean((p >= 99.9) | (p <= 0.1)))}
        if name == "ensemble":
            z = np.abs(err) / pr["std"]
            row["coverage_1sd"] = float(np.mean(z < 1.0))
            row["coverage_2sd"] = float(np.mean(z < 2.0))
        fit_rows.append(row)


def _summarize_fit(fit_rows) -> list[dict]:
    groups: dict = {}
    for r in fit_rows:
        groups.setdefault((r["family"], r["k"]), []).append(r)
    out = []
    for (fam, k), rs in groups.items():
        s = {"family": fam, "k": k, "trials": len(rs)}
        for c in rs[0]:
            if c in ("family", "k", "trial"):
                continue
            v = np.array([r[c] for r in rs], dtype=np.float64)
            s[c] = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
        out.append(s)
    return sorted(out, key=lambda r: (r["k"], r["family"]))


def _write_plain(rows, path) -> Path:
    import csv

    cols = list(dict.fromkeys(c for r in rows for c in r))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: (f"{v:.4g}" if isinstance(v, float) else v) for c, v in r.items()})
    return Path(path)


def _fit_markdown(rows) -> str:
    cols = ["family", "k", "insample_rmse", "final_mae", "final_bias", "kendall_tau", "at_clip", "coverage_1sd",
            "coverage_2sd"]
    lines = ["# Fit quality of the curve families (val_acc, %, one run; mean over trials)", "",
             "`insample_rmse`: on epochs 1..k; `final_*`: extrapolated epoch-10 val_acc minus the same run's; "
             "`kendall_tau`: the family's prediction alone vs the seed-mean final test_acc (classes); "
             "`at_clip`: share of predictions clipped at 0 or 100 %; `coverage_*`: share of runs whose "
             "epoch-10 value lies within 1 / 2 predictive sd (ensemble).", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cells.append("" if isinstance(v, float) and math.isnan(v) else (f"{v:.3g}" if isinstance(v, float) else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _figure(rows, out: Path, formats, target: str) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, over in zip(axes, ("rows", "classes")):
        for name, style in (("lce", "o-"), ("sotl", "s-"), ("acc", "^-")):
            rs = sorted([r for r in rows if r["name"] == name and r["over"] == over and r["kind"] == "estimator"
                         and r["target"] == target], key=lambda r: r["k"])
            if not rs:
                continue
            k = [r["k"] for r in rs]
            m = np.array([r["kendall_tau"] for r in rs])
            se = np.array([r.get("kendall_tau_se", np.nan) for r in rs])
            ax.errorbar(k, m, yerr=np.nan_to_num(se), fmt=style, capsize=2,
                        label={"lce": "LCE (Domhan ensemble)", "sotl": "SoTL", "acc": "val_acc@k"}[name])
        for r in rows:
            if r["over"] == over and r["name"] in ("one-seed", "ceiling", "params-only"):
                ls = {"one-seed": "--", "ceiling": ":", "params-only": "-."}[r["name"]]
                ax.axhline(r["kendall_tau"], color="gray", ls=ls, lw=1, label=r["name"])
        ax.axhline(0, color="black", lw=0.5)
        ax.set_xlabel("epochs seen k")
        ax.set_title(f"over {over}")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Kendall tau vs seed-mean final test_acc")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    for fmt in formats:
        p = out / f"kendall_vs_k.{fmt}"
        fig.savefig(p, dpi=120)
        files[f"figure_{fmt}"] = p
    plt.close(fig)
    return files


def leaderboard_gaps(lb, pairs) -> list[dict]:
    """Regret gaps ``with - without`` of strategy pairs in a :class:`~nasbench.leaderboard.Leaderboard`.

    For each pair ``(with, without)``: the gap of mean regret at each checkpoint fraction of the
    budget and averaged over the leaderboard's (log-spaced) anytime grid, with the standard
    error of the difference of two independent means (negative = ``with`` is better).
    """
    rows = {r["strategy"]: r for r in lb.rows()}
    out = []
    for a, b in pairs:
        g = {"with": a, "without": b}
        for c in lb.checkpoints:
            key = f"regret@{c:g}"
            g[f"gap@{c:g}"] = rows[a][key] - rows[b][key]
            g[f"gap@{c:g}_se"] = math.hypot(rows[a][key + "_se"], rows[b][key + "_se"])
        ra, rb = np.asarray(lb.regret[a], dtype=np.float64), np.asarray(lb.regret[b], dtype=np.float64)
        ma, mb = np.nanmean(ra, 1), np.nanmean(rb, 1)  # per seed: mean regret over the grid
        g["gap_anytime"] = float(np.nanmean(ma) - np.nanmean(mb))
        g["gap_anytime_se"] = float(math.hypot(np.nanstd(ma, ddof=1) / math.sqrt(len(ma)),
                                               np.nanstd(mb, ddof=1) / math.sqrt(len(mb))))
        out.append(g)
    return out


if __name__ == "__main__":  # pragma: no cover
    import sys

    res = run_curves_report(CurvesJob(out=sys.argv[1] if len(sys.argv) > 1 else "nasbench-curves"))
    print(res["files"])
