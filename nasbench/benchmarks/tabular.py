"""Tabular benchmarks: precomputed results read from a nasbench HDF5 table (:mod:`nasbench.io.hdf5`).

>>> bench = load_benchmark("nb201-mnist1d")                       # doctest: +SKIP
>>> ev = bench.query(idx, fidelity=10, seed=rng, metrics=["val_acc"])  # values["val_acc"]: (n,)

Rows: one per architecture of the space; row ``i`` is the architecture with our index ``i``
(``space.index``).  Missing rows are NaN (:meth:`TabularBenchmark.coverage` says how many have
results).  Queries are fully vectorised: index arithmetic plus one ``np.take`` per metric; a
single :class:`~nasbench.types.Architecture` or int takes a scalar fast path that returns
exactly what the batched path returns for a one-element batch.

Cost: cumulative training seconds from ``/cost/train_time`` when the table has it (for the
same recorded seed as the values); otherwise full evaluations (1.0 at the top fidelity,
``fidelity / max_fidelity`` below) with ``cost_unit = "evaluations"``.
"""
from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from nasbench.benchmarks.base import PER_EPOCH_METRICS, Benchmark, _no_tail, check_trial, pick_seeds
from nasbench.io.hdf5 import TableData, TableError, open_table
from nasbench.space import SearchSpace
from nasbench.spaces import SPACES
from nasbench.types import Architecture, Evaluation, _evaluation

__all__ = ["TabularBenchmark", "load_benchmark", "available_benchmarks", "user_data_dir", "search_dirs",
           "table_filename"]

#: space name in a table's attrs -> space class (literal, no registry)
_SPACES: dict[str, type[SearchSpace]] = SPACES


#: companion files ``<table><suffix>.h5`` whose ``/static`` datasets a table attaches as static
#: metrics (``_zc``: zero-cost proxy scores, see nasbench.jobs.zero_cost); they are not tables.
COMPANION_SUFFIXES = ("_zc",)


@functools.lru_cache(maxsize=4096)
def _first_draw(seed: int, n_seeds: int) -> int:
    """The seed column ``pick_seeds(1, n_seeds, seed, None)`` draws, cached (int seeds only)."""
    return int(np.random.default_rng(seed).integers(0, n_seeds))


