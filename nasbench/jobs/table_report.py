"""Quality figures of a ground-truth table: is it a meaningful benchmark?

Works on the raw generation records (before merging) so a pilot can be judged while the run
goes on.  Reported: final test accuracy spread (best minus median over trained classes),
Kendall tau / Spearman between seed pairs' final accuracies (all classes and the top half;
spread and tau also over all rows of the space whose class is trained, ``rows_*``),
the best class against the all-skip and all-pool cells, rank correlation with parameter count
(when static data are given), and training cost per architecture-seed.
"""
from __future__ import annotations

import itertools

import numpy as np

__all__ = ["quality_from_records", "format_quality", "format_markdown", "retime_agreement"]


def quality_from_records(records_dir, metric: str = "test_acc") -> dict:
    from scipy.stats import kendalltau, spearmanr

    from nasbench.io.records import read_manifest, read_records
    from nasbench.spaces import NB201Space

    man = read_manifest(records_dir)
    recs = read_records(records_dir)
    if not recs:
        raise ValueError(f"{records_dir}: no records yet")
    idx = np.array(sorted(recs))
    final = np.stack([recs[i].arrays[metric][:, -1] for i in idx])  # (n, n_seeds)
    ttime = np.stack([recs[i].arrays["train_time"][:, -1] for i in idx])
    mean = np.nanmean(final, 1)
    out: dict = {"n_archs": int(len(idx)), "n_seeds": int(final.shape[1]), "metric": metric,
                 "best": float(np.nanmax(mean)), "median": float(np.nanmedian(mean)),
                 "worst": float(np.nanmin(mean))}
    out["spread_best_minus_median"] = out["best"] - out["median"]
    out["seed_kendall_tau"] = _mean_over_seed_pairs(kendalltau, final)
    out["seed_spearman"] = _mean_over_seed_pairs(spearmanr, final)
    out["seed_kendall_tau_top_half"] = _mean_over_seed_pairs(kendalltau, final[mean >= np.nanmedian(mean)])
    space = NB201Space()
    cls = space.class_index(man.get("rule", "function"))
    named = {"all_skip": (1,) * 6, "all_pool": (4,) * 6, "all_conv3x3": (3,) * 6, "all_conv1x1": (2,) * 6}
    pos = {int(i): k for k, i in enumerate(idx)}
    for name, ops in named.items():
        rep = int(cls[space.index(space.arch(ops))])
        out[name] = float(mean[pos[rep]]) if rep in pos else None
    # the same over rows (all architectures of the space whose class is trained): classes
    # count by their size, as they do for a search strategy sampling architectures
    rec_of_class = np.full(len(cls), -1, dtype=np.int64)  # class id -> position in idx
    rec_of_class[cls[idx]] = np.arange(len(idx))
    rows = rec_of_class[cls]
    rows = rows[rows >= 0]
    out["rows_covered"] = int(len(rows))
    rmean = mean[rows]
    out["rows_spread_best_minus_median"] = float(np.nanmax(rmean) - np.nanmedian(rmean))
    out["rows_seed_kendall_tau"] = _mean_over_seed_pairs(kendalltau, final[rows])
    out["train_s_per_arch_seed_median"] = float(np.nanmedian(ttime))
    out["train_s_per_arch_seed_mean"] = float(np.nanmean(ttime))
    out["diverged_runs"] = int(sum(int(recs[i].arrays["diverged"].sum()) for i in idx))
    wall = [recs[i].info.get("wall_s", np.nan) for i in idx]
    out["wall_s_per_arch_median"] = float(np.nanmedian(wall))
    out.update(retime_agreement(records_dir))
    return out


def _mean_over_seed_pairs(stat, final: np.ndarray) -> float:
    """Mean of ``stat(seed a, seed b)[0]`` over all seed pairs of ``final`` ``(n, n_seeds)``,
    each pair on the rows where both are finite (NaN with fewer than two seeds)."""
    vals = []
    for a, b in itertools.combinations(range(final.shape[1]), 2):
        ok = np.isfinite(final[:, a]) & np.isfinite(final[:, b])
        vals.append(stat(final[ok, a], final[ok, b])[0])
    return float(np.mean(vals)) if vals else float("nan")


def retime_agreement(records_dir) -> dict:
    """How many re-timed records (``generate --retime``) reproduced their original metrics.

    Returns ``retimed`` (pairs found), ``retimed_identical`` (all metric arrays bit-identical)
    and ``retimed_max_abs_diff`` (largest metric difference over all pairs; accuracy in points).
    """
    from nasbench.io.records import retime_pairs
    from nasbench.benchmarks.base import PER_EPOCH_METRICS as METRICS

    pairs = retime_pairs(records_dir)
    same, worst = 0, 0.0
    for old, new in pairs:
        diffs = [np.nanmax(np.abs(old.arrays[m].astype(np.float64) - new.arrays[m]), initial=0.0)
                 for m in METRICS]
        nan_same = all(np.array_equal(np.isnan(old.arrays[m]), np.isnan(new.arrays[m])) for m in METRICS)
        d = max(diffs) if nan_same else float("inf")
        same += int(d == 0.0)
        worst = max(worst, d)
    return {"retimed": len(pairs), "retimed_identical": same,
            "retimed_max_abs_diff": float(worst) if pairs else None}


def format_quality(q: dict) -> str:
    lines = []
    for k, v in q.items():
        lines.append(f"{k:32s} {v:.3f}" if isinstance(v, float) else f"{k:32s} {v}")
    return "\n".join(lines)


_MARKDOWN_ROWS = (
    ("n_archs", "classes trained", "{:,}"), ("rows_covered", "rows covered (of 15,625)", "{:,}"),
    ("best", "best class (%)", "{:.2f}"), ("median", "median class (%)", "{:.2f}"),
    ("spread_best_minus_median", "spread, best - median, classes (points)", "{:.2f}"),
    ("rows_spread_best_minus_median", "spread, best - median, rows (points)", "{:.2f}"),
    ("seed_kendall_tau", "Kendall tau between two seeds, classes (mean of 3 pairs)", "{:.3f}"),
    ("rows_seed_kendall_tau", "Kendall tau between two seeds, rows", "{:.3f}"),
    ("seed_kendall_tau_top_half", "Kendall tau between two seeds, top half of classes", "{:.3f}"),
    ("all_conv3x3", "all-conv3x3 cell (%)", "{:.2f}"), ("all_conv1x1", "all-conv1x1 cell (%)", "{:.2f}"),
    ("all_skip", "all-skip cell (%)", "{:.2f}"), ("all_pool", "all-avg-pool cell (%)", "{:.2f}"),
    ("train_s_per_arch_seed_median", "training CPU-seconds per architecture-seed (median)", "{:.2f}"),
    ("diverged_runs", "diverged runs", "{}"),
    ("retimed_identical", "re-timed runs with bit-identical metrics", "{}"),
)


def format_markdown(q: dict) -> str:
    """The main figures of :func:`quality_from_records` as a two-column markdown table."""
    lines = ["| figure | value |", "|---|---|"]
    for key, label, fmt in _MARKDOWN_ROWS:
        v = q.get(key)
        if key == "retimed_identical":
            v = f"{q['retimed_identical']} of {q['retimed']}" if q.get("retimed") else None
        lines.append(f"| {label} | {'-' if v is None else fmt.format(v)} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m nasbench.jobs.table_report DIR [--markdown]
    import sys

    args = [a for a in sys.argv[1:] if a != "--markdown"]
    q = quality_from_records(args[0])
    print(format_markdown(q) if "--markdown" in sys.argv[1:] else format_quality(q))
