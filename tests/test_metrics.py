"""Rank agreement (`nasbench.metrics`, `nasbench.benchmarks.compare_tables`, `nasbench compare`)."""
from pathlib import Path

import numpy as np
import pytest

from nasbench.cli import main
from nasbench.benchmarks import compare_tables
from nasbench.metrics import rank_agreement, sparse_kendall_tau

FIXTURE = str(Path(__file__).parent / "fixtures" / "nb201_tiny.h5")


def test_identical_scores_agree_fully():
    y = np.arange(100.0)
    r = rank_agreement(y, y)
    assert r["n"] == 100
    for k in ("kendall_tau", "spearman", "sparse_kendall_tau", "top_kendall_tau", "top_overlap",
              "x_best_percentile_in_y", "y_best_percentile_in_x"):
        assert r[k] == pytest.approx(1.0)


def test_reversed_scores_disagree_fully():
    y = np.arange(100.0)
    r = rank_agreement(-y, y)
    assert r["kendall_tau"] == pytest.approx(-1.0) and r["spearman"] == pytest.approx(-1.0)
    assert r["top_overlap"] == 0.0
    assert r["x_best_percentile_in_y"] == 0.0 and r["y_best_percentile_in_x"] == 0.0


def test_direction_flags_turn_a_loss_into_a_score():
    y = np.arange(50.0)
    r = rank_agreement(-y, y, x_higher_is_better=False)
    assert r["kendall_tau"] == pytest.approx(1.0) and r["top_overlap"] == 1.0


def test_nan_rows_are_left_out_and_counted():
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    x = y + 0.1 * rng.normal(size=200)
    x[:30] = np.nan
    y[25:40] = np.nan
    r = rank_agreement(x, y, top=0.2)
    assert r["n"] == 160 and r["top"] == 0.2
    assert 0.8 < r["kendall_tau"] < 1.0
    # top figures use the top 20 % of the reference: 32 rows
    ok = np.isfinite(x) & np.isfinite(y)
    top = np.argsort(-y[ok])[:32]
    assert r["top_overlap"] == pytest.approx(len(np.intersect1d(top, np.argsort(-x[ok])[:32])) / 32)


def test_sparse_kendall_tau_ignores_swaps_within_the_resolution():
    y = np.array([50.00, 50.04, 60.0, 70.0])
    x = np.array([2.0, 1.0, 3.0, 4.0])  # swaps the two near-equal ones
    assert sparse_kendall_tau(x, y, 0.1) > rank_agreement(x, y)["kendall_tau"]
    assert sparse_kendall_tau(x, y, 0.1) == pytest.approx(rank_agreement(x, y)["sparse_kendall_tau"])
    assert sparse_kendall_tau(x, y, 0.01) == pytest.approx(rank_agreement(x, y)["kendall_tau"])
    with pytest.raises(ValueError, match="resolution"):
        sparse_kendall_tau(x, y, 0.0)


def test_ties_count_half_in_best_percentile():
    r = rank_agreement(np.array([1.0, 2.0, 3.0]), np.array([5.0, 9.0, 9.0]))
    # x's best (row 2) has y = 9, tied with row 1: 1 below + 0.5 tie over 2 others
    assert r["x_best_percentile_in_y"] == pytest.approx(0.75)


def test_bad_input_errors():
    with pytest.raises(ValueError, match="same length"):
        rank_agreement(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="top"):
        rank_agreement(np.zeros(3), np.zeros(3), top=0.0)
    r = rank_agreement(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert r["n"] == 1 and np.isnan(r["kendall_tau"])


def test_compare_tables_on_the_fixture():
    r = compare_tables(FIXTURE, FIXTURE, metric_a="val_acc", metric_b="val_acc")
    assert r["kendall_tau"] == pytest.approx(1.0) and r["n"] > 10
    assert r["fidelity_a"] == 4 and r["metric_b"] == "val_acc"
    r = compare_tables(FIXTURE, FIXTURE, metric_a="val_acc", metric_b="test_acc", fidelity_a=1)
    assert r["fidelity_a"] == 1 and -1.0 <= r["kendall_tau"] <= 1.0
    r = compare_tables(FIXTURE, FIXTURE, metric_a="params", a_higher_is_better=True)
    assert r["kendall_tau"] == pytest.approx(-1.0) and r["fidelity_a"] is None  # params vs params, flipped
    with pytest.raises(KeyError, match="unknown metric 'acc'"):
        compare_tables(FIXTURE, FIXTURE, metric_a="acc")


def test_compare_tables_refuses_other_spaces():
    from nasbench.benchmarks.synthetic import SyntheticBenchmark
    from nasbench.benchmarks.tabular import load_benchmark

    class Other:
        size = 3

    syn = SyntheticBenchmark()
    syn.space = Other()
    with pytest.raises(ValueError, match="different search spaces"):
        compare_tables(syn, load_benchmark(FIXTURE))


def test_cli_prints_figures_and_writes_the_plot(tmp_path, capsys):
    out = tmp_path / "agree"
    assert main(["compare", FIXTURE, FIXTURE, "--metric", "val_acc", "--metric-b", "test_acc", "--plot", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Kendall tau" in text and "top 10% overlap" in text and "higher is better" in text
    assert (tmp_path / "agree.png").stat().st_size > 1000 and (tmp_path / "agree.pdf").is_file()


def test_nb201_cifar10_against_cifar100(nb201_data_dir, tmp_path):
    """Known from the published data: CIFAR-10 and CIFAR-100 rank NB201 cells alike (tau about 0.88)."""
    from nasbench.jobs.importers import import_nb201_csv

    paths = import_nb201_csv(nb201_data_dir / "nb201_accuracy.csv", tmp_path, datasets=("cifar10", "cifar100"))
    r = compare_tables(*paths)
    assert r["n"] == 15625
    assert r["kendall_tau"] == pytest.approx(0.882, abs=0.002)
    assert r["x_best_percentile_in_y"] > 0.999
