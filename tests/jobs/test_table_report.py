"""Quality figures of a records directory (`python -m nasbench.jobs.table_report DIR`)."""
import numpy as np
import pytest

from nasbench.io.records import Record, RecordWriter, write_manifest
from nasbench.jobs.table_report import format_markdown, format_quality, quality_from_records
from nasbench.spaces import NB201Space

SPACE = NB201Space()
METRICS = ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss")


def _write(tmp_path, finals: dict[int, list[float]]):
    write_manifest(tmp_path, {"space": "nb201", "rule": "function"})
    with RecordWriter(tmp_path, "r") as w:
        for i, seeds in finals.items():
            arrays = {m: np.zeros((len(seeds), 2), np.float32) for m in METRICS}
            arrays["test_acc"][:, -1] = seeds
            arrays["train_time"] = np.tile(np.float32([1.0, 2.0]), (len(seeds), 1))
            arrays["diverged"] = np.zeros(len(seeds), bool)
            w.append(Record(i, arrays, {"wall_s": 3.0}))


def test_figures_from_known_records(tmp_path):
    cls = SPACE.class_index("function")
    skip = int(cls[SPACE.index(SPACE.arch((1,) * 6))])
    conv = int(cls[SPACE.index(SPACE.arch((3,) * 6))])
    others = [int(c) for c in np.unique(cls) if c not in (skip, conv)][:20]
    finals = {skip: [20.0, 21.0], conv: [90.0, 91.0]}
    finals.update({c: [50.0 + k, 50.0 + k] for k, c in enumerate(others)})  # seeds agree in rank
    _write(tmp_path, finals)
    q = quality_from_records(tmp_path)
    assert q["n_archs"] == 22 and q["n_seeds"] == 2
    assert q["best"] == pytest.approx(90.5) and q["worst"] == pytest.approx(20.5)
    means = sorted(np.mean(v) for v in finals.values())
    assert q["median"] == pytest.approx(np.median(means))
    assert q["spread_best_minus_median"] == pytest.approx(90.5 - np.median(means))
    assert q["seed_kendall_tau"] == pytest.approx(1.0)
    assert q["all_skip"] == pytest.approx(20.5) and q["all_conv3x3"] == pytest.approx(90.5)
    assert q["all_pool"] is None  # its class is not trained
    assert q["rows_covered"] == int(np.isin(cls, list(finals)).sum())
    assert q["train_s_per_arch_seed_median"] == pytest.approx(2.0)
    assert q["diverged_runs"] == 0 and q["retimed"] == 0
    text = format_quality(q)
    assert "spread_best_minus_median" in text and "90.500" in text
    md = format_markdown(q)
    assert "| best class (%) | 90.50 |" in md and "| all-avg-pool cell (%) | - |" in md
    assert "| re-timed runs with bit-identical metrics | - |" in md


def test_empty_directory_is_a_clear_error(tmp_path):
    write_manifest(tmp_path, {"space": "nb201", "rule": "function"})
    with pytest.raises(ValueError, match="no records yet"):
        quality_from_records(tmp_path)
