"""The HDF5 table format: round trip, atomic writes, and one clear error per kind of broken file."""
from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from nasbench.io.hdf5 import SCHEMA_VERSION, TableError, open_table, write_table

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nb201_tiny.h5"


def _small(path: Path, **over) -> Path:
    """A 7-row table over a 3-edge toy layout with 2 seeds x 3 fidelities."""
    rng = np.random.default_rng(0)
    n, S, F = 7, 2, 3
    kw = dict(
        space="toy", task="unit", ops=rng.integers(0, 4, size=(n, 3)), fidelities=np.array([1, 2, 5]),
        seeds=np.array([10, 11]),
        metrics={"val_acc": rng.uniform(0, 100, (n, S, F)), "val_loss": rng.uniform(0, 3, (n, S, F))},
        static={"params": rng.uniform(0, 2, n), "latency_cpu_bs1": rng.uniform(0, 5, n)},
        cost_train_time=np.cumsum(rng.uniform(1, 2, (n, S, F)), axis=2),
        arch_class=np.array([0, 0, 2, 3, 3, 5, 6]),
        attrs={"trainer": {"lr": 0.1, "epochs": 5}, "torch": "2.13.0", "hardware": ["cpu-a", "cpu-b"]},
        metric_attrs={"val_acc": {"source": "unit test"}},
        static_attrs={"latency_cpu_bs1": {"device": "cpu", "batch_size": 1}},
    )
    kw.update(over)
    return write_table(path, **kw), kw


