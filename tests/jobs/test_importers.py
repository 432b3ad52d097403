"""Importers of published NB201 data (the shared CSVs; skipped when absent, failing under CI=true)."""
from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from nasbench.benchmarks.tabular import TabularBenchmark, load_benchmark
from nasbench.jobs.importers import NB201_COLUMNS, import_hw_nas_bench, import_nb201_csv
from nasbench.spaces import NB201Space

SPACE = NB201Space()


@pytest.fixture(scope="module")
def csv_rows(nb201_data_dir) -> list[dict]:
    with open(nb201_data_dir / "nb201_accuracy.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def imported(nb201_data_dir, tmp_path_factory) -> dict[str, TabularBenchmark]:
    out = tmp_path_factory.mktemp("nb201")
    paths = import_nb201_csv(nb201_data_dir / "nb201_accuracy.csv", out)
    assert [p.name for p in paths] == ["nb201_cifar10.h5", "nb201_cifar100.h5", "nb201_imagenet16_120.h5"]
    return {b.attrs["task"]: b for b in map(TabularBenchmark, paths)}


@pytest.mark.parametrize("dataset, best", [("cifar10", 94.37), ("cifar100", 73.51), ("ImageNet16-120", 47.31)])
def test_known_optima(imported, dataset, best):
    b = imported[dataset]
    assert b.best("test_acc", fidelity=200) == pytest.approx(best, abs=0.005)
    assert b.best("test_acc", fidelity=12) < b.best("test_acc", fidelity=200)


def test_table_layout(imported):
    for ds, b in imported.items():
        assert b.name == f"nb201-{ds.lower()}" and b.space == SPACE
        assert list(b.fidelities) == [12, 200] and b.fidelity_kind == "schedule_length"
        assert b.n_seeds == 1 and b.seeds_are_means and b.cost_unit == "evaluations"
        assert b.metrics == ("val_acc", "test_acc") and b.static_metrics == ("params", "nb201_index")
        assert b.coverage() == 1.0
        a = b.metric_attrs
        assert a["val_acc"]["columns"] == {"12": NB201_COLUMNS[ds]["val_acc"][0][0],
                                           "200": NB201_COLUMNS[ds]["val_acc"][0][1]}
        assert "run" in a["test_acc"] and a["test_acc"]["split"] == "test" and a["test_acc"]["unit"] == "%"
        assert b.attrs["source"]["file"] == "nb201_accuracy.csv" and len(b.attrs["source"]["sha256"]) == 64
    assert "cifar10-valid" in imported["cifar10"].metric_attrs["val_acc"]["run"]
    assert "train+valid" in imported["cifar10"].metric_attrs["test_acc"]["run"]


def test_rows_are_our_index_order(imported, csv_rows):
    b = imported["cifar10"]
    rng = np.random.default_rng(0)
    for k in rng.choice(len(csv_rows), size=25, replace=False):
        r = csv_rows[k]
        arch = SPACE.from_string(r["arch_str"])
        i = SPACE.index(arch)
        ev = b.query(np.array([i]), fidelity=200, seed=0)
        assert ev["test_acc"][0] == pytest.approx(float(r["cifar10_test_200ep"]), abs=1e-4)
        assert ev["val_acc"][0] == pytest.approx(float(r["cifar10valid_valid_200ep"]), abs=1e-4)
        assert ev["params"][0] == pytest.approx(float(r["params_mb_cifar10"]), rel=1e-6)
        assert ev["nb201_index"][0] == int(r["nb201_index"])
        lo = b.query(arch, fidelity=12, seed=0)
        assert lo["test_acc"][0] == pytest.approx(float(r["cifar10_test_12ep"]), abs=1e-4)
        assert lo.cost[0] == pytest.approx(12 / 200)
        by_official = b.query_nb201_index(int(r["nb201_index"]), fidelity=200)
        assert by_official["test_acc"][0] == ev["test_acc"][0]
    r = csv_rows[3]
    i = SPACE.index(SPACE.from_string(r["arch_str"]))
    c100 = imported["cifar100"].query(i, fidelity=200, seed=0)
    assert c100["params"][0] == pytest.approx(float(r["params_mb_cifar10"]) + 0.00585, rel=1e-6)
    assert c100["val_acc"][0] == pytest.approx(float(r["naslib_val_cifar100"]), abs=1e-4)
    im = imported["ImageNet16-120"].query(i, fidelity=12, seed=0)
    assert im["val_acc"][0] == pytest.approx(float(r["ImageNet16-120_valid_12ep"]), abs=1e-4)


def test_hw_nas_bench(imported, nb201_data_dir, tmp_path):
    src = imported["cifar100"].path
    out = tmp_path / "nb201_cifar100_hw.h5"
    before = src.read_bytes()
    [path] = import_hw_nas_bench(nb201_data_dir / "nb201_hwnasbench.csv", src, out=out)
    assert path == out and src.read_bytes() == before  # out= leaves the source table alone
    b = TabularBenchmark(out)
    assert {"latency_edgegpu_bs1", "energy_edgegpu_bs1", "latency_raspi4_bs1", "latency_pixel3_bs1",
            "latency_fpga_bs1", "energy_fpga_bs1"} <= set(b.static_metrics)
    attrs = b.metric_attrs
    assert attrs["latency_pixel3_bs1"]["unit"] == "ms" and attrs["energy_eyeriss_bs1"]["unit"] == "mJ"
    assert attrs["latency_pixel3_bs1"]["batch_size"] == 1
    # the old contents are kept
    np.testing.assert_array_equal(b.table("test_acc", 200), imported["cifar100"].table("test_acc", 200))
    with open(nb201_data_dir / "nb201_hwnasbench.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["dataset"] == "cifar100"]
    for r in rows[:20]:
        i = SPACE.index(SPACE.from_string(r["arch_str"]))
        ev = b.query(i, fidelity=200, seed=0)
        assert ev["latency_edgegpu_bs1"][0] == pytest.approx(float(r["edgegpu_latency"]), rel=1e-6)
        assert ev["energy_fpga_bs1"][0] == pytest.approx(float(r["fpga_energy"]), rel=1e-6)
        tpu = float(r["edgetpu_latency"])
        assert (np.isnan(ev["latency_edgetpu_bs1"][0]) if tpu <= 0
                else ev["latency_edgetpu_bs1"][0] == pytest.approx(tpu, rel=1e-6))
    # a directory target extends every imported table in place
    d = tmp_path / "dir"
    d.mkdir()
    shutil.copyfile(imported["cifar10"].path, d / "nb201_cifar10.h5")
    [p] = import_hw_nas_bench(nb201_data_dir / "nb201_hwnasbench.csv", d)
    assert p == d / "nb201_cifar10.h5" and "latency_fpga_bs1" in TabularBenchmark(p).static_metrics


def test_cli_default_goes_to_user_data_dir(nb201_data_dir, tmp_path, monkeypatch, capsys):
    from nasbench.cli import main

    monkeypatch.setenv("NASBENCH_DATA", str(tmp_path / "data"))
    assert main(["import", "nb201-csv", str(nb201_data_dir / "nb201_accuracy.csv")]) == 0
    assert "94.37" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "nb201_cifar10.h5", "nb201_cifar100.h5", "nb201_imagenet16_120.h5"]
    assert load_benchmark("nb201-imagenet16-120").best("test_acc", fidelity=200) == pytest.approx(47.31, abs=0.005)
    assert main(["import", "hw-nas-bench", str(nb201_data_dir / "nb201_hwnasbench.csv"),
                 "--table", str(tmp_path / "data" / "nb201_cifar10.h5")]) == 0
    assert "latency_edgegpu_bs1" in load_benchmark("nb201-cifar10").static_metrics


# ------------------------------------------------------------- no data needed
def test_bad_csv_errors(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("nb201_index,arch_str\n0,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['params_mb_cifar10'"):
        import_nb201_csv(p, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no such CSV"):
        import_nb201_csv(tmp_path / "nope.csv", tmp_path / "out")
    with pytest.raises(ValueError, match="unknown dataset"):
        import_nb201_csv(p, tmp_path / "out", datasets=["mnist"])
    header = ["nb201_index", "arch_str", "params_mb_cifar10"] + [c for _, (cols, _r) in NB201_COLUMNS["cifar10"].items()
                                                                   for c in cols]
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(header) + "\n" + ",".join(["0", "|conv~0|+|a~0|b~1|+|c~0|d~1|e~2|"] + ["1"] * 5) + "\n")
    with pytest.raises(ValueError, match=r"bad\.csv: line 2: .*unknown op 'conv'"):
        import_nb201_csv(bad, tmp_path / "out", datasets=["cifar10"])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
