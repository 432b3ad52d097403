"""``import_nats_tss``: the official NATS-Bench topology archive (bz2 pickles) -> the tables
``import_nb201_csv`` writes.  The tests build a tiny archive of the same structure in tmp_path."""
from __future__ import annotations

import bz2
import csv
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from nasbench.benchmarks.tabular import TabularBenchmark
from nasbench.cli import main
from nasbench.jobs.importers import NATS_KEYS, NB201_COLUMNS, import_nats_tss, import_nb201_csv
from nasbench.spaces import NB201Space

SPACE = NB201Space()
#: NATS index -> seeds per run; index 11 has one seed, the others two (NATS-Bench has 1-3)
ARCHS = {0: (777, 888), 11: (777,), 284: (777, 888)}
EVAL_SETS = {"cifar10-valid": ("x-valid", "ori-test"), "cifar10": ("ori-test",),
             "cifar100": ("x-valid", "x-test", "ori-test"), "ImageNet16-120": ("x-valid", "x-test", "ori-test")}
SET_OFFSET = {"x-valid": 1.0, "x-test": 2.0, "ori-test": 3.0}
RUN_OFFSET = {"cifar10-valid": 0.0, "cifar10": 10.0, "cifar100": -30.0, "ImageNet16-120": -50.0}


def _official_order() -> list[str]:
    """A stand-in for NATS's index order: a fixed permutation of our order (they differ)."""
    perm = np.random.default_rng(0).permutation(SPACE.size)
    return [SPACE.to_string(SPACE.from_index(int(i))) for i in perm]


def _acc(k: int, run: str, eval_set: str, hp: int, seed: int, epoch: int) -> float:
    return 40.0 + RUN_OFFSET[run] + SET_OFFSET[eval_set] + k / 100 + hp / 10 + (seed - 777) / 50 + epoch / 1000


def _params(k: int, run: str) -> float:
    classes = {"cifar100": 100, "ImageNet16-120": 120}.get(run, 10)
    return 0.5 + k / 1000 + 65 * (classes - 10) / 1e6


def _trial(k: int, arch_str: str, run: str, hp: int, seed: int) -> dict:
    """A ``ResultsCount`` state dict as NATS-Bench stores it (``-simple``: no weights)."""
    sets = EVAL_SETS[run]
    return {
        "name": run, "net_state_dict": None, "seed": seed, "epochs": hp,
        "train_acc1es": OrderedDict((e, 50.0 + e / hp) for e in range(hp)), "train_acc5es": None,
        "train_losses": OrderedDict((e, 1.0 - e / (2 * hp)) for e in range(hp)),
        "train_times": OrderedDict((e, 10.0) for e in range(hp)),
        "arch_config": {"name": "infer.tiny", "channel": 16, "num_cells": 5, "arch_str": arch_str, "class_num": 10},
        "params": _params(k, run), "flop": 100.0 + k, "latency": [np.float64(0.01)],
        "eval_names": list(sets),
        "eval_acc1es": {f"{s}@{e}": _acc(k, run, s, hp, seed, e) for s in sets for e in range(hp)},
        "eval_losses": {f"{s}@{e}": 1.0 for s in sets for e in range(hp)},
        "eval_times": {f"{s}@{e}": 1.0 for s in sets for e in range(hp)},
    }


def _write_pbz2(path: Path, obj) -> None:
    path.write_bytes(bz2.compress(pickle.dumps(obj, protocol=4)))


def make_archive(root: Path, archs=ARCHS) -> Path:
    """A miniature ``NATS-tss-v1_0-3ffb9-simple`` directory: meta + one file per listed index."""
    d = root / "NATS-tss-v1_0-3ffb9-simple"
    d.mkdir(parents=True)
    order = _official_order()
    _write_pbz2(d / "meta.pickle.pbz2", {"meta_archs": order, "arch2infos": {}, "evaluated_indexes": set()})
    for k, seeds in archs.items():
        per_hp = OrderedDict()
        for hp in ("12", "200"):
            all_results, dataset_seed = {}, {}
            for run in EVAL_SETS:
                dataset_seed[run] = list(seeds)
                for s in seeds:
                    all_results[(run, s)] = _trial(k, order[k], run, int(hp), s)
            per_hp[hp] = {"arch_index": k, "arch_str": order[k], "all_results": all_results,
                          "dataset_seed": dataset_seed, "clear_net_done": True}
        _write_pbz2(d / f"{k:06d}.pickle.pbz2", per_hp)
    return d


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return make_archive(tmp_path_factory.mktemp("nats"))


@pytest.fixture(scope="module")
def imported(archive, tmp_path_factory) -> dict[str, TabularBenchmark]:
    paths = import_nats_tss(archive, tmp_path_factory.mktemp("tables"))
    assert [p.name for p in paths] == ["nb201_cifar10.h5", "nb201_cifar100.h5", "nb201_imagenet16_120.h5"]
    return {b.attrs["task"]: b for b in map(TabularBenchmark, paths)}


