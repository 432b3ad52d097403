"""Job: run several strategies over many seeds on one benchmark and write a leaderboard.

Writes into ``out``:

* ``traces/<strategy>/seed_<k>.npz`` — one :class:`~nasbench.runner.Trace` per run (reused on a
  rerun with the same settings, so an interrupted job resumes).  The seeds of a strategy run
  together (:func:`~nasbench.runner.run_many`: same traces as one run per seed, set-up shared;
  one batched query per step on benchmarks that are neither tables nor surrogates); model-based
  strategies, whose
  time is their model's, run one seed
  at a time so that an interruption loses at most one run;
* ``leaderboard.md`` and ``leaderboard.csv`` — the summary table; ``curves.csv`` — anytime
  regret statistics and average ranks on the time grid;
* ``regret.{png,pdf}``, ``ranks.{png,pdf}`` (with at least :data:`MIN_SEEDS_FOR_RANKS` seeds and
  two strategies), ``final.{png,pdf}``; constrained strategies (``re-capped``), scored against
  their best feasible architecture, get their own ``regret-constrained``, ``final-constrained``
  (and ``ranks-constrained``) figures and table; when a multi-objective strategy takes part,
  ``pareto.{png,pdf}`` and ``pareto.csv`` (hypervolumes with reference point and unit);
  ``leaderboard.md`` ends with a caption for every figure;
* ``config.json`` — the job settings, the resolved budget and the benchmark.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nasbench.catalog import DEFAULT_STRATEGIES, STRATEGIES, cost_metric, get_benchmark, strategy_factory
from nasbench.runner import Budget, Trace, mean_full_cost, run_many

__all__ = ["LeaderboardJob", "LeaderboardReport", "run_leaderboard", "check_out_dir", "MIN_SEEDS_FOR_RANKS",
           "load_extra_traces"]

#: the rank-over-time figure is written only with at least this many seeds (below, ranks are noise)
MIN_SEEDS_FOR_RANKS = 5


@dataclass(frozen=True)
class LeaderboardJob:
    """Settings of ``nasbench leaderboard``.

    Attributes
    ----------
    benchmark : str
        Catalog name (``synthetic``), table name (``nb201-mnist1d``) or path to a table.
    strategies : tuple of str
        Catalog names (:data:`nasbench.catalog.STRATEGIES`).
    seeds : int
        Runs per strategy, with run seeds ``first_seed .. first_seed + seeds - 1``.
    budget : str
        ``"150"`` evaluations, ``"3600s"`` simulated seconds, ``"300x"`` multiples of one full
        training's mean cost.
    workers : int
        Simulated asynchronous workers.
    fidelity : int or None
        Fidelity of suggestions without one (default: the top fidelity).
    out : str
        Output directory (never inside the installed package).
    axis : {"time", "evaluations"}
    formats : figure formats
    progress : bool
        Show a tqdm progress bar.
    resume : bool
        Reuse trace files written by an earlier run with the same settings.
    with_traces : tuple of str
        Directories holding ``traces/<name>/seed_<k>.npz`` written elsewhere (e.g. by
        ``nasbench oneshot``, whose traces carry measured search seconds) to draw beside the
        strategies run here; traces of another benchmark are refused.
    """

    benchmark: str
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    seeds: int = 30
    first_seed: int = 0
    budget: str = "300x"
    workers: int = 1
    fidelity: int | None = None
    out: str = "nasbench-leaderboard"
    axis: str = "time"
    formats: tuple[str, ...] = ("png", "pdf")
    progress: bool = True
    resume: bool = True
    with_traces: tuple[str, ...] = ()


@dataclass
class LeaderboardReport:
    """What :func:`run_leaderboard` produced."""

    out: Path
    leaderboard: object
    markdown: str
    files: dict[str, Path] = field(default_factory=dict)
    benchmark: str = ""
    budget: Budget | None = None
    runs_done: int = 0
    runs_reused: int = 0
    seconds: float = 0.0


def load_extra_traces(dirs, bench) -> dict[str, list[Trace]]:
    """``{name: [Trace ...]}`` from ``<dir>/traces/<name>/seed_*.npz`` of each directory."""
    out: dict[str, list[Trace]] = {}
    for d in dirs:
        root = Path(d) / "traces"
        if not root.is_dir():
            raise FileNotFoundError(f"{d}: no traces/ directory")
        for sdir in sorted(p for p in root.iterdir() if p.is_dir()):
            trs = [Trace.load(f) for f in sorted(sdir.glob("seed_*.npz"))]
            for t in trs:
                if t.meta.get("benchmark") != bench.name:
                    raise ValueError(f"{sdir}: traces of {t.meta.get('benchmark')!r}, not {bench.name!r}")
            if trs:
                out.setdefault(sdir.name, []).extend(trs)
    return out


def check_out_dir(out) -> Path:
    """``out`` as a Path; ``ValueError`` if it lies inside the installed nasbench package."""
    import nasbench

    out = Path(out).expanduser()
    pkg = Path(nasbench.__file__).resolve().parent
    res = out.resolve()
    if res == pkg or pkg in res.parents:
        raise ValueError(f"output directory {out} is inside the nasbench package ({pkg}); choose another place")
    return out


def _matches(tr: Trace, strategy: str, bench, budget: Budget, seed: int, job: LeaderboardJob) -> bool:
    m = tr.meta
    return (m.get("strategy") == strategy and m.get("benchmark") == bench.name and m.get("seed") == seed
            and m.get("budget") == budget.to_dict() and m.get("n_workers") == job.workers
            and m.get("default_fidelity") == (job.fidelity if job.fidelity is not None else bench.max_fidelity))


def run_leaderboard(job: LeaderboardJob, benchmark=None) -> LeaderboardReport:
    """Run the job (see the module docstring); ``benchmark`` overrides ``job.benchmark``."""
    from tqdm.auto import tqdm

    from nasbench import plotting
    from nasbench.leaderboard import Leaderboard, pareto_summary

    t0 = time.perf_counter()
    unknown = [s for s in job.strategies if s not in STRATEGIES]
    if unknown:
        raise KeyError(f"unknown strategies {unknown}; choose from {sorted(STRATEGIES)}")
    if not job.strategies:
        raise ValueError("no strategies given")
    if len(set(job.strategies)) != len(job.strategies):
        raise ValueError(f"strategies listed twice: {list(job.strategies)}")
    if job.seeds < 1 or job.workers < 1:
        raise ValueError(f"seeds and workers must be >= 1, got seeds={job.seeds}, workers={job.workers}")
    out = check_out_dir(job.out)
    bench = benchmark if benchmark is not None else get_benchmark(job.benchmark)
    budget = Budget.parse(job.budget, bench)
    factories = {s: strategy_factory(s, bench) for s in job.strategies}

    traces: dict[str, list[Trace]] = {s: [] for s in job.strategies}
    done = reused = 0
    bar = tqdm(total=len(job.strategies) * job.seeds, desc=f"leaderboard on {bench.name}", unit="run",
               disable=not job.progress, leave=False)
    try:
        for s in job.strategies:
            bar.set_postfix_str(s)
            seeds = list(range(job.first_seed, job.first_seed + job.seeds))
            got: dict[int, Trace] = {}
            for k in seeds:
                path = out / "traces" / s / f"seed_{k}.npz"
                if job.resume and path.is_file():
                    try:
                        old = Trace.load(path)
                        if _matches(old, s, bench, budget, k, job):
                            got[k] = old
                    except (ValueError, OSError, KeyError):
                        pass
            reused += len(got)
            bar.update(len(got))
            todo = [k for k in seeds if k not in got]
            groups = [[k] for k in todo] if STRATEGIES[s].kind == "model-based" else [todo] if todo else []
            for group in groups:
                for k, tr in zip(group, run_many(factories[s], bench, budget, group, n_workers=job.workers,
                                                 fidelity=job.fidelity, name=s)):
                    tr.save(out / "traces" / s / f"seed_{k}.npz")
                    got[k] = tr
                    done += 1
                bar.update(len(group))
            traces[s] = [got[k] for k in seeds]
    finally:
        bar.close()
    for name, trs in load_extra_traces(job.with_traces, bench).items():
        if name in traces:
            raise ValueError(f"{name!r} is both a strategy run here and a trace directory")
        traces[name] = trs

    lb = Leaderboard.from_traces(traces, axis=job.axis)
    if budget.cost is not None and bench.cost_unit == "seconds":  # for titles: "budget 100 trainings (111 s)"
        lb.info["full_trainings"] = budget.cost / mean_full_cost(bench)
    files: dict[str, Path] = {}
    mo = [s for s in job.strategies if STRATEGIES[s].kind == "multi-objective"]
    if mo:
        try:
            shown = {s: traces[s] for s in mo + [s for s in ("rs", "re") if s in traces and s not in mo]}
            lb.pareto = pareto_summary(shown, cost_metric(bench), "val_acc", benchmark=bench)
            files["pareto_csv"] = lb.pareto.to_csv(out / "pareto.csv")
        except KeyError:
            lb.pareto = None
    # one set of figures per problem: constrained strategies are scored against their own
    # feasible optimum and never share a regret or rank figure with unconstrained ones
    figs, captions = plotting.write_figures(lb, out, formats=job.formats, min_seeds_for_ranks=MIN_SEEDS_FOR_RANKS)
    files.update(figs)
    md = lb.to_markdown(out / "leaderboard.md", figures=captions)
    files["markdown"] = out / "leaderboard.md"
    files["csv"] = lb.to_csv(out / "leaderboard.csv")
    files["curves"] = lb.to_csv(out / "curves.csv", what="curves")
    cfg = {"job": asdict(job), "benchmark": bench.name, "benchmark_repr": repr(bench),
           "coverage": float(bench.coverage()), "cost_unit": bench.cost_unit,
           "budget": budget.to_dict(), "mean_full_cost": mean_full_cost(bench)}
    (out / "config.json").write_text(json.dumps(cfg, indent=2, default=str))
    files["config"] = out / "config.json"
    return LeaderboardReport(out=out, leaderboard=lb, markdown=md, files=files, benchmark=bench.name, budget=budget,
                             runs_done=done, runs_reused=reused, seconds=time.perf_counter() - t0)
