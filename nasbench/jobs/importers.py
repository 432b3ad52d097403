"""Importers: published NAS-Bench-201 results into the nasbench table format.

The data stay where the user keeps them; tables are written to the user data directory
(:func:`nasbench.benchmarks.tabular.user_data_dir`) or where ``out_dir`` says, never into this
repository.  Rows are *our* index order (``NB201Space.from_string(arch_str)``); NB201's
official index is the static column ``nb201_index`` (``TabularBenchmark.query_nb201_index``).

``import_nb201_csv`` (the accuracy CSV, see ``../shared/data/nb201/README.md``) writes one table
per dataset, ``nb201_cifar10.h5``, ``nb201_cifar100.h5`` and ``nb201_imagenet16_120.h5``, with
fidelities ``[12, 200]`` of kind ``schedule_length`` (separate training runs with a 12- and a
200-epoch schedule, not two points of one curve), ``n_seeds = 1`` and ``seeds_are_means = True``
(NB201 reports means over its 1-3 seeds), ``cost_unit = "evaluations"`` (NB201 train times are
not in the CSV).  Which CSV column feeds which metric (``/metrics/<m>`` attrs ``columns`` and
``run`` say the same):

=============== ========== ============================== ==================================================
dataset         metric     12 epochs / 200 epochs         training run and evaluation split
=============== ========== ============================== ==================================================
cifar10         val_acc    cifar10valid_valid_12ep /      "cifar10-valid" run: trained on 25k of the 50k
                           cifar10valid_valid_200ep       training images, evaluated on the other 25k
cifar10         test_acc   cifar10_test_12ep /            "cifar10" run: trained on all 50k (train+valid),
                           cifar10_test_200ep             evaluated on the 10k test images
cifar100        val_acc    cifar100_valid_12ep /          trained on the 50k training images, evaluated on
                           naslib_val_cifar100            NB201's validation half (5k) of the test images
cifar100        test_acc   cifar100_test_12ep /           same run, evaluated on the other 5k test images
                           cifar100_test_200ep
ImageNet16-120  val_acc    ImageNet16-120_valid_12ep /    trained on 151.7k images, evaluated on NB201's
                           naslib_val_ImageNet16-120      3k validation images
ImageNet16-120  test_acc   ImageNet16-120_test_12ep /     same run, evaluated on the 3k test images
                           ImageNet16-120_test_200ep
=============== ========== ============================== ==================================================

The 200-epoch validation accuracies of CIFAR-100 and ImageNet16-120 come from NASLib's stored
copy (``naslib_val_*``; probably a single seed, r >= 0.998 with seed means), the only source for
them in the CSV; their attrs say so.  ``params`` (millions) is ``params_mb_cifar10``; for the
100- and 120-class networks the classifier's extra weights are added (``65 * (classes - 10)``
parameters: a 64-input linear layer with bias), which matches ``build_model`` with the
``nb201-cifar100`` / ``nb201-imagenet16-120`` presets.

``import_nats_tss`` reads the official NATS-Bench topology archive instead of the CSV (the
directory ``NATS-tss-v1_0-3ffb9-simple``: ``meta.pickle.pbz2`` with the architecture strings in
NB201's index order, and one ``{index:06d}.pickle.pbz2`` per architecture with its 12- and
200-epoch runs) and writes the same three tables: the same metrics, fidelities, attrs and
``params``/``nb201_index`` columns, every value a mean over the archive's seeds at the last
epoch of the run.  The keys it reads (``NATS_KEYS``):

=============== ========== ==================================================================
dataset         metric     NATS-Bench run (``hp`` "12" / "200") and evaluation set
=============== ========== ==================================================================
cifar10         val_acc    ``cifar10-valid`` run, ``x-valid`` (the 25k held-out training images)
cifar10         test_acc   ``cifar10`` run (train+valid), ``ori-test`` (the 10k test images)
cifar100        val_acc    ``cifar100`` run, ``x-valid`` (NB201's validation half of the test set)
cifar100        test_acc   ``cifar100`` run, ``x-test`` (the other half)
ImageNet16-120  val_acc    ``ImageNet16-120`` run, ``x-valid``
ImageNet16-120  test_acc   ``ImageNet16-120`` run, ``x-test``
=============== ========== ==================================================================

``params`` is the archive's own count for the dataset's network (``params`` of the run that
gives ``test_acc``, millions).  The archive is pickled: it is read with an unpickler that
builds only plain data (dicts, lists, tuples, numbers, strings, ``OrderedDict``, numpy scalars)
and refuses anything else, so a tampered file cannot run code; the ``-full`` archive (with
network weights) is refused for the same reason.  The 200-epoch validation accuracies of
CIFAR-100 and ImageNet16-120 are seed means here, where the CSV has NASLib's single values.

``import_hw_nas_bench`` adds HW-NAS-Bench's per-device measurements (batch size 1) as static
metrics ``latency_<device>_bs1`` (ms) and ``energy_<device>_bs1`` (mJ) to imported tables of
the same dataset, rewriting the table atomically with the same writer.  Values <= 0 (the
CSV's ``-1`` placeholders for unmeasured cells) become NaN.
"""
from __future__ import annotations

