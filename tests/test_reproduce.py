"""A table row is reproduced bit for bit by the public training paths (``Trainer``, ``nasbench train``).

A tiny table is generated here with ``nasbench generate``'s code path and merged, on this
machine (bit-equality holds only for one torch version and CPU, so a table trained elsewhere
cannot be the reference), then rows are retrained through the public API and compared.
"""
from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.benchmarks.tabular import TabularBenchmark  # noqa: E402
from nasbench.jobs.ground_truth import GenerateConfig, _train_config, generate  # noqa: E402
from nasbench.jobs.live import TrainJob, compare_to_table, run_train, train_config  # noqa: E402
from nasbench.jobs.merge import merge_records  # noqa: E402
from nasbench.spaces import NB201Space  # noqa: E402
from nasbench.train.data import load_task  # noqa: E402
from nasbench.train.trainer import MNIST1D_TABLE_CONFIG, MNIST1D_TABLE_SEEDS, Trainer  # noqa: E402

SPACE = NB201Space()
CLS = SPACE.class_index("function")
REP = 3281       # a representative of a two-member class ...
MEMBER = 3781    # ... whose other member is this one
SEEDS = (0, 1, 2)
EPOCHS = 2


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    assert CLS[MEMBER] == REP != MEMBER
    root = tmp_path_factory.mktemp("repro")
    cfg = GenerateConfig(out=str(root / "records"), task="synthetic", epochs=EPOCHS, seeds=SEEDS,
                         archs=(REP, 11718), workers=1)
    generate(cfg, progress=False)
    return TabularBenchmark(merge_records(root / "records", root / "t.h5"))


def test_table_config_is_what_generate_trains():
    assert _train_config(GenerateConfig(out="unused")) == MNIST1D_TABLE_CONFIG
    assert tuple(GenerateConfig(out="unused").seeds) == MNIST1D_TABLE_SEEDS
    cfg, seeds = train_config(TrainJob(arch="", task="mnist1d"), "nb201-mnist1d")
    assert cfg == MNIST1D_TABLE_CONFIG and seeds == MNIST1D_TABLE_SEEDS


def test_trainer_reproduces_a_row_bit_for_bit(table):
    task = load_task("synthetic")
    curve = Trainer(MNIST1D_TABLE_CONFIG.replace(epochs=EPOCHS)).train(SPACE.from_index(REP), task, list(SEEDS))
    for k in range(len(SEEDS)):
        ev = table.query(np.array([REP]), fidelity=None, trial=k)
        for m, v in curve.metrics.items():
            np.testing.assert_array_equal(ev.values[m][0], v[k].astype(np.float32), err_msg=f"{m} seed {k}")
    c = compare_to_table(curve, table)
    assert c["identical"] and c["is_representative"] and c["seeds"] == list(SEEDS)
    assert c["run_capability"] == torch.backends.cpu.get_cpu_capability()
    assert table.attrs["cpu_capability"] == [c["run_capability"]]  # recorded in the provenance


def test_cli_job_reports_identical_and_explains_members(table):
    out = io.StringIO()
    run_train(TrainJob(arch=SPACE.to_string(SPACE.from_index(REP)), task="synthetic", epochs=EPOCHS,
                       compare=str(table.path), progress=False), out=out)
    assert "identical, bit for bit" in out.getvalue()
    out = io.StringIO()
    run_train(TrainJob(arch=SPACE.to_string(SPACE.from_index(MEMBER)), task="synthetic", epochs=EPOCHS,
                       compare=str(table.path), progress=False), out=out)
    text = out.getvalue()
    assert f"class representative, row {REP}" in text


def test_comparison_names_the_first_differing_epoch(table):
    task = load_task("synthetic")
    curve = Trainer(MNIST1D_TABLE_CONFIG.replace(epochs=EPOCHS)).train(SPACE.from_index(REP), task, list(SEEDS))
    curve.metrics["val_acc"][1, 1] += 0.05  # one value of seed 1 at epoch 2
    c = compare_to_table(curve, table)
    assert not c["identical"] and c["first_diff_epoch"] == 2
    assert c["max_abs_diff"]["val_acc"] == pytest.approx(0.05, abs=1e-5) and c["max_abs_diff"]["test_acc"] == 0.0


def test_train_defaults_match_table_and_can_be_overridden():
    cfg, seeds = train_config(TrainJob(arch="", task="mnist1d", threads=0, device="auto", seeds=(5,)), "nb201-mnist1d")
    assert cfg.threads is None and cfg.device == "auto" and seeds == (5,)
    cfg, seeds = train_config(TrainJob(arch="", task="cifar10"), "nb201-cifar10")
    assert cfg.batch_size == 256 and seeds == (0,) and cfg.device == "auto"
    assert dataclasses.asdict(cfg)["eval_batch_size"] == 1024


def test_reproduce_job_retrains_rows_of_a_generated_table(table):
    from nasbench.jobs.live import run_reproduce

    out = io.StringIO()
    res = run_reproduce(str(table.path), sample=1, seed=0, out=out)
    assert res["identical"] == 1 and res["final_val_abs_diff"].max() == 0.0
    assert "1 of 1 rows bit-identical" in out.getvalue()
