import json
import subprocess
import sys

import numpy as np
import pytest

from nasbench.benchmarks import SyntheticBenchmark
from nasbench.leaderboard import Leaderboard
from nasbench.runner import Trace, run
from nasbench.strategies import LocalSearch, RandomSearch, RegularizedEvolution


@pytest.fixture(scope="module")
def bench():
    return SyntheticBenchmark(n_epochs=4)


@pytest.fixture(scope="module")
def traces(bench):
    return {name: [run(f, bench, "15x", seed=k) for k in range(4)]
            for name, f in (("rs", RandomSearch), ("re", RegularizedEvolution), ("ls", LocalSearch))}


def test_statistics_match_a_direct_computation(traces):
    lb = Leaderboard.from_traces(traces)
    assert lb.strategies == ["rs", "re", "ls"]
    assert lb.grid[-1] == pytest.approx(traces["rs"][0].meta["budget"]["cost"])
    assert np.all(np.diff(lb.grid) > 0)
    for s, trs in traces.items():
        r = np.stack([t.regret_at(lb.grid) for t in trs])
        np.testing.assert_allclose(lb.regret[s], r)
        assert np.isfinite(r).all()  # the default grid starts once every run has an incumbent
        st = lb.stats(s)
        np.testing.assert_allclose(st["mean"], r.mean(0))
        np.testing.assert_allclose(st["se"], r.std(0, ddof=1) / 2)
        np.testing.assert_allclose(st["median"], np.median(r, 0))
        np.testing.assert_allclose(lb.final_test[s], [t.final()["test_acc"] for t in trs])


def test_ranks(traces):
    lb = Leaderboard.from_traces(traces)
    assert lb.mean_rank.shape == (3, len(lb.grid))
    np.testing.assert_allclose(lb.mean_rank.sum(0), 6.0)  # ranks 1..3 (ties averaged) always sum to 6
    assert lb.mean_rank.min() >= 1 and lb.mean_rank.max() <= 3
    # hand check of the final ranks for seed 0
    f = np.array([lb.final_regret[s][0] for s in lb.strategies])
    from scipy.stats import rankdata

    assert lb.final_rank.shape == (3,)
    one_seed = Leaderboard.from_traces({s: traces[s][:1] for s in traces})
    np.testing.assert_allclose(one_seed.final_rank, rankdata(f))


def test_identical_strategies_tie(bench):
    t = [run(RandomSearch, bench, 10, seed=k) for k in range(3)]
    lb = Leaderboard.from_traces({"a": t, "b": t})
    np.testing.assert_allclose(lb.mean_rank, 1.5)


def test_markdown_and_csv(traces, tmp_path):
    import pandas as pd

    lb = Leaderboard.from_traces(traces)
    md = lb.to_markdown(tmp_path / "lb.md")
    assert (tmp_path / "lb.md").read_text() == md
    for s in traces:
        assert f"| {s} |" in md
    assert "regret @10%" in md and "mean ± standard error" in md
    df = pd.read_csv(lb.to_csv(tmp_path / "lb.csv"), index_col=0)
    assert list(df.index) == lb.order()
    assert {"test_acc_mean", "regret_mean", "regret_se", "final_rank", "mean_rank_over_time"} <= set(df.columns)
    assert df.loc["rs", "regret_mean"] == pytest.approx(lb.final_regret["rs"].mean())
    cur = pd.read_csv(lb.to_csv(tmp_path / "curves.csv", what="curves"))
    assert len(cur) == 3 * len(lb.grid) and {"x", "mean", "se", "q25", "q75", "mean_rank"} <= set(cur.columns)
    ordered = [r["regret_mean"] for r in lb.rows()]
    assert ordered == sorted(ordered)


def test_evaluation_axis_and_errors(traces, bench):
    lb = Leaderboard.from_traces(traces, axis="evaluations", grid=[5, 10, 15])
    np.testing.assert_array_equal(lb.grid, [5, 10, 15])
    np.testing.assert_allclose(lb.regret["rs"][:, 1], [t.regret[9] for t in traces["rs"]])
    with pytest.raises(ValueError, match="no traces"):
        Leaderboard.from_traces({})
    with pytest.raises(ValueError, match="axis"):
        Leaderboard.from_traces(traces, axis="epochs")
    other = SyntheticBenchmark(n_epochs=2)
    other.name = "other"
    with pytest.raises(ValueError, match="different benchmarks"):
        Leaderboard.from_traces({"a": traces["rs"], "b": [run(RandomSearch, other, 5, seed=0)]})


def test_figures_are_written(traces, bench, tmp_path):
    from nasbench import plotting

    lb = Leaderboard.from_traces(traces)
    fig = plotting.plot_regret(lb, tmp_path / "regret")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "simulated time (s)" in ax.get_xlabel() and "regret" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rs", "re", "ls"]
    plotting.plot_ranks(lb, tmp_path / "ranks", formats=("png",))
    plotting.plot_final(lb, tmp_path / "final", formats=("pdf",))
    fig = plotting.plot_pareto(traces, "params", "val_acc", tmp_path / "pareto", formats=("png",),
                               true_front=(bench.table("params"), bench.table("val_acc")))
    assert "parameters (millions)" in fig.axes[0].get_xlabel()
    for name in ("regret.png", "regret.pdf", "ranks.png", "final.pdf", "pareto.png"):
        assert (tmp_path / name).stat().st_size > 5000
    with pytest.raises(KeyError, match="lacks"):
        plotting.plot_pareto(traces, "energy_x", "val_acc")