import bz2
import csv
import hashlib
import io
import pickle
from pathlib import Path

import numpy as np

from nasbench.benchmarks.tabular import table_filename, user_data_dir
from nasbench.io.hdf5 import open_table, write_table
from nasbench.spaces import NB201Space

__all__ = ["import_nb201_csv", "import_nats_tss", "import_hw_nas_bench", "NB201_DATASETS", "NB201_COLUMNS",
           "NATS_KEYS"]

NB201_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
FIDELITIES = (12, 200)
_N_CLASSES = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}

#: dataset -> metric -> ((column at 12 epochs, column at 200 epochs), run and split)
NB201_COLUMNS: dict[str, dict[str, tuple[tuple[str, str], str]]] = {
    "cifar10": {
        "val_acc": (("cifar10valid_valid_12ep", "cifar10valid_valid_200ep"),
                    "cifar10-valid run: trained on 25k of the 50k CIFAR-10 training images, accuracy on the "
                    "other 25k (NB201's validation set); seed mean"),
        "test_acc": (("cifar10_test_12ep", "cifar10_test_200ep"),
                     "cifar10 run: trained on all 50k training images (train+valid), accuracy on the 10k test "
                     "images; seed mean (200 epochs: NATS-Bench topology results)"),
    },
    "cifar100": {
        "val_acc": (("cifar100_valid_12ep", "naslib_val_cifar100"),
                    "trained on the 50k CIFAR-100 training images, accuracy on NB201's validation half (5k) of "
                    "the test images; 12 epochs: seed mean; 200 epochs: NASLib's stored value (probably one seed)"),
        "test_acc": (("cifar100_test_12ep", "cifar100_test_200ep"),
                     "same run, accuracy on the other 5k test images (NB201's test half); seed mean"),
    },
    "ImageNet16-120": {
        "val_acc": (("ImageNet16-120_valid_12ep", "naslib_val_ImageNet16-120"),
                    "trained on the 151.7k ImageNet16-120 training images, accuracy on NB201's 3k validation "
                    "images; 12 epochs: seed mean; 200 epochs: NASLib's stored value (probably one seed)"),
        "test_acc": (("ImageNet16-120_test_12ep", "ImageNet16-120_test_200ep"),
                     "same run, accuracy on NB201's 3k test images; seed mean"),
    },
}
#: dataset -> metric -> (NATS-Bench run, evaluation set, run and split) for ``import_nats_tss``
NATS_KEYS: dict[str, dict[str, tuple[str, str, str]]] = {
    "cifar10": {
        "val_acc": ("cifar10-valid", "x-valid",
                    "cifar10-valid run: trained on 25k of the 50k CIFAR-10 training images, accuracy on the "
                    "other 25k (NB201's validation set); seed mean"),
        "test_acc": ("cifar10", "ori-test",
                     "cifar10 run: trained on all 50k training images (train+valid), accuracy on the 10k test "
                     "images; seed mean"),
    },
    "cifar100": {
        "val_acc": ("cifar100", "x-valid",
                    "trained on the 50k CIFAR-100 training images, accuracy on NB201's validation half (5k) of "
                    "the test images; seed mean"),
        "test_acc": ("cifar100", "x-test",
                     "same run, accuracy on the other 5k test images (NB201's test half); seed mean"),
    },
    "ImageNet16-120": {
        "val_acc": ("ImageNet16-120", "x-valid",
                    "trained on the 151.7k ImageNet16-120 training images, accuracy on NB201's 3k validation "
                    "images; seed mean"),
        "test_acc": ("ImageNet16-120", "x-test", "same run, accuracy on NB201's 3k test images; seed mean"),
    },
}
NATS_TSS_NAME = "NATS-tss-v1_0-3ffb9-simple"
_HW_COLUMNS = {  # csv column -> (static metric, unit)
    "edgegpu_latency": ("latency_edgegpu_bs1", "ms"), "edgegpu_energy": ("energy_edgegpu_bs1", "mJ"),
    "raspi4_latency": ("latency_raspi4_bs1", "ms"), "edgetpu_latency": ("latency_edgetpu_bs1", "ms"),
    "pixel3_latency": ("latency_pixel3_bs1", "ms"), "eyeriss_latency": ("latency_eyeriss_bs1", "ms"),
    "eyeriss_energy": ("energy_eyeriss_bs1", "mJ"), "fpga_latency": ("latency_fpga_bs1", "ms"),
    "fpga_energy": ("energy_fpga_bs1", "mJ"),
}
_HW_DEVICES = {"edgegpu": "NVIDIA Edge GPU Jetson TX2", "raspi4": "Raspberry Pi 4", "edgetpu": "Google Edge TPU",
               "pixel3": "Google Pixel 3", "eyeriss": "Eyeriss (ASIC, estimated)", "fpga": "FPGA (estimated)"}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[dict]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such CSV file")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; found {header}")
        return header, list(reader)


