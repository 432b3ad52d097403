"""The shared ranking-results schema (nasbench.results)."""
import math

import numpy as np
import pytest

from nasbench.results import (COLUMNS, bootstrap_ci, references, score_ranking, summarize, to_markdown,
                              write_results)


def test_perfect_and_reversed_scores():
    t = np.arange(100, dtype=float)
    r = score_ranking(t, t, name="id", same_scale=True)
    assert set(COLUMNS) <= set(r)
    assert r["kendall_tau"] == pytest.approx(1.0) and r["r2"] == pytest.approx(1.0)
    assert r["top1_precision"] == 1.0 and r["regret_top1"] == 0.0
    r = score_ranking(-t, t, name="rev")
    assert r["kendall_tau"] == pytest.approx(-1.0)
    assert r["regret_top1"] == 99.0 and r["regret_top10"] == 90.0
    assert math.isnan(r["r2"])  # not on the target's scale


def test_lower_is_better_target_and_nan_rows():
    t = np.array([3.0, 1.0, 2.0, np.nan])
    r = score_ranking(np.array([1.0, 3.0, 2.0, 5.0]), t, name="x", higher_is_better=False)
    assert r["n"] == 3 and r["kendall_tau"] == pytest.approx(1.0)


def test_prediction_rounding_is_a_distinct_column():
    t = np.array([1.0, 1.01, 2.0, 3.0])
    p = np.array([1.01, 1.0, 2.0, 3.0])
    r = score_ranking(p, t, name="p", same_scale=True, resolution=0.1)
    assert r["sparse_kendall_tau_pred"] > r["kendall_tau"]


def test_summarize_and_writers(tmp_path):
    rows = [score_ranking(np.arange(10.0) + np.random.default_rng(k).normal(size=10), np.arange(10.0),
                          name="m", train_size=10, trial=k) for k in range(4)]
    (s,) = summarize(rows)
    assert s["trial"] == 4 and s["kendall_tau_se"] > 0
    assert s["kendall_tau"] == pytest.approx(np.mean([r["kendall_tau"] for r in rows]))
    p = write_results([s], tmp_path / "r.csv")
    assert p.read_text().splitlines()[0].startswith("kind,name")
    assert "±" in to_markdown([s])


def test_bootstrap_ci_brackets_the_estimate():
    rng = np.random.default_rng(0)
    t = rng.normal(size=200)
    p = t + rng.normal(size=200)
    lo, hi = bootstrap_ci(p, t, n_boot=100, seed=1)
    assert lo < score_ranking(p, t, name="p")["kendall_tau"] < hi


def test_references_on_fixture():
    from pathlib import Path

    from nasbench import load_benchmark

    tiny_table = load_benchmark(Path(__file__).parent / "fixtures" / "nb201_tiny.h5")
    rows = references(tiny_table, "test_acc", over="classes")
    names = [r["name"] for r in rows]
    assert names[:2] == ["one-seed", "ceiling"] and "params-only" in names
    one, ceil = rows[0], rows[1]
    assert 0 < ceil["kendall_tau"] <= 1 and one["n"] == 24


def test_references_for_a_static_lower_is_better_target():
    """Latency: no seed references (one value per architecture), baselines oriented so that a
    bigger network predicts a slower one (on the shipped table FLOPs track CPU latency)."""
    from nasbench import load_benchmark

    bench = load_benchmark("nb201-mnist1d")
    rows = references(bench, "latency_cpu_bs1", over="rows")
    names = [r["name"] for r in rows]
    assert names == ["params-only", "flops-only"]
    assert rows[1]["kendall_tau"] > 0.2


def test_population_without_arch_class_uses_functional_classes():
    from nasbench.results import population
    from nasbench.spaces import NB201Space

    class Imported:  # an imported table: every row has results, no arch_class column
        space = NB201Space()
        arch_class = None

    reps = population(Imported(), "classes")
    cls = NB201Space().class_index("function")
    assert len(reps) == len(np.unique(cls)) == 5260
    assert len(np.unique(cls[reps])) == len(reps)
    assert len(population(Imported(), "rows")) == 15625