def test_round_trip_values_attrs_and_filters(tmp_path):
    path, kw = _small(tmp_path / "t.h5")
    t = open_table(path)
    np.testing.assert_array_equal(t.ops, kw["ops"].astype(np.int8))
    assert t.ops.dtype == np.int8 and t.fidelities.dtype == np.int32 and t.seeds.dtype == np.int32
    np.testing.assert_array_equal(t.fidelities, [1, 2, 5])
    np.testing.assert_array_equal(t.seeds, [10, 11])
    np.testing.assert_array_equal(t.arch_class, kw["arch_class"])
    assert t.metric_names == ("val_acc", "val_loss") and t.static_names == ("params", "latency_cpu_bs1")
    np.testing.assert_allclose(t.metric("val_acc"), kw["metrics"]["val_acc"].astype(np.float32))
    np.testing.assert_allclose(t.static("params"), kw["static"]["params"].astype(np.float32))
    np.testing.assert_allclose(t.cost(), kw["cost_train_time"].astype(np.float32))
    a = t.attrs
    assert a["schema_version"] == SCHEMA_VERSION and a["space"] == "toy" and a["task"] == "unit"
    assert a["trainer"] == {"lr": 0.1, "epochs": 5} and a["hardware"] == ["cpu-a", "cpu-b"]
    assert a["fidelity_kind"] == "epoch_of_schedule" and a["fidelity_name"] == "epoch"
    assert a["cost_unit"] == "seconds" and a["seeds_are_means"] is False
    assert a["name"] == "toy-unit" and "created" in a and "nasbench_version" in a
    assert t.metric_attrs["val_acc"] == {"higher_is_better": True, "unit": "%", "split": "val",
                                         "source": "unit test"}
    assert t.metric_attrs["val_loss"]["higher_is_better"] is False
    assert t.static_attrs["latency_cpu_bs1"]["unit"] == "ms"
    assert t.static_attrs["latency_cpu_bs1"]["batch_size"] == 1
    with h5py.File(path) as f:
        datasets = []
        f.visititems(lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
        assert len(datasets) == 9
        for ds in datasets:
            assert ds.chunks is not None and ds.compression == "gzip" and ds.shuffle and ds.fletcher32, ds.name


def test_open_is_lazy_and_cached_read_only(tmp_path):
    path, _ = _small(tmp_path / "t.h5")
    t = open_table(path)
    assert t._cache == {}  # opening reads no metric, static or cost array
    v = t.metric("val_acc")
    assert t.metric("val_acc") is v and not v.flags.writeable
    with pytest.raises(KeyError, match="val_loss"):
        t.metric("nope")


def test_write_is_atomic_and_leaves_no_temp(tmp_path):
    path, _ = _small(tmp_path / "t.h5")
    before = path.read_bytes()
    with pytest.raises(TypeError, match="JSON"):  # fails after the temp file was started
        _small(path, attrs={"bad": object()})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.h5"]


@pytest.mark.parametrize("over, match", [
    ({"metrics": {"val_acc": np.zeros((7, 2, 2))}}, "shape"),
    ({"static": {"params": np.zeros(6)}}, "shape"),
    ({"fidelities": np.array([2, 1, 3])}, "increasing"),
    ({"attrs": {"schema_version": 3}}, "reserved"),
    ({"fidelity_kind": "epochs"}, "fidelity_kind"),
    ({"cost_train_time": None, "cost_unit": "seconds"}, "cost_train_time"),
    ({"arch_class": np.array([0, 0, 2, 3, 3, 5, 9])}, "arch_class"),
])
def test_writer_rejects_bad_input(tmp_path, over, match):
    with pytest.raises(ValueError, match=match):
        _small(tmp_path / "t.h5", **over)
    assert not any(tmp_path.iterdir())


def test_evaluations_cost_unit_default(tmp_path):
    path, _ = _small(tmp_path / "t.h5", cost_train_time=None, seeds=np.array([-1, 0]))
    t = open_table(path)
    assert t.attrs["cost_unit"] == "evaluations" and not t.has_cost and t.cost() is None


# ------------------------------------------------------------------ broken files
@pytest.fixture
def table(tmp_path) -> Path:
    p = tmp_path / "broken.h5"
    shutil.copyfile(FIXTURE, p)
    return p


def test_fixture_opens(table):
    t = open_table(table)
    assert t.ops.shape == (15625, 6) and t.n_seeds == 2 and t.n_fid == 4


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        open_table(tmp_path / "nope.h5")


def test_truncated_file(table):
    data = table.read_bytes()
    table.write_bytes(data[: len(data) // 2])
    with pytest.raises(TableError, match=r"broken\.h5.*(truncated|not a readable)"):
        open_table(table)


def test_not_hdf5(table):
    table.write_text("nb201_index,arch_str\n0,|none~0|\n")
    with pytest.raises(TableError, match=r"broken\.h5: not a readable HDF5 file"):
        open_table(table)


def test_flipped_bytes_in_compressed_chunk(table):
    with h5py.File(table) as f:
        info = f["metrics/val_acc"].id.get_chunk_info(0)
    with open(table, "r+b") as fh:
        pos = info.byte_offset + info.size // 2
        fh.seek(pos)
        b = fh.read(4)
        fh.seek(pos)
        fh.write(bytes(x ^ 0xFF for x in b))
    t = open_table(table)  # metadata is intact; the data is read lazily
    t.metric("val_loss")  # other datasets still read fine
    with pytest.raises(TableError, match=r"broken\.h5: dataset /metrics/val_acc is corrupted"):
        t.metric("val_acc")

    from nasbench.benchmarks.tabular import TabularBenchmark

    bench = TabularBenchmark(table)
    with pytest.raises(TableError, match="/metrics/val_acc"):
        bench.query(np.arange(5), fidelity=4, metrics=["val_acc"])


@pytest.mark.parametrize("key", ["fidelities", "archs/ops", "seeds", "cost/train_time"])
def test_missing_dataset(table, key):
    with h5py.File(table, "r+") as f:
        del f[key]
    with pytest.raises(TableError, match=rf"broken\.h5: .*{key}"):
        open_table(table)


def test_no_metrics(table):
    with h5py.File(table, "r+") as f:
        del f["metrics"]
    with pytest.raises(TableError, match="missing group /metrics"):
        open_table(table)


@pytest.mark.parametrize("value, match", [(99, "schema_version 99 is newer"), (0, "unknown schema_version"),
                                          ("1", "unknown schema_version")])
def test_schema_version(table, value, match):
    with h5py.File(table, "r+") as f:
        f.attrs["schema_version"] = value
    with pytest.raises(TableError, match=rf"broken\.h5: {match}"):
        open_table(table)


def test_no_schema_version(table):
    with h5py.File(table, "r+") as f:
        del f.attrs["schema_version"]
    with pytest.raises(TableError, match="not a nasbench table"):
        open_table(table)


@pytest.mark.parametrize("key, data, match", [
    ("metrics/val_acc", np.zeros((15625, 2, 3), np.float32), r"/metrics/val_acc has shape \(15625, 2, 3\)"),
    ("static/params", np.zeros(15624, np.float32), r"/static/params has shape"),
    ("metrics/val_acc", np.zeros((15625, 2, 4), np.float64), r"/metrics/val_acc has dtype float64"),
    ("archs/ops", np.zeros((15625, 6), np.int64), r"/archs/ops has dtype int64"),
    ("archs/class", np.zeros(15625, np.int32), r"/archs/class has dtype int32"),
])
def test_wrong_shape_or_dtype(table, key, data, match):
    with h5py.File(table, "r+") as f:
        del f[key]
        f.create_dataset(key, data=data)
    with pytest.raises(TableError, match=rf"broken\.h5: dataset {match}"):
        open_table(table)


def test_rows_out_of_space_order(table):
    from nasbench.benchmarks.tabular import TabularBenchmark

    with h5py.File(table, "r+") as f:
        ops = f["archs/ops"][()]
        ops[[3, 4]] = ops[[4, 3]]
        f["archs/ops"][...] = ops
    with pytest.raises(TableError, match="row 3"):
        TabularBenchmark(table)


def test_file_replaced_after_open(tmp_path):
    path, _ = _small(tmp_path / "t.h5")
    t = open_table(path)
    _small(path)
    with pytest.raises(TableError, match="replaced"):
        t.metric("val_acc")
