"""Write notebooks/01_quickstart.ipynb and notebooks/02_leaderboard.ipynb: ``python notebooks/make_notebooks.py``."""
import nbformat as nbf
from nbformat.v4 import new_code_cell as code, new_markdown_cell as md, new_notebook

KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}

PICK = '''import nasbench as nb
from nasbench.benchmarks import SyntheticBenchmark

try:  # the shipped MNIST-1D table, when it is there
    bench = nb.load_benchmark("nb201-mnist1d")
    print(f"using the shipped table {bench.name}: {bench.coverage():.1%} of the architectures have results")
except FileNotFoundError:
    bench = SyntheticBenchmark()  # a synthetic landscape with the same interface (not real data)
    print("the shipped table nb201-mnist1d is not available: using the synthetic benchmark instead")
bench'''

quick = new_notebook(metadata=KERNEL, cells=[
    md("""# nasbench quickstart

Query a tabular benchmark, run two search strategies on a simulated clock, and plot their
anytime regret. Everything below uses the public API and runs in a few seconds.

The notebook uses the shipped table `nb201-mnist1d` (NAS-Bench-201 cells trained on MNIST-1D)
when it is installed, and otherwise the synthetic benchmark, which answers the same queries."""),
    code(PICK),
    md("""## 1. Query architectures

Architectures are small values (`Architecture`), written as NAS-Bench-201 strings. A query
returns numpy arrays: per-epoch metrics have shape `(n,)` at one fidelity (epoch) or
`(n, n_epochs)` for whole learning curves; `cost` is the cumulative training time."""),
    code('''space = bench.space
arch = space.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
ev = bench.query([arch], fidelity=None, seed="mean")  # whole curves, mean over training seeds
print("epochs:         ", bench.fidelities)
print("val accuracy %: ", ev["val_acc"][0].round(2))
print(f"cost to train fully: {ev.cost[0, -1]:.1f} {bench.cost_unit}")'''),
    code('''import numpy as np

rng = np.random.default_rng(0)
ops = space.sample(rng, 1000, as_array=True)          # (1000, 6) op ids, no Python loop
top = bench.query(ops, fidelity=bench.max_fidelity, seed=rng, metrics=["val_acc", "params"])
print({k: v.shape for k, v in top.values.items()})
print(f"best validation accuracy among 1000 random cells: {np.nanmax(top['val_acc']):.2f} % "
      f"(best seed mean in the whole space: {bench.best('val_acc'):.2f} %)")'''),
    md("""## 2. Run two strategies

`run(strategy, benchmark, budget, seed)` is the only search loop. The strategy is passed as a
factory (its class, or `functools.partial(Class, **hparams)`); the run seed seeds both the
strategy and which recorded training seed each query reads. The budget `"30x"` is 30 times the
mean cost of training one architecture to the end, on the simulated clock."""),
    code('''from nasbench.runner import run
from nasbench.strategies import RandomSearch, RegularizedEvolution

traces = {
    "random search": [run(RandomSearch, bench, "30x", seed=k) for k in range(5)],
    "regularized evolution": [run(RegularizedEvolution, bench, "30x", seed=k) for k in range(5)],
}
tr = traces["regularized evolution"][0]
print(tr, "evaluations:", len(tr))
print("final incumbent:", tr.final())'''),
    md("""The incumbent is chosen on validation accuracy; its test accuracy (the seed mean at the
last epoch) is what gets reported, and regret is the best test accuracy in the space minus it."""),
    code('''for name, trs in traces.items():
    final = np.array([t.final()["test_acc"] for t in trs])
    print(f"{name:22s} test accuracy {final.mean():.2f} ± {final.std(ddof=1) / np.sqrt(len(final)):.2f} %")'''),
    md("## 3. Plot anytime regret"),
    code('''import tempfile
from pathlib import Path

from IPython.display import Image, display

from nasbench import plotting
from nasbench.leaderboard import Leaderboard

lb = Leaderboard.from_traces(traces)
out = Path(tempfile.mkdtemp(prefix="nasbench-quickstart-"))
plotting.plot_regret(lb, out / "regret", formats=("png",))
display(Image(filename=str(out / "regret.png"), width=480))'''),
])

board = new_notebook(metadata=KERNEL, cells=[
    md("""# A small leaderboard

Several strategies, several seeds, one benchmark: anytime regret with standard errors, average
ranks over time, the spread of final results and, for a multi-objective search, Pareto fronts.
`nasbench leaderboard` on the command line does the same with more seeds and a progress bar."""),
    code(PICK),
    code('''import time

from nasbench.catalog import STRATEGIES, strategy_factory
from nasbench.runner import run

names = ["rs", "re", "ls", "reinforce", "bananas", "hb", "bohb"]
for n in names:
    print(f"{n:10s} {STRATEGIES[n].description}")

t0 = time.perf_counter()
traces = {n: [run(strategy_factory(n, bench), bench, "40x", seed=k, name=n) for k in range(5)] for n in names}
print(f"{sum(len(v) for v in traces.values())} runs in {time.perf_counter() - t0:.1f} s of wall-clock time")'''),
    code('''from IPython.display import Markdown, display

from nasbench.leaderboard import Leaderboard

lb = Leaderboard.from_traces(traces)
display(Markdown(lb.to_markdown()))'''),
    code('''lb.summary()[["test_acc_mean", "test_acc_se", "regret_mean", "regret_se", "final_rank", "mean_rank_over_time"]]'''),
    code('''import tempfile
from pathlib import Path

from IPython.display import Image

from nasbench import plotting

out = Path(tempfile.mkdtemp(prefix="nasbench-leaderboard-"))
plotting.plot_regret(lb, out / "regret", formats=("png",))
plotting.plot_ranks(lb, out / "ranks", formats=("png",))
plotting.plot_final(lb, out / "final", formats=("png",))
for name in ("regret", "ranks", "final"):
    display(Image(filename=str(out / f"{name}.png"), width=480))'''),
    md("""## Asynchronous workers

With `n_workers=4` four simulated workers evaluate in parallel, each finishing at its own
simulated time; the strategy hears results in completion order. In the same simulated time,
more architectures are evaluated."""),
    code('''for w in (1, 4):
    trs = [run(strategy_factory("re", bench), bench, "40x", seed=k, n_workers=w) for k in range(5)]
    n = sum(len(t) for t in trs) / len(trs)
    reg = sum(t.final()["regret"] for t in trs) / len(trs)
    print(f"{w} worker(s): {n:.0f} evaluations per run, final regret {reg:.3f}")'''),
    md("""## Accuracy vs parameters

NSGA-II searches for the trade-off between validation accuracy and parameter count. Every run
records the static metrics, so random search's front can be drawn too; the grey line is the
best front in the whole table."""),
    code('''from nasbench.catalog import cost_metric

metric = cost_metric(bench)
mo = {n: [run(strategy_factory(n, bench), bench, "40x", seed=k, name=n) for k in range(5)] for n in ("nsga2", "rs")}
plotting.plot_pareto(mo, metric, "val_acc", out / "pareto", formats=("png",),
                     true_front=(bench.table(metric), bench.table("val_acc")))
display(Image(filename=str(out / "pareto.png"), width=480))'''),
])

from pathlib import Path

HERE = Path(__file__).resolve().parent
nbf.write(quick, HERE / "01_quickstart.ipynb")
nbf.write(board, HERE / "02_leaderboard.ipynb")