def test_values_are_seed_means_at_the_last_epoch(imported):
    order = _official_order()
    for ds, b in imported.items():
        for k, seeds in ARCHS.items():
            row = SPACE.index(SPACE.from_string(order[k]))
            for m, (run, eval_set, _) in NATS_KEYS[ds].items():
                got = b.query(np.array([row]), fidelity=None, seed=0, metrics=[m]).values[m][0]
                want = [np.mean([_acc(k, run, eval_set, hp, s, hp - 1) for s in seeds]) for hp in (12, 200)]
                np.testing.assert_allclose(got, want, rtol=1e-6)
            assert b.table("nb201_index")[row] == k
            assert b.table("params")[row] == pytest.approx(_params(k, NATS_KEYS[ds]["test_acc"][0]), rel=1e-6)
        assert b.coverage() == pytest.approx(len(ARCHS) / SPACE.size)
        assert np.isnan(b.table("test_acc", fidelity=200)).sum() == SPACE.size - len(ARCHS)
        # NB201's official index is known for every row (from meta), results only for the three
        idx = b.table("nb201_index")
        assert np.all(np.isfinite(idx)) and sorted(idx.astype(int)) == list(range(SPACE.size))


def test_cifar10_splits_come_from_the_right_runs(imported):
    a = imported["cifar10"].metric_attrs
    assert "cifar10-valid" in a["val_acc"]["run"] and "train+valid" in a["test_acc"]["run"]
    assert a["val_acc"]["columns"] == {"12": "hp=12 cifar10-valid x-valid@11",
                                       "200": "hp=200 cifar10-valid x-valid@199"}
    assert a["test_acc"]["columns"]["200"] == "hp=200 cifar10 ori-test@199"
    assert imported["cifar100"].metric_attrs["test_acc"]["columns"]["200"] == "hp=200 cifar100 x-test@199"


def _tiny_csv(path: Path, order: list[str]) -> Path:
    """The three archive architectures as rows of the accuracy CSV (same numbers)."""
    cols = ["nb201_index", "arch_str", "params_mb_cifar10"] + sorted(
        {c for d in NB201_COLUMNS.values() for cols, _ in d.values() for c in cols})
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for k in ARCHS:
            w.writerow({"nb201_index": k, "arch_str": order[k], "params_mb_cifar10": _params(k, "cifar10"),
                        **{c: 50.0 for c in cols[3:]}})
    return path


def test_same_layout_as_the_csv_importer(imported, tmp_path):
    csv_tables = {b.attrs["task"]: b for b in map(
        TabularBenchmark, import_nb201_csv(_tiny_csv(tmp_path / "acc.csv", _official_order()), tmp_path / "csv"))}
    for ds, b in imported.items():
        c = csv_tables[ds]
        assert (b.name, b.metrics, b.static_metrics) == (c.name, c.metrics, c.static_metrics)
        assert list(b.fidelities) == list(c.fidelities) == [12, 200]
        assert (b.fidelity_kind, b.n_seeds, b.seeds_are_means, b.cost_unit) == \
               (c.fidelity_kind, c.n_seeds, c.seeds_are_means, c.cost_unit)
        assert set(b.attrs) == set(c.attrs)
        for m in b.metrics:
            assert set(b.metric_attrs[m]) == set(c.metric_attrs[m])
            for key in ("split", "unit", "higher_is_better"):
                assert b.metric_attrs[m][key] == c.metric_attrs[m][key]
        rows = np.flatnonzero(np.isfinite(c.table("test_acc", fidelity=200)))  # the CSV's three rows
        assert len(rows) == len(ARCHS)
        np.testing.assert_array_equal(b.table("nb201_index")[rows], c.table("nb201_index")[rows])
        np.testing.assert_allclose(b.table("params"), c.table("params"), rtol=1e-6)  # NaN at the same rows


class _RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize("payload", [_RunsCode(), {"12": _RunsCode()}])
def test_code_in_a_pickle_is_refused(archive, tmp_path, payload, capsys):
    d = tmp_path / "evil"
    d.mkdir()
    (d / "meta.pickle.pbz2").write_bytes((archive / "meta.pickle.pbz2").read_bytes())
    _write_pbz2(d / "000000.pickle.pbz2", payload)
    with pytest.raises(ValueError, match=r"000000\.pickle\.pbz2: cannot read .*refusing to load builtins\.print"):
        import_nats_tss(d, tmp_path / "out")
    assert "must never run" not in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


def test_weights_are_refused(tmp_path):
    # the -full archive stores torch tensors: their rebuild function is a global the reader refuses
    d = tmp_path / "full"
    d.mkdir()
    data = (b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x0ctorch._utils\x8c\x12_rebuild_tensor_v2"
            b"\x93.")
    (d / "meta.pickle.pbz2").write_bytes(bz2.compress(data))
    with pytest.raises(ValueError, match="refusing to load torch._utils._rebuild_tensor_v2.*-simple"):
        import_nats_tss(d, tmp_path / "out")


def test_missing_archive_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no meta.pickle.pbz2"):
        import_nats_tss(tmp_path, tmp_path / "out")
    d = tmp_path / "empty"
    d.mkdir()
    _write_pbz2(d / "meta.pickle.pbz2", {"meta_archs": _official_order()[:5]})
    with pytest.raises(FileNotFoundError, match="no architecture files"):
        import_nats_tss(d, tmp_path / "out")
    _write_pbz2(d / "meta.pickle.pbz2", {"meta_archs": ["|bad~0|"]})
    with pytest.raises(ValueError, match=r"meta_archs\[0\]"):
        import_nats_tss(d, tmp_path / "out")


def test_cli(archive, tmp_path, capsys):
    assert main(["import", "nats-tss", str(archive), "-o", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[0].startswith(f"wrote {tmp_path / 'nb201_cifar10.h5'} (nb201-cifar10): 3/15625")