def _float(s: str) -> float:
    try:
        return float(s) if s not in ("", None) else np.nan
    except ValueError:
        return np.nan


def _our_rows(path: Path, rows: list[dict], space: NB201Space) -> np.ndarray:
    """``(len(rows),)`` our index of each CSV row (``arch_str`` parsed); errors name the line."""
    out = np.empty(len(rows), dtype=np.int64)
    for k, r in enumerate(rows):
        try:
            out[k] = space.index(space.from_string(r["arch_str"]))
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: line {k + 2}: {err}") from None
    return out


def import_nb201_csv(csv_path, out_dir=None, datasets=NB201_DATASETS) -> list[Path]:
    """Import the NAS-Bench-201 accuracy CSV: one table per dataset; returns their paths.

    Parameters
    ----------
    csv_path : path
        ``nb201_accuracy.csv`` (columns described in the module docstring).
    out_dir : path, optional
        Where to write ``nb201_<dataset>.h5``; default :func:`user_data_dir`.
    datasets : names among ``cifar10``, ``cifar100``, ``ImageNet16-120``
    """
    csv_path = Path(csv_path)
    out_dir = Path(out_dir) if out_dir is not None else user_data_dir()
    unknown = [d for d in datasets if d not in NB201_COLUMNS]
    if unknown:
        raise ValueError(f"unknown dataset(s) {unknown}; choose from {list(NB201_COLUMNS)}")
    required = ("nb201_index", "arch_str", "params_mb_cifar10") + tuple(
        c for d in datasets for cols, _ in NB201_COLUMNS[d].values() for c in cols)
    _, rows = _read_csv(csv_path, required)
    space = NB201Space()
    n = space.size
    ours = _our_rows(csv_path, rows, space)
    uniq, counts = np.unique(ours, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(f"{csv_path}: architecture {space.to_string(space.from_index(int(uniq[counts > 1][0])))} "
                         "appears more than once")
    official = np.array([int(r["nb201_index"]) for r in rows], dtype=np.int64)
    nb_col = np.full(n, np.nan, dtype=np.float32)
    nb_col[ours] = official
    params10 = np.full(n, np.nan, dtype=np.float32)
    params10[ours] = [_float(r["params_mb_cifar10"]) for r in rows]
    source = {"file": csv_path.name, "sha256": _sha256(csv_path), "rows": len(rows),
              "origin": "NAS-Bench-201 (Dong & Yang, ICLR 2020) / NATS-Bench results as collected in the CSV"}
    written = []
    for ds in datasets:
        values, runs, columns = {}, {}, {}
        for m, (cols, run) in NB201_COLUMNS[ds].items():
            arr = np.full((n, len(FIDELITIES)), np.nan, dtype=np.float32)
            for j, col in enumerate(cols):
                arr[ours, j] = [_float(r[col]) for r in rows]
            values[m], runs[m], columns[m] = arr, run, cols
        extra = 65 * (_N_CLASSES[ds] - 10) / 1e6
        params = (params10 + np.float32(extra),
                  "params_mb_cifar10" + (f" + {extra:.5f} (classifier for {_N_CLASSES[ds]} classes)" if extra else ""))
        written.append(_write_nb201_table(out_dir, ds, values, runs, columns, params, nb_col, source,
                                          source_name=csv_path.name,
                                          cost_note="NB201 train times are not in the CSV: cost counts full "
                                                    "evaluations (1 per 200-epoch run, 12/200 per 12-epoch run)"))
    return written


def _write_nb201_table(out_dir: Path, ds: str, values: dict, runs: dict, columns: dict, params: tuple,
                       nb_col: np.ndarray, source: dict, *, source_name: str, cost_note: str) -> Path:
    """One imported NB201 table (the layout every NB201 importer shares).

    ``values[m]``: ``(n_archs, 2)`` seed means at fidelities 12 and 200 in our row order;
    ``runs[m]``: which run and split; ``columns[m]``: where each fidelity's value was read
    (two strings); ``params``: ``((n_archs,) millions, provenance)``; ``nb_col``: NB201's
    official index per row (NaN where unknown).
    """
    n = len(nb_col)
    metrics, metric_attrs = {}, {}
    for m, arr in values.items():
        metrics[m] = np.asarray(arr, dtype=np.float32)[:, None, :]
        metric_attrs[m] = {"split": m.split("_")[0], "unit": "%", "higher_is_better": True, "run": runs[m],
                           "columns": {str(f): c for f, c in zip(FIDELITIES, columns[m])}, "source": source_name}
    static = {"params": np.asarray(params[0], dtype=np.float32), "nb201_index": nb_col}
    static_attrs = {
        "params": {"unit": "millions of parameters", "higher_is_better": False, "source": params[1]},
        "nb201_index": {"unit": "index", "higher_is_better": False,
                        "meaning": "NAS-Bench-201's official architecture index (not ours)"},
    }
    name = f"nb201-{ds.lower()}"
    attrs = {
        "name": name, "dataset": ds, "source": source,
        "seed_semantics": "values are NB201's means over its training seeds; every query seed returns them",
        "cost_note": cost_note,
        "fidelity_note": "12 and 200 are separate training runs with 12- and 200-epoch schedules",
        "splits": {m: a["run"] for m, a in metric_attrs.items()},
        "known_optimum_test_acc_200": {"cifar10": 94.37, "cifar100": 73.51, "ImageNet16-120": 47.31}[ds],
    }
    space = NB201Space()
    assert n == space.size
    return write_table(
        out_dir / table_filename(name), space="nb201", task=ds, ops=space.all_ops(), fidelities=np.array(FIDELITIES),
        seeds=np.array([-1]), metrics=metrics, static=static, attrs=attrs, metric_attrs=metric_attrs,
        static_attrs=static_attrs, fidelity_kind="schedule_length", fidelity_name="epochs",
        cost_unit="evaluations", seeds_are_means=True)


# ----------------------------------------------------------------------------- NATS-Bench archive
class _PlainDataUnpickler(pickle.Unpickler):
    """Builds plain data only: the pickle opcodes for dicts, lists, tuples, sets, numbers, strings
    and bytes need no globals; of the globals, only ``OrderedDict`` and numpy scalars/arrays of
    numbers are allowed.  Anything else (a function, a class with a ``__reduce__``, a torch
    tensor) raises ``pickle.UnpicklingError`` before it is looked up, so nothing can run."""

    _ALLOWED = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"),
                ("numpy", "dtype"), ("numpy", "ndarray"),
                ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
                ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only plain data is read "
                                         "(use the NATS-Bench '-simple' archive, without weights)")
        return super().find_class(module, name)


