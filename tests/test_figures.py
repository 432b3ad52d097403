"""Every figure kind from one small leaderboard: colours by strategy name, readable axes,
constrained strategies kept apart, Pareto fronts on the values their reference belongs to."""
import functools
import re

import numpy as np
import pytest
from matplotlib.colors import to_hex

from nasbench import plotting
from nasbench.benchmarks import SyntheticBenchmark
from nasbench.catalog import strategy_factory
from nasbench.leaderboard import Leaderboard, pareto_summary
from nasbench.runner import oracle as runner_oracle
from nasbench.runner import run
from nasbench.strategies import ConstrainedEvolution

NAMES = ("rs", "re", "ls", "nsga2", "re-capped")


@pytest.fixture(scope="module")
def bench():
    return SyntheticBenchmark(n_epochs=4)


@pytest.fixture(scope="module")
def traces(bench):
    # a tight cap (the 10th percentile of params), so that the feasible optimum is below the space's
    cap = float(np.nanpercentile(bench.table("params"), 10))
    capped = functools.partial(ConstrainedEvolution, metric="params", cap=cap)
    facts = {n: strategy_factory(n, bench) for n in NAMES if n != "re-capped"} | {"re-capped": capped}
    return {n: [run(facts[n], bench, "12x", seed=k, name=n) for k in range(5)] for n in NAMES}


@pytest.fixture(scope="module")
def lb(traces):
    return Leaderboard.from_traces(traces)


def _line_colors(ax) -> dict[str, str]:
    """Legend label (without a problem mark) -> colour of its line."""
    out = {}
    for line in ax.get_lines():
        lab = line.get_label()
        if not lab.startswith("_"):
            out[re.split(r"[:\u2020\u2021]", lab)[0].strip()] = to_hex(line.get_color())
    return out


def _tick_texts(ax, which: str) -> list[str]:
    ax.figure.canvas.draw()
    labels = ax.get_yticklabels() if which == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels if t.get_text()]


def test_every_figure_kind_renders(lb, traces, bench, tmp_path):
    unc, con = lb.split()
    plotting.plot_regret(unc, tmp_path / "regret", formats=("png", "pdf"))
    plotting.plot_regret(con, tmp_path / "regret-constrained", formats=("png",))
    plotting.plot_regret(lb, tmp_path / "regret-mixed", formats=("png",))
    plotting.plot_ranks(unc, tmp_path / "ranks", formats=("png",))
    plotting.plot_final(unc, tmp_path / "final", formats=("png",))
    plotting.plot_final(lb, tmp_path / "final-mixed", formats=("svg",))
    plotting.plot_pareto({s: traces[s] for s in ("nsga2", "re-capped", "rs")}, "params", "val_acc",
                         tmp_path / "pareto", benchmark=bench, formats=("png",))
    plotting.plot_agreement(bench.table("val_acc"), bench.table("test_acc"), tmp_path / "agreement",
                            formats=("png",))
    for name in ("regret.png", "regret.pdf", "regret-constrained.png", "regret-mixed.png", "ranks.png",
                 "final.png", "final-mixed.svg", "pareto.png", "agreement.png"):
        assert (tmp_path / name).stat().st_size > 5000, name