# ------------------------------------------------------------------ jobs / CLI
def test_leaderboard_job_writes_everything_and_resumes(tmp_path):
    from nasbench.jobs.leaderboard import LeaderboardJob, run_leaderboard

    job = LeaderboardJob(benchmark="synthetic", strategies=("rs", "re", "nsga2"), seeds=2, budget="8x",
                         out=str(tmp_path / "lb"), progress=False, formats=("png",))
    rep = run_leaderboard(job)
    assert rep.runs_done == 6 and rep.runs_reused == 0
    for f in ("leaderboard.md", "leaderboard.csv", "curves.csv", "regret.png", "ranks.png", "final.png",
              "pareto.png", "config.json", "traces/re/seed_1.npz"):
        assert (tmp_path / "lb" / f).is_file(), f
    cfg = json.loads((tmp_path / "lb" / "config.json").read_text())
    assert cfg["benchmark"] == "synthetic" and cfg["budget"]["cost"] > 0
    again = run_leaderboard(job)
    assert again.runs_reused == 6 and again.runs_done == 0
    assert again.markdown == rep.markdown
    t = Trace.load(tmp_path / "lb" / "traces" / "rs" / "seed_0.npz")
    assert t.meta["strategy"] == "rs" and t.meta["seed"] == 0


def test_leaderboard_job_runs_in_lockstep_with_the_traces_of_single_runs(tmp_path):
    """The job runs each strategy's seeds with run_many; the traces are those of run(), and a
    partial rerun (one trace file lost) runs only the missing seed."""
    from nasbench.catalog import get_benchmark, strategy_factory
    from nasbench.jobs.leaderboard import LeaderboardJob, run_leaderboard

    job = LeaderboardJob(benchmark="synthetic", strategies=("re", "hb"), seeds=3, first_seed=5, budget="6x",
                         out=str(tmp_path / "lb"), progress=False, formats=("png",))
    run_leaderboard(job)
    bench = get_benchmark("synthetic")
    for s in job.strategies:
        for k in (5, 6, 7):
            saved = Trace.load(tmp_path / "lb" / "traces" / s / f"seed_{k}.npz")
            assert saved.equals(run(strategy_factory(s, bench), bench, "6x", seed=k, name=s)), (s, k)
    (tmp_path / "lb" / "traces" / "hb" / "seed_6.npz").unlink()
    again = run_leaderboard(job)
    assert again.runs_done == 1 and again.runs_reused == 5
    assert Trace.load(tmp_path / "lb" / "traces" / "hb" / "seed_6.npz").equals(
        run(strategy_factory("hb", bench), bench, "6x", seed=6, name="hb"))


def test_job_refuses_bad_input(tmp_path):
    import nasbench
    from nasbench.jobs.leaderboard import LeaderboardJob, check_out_dir, run_leaderboard

    with pytest.raises(KeyError, match="unknown strategies"):
        run_leaderboard(LeaderboardJob(benchmark="synthetic", strategies=("rs", "darts"), out=str(tmp_path)))
    from pathlib import Path

    with pytest.raises(ValueError, match="inside the nasbench package"):
        check_out_dir(Path(nasbench.__file__).parent / "out")


def test_cli_leaderboard_and_demo(tmp_path):
    from nasbench.cli import main

    out = tmp_path / "cli"
    rc = main(["leaderboard", "--benchmark", "synthetic", "--strategies", "rs", "ls", "--seeds", "2",
               "--budget", "20", "--no-progress", "--formats", "png", "-o", str(out)])
    assert rc == 0 and (out / "leaderboard.md").is_file()
    assert main(["leaderboard", "--benchmark", "synthetic", "--budget", "soon", "-o", str(out)]) == 1


def test_demo_command_runs_and_says_which_benchmark(tmp_path):
    env_cmd = [sys.executable, "-m", "nasbench", "demo", "--benchmark", "synthetic", "--seeds", "1", "--budget", "5x",
               "--no-progress", "-o", str(tmp_path / "demo")]
    res = subprocess.run(env_cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "running on synthetic" in res.stdout
    assert "figure: " in res.stdout and (tmp_path / "demo" / "regret.png").is_file()
    assert "| rs |" in res.stdout


def test_demo_falls_back_when_the_shipped_table_is_missing(monkeypatch, tmp_path):
    from nasbench.benchmarks import tabular
    from nasbench.jobs import demo

    monkeypatch.setattr(tabular, "search_dirs", lambda root=None: [tmp_path])
    bench, note = demo.demo_benchmark()
    assert bench.name == "synthetic" and "SYNTHETIC" in note and "nb201-mnist1d" in note
