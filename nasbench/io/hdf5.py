"""The nasbench HDF5 table format: one writer, one validating reader (DESIGN.md section 4).

Layout of a table file (schema version 1)::

    /                  attrs: schema_version, name, space, task, fidelity_name, fidelity_kind,
                              cost_unit, seeds_are_means, created, table_uuid, nasbench_version,
                              git_commit (when known) and any provenance the caller passes
                              (trainer config, torch/CUDA versions, hardware, sources ...)
    /archs/ops         (n_archs, L) int8       row i is the architecture of row i
    /archs/class       (n_archs,) int64        optional: row -> row whose training produced it
    /fidelities        (n_fid,) int32          e.g. epochs 1..E, or schedule lengths (12, 200)
    /seeds             (n_seeds,) int32        training seeds (-1: values are seed means)
    /metrics/<name>    (n_archs, n_seeds, n_fid) float32, NaN = missing
                       attrs: higher_is_better, unit, split (+ source, ...)
    /static/<name>     (n_archs,) float32      params, flops, latency_<device>_bs<k>, ...
                       attrs: higher_is_better, unit (+ device, batch_size, ...)
    /cost/train_time   (n_archs, n_seeds, n_fid) float32, cumulative seconds (optional)

Every dataset is chunked, shuffled, gzip-compressed and carries a fletcher32 checksum, so a
flipped byte is reported instead of served as a number.  Non-scalar attribute values (dicts,
lists) are stored as JSON strings; the root attr ``_json_keys`` (per object) lists them.

:func:`write_table` writes to a temporary file in the target directory and ``os.replace``-s it,
so the target is either the old file or the complete new one, never half a file.
:func:`open_table` validates the file and returns a :class:`TableData` that holds only the
small arrays (ops, class, fidelities, seeds); metric, static and cost arrays are read on first
use and cached.  Every problem raises :class:`TableError` naming the file and the problem.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Mapping

import numpy as np

__all__ = ["SCHEMA_VERSION", "TableError", "TableData", "write_table", "open_table",
           "FIDELITY_KINDS", "COST_UNITS"]

#: the schema version this code writes and the newest it reads
SCHEMA_VERSION = 1
FIDELITY_KINDS = ("epoch_of_schedule", "schedule_length")
COST_UNITS = ("seconds", "evaluations")
_RESERVED = frozenset({"schema_version", "space", "task", "fidelity_name", "fidelity_kind", "cost_unit",
                       "seeds_are_means", "table_uuid", "_json_keys"})
_CHUNK_BYTES = 1 << 18  # ~256 KiB of raw data per chunk
_FILTERS = dict(compression="gzip", compression_opts=4, shuffle=True, fletcher32=True)


class TableError(ValueError):
    """A table file that cannot be used: unreadable, truncated, corrupted, or not this schema."""


# ------------------------------------------------------------------ attribute helpers
def _set_attrs(obj, attrs: Mapping) -> None:
    json_keys = []
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, (str, bool, int, float)):
            obj.attrs[key] = value
        else:
            obj.attrs[key] = json.dumps(value, sort_keys=True, default=_json_default)
            json_keys.append(key)
    if json_keys:
        obj.attrs["_json_keys"] = json.dumps(sorted(json_keys))


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"attribute value of type {type(x).__name__} is not JSON-serialisable")


def _get_attrs(obj) -> dict:
    raw = {k: obj.attrs[k] for k in obj.attrs.keys()}
    json_keys = set(json.loads(raw.pop("_json_keys", "[]")))
    out = {}
    for key, value in raw.items():
        if isinstance(value, bytes):
            value = value.decode()
        if isinstance(value, np.generic):
            value = value.item()
        if key in json_keys and isinstance(value, str):
            value = json.loads(value)
        out[key] = value
    return out


def _default_metric_attrs(name: str) -> dict:
    split = name.split("_", 1)[0] if name.split("_", 1)[0] in ("train", "val", "test") else None
    if name.endswith("_acc"):
        return {"higher_is_better": True, "unit": "%", "split": split}
    if name.endswith("_loss"):
        return {"higher_is_better": False, "unit": "cross-entropy (nats)", "split": split}
    return {"higher_is_better": True, "unit": "", "split": split}


def _default_static_attrs(name: str) -> dict:
    if name == "params":
        return {"higher_is_better": False, "unit": "millions of parameters"}
    if name == "flops":
        return {"higher_is_better": False, "unit": "millions"}
    if name.startswith("latency"):
        return {"higher_is_better": False, "unit": "ms"}
    if name.startswith("energy"):
        return {"higher_is_better": False, "unit": "mJ"}
    return {"higher_is_better": True, "unit": ""}


def _git_commit() -> str | None:
    """HEAD of the git checkout holding this package, or None (not a checkout / no git)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def _chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    row = int(np.prod(shape[1:], dtype=np.int64)) * itemsize
    rows = max(1, min(shape[0], _CHUNK_BYTES // max(row, 1)))
    return (rows, *shape[1:])


def _create(group, name: str, data: np.ndarray, attrs: Mapping | None = None) -> None:
    data = np.ascontiguousarray(data)
    ds = group.create_dataset(name, data=data, chunks=_chunks(data.shape, data.dtype.itemsize), **_FILTERS)
    if attrs:
        _set_attrs(ds, attrs)


# ------------------------------------------------------------------------- writer
def write_table(path, *, space: str, task: str, ops: np.ndarray, fidelities, seeds,
                metrics: Mapping[str, np.ndarray], static: Mapping[str, np.ndarray] | None = None,
                cost_train_time: np.ndarray | None = None, arch_class: np.ndarray | None = None,
                attrs: Mapping | None = None, metric_attrs: Mapping[str, Mapping] | None = None,
                static_attrs: Mapping[str, Mapping] | None = None,
                fidelity_kind: str = "epoch_of_schedule", fidelity_name: str | None = None,
                cost_unit: str | None = None, seeds_are_means: bool = False) -> Path:
    """Write a table atomically (temporary file in the same directory, then ``os.replace``).

    Parameters
    ----------
    path : str or Path
        Target file; its directory is created.
    space, task : str
        E.g. ``"nb201"``, ``"mnist1d"``.
    ops : ndarray, shape (n_archs, L)
        Op ids per row (stored as int8).
    fidelities : array of int, shape (n_fid,)
        Strictly increasing positive ints.
    seeds : array of int, shape (n_seeds,)
    metrics : dict name -> ndarray, shape (n_archs, n_seeds, n_fid)
        Stored as float32; NaN = missing.  At least one.
    static : dict name -> ndarray, shape (n_archs,)
        Per-architecture constants, stored as float32.
    cost_train_time : ndarray, shape (n_archs, n_seeds, n_fid), or None
        Cumulative training seconds.
    arch_class : ndarray of int, shape (n_archs,), or None
        Row -> row whose training produced this row's values (equivalence classes).
    attrs : dict
        Root provenance (name, trainer config, torch/CUDA versions, hardware, sources ...).
        Nested values are stored as JSON.  May override ``created``, ``name`` and ``git_commit``.
    metric_attrs, static_attrs : dict name -> dict
        Per-dataset attrs (``higher_is_better``, ``unit``, ``split``, ``source`` ...); missing
        ``higher_is_better``/``unit``/``split`` are filled from the metric name.
    fidelity_kind : ``"epoch_of_schedule"`` or ``"schedule_length"``
    fidelity_name : str, default ``"epoch"`` (or ``"epochs"`` for schedule lengths)
    cost_unit : ``"seconds"`` or ``"evaluations"``; default ``"seconds"`` when
        ``cost_train_time`` is given, else ``"evaluations"``.
    seeds_are_means : bool
        The stored values are already means over training seeds.

    Returns
    -------
    Path of the written file.
    """
    import h5py

    path = Path(path)
    ops = np.asarray(ops)
    if ops.ndim != 2 or ops.shape[0] < 1 or ops.shape[1] < 1 or not np.issubdtype(ops.dtype, np.integer):
        raise ValueError(f"ops must be a non-empty (n_archs, L) integer array, got shape {ops.shape} {ops.dtype}")
    if ops.min() < np.iinfo(np.int8).min or ops.max() > np.iinfo(np.int8).max:
        raise ValueError("op ids must fit in int8")
    n_archs = ops.shape[0]
    fid = np.asarray(fidelities)
    if fid.ndim != 1 or len(fid) < 1 or not np.issubdtype(fid.dtype, np.integer):
        raise ValueError(f"fidelities must be a non-empty 1-D int array, got {fid!r}")
    if np.any(np.diff(fid) <= 0) or fid[0] < 1:
        raise ValueError(f"fidelities must be strictly increasing positive ints, got {fid.tolist()}")
    sd = np.asarray(seeds)
    if sd.ndim != 1 or len(sd) < 1 or not np.issubdtype(sd.dtype, np.integer):
        raise ValueError(f"seeds must be a non-empty 1-D int array, got {sd!r}")
    shape = (n_archs, len(sd), len(fid))
    if not metrics:
        raise ValueError("a table needs at least one metric")
    for name, arr in metrics.items():
        if np.shape(arr) != shape:
            raise ValueError(f"metric {name!r} must have shape (n_archs, n_seeds, n_fid) = {shape}, "
                             f"got {np.shape(arr)}")
    static = dict(static or {})
    for name, arr in static.items():
        if np.shape(arr) != (n_archs,):
            raise ValueError(f"static metric {name!r} must have shape ({n_archs},), got {np.shape(arr)}")
        if name in metrics:
            raise ValueError(f"{name!r} is both a per-epoch and a static metric")
    if cost_train_time is not None and np.shape(cost_train_time) != shape:
        raise ValueError(f"cost_train_time must have shape {shape}, got {np.shape(cost_train_time)}")
    if arch_class is not None:
        arch_class = np.asarray(arch_class)
        if arch_class.shape != (n_archs,) or not np.issubdtype(arch_class.dtype, np.integer):
            raise ValueError(f"arch_class must be an int array of shape ({n_archs},)")
        if arch_class.min() < 0 or arch_class.max() >= n_archs:
            raise ValueError(f"arch_class values must be row numbers in 0..{n_archs - 1}")
    if fidelity_kind not in FIDELITY_KINDS:
        raise ValueError(f"unknown fidelity_kind {fidelity_kind!r}; choose from {list(FIDELITY_KINDS)}")
    if cost_unit is None:
        cost_unit = "seconds" if cost_train_time is not None else "evaluations"
    if cost_unit not in COST_UNITS:
        raise ValueError(f"unknown cost_unit {cost_unit!r}; choose from {list(COST_UNITS)}")
    if cost_unit == "seconds" and cost_train_time is None:
        raise ValueError("cost_unit='seconds' needs cost_train_time")
    attrs = dict(attrs or {})
    clash = sorted(_RESERVED & set(attrs))
    if clash:
        raise ValueError(f"attrs may not set reserved keys {clash}; use the keyword arguments")

    from nasbench import __version__

    root = {
        "name": f"{space}-{task}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "nasbench_version": __version__,
        "git_commit": _git_commit(),
    }
    root.update(attrs)
    root.update({
        "schema_version": SCHEMA_VERSION, "space": str(space), "task": str(task),
        "fidelity_kind": fidelity_kind,
        "fidelity_name": fidelity_name or ("epoch" if fidelity_kind == "epoch_of_schedule" else "epochs"),
        "cost_unit": cost_unit, "seeds_are_means": bool(seeds_are_means), "table_uuid": uuid.uuid4().hex,
    })

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with h5py.File(tmp, "w", libver=("earliest", "v110"), track_order=True) as f:
            _set_attrs(f, root)
            g = f.create_group("archs", track_order=True)
            _create(g, "ops", ops.astype(np.int8))
            if arch_class is not None:
                _create(g, "class", arch_class.astype(np.int64))
            _create(f, "fidelities", fid.astype(np.int32))
            _create(f, "seeds", sd.astype(np.int32))
            g = f.create_group("metrics", track_order=True)
            for name, arr in metrics.items():
                a = dict(_default_metric_attrs(name))
                a.update((metric_attrs or {}).get(name, {}))
                _create(g, name, np.asarray(arr, dtype=np.float32), a)
            g = f.create_group("static", track_order=True)
            for name, arr in static.items():
                a = dict(_default_static_attrs(name))
                a.update((static_attrs or {}).get(name, {}))
                _create(g, name, np.asarray(arr, dtype=np.float32), a)
            if cost_train_time is not None:
                g = f.create_group("cost")
                _create(g, "train_time", np.asarray(cost_train_time, dtype=np.float32),
                        {"unit": "s", "cumulative": True, "higher_is_better": False})
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# ------------------------------------------------------------------------- reader
class TableData:
    """A validated, lazily loaded table file.

    Eager (small) attributes: ``path``, ``attrs`` (root attrs, JSON decoded), ``ops``
    ``(n_archs, L)`` int8, ``arch_class`` ``(n_archs,)`` int64 or None, ``fidelities``
    ``(n_fid,)`` int32, ``seeds`` ``(n_seeds,)`` int32, ``metric_names``, ``metric_attrs``,
    ``static_names``, ``static_attrs``, ``has_cost``.

    Arrays read on first use and cached (read-only): :meth:`metric` ``(n_archs, n_seeds,
    n_fid)``, :meth:`static` ``(n_archs,)``, :meth:`cost` ``(n_archs, n_seeds, n_fid)``.
    The file is reopened for each first read (no handle is kept, so the object pickles).
    """

    def __init__(self, path: Path, attrs: dict, ops, arch_class, fidelities, seeds, metric_attrs: dict,
                 static_attrs: dict, cost_attrs: dict | None):
        self.path = path
        self.attrs = attrs
        self.ops = ops
        self.arch_class = arch_class
        self.fidelities = fidelities
        self.seeds = seeds
        self.metric_attrs = metric_attrs
        self.static_attrs = static_attrs
        self.cost_attrs = cost_attrs
        self.metric_names = tuple(metric_attrs)
        self.static_names = tuple(static_attrs)
        self._cache: dict[str, np.ndarray] = {}
        self._companion: dict[str, Path] = {}

    def attach_companion(self, path) -> list[str]:
        """Add the ``/static`` datasets of a companion file (e.g. ``<table>_zc.h5``, the shipped
        zero-cost scores) as static metrics of this table; returns their names.

        The companion must have root attr ``n_archs`` equal to this table's and ``(n_archs,)``
        datasets; its arrays are read on first use like the table's own.  Names the table
        already has are not replaced.
        """
        import h5py

        path = Path(path)
        added = []
        with h5py.File(path, "r") as f:
            if int(f.attrs.get("n_archs", -1)) != self.n_archs:
                _fail(path, f"companion of {self.path.name} must have n_archs={self.n_archs}, "
                            f"has {f.attrs.get('n_archs')}")
            g = f.get("static")
            for name in ([] if g is None else list(g)):
                if name in self.static_attrs:
                    continue
                if g[name].shape != (self.n_archs,):
                    _fail(path, f"dataset /static/{name} has shape {g[name].shape}, expected ({self.n_archs},)")
                a = _get_attrs(g[name])
                a["file"] = path.name
                self.static_attrs[name] = a
                self._companion[name] = path
                added.append(name)
        self.static_names = tuple(self.static_attrs)
        return added

    @property
    def n_archs(self) -> int:
        return int(self.ops.shape[0])

    @property
    def n_seeds(self) -> int:
        return int(self.seeds.shape[0])

    @property
    def n_fid(self) -> int:
        return int(self.fidelities.shape[0])

    @property
    def has_cost(self) -> bool:
        return self.cost_attrs is not None

    def metric(self, name: str) -> np.ndarray:
        """``(n_archs, n_seeds, n_fid)`` float32 values of per-epoch metric ``name``."""
        if name not in self.metric_attrs:
            raise KeyError(f"{self.path}: no metric {name!r}; available: {list(self.metric_names)}")
        return self._load(f"metrics/{name}")

    def static(self, name: str) -> np.ndarray:
        """``(n_archs,)`` float32 values of static metric ``name``."""
        if name not in self.static_attrs:
            raise KeyError(f"{self.path}: no static metric {name!r}; available: {list(self.static_names)}")
        if name in self._companion:
            return self._load_companion(name)
        return self._load(f"static/{name}")

    def _load_companion(self, name: str) -> np.ndarray:
        key = f"companion:{name}"
        arr = self._cache.get(key)
        if arr is None:
            import h5py

            path = self._companion[name]
            try:
                with h5py.File(path, "r") as f:
                    arr = f["static"][name][()]
            except (OSError, RuntimeError, ValueError, KeyError) as err:
                raise TableError(f"{path}: dataset /static/{name} is unreadable: {err}") from None
            arr.setflags(write=False)
            self._cache[key] = arr
        return arr

    def cost(self) -> np.ndarray | None:
        """``(n_archs, n_seeds, n_fid)`` float32 cumulative train seconds, or None."""
        return self._load("cost/train_time") if self.has_cost else None

    def as_write_kwargs(self) -> dict:
        """Everything in the file as keyword arguments of :func:`write_table` (reads all arrays).

        Used to rewrite a table with additions (e.g. HW-NAS-Bench latencies).  ``created``,
        ``nasbench_version`` and ``git_commit`` are left out, so the rewrite records its own.
        """
        a = self.attrs
        skip = _RESERVED | {"created", "nasbench_version", "git_commit"}
        return dict(
            space=a["space"], task=a["task"], ops=np.array(self.ops), fidelities=np.array(self.fidelities),
            seeds=np.array(self.seeds), metrics={m: np.array(self.metric(m)) for m in self.metric_names},
            static={m: np.array(self.static(m)) for m in self.static_names if m not in self._companion},
            cost_train_time=None if not self.has_cost else np.array(self.cost()),
            arch_class=None if self.arch_class is None else np.array(self.arch_class),
            attrs={k: v for k, v in a.items() if k not in skip},
            metric_attrs={m: dict(v) for m, v in self.metric_attrs.items()},
            static_attrs={m: dict(v) for m, v in self.static_attrs.items() if m not in self._companion},
            fidelity_kind=a["fidelity_kind"], fidelity_name=a.get("fidelity_name"), cost_unit=a["cost_unit"],
            seeds_are_means=bool(a.get("seeds_are_means", False)),
        )

    def _load(self, key: str) -> np.ndarray:
        arr = self._cache.get(key)
        if arr is None:
            import h5py

            try:
                with h5py.File(self.path, "r") as f:
                    if f.attrs.get("table_uuid") != self.attrs.get("table_uuid"):
                        raise TableError(f"{self.path}: the file was replaced since it was opened; open it again")
                    if key not in f:
                        raise TableError(f"{self.path}: dataset /{key} disappeared since the file was opened")
                    arr = f[key][()]
            except TableError:
                raise
            except (OSError, RuntimeError, ValueError) as err:
                raise TableError(f"{self.path}: dataset /{key} is corrupted or unreadable "
                                 f"(checksum or decompression failure): {err}") from None
            arr.setflags(write=False)
            self._cache[key] = arr
        return arr

    def __repr__(self) -> str:
        return (f"TableData({str(self.path)!r}, n_archs={self.n_archs}, n_seeds={self.n_seeds}, "
                f"fidelities={self.fidelities.tolist()}, metrics={list(self.metric_names)})")


def _fail(path, msg: str):
    raise TableError(f"{path}: {msg}")


def _check_ds(path, f, key: str, shape: tuple, dtype) -> None:
    import h5py

    obj = f.get(key)
    if obj is None:
        _fail(path, f"missing dataset /{key}")
    if not isinstance(obj, h5py.Dataset):
        _fail(path, f"/{key} is not a dataset")
    if obj.shape != shape:
        _fail(path, f"dataset /{key} has shape {obj.shape}, expected {shape}")
    if obj.dtype != np.dtype(dtype):
        _fail(path, f"dataset /{key} has dtype {obj.dtype}, expected {np.dtype(dtype)}")


def _read_small(path, f, key: str) -> np.ndarray:
    try:
        return f[key][()]
    except (OSError, RuntimeError, ValueError) as err:
        _fail(path, f"dataset /{key} is corrupted or unreadable (checksum or decompression failure): {err}")


def open_table(path) -> TableData:
    """Open and validate a table file; raises :class:`TableError` naming the file and problem.

    Reads the root attrs, ``/archs/ops``, ``/archs/class``, ``/fidelities`` and ``/seeds``
    eagerly and checks every dataset's shape and dtype from its metadata; metric, static and
    cost arrays are read on first use (:class:`TableData`).
    """
    import h5py

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such table file")
    if path.is_dir():
        raise TableError(f"{path}: is a directory, not a table file")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise TableError(f"{path}: not a readable HDF5 file (truncated, corrupted or another format): {err}") from None
    try:
        try:
            attrs = _get_attrs(f)
        except (OSError, RuntimeError, ValueError) as err:
            _fail(path, f"unreadable root attributes: {err}")
        if "schema_version" not in attrs:
            _fail(path, "no schema_version attribute; not a nasbench table")
        ver = attrs["schema_version"]
        if not isinstance(ver, int) or isinstance(ver, bool) or ver < 1:
            _fail(path, f"unknown schema_version {ver!r}; this nasbench reads version {SCHEMA_VERSION}")
        if ver > SCHEMA_VERSION:
            _fail(path, f"schema_version {ver} is newer than this nasbench reads ({SCHEMA_VERSION}); "
                        "upgrade nasbench")
        for key in ("space", "task", "fidelity_kind", "cost_unit"):
            if key not in attrs:
                _fail(path, f"missing root attribute {key!r}")
        if attrs["fidelity_kind"] not in FIDELITY_KINDS:
            _fail(path, f"unknown fidelity_kind {attrs['fidelity_kind']!r}; expected one of {list(FIDELITY_KINDS)}")
        if attrs["cost_unit"] not in COST_UNITS:
            _fail(path, f"unknown cost_unit {attrs['cost_unit']!r}; expected one of {list(COST_UNITS)}")

        for key in ("archs/ops", "fidelities", "seeds"):
            if key not in f:
                _fail(path, f"missing dataset /{key}")
        ops_shape = f["archs/ops"].shape
        if len(ops_shape) != 2:
            _fail(path, f"dataset /archs/ops has shape {ops_shape}, expected (n_archs, L)")
        n_archs = ops_shape[0]
        _check_ds(path, f, "archs/ops", ops_shape, np.int8)
        for key in ("fidelities", "seeds"):
            if f[key].ndim != 1:
                _fail(path, f"dataset /{key} has shape {f[key].shape}, expected a 1-D array")
        n_fid, n_seeds = f["fidelities"].shape[0], f["seeds"].shape[0]
        _check_ds(path, f, "fidelities", (n_fid,), np.int32)
        _check_ds(path, f, "seeds", (n_seeds,), np.int32)
        shape = (n_archs, n_seeds, n_fid)

        if "metrics" not in f or not isinstance(f["metrics"], h5py.Group) or len(f["metrics"]) == 0:
            _fail(path, "missing group /metrics (a table needs at least one metric)")
        metric_attrs = {}
        for name in f["metrics"]:
            _check_ds(path, f, f"metrics/{name}", shape, np.float32)
            metric_attrs[name] = _get_attrs(f["metrics"][name])
        static_attrs = {}
        if "static" in f:
            for name in f["static"]:
                _check_ds(path, f, f"static/{name}", (n_archs,), np.float32)
                static_attrs[name] = _get_attrs(f["static"][name])
        cost_attrs = None
        if "cost" in f and "train_time" in f["cost"]:
            _check_ds(path, f, "cost/train_time", shape, np.float32)
            cost_attrs = _get_attrs(f["cost/train_time"])
        if attrs["cost_unit"] == "seconds" and cost_attrs is None:
            _fail(path, "cost_unit is 'seconds' but dataset /cost/train_time is missing")
        arch_class = None
        if "archs/class" in f:
            _check_ds(path, f, "archs/class", (n_archs,), np.int64)
            arch_class = _read_small(path, f, "archs/class")
            if n_archs and (arch_class.min() < 0 or arch_class.max() >= n_archs):
                _fail(path, f"dataset /archs/class holds row numbers outside 0..{n_archs - 1}")

        ops = _read_small(path, f, "archs/ops")
        fidelities = _read_small(path, f, "fidelities")
        seeds = _read_small(path, f, "seeds")
        if n_fid < 1 or np.any(np.diff(fidelities) <= 0):
            _fail(path, f"/fidelities must be non-empty and strictly increasing, got {fidelities.tolist()}")
        if n_seeds < 1:
            _fail(path, "/seeds is empty")
    finally:
        f.close()
    for a in (ops, fidelities, seeds) + ((arch_class,) if arch_class is not None else ()):
        a.setflags(write=False)
    return TableData(path, attrs, ops, arch_class, fidelities, seeds, metric_attrs, static_attrs, cost_attrs)