class TabularBenchmark(Benchmark):
    """A benchmark backed by a table file.

    Parameters
    ----------
    path : str or Path
        A nasbench HDF5 table (see :mod:`nasbench.io.hdf5`).
    name : str, optional
        Defaults to the table's ``name`` attr (e.g. ``"nb201-mnist1d"``).

    Attributes
    ----------
    metrics, static_metrics, fidelities, fidelity_kind, cost_unit, n_seeds, seeds_are_means :
        see :class:`~nasbench.benchmarks.base.Benchmark`.
    attrs : dict
        The table's root attributes (provenance, units, sources).
    seeds : ndarray of int, shape (n_seeds,)
        The recorded training seeds (``-1`` when the values are seed means).
    """

    def __init__(self, path, name: str | None = None):
        data = open_table(path)
        for suffix in COMPANION_SUFFIXES:  # e.g. <table>_zc.h5: shipped zero-cost scores
            comp = data.path.with_name(data.path.stem + suffix + ".h5")
            if comp.is_file():
                data.attach_companion(comp)
        self._data: TableData = data
        space_name = data.attrs["space"]
        if space_name not in _SPACES:
            raise TableError(f"{data.path}: unknown space {space_name!r}; known: {sorted(_SPACES)}")
        self.space = _SPACES[space_name]()
        if data.ops.shape != (self.space.size, self.space.n_edges):
            raise TableError(f"{data.path}: /archs/ops has shape {data.ops.shape}; a {space_name} table has one "
                             f"row per architecture: ({self.space.size}, {self.space.n_edges})")
        if not np.array_equal(data.ops, self.space.all_ops()):
            bad = int(np.flatnonzero((data.ops != self.space.all_ops()).any(1))[0])
            raise TableError(f"{data.path}: row {bad} of /archs/ops is not the architecture with index {bad}; "
                             "rows must be in the space's index order")
        self.name = name or str(data.attrs.get("name") or f"{space_name}-{data.attrs['task']}")
        canon = [m for m in PER_EPOCH_METRICS if m in data.metric_attrs]
        self.metrics = tuple(canon + [m for m in data.metric_names if m not in canon])
        self.static_metrics = tuple(data.static_names)
        self.fidelities = np.array(data.fidelities, dtype=np.int32)
        self.fidelities.setflags(write=False)
        self.fidelity_kind = str(data.attrs["fidelity_kind"])
        self.cost_unit = str(data.attrs["cost_unit"])
        self.seeds = data.seeds
        self.n_seeds = int(len(data.seeds))
        self.seeds_are_means = bool(data.attrs.get("seeds_are_means", False))
        self._size = self.space.size
        self._L, self._K = self.space.n_edges, self.space.n_ops
        self._fpos = {int(f): i for i, f in enumerate(self.fidelities)}
        self._mean: dict[str, np.ndarray] = {}
        self._plans: dict = {}
        self._splits: dict = {}
        ev = (self.fidelities / self.fidelities[-1]).astype(np.float32)
        ev.setflags(write=False)
        self._eval_cost = ev
        self._coverage: float | None = None
        self._nb201_inverse: np.ndarray | None = None

    # ------------------------------------------------------------ metadata
    @property
    def path(self) -> Path:
        return self._data.path

    @property
    def attrs(self) -> dict:
        """Root attributes of the table (provenance, units, sources); a copy."""
        return copy.deepcopy(self._data.attrs)

    @property
    def metric_attrs(self) -> dict[str, dict]:
        """Per-metric attributes (``higher_is_better``, ``unit``, ``split``, ``source`` ...)."""
        out = {m: dict(a) for m, a in self._data.metric_attrs.items()}
        out.update({m: dict(a) for m, a in self._data.static_attrs.items()})
        return out

    @property
    def arch_class(self) -> np.ndarray | None:
        """``(space.size,)`` int64: row -> row whose training produced it (None if not recorded)."""
        return self._data.arch_class

    def higher_is_better(self, metric: str) -> bool:
        a = self._data.metric_attrs.get(metric) or self._data.static_attrs.get(metric)
        if a is not None and "higher_is_better" in a:
            return bool(a["higher_is_better"])
        return super().higher_is_better(metric)

    def coverage(self) -> float:
        """Fraction of rows with a finite seed-mean ``val_acc`` at the top fidelity (any metric if absent)."""
        if self._coverage is None:
            m = "val_acc" if "val_acc" in self.metrics else self.metrics[0]
            self._coverage = float(np.isfinite(self._seed_mean(m)[:, -1]).mean())
        return self._coverage

    def __repr__(self) -> str:
        return f"TabularBenchmark({self.name!r}, path={str(self.path)!r})"

    # ------------------------------------------------------------- arrays
    def _arr(self, metric: str) -> np.ndarray:
        """``(n_archs, n_seeds, n_fid)`` cached float32."""
        return self._data.metric(metric)

    def _seed_mean(self, metric: str) -> np.ndarray:
        """``(n_archs, n_fid)`` mean over recorded seeds (NaN seeds ignored; NaN when none)."""
        m = self._mean.get(metric)
        if m is None:
            a = self._arr(metric) if metric != "__cost__" else self._data.cost()
            if a.shape[1] == 1:
                m = a[:, 0, :]
            else:
                finite = np.isfinite(a)
                cnt = finite.sum(1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    m = (np.where(finite, a, 0).sum(1, dtype=np.float64) / cnt).astype(np.float32)
            m = np.ascontiguousarray(m)
            m.setflags(write=False)
            self._mean[metric] = m
        return m

    # -------------------------------------------------------------- query
    def query(self, archs, *, fidelity: int | None = None, seed=0, trial: int | np.ndarray | None = None,
              metrics: Sequence[str] | None = None) -> Evaluation:
        """Look up a batch; see :class:`~nasbench.benchmarks.base.Benchmark`.

        ``trial``: one recorded seed for all rows (int) or one per row (``(n,)`` int array).

        ``archs``: a list of :class:`Architecture`, an ``(n, L)`` int op array, an ``(n,)`` int
        index array, or a single :class:`Architecture` / int (scalar fast path).  Per-epoch
        values are ``(n,)`` at one fidelity or ``(n, n_fid)`` for ``fidelity=None``; static
        values ``(n,)``; ``cost`` has the per-epoch shape.  Values are float32, NaN = missing.
        """
        one = _one_arch(archs)
        if one is not None:
            return self._query_one(one, fidelity, seed, trial, metrics)
        key = metrics if metrics is None or metrics.__class__ is str else tuple(metrics)
        split = self._splits.get(key)
        if split is None:
            split = self._splits[key] = self.check_metrics(metrics)
        idx = self.space.as_indices(archs)
        return self._query_idx(idx, fidelity, seed, trial, *split)

    def query_nb201_index(self, nb201_idx, **kwargs) -> Evaluation:
        """:meth:`query` by NAS-Bench-201's official index (``(n,)`` ints or one int).

        Needs the static column ``nb201_index`` (imported NB201 tables carry it).
        """
        if "nb201_index" not in self.static_metrics:
            raise KeyError(f"{self.name}: this table has no 'nb201_index' column (only imported NB201 tables do)")
        if self._nb201_inverse is None:
            col = self._data.static("nb201_index")
            rows = np.flatnonzero(np.isfinite(col))
            inv = np.full(self._size, -1, dtype=np.int64)
            inv[col[rows].astype(np.int64)] = rows
            self._nb201_inverse = inv
        q = np.atleast_1d(np.asarray(nb201_idx))
        if not np.issubdtype(q.dtype, np.integer) or q.ndim != 1:
            raise TypeError("NB201 indices must be an int or a 1-D int array")
        if q.size and (q.min() < 0 or q.max() >= self._size):
            raise ValueError(f"NB201 indices must be in 0..{self._size - 1}")
        rows = self._nb201_inverse[q]
        if np.any(rows < 0):
            raise ValueError(f"{self.name}: NB201 index {int(q[rows < 0][0])} is not in this table")
        return self.query(rows, **kwargs)

    def _cols(self, n: int, seed, trial) -> np.ndarray | None:
        """``(n,)`` seed columns, or None for the seed mean (also for ``seeds_are_means``)."""
        if self.seeds_are_means:
            if trial is not None:
                check_trial(trial, n, self.n_seeds)
            _check_seed_type(seed)
            return None
        return pick_seeds(n, self.n_seeds, seed, trial)

    def _query_idx(self, idx: np.ndarray, fidelity, seed, trial, per: list[str], static: list[str]) -> Evaluation:
        n = len(idx)
        S, F = self.n_seeds, len(self.fidelities)
        fpos = None if fidelity is None else self._fpos.get(fidelity)
        if fidelity is not None and fpos is None:
            fpos = self.fidelity_pos(fidelity)  # raises, naming the valid fidelities
        cols = self._cols(n, seed, trial)
        values: dict[str, np.ndarray] = {}
        has_cost = self._data.has_cost
        if fpos is not None:
            if cols is None:
                lin = idx * F + fpos
                for m in per:
                    values[m] = self._seed_mean(m).reshape(-1).take(lin)
                cost = self._seed_mean("__cost__").reshape(-1).take(lin) if has_cost else None
            else:
                lin = (idx * S + cols) * F + fpos
                for m in per:
                    values[m] = self._arr(m).reshape(-1).take(lin)
                cost = self._data.cost().reshape(-1).take(lin) if has_cost else None
            if cost is None:
                cost = np.full(n, self._eval_cost[fpos], dtype=np.float32)
        else:
            if cols is None:
                for m in per:
                    values[m] = self._seed_mean(m).take(idx, axis=0)
                cost = self._seed_mean("__cost__").take(idx, axis=0) if has_cost else None
            else:
                rows = idx * S + cols
                for m in per:
                    values[m] = self._arr(m).reshape(-1, F).take(rows, axis=0)
                cost = self._data.cost().reshape(-1, F).take(rows, axis=0) if has_cost else None
            if cost is None:
                cost = np.broadcast_to(self._eval_cost, (n, F)).copy()
        for m in static:
            values[m] = self._data.static(m).take(idx)
        return Evaluation(values=values, cost=cost, fidelity=fidelity, fidelities=self.fidelities,
                          cost_unit=self.cost_unit)

    def _query_one(self, a, fidelity, seed, trial, metrics) -> Evaluation:
        """Scalar path: same result as ``query([a], ...)``, without array set-up (a few us).

        ``a``: an :class:`Architecture`, an int, or an ``(L,)`` op row (a ``(1, L)`` array's).
        """
        cls = a.__class__
        if cls is Architecture and a.space == self.space.name:
            i = self._ops_index().get(a.ops)
            if i is None:  # wrong length or op ids: let the space say what is wrong
                i = self.space.index(a)
        elif isinstance(a, Architecture):
            i = self.space.index(a)  # raises: architecture from another space
        elif cls is np.ndarray:  # one op row
            i = self._ops_index().get(tuple(a.tolist()))
            if i is None:
                i = int(self.space.as_indices(a[None])[0])  # raises the batch path's error
        else:
            i = int(a)
            if not 0 <= i < self._size:
                raise ValueError(f"{self.space.name}: index {i} out of range 0..{self._size - 1}")
        # seed column, drawn exactly as pick_seeds draws the first of a batch (None: seed mean)
        if trial is not None:
            t = check_trial(trial, 1, self.n_seeds)
            if self.seeds_are_means:
                _check_seed_type(seed)
                col = None
            else:
                col = t if t.__class__ is int else int(t[0])
        elif seed.__class__ is str:
            if seed != "mean":
                raise ValueError(f"seed must be an int, a np.random.Generator or 'mean', got {seed!r}")
            col = None
        elif self.seeds_are_means:
            _check_seed_type(seed)
            col = None
        elif seed.__class__ is np.random.Generator:
            col = int(seed.integers(0, self.n_seeds))
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            col = _first_draw(int(seed), self.n_seeds)
        else:
            col = int(pick_seeds(1, self.n_seeds, seed, None)[0])  # raises the contract's TypeError
        key = (metrics if metrics is None or metrics.__class__ is str else tuple(metrics), col is None, fidelity)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan_one(metrics, col is None, fidelity)
        per, static, cost, f = plan
        values = {}
        if f is None:  # whole curves
            if col is None:
                for m, A in per:
                    values[m] = A[i:i + 1].copy()
                c = cost[i:i + 1].copy() if cost is not None else self._eval_cost[None].copy()
            else:
                for m, A in per:
                    values[m] = A[i, col:col + 1].copy()
                c = cost[i, col:col + 1].copy() if cost is not None else self._eval_cost[None].copy()
        else:
            if col is None:
                for m, A in per:
                    values[m] = A[i, f:f + 1].copy()
                c = cost[i, f:f + 1].copy() if cost is not None else self._eval_cost[f:f + 1].copy()
            else:
                for m, A in per:
                    values[m] = A[i, col, f:f + 1].copy()
                c = cost[i, col, f:f + 1].copy() if cost is not None else self._eval_cost[f:f + 1].copy()
        for m, A in static:
            values[m] = A[i:i + 1].copy()
        return _evaluation(values, c, fidelity, self.fidelities, self.cost_unit)

    def _plan_one(self, metrics, mean: bool, fidelity):
        """What :meth:`_query_one` reads for one (metrics, seed mean?, fidelity) key: the arrays
        of the per-epoch and static metrics, the cost array and the fidelity column."""
        per, static = self.check_metrics(metrics)
        f = None if fidelity is None else self._fpos.get(fidelity)
        if fidelity is not None and f is None:
            f = self.fidelity_pos(fidelity)  # raises, naming the valid fidelities
        arr = self._seed_mean if mean else self._arr
        cost = None
        if self._data.has_cost:
            cost = self._seed_mean("__cost__") if mean else self._data.cost()
        return ([(m, arr(m)) for m in per], [(m, self._data.static(m)) for m in static], cost, f)

    def _scalar_reader(self, metrics: tuple, fidelity: int, tail: list | None = None):
        """For the runner's one-architecture step: ``read(i, trial, arch=None) -> (values,
        cost)``, the values of ``metrics`` (in that order) followed by ``tail[i]`` (a tuple per
        architecture, e.g. its static metrics), and the cost, as Python floats: the same
        numbers as ``query(i, fidelity=fidelity, trial=trial, metrics=metrics)`` (a trial in
        range), without building an :class:`Evaluation`.  ``metrics`` and ``fidelity`` are
        checked here; ``arch`` is ignored (the runner's other answerers need it)."""
        mean = bool(self.seeds_are_means)
        per, static, cost, f = self._plan_one(list(metrics), mean, fidelity)
        arrays, per_epoch = dict(per + static), {m for m, _ in per}
        getters = [(arrays[m].item, m in per_epoch) for m in metrics]
        c_item = cost.item if cost is not None else None
        c_const = None if cost is not None else float(self._eval_cost[f])
        tail_of = tail.__getitem__ if tail is not None else _no_tail
        if len(getters) == 2 and getters[0][1] and getters[1][1]:  # the runner's case
            g0, g1 = getters[0][0], getters[1][0]
            if c_item is None:  # no recorded train times: one cost per fidelity
                if mean:
                    def read(i, trial, arch=None):
                        k = (i, f)
                        return (g0(k), g1(k)) + tail_of(i), c_const
                else:
                    def read(i, trial, arch=None):
                        k = (i, trial, f)
                        return (g0(k), g1(k)) + tail_of(i), c_const
            elif mean:
                def read(i, trial, arch=None):
                    k = (i, f)
                    return (g0(k), g1(k)) + tail_of(i), c_item(k)
            else:
                def read(i, trial, arch=None):
                    k = (i, trial, f)
                    return (g0(k), g1(k)) + tail_of(i), c_item(k)
            return read
        if mean:
            def read(i, trial, arch=None):
                v = tuple([g((i, f)) if p else g(i) for g, p in getters]) + tail_of(i)
                return v, (c_item((i, f)) if c_item is not None else c_const)
        else:
            def read(i, trial, arch=None):
                v = tuple([g((i, trial, f)) if p else g(i) for g, p in getters]) + tail_of(i)
                return v, (c_item((i, trial, f)) if c_item is not None else c_const)
        return read

    def _ops_index(self) -> dict:
        """ops tuple -> index (the space's dict, built on first use, about 10 ms)."""
        return self.space._index_map()


def _one_arch(archs):
    """The one architecture of a one-architecture query in any form (a bare Architecture or
    int, a list of one, an index array of one, a ``(1, L)`` op array), else None."""
    cls = archs.__class__
    if cls is Architecture or cls is int:
        return archs
    if cls is list:
        if len(archs) == 1:
            a = archs[0]
            if a.__class__ is Architecture or a.__class__ is int:
                return a
        return None
    if cls is np.ndarray:
        if archs.dtype.kind in "iu" and len(archs.shape) in (1, 2) and archs.shape[0] == 1:
            return int(archs[0]) if archs.ndim == 1 else archs[0]
        return None
    if isinstance(archs, (Architecture, np.integer)) and not isinstance(archs, bool):
        return archs
    if isinstance(archs, int) and not isinstance(archs, bool):
        return int(archs)
    return None


def _check_seed_type(seed) -> None:
    if isinstance(seed, str):
        if seed != "mean":
            raise ValueError(f"seed must be an int, a np.random.Generator or 'mean', got {seed!r}")
    elif seed is None:
        raise TypeError("a seed is required (int or np.random.Generator); nasbench never picks one")
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer, np.random.Generator, np.random.SeedSequence)):
        raise TypeError(f"seed must be an int or np.random.Generator, got {type(seed).__name__}")


