"""Write the notebooks in notebooks/ (01_quickstart, 02_leaderboard, 03_table_quality): ``python notebooks/make_notebooks.py``."""
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
    display(Image(filename=str(out / f"{name}.png"), width=480))
    display(Markdown(f"*{name}*: " + lb.caption(name)))'''),
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

NSGA-II searches for the trade-off between validation accuracy and parameter count; random
search's front is drawn too. With `benchmark=bench` every architecture a run evaluated is
scored by its seed-mean validation accuracy at the last epoch, the same values as the best
attainable front of the whole table (black, dotted), so no front can pass it. The legend gives
each strategy's hypervolume as a fraction of the best attainable one, with a fixed reference
point (the table's worst values)."""),
    code('''from nasbench.catalog import cost_metric
from nasbench.leaderboard import pareto_summary

metric = cost_metric(bench)
mo = {n: [run(strategy_factory(n, bench), bench, "40x", seed=k, name=n) for k in range(5)] for n in ("nsga2", "rs")}
ps = pareto_summary(mo, metric, "val_acc", benchmark=bench)
plotting.plot_pareto(mo, metric, "val_acc", out / "pareto", summary=ps, formats=("png",))
display(Markdown(ps.to_markdown()))
display(Image(filename=str(out / "pareto.png"), width=480))'''),
])

quality = new_notebook(metadata=KERNEL, cells=[
    md("""# What the shipped table can tell apart

The shipped table `nb201-mnist1d` is ground truth made by this package: every NAS-Bench-201
cell's functional class trained with 3 seeds for 10 epochs on MNIST-1D. Before trusting a
leaderboard on it, look at three things: how far apart good and bad cells are, how much a
second training seed agrees with the first, and whether the ranking resembles NAS-Bench-201's
own CIFAR-10 results (when the published data are at hand)."""),
    code("""import tempfile
from pathlib import Path

import numpy as np
from IPython.display import Image, display

import nasbench as nb
from nasbench import plotting
from nasbench.metrics import rank_agreement

bench = nb.load_benchmark("nb201-mnist1d")  # the shipped table
space = bench.space
out = Path(tempfile.mkdtemp())  # figures go here
print(f"{bench.name}: {bench.coverage():.1%} of the {space.size:,} architectures have results")"""),
    md("""## Learning curves of four landmark cells

Rows of one functional class share their results; `seed="mean"` averages the three training
seeds. A whole-curve query (`fidelity=None`) returns `(n_archs, n_epochs)` arrays."""),
    code("""names = {"all conv3x3": (3,) * 6, "all conv1x1": (2,) * 6, "all skip": (1,) * 6, "all avg-pool": (4,) * 6}
archs = [space.arch(ops) for ops in names.values()]
curves = bench.query(archs, fidelity=None, seed="mean", metrics=["val_acc"])["val_acc"]
print(curves.shape)

from matplotlib.figure import Figure

fig = Figure(figsize=(plotting.COLUMN_WIDTH, 2.5), layout="constrained")
ax = fig.add_subplot()
for label, c in zip(names, curves):
    ax.plot(bench.fidelities, c, marker="o", markersize=2.5, label=label)
ax.set_xlabel("epoch")
ax.set_ylabel(plotting.metric_label("val_acc"))
ax.legend(fontsize=6.5)
plotting.save_figure(fig, out / "curves", formats=("png",))
display(Image(filename=str(out / "curves.png"), width=420))"""),
    md("""## Seed against seed

Each class once (its trained row); `trial=k` reads training seed `k` (whereas `seed=` is a
run seed that draws the training seed at random). Kendall tau over all classes says whether the table
separates good from bad cells; tau among the top half says whether one seed orders the good
ones. In the top half seed noise is as large as the differences: compare top architectures by
their seed mean."""),
    code("""reps = np.unique(bench.arch_class)
s0 = bench.query(reps, fidelity=10, trial=0, metrics=["test_acc"])["test_acc"]  # training seed 0
s1 = bench.query(reps, fidelity=10, trial=1, metrics=["test_acc"])["test_acc"]  # training seed 1
mean = bench.query(reps, fidelity=10, seed="mean", metrics=["test_acc"])["test_acc"]
allc = rank_agreement(s0, s1)
top = np.isfinite(mean) & (mean >= np.nanmedian(mean))
tophalf = rank_agreement(np.where(top, s0, np.nan), np.where(top, s1, np.nan))
print(f"{allc['n']:,} classes: seed-0 vs seed-1 Kendall tau {allc['kendall_tau']:.3f}; "
      f"top half: {tophalf['kendall_tau']:.3f}")
print(f"seed mean: best {np.nanmax(mean):.2f} %, median {np.nanmedian(mean):.2f} %")
plotting.plot_agreement(s0, s1, out / "seeds", xlabel="seed 0: test accuracy (%)",
                        ylabel="seed 1: test accuracy (%)", stats=allc, formats=("png",))
display(Image(filename=str(out / "seeds.png"), width=420))"""),
    md("""## Against NAS-Bench-201 CIFAR-10

The published NB201 accuracies are not shipped with this package. If their CSV is at hand
(this project keeps it in `../shared/data/nb201/`; set `NB201_CSV` to point elsewhere), it is
imported into a temporary directory and the rows with results are compared with NB201's 200-epoch
CIFAR-10 test accuracy. `nasbench compare nb201-mnist1d nb201-cifar10 --plot FILE` does the same
on the command line."""),
    code("""import os
import subprocess
import sys

from nasbench.benchmarks import compare_tables

default = Path.cwd().resolve().parent.parent / "shared" / "data" / "nb201" / "nb201_accuracy.csv"
csv = Path(os.environ.get("NB201_CSV", default))
if not csv.is_file():
    print(f"no NB201 CSV at {csv}: skipping the comparison")
else:
    # `nasbench import nb201-csv CSV -o DIR` writes nb201_cifar10.h5, nb201_cifar100.h5, ...
    subprocess.run([sys.executable, "-m", "nasbench", "import", "nb201-csv", str(csv), "-o", str(out)], check=True)
    c10 = nb.load_benchmark(out / "nb201_cifar10.h5")
    r = compare_tables(bench, c10)
    print(f"{r['n']:,} rows: Kendall tau {r['kendall_tau']:.3f}, top-10% overlap {r['top_overlap']:.2f}; "
          f"our best cell is at the {100 * r['x_best_percentile_in_y']:.1f}th percentile on CIFAR-10")
    plotting.plot_agreement(bench.table("test_acc"), c10.table("test_acc"), out / "c10",
                            xlabel="nb201-mnist1d: test accuracy (%)", ylabel="NB201 CIFAR-10: test accuracy (%)",
                            stats=r, formats=("png",))
    display(Image(filename=str(out / "c10.png"), width=420))"""),
])

from pathlib import Path

HERE = Path(__file__).resolve().parent
for name, notebook in (("01_quickstart", quick), ("02_leaderboard", board), ("03_table_quality", quality)):
    for k, cell in enumerate(notebook.cells):  # stable cell ids: rewriting changes nothing unless content does
        cell["id"] = f"{name[:2]}-{k:02d}"
    nbf.write(notebook, HERE / f"{name}.ipynb")