def test_colour_and_line_style_follow_the_name_not_the_position(lb, traces, bench):
    unc = lb.split()[0]
    first = _line_colors(plotting.plot_regret(unc).axes[0])
    # same strategies in another order, and a subset: same colours
    rev = Leaderboard.from_traces({s: traces[s] for s in reversed(unc.strategies)})
    assert _line_colors(plotting.plot_regret(rev).axes[0]) == first
    sub = Leaderboard.from_traces({s: traces[s] for s in ("ls", "re")})
    assert _line_colors(plotting.plot_regret(sub).axes[0]) == {s: first[s] for s in ("ls", "re")}
    assert _line_colors(plotting.plot_ranks(rev).axes[0]) == first
    par = _line_colors(plotting.plot_pareto({s: traces[s] for s in ("re", "rs", "nsga2")}, "params",
                                            benchmark=bench).axes[0])
    assert {s: par[s] for s in ("re", "rs")} == {s: first[s] for s in ("re", "rs")}
    # line styles too, and the catalog table is what decides
    styles = {ln.get_label(): ln.get_linestyle() for ln in plotting.plot_regret(rev).axes[0].get_lines()}
    for s in unc.strategies:
        want = plotting.STRATEGY_STYLES[s]
        assert first[s] == to_hex(want["color"])
        assert styles[s] == want["linestyle"]
    # catalog strategies never share a (colour, style) pair; unknown names get a fixed one
    pairs = {(v["color"], v["linestyle"]) for v in plotting.STRATEGY_STYLES.values()}
    assert len(pairs) == len(plotting.STRATEGY_STYLES)
    assert plotting.strategy_style("my-search") == plotting.strategy_style("my-search")
    assert set(plotting.strategy_style("my-search")) == {"color", "linestyle"}


def test_regret_axes_are_readable_and_titled(lb):
    unc = lb.split()[0]
    fig = plotting.plot_regret(unc)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"  # x is log only when the grid spans a decade
    for which in ("x", "y"):
        texts = _tick_texts(ax, which)
        assert texts, which
        for t in texts:  # plain numbers, no "4x10^0" mathtext
            assert re.fullmatch(r"[0-9.]+(e-?[0-9]+)?", t), (which, t)
    title = ax.get_title()
    assert "synthetic" in title and "5 seeds" in title and "budget" in title
    cap = unc.caption("regret")
    assert "validation" in cap and "monotone" in cap and "5 seeds" in cap


def test_constrained_strategies_are_scored_and_ranked_apart(lb, bench, traces):
    cons = traces["re-capped"][0].meta["constraints"]
    assert cons and set(cons) == {"params"}
    feasible_best = runner_oracle(bench, cons)
    assert lb.oracle["re-capped"] == pytest.approx(feasible_best)
    assert lb.oracle["re"] == pytest.approx(bench.best("test_acc")) and feasible_best < lb.oracle["re"]
    np.testing.assert_allclose(lb.final_regret["re-capped"],
                               feasible_best - np.array([t.final()["test_acc"] for t in traces["re-capped"]]))
    probs = lb.problems()
    assert list(probs) == ["", next(p for p in probs if p)]
    assert probs[""] == ["rs", "re", "ls", "nsga2"] and list(probs.values())[1] == ["re-capped"]
    # ranks only among the unconstrained four; re-capped is alone in its problem
    j = lb.strategies.index("re-capped")
    np.testing.assert_allclose(lb.mean_rank[j], 1.0)
    others = [lb.strategies.index(s) for s in probs[""]]
    np.testing.assert_allclose(lb.mean_rank[others].sum(0), 10.0)  # 1 + 2 + 3 + 4
    with pytest.raises(ValueError, match="mixes problems"):
        plotting.plot_ranks(lb)
    # a mixed regret figure says so: a dagger on the constrained strategy and a note with its oracle
    ax = plotting.plot_regret(lb).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "re-capped\u2020" in labels
    assert any("best feasible" in t.get_text() and f"{feasible_best:.2f}" in t.get_text() for t in ax.texts)
    md = lb.to_markdown()
    assert "Constrained search, params ≤" in md and f"{feasible_best:.2f}" in md
    # the split parts are each one problem, with the constraint in the title
    unc, con = lb.split()
    assert unc.strategies == probs[""] and con.strategies == ["re-capped"]
    assert "constrained: params ≤" in con.title()
    assert con.oracle["re-capped"] == pytest.approx(feasible_best)


def test_rank_figure_has_bands(lb):
    unc = lb.split()[0]
    ax = plotting.plot_ranks(unc).axes[0]
    assert len(ax.collections) == len(unc.strategies)  # one band per strategy
    assert unc.rank_se.shape == unc.mean_rank.shape and np.isfinite(unc.rank_se).all()
    assert "s.e." in ax.get_ylabel()