def _load_pbz2(path: Path, raw: bytes | None = None):
    """A ``.pickle.pbz2`` file (bz2-compressed pickle; ``raw``: its bytes when already read),
    read with :class:`_PlainDataUnpickler`."""
    try:
        data = bz2.decompress(path.read_bytes() if raw is None else raw)
        return _PlainDataUnpickler(io.BytesIO(data)).load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as err:
        raise ValueError(f"{path}: cannot read ({err})") from None


def _nats_value(path: Path, results: dict, hp: str, run: str, key: str) -> tuple[float, int | None]:
    """Seed mean of ``key`` (an eval set name, or ``"params"``) of ``run`` at the run's last epoch,
    and that epoch count; NaN when the archive has no such run or set."""
    try:
        arch = results[hp]
        seeds = arch["dataset_seed"][run]
        trials = [arch["all_results"][(run, s)] for s in seeds]
    except (KeyError, TypeError):
        return np.nan, None
    vals, epochs = [], None
    for t in trials:
        try:
            epochs = int(t["epochs"])
            vals.append(float(t["params"]) if key == "params" else float(t["eval_acc1es"][f"{key}@{epochs - 1}"]))
        except (KeyError, TypeError, ValueError):
            continue
    if not vals:
        return np.nan, epochs
    return float(np.mean(vals)), epochs


