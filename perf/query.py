"""Speed and memory of TabularBenchmark against a plain-Python dict-of-rows baseline.

    python perf/query.py [--table PATH] [--batch 100000] [--repeats 15]

Measured in one run, on one table:

* open: time of ``TabularBenchmark(path)`` after imports and peak RSS (imports included), each in
  a fresh subprocess (median of 5 processes);
* single-architecture query latency (one metric at one fidelity; also all metrics);
* every form of a one-architecture query (a bare ``Architecture``, a list of one, an index array
  of one, a ``(1, L)`` op array) with every seed form (an int, a Generator, ``"mean"``,
  ``trial=k``): one metric at one fidelity, and the runner's metric set (all metrics + static);
  the spread (slowest / fastest form) is the figure to watch;
* batched throughput (archs/s) for a batch of ``--batch`` random architectures: one metric at one
  fidelity, all metrics at one fidelity, whole curves, seed mean, and the three batch forms;
* the same lookups on a baseline built from the same data the way NB201-style APIs hold it:
  ``dict[index] -> dict[metric] -> list (per seed) of lists (per epoch)`` of Python floats,
  queried in a Python loop.  The baseline is given the seed columns for free (ours draws them
  inside the timed call) and returns Python lists (no array conversion), so the ratio is
  conservative.

Without ``--table``, ``tabular_data/nb201_mnist1d.h5`` is used when it exists, else a synthetic
full-size table (15,625 rows x 3 seeds x 10 epochs, every row filled, values from
``SyntheticBenchmark``) is written to a temporary directory with the same writer.
Timings (process CPU time, so that other work on a shared machine inflates them less) are
medians over ``--repeats`` runs (targets are judged on medians; the best run is
shown too); nothing here is asserted by tests.  Peak RSS is ``VmHWM`` of the fresh process
(``ru_maxrss`` would include the parent's memory at fork).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "tabular_data" / "nb201_mnist1d.h5"

TARGETS = {"open_ms": 50.0, "rss_mb": 200.0, "one_metric_per_s": 1e7, "one_metric_vs_baseline": 10.0,
           "all_metrics_per_s": 3e6, "single_us": 10.0}

_OPEN_SCRIPT = r"""
import json, resource, sys, time
def status(key):  # VmRSS (now) / VmHWM (peak of this process image; ru_maxrss would include the parent's at fork)
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rss_now = lambda: status("VmRSS")
peak = lambda: status("VmHWM")
t0 = time.perf_counter()
import numpy as np, h5py
import nasbench
from nasbench.benchmarks.tabular import TabularBenchmark
t1 = time.perf_counter()
rss_imports = peak()
t2 = time.perf_counter()
b = TabularBenchmark(sys.argv[1])
t3 = time.perf_counter()
rss_open = peak()
rss_open_now = rss_now()
ev = b.query(np.arange(b.space.size), fidelity=b.max_fidelity, seed=0)
t4 = time.perf_counter()
rss_all = peak()
rss_all_now = rss_now()
bad = [m for m in ("torch", "pandas", "matplotlib") if m in sys.modules]
print(json.dumps({"import_s": t1 - t0, "open_s": t3 - t2, "first_full_query_s": t4 - t3,
                  "rss_imports_mb": rss_imports, "rss_open_mb": rss_open, "rss_loaded_mb": rss_all,
                  "rss_open_now_mb": rss_open_now, "rss_loaded_now_mb": rss_all_now,
                  "heavy_imports": bad}))
