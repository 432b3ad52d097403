"""Checks of the size space's sampled table and its surrogate (README "The size space").

* :func:`width_effects`: mean final accuracy, MACs, params (and latency when present) by the
  width of each layer over the trained sample (does accuracy saturate, where; do cost metrics
  grow with the widths).
* :func:`heldout_report`: the surrogate on the held-out architectures (never trained on) next
  to seed-to-seed noise: R2, MAE, Kendall tau and sparse Kendall tau of the surrogate's
  prediction against the seed mean, and of the surrogate against one seed compared with one
  seed against the other (a tabular benchmark's own noise).
* :func:`pareto_agreement`: the accuracy-vs-cost Pareto front of the surrogate against the front
  of the trained sample: overlap of the fronts and hypervolume ratio.

All of them read benchmarks through ``query`` and return plain dicts (JSON-able).
"""
from __future__ import annotations

import numpy as np

__all__ = ["trained_rows", "width_effects", "heldout_report", "pareto_agreement"]


def trained_rows(table) -> np.ndarray:
    """``(m,)`` int64: rows of a sampled table that hold results (every seed, final epoch)."""
    v = np.asarray(table.query(np.arange(table.space.size), fidelity=table.max_fidelity, seed="mean",
                               metrics=["val_acc"]).values["val_acc"])
    return np.flatnonzero(np.isfinite(v))


def width_effects(table, metric: str = "test_acc") -> dict:
    """Per layer and width: mean (over trained architectures) of final ``metric`` and of the
    static metrics; plus the same for all five layers at one width (the uniform landmarks)."""
    space = table.space
    rows = trained_rows(table)
    w = space.widths_of(rows)
    statics = [m for m in table.static_metrics if m in ("params", "flops") or m.startswith("latency_")]
    ev = table.query(rows, fidelity=table.max_fidelity, seed="mean", metrics=[metric, *statics])
    out: dict = {"n_trained": int(len(rows)), "metric": metric, "layers": {}}
    for layer in range(w.shape[1]):
        per = {}
        for c in space.channels:
            sel = w[:, layer] == c
            if sel.any():
                per[int(c)] = {"n": int(sel.sum()),
                               **{m: round(float(np.mean(ev.values[m][sel])), 4) for m in (metric, *statics)}}
        out["layers"][f"layer{layer}_{space.layer_kinds[layer]}"] = per
    uni = {}
    for c in space.channels:
        i = space.index(space.from_widths([c] * 5))
        hit = np.flatnonzero(rows == i)
        if len(hit):
            uni[int(c)] = {m: round(float(ev.values[m][hit[0]]), 4) for m in (metric, *statics)}
    out["uniform_widths"] = uni
    from scipy.stats import spearmanr

    tw = w.sum(1)
    out["spearman_with_total_width"] = {m: round(float(spearmanr(tw, ev.values[m])[0]), 4)
                                        for m in (metric, *statics)}
    return out


def _kendall(a, b) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(a, b)[0])


def _scores(pred, truth) -> dict:
    pred, truth = np.asarray(pred, np.float64), np.asarray(truth, np.float64)
    ss = np.sum((truth - truth.mean()) ** 2)
    return {"r2": round(float(1 - np.sum((pred - truth) ** 2) / ss), 4) if ss > 0 else float("nan"),
            "mae": round(float(np.mean(np.abs(pred - truth))), 4),
            "rmse": round(float(np.sqrt(np.mean((pred - truth) ** 2))), 4),
            "kendall_tau": round(_kendall(pred, truth), 4),
            "sparse_kendall_tau": round(_kendall(np.round(pred, 1), np.round(truth, 1)), 4)}