def import_nats_tss(archive_dir, out_dir=None, datasets=NB201_DATASETS, progress: bool = False) -> list[Path]:
    """Import the official NATS-Bench topology archive: one table per dataset; returns their paths.

    Writes the same tables as :func:`import_nb201_csv` (see the module docstring for the keys
    read).  Architectures without a file in the archive get NaN rows (``coverage() < 1``).

    Parameters
    ----------
    archive_dir : path
        The unpacked ``NATS-tss-v1_0-3ffb9-simple`` directory (``meta.pickle.pbz2`` and
        ``000000.pickle.pbz2`` ... ``015624.pickle.pbz2``).
    out_dir : path, optional
        Where to write ``nb201_<dataset>.h5``; default :func:`user_data_dir`.
    datasets : names among ``cifar10``, ``cifar100``, ``ImageNet16-120``
    progress : bool
        Show a tqdm progress bar over the architecture files.
    """
    archive_dir = Path(archive_dir)
    out_dir = Path(out_dir) if out_dir is not None else user_data_dir()
    unknown = [d for d in datasets if d not in NATS_KEYS]
    if unknown:
        raise ValueError(f"unknown dataset(s) {unknown}; choose from {list(NATS_KEYS)}")
    meta_path = archive_dir / "meta.pickle.pbz2"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{archive_dir}: no meta.pickle.pbz2; expected the unpacked NATS-Bench topology "
                                f"archive ({NATS_TSS_NAME}/)")
    meta = _load_pbz2(meta_path)
    archs = meta.get("meta_archs") if isinstance(meta, dict) else None
    if not isinstance(archs, (list, tuple)) or not all(isinstance(a, str) for a in archs):
        raise ValueError(f"{meta_path}: no 'meta_archs' list of architecture strings")
    space = NB201Space()
    n = space.size
    ours = np.empty(len(archs), dtype=np.int64)
    for k, a in enumerate(archs):
        try:
            ours[k] = space.index(space.from_string(a))
        except (ValueError, TypeError) as err:
            raise ValueError(f"{meta_path}: meta_archs[{k}]: {err}") from None
    if len(np.unique(ours)) != len(ours):
        raise ValueError(f"{meta_path}: an architecture appears more than once in meta_archs")
    nb_col = np.full(n, np.nan, dtype=np.float32)
    nb_col[ours] = np.arange(len(archs))

    keys = [(ds, m, run, ev) for ds in datasets for m, (run, ev, _) in NATS_KEYS[ds].items()]
    values = {(ds, m): np.full((n, len(FIDELITIES)), np.nan, dtype=np.float32) for ds, m, _, _ in keys}
    params = {ds: np.full(n, np.nan, dtype=np.float32) for ds in datasets}
    digest, found, epochs_seen = hashlib.sha256(), 0, set()
    from tqdm.auto import tqdm

    for k in tqdm(range(len(archs)), desc=f"reading {archive_dir.name}", unit="arch", disable=not progress):
        path = archive_dir / f"{k:06d}.pickle.pbz2"
        if not path.is_file():
            continue
        raw = path.read_bytes()
        digest.update(raw)
        results = _load_pbz2(path, raw)
        if not isinstance(results, dict):
            raise ValueError(f"{path}: expected a dict of runs keyed by '12' / '200', got {type(results).__name__}")
        found += 1
        row = ours[k]
        for ds, m, run, ev in keys:
            for j, hp in enumerate(FIDELITIES):
                v, e = _nats_value(path, results, str(hp), run, ev)
                values[ds, m][row, j] = v
                if e is not None:
                    epochs_seen.add((hp, e))
        for ds in datasets:
            params[ds][row] = _nats_value(path, results, str(FIDELITIES[-1]), NATS_KEYS[ds]["test_acc"][0],
                                          "params")[0]
    if found == 0:
        raise FileNotFoundError(f"{archive_dir}: no architecture files (000000.pickle.pbz2, ...)")
    odd = sorted((hp, e) for hp, e in epochs_seen if hp != e)
    if odd:
        raise ValueError(f"{archive_dir}: runs whose epoch count differs from their schedule (hp, epochs): {odd}")
    source = {"file": archive_dir.name, "sha256": digest.hexdigest(), "rows": found, "archs_in_meta": len(archs),
              "origin": "NATS-Bench topology search space (Dong et al., TPAMI 2021) = NAS-Bench-201 "
                        f"(Dong & Yang, ICLR 2020), official archive {NATS_TSS_NAME}",
              "sha256_of": "the architecture files' bytes, in index order"}
    written = []
    for ds in datasets:
        vals = {m: values[ds, m] for m in NATS_KEYS[ds]}
        runs = {m: r for m, (_, _, r) in NATS_KEYS[ds].items()}
        columns = {m: tuple(f"hp={hp} {run} {ev}@{hp - 1}" for hp in FIDELITIES)
                   for m, (run, ev, _) in NATS_KEYS[ds].items()}
        pr = (params[ds], f"params of the {NATS_KEYS[ds]['test_acc'][0]} run (hp=200), seed mean")
        written.append(_write_nb201_table(out_dir, ds, vals, runs, columns, pr, nb_col, source,
                                          source_name=archive_dir.name,
                                          cost_note="train times are not imported yet: cost counts full "
                                                    "evaluations (1 per 200-epoch run, 12/200 per 12-epoch run)"))
    return written


