"""`generate --retime` re-measures wall-clock-timed records without changing their metrics."""
import dataclasses

import numpy as np
import pytest

from nasbench.io.records import Record, RecordWriter, read_manifest, read_records, write_manifest
from nasbench.jobs.ground_truth import GenerateConfig, generate


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # rank statistics of two archs
def test_retime_replaces_wall_timed_records_and_keeps_metrics(tmp_path):
    pytest.importorskip("torch")
    cfg = GenerateConfig(out=str(tmp_path / "a"), task="synthetic", preset="nb201-mnist1d", epochs=2,
                         seeds=(0, 1), archs=(11718, 3906), workers=1)
    generate(cfg, progress=False)
    fresh = read_records(cfg.out)
    assert {r.info["time_basis"] for r in fresh.values()} == {"process_cpu"}

    # an "old" run of the same settings: same metrics, wall-clock times inflated by load
    old_dir = tmp_path / "b"
    write_manifest(old_dir, read_manifest(cfg.out))
    with RecordWriter(old_dir, "old") as w:
        for i, r in fresh.items():
            arrays = dict(r.arrays, train_time=r.arrays["train_time"] * 10)
            info = {k: v for k, v in r.info.items() if k != "time_basis"}
            w.append(Record(i, arrays, info))
    rcfg = dataclasses.replace(cfg, out=str(old_dir), retime=True)
    rep = generate(rcfg, progress=False)
    assert rep.trained == 2
    after = read_records(old_dir)
    for i, r in after.items():
        assert r.info.get("retime") is True
        for m in ("val_acc", "test_acc", "train_loss"):
            np.testing.assert_array_equal(r.arrays[m], fresh[i].arrays[m])
        assert np.all(r.arrays["train_time"] < 5 * fresh[i].arrays["train_time"])
    assert generate(rcfg, progress=False).trained == 0  # nothing left to retime

    # the re-run doubles as a reproducibility check, reported by table_report
    from nasbench.jobs.table_report import quality_from_records, retime_agreement

    agree = retime_agreement(old_dir)
    assert agree == {"retimed": 2, "retimed_identical": 2, "retimed_max_abs_diff": 0.0}
    assert quality_from_records(old_dir)["retimed_identical"] == 2


def test_retime_agreement_reports_a_differing_rerun(tmp_path):
    from nasbench.jobs.table_report import retime_agreement

    write_manifest(tmp_path, {"space": "nb201"})
    arrays = {m: np.full((2, 3), 50.0, np.float32) for m in
              ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss")}
    arrays["train_time"] = np.ones((2, 3), np.float32)
    changed = dict(arrays, test_acc=arrays["test_acc"] + np.float32(0.25))
    with RecordWriter(tmp_path, "a") as w:
        w.append(Record(5, arrays, {}))
        w.append(Record(6, arrays, {}))
    with RecordWriter(tmp_path, "b") as w:
        w.append(Record(5, changed, {"retime": True, "time_basis": "process_cpu"}))
        w.append(Record(6, arrays, {"retime": True, "time_basis": "process_cpu"}))
        w.append(Record(7, arrays, {"retime": True, "time_basis": "process_cpu"}))  # nothing to compare
    agree = retime_agreement(tmp_path)
    assert agree == {"retimed": 2, "retimed_identical": 1, "retimed_max_abs_diff": 0.25}
