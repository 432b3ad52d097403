"""generate -> merge -> query on the synthetic task, merge details, and a SIGKILL/resume test."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from nasbench.benchmarks.tabular import TabularBenchmark
from nasbench.io.records import Record, RecordsError, RecordWriter, _iter_log, read_records, write_manifest
from nasbench.jobs.merge import merge_records
from nasbench.spaces import NB201Space

SPACE = NB201Space()
CLS = SPACE.class_index("function")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    from nasbench.jobs.ground_truth import GenerateConfig, generate

    out = tmp_path_factory.mktemp("gen") / "records"
    # 3281 and 3781 share a functional class; 11718 is all-conv3x3; 7011 is a non-representative
    archs = (3281, 3781, 11718, 7011, 1)
    cfg = GenerateConfig(out=str(out), task="synthetic", preset="nb201-mnist1d", epochs=2, seeds=(0, 1),
                         archs=archs, workers=1)
    rep = generate(cfg, progress=False)
    assert rep.trained == 5
    return out


def _static_dir(root: Path) -> Path:
    d = root / "static_out" / "static"
    d.mkdir(parents=True)
    n = SPACE.size
    idx = np.arange(n)
    for k, part in enumerate(np.array_split(idx, 2)):
        np.savez(d / f"part{k}.npz", index=part, params=part / 1e4, flops=part / 1e2 + 1,
                 latency_cpu_bs1=np.full(len(part), 0.5), latency_cpu_bs256=np.full(len(part), 20.0),
                 repeats=np.int64(7))
    (d / ".chunk-00000.123.tmp.npz").write_bytes(b"half a file")  # a static pass in progress
    (d / "meta.json").write_text(json.dumps({"units": {"params": "M", "flops": "M MACs", "latency_cpu_bs1": "ms",
                                                       "latency_cpu_bs256": "ms per forward pass of a batch of 256"},
                                             "cpu_model": "Test CPU", "repeats": 7}))
    return d.parent


def test_generate_merge_query(generated, tmp_path):
    table = merge_records(generated, tmp_path / "t.h5", static_dir=_static_dir(tmp_path))
    b = TabularBenchmark(table)
    recs = read_records(generated)
    assert sorted(recs) == [1, 3281, 3781, 7011, 11718]
    assert b.n_seeds == 2 and list(b.fidelities) == [1, 2] and b.cost_unit == "seconds"
    assert b.name == "nb201-synthetic" and b.attrs["rule"] == "function"
    # every row of a class with a trained member has values; nothing else does
    trained_classes = np.unique(CLS[list(recs)])
    expect_rows = np.isin(CLS, trained_classes)
    assert b.coverage() == pytest.approx(expect_rows.mean())
    assert np.array_equal(np.isfinite(b.table("val_acc")), expect_rows)
    # own record for trained rows
    for i, rec in recs.items():
        for k in range(2):
            ev = b.query(np.array([i]), fidelity=None, trial=k)
            for m in b.metrics:
                np.testing.assert_array_equal(ev[m][0], rec.arrays[m][k])
            np.testing.assert_array_equal(ev.cost[0], rec.arrays["train_time"][k])
    # class members without a record share the lowest-index trained member's results
    members = np.flatnonzero(CLS == CLS[3281])
    others = [m for m in members if m not in recs]
    assert others
    ev = b.query(np.array(others), fidelity=2, trial=1, metrics=["val_acc"])
    np.testing.assert_array_equal(ev["val_acc"], recs[3281].arrays["val_acc"][1, 1])
    untrained = int(np.flatnonzero(~expect_rows)[-1])
    assert b.arch_class[others[0]] == 3281 and b.arch_class[3781] == 3781
    assert b.arch_class[untrained] == CLS[untrained]  # the representative that would be trained
    # static metrics are per architecture, for every row, with units
    assert b.static_metrics == ("params", "flops", "latency_cpu_bs1", "latency_cpu_bs256")
    np.testing.assert_allclose(b.table("params"), np.arange(SPACE.size) / 1e4, rtol=1e-6)
    assert b.metric_attrs["flops"]["unit"] == "M MACs"
    assert b.metric_attrs["latency_cpu_bs256"]["batch_size"] == 256
    assert b.metric_attrs["latency_cpu_bs256"]["unit"] == "ms"
    assert b.attrs["static_pass"]["cpu_model"] == "Test CPU"
    # provenance
    a = b.attrs
    assert a["trainer"]["epochs"] == 2 and a["n_records"] == 5 and a["train_device"] == ["cpu"]
    assert a["torch"] and a["merged_on"]["cpu_model"]
    assert b.metric_attrs["test_acc"]["split"] == "test" and b.metric_attrs["val_loss"]["unit"].startswith("cross")
    # the table answers queries of every form
    sample = SPACE.sample(0, 50, as_array=True)
    assert b.query(sample, fidelity=2, seed=0)["val_acc"].shape == (50,)


def test_merge_cli(generated, tmp_path, capsys):
    from nasbench.cli import main

    out = tmp_path / "cli.h5"
    assert main(["merge", str(generated), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "coverage" in text and str(out) in text
    assert TabularBenchmark(out).static_metrics == ()
    assert main(["merge", str(tmp_path / "nothing"), "-o", str(out)]) == 1
    assert "no manifest.json" in capsys.readouterr().err


def _manifest(seeds=(0, 1), epochs=3):
    return {"space": "nb201", "task": "synthetic", "seeds": list(seeds), "epochs": epochs, "rule": "function",
            "trainer": {"lr": 0.1}, "data_root": None, "created": "now"}


def _record(index, seeds=(0, 1), epochs=3, diverged=None):
    S = len(seeds)
    rng = np.random.default_rng(index)
    arrays = {m: rng.uniform(0, 100, (S, epochs)).astype(np.float32)
              for m in ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss")}
    arrays["train_time"] = np.cumsum(rng.uniform(1, 2, (S, epochs)), 1).astype(np.float32)
    arrays["diverged"] = np.zeros(S, bool) if diverged is None else np.asarray(diverged)
    arrays["seeds"] = np.asarray(seeds, np.int32)
    for k in np.flatnonzero(arrays["diverged"]):
        for m in ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss"):
            arrays[m][k, 1:] = np.nan
    return Record(index, arrays, {"torch": "x", "device": "cpu", "threads": 1, "host_cpu": "x86_64"})


def test_merge_diverged_and_partial(tmp_path):
    d = tmp_path / "recs"
    write_manifest(d, _manifest())
    with RecordWriter(d, "a") as w:
        w.append(_record(11718, diverged=[False, True]))
        w.append(_record(5))
    b = TabularBenchmark(merge_records(d, tmp_path / "t.h5"))
    ev = b.query(np.array([11718]), fidelity=None, trial=1, metrics=["val_acc"])
    assert np.isfinite(ev["val_acc"][0, 0]) and np.isnan(ev["val_acc"][0, 1:]).all()
    # the seed mean ignores the diverged seed's NaN
    mean = b.query(np.array([11718]), fidelity=3, seed="mean", metrics=["val_acc"])["val_acc"][0]
    assert mean == pytest.approx(_record(11718).arrays["val_acc"][0, 2])
    assert b.attrs["diverged_runs"] == 1
    assert b.coverage() == pytest.approx(np.isin(CLS, CLS[[11718, 5]]).mean())


def test_merge_rejects_mismatched_records(tmp_path):
    d = tmp_path / "recs"
    write_manifest(d, _manifest())
    with RecordWriter(d, "a") as w:
        w.append(_record(3, seeds=(0, 2)))
    with pytest.raises(RecordsError, match="seeds"):
        merge_records(d, tmp_path / "t.h5")
    assert not (tmp_path / "t.h5").exists()


def test_merge_empty_run_is_an_all_nan_table(tmp_path):
    d = tmp_path / "recs"
    write_manifest(d, _manifest())
    b = TabularBenchmark(merge_records(d, tmp_path / "t.h5"))
    assert b.coverage() == 0.0


# ------------------------------------------------------------------ crash safety
def _count(records_dir: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for log in sorted(records_dir.glob("records-*.log")):
            for rec in _iter_log(log):
                counts[rec.index] = counts.get(rec.index, 0) + 1
    return counts


@pytest.mark.slow
def test_sigkill_then_resume_loses_nothing_and_duplicates_nothing(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "recs"
    archs = [1, 7, 11718, 3281, 3307, 3308, 3309, 3332, 9000, 15000]
    cmd = [sys.executable, "-m", "nasbench", "generate", "--task", "synthetic", "--preset", "nb201-mnist1d",
           "--epochs", "6", "--seeds", "0", "1", "--workers", "1", "--out", str(out),
           "--archs", *map(str, archs)]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log_path = tmp_path / "first_run.stderr"
    with open(log_path, "wb") as log_f:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log_f, env=env, cwd=tmp_path)
        deadline = time.monotonic() + 180
        try:
            while not _count(out) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)  # short polling only
            if proc.poll() is None:
                proc.kill()  # SIGKILL
        finally:
            proc.wait(timeout=60)
    if proc.returncode != -signal.SIGKILL:
        pytest.fail(f"generate exited with {proc.returncode} before it could be killed:\n"
                    f"{log_path.read_text(errors='replace')[-3000:]}")
    before = _count(out)
    assert 1 <= len(before) < len(archs)
    # simulate a torn record: the start of a frame, then garbage
    log = sorted(out.glob("records-*.log"))[-1]
    with open(log, "ab") as f:
        f.write(b"NBR1" + os.urandom(37))
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    after = _count(out)
    assert sorted(after) == sorted(archs)
    assert set(after.values()) == {1}, "an architecture was recorded twice"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recs = read_records(out)
        table = merge_records(out, tmp_path / "t.h5")
    for i in before:  # finished records survived the kill unchanged
        assert np.isfinite(recs[i].arrays["val_acc"]).all()
    b = TabularBenchmark(table)
    assert np.isfinite(b.query(np.array(archs), fidelity=6, seed="mean")["val_acc"]).all()


# ------------------------------------------------------------------ ray executor
def test_ray_executor_missing_names_the_extra(monkeypatch):
    from nasbench.jobs import _ray_exec
    from nasbench.jobs.ground_truth import GenerateConfig

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ImportError, match=r"nasbench\[ray\]"):
        next(_ray_exec.run(GenerateConfig(out="unused", executor="ray"), [1]))


@pytest.mark.slow
def test_ray_executor_local_cluster(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("ray", reason="Ray not installed (pip install 'nasbench[ray]')")
    from nasbench.jobs.ground_truth import GenerateConfig, generate

    archs = (1, 11718, 3281)
    cfg = GenerateConfig(out=str(tmp_path / "recs"), task="synthetic", preset="nb201-mnist1d", epochs=1,
                         seeds=(0, 1), archs=archs, workers=1, executor="ray")
    rep = generate(cfg, progress=False)
    assert rep.trained == 3
    recs = read_records(tmp_path / "recs")
    assert sorted(recs) == sorted(archs)
    assert generate(cfg, progress=False).trained == 0  # resumes: nothing left to do
    b = TabularBenchmark(merge_records(tmp_path / "recs", tmp_path / "t.h5"))
    assert np.isfinite(b.query(np.array(archs), fidelity=1, seed=0)["val_acc"]).all()
