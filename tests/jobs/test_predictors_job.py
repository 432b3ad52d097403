"""``nasbench predictors evaluate``: class-disjoint splits, the results schema, resume, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from nasbench.jobs.predictors import EvaluateConfig, evaluate_predictors, split_classes


def test_split_never_puts_one_class_on_both_sides():
    from nasbench.spaces import NB201Space

    classes = NB201Space().class_index("function")
    eligible = np.ones(len(classes), dtype=bool)
    eligible[::7] = False
    rng = np.random.default_rng(0)
    tr, te = split_classes(classes, eligible, 50, rng)
    assert len(tr) == 50 and len(np.unique(classes[tr])) == 50
    assert not np.intersect1d(classes[tr], classes[te]).size
    assert eligible[tr].all() and eligible[te].all()
    # every eligible row is on one side or belongs to a drawn class
    rest = np.setdiff1d(np.flatnonzero(eligible), te)
    assert np.isin(classes[rest], classes[tr]).all()
    with pytest.raises(ValueError, match="no test classes"):
        split_classes(classes, eligible, 10**6, rng)


def test_evaluate_small_grid_and_resume(tmp_path):
    names = ["rf", "gp+params+flops", "curve"]
    cfg = EvaluateConfig(benchmark="nb201-mnist1d", out=str(tmp_path), predictors=tuple(names), train_sizes=(10, 20),
                         trials=2, test_size=300, progress=False)
    res = evaluate_predictors(cfg)
    rows = res["rows"]
    assert len(rows) == 3 * 2 * 2 * 2  # predictors x sizes x trials x populations
    assert {r["name"] for r in rows} == set(names)
    for r in rows:
        assert r["kind"] == "predictor" and r["target"] == "val_acc" and r["resolution"] == 0.1
        assert -1 <= r["kendall_tau"] <= 1 and "sparse_kendall_tau_pred" in r and r["setup_seconds"] >= 0
    refs = {r["name"] for r in res["references"]}
    assert {"one-seed", "ceiling", "params-only", "flops-only"} <= refs
    for f in ("results.csv", "summary.csv", "summary.md", "kendall_tau.png", "config.json", "rows.jsonl"):
        assert (tmp_path / f).is_file(), f
    md = (tmp_path / "summary.md").read_text()
    assert "one-seed" in md and "±" in md
    # a rerun reuses every finished fit (same numbers, nothing appended)
    n_lines = len((tmp_path / "rows.jsonl").read_text().splitlines())
    again = evaluate_predictors(cfg)
    assert len((tmp_path / "rows.jsonl").read_text().splitlines()) == n_lines
    assert [r["kendall_tau"] for r in again["rows"]] == [r["kendall_tau"] for r in rows]
    # same seed -> same numbers in a fresh directory
    fresh = evaluate_predictors(EvaluateConfig(**{**cfg.__dict__, "out": str(tmp_path / "b")}))
    assert [r["kendall_tau"] for r in fresh["rows"]] == [r["kendall_tau"] for r in rows]


def test_evaluate_latency_target_and_single_seed(tmp_path):
    res = evaluate_predictors(EvaluateConfig(benchmark="nb201-mnist1d", out=str(tmp_path / "lat"),
                                             metric="latency_cpu_bs1", predictors=("rf",), train_sizes=(20,),
                                             trials=1, over=("rows",), test_size=300, progress=False))
    assert {r["name"] for r in res["references"]} == {"params-only", "flops-only"}
    assert res["rows"][0]["resolution"] > 0 and res["rows"][0]["target"] == "latency_cpu_bs1"
    single = evaluate_predictors(EvaluateConfig(benchmark="nb201-mnist1d", out=str(tmp_path / "one"), signal="single",
                                                predictors=("rf",), train_sizes=(20,), trials=1, over=("classes",),
                                                test_size=300, progress=False))
    assert single["rows"][0]["name"] == "rf [1 seed]"


def test_heavy_predictors_run_on_fewer_sizes_and_trials(tmp_path):
    # mlp is a "heavy" catalog entry like gin (and much faster to fit in a test)
    res = evaluate_predictors(EvaluateConfig(benchmark="nb201-mnist1d", out=str(tmp_path), predictors=("mlp", "rf"),
                                             train_sizes=(10, 12, 15), trials=2, heavy_sizes=(10,), heavy_trials=1,
                                             over=("rows",), test_size=100, progress=False))
    heavy = [r for r in res["rows"] if r["name"] == "mlp"]
    assert [(r["train_size"], r["trial"]) for r in heavy] == [(10, 0)]
    assert len([r for r in res["rows"] if r["name"] == "rf"]) == 6


def test_cli_predictors_evaluate(tmp_path, capsys):
    from nasbench.cli import main

    out = tmp_path / "cli"
    rc = main(["predictors", "evaluate", "--benchmark", "nb201-mnist1d", "--predictors", "rf", "--train-sizes", "10",
               "--trials", "1", "--test-size", "200", "--over", "rows", "--no-progress", "-o", str(out)])
    assert rc == 0
    assert "params-only" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["predictors"] == ["rf"]
    assert main(["predictors", "evaluate", "--benchmark", "nb201-mnist1d", "--predictors", "nope", "-o",
                 str(out)]) == 1
    with pytest.raises(SystemExit):  # no abbreviations
        main(["predictors", "evaluate", "--bench", "nb201-mnist1d", "-o", str(out)])