"""


def synthetic_table(path: Path, n_epochs: int = 10, n_seeds: int = 3) -> Path:
    """A full-size NB201 table (every row filled) from SyntheticBenchmark, via the one writer."""
    from nasbench.benchmarks.synthetic import SyntheticBenchmark
    from nasbench.io.hdf5 import write_table

    syn = SyntheticBenchmark(n_epochs=n_epochs, n_seeds=n_seeds)
    n = syn.space.size
    idx = np.arange(n)
    shape = (n, n_seeds, n_epochs)
    metrics = {m: np.empty(shape, np.float32) for m in syn.metrics}
    cost = np.empty(shape, np.float32)
    for k in range(n_seeds):
        ev = syn.query(idx, fidelity=None, trial=k, metrics=list(syn.metrics))
        for m in syn.metrics:
            metrics[m][:, k] = ev[m]
        cost[:, k] = ev.cost
    st = syn.query(idx, fidelity=None, seed=0, metrics=list(syn.static_metrics))
    static = {m: st[m] for m in syn.static_metrics}
    static["latency_cpu_bs256"] = static["latency_cpu_bs1"] * 40
    return write_table(path, space="nb201", task="synthetic-perf", ops=syn.space.all_ops(),
                       fidelities=syn.fidelities, seeds=np.arange(n_seeds), metrics=metrics, static=static,
                       cost_train_time=cost, arch_class=idx, attrs={"name": "nb201-synthetic-perf"})


def measure_open(path: Path, runs: int = 5) -> dict:
    outs = []
    for _ in range(runs):
        res = subprocess.run([sys.executable, "-c", _OPEN_SCRIPT, str(path)], capture_output=True, text=True,
                             check=True, cwd=REPO)
        outs.append(json.loads(res.stdout))
    med = {k: statistics.median(o[k] for o in outs) for k in outs[0] if k != "heavy_imports"}
    med["open_s_all"] = [o["open_s"] for o in outs]
    med["heavy_imports"] = sorted({m for o in outs for m in o["heavy_imports"]})
    return med


BEST: dict = {}


def timeit(key: str, fn, repeats: int, inner: int = 1) -> float:
    """Median seconds per call over ``repeats`` runs of ``inner`` calls (after one warm-up);
    the best run is kept in ``BEST[key]``."""
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(inner):
            fn()
        ts.append((time.process_time() - t0) / inner)
    BEST[key] = min(ts)
    return statistics.median(ts)


def build_baseline(bench) -> tuple[dict, float]:
    """dict index -> dict metric -> list (seed) of list (epoch) of floats; statics as floats."""
    t0 = time.perf_counter()
    per = {m: bench._arr(m).tolist() for m in bench.metrics}
    cost = bench._data.cost().tolist() if bench._data.has_cost else None
    stat = {m: bench._data.static(m).tolist() for m in bench.static_metrics}
    rows = {}
    for i in range(bench.space.size):
        row = {m: per[m][i] for m in bench.metrics}
        if cost is not None:
            row["train_time"] = cost[i]
        for m in bench.static_metrics:
            row[m] = stat[m][i]
        rows[i] = row
    return rows, time.perf_counter() - t0


def baseline_query(rows: dict, idx: list, cols: list, fpos: int, metrics: list, static: list) -> dict:
    out = {m: [] for m in metrics + static}
    for i, s in zip(idx, cols):
        row = rows[i]
        for m in metrics:
            out[m].append(row[m][s][fpos])
        for m in static:
            out[m].append(row[m])
    return out


def single_forms(bench, arch, fidelity: int, metrics, repeats: int, inner: int = 2000) -> dict:
    """Median seconds of a one-architecture query per (arch form, seed form)."""
    space = bench.space
    i = space.index(arch)
    forms = {"Architecture": arch, "[Architecture]": [arch], "index array (1,)": np.array([i]),
             "op array (1, L)": space.ops_from_index(np.array([i]))}
    g = np.random.default_rng(0)
    seeds = {"seed=int": dict(seed=7), "seed=Generator": dict(seed=g), "seed='mean'": dict(seed="mean"),
             "trial=k": dict(trial=0)}
    out = {}
    for fname, a in forms.items():
        for sname, kw in seeds.items():
            out[(fname, sname)] = timeit(f"form {fname} {sname}",
                                         lambda a=a, kw=kw: bench.query(a, fidelity=fidelity, metrics=metrics, **kw),
                                         repeats, inner)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", default=None, help="table file (default: the shipped table, else synthetic)")
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    tmp = None
    if args.table:
        path = Path(args.table)
    elif SHIPPED.exists():
        path = SHIPPED
    else:
        tmp = tempfile.TemporaryDirectory()
        path = synthetic_table(Path(tmp.name) / "nb201_synthetic_perf.h5")
    from nasbench.benchmarks.tabular import TabularBenchmark

    print(f"table: {path} ({path.stat().st_size / 2**20:.1f} MiB on disk)")
    res: dict = {"table": str(path)}
    op = measure_open(path)
    res["open"] = op
    bench = TabularBenchmark(path)
    space = bench.space
    print(f"  {bench.name}: {space.size} rows, {bench.n_seeds} seeds, fidelities {bench.fidelities.tolist()}, "
          f"coverage {bench.coverage():.1%}, metrics {list(bench.metrics)}, static {list(bench.static_metrics)}")
    f = bench.max_fidelity
    fpos = len(bench.fidelities) - 1
    rng = np.random.default_rng(0)
    n = args.batch
    idx = rng.integers(0, space.size, size=n)
    ops = space.ops_from_index(idx)
    archs = space.decode_ops(ops)
    bench.query(np.arange(space.size), fidelity=None, seed=0)  # load every array once

    R = args.repeats
    t: dict[str, float] = {}

    def run(key, fn, repeats=R, inner=1):
        t[key] = timeit(key, fn, repeats, inner)

    one = ["val_acc"]
    run("one_metric", lambda: bench.query(idx, fidelity=f, seed=rng, metrics=one))
    run("one_metric_ops", lambda: bench.query(ops, fidelity=f, seed=rng, metrics=one))
    run("one_metric_mean", lambda: bench.query(idx, fidelity=f, seed="mean", metrics=one))
    run("all_metrics", lambda: bench.query(idx, fidelity=f, seed=rng))
    run("curves_one_metric", lambda: bench.query(idx, fidelity=None, seed=rng, metrics=one))
    run("archs_list_one_metric", lambda: bench.query(archs, fidelity=f, seed=rng, metrics=one), max(3, R // 5))
    run("as_indices_list", lambda: space.as_indices(archs), max(3, R // 5))
    a = space.from_index(int(idx[0]))
    run("single", lambda: bench.query(a, fidelity=f, seed=rng, metrics=one), R, 2000)
    run("single_int_seed", lambda: bench.query(a, fidelity=f, seed=0, metrics=one), R, 2000)
    run("single_all", lambda: bench.query(a, fidelity=f, seed=rng), R, 2000)
    runner_metrics = list(dict.fromkeys(["val_acc", "test_acc", *bench.static_metrics]))
    forms_one = single_forms(bench, a, f, one, max(3, R // 3))
    forms_all = single_forms(bench, a, f, runner_metrics, max(3, R // 3), 1000)
    res["single_forms_us"] = {f"{k[0]} {k[1]}": [forms_one[k] * 1e6, forms_all[k] * 1e6] for k in forms_one}

    rows, build_s = build_baseline(bench)
    cols = rng.integers(0, bench.n_seeds, size=n).tolist()
    il = idx.tolist()
    per_all = list(bench.metrics) + (["train_time"] if bench._data.has_cost else [])
    static = list(bench.static_metrics)
    run("base_one_metric", lambda: baseline_query(rows, il, cols, fpos, one, []), max(3, R // 3))
    run("base_all_metrics", lambda: baseline_query(rows, il, cols, fpos, per_all, static), max(3, R // 3))
    i0, c0 = il[0], cols[0]
    run("base_single", lambda: baseline_query(rows, [i0], [c0], fpos, one, []), R, 2000)
    res["seconds"] = t
    res["best_seconds"] = dict(BEST)
    res["baseline_build_s"] = build_s

    thr = {k: n / v for k, v in t.items() if not k.startswith("single") and k not in ("base_single", "as_indices_list")}
    res["archs_per_s"] = thr
    ratio_one = thr["one_metric"] / thr["base_one_metric"]
    ratio_all = thr["all_metrics"] / thr["base_all_metrics"]
    ratio_single = t["base_single"] / t["single"]

    def line(label, value, target=None, ok=None):
        mark = "" if ok is None else ("  PASS" if ok else "  MISS")
        tgt = f"  (target {target})" if target else ""
        print(f"  {label:<58}{value}{tgt}{mark}")

    print("\nopen (fresh subprocess, median of 5; after imports)")
    line("import numpy+h5py+nasbench", f"{op['import_s'] * 1e3:8.1f} ms")
    line("TabularBenchmark(path)", f"{op['open_s'] * 1e3:8.1f} ms", "< 50 ms", op["open_s"] * 1e3 < TARGETS["open_ms"])
    line("peak RSS after open (imports included)", f"{op['rss_open_mb']:8.1f} MB", "< 200 MB",
         op["rss_open_mb"] < TARGETS["rss_mb"])
    line("RSS now after open", f"{op['rss_open_now_mb']:8.1f} MB")
    line("peak / now RSS after a full-space all-metric query (loads all)",
         f"{op['rss_loaded_mb']:8.1f} / {op['rss_loaded_now_mb']:.1f} MB")
    line("torch/pandas/matplotlib imported", f"{op['heavy_imports'] or 'none'}")
    print(f"\nsingle-architecture query (Architecture, val_acc at epoch {f})")
    line("seed=Generator", f"{t['single'] * 1e6:8.2f} us (best {BEST['single'] * 1e6:.2f})", "<= 10 us",
         t["single"] * 1e6 <= TARGETS["single_us"])
    line("seed=int", f"{t['single_int_seed'] * 1e6:8.2f} us")
    line("all metrics + static + cost", f"{t['single_all'] * 1e6:8.2f} us")
    line("baseline dict-of-rows, one value", f"{t['base_single'] * 1e6:8.2f} us")
    print(f"\nevery form of a one-architecture query, us (val_acc | runner's {len(runner_metrics)} metrics)")
    seed_forms = list(dict.fromkeys(k[1] for k in forms_one))
    print(f"  {'':<20}" + "".join(f"{sf:>20s}" for sf in seed_forms))
    for af in dict.fromkeys(k[0] for k in forms_one):
        print(f"  {af:<20}" + "".join(f"{forms_one[(af, sf)] * 1e6:9.2f} |{forms_all[(af, sf)] * 1e6:8.2f} "
                                      for sf in seed_forms))
    for label, d in (("val_acc", forms_one), ("runner metrics", forms_all)):
        line(f"slowest / fastest form ({label})", f"{max(d.values()) / min(d.values()):8.2f} x "
             f"({min(d.values()) * 1e6:.2f} .. {max(d.values()) * 1e6:.2f} us)")
    print(f"\nbatched, {n:,} random architectures (median of {R})")
    line("one metric, one fidelity, index array", f"{thr['one_metric']:10.3g} archs/s "
         f"(best {n / BEST['one_metric']:.3g})", ">= 1e7",
         thr["one_metric"] >= TARGETS["one_metric_per_s"])
    line("  same, (n, L) op array", f"{thr['one_metric_ops']:10.3g} archs/s")
    line("  same, list of Architecture", f"{thr['archs_list_one_metric']:10.3g} archs/s")
    line("  list of Architecture -> index array alone (space.as_indices)", f"{n / t['as_indices_list']:10.3g} archs/s",
         ">= 1e6", n / t["as_indices_list"] >= 1e6)
    line("  same, seed='mean'", f"{thr['one_metric_mean']:10.3g} archs/s")
    line("  whole curves (fidelity=None)", f"{thr['curves_one_metric']:10.3g} archs/s")
    line(f"all {len(bench.metrics)} metrics + {len(bench.static_metrics)} static + cost, one fidelity",
         f"{thr['all_metrics']:10.3g} archs/s (best {n / BEST['all_metrics']:.3g})", ">= 3e6",
         thr["all_metrics"] >= TARGETS["all_metrics_per_s"])
    line("baseline dict-of-rows, one metric", f"{thr['base_one_metric']:10.3g} archs/s")
    line("baseline dict-of-rows, all metrics + static + cost", f"{thr['base_all_metrics']:10.3g} archs/s")
    print("\nratios (ours / baseline, same data, same run)")
    line("one metric, batched", f"{ratio_one:8.1f} x", ">= 10x", ratio_one >= TARGETS["one_metric_vs_baseline"])
    line("all metrics, batched", f"{ratio_all:8.1f} x")
    line("single architecture", f"{ratio_single:8.2f} x")
    line("baseline build time (from loaded arrays)", f"{build_s:8.2f} s")
    res["ratios"] = {"one_metric": ratio_one, "all_metrics": ratio_all, "single": ratio_single}
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, default=float))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