def heldout_report(surrogate, table, metrics=("val_acc", "test_acc")) -> dict:
    """The surrogate on the table's held-out architectures, next to seed-to-seed noise.

    ``surrogate_vs_mean``: the noiseless prediction (``seed="mean"``) against the seed mean.
    ``surrogate_vs_seed1`` and ``seed0_vs_seed1``: the prediction and recorded seed 0, each as a
    predictor of recorded seed 1 (so the surrogate's error stands next to what one more training
    run would differ by).  Final epoch.
    """
    held = np.asarray(surrogate.metadata.get("heldout_representatives") or [], dtype=np.int64)
    if not len(held):
        raise ValueError(f"{surrogate.name} records no held-out architectures")
    f = table.max_fidelity
    out: dict = {"n_heldout": int(len(held)), "fidelity": int(f)}
    for m in metrics:
        pred = surrogate.query(held, fidelity=f, seed="mean", metrics=[m]).values[m]
        seeds = [table.query(held, fidelity=f, trial=k, metrics=[m]).values[m] for k in range(table.n_seeds)]
        mean = np.mean(seeds, 0)
        r = {"surrogate_vs_mean": _scores(pred, mean)}
        if table.n_seeds >= 2:
            r["surrogate_vs_seed1"] = _scores(pred, seeds[1])
            r["seed0_vs_seed1"] = _scores(seeds[0], seeds[1])
            r["seed_std_mean"] = round(float(np.mean(np.std(seeds, 0, ddof=1))), 4)
        out[m] = r
    return out


def _front(acc, cost) -> np.ndarray:
    from nasbench.strategies.multiobjective import pareto_mask

    return np.flatnonzero(pareto_mask(np.stack([acc, -cost], 1)))


def pareto_agreement(surrogate, table, cost: str, metric: str = "test_acc") -> dict:
    """Accuracy (max) vs ``cost`` (min) fronts: surrogate against the trained sample.

    ``on_trained``: among the trained architectures, the front the surrogate's predictions
    give against the front of the recorded seed means: Jaccard overlap of the two sets of
    architectures and the hypervolume of the surrogate's front scored with true values over the
    true front's.  ``whole_space``: the surrogate's front over all architectures (predicted
    values) against the trained sample's front (true values): hypervolume ratio, and how many
    of the surrogate's front architectures were trained.  Reference point: the trained sample's
    worst accuracy and largest cost.
    """
    from nasbench.strategies.multiobjective import hypervolume_2d

    rows = trained_rows(table)
    f = table.max_fidelity
    true = table.query(rows, fidelity=f, seed="mean", metrics=[metric, cost]).values
    pred = surrogate.query(rows, fidelity=f, seed="mean", metrics=[metric, cost]).values
    ref = (-float(np.max(true[cost])), float(np.min(true[metric])))
    hv = lambda a, c: hypervolume_2d(np.stack([-np.asarray(c), np.asarray(a)], 1), ref)  # noqa: E731
    ft = _front(true[metric], true[cost])
    fp = _front(pred[metric], pred[cost])
    inter = len(np.intersect1d(rows[ft], rows[fp]))
    on_trained = {"n_true_front": int(len(ft)), "n_surrogate_front": int(len(fp)),
                  "jaccard": round(inter / len(np.union1d(rows[ft], rows[fp])), 4),
                  "hv_true_front": round(hv(true[metric][ft], true[cost][ft]), 4),
                  "hv_ratio_surrogate_front_true_values": round(
                      hv(true[metric][fp], true[cost][fp]) / hv(true[metric][ft], true[cost][ft]), 4)}
    allv = surrogate.query(np.arange(surrogate.space.size), fidelity=f, seed="mean", metrics=[metric, cost]).values
    fa = _front(allv[metric], allv[cost])
    whole = {"n_surrogate_front": int(len(fa)), "front_trained": int(np.isin(fa, rows).sum()),
             "hv_ratio_surrogate_space_over_trained_sample": round(
                 hv(allv[metric][fa], allv[cost][fa]) / hv(true[metric][ft], true[cost][ft]), 4),
             "surrogate_front": [[surrogate.space.to_string(surrogate.space.from_index(int(i))),
                                  round(float(allv[metric][i]), 3), float(allv[cost][i])] for i in fa]}
    return {"metric": metric, "cost": cost, "reference_point": {"cost": -ref[0], metric: ref[1]},
            "n_trained": int(len(rows)), "on_trained": on_trained, "whole_space": whole}
