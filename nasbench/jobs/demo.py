"""Job: ``nasbench demo`` — a small leaderboard in well under two minutes.

Benchmark, in this order: the one named in the job; the shipped table ``nb201-mnist1d``
(``tabular_data/nb201_mnist1d.h5``); an NB201 CIFAR-10 table the user imported
(``nasbench import``); otherwise the synthetic benchmark (not real data — the demo says so).
It prints which benchmark it runs on, its coverage when the table is incomplete, the leaderboard
table, the path of the regret figure and the names of the other figures.  Each strategy's seeds run
together (:func:`nasbench.runner.run_many`, through the leaderboard job), so all but the
model-based strategies take well under a second.
"""
from __future__ import annotations

from dataclasses import dataclass

from nasbench.jobs.leaderboard import LeaderboardJob, LeaderboardReport, run_leaderboard

__all__ = ["DemoJob", "run_demo", "demo_benchmark"]

SHIPPED = "nb201-mnist1d"
IMPORTED = "nb201-cifar10"


@dataclass(frozen=True)
class DemoJob:
    """Settings of ``nasbench demo`` (see :class:`~nasbench.jobs.leaderboard.LeaderboardJob`)."""

    out: str = "nasbench-demo"
    benchmark: str | None = None
    strategies: tuple[str, ...] = ("rs", "re", "ls", "reinforce", "bananas", "hb", "bohb")
    seeds: int = 10
    budget: str = "100x"
    workers: int = 1
    progress: bool = True


def demo_benchmark(name: str | None = None):
    """``(benchmark, note)``: the benchmark the demo runs on and a sentence saying why."""
    from nasbench.benchmarks.tabular import available_benchmarks, load_benchmark
    from nasbench.catalog import get_benchmark

    if name is not None:
        return get_benchmark(name), f"benchmark {name!r} as requested"
    try:
        bench = load_benchmark(SHIPPED)
        return bench, f"the shipped table {SHIPPED} ({bench.path})"
    except FileNotFoundError:
        pass
    avail = available_benchmarks()
    if IMPORTED in avail:
        bench = load_benchmark(avail[IMPORTED])
        return bench, (f"the shipped table {SHIPPED} is not there yet; using the imported NB201 CIFAR-10 table "
                       f"{avail[IMPORTED]}")
    bench = get_benchmark("synthetic")
    return bench, (f"the shipped table {SHIPPED} is not there yet and no NB201 table was imported; using the "
                   "SYNTHETIC benchmark (a made-up landscape, not real training results). Import real data with "
                   "`nasbench import` or pass --benchmark PATH")


def run_demo(job: DemoJob = DemoJob(), echo=print) -> LeaderboardReport:
    """Run the demo leaderboard and print what it did."""
    bench, note = demo_benchmark(job.benchmark)
    echo(f"nasbench demo: running on {bench.name}: {note}")
    cov = float(bench.coverage())
    if cov < 1.0:
        echo(f"note: {bench.name} has results for {cov:.1%} of the architectures; the others read as missing (NaN)")
    echo(f"{len(job.strategies)} strategies x {job.seeds} seeds, budget {job.budget} "
         f"({'multiples of one full training' if job.budget.endswith('x') else 'as given'}), "
         f"{job.workers} worker(s), simulated clock in {bench.cost_unit}")
    rep = run_leaderboard(LeaderboardJob(benchmark=bench.name, strategies=tuple(job.strategies), seeds=job.seeds,
                                         budget=job.budget, workers=job.workers, out=job.out,
                                         progress=job.progress), benchmark=bench)
    echo("")
    echo(rep.markdown)
    echo(f"figure: {rep.files['regret']}")
    others = [p.name for k, p in rep.files.items() if k != "regret" and p.suffix in (".png", ".pdf", ".svg")]
    if others:
        echo(f"other figures: {', '.join(others)} (captions at the end of {rep.files['markdown'].name})")
    echo(f"all outputs in {rep.out} ({rep.runs_done} runs, {rep.runs_reused} reused, {rep.seconds:.1f} s)")
    return rep
