"""Predictor speed: fit on 1,000 architectures, predict 10^5, every catalog predictor, one run.

    python perf/predictors.py [--benchmark nb201-mnist1d] [--n-train 1000] [--n-predict 100000]
                              [--predictors xgb rf gp mlp gin curve boost3 bagged-gbr]

Features as the evaluation job builds them (one-hot + path for vector predictors, adjacency +
ops for GIN, one-hot + 3 epochs for the curve predictor); target: final seed-mean val_acc.
Baselines measured in the same run, on the same data: ordinary ridge regression
(``sklearn.linear_model.Ridge``) on the same features, and the encoding itself (index array ->
one-hot + path features).  Printed: fit seconds, predict seconds for ``--n-predict``
architectures (mean only, and with ``return_std`` where the model has it), architectures per
second, and fit time as a multiple of ridge's.  One thread (``n_jobs=1``, BLAS limited to 1);
the machine's load average is printed, since shared machines slow every number.  Nothing here
is asserted by tests.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("--benchmark", default="nb201-mnist1d")
    p.add_argument("--n-train", type=int, default=1000)
    p.add_argument("--n-predict", type=int, default=100_000)
    p.add_argument("--predictors", nargs="+", default=["xgb", "rf", "gp", "mlp", "gin", "curve", "boost3",
                                                      "bagged-gbr"])
    args = p.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from nasbench.catalog import get_benchmark, predictor_factory
    from nasbench.encodings import OneHot, PathEncoding
    from nasbench.jobs.predictors import _curve_k, _features
    from nasbench.predictors import supports_std

    bench = get_benchmark(args.benchmark)
    n = bench.space.size
    rng = np.random.default_rng(0)
    y_all = np.asarray(bench.table("val_acc"), dtype=np.float64)
    curve = np.asarray(bench.query(np.arange(n), fidelity=None, seed="mean", metrics=["val_acc"]).values["val_acc"],
                       dtype=np.float64)
    tr = rng.choice(np.flatnonzero(np.isfinite(y_all)), args.n_train, replace=False)
    te = rng.integers(0, n, args.n_predict)  # architectures may repeat: a throughput test
    print(f"{bench.name}: fit on {args.n_train}, predict {args.n_predict:,}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")

    with threadpool_limits(limits=1):
        # baseline 1: the encoding (index array -> one-hot + path)
        oh, pe = OneHot().fit(), PathEncoding().fit()
        oh.transform(te[:10]), pe.transform(te[:10])
        t = time.perf_counter()
        Xe = np.concatenate([oh.transform(te), pe.transform(te)], axis=1)
        enc_s = time.perf_counter() - t
        print(f"encoding one-hot + path of {len(te):,} indices: {enc_s:.3f} s ({len(te) / enc_s:,.0f} archs/s), "
              f"shape {Xe.shape}")
        del Xe
        feats = {}
        rows = []
        from sklearn.linear_model import Ridge

        todo = [("ridge (baseline)", None)] + [(name, predictor_factory(name)) for name in args.predictors]
        for name, entry in todo:
            kind = "vector" if entry is None else entry.input
            if kind not in feats:
                feats[kind] = _features(bench, kind, (), curve, 3)
            X = feats[kind]
            model = Ridge(alpha=1.0) if entry is None else entry.build(random_state=0)
            if kind == "curve":
                model.set_params(curve_columns=_curve_k(curve, 3))
            t = time.perf_counter()
            model.fit(X[tr], y_all[tr])
            fit_s = time.perf_counter() - t
            Xte = X[te]
            t = time.perf_counter()
            model.predict(Xte)
            pred_s = time.perf_counter() - t
            std_s = np.nan
            if entry is not None and supports_std(model):
                t = time.perf_counter()
                model.predict(Xte, return_std=True)
                std_s = time.perf_counter() - t
            rows.append((name, fit_s, pred_s, std_s))
            print(f"  {name:18s} fit {fit_s:8.3f} s   predict {pred_s:7.3f} s ({len(te) / pred_s:>12,.0f} archs/s)"
                  + (f"   with std {std_s:7.3f} s" if np.isfinite(std_s) else ""), flush=True)
    base_fit = rows[0][1]
    base_pred = rows[0][2]
    print(f"\n| predictor | fit {args.n_train} (s) | x ridge | predict {args.n_predict:,} (s) | archs/s | "
          f"x ridge | predict with std (s) |\n|---|---|---|---|---|---|---|")
    for name, f, pr, sd in rows:
        print(f"| {name} | {f:.3f} | {f / base_fit:.0f} | {pr:.3f} | {args.n_predict / pr:,.0f} | {pr / base_pred:.0f} | "
              + (f"{sd:.3f} |" if np.isfinite(sd) else "- |"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
