"""The ``nasbench`` command line.  Each subcommand builds a frozen config and calls one job."""
from __future__ import annotations

import argparse
import difflib
import sys

import nasbench

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` for every (sub)command of ``nasbench``.

    * No prefix abbreviations (``--seed`` is not ``--seeds``), on every subparser too: subparsers
      are made with the parent's class, and this class forces ``allow_abbrev=False``.
    * Unknown arguments are reported by the subcommand they were given to, with the closest
      option name, instead of by the top-level parser.
    * An option that takes one value also takes a value starting with ``-`` (``--budget -5x``),
      which plain argparse mistakes for a flag; the value is then checked like any other.
    * Errors are one line: ``nasbench leaderboard: error: ... (see 'nasbench leaderboard --help')``.
    """

    def __init__(self, *args, **kwargs):
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        namespace, extras = super().parse_known_args(self._attach_dash_values(args), namespace)
        if extras:
            self.error(self._unrecognized(extras))
        return namespace, extras

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def _is_flag(self, token: str) -> bool:
        known = self._option_string_actions
        return token.split("=", 1)[0] in known or (token[1:2] != "-" and token[:2] in known)

    def _attach_dash_values(self, args: list[str]) -> list[str]:
        """``[--opt, -value]`` -> ``[--opt=-value]`` for options of one value (tokens before ``--``)."""
        one_value = {s for a in self._actions if a.option_strings and a.nargs is None for s in a.option_strings}
        out: list[str] = []
        for i, tok in enumerate(args):
            if tok == "--":
                return out + args[i:]
            if (out and out[-1] in one_value and tok.startswith("-") and len(tok) > 1
                    and not self._is_flag(tok) and (len(out) < 2 or out[-2] not in one_value)):
                out[-1] = f"{out[-1]}={tok}"
                continue
            out.append(tok)
        return out

    def _unrecognized(self, extras: list[str]) -> str:
        longs = [s for s in self._option_string_actions if s.startswith("--")]
        hints = []
        for tok in extras:
            if tok.startswith("--"):
                close = difflib.get_close_matches(tok.split("=", 1)[0], longs, n=1, cutoff=0.75)
                if close:
                    hints.append(f"did you mean {close[0]}?")
        return (f"unrecognized argument{'s' if len(extras) > 1 else ''}: {' '.join(extras)}"
                + (f" ({'; '.join(hints)})" if hints else ""))


def _add_train(sub):
    p = sub.add_parser("train", help="train one architecture and print its learning curve")
    p.add_argument("--arch", required=True, help="NAS-Bench-201 string")
    p.add_argument("--task", default="mnist1d", help="mnist1d, synthetic, cifar10, cifar100, imagenet16-120")
    p.add_argument("--preset", default=None, help="network preset (default: nb201-<task>)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, nargs="+", default=None,
                   help="training seeds, trained as one pack (default: the shipped table's 0 1 2 for mnist1d / "
                        "synthetic, else 0)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="default: 128 for mnist1d / synthetic (the table's), else NB201's 256")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda"],
                   help="default: cpu for mnist1d / synthetic (as the table was trained), else auto")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: 1 for mnist1d / synthetic, as the table; 0: torch's default)")
    p.add_argument("--data-root", default=None, help="directory with the CIFAR / ImageNet16-120 files")
    p.add_argument("--compare", default="auto",
                   help="table (name or path) to compare the curve with, bit for bit (default 'auto': the shipped "
                        "nb201-mnist1d table when every setting matches it; 'none': no comparison)")
    p.set_defaults(func=_run_train)


def _run_train(args) -> int:
    from nasbench.jobs.live import TrainJob, run_train

    return run_train(TrainJob(arch=args.arch, task=args.task, preset=args.preset, epochs=args.epochs,
                              seeds=None if args.seed is None else tuple(args.seed), batch_size=args.batch_size,
                              device=args.device, threads=args.threads, data_root=args.data_root,
                              compare=None if args.compare == "none" else args.compare))


def _add_reproduce(sub):
    p = sub.add_parser("reproduce", help="retrain random rows of a generated table and compare bit for bit")
    p.add_argument("--table", default="nb201-mnist1d", help="table name or path (default: %(default)s)")
    p.add_argument("--sample", type=int, default=5, help="class representatives to retrain (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the row sample (default: %(default)s)")
    p.set_defaults(func=_run_reproduce)


def _run_reproduce(args) -> int:
    from nasbench.jobs.live import run_reproduce

    res = run_reproduce(args.table, args.sample, args.seed)
    return 0 if res["identical"] == len(res["rows"]) else 1


def _add_profile(sub):
    p = sub.add_parser("profile", help="params, FLOPs (MACs) and latency of one architecture")
    p.add_argument("--arch", required=True, help="NAS-Bench-201 string")
    p.add_argument("--preset", default="nb201-cifar10")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads while timing (0: torch's default)")
    p.set_defaults(func=_run_profile)


def _run_profile(args) -> int:
    from nasbench.jobs.live import ProfileJob, run_profile

    return run_profile(ProfileJob(arch=args.arch, preset=args.preset, device=args.device,
                                  batch_sizes=tuple(args.batch_sizes), repeats=args.repeats,
                                  threads=args.threads or None))


def _add_generate(sub):
    p = sub.add_parser("generate", help="train architectures into a records directory (resumable)")
    p.add_argument("--space", default="nb201", help="search space (default: %(default)s)")
    p.add_argument("--task", default="mnist1d",
                   help="mnist1d | synthetic | cifar10 | cifar100 | imagenet16-120 (the last three "
                        "read --data-root; default: %(default)s)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds (default: 0 1 2)")
    p.add_argument("--epochs", type=int, default=10, help="epochs per run (default: %(default)s)")
    p.add_argument("--workers", type=int, default=2,
                   help="parallel training processes of one thread each (default: %(default)s)")
    p.add_argument("--executor", default="local", choices=["local", "ray"],
                   help="local process pool or a Ray cluster (default: %(default)s)")
    p.add_argument("--ray-address", default=None, help="ray.init address (default: start a local Ray)")
    p.add_argument("--rule", default="function", choices=["function", "nb201"],
                   help="equivalence rule: one representative per class is trained")
    p.add_argument("--archs", type=int, nargs="+", default=None, help="explicit architecture indices")
    p.add_argument("--sample", type=int, default=None, help="train only the first N of the shuffled plan")
    p.add_argument("--preset", default="nb201-mnist1d",
                   help="network preset: nb201-mnist1d | nb201-cifar10 | nb201-cifar100 | "
                        "nb201-imagenet16-120 (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=128, help="(default: %(default)s)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto (default: %(default)s)")
    p.add_argument("--data-root", default=None, help="directory holding CIFAR / ImageNet16-120 files")
    p.add_argument("--out", required=True, help="records directory (created; reused to resume)")
    p.add_argument("--retime", action="store_true",
                   help="re-run records timed by wall clock to re-measure train time as CPU time")
    p.set_defaults(func=_run_generate)


def _run_generate(args) -> int:
    from nasbench.jobs.ground_truth import GenerateConfig, generate

    cfg = GenerateConfig(out=args.out, space=args.space, task=args.task, seeds=tuple(args.seeds),
                         epochs=args.epochs, workers=args.workers, executor=args.executor,
                         ray_address=args.ray_address, rule=args.rule,
                         archs=tuple(args.archs) if args.archs else None, sample=args.sample,
                         preset=args.preset, batch_size=args.batch_size, device=args.device,
                         data_root=args.data_root, retime=args.retime)
    rep = generate(cfg)
    print(f"{rep.done_before + rep.trained}/{rep.planned} architectures done "
          f"({rep.trained} trained now, {rep.seconds:.0f} s); records in {rep.out}")
    return 0


def _add_merge(sub):
    p = sub.add_parser("merge", help="merge a generation's records into one HDF5 table")
    p.add_argument("records", help="records directory written by `nasbench generate --out`")
    p.add_argument("-o", "--out", required=True, help="table file to write (replaced atomically)")
    p.add_argument("--static", default=None, help="directory with static/*.npz from the static pass")
    p.set_defaults(func=_run_merge)


def _run_merge(args) -> int:
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.jobs.merge import merge_records

    path = merge_records(args.records, args.out, static_dir=args.static)
    bench = TabularBenchmark(path)
    n = bench.space.size
    print(f"wrote {path}: coverage {bench.coverage():.1%} ({round(bench.coverage() * n)}/{n} rows), "
          f"{bench.n_seeds} seed(s), fidelities {bench.fidelities[0]}..{bench.fidelities[-1]}, "
          f"static: {', '.join(bench.static_metrics) or 'none'}")
    return 0


def _add_import(sub):
    p = sub.add_parser("import", help="import published results (NAS-Bench-201 / NATS-Bench, HW-NAS-Bench) as tables")
    isub = p.add_subparsers(dest="source", metavar="SOURCE", required=True)
    q = isub.add_parser("nb201-csv", help="the NAS-Bench-201 accuracy CSV -> one table per dataset")
    q.add_argument("path", help="nb201_accuracy.csv")
    q.add_argument("-o", "--out", default=None, help="output directory (default: the user data directory)")
    q.set_defaults(func=_run_import_nb201)
    q = isub.add_parser("nats-tss", help="the official NATS-Bench topology archive -> the same tables as nb201-csv",
                        description="Reads the unpacked NATS-tss-v1_0-3ffb9-simple directory (bz2 pickles, read "
                                    "as plain data only) and writes nb201-cifar10, nb201-cifar100 and "
                                    "nb201-imagenet16-120, as `nasbench import nb201-csv` does.")
    q.add_argument("path", help="the NATS-tss-v1_0-3ffb9-simple directory")
    q.add_argument("-o", "--out", default=None, help="output directory (default: the user data directory)")
    q.add_argument("--no-progress", action="store_true")
    q.set_defaults(func=_run_import_nats)
    q = isub.add_parser("hw-nas-bench", help="HW-NAS-Bench latencies/energies -> static metrics of NB201 tables")
    q.add_argument("path", help="nb201_hwnasbench.csv")
    q.add_argument("--table", default=None,
                   help="an imported NB201 table, or a directory of them (default: the user data directory)")
    q.add_argument("-o", "--out", default=None, help="write to this file instead of replacing --table")
    q.set_defaults(func=_run_import_hw)


def _run_import_nb201(args) -> int:
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.jobs.importers import import_nb201_csv

    for path in import_nb201_csv(args.path, args.out):
        b = TabularBenchmark(path)
        print(f"wrote {path} ({b.name}): best test_acc at 200 epochs {b.best('test_acc', fidelity=200):.2f} %")
    return 0


def _run_import_nats(args) -> int:
    from nasbench.benchmarks.tabular import TabularBenchmark
    from nasbench.jobs.importers import import_nats_tss

    for path in import_nats_tss(args.path, args.out, progress=not args.no_progress):
        b = TabularBenchmark(path)
        n = b.space.size
        print(f"wrote {path} ({b.name}): {round(b.coverage() * n)}/{n} architectures, "
              f"best test_acc at 200 epochs {b.best('test_acc', fidelity=200):.2f} %")
    return 0


def _run_import_hw(args) -> int:
    from nasbench.jobs.importers import import_hw_nas_bench

    for path in import_hw_nas_bench(args.path, args.table, out=args.out):
        print(f"wrote {path}")
    return 0


def _add_info(sub):
    p = sub.add_parser("info", help="summarise a table: metrics with units, coverage, best values, provenance")
    p.add_argument("table", help="table name (e.g. nb201-mnist1d) or path to an .h5 file")
    p.add_argument("--root", default=None, help="folder to look the name up in")
    p.set_defaults(func=_run_info)


def _run_info(args) -> int:
    from nasbench.jobs.info import describe

    print(describe(args.table, root=args.root))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nasbench", description=__doc__)
    parser.add_argument("--version", action="version", version=f"nasbench {nasbench.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _ADDERS:
        add(sub)
    return parser


_ADDERS = [_add_info, _add_train, _add_reproduce, _add_profile, _add_generate]
_ADDERS += [_add_merge, _add_import]


def _add_profile_space(sub):
    p = sub.add_parser("profile-space", help="static pass: params, MACs and CPU latency of every architecture "
                                             "(NB201, or a size space for size-* presets)")
    p.add_argument("--preset", default="nb201-mnist1d", help="nb201-* or size-* preset (default: %(default)s)")
    p.add_argument("--out", required=True, help="output directory (writes OUT/static/; rerun to resume)")
    p.add_argument("--repeats", type=int, default=None, help="timed passes per batch size (default: the job's)")
    p.add_argument("--warmup", type=int, default=None, help="untimed passes per batch size (default: the job's)")
    p.add_argument("--batch-sizes", type=int, nargs="*", default=[1, 256],
                   help="latency batch sizes (default: 1 256; none: params and MACs only)")
    p.set_defaults(func=_run_profile_space)


def _run_profile_space(args) -> int:
    import numpy as np

    from nasbench.jobs.static_pass import profile_space, read_static

    kw = {k: v for k, v in (("repeats", args.repeats), ("warmup", args.warmup)) if v is not None}
    static = profile_space(args.out, preset=args.preset, batch_sizes=tuple(args.batch_sizes), **kw)
    values, _ = read_static(args.out)
    done = int(np.isfinite(values["params"]).sum())
    print(f"static pass in {static}: {done}/{len(values['params'])} architectures profiled")
    return 0


_ADDERS.append(_add_profile_space)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError, RuntimeError, ImportError) as err:
        # KeyError's str() quotes its message; print the message itself
        msg = err.args[0] if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str) else err
        print(f"nasbench {args.command}: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"nasbench {args.command}: interrupted (finished work is kept; rerun to resume)", file=sys.stderr)
        return 130


def _add_leaderboard(sub):
    from nasbench.catalog import DEFAULT_STRATEGIES, STRATEGIES

    p = sub.add_parser("leaderboard", help="run strategies over many seeds on a simulated clock; write a leaderboard",
                       description="Strategies: " + "; ".join(f"{k}: {v.description}" for k, v in STRATEGIES.items()))
    p.add_argument("--benchmark", required=True, help="table name (nb201-mnist1d), path to a .h5 table, or synthetic")
    p.add_argument("--strategies", nargs="+", default=list(DEFAULT_STRATEGIES), choices=sorted(STRATEGIES),
                   metavar="NAME", help=f"catalog names (default: {' '.join(DEFAULT_STRATEGIES)})")
    p.add_argument("--seeds", type=int, default=30, help="runs per strategy (run seeds 0..N-1)")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--budget", default="300x",
                   help="'150' evaluations, '3600s' simulated seconds, '300x' multiples of one full training's mean cost")
    p.add_argument("--workers", type=int, default=1, help="simulated asynchronous workers")
    p.add_argument("--fidelity", type=int, default=None, help="fidelity of the search signal (default: the top one)")
    p.add_argument("--x", dest="axis", default="time", choices=["time", "evaluations"], help="x axis of the curves")
    p.add_argument("--formats", nargs="+", default=["png", "pdf"], choices=["png", "pdf", "svg"])
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--fresh", action="store_true", help="rerun every run even when its trace file exists")
    p.add_argument("--with-traces", nargs="+", default=[], metavar="DIR",
                   help="also draw the traces in DIR/traces/<name>/ (e.g. the output of nasbench oneshot)")
    p.add_argument("-o", "--out", default="nasbench-leaderboard", help="output directory")
    p.set_defaults(func=_run_leaderboard)


def _run_leaderboard(args) -> int:
    from nasbench.jobs.leaderboard import LeaderboardJob, run_leaderboard

    rep = run_leaderboard(LeaderboardJob(
        benchmark=args.benchmark, strategies=tuple(args.strategies), seeds=args.seeds, first_seed=args.first_seed,
        budget=args.budget, workers=args.workers, fidelity=args.fidelity, out=args.out, axis=args.axis,
        formats=tuple(args.formats), progress=not args.no_progress, resume=not args.fresh,
        with_traces=tuple(args.with_traces)))
    print(rep.markdown)
    print(f"figures: {', '.join(str(p) for p in rep.files.values() if str(p).endswith(('.png', '.pdf', '.svg')))}")
    print(f"outputs in {rep.out} ({rep.runs_done} runs, {rep.runs_reused} reused, {rep.seconds:.1f} s)")
    return 0


def _add_demo(sub):
    p = sub.add_parser("demo", help="a small leaderboard on the shipped table (well under two minutes)")
    p.add_argument("--benchmark", default=None, help="override: table name, path or synthetic")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--budget", default="100x")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("-o", "--out", default="nasbench-demo", help="output directory (default ./nasbench-demo)")
    p.set_defaults(func=_run_demo)


def _run_demo(args) -> int:
    from nasbench.jobs.demo import DemoJob, run_demo

    run_demo(DemoJob(out=args.out, benchmark=args.benchmark, seeds=args.seeds, budget=args.budget,
                     progress=not args.no_progress))
    return 0


_ADDERS += [_add_leaderboard, _add_demo]


def _add_compare(sub):
    p = sub.add_parser("compare", help="rank agreement of two tables of one space (Kendall tau, top-k overlap)",
                       description="Does table A rank the architectures the way table B does? Seed means, "
                                   "over the architectures both cover.")
    p.add_argument("a", help="scored table: name (nb201-mnist1d) or path")
    p.add_argument("b", help="reference table: name or path")
    p.add_argument("--metric", default="test_acc", help="metric of A (default: %(default)s)")
    p.add_argument("--metric-b", default=None, help="metric of B (default: the same as --metric)")
    p.add_argument("--fidelity", type=int, default=None, help="fidelity of A (default: its last)")
    p.add_argument("--fidelity-b", type=int, default=None, help="fidelity of B (default: its last)")
    p.add_argument("--top", type=float, default=0.1, help="top fraction for top-k figures (default: %(default)s)")
    for side in ("a", "b"):
        g = p.add_mutually_exclusive_group()
        g.add_argument(f"--{side}-higher-better", dest=f"hib_{side}", action="store_const", const=True, default=None,
                       help=f"rank {side.upper()}'s metric with larger = better (default: the metric's own direction)")
        g.add_argument(f"--{side}-lower-better", dest=f"hib_{side}", action="store_const", const=False,
                       help=f"rank {side.upper()}'s metric with smaller = better")
    p.add_argument("--plot", default=None, metavar="FILE", help="also write a scatter/hexbin figure (png and pdf)")
    p.set_defaults(func=_run_compare)


def _run_compare(args) -> int:
    from nasbench.benchmarks.compare import compare_tables
    from nasbench.benchmarks.tabular import load_benchmark

    ta, tb = load_benchmark(args.a), load_benchmark(args.b)
    r = compare_tables(ta, tb, metric_a=args.metric, metric_b=args.metric_b, fidelity_a=args.fidelity,
                       fidelity_b=args.fidelity_b, top=args.top, a_higher_is_better=args.hib_a,
                       b_higher_is_better=args.hib_b)
    at = lambda f: "" if f is None else f" @ {f}"  # noqa: E731
    way = lambda up: "higher is better" if up else "lower is better"  # noqa: E731
    print(f"{r['a']} {r['metric_a']}{at(r['fidelity_a'])} ({way(r['a_higher_is_better'])})  vs  "
          f"{r['b']} {r['metric_b']}{at(r['fidelity_b'])} ({way(r['b_higher_is_better'])})")
    print(f"  architectures compared     {r['n']:,}")
    for k, label in (("kendall_tau", "Kendall tau"), ("spearman", "Spearman rho"),
                     ("sparse_kendall_tau", "sparse Kendall tau (0.1)"),
                     ("top_kendall_tau", f"Kendall tau, top {100 * r['top']:.0f}% of B"),
                     ("top_overlap", f"top {100 * r['top']:.0f}% overlap"),
                     ("x_best_percentile_in_y", "A's best, percentile in B"),
                     ("y_best_percentile_in_x", "B's best, percentile in A")):
        print(f"  {label:27s}{r[k]:.3f}")
    if args.plot:
        from nasbench.plotting import metric_label, plot_agreement

        x = ta.table(r["metric_a"], r["fidelity_a"])
        y = tb.table(r["metric_b"], r["fidelity_b"])
        plot_agreement(x, y, args.plot, xlabel=f"{r['a']}: {metric_label(r['metric_a'])}",
                       ylabel=f"{r['b']}: {metric_label(r['metric_b'])}", stats=r)
        print(f"  figure: {args.plot} (.png, .pdf)")
    return 0


_ADDERS.append(_add_compare)


def _add_estimators(sub):
    p = sub.add_parser("estimators", help="zero-cost proxies: score a whole table; validate estimators",
                       allow_abbrev=False)
    esub = p.add_subparsers(dest="estimators_command", metavar="ACTION")
    q = esub.add_parser("score", allow_abbrev=False,
                        help="score every class representative with zero-cost proxies (resumable) and write "
                             "the companion file <table>_zc.h5 that load_benchmark attaches")
    q.add_argument("--benchmark", default="nb201-mnist1d")
    q.add_argument("--proxies", nargs="+", default=["all"], help="proxy names or 'all' (default: all)")
    q.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="initialisation seeds (default: 0 1 2)")
    q.add_argument("--batch-size", type=int, default=64)
    q.add_argument("--limit", type=int, default=None, help="score only the first N of the shuffled plan")
    q.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    q.add_argument("-o", "--out", required=True, help="records directory (created; reused to resume)")
    q.add_argument("--companion", default=None,
                   help="where to write the companion file (default: none; 'table' = next to the table)")
    q.set_defaults(func=_run_estimators_score)
    v = esub.add_parser("validate", allow_abbrev=False,
                        help="Kendall/Spearman/top-10%%/regret with bootstrap CIs, cost, references; "
                             "results.csv/.md and a cost-vs-quality figure")
    v.add_argument("--benchmark", default=None, help="table to validate on (default: nb201-mnist1d; not with --live)")
    v.add_argument("--estimators", nargs="+", default=["all"],
                   help="shipped zero-cost scores (synflow, zico, aznas, vote, ..., 'all'), vote:a+b+c, "
                        "lce@k / sotl@k / acc@k (default: all); with --live the proxies are computed on the trained "
                        "architectures")
    v.add_argument("--sample", default=None,
                   help="N architectures per population, or 'all' (default: all; with --live: 50 classes)")
    v.add_argument("--target", default="test_acc")
    v.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (default: 200)")
    v.add_argument("--seed", type=int, default=0,
                   help="seed of the architecture sample (and, with --live, of the proxies' initialisation)")
    v.add_argument("-o", "--out", required=True, help="output directory")
    g = v.add_argument_group("live ground truth (--live): train the sampled architectures now, no table needed")
    g.add_argument("--live", action="store_true",
                   help="train --sample N architectures (one per functional class) with LiveBenchmark and validate "
                        "on that ground truth; resumable through --cache")
    g.add_argument("--task", default="mnist1d", help="task to train on: mnist1d, synthetic, cifar10, cifar100, "
                                                     "imagenet16-120 (the last three need --data-root)")
    g.add_argument("--preset", default=None, help="network preset (default: nb201-<task>; nb201-mnist1d for synthetic)")
    g.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10, the shipped table's)")
    g.add_argument("--seeds", type=int, nargs="+", default=[0, 1],
                   help="training seeds, one pack (default: 0 1; >= 2 gives the one-seed and ceiling references)")
    g.add_argument("--batch-size", type=int, default=None, help="training batch (default: nasbench train's for the task)")
    g.add_argument("--data-root", default=None, help="directory with the CIFAR / ImageNet16-120 files")
    g.add_argument("--cache", default=None, help="record log of trained results (default: OUT/live_cache)")
    g.add_argument("--no-progress", action="store_true")
    v.set_defaults(func=_run_estimators_validate)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _run_estimators_score(args) -> int:
    from nasbench.estimators.zero_cost import PROXIES
    from nasbench.jobs.zero_cost import score_space, write_companion

    proxies = PROXIES if args.proxies == ["all"] else tuple(args.proxies)
    out = score_space(args.out, benchmark=args.benchmark, seeds=tuple(args.seeds), proxies=proxies,
                      batch_size=args.batch_size, limit=args.limit, threads=args.threads)
    print(f"records: {out}")
    if args.companion:
        from nasbench import load_benchmark

        bench = load_benchmark(args.benchmark)
        path = write_companion(out, bench, None if args.companion == "table" else args.companion)
        print(f"companion: {path}")
    return 0


def _run_estimators_validate(args) -> int:
    from nasbench import load_benchmark
    from nasbench.jobs.validate_estimators import resolve_estimators, validate, write_report

    if args.live:
        return _run_estimators_validate_live(args)
    bench = load_benchmark(args.benchmark or "nb201-mnist1d")
    est = resolve_estimators(bench, args.estimators)
    sample = None if args.sample in (None, "all") else int(args.sample)
    rows = validate(bench, est, sample=sample, target=args.target, n_boot=args.n_boot, seed=args.seed)
    paths = write_report(rows, args.out, title=f"{bench.name}: cost vs Kendall tau ({args.target})")
    for k, pth in paths.items():
        print(f"{k}: {pth}")
    return 0


def _run_estimators_validate_live(args) -> int:
    from nasbench.jobs.validate_estimators import validate_live

    if args.benchmark is not None:
        raise ValueError("--live trains its own ground truth; drop --benchmark (it names a table)")
    if args.sample == "all":
        raise ValueError("--live trains every architecture it scores: give --sample N (e.g. 50), not 'all'")
    res = validate_live(args.out, args.estimators, task=args.task, preset=args.preset, epochs=args.epochs,
                        seeds=tuple(args.seeds), sample=50 if args.sample is None else int(args.sample),
                        cache=args.cache, seed=args.seed, target=args.target, n_boot=args.n_boot,
                        batch_size=args.batch_size, data_root=args.data_root, progress=not args.no_progress)
    st = res["settings"]
    print(f"trained {st['n_trained_this_run']} architectures now ({st['n_cached_before']} from the cache "
          f"{st['cache']}); {st['n_architectures']} scored")
    for k, pth in res["paths"].items():
        print(f"{k}: {pth}")
    return 0


_ADDERS.append(_add_estimators)

def _add_predictors(sub):
    from nasbench.catalog import PREDICTORS

    p = sub.add_parser("predictors", help="performance predictors: evaluate them (White et al. 2021 protocol)",
                       allow_abbrev=False)
    psub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = psub.add_parser("evaluate", allow_abbrev=False,
                        help="rank correlation etc. vs training-set size, split by equivalence class",
                        description="Predictors (append +METRIC for static feature columns, e.g. xgb+params+flops): "
                                    + "; ".join(f"{k}: {v.description}" for k, v in PREDICTORS.items()))
    e.add_argument("--benchmark", required=True, help="table name (nb201-mnist1d) or path to a .h5 table")
    e.add_argument("--metric", default="val_acc", help="target: per-epoch metric (final epoch) or static, e.g. "
                                                       "latency_cpu_bs1 (default: %(default)s)")
    e.add_argument("--predictors", nargs="+", default=["xgb", "rf", "gp", "mlp", "gin", "curve"], metavar="NAME")
    e.add_argument("--train-sizes", type=int, nargs="+", default=[10, 20, 50, 100, 200, 500, 1000])
    e.add_argument("--trials", type=int, default=10)
    e.add_argument("--heavy-sizes", type=int, nargs="+", default=None,
                   help="training sizes of the neural predictors (gin, mlp; default: first, middle, last)")
    e.add_argument("--heavy-trials", type=int, default=5)
    e.add_argument("--signal", default="mean", choices=["mean", "single"],
                   help="train on seed means or on one recorded seed per architecture")
    e.add_argument("--over", nargs="+", default=["rows", "classes"], choices=["rows", "classes"])
    e.add_argument("--test-size", type=int, default=None, help="cap on test rows per trial (default: all held out)")
    e.add_argument("--curve-epochs", type=int, default=3, help="epochs the curve predictor sees")
    e.add_argument("--resolution", type=float, default=None, help="sparse Kendall rounding step (target's unit)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--no-progress", action="store_true")
    e.add_argument("-o", "--out", required=True, help="output directory (rerun the same command to resume)")
    e.set_defaults(func=_run_predictors_evaluate)


def _run_predictors_evaluate(args) -> int:
    from nasbench.catalog import predictor_factory
    from nasbench.jobs.predictors import EvaluateConfig, evaluate_predictors

    for name in args.predictors:
        predictor_factory(name.split("+")[0])  # unknown names fail before any work
    cfg = EvaluateConfig(benchmark=args.benchmark, out=args.out, metric=args.metric,
                         predictors=tuple(args.predictors), train_sizes=tuple(args.train_sizes), trials=args.trials,
                         heavy_sizes=tuple(args.heavy_sizes) if args.heavy_sizes else None,
                         heavy_trials=args.heavy_trials, signal=args.signal, over=tuple(args.over),
                         test_size=args.test_size, curve_epochs=args.curve_epochs, resolution=args.resolution,
                         seed=args.seed, progress=not args.no_progress)
    res = evaluate_predictors(cfg)
    print((res["out"] / "summary.md").read_text())
    print(f"outputs in {res['out']} (results.csv, summary.csv, summary.md, figures)")
    return 0


_ADDERS.append(_add_predictors)


def _add_surrogate(sub):
    p = sub.add_parser("surrogate", help="surrogate benchmarks: fit one on a table, describe one",
                       allow_abbrev=False)
    ssub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    f = ssub.add_parser("fit", allow_abbrev=False, help="fit a surrogate on a fraction of a table's classes",
                        description="Writes OUT/metadata.json, OUT/predictions.h5 and OUT/models/*.ubj; open it "
                                    "with load_benchmark('surrogate:NAME') or the folder's path.")
    f.add_argument("--benchmark", required=True, help="table name (nb201-mnist1d) or path to a .h5 table")
    f.add_argument("--train-fraction", type=float, default=0.2,
                   help="share of the table's classes to train on (default: %(default)s)")
    f.add_argument("--split-seed", type=int, default=0, help="seed of the class split, models and noise draws")
    f.add_argument("--virtual-seeds", type=int, default=10, help="K virtual seeds (default: %(default)s)")
    f.add_argument("--name", default=None, help="surrogate name (default: the output folder's name)")
    f.add_argument("--threads", type=int, default=2, help="xgboost threads (default: %(default)s)")
    f.add_argument("--direct-epochs", type=int, nargs="*", default=[1], metavar="EPOCH",
                   help="low fidelities with their own predictor per metric instead of the curve-shape model "
                        "(default: 1; none: pass the flag alone)")
    f.add_argument("--zc-features", nargs="*", default=["auto"], metavar="PROXY",
                   help="zero-cost proxies (the table's shipped zc_<proxy> scores) used as features; 'auto' "
                        "(default): the documented set when the table has its _zc companion, else none; "
                        "'none' or the flag alone: none")
    f.add_argument("-o", "--out", required=True, help="output folder, e.g. surrogates/nb201-mnist1d-xgb20")
    f.set_defaults(func=_run_surrogate_fit)
    i = ssub.add_parser("info", allow_abbrev=False, help="what a surrogate was fitted on and how well it does")
    i.add_argument("surrogate", help="surrogate name (in surrogates/) or folder")
    i.set_defaults(func=_run_surrogate_info)


def _run_surrogate_fit(args) -> int:
    from nasbench.jobs.surrogate import SurrogateFitJob, describe_surrogate, run_fit

    out = run_fit(SurrogateFitJob(benchmark=args.benchmark, out=args.out, train_fraction=args.train_fraction,
                                  split_seed=args.split_seed, n_virtual_seeds=args.virtual_seeds, name=args.name,
                                  n_jobs=args.threads, direct_epochs=tuple(args.direct_epochs),
                                  zc_features=tuple(args.zc_features)))
    print(describe_surrogate(out))
    return 0


def _run_surrogate_info(args) -> int:
    from nasbench.jobs.surrogate import describe_surrogate

    print(describe_surrogate(args.surrogate))
    return 0


_ADDERS.append(_add_surrogate)


def _add_oneshot(sub):
    p = sub.add_parser("oneshot", allow_abbrev=False,
                       help="one-shot search (DARTS, GDAS, SPOS+RE) on the supernet; derived architectures looked "
                            "up in the table; traces for the leaderboard")
    p.add_argument("--method", nargs="+", default=["darts", "gdas", "spos-re"],
                   choices=["darts", "gdas", "spos-re"], help="one or more methods (default: all three)")
    p.add_argument("--benchmark", default="nb201-mnist1d")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=None,
                   help="search epochs (default per method: darts 30, gdas 50, spos-re 30)")
    p.add_argument("--bn-affine", type=int, choices=[0, 1], default=None,
                   help="cell-op BN affine (default: 0 for darts/gdas, 1 for spos-re)")
    p.add_argument("--bn-track", type=int, choices=[0, 1], default=None,
                   help="cell-op BN tracks running stats (default: 0 = batch statistics for darts/gdas, 1 for spos-re)")
    p.add_argument("--arch-lr", type=float, default=None, help="architecture Adam lr (default 3e-4)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--fresh", action="store_true", help="rerun runs whose results exist")
    p.add_argument("--report-only", action="store_true", help="run nothing; report the runs already in OUT")
    p.add_argument("-o", "--out", required=True, help="output directory")
    p.set_defaults(func=_run_oneshot)


def _run_oneshot(args) -> int:
    from nasbench.jobs.oneshot import OneShotJob, run_oneshot

    ov = [(k, bool(v)) for k, v in (("bn_affine", args.bn_affine), ("bn_track", args.bn_track)) if v is not None]
    if args.arch_lr is not None:
        ov.append(("arch_lr", float(args.arch_lr)))
    rep = run_oneshot(OneShotJob(methods=tuple(args.method), benchmark=args.benchmark, seeds=tuple(args.seeds),
                                 epochs=args.epochs, device=args.device, out=args.out, overrides=tuple(ov),
                                 progress=not args.no_progress, resume=not args.fresh,
                                 report_only=args.report_only))
    if not rep["summary"]:
        print("no runs to report")
        return 1
    print(rep["files"]["summary_md"].read_text())
    print("files: " + ", ".join(str(p) for p in rep["files"].values()))
    return 0


_ADDERS.append(_add_oneshot)