# --------------------------------------------------------------- finding tables
def user_data_dir() -> Path:
    """Where importers write by default: ``$NASBENCH_DATA``, else ``$XDG_DATA_HOME/nasbench``,
    else ``~/.local/share/nasbench``."""
    env = os.environ.get("NASBENCH_DATA")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(xdg) / "nasbench"


def _repo_tables() -> Path:
    return Path(__file__).resolve().parents[2] / "tabular_data"


def search_dirs(root=None) -> list[Path]:
    """Directories searched for named tables: ``[root]`` if given, else ``$NASBENCH_DATA``,
    ``<repo>/tabular_data`` and the user data directory, in that order."""
    if root is not None:
        return [Path(root).expanduser()]
    dirs = []
    if os.environ.get("NASBENCH_DATA"):
        dirs.append(Path(os.environ["NASBENCH_DATA"]).expanduser())
    dirs += [_repo_tables(), user_data_dir()]
    out: list[Path] = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def table_filename(name: str) -> str:
    """``"nb201-mnist1d"`` -> ``"nb201_mnist1d.h5"`` (lower case, ``-`` -> ``_``)."""
    return name.strip().lower().replace("-", "_") + ".h5"


def available_benchmarks(root=None) -> dict[str, Path]:
    """Named tables found in :func:`search_dirs`: name -> path (first directory wins)."""
    out: dict[str, Path] = {}
    for d in search_dirs(root):
        if d.is_dir():
            for p in sorted(d.glob("*.h5")):
                if p.stem.endswith(COMPANION_SUFFIXES):
                    continue
                out.setdefault(p.stem.replace("_", "-"), p)
    return out


