"""NAS-Bench-301's live check of a surrogate: search on it, then train the incumbents for real.

1. :func:`surrogate_incumbents`: run strategies on the surrogate (the simulated clock, several
   run seeds each) and collect each run's final incumbent (chosen on validation accuracy): a
   few dozen distinct architectures.
2. Train them live with the generator into their own records directory, with the sample's
   settings (``nasbench generate --space size-mnist1d ... --archs I ...``; resumable):
   :func:`incumbent_generate_config`.
3. :func:`compare_incumbents`: what the surrogate promised (noiseless prediction) against the
   real seed means: error, rank agreement among the incumbents, and each strategy's mean
   promised vs real final accuracy.

The incumbents are kept out of the Latin-hypercube sample's records so that the sample stays
a designed sample; the held-out flag of each incumbent (``is_holdout``) is reported, since the
surrogate was fitted on the non-held-out sample only.
"""
from __future__ import annotations

import numpy as np

__all__ = ["surrogate_incumbents", "incumbent_generate_config", "compare_incumbents"]


def surrogate_incumbents(surrogate, strategies=("rs", "re", "ls", "bananas", "reinforce"), seeds=range(6),
                         budget="100x") -> dict:
    """``{"runs": [(strategy, seed, arch index, promised val, promised test)], "archs": sorted unique}``."""
    from nasbench.catalog import strategy_factory
    from nasbench.runner import run

    runs = []
    for name in strategies:
        f = strategy_factory(name, surrogate)
        for s in seeds:
            fin = run(f, surrogate, budget, seed=int(s), name=name).final()
            runs.append((name, int(s), int(fin["arch"]), float(fin["val_acc"]), float(fin["test_acc"])))
    return {"runs": runs, "archs": sorted({r[2] for r in runs if r[2] >= 0}), "budget": str(budget)}


def incumbent_generate_config(archs, out: str, **kw):
    """The generator configuration that trains ``archs`` as the size-mnist1d sample was trained."""
    from nasbench.jobs.ground_truth import GenerateConfig

    base = dict(space="size-mnist1d", preset="size-mnist1d", task="mnist1d", seeds=(0, 1), epochs=10, workers=1)
    base.update(kw)
    return GenerateConfig(out=str(out), archs=tuple(int(a) for a in archs), **base)


def compare_incumbents(surrogate, live_table, incumbents: dict, metric: str = "test_acc") -> dict:
    """Promised (surrogate, ``seed="mean"``) against real (live table, seed mean), final epoch."""
    from scipy.stats import kendalltau, spearmanr

    from nasbench.jobs.size_plan import is_holdout

    archs = np.asarray(incumbents["archs"], dtype=np.int64)
    f = live_table.max_fidelity
    real = np.asarray(live_table.query(archs, fidelity=f, seed="mean", metrics=[metric]).values[metric])
    ok = np.isfinite(real)
    archs, real = archs[ok], real[ok]
    prom = np.asarray(surrogate.query(archs, fidelity=f, seed="mean", metrics=[metric]).values[metric])
    out = {"metric": metric, "n_trained_incumbents": int(len(archs)), "n_heldout": int(is_holdout(archs).sum()),
           "mae": round(float(np.mean(np.abs(prom - real))), 3),
           "mean_promised_minus_real": round(float(np.mean(prom - real)), 3),
           "kendall_tau": round(float(kendalltau(prom, real)[0]), 4) if len(archs) > 2 else float("nan"),
           "spearman": round(float(spearmanr(prom, real)[0]), 4) if len(archs) > 2 else float("nan")}
    pos = {int(a): i for i, a in enumerate(archs)}
    per: dict = {}
    for name, _, a, _, _ in incumbents["runs"]:
        if a in pos:
            per.setdefault(name, []).append(pos[a])
    out["per_strategy"] = {n: {"runs": len(ix), "promised": round(float(prom[ix].mean()), 3),
                               "real": round(float(real[ix].mean()), 3)} for n, ix in per.items()}
    out["strategy_order_promised"] = sorted(out["per_strategy"], key=lambda n: -out["per_strategy"][n]["promised"])
    out["strategy_order_real"] = sorted(out["per_strategy"], key=lambda n: -out["per_strategy"][n]["real"])
    return out