def _targets(target: Path) -> list[Path]:
    if target.is_dir():
        found = [target / table_filename(f"nb201-{ds.lower()}") for ds in NB201_DATASETS]
        found = [p for p in found if p.is_file()]
        if not found:
            raise FileNotFoundError(f"{target}: no imported NB201 tables (nb201_cifar10.h5, ...); "
                                    "run `nasbench import nb201-csv` first")
        return found
    if not target.is_file():
        raise FileNotFoundError(f"{target}: no such table file")
    return [target]


def import_hw_nas_bench(csv_path, target=None, out=None) -> list[Path]:
    """Attach HW-NAS-Bench latencies/energies to imported NB201 tables; returns written paths.

    Parameters
    ----------
    csv_path : path
        ``nb201_hwnasbench.csv`` (one row per architecture and dataset).
    target : path, optional
        A table file (its ``task`` attr picks the CSV's ``dataset`` rows) or a directory with
        imported tables (each one found is extended); default :func:`user_data_dir`.
    out : path, optional
        Output file when ``target`` is one file; default: replace ``target`` (atomically).
    """
    csv_path = Path(csv_path)
    target = Path(target) if target is not None else user_data_dir()
    tables = _targets(target)
    if out is not None and len(tables) != 1:
        raise ValueError("out= needs a single table as target")
    _, rows = _read_csv(csv_path, ("arch_str", "dataset", "nb201_index", *_HW_COLUMNS))
    space = NB201Space()
    n = space.size
    by_ds: dict[str, list[dict]] = {}
    for r in rows:
        by_ds.setdefault(r["dataset"].lower(), []).append(r)
    written = []
    for tpath in tables:
        data = open_table(tpath)
        if data.attrs.get("space") != "nb201" or data.n_archs != n:
            raise ValueError(f"{tpath}: not an NB201 table")
        ds = str(data.attrs["task"])
        sel = by_ds.get(ds.lower())
        if not sel:
            raise ValueError(f"{csv_path}: no rows for dataset {ds!r} (table {tpath}); "
                             f"the CSV has {sorted(by_ds)}")
        ours = _our_rows(csv_path, sel, space)
        if "nb201_index" in data.static_names:
            col = data.static("nb201_index")
            official = np.array([int(r["nb201_index"]) for r in sel])
            ok = np.isfinite(col[ours])
            if np.any(col[ours][ok].astype(np.int64) != official[ok]):
                raise ValueError(f"{csv_path}: nb201_index disagrees with table {tpath} for the same arch_str")
        kw = data.as_write_kwargs()
        hw_meta = {}
        for c, (name, unit) in _HW_COLUMNS.items():
            arr = np.full(n, np.nan, dtype=np.float32)
            vals = np.array([_float(r[c]) for r in sel], dtype=np.float32)
            bad = ~(vals > 0)
            vals[bad] = np.nan
            arr[ours] = vals
            kw["static"][name] = arr
            device = name.split("_")[1]
            kw["static_attrs"][name] = {"unit": unit, "higher_is_better": False, "batch_size": 1,
                                        "device": _HW_DEVICES[device], "source": f"HW-NAS-Bench ({csv_path.name}: {c})",
                                        "missing_or_placeholder": int(bad.sum())}
            hw_meta[name] = c
        kw["attrs"]["hw_nas_bench"] = {"file": csv_path.name, "sha256": _sha256(csv_path), "columns": hw_meta,
                                       "note": "HW-NAS-Bench (Li et al., ICLR 2021), batch size 1; "
                                               "values <= 0 in the CSV are stored as NaN"}
        written.append(write_table(Path(out) if out is not None else tpath, **kw))
    return written