def _is_surrogate(name_or_path) -> bool:
    """``"surrogate:NAME"`` or a folder holding a surrogate's ``metadata.json``."""
    if isinstance(name_or_path, str) and name_or_path.startswith("surrogate:"):
        return True
    return isinstance(name_or_path, (str, Path)) and os.path.isfile(os.path.join(name_or_path, "metadata.json"))


def load_benchmark(name_or_path, root=None) -> TabularBenchmark:
    """Open a tabular benchmark by path or by name.

    ``"surrogate:NAME"`` or the path of a surrogate folder opens a
    :class:`~nasbench.benchmarks.surrogate.SurrogateBenchmark` instead.

    A path (``Path``, or a string naming an existing file or ending in ``.h5``) opens that
    file.  A name like ``"nb201-mnist1d"`` opens ``nb201_mnist1d.h5`` from the first of
    :func:`search_dirs` that has it (``root`` alone when given); a name with no table but a
    surrogate of that name (``"size-mnist1d"``) opens the surrogate.  An unknown name raises
    ``FileNotFoundError`` listing the tables that are available.
    """
    if _is_surrogate(name_or_path):
        from nasbench.benchmarks.surrogate import load_surrogate

        return load_surrogate(name_or_path, root=root)
    if isinstance(name_or_path, Path) or (isinstance(name_or_path, str) and (
            name_or_path.endswith(".h5") or os.sep in name_or_path or os.path.isfile(name_or_path))):
        return TabularBenchmark(name_or_path)
    if not isinstance(name_or_path, str):
        raise TypeError(f"expected a benchmark name or a path, got {type(name_or_path).__name__}")
    fname = table_filename(name_or_path)
    dirs = search_dirs(root)
    for d in dirs:
        p = d / fname
        if p.is_file():
            return TabularBenchmark(p)
    # no table of that name: a surrogate of that name (e.g. "size-mnist1d", the size space's
    # benchmark, which is a surrogate because the space is only sampled)
    from nasbench.benchmarks.surrogate import available_surrogates, load_surrogate

    if name_or_path in available_surrogates(root):
        return load_surrogate(name_or_path, root=root)
    avail = available_benchmarks(root)
    raise FileNotFoundError(
        f"no table named {name_or_path!r} ({fname}) in {', '.join(str(d) for d in dirs)}; available: "
        f"{sorted(avail) if avail else 'none'} (import NB201 tables with `nasbench import nb201-csv`)")
