"""``nasbench estimators validate --live``: estimators scored on ground truth trained now.

Tiny and CPU only: 6 architectures of the synthetic task, 2 epochs, 2 seeds (a few seconds).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")

from nasbench.cli import main  # noqa: E402
from nasbench.io.records import read_records  # noqa: E402
from nasbench.results import COLUMNS  # noqa: E402

EST = ["synflow", "meco", "vote:meco+swap+flops", "sotl@1", "lce@2"]


def _run(out: Path, *extra: str, est=EST) -> int:
    return main(["estimators", "validate", "--live", "--task", "synthetic", "--epochs", "2", "--seeds", "0", "1",
                 "--sample", "6", "--n-boot", "20", "--no-progress", "-o", str(out), "--estimators", *est, *extra])


def _rows(out: Path) -> list[dict]:
    with open(out / "results.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("live_validate")
    assert _run(out) == 0
    return out, _rows(out), json.loads((out / "settings.json").read_text())


def test_live_report_files_and_schema(first):
    out, rows, st = first
    for name in ("results.csv", "results.md", "cost_quality_classes.png", "settings.json"):
        assert (out / name).is_file(), name
    assert list(rows[0])[:len(COLUMNS)] == [c for c in COLUMNS if c in rows[0]]
    assert {"kendall_tau_lo", "kendall_tau_hi", "spearman_lo", "n_unscored"} <= set(rows[0])
    est = {r["name"]: r for r in rows if r["kind"] == "estimator"}
    assert set(est) == set(EST)
    for r in est.values():
        assert r["over"] == "classes" and int(r["n"]) == 6 and int(r["n_unscored"]) == 0
        assert float(r["seconds_per_arch"]) > 0  # measured now
        assert float(r["kendall_tau_lo"]) <= float(r["kendall_tau"]) <= float(r["kendall_tau_hi"])
    assert est["lce@2"]["k"] == "2" and est["sotl@1"]["k"] == "1"
    refs = {r["name"]: r for r in rows if r["kind"] in ("reference", "baseline")}
    assert {"one-seed", "ceiling", "params-only"} <= set(refs)  # two seeds: one-seed and ceiling exist
    assert all(int(r["n"]) == 6 and "same 6 architectures" in r["notes"] for r in refs.values())
    assert float(refs["one-seed"]["seconds_per_arch"]) > 0  # one live training run
    md = (out / "results.md").read_text()
    assert "live ground truth: synthetic, 2 epochs, seeds [0, 1], n = 6 classes" in md
    assert "references over the same architectures" in md
    assert st["task"] == "synthetic" and st["epochs"] == 2 and st["seeds"] == [0, 1]
    assert st["n_architectures"] == 6 and st["n_trained_this_run"] == 6 and st["n_cached_before"] == 0
    assert len(read_records(out / "live_cache")) == 6


def test_second_run_reuses_the_cache(first, tmp_path):
    out, rows, _ = first
    again = tmp_path / "again"
    assert _run(again, "--cache", str(out / "live_cache")) == 0
    st = json.loads((again / "settings.json").read_text())
    assert st["n_trained_this_run"] == 0 and st["n_cached_before"] == 6
    assert len(read_records(out / "live_cache")) == 6  # nothing appended
    a = {(r["kind"], r["name"]): r for r in rows}
    b = {(r["kind"], r["name"]): r for r in _rows(again)}
    # the ground truth is the cached one: every ranking statistic repeats (costs are re-measured)
    for key in a:
        assert a[key]["spearman"] == b[key]["spearman"], key
        assert a[key]["regret_top1"] == b[key]["regret_top1"], key


@pytest.mark.parametrize("name, message", [
    ("nosuchproxy", "unknown estimator 'nosuchproxy'"),
    ("zc_synflow", "table-only"),
    ("xgb", "table-only"),
    ("lce@3", "k must be in 2..2"),
])
def test_clear_errors_before_training(tmp_path, capsys, name, message):
    assert _run(tmp_path / "o", est=["synflow", name]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o" / "live_cache").exists()  # names are checked before anything trains


def test_live_refuses_table_options(tmp_path, capsys):
    assert _run(tmp_path / "o", "--benchmark", "nb201-mnist1d") == 1
    assert "drop --benchmark" in capsys.readouterr().err


def test_validate_given_population_scores_references_on_it():
    from nasbench import load_benchmark
    from nasbench.jobs.validate_estimators import sample_population, validate

    bench = load_benchmark(Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5")
    truth = bench.table("test_acc", bench.max_fidelity)
    idx = sample_population(bench, "classes")
    idx = idx[np.isfinite(truth[idx])][:20]  # the fixture is sparse: classes with results
    assert len(idx) >= 5
    rows = validate(bench, {"truth": {"scores": truth}}, populations={"classes": idx}, n_boot=10)
    assert {r["over"] for r in rows} == {"classes"}
    assert all(int(r["n"]) == len(idx) for r in rows if r["name"] in ("truth", "one-seed", "params-only"))
    assert rows[0]["spearman"] == pytest.approx(1.0)
    np.testing.assert_array_equal(sample_population(bench, "classes", 20, seed=3),
                                  sample_population(bench, "classes", 20, seed=3))  # seeded draw