def test_pareto_front_states_its_values_and_stays_under_its_reference(traces, bench):
    shown = {s: traces[s] for s in ("nsga2", "re", "rs")}
    ps = pareto_summary(shown, "params", "val_acc", benchmark=bench)
    bx, by = ps.best_front
    for s in shown:
        for x, y in ps.points[s]:
            # every evaluated architecture, at its seed-mean value, is weakly dominated by the best front
            for xi, yi in zip(x, y):
                assert np.any((bx <= xi + 1e-12) & (by >= yi - 1e-9))
        assert np.all(ps.hv[s] <= ps.best_hv + 1e-9)
    assert "seed-mean" in ps.values
    assert ps.reference == (pytest.approx(float(np.nanmax(bench.table("params")))),
                            pytest.approx(float(np.nanmin(bench.table("val_acc")))))
    assert ps.x_label == "parameters (thousands)" and ps.hv_unit == "% points × thousand parameters"
    fig = plotting.plot_pareto(shown, "params", "val_acc", benchmark=bench, summary=ps)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "parameters (thousands)"
    leg = ax.get_legend()
    title = leg.get_title().get_text()
    assert "points: " in title and "reference" in title
    assert any(t.get_text().startswith("best attainable") for t in leg.get_texts())
    # the plotted x values are in thousands
    xs = np.concatenate([ln.get_xdata() for ln in ax.get_lines()])
    assert np.nanmax(xs) == pytest.approx(np.nanmax(bx) * 1e3)
    # without a benchmark: the recorded one-seed values, and the figure says so
    raw = pareto_summary(shown, "params", "val_acc")
    assert "one training seed" in raw.values and np.isnan(raw.best_hv)
    with pytest.raises(KeyError, match="lacks"):
        pareto_summary(shown, "energy_x", "val_acc")


def test_hypervolume_in_markdown_and_csv(lb, traces, bench, tmp_path):
    import pandas as pd

    lb2 = Leaderboard.from_traces(traces)
    lb2.pareto = pareto_summary({s: traces[s] for s in ("nsga2", "re-capped", "rs", "re")}, "params",
                                benchmark=bench)
    md = lb2.to_markdown(figures={"pareto.png": lb2.caption("pareto")})
    assert "**Hypervolume**" in md and "reference point" in md and "% points × thousand parameters" in md
    assert "`pareto.png`:" in md
    df = pd.read_csv(lb2.to_csv(tmp_path / "lb.csv"), index_col=0)
    assert {"hv_mean", "hv_se", "hv_fraction_mean", "hv_reference", "hv_unit", "constraints"} <= set(df.columns)
    assert df.loc["nsga2", "hv_mean"] == pytest.approx(lb2.pareto.hv["nsga2"].mean())
    assert np.isnan(df.loc["ls", "hv_mean"])  # not part of the multi-objective comparison
    out = pd.read_csv(lb2.pareto.to_csv(tmp_path / "pareto.csv"), index_col=0)
    assert out.loc["rs", "hv_unit"] == "% points × thousand parameters"


def test_leaderboard_job_keeps_constrained_figures_apart(tmp_path):
    from nasbench.jobs.leaderboard import MIN_SEEDS_FOR_RANKS, LeaderboardJob, run_leaderboard

    job = LeaderboardJob(benchmark="synthetic", strategies=("rs", "re", "re-capped"), seeds=MIN_SEEDS_FOR_RANKS,
                         budget="6x", out=str(tmp_path / "lb"), progress=False, formats=("png",))
    rep = run_leaderboard(job)
    for f in ("regret.png", "ranks.png", "final.png", "regret-constrained.png", "final-constrained.png",
              "pareto.png", "pareto.csv"):
        assert (tmp_path / "lb" / f).is_file(), f
    assert not (tmp_path / "lb" / "ranks-constrained.png").exists()  # one constrained strategy: no ranking
    assert "Constrained search" in rep.markdown and "`regret-constrained.png`:" in rep.markdown
    assert "**Hypervolume**" in rep.markdown
    # a "6x" budget is titled in trainings (the x axis shows the seconds)
    assert "budget 6 trainings, 5 seeds" in rep.leaderboard.split()[0].title()
