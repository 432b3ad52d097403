"""Surrogate benchmarks: fitted predictors behind the same ``Benchmark.query`` as a table.

>>> bench = load_benchmark("surrogate:nb201-mnist1d-xgb20")      # doctest: +SKIP
>>> ev = bench.query(idx, fidelity=10, seed=rng, metrics=["val_acc"])

A surrogate is fitted on a fraction of the classes of a tabular benchmark
(:func:`fit_surrogate`) and answers for every architecture of the space
(``coverage() == 1.0``).  The space is finite, so every prediction is computed once, at fit
time, and stored; opening a surrogate reads float32 arrays and a query is a table lookup (no
xgboost at query time, nothing fitted when loading).

Model (chosen by held-out error, see the README's "Surrogate benchmarks")
    Features: the functional-class representative's live ops (dead edges set to ``none``) as
    one-hot + NB201 path encoding, op counts, per-route op counts and depth, and the log of the
    exact static metrics (params, MACs, measured latencies) -- encoding ``nb201-live`` v1
    (:func:`features`) -- plus, optionally (``SurrogateConfig.zc_features``), the table's
    shipped zero-cost scores of the untrained representative (``<table>_zc.h5``).  Per
    per-epoch metric, one predictor for the final-epoch seed mean; the learning curves' shape
    (each epoch minus the final one, all metrics jointly) is a reduced-rank multi-output model:
    PCA scores predicted by one small predictor each.  Cost: ``log`` of the cumulative train
    time at the top fidelity times the median per-epoch profile of the training classes
    (cumulative, never decreasing).  Static metrics are exact (copied per architecture from
    the table).  At epoch 1 (``direct_epochs``) each metric has its own predictor instead of
    the shape model, which fits the first epoch worst.  Members of one functional class share
    one prediction and one set of draws, as they share one trained result in the table.

Noise model (``trial``/``seed``)
    ``K`` virtual seeds.  Draw ``k`` of a class adds the seed residual of a *donor* training
    run (a (training class, recorded seed) pair drawn among the training classes whose
    seed-mean final validation accuracy is nearest to the class's prediction), all metrics and
    epochs together (so curves stay consistent across epochs and metrics), rescaled by the
    ratio of the predicted per-class seed spread (a second predictor fitted on the log seed
    standard deviation of final ``val_acc``; the ratio is bounded to [1/3, 3] and each scaled
    residual to the residual bank's 0.1-99.9 % quantiles at its epoch) and by ``sqrt(S / (S - 1))`` (residuals from an
    ``S``-seed mean are that much smaller than deviations from the true mean).  Accuracies are
    clipped to [0, 100] and losses to >= 0.  The table's train times are shared by its seeds
    (packed training), so virtual seeds share the predicted cost.  Seed semantics as in
    :mod:`nasbench.benchmarks.base`: ``seed=int/Generator`` picks a virtual seed per row,
    ``seed="mean"`` is the noiseless prediction, ``trial=k`` (int or ``(n,)`` array) a fixed
    draw.  The ``K`` residuals of a class are centred (and rescaled by ``sqrt(K / (K - 1))``
    to keep their variance), so the mean over virtual seeds is the prediction, as a table's
    ``seed="mean"`` is the mean over its recorded seeds (up to the clipping).

Artifact (``surrogates/<name>/``)
    ``metadata.json`` (space, encoding + version, metrics, fidelities, training-data hash and
    training classes, validation scores, package versions, sha256 of every file),
    ``predictions.h5`` (the whole space's predictions and the noise model's arrays, float32)
    and ``models/*.ubj`` (the fitted xgboost boosters, native format, for provenance and
    refits; :func:`surrogate_features` rebuilds their inputs from the table, which needs the
    table's ``_zc`` companion when zero-cost features were used -- loading never does).
    No pickle.  A missing or corrupted file, a mismatched space or encoding version
    raises :class:`SurrogateError` naming the file.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from nasbench.benchmarks.base import PER_EPOCH_METRICS, Benchmark, _no_tail, pick_seeds
from nasbench.encodings import NB201_ROUTES, onehot, path_encoding
from nasbench.space import SearchSpace
from nasbench.spaces import SPACES
from nasbench.types import Architecture, Evaluation

__all__ = ["SurrogateBenchmark", "SurrogateError", "SurrogateConfig", "fit_surrogate", "load_surrogate",
           "features", "feature_names", "surrogate_dirs", "available_surrogates", "ENCODING", "ENCODING_VERSION",
           "FORMAT_VERSION", "DEFAULT_ZC_FEATURES", "design_matrix", "surrogate_features", "signed_log"]

FORMAT_VERSION = 1
ENCODING = "nb201-live"
ENCODING_VERSION = 1
METADATA = "metadata.json"
PREDICTIONS = "predictions.h5"
_SPACES: dict[str, type[SearchSpace]] = SPACES
#: the encoding (name, version) the surrogate of each space uses
SIZE_ENCODING = "size-widths"
SIZE_ENCODING_VERSION = 1
_ENCODINGS = {"nb201": (ENCODING, ENCODING_VERSION), "size": (SIZE_ENCODING, SIZE_ENCODING_VERSION),
              "size-mnist1d": (SIZE_ENCODING, SIZE_ENCODING_VERSION)}
#: bound on the spread ratio that rescales a donor's residual (a donor with a tiny seed spread
#: would otherwise blow its low-epoch residuals up to absurd draws, e.g. 100 % at epoch 2)
MAX_SCALE_RATIO = 3.0
_XGB_MISSING = "fitting a surrogate needs xgboost, an optional dependency: pip install 'nasbench[predictors]'"


class SurrogateError(ValueError):
    """A surrogate artifact is missing, corrupted or does not match this package."""


# ----------------------------------------------------------------------------- features
def live_mask(ops: np.ndarray) -> np.ndarray:
    """``(n, 6)`` bool: edge lies on an input->output path of non-``none`` edges (NB201 cell)."""
    nz = np.asarray(ops) != 0
    r1 = nz[:, 0]
    r2 = nz[:, 1] | (r1 & nz[:, 2])
    o2 = nz[:, 5]
    o1 = nz[:, 4] | (nz[:, 2] & o2)
    one = np.ones(len(nz), dtype=bool)
    src = np.stack([one, one, r1, one, r1, r2], 1)   # source node reachable from the input
    dst = np.stack([o1, o2, o2, one, one, one], 1)   # target node reaches the output
    return nz & src & dst


_STATIC_FEATURES = ("params", "flops", "latency_cpu_bs1", "latency_cpu_bs256")
#: zero-cost proxies ``nasbench surrogate fit`` adds as features when the table ships their
#: scores (``<table>_zc.h5``), chosen by 5-fold cross-validation inside the training classes
#: of ``nb201-mnist1d`` (README, "Surrogate benchmarks")
DEFAULT_ZC_FEATURES = ("meco", "synflow", "zen", "nwot", "swap", "zico", "jacov", "snip")


def feature_names(static: Sequence[str] = _STATIC_FEATURES, zero_cost: Sequence[str] = ()) -> list[str]:
    """Column names of :func:`features` (encoding ``nb201-live`` v1)."""
    ops = ("none", "skip", "conv1x1", "conv3x3", "pool")
    names = [f"onehot_e{e}_{o}" for e in range(6) for o in ops]
    names += [f"path_{j}" for j in range(155)]
    names += [f"count_{o}" for o in ops]
    names += [f"route{r}_{o}" for r in range(len(NB201_ROUTES)) for o in ops[1:]]
    names += ["max_route_conv3", "max_route_conv", "live_routes", "live_edges"]
    names += [f"log_{m}" for m in static]
    return names + [_zc_column(z) for z in zero_cost]


def _zc_column(proxy: str) -> str:
    return proxy if proxy.startswith("zc_") else f"zc_{proxy}"


def signed_log(v) -> np.ndarray:
    """``sign(v) * log1p(|v|)`` (float64): zero-cost scores span many decades and take either
    sign; monotone, so trees split on it as on the raw score, and finite in float32.  NaN (not
    scored) stays NaN, a missing value; ``+-inf`` (a degenerate network) becomes ``+-1000``,
    beyond every finite score (at most ~710), so the order is kept."""
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = np.sign(v) * np.log1p(np.abs(v))
    return np.where(np.isinf(v), np.sign(v) * 1e3, out)


def features(ops: np.ndarray, static: dict[str, np.ndarray], zero_cost: dict[str, np.ndarray] | None = None
             ) -> np.ndarray:
    """Encoding ``nb201-live`` v1 of ``(n, 6)`` NB201 op arrays.

    Dead edges are set to ``none`` first (they do not change the function).  Columns: one-hot
    (30), path encoding (155), op counts (5), per input->output route the count of each
    non-``none`` op (-1 when the route is dead; 16), the longest route's 3x3 / any conv count,
    live routes and live edges (4), ``log`` of each static metric in ``static`` (in that
    order; a ``(n,)`` array each) and, optionally, :func:`signed_log` of each zero-cost score in
    ``zero_cost`` (``{proxy: (n,) array}``; NaN / infinite scores are missing values, which
    xgboost handles).

    Returns
    -------
    ndarray of shape (n, 210 + len(static) + len(zero_cost)), float32
    """
    ops = np.asarray(ops, dtype=np.int64)
    o = np.where(live_mask(ops), ops, 0)
    parts = [onehot(o), path_encoding(o), np.stack([(o == k).sum(1) for k in range(5)], 1)]
    rc = []
    for route in NB201_ROUTES:
        ro = o[:, list(route)]
        alive = (ro != 0).all(1)
        for k in (1, 2, 3, 4):
            rc.append(np.where(alive, (ro == k).sum(1), -1))
    rc = np.stack(rc, 1)
    c3, c1 = rc[:, 2::4], rc[:, 1::4]
    parts += [rc, np.stack([c3.max(1), (c3 + c1).max(1), (rc[:, 0::4] >= 0).sum(1), (o != 0).sum(1)], 1)]
    for m, v in static.items():
        v = np.asarray(v, dtype=np.float64)
        parts.append(np.log(np.maximum(v, 1e-12))[:, None])
    for z, v in (zero_cost or {}).items():
        parts.append(signed_log(v)[:, None])
    return np.hstack([np.asarray(p, dtype=np.float32) for p in parts])


def size_feature_names(static: Sequence[str] = _STATIC_FEATURES, zero_cost: Sequence[str] = ()) -> list[str]:
    """Column names of :func:`size_features` (encoding ``size-widths`` v1)."""
    names = [f"width_{l}" for l in range(5)] + [f"log_width_{l}" for l in range(5)]
    names += ["sum_width", "min_width", "max_width", "width_ratio_out_in", "width_ratio_cell2_cell0"]
    return names + [f"log_{m}" for m in static] + [_zc_column(z) for z in zero_cost]


def size_features(widths: np.ndarray, static: dict[str, np.ndarray],
                  zero_cost: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Encoding ``size-widths`` v1 of ``(n, 5)`` channel counts of a size space.

    Columns: the 5 widths, their logs, their sum, min and max, the ratios last/first and
    layer-2/layer-0 width, ``log`` of each static metric in ``static`` (exact params, MACs,
    latencies) and :func:`signed_log` of each zero-cost score in ``zero_cost``.

    Returns
    -------
    ndarray of shape (n, 15 + len(static) + len(zero_cost)), float32
    """
    w = np.asarray(widths, dtype=np.float64).reshape(-1, 5)
    parts = [w, np.log(w), w.sum(1, keepdims=True), w.min(1, keepdims=True), w.max(1, keepdims=True),
             (w[:, 4] / w[:, 0])[:, None], (w[:, 2] / w[:, 0])[:, None]]
    for m, v in static.items():
        parts.append(np.log(np.maximum(np.asarray(v, dtype=np.float64), 1e-12))[:, None])
    for z, v in (zero_cost or {}).items():
        parts.append(signed_log(v)[:, None])
    return np.hstack(parts).astype(np.float32)


def _space_features(space, rows: np.ndarray, static: dict[str, np.ndarray],
                    zero_cost: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, list[str]]:
    """Features and their names of architecture indices ``rows`` in the space's own encoding."""
    zc = zero_cost or {}
    if space.name == "nb201":
        return features(space.ops_from_index(rows), static, zc), feature_names(tuple(static), tuple(zc))
    return size_features(space.widths_of(rows), static, zc), size_feature_names(tuple(static), tuple(zc))


# ----------------------------------------------------------------------------- locating
def surrogate_dirs(root=None) -> list[Path]:
    """Folders searched for named surrogates: ``[root]`` if given, else ``$NASBENCH_DATA/surrogates``,
    ``<repo>/surrogates`` and ``<user data dir>/surrogates``."""
    if root is not None:
        return [Path(root).expanduser()]
    from nasbench.benchmarks.tabular import user_data_dir

    dirs = []
    if os.environ.get("NASBENCH_DATA"):
        dirs.append(Path(os.environ["NASBENCH_DATA"]).expanduser() / "surrogates")
    dirs += [Path(__file__).resolve().parents[2] / "surrogates", user_data_dir() / "surrogates"]
    out: list[Path] = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def available_surrogates(root=None) -> dict[str, Path]:
    """Named surrogates (folders with a ``metadata.json``): name -> folder (first wins)."""
    out: dict[str, Path] = {}
    for d in surrogate_dirs(root):
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if (p / METADATA).is_file():
                    out.setdefault(p.name, p)
    return out


def load_surrogate(name_or_path, root=None) -> "SurrogateBenchmark":
    """Open a surrogate by folder path or by name (``"nb201-mnist1d-xgb20"``, with or without
    the ``surrogate:`` prefix), searched in :func:`surrogate_dirs`."""
    s = str(name_or_path)
    if s.startswith("surrogate:"):
        s = s[len("surrogate:"):]
    p = Path(s).expanduser()
    if isinstance(name_or_path, Path) or os.sep in s or (p / METADATA).is_file() or p.name == METADATA:
        return SurrogateBenchmark(p.parent if p.name == METADATA else p)
    dirs = surrogate_dirs(root)
    for d in dirs:
        if (d / s / METADATA).is_file():
            return SurrogateBenchmark(d / s)
    avail = available_surrogates(root)
    raise FileNotFoundError(f"no surrogate named {s!r} in {', '.join(str(d) for d in dirs)}; available: "
                            f"{sorted(avail) if avail else 'none'} (fit one with `nasbench surrogate fit`)")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ----------------------------------------------------------------------------- benchmark
class SurrogateBenchmark(Benchmark):
    """A fitted surrogate answering ``query`` for every architecture of its space.

    Parameters
    ----------
    path : str or Path
        A surrogate folder (``metadata.json``, ``predictions.h5``, ``models/``).
    verify : bool
        Check the sha256 of every file listed in the metadata (default; a few ms).

    Attributes
    ----------
    metrics, static_metrics, fidelities, fidelity_kind, cost_unit :
        as the table it was fitted on.
    n_seeds : int
        The number of virtual seeds ``K`` (``trial`` in ``0..K-1``).
    metadata : dict
        The parsed ``metadata.json`` (a copy).
    """

    seeds_are_means = False

    def __init__(self, path, verify: bool = True):
        self.path = Path(path).expanduser()
        meta_path = self.path / METADATA
        if not meta_path.is_file():
            raise SurrogateError(f"{meta_path}: missing (a surrogate folder holds {METADATA}, {PREDICTIONS} "
                                 "and models/)")
        try:
            meta = json.loads(meta_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise SurrogateError(f"{meta_path}: not valid JSON ({e})") from None
        if not isinstance(meta, dict):
            raise SurrogateError(f"{meta_path}: expected a JSON object")
        for key in ("format_version", "space", "encoding", "encoding_version", "metrics", "static_metrics",
                    "fidelities", "n_virtual_seeds", "files", "name"):
            if key not in meta:
                raise SurrogateError(f"{meta_path}: missing key {key!r}")
        if meta["format_version"] != FORMAT_VERSION:
            raise SurrogateError(f"{meta_path}: format_version {meta['format_version']!r}; this nasbench reads "
                                 f"version {FORMAT_VERSION}")
        if meta["space"] not in _SPACES:
            raise SurrogateError(f"{meta_path}: unknown space {meta['space']!r}; known: {sorted(_SPACES)}")
        enc, ver = _ENCODINGS[meta["space"]]
        if meta["encoding"] != enc or meta["encoding_version"] != ver:
            raise SurrogateError(f"{meta_path}: encoding {meta['encoding']!r} v{meta['encoding_version']} does not "
                                 f"match this nasbench's {enc!r} v{ver}; refit the surrogate")
        files = meta["files"]
        if PREDICTIONS not in files:
            raise SurrogateError(f"{meta_path}: 'files' does not list {PREDICTIONS}")
        for rel, digest in files.items():
            f = self.path / rel
            if not f.is_file():
                raise SurrogateError(f"{f}: missing (listed in {meta_path})")
            if verify and _sha256(f) != digest:
                raise SurrogateError(f"{f}: corrupted (sha256 differs from {meta_path}); refit or restore it")
        self._meta = meta
        self.space = _SPACES[meta["space"]]()
        self.name = str(meta["name"])
        self.metrics = tuple(meta["metrics"])
        self.static_metrics = tuple(meta["static_metrics"])
        self.fidelities = np.array(meta["fidelities"], dtype=np.int32)
        self.fidelities.setflags(write=False)
        self.fidelity_kind = str(meta.get("fidelity_kind", "epoch_of_schedule"))
        self.cost_unit = str(meta.get("cost_unit", "seconds"))
        self.n_seeds = int(meta["n_virtual_seeds"])
        #: the static metric multi-objective searches trade accuracy against (None: the catalog's default)
        self.tradeoff_metric = meta.get("tradeoff_metric")
        self._hib = dict(meta.get("higher_is_better", {}))
        self._read_arrays(self.path / PREDICTIONS)
        self._fpos = {int(f): i for i, f in enumerate(self.fidelities)}
        self._draws: dict[str, np.ndarray] = {}
        self._all_split = (list(self.metrics), list(self.static_metrics))
        self._metric_split: dict = {}
        self._ops_to_index: dict | None = None

    def _read_arrays(self, p: Path) -> None:
        import h5py

        n, F = self.space.size, len(self.fidelities)
        try:
            with h5py.File(p, "r") as f:
                def get(key, shape=None):
                    if key not in f:
                        raise SurrogateError(f"{p}: missing dataset /{key}")
                    a = f[key][()]
                    if shape is not None and a.shape != shape:
                        raise SurrogateError(f"{p}: /{key} has shape {a.shape}, expected {shape}")
                    return a

                row_class = get("row_class", (n,)).astype(np.int64)
                C = int(row_class.max()) + 1 if n else 0
                if row_class.min() < 0:
                    raise SurrogateError(f"{p}: /row_class holds negative class numbers")
                self._mean = {m: np.ascontiguousarray(get(f"mean/{m}", (C, F)), dtype=np.float32)
                              for m in self.metrics}
                self._cost = np.ascontiguousarray(get("cost", (C, F)), dtype=np.float32)
                self._static = {m: np.ascontiguousarray(get(f"static/{m}", (n,)), dtype=np.float32)
                                for m in self.static_metrics}
                K = self.n_seeds
                self._donor = get("noise/donor", (C, K)).astype(np.int64)
                self._scale = get("noise/scale", (C, K)).astype(np.float32)
                self._resid = {m: get(f"noise/residual/{m}") for m in self.metrics}
                self._rep = get("class_representative", (C,)).astype(np.int64)
        except SurrogateError:
            raise
        except OSError as e:
            raise SurrogateError(f"{p}: cannot read ({e})") from None
        nd = {r.shape for r in self._resid.values()}
        if len(nd) != 1 or len(next(iter(nd))) != 2 or next(iter(nd))[1] != F:
            raise SurrogateError(f"{p}: /noise/residual/* must all have shape (n_donors, {F})")
        if self._donor.size and (self._donor.min() < 0 or self._donor.max() >= next(iter(nd))[0]):
            raise SurrogateError(f"{p}: /noise/donor holds donor numbers outside the residual bank")
        for a in (self._cost, *self._mean.values(), *self._static.values()):
            a.setflags(write=False)
        self._row_class = row_class
        self._row_class.setflags(write=False)

    # ---------------------------------------------------------------- metadata
    @property
    def metadata(self) -> dict:
        return json.loads(json.dumps(self._meta))

    @property
    def arch_class(self) -> np.ndarray:
        """``(space.size,)`` int64: row -> representative row of its functional class."""
        return self._rep[self._row_class]

    def coverage(self) -> float:
        return 1.0

    def higher_is_better(self, metric: str) -> bool:
        if metric in self._hib:
            return bool(self._hib[metric])
        return super().higher_is_better(metric)

    def __repr__(self) -> str:
        return f"SurrogateBenchmark({self.name!r}, path={str(self.path)!r})"

    # ---------------------------------------------------------------- arrays
    def draws(self, metric: str) -> np.ndarray:
        """``(n_classes, K, n_fid)`` float32: the virtual seeds' curves of ``metric`` (computed once)."""
        d = self._draws.get(metric)
        if d is None:
            mean = self._mean[metric]
            K = self.n_seeds
            scale = np.clip(self._scale, 1.0 / MAX_SCALE_RATIO, MAX_SCALE_RATIO)
            bank = self._resid[metric]
            r = scale[:, :, None] * bank[self._donor]  # (C, K, F)
            if len(bank) > 1:  # no scaled residual beyond the bank's own 0.1 / 99.9 % quantiles
                lo, hi = np.quantile(bank, [0.001, 0.999], axis=0)
                r = np.clip(r, lo, hi)
            if K > 1:  # centre over the K draws (their mean is the prediction), keep the variance
                r = (r - r.mean(1, keepdims=True)) * np.float32(math.sqrt(K / (K - 1)))
            else:
                r = np.zeros_like(r)
            d = mean[:, None, :] + r
            if metric.endswith("_acc"):
                np.clip(d, 0.0, 100.0, out=d)
            elif metric.endswith("_loss"):
                np.maximum(d, 0.0, out=d)
            d = np.ascontiguousarray(d, dtype=np.float32)
            d.setflags(write=False)
            self._draws[metric] = d
        return d

    # ---------------------------------------------------------------- query
    def query(self, archs, *, fidelity: int | None = None, seed=0, trial=None,
              metrics: Sequence[str] | None = None) -> Evaluation:
        """Predicted values; see :class:`~nasbench.benchmarks.base.Benchmark` for the contract."""
        if isinstance(archs, (Architecture, int, np.integer)) and not isinstance(archs, bool):
            return self._query_one(archs, fidelity, seed, trial, metrics)
        per, static = self.check_metrics(metrics)
        idx = self.space.as_indices(archs)
        return self._query_idx(idx, fidelity, seed, trial, per, static)

    def _query_idx(self, idx, fidelity, seed, trial, per, static) -> Evaluation:
        n = len(idx)
        K, F = self.n_seeds, len(self.fidelities)
        fpos = None if fidelity is None else self.fidelity_pos(fidelity)
        cols = pick_seeds(n, K, seed, trial)
        cls = self._row_class.take(idx)
        values: dict[str, np.ndarray] = {}
        if fpos is not None:
            lin = cls * F + fpos
            if cols is None:
                for m in per:
                    values[m] = self._mean[m].reshape(-1).take(lin)
            else:
                lin_k = (cls * K + cols) * F + fpos
                for m in per:
                    values[m] = self.draws(m).reshape(-1).take(lin_k)
            cost = self._cost.reshape(-1).take(lin)
        else:
            if cols is None:
                for m in per:
                    values[m] = self._mean[m].take(cls, axis=0)
            else:
                rows = cls * K + cols
                for m in per:
                    values[m] = self.draws(m).reshape(-1, F).take(rows, axis=0)
            cost = self._cost.take(cls, axis=0)
        for m in static:
            values[m] = self._static[m].take(idx)
        return Evaluation(values=values, cost=cost, fidelity=fidelity, fidelities=self.fidelities,
                          cost_unit=self.cost_unit)

    def _scalar_reader(self, metrics: tuple, fidelity: int, tail: list | None = None):
        """For the runner's one-architecture step: ``read(i, trial, arch=None) -> (values,
        cost)``, the values of ``metrics`` (in that order) followed by ``tail[i]``, and the
        cost, as Python floats: the same numbers as ``query(i, fidelity=fidelity, trial=trial,
        metrics=metrics)`` (a virtual seed in range), without building an :class:`Evaluation`
        (see ``TabularBenchmark._scalar_reader``)."""
        per, static = self.check_metrics(list(metrics))
        f = self._fpos.get(fidelity)
        if f is None:
            f = self.fidelity_pos(fidelity)  # raises, naming the valid fidelities
        getters = [(self.draws(m).item, True) if m in per else (self._static[m].item, False) for m in metrics]
        rc = self.__dict__.get("_row_class_list")
        if rc is None:
            rc = self._row_class_list = self._row_class.tolist()
        c_item = self._cost.item
        tail_of = tail.__getitem__ if tail is not None else _no_tail
        if len(getters) == 2 and getters[0][1] and getters[1][1]:  # the runner's case
            g0, g1 = getters[0][0], getters[1][0]

            def read(i, trial, arch=None):
                c = rc[i]
                k = (c, trial, f)
                return (g0(k), g1(k)) + tail_of(i), c_item((c, f))
            return read

        def read(i, trial, arch=None):
            c = rc[i]
            k = (c, trial, f)
            return tuple([g(k) if p else g(i) for g, p in getters]) + tail_of(i), c_item((c, f))
        return read

    def _query_one(self, a, fidelity, seed, trial, metrics) -> Evaluation:
        """Scalar path: the same result as ``query([a], ...)`` without array set-up."""
        if a.__class__ is Architecture and a.space == self.space.name:
            if self._ops_to_index is None:
                self._ops_to_index = {tuple(r): k for k, r in enumerate(self.space.all_ops().tolist())}
            i = self._ops_to_index.get(a.ops)
            if i is None:
                i = self.space.index(a)
        elif isinstance(a, Architecture):
            i = self.space.index(a)  # raises: another space
        else:
            i = int(a)
            if not 0 <= i < self.space.size:
                raise ValueError(f"{self.space.name}: index {i} out of range 0..{self.space.size - 1}")
        if metrics is None:
            per, static = self._all_split
        else:
            key = (metrics,) if isinstance(metrics, str) else tuple(metrics)
            split = self._metric_split.get(key)
            if split is None:
                split = self._metric_split[key] = self.check_metrics(list(key))
            per, static = split
        if trial is None and isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            col = _first_draw(int(seed), self.n_seeds)
        else:
            c = pick_seeds(1, self.n_seeds, seed, trial)
            col = None if c is None else int(c[0])
        c = int(self._row_class[i])
        sl = slice(None) if fidelity is None else None
        if fidelity is not None:
            f = self._fpos.get(fidelity)
            if f is None:
                f = self.fidelity_pos(fidelity)
            sl = slice(f, f + 1)
            values = {m: (self._mean[m][c, sl] if col is None else self.draws(m)[c, col, sl]).copy() for m in per}
            cost = self._cost[c, sl].copy()
        else:
            values = {m: (self._mean[m][c:c + 1] if col is None else self.draws(m)[c, col:col + 1]).copy()
                      for m in per}
            cost = self._cost[c:c + 1].copy()
        for m in static:
            values[m] = self._static[m][i:i + 1].copy()
        return Evaluation(values, cost, fidelity, self.fidelities, self.cost_unit)


@functools.lru_cache(maxsize=4096)
def _first_draw(seed: int, n_seeds: int) -> int:
    """The column ``pick_seeds(1, n_seeds, seed, None)`` draws (int seeds; cached)."""
    return int(pick_seeds(1, n_seeds, seed, None)[0])


# ----------------------------------------------------------------------------- fitting
@dataclass(frozen=True)
class SurrogateConfig:
    """Settings of :func:`fit_surrogate`.

    Attributes
    ----------
    train_fraction : float
        Share of the table's classes (with results) used for training, one representative each.
    split_seed : int
        Seeds the choice of training classes, the predictors and the noise model's draws.
    n_virtual_seeds : int
        ``K``: virtual seeds (``trial`` in ``0..K-1``).
    n_shape_components : int
        PCA components of the joint learning-curve shape model.
    direct_epochs : tuple of int
        Fidelities below the top one whose values get their own predictor per metric (fitted
        on that epoch's seed mean; replaces the shape model there).  Default: epoch 1, the only
        one where the held-out comparison favours one model per epoch.
    donor_neighbours : int
        Training classes (nearest in final validation accuracy) a class's noise donors come from.
    final_params, aux_params, curve_params : dict
        :class:`~nasbench.predictors.XGBoostPredictor` settings: ``final_params`` for the
        final-epoch accuracy models (``val_acc``, ``test_acc``), ``aux_params`` for the other
        final-epoch metrics, the cost and the seed-spread models, ``curve_params`` for the
        curve-shape scores and the ``direct_epochs`` models.
    train_seed : int or None
        Fit on this recorded seed only instead of the seed mean (NAS-Bench-301's test); the
        other seeds are then not used at all, so there is no noise model (every virtual seed
        is the prediction).
    name : str or None
        Surrogate name (default: ``<table>-xgb<percent>``).
    holdout : bool or None
        Split by the table's recorded held-out architectures (``attrs["holdout"]``, sampled
        tables such as the size space's; :func:`nasbench.jobs.size_plan.is_holdout`): train on
        ``train_fraction`` of the trained architectures that are not held out, validate on the
        held-out ones, which the surrogate never sees.  ``None``: when the table records a
        held-out split.  ``False``: a random split of the classes by ``train_fraction``.
    zc_features : tuple of str
        Zero-cost proxies (``"meco"`` or ``"zc_meco"``) whose shipped scores (the table's
        ``<table>_zc.h5`` companion, attached as static metrics ``zc_<proxy>``) are added as
        features of every model.  They are computed from untrained networks (no accuracy, a
        fraction of a second per architecture, ``metric_attrs[...]["seconds_per_arch"]``).
        Default: none; ``nasbench surrogate fit`` uses :data:`DEFAULT_ZC_FEATURES` when the
        table has them.  A table without them raises :class:`SurrogateError`.
    """

    train_fraction: float = 0.2
    split_seed: int = 0
    n_virtual_seeds: int = 10
    n_shape_components: int = 6
    direct_epochs: tuple = (1,)
    donor_neighbours: int = 64
    # chosen by 5-fold cross-validation inside the training classes of nb201-mnist1d (README):
    # 400 depth-3 trees rank as well as 1,000 depth-6 ones, at an eighth of the size; the
    # auxiliary targets lose <= 7 % out-of-fold RMSE with 60 depth-3 trees instead of 200 depth-4
    final_params: dict = field(default_factory=lambda: dict(n_estimators=400, learning_rate=0.08, max_depth=3,
                                                             subsample=0.8, colsample_bytree=0.6,
                                                             min_child_weight=3.0, n_jobs=2))
    aux_params: dict = field(default_factory=lambda: dict(n_estimators=60, learning_rate=0.25, max_depth=3,
                                                           subsample=0.8, colsample_bytree=0.6,
                                                           min_child_weight=3.0, n_jobs=2))
    curve_params: dict = field(default_factory=lambda: dict(n_estimators=60, learning_rate=0.25, max_depth=3,
                                                             subsample=0.8, colsample_bytree=0.6,
                                                             min_child_weight=3.0, n_jobs=2))
    train_seed: int | None = None
    name: str | None = None
    holdout: bool | None = None
    zc_features: tuple = ()


def _predictor(params: dict, seed: int):
    try:
        import xgboost  # noqa: F401
    except ImportError as e:
        raise ImportError(_XGB_MISSING) from e
    from nasbench.predictors import XGBoostPredictor

    return XGBoostPredictor(**{**params, "random_state": int(seed)})


def class_structure(bench) -> tuple[np.ndarray, np.ndarray]:
    """``(row_class (n,), representative (C,))``: class number per row and the smallest row of
    each class, from the table's ``arch_class`` (or the space's functional classes)."""
    n = bench.space.size
    ac = getattr(bench, "arch_class", None)
    if ac is None:
        ac = bench.space.class_index("function")
    ac = np.asarray(ac, dtype=np.int64)
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, ac, np.arange(n))
    rep_of_row = first[ac]
    reps = np.unique(rep_of_row)
    return np.searchsorted(reps, rep_of_row).astype(np.int64), reps


def _static_features(bench, rows) -> dict[str, np.ndarray]:
    out = {}
    names = _STATIC_FEATURES if bench.space.name == "nb201" else \
        [m for m in bench.static_metrics if m in ("params", "flops") or m.startswith("latency_")]
    for m in names:
        if m in bench.static_metrics:
            v = np.asarray(bench.query(rows, metrics=[m], seed="mean").values[m], dtype=np.float64)
            if np.all(np.isfinite(v)) and np.all(v > 0):
                out[m] = v
    return out


def _zero_cost_features(bench, rows, proxies: Sequence[str]) -> dict[str, np.ndarray]:
    """``{zc_<proxy>: (len(rows),) float64}``: the table's shipped zero-cost scores (attached from
    its companion ``<table>_zc.h5``); a clear :class:`SurrogateError` when one is missing."""
    out = {}
    for z in proxies:
        col = _zc_column(str(z))
        if col not in bench.static_metrics:
            path = getattr(bench, "path", None)
            where = (f"{Path(path).with_name(Path(path).stem + '_zc.h5')}" if path is not None
                     else "a <table>_zc.h5 companion next to the table file")
            have = sorted(m for m in bench.static_metrics if m.startswith("zc_"))
            raise SurrogateError(
                f"{bench.name}: no zero-cost score {col!r}, a feature of this surrogate; it comes from the companion "
                f"file {where} (nasbench.jobs.zero_cost), which is "
                + (f"missing" if not have else f"there but lacks it (has {', '.join(have)})")
                + "; restore it, or fit without zero-cost features (zc_features=(), `--zc-features none`)")
        out[col] = np.asarray(bench.query(rows, metrics=[col], seed="mean").values[col], dtype=np.float64)
    return out


def design_matrix(bench, rows, zc_features: Sequence[str] = ()) -> tuple[np.ndarray, list[str]]:
    """Feature matrix (float32) and column names of ``rows`` of ``bench`` as :func:`fit_surrogate`
    builds them: the space's encoding, the exact static metrics and the zero-cost scores named
    in ``zc_features`` (raises :class:`SurrogateError` when the table's ``_zc`` companion lacks one)."""
    rows = np.asarray(rows, dtype=np.int64)
    zc = _zero_cost_features(bench, rows, zc_features)
    return _space_features(bench.space, rows, _static_features(bench, rows), zc)


def surrogate_features(surrogate, table, rows=None) -> np.ndarray:
    """The feature matrix the model files in ``surrogate``'s ``models/`` take, rebuilt from
    ``table`` (the table it was fitted on) for ``rows`` (default: the class representatives).

    Loading a surrogate never needs this (queries read ``predictions.h5``); it is for refits and
    for checking the shipped models.  Raises :class:`SurrogateError` when the features differ
    from the ones recorded in the metadata (e.g. the table's zero-cost companion is missing).
    """
    meta = surrogate.metadata if hasattr(surrogate, "metadata") else surrogate
    rows = surrogate._rep if rows is None else rows
    zc = tuple(meta.get("config", {}).get("zc_features", ()) or ())
    X, names = design_matrix(table, rows, zc)
    if names != list(meta["feature_names"]):
        miss = [n for n in meta["feature_names"] if n not in names]
        raise SurrogateError(f"{meta['name']}: the features rebuilt from {table.name} differ from the metadata's "
                             f"feature_names" + (f" (missing: {', '.join(miss)})" if miss else ""))
    return X


def fit_surrogate(bench, out, config: SurrogateConfig = SurrogateConfig(), *, progress=None) -> Path:
    """Fit a surrogate of ``bench`` (a complete or partial :class:`TabularBenchmark`) and write it to ``out``.

    Returns the folder.  ``progress``: optional callable ``(message)`` for status lines.
    """
    t0 = time.perf_counter()
    say = progress or (lambda msg: None)
    if bench.space.name not in _ENCODINGS:
        raise ValueError(f"no surrogate encoding for the {bench.space.name} space of {bench.name}")
    if not 0 < config.train_fraction <= 1:
        raise ValueError(f"train_fraction must be in (0, 1], got {config.train_fraction}")
    S = int(bench.n_seeds)
    if config.train_seed is not None and not 0 <= config.train_seed < S:
        raise ValueError(f"train_seed={config.train_seed} out of range: {bench.name} has {S} seed(s)")
    out = Path(out)
    space = bench.space
    metrics = [m for m in PER_EPOCH_METRICS if m in bench.metrics]
    if "val_acc" not in metrics:
        raise ValueError(f"{bench.name} has no val_acc")
    F = len(bench.fidelities)
    row_class, reps = class_structure(bench)
    C = len(reps)
    # --- targets per class: seed mean (or one seed) and per-seed curves
    per_seed = {m: np.stack([np.asarray(bench.query(reps, trial=k, metrics=[m]).values[m], dtype=np.float64)
                             for k in range(S)], 1) for m in metrics}  # (C, S, F)
    if config.train_seed is None:
        target = {m: per_seed[m].mean(1) for m in metrics}
    else:
        target = {m: per_seed[m][:, config.train_seed] for m in metrics}
    has_cost = bench.cost_unit == "seconds"
    cost = np.asarray(bench.query(reps, seed="mean", metrics=["val_acc"]).cost, dtype=np.float64)  # (C, F)
    ok = np.all([np.isfinite(per_seed[m]).all((1, 2)) for m in metrics], 0) & np.isfinite(cost).all(1)
    covered = np.flatnonzero(ok)
    n_train = int(round(config.train_fraction * len(covered)))
    if n_train < 8:
        raise ValueError(f"{bench.name}: {len(covered)} classes with results; train_fraction "
                         f"{config.train_fraction} gives {n_train} training classes, need at least 8")
    rng = np.random.default_rng(config.split_seed)
    table_holdout = (getattr(bench, "attrs", {}) or {}).get("holdout")
    use_holdout = bool(table_holdout) if config.holdout is None else bool(config.holdout)
    if use_holdout:
        if not table_holdout:
            raise ValueError(f"{bench.name} records no held-out split (attrs['holdout']); use holdout=False")
        from nasbench.jobs.size_plan import is_holdout

        is_held = is_holdout(reps[covered], space.size)
        held = covered[is_held]
        pool = covered[~is_held]
        n_train = int(round(config.train_fraction * len(pool)))
        if n_train < 8 or len(held) < 2:
            raise ValueError(f"{bench.name}: {len(pool)} trained architectures outside the held-out split "
                             f"({len(held)} held out); need at least 8 to train and 2 to validate")
        train = np.sort(rng.choice(pool, size=n_train, replace=False)) if n_train < len(pool) else pool
    else:
        train = np.sort(rng.choice(covered, size=n_train, replace=False))
        held = np.setdiff1d(covered, train)
    say(f"{C} classes, {len(covered)} with results: training on {n_train} ({config.train_fraction:.0%})")

    zc_names = tuple(_zc_column(str(z)) for z in config.zc_features)
    X, feat_names = design_matrix(bench, reps, zc_names)
    static_feat = list(_static_features(bench, reps))
    Xt = X[train]
    models: dict[str, object] = {}
    seeds = iter(np.random.SeedSequence(config.split_seed).generate_state(64))

    # --- final-epoch values
    final = {}
    for m in metrics:
        params = config.final_params if m in ("val_acc", "test_acc") else config.aux_params
        say(f"final-epoch model: {m}")
        p = _predictor(params, next(seeds)).fit(Xt, target[m][train, -1])
        models[f"final_{m}"] = p
        final[m] = p.predict(X)
    # --- joint curve shape: epoch e minus the final epoch, all metrics, PCA
    mean_curves = {m: np.repeat(final[m][:, None], F, 1) for m in metrics}
    shape_info: dict = {"n_components": 0}
    if F > 1:
        D = np.concatenate([target[m][:, :-1] - target[m][:, -1:] for m in metrics], 1)  # (C, M*(F-1))
        mu, sd = D[train].mean(0), D[train].std(0)
        sd = np.where(sd > 0, sd, 1.0)
        Z = (D[train] - mu) / sd
        _, sv, Vt = np.linalg.svd(Z, full_matrices=False)
        k = int(min(config.n_shape_components, len(sv)))
        V = Vt[:k]
        scores = Z @ V.T
        P = np.zeros((C, k))
        for j in range(k):
            say(f"curve-shape model {j + 1}/{k}")
            p = _predictor(config.curve_params, next(seeds)).fit(Xt, scores[:, j])
            models[f"shape_pc{j}"] = p
            P[:, j] = p.predict(X)
        shape = (P @ V) * sd + mu
        for i, m in enumerate(metrics):
            mean_curves[m][:, :-1] += shape[:, i * (F - 1):(i + 1) * (F - 1)]
        ev = (sv ** 2) / np.sum(sv ** 2)
        shape_info = {"n_components": k, "explained_variance": float(ev[:k].sum()),
                      "components": V.tolist(), "center": mu.tolist(), "scale": sd.tolist()}
    for m in metrics:
        if m.endswith("_acc"):
            np.clip(mean_curves[m], 0.0, 100.0, out=mean_curves[m])
        elif m.endswith("_loss"):
            np.maximum(mean_curves[m], 0.0, out=mean_curves[m])
    # --- cost
    if has_cost:
        say("cost model")
        p = _predictor(config.aux_params, next(seeds)).fit(Xt, np.log(cost[train, -1]))
        models["cost_log_total"] = p
        profile = np.median(cost[train] / cost[train, -1:], axis=0)
        profile = np.maximum.accumulate(np.maximum(profile, 1e-9))
        profile[-1] = 1.0
        cost_pred = np.exp(p.predict(X))[:, None] * profile[None, :]
    else:
        profile = (bench.fidelities / bench.fidelities[-1]).astype(np.float64)
        cost_pred = np.repeat(profile[None, :], C, 0)
    cost_pred = np.maximum.accumulate(cost_pred, axis=1)
    # --- noise: predicted seed spread + donor residuals
    K = int(config.n_virtual_seeds)
    if K < 1:
        raise ValueError("n_virtual_seeds must be >= 1")
    if S >= 2 and config.train_seed is None:
        sd_final = per_seed["val_acc"][:, :, -1].std(1, ddof=1)
        say("seed-spread model")
        p = _predictor(config.aux_params, next(seeds)).fit(Xt, np.log(sd_final[train] + 0.05))
        models["noise_log_spread"] = p
        spread = np.exp(p.predict(X))
        infl = math.sqrt(S / (S - 1))
        # residual bank: donor d = (training class i, seed s) -> row i * S + s
        resid = {m: ((per_seed[m][train] - per_seed[m][train].mean(1, keepdims=True)) * infl)
                 .reshape(n_train * S, F).astype(np.float32) for m in metrics}
        donor_level = target["val_acc"][train, -1]
        order = np.argsort(donor_level, kind="stable")
        nb = int(min(config.donor_neighbours, n_train))
        pos = np.searchsorted(donor_level[order], mean_curves["val_acc"][:, -1])
        lo = np.clip(pos - nb // 2, 0, n_train - nb)
        nrng = np.random.default_rng(np.random.SeedSequence([config.split_seed, 1]))
        pick = lo[:, None] + nrng.integers(0, nb, size=(C, K))
        donor_train = order[pick]                                   # (C, K) index into train
        donor = donor_train * S + nrng.integers(0, S, size=(C, K))  # (C, K) row of the bank
        scale = (spread[:, None] / spread[train][donor_train]).astype(np.float32)
    else:
        resid = {m: np.zeros((1, F), dtype=np.float32) for m in metrics}
        donor = np.zeros((C, K), dtype=np.int64)
        scale = np.zeros((C, K), dtype=np.float32)
        spread = np.zeros(C)

    # --- own predictors for the low fidelities the shape model fits worst (fitted last, so the
    # other models and the noise draws do not depend on this setting)
    direct = [int(f) for f in config.direct_epochs]
    for f in direct:
        j = int(np.flatnonzero(bench.fidelities == f)[0]) if f in bench.fidelities[:-1] else None
        if j is None:
            raise ValueError(f"direct_epochs: {f} is not a fidelity below the top one of {bench.name}")
        for m in metrics:
            say(f"epoch-{f} model: {m}")
            p = _predictor(config.curve_params, next(seeds)).fit(Xt, target[m][train, j])
            models[f"epoch{f}_{m}"] = p
            v = p.predict(X)
            mean_curves[m][:, j] = np.clip(v, 0.0, 100.0) if m.endswith("_acc") else (
                np.maximum(v, 0.0) if m.endswith("_loss") else v)

    # --- write
    # the table's own static metrics, exact; the zero-cost scores attached from its companion are
    # estimates, not served (features only; the table answers them)
    served_static = [m for m in bench.static_metrics if not m.startswith("zc_")]
    out.mkdir(parents=True, exist_ok=True)
    (out / "models").mkdir(exist_ok=True)
    import h5py

    tmp = out / (PREDICTIONS + ".tmp")
    with h5py.File(tmp, "w") as f:
        kw = dict(compression="gzip", compression_opts=6, shuffle=True)
        f.create_dataset("row_class", data=row_class.astype(np.int32), **kw)
        f.create_dataset("class_representative", data=reps.astype(np.int32), **kw)
        for m in metrics:
            f.create_dataset(f"mean/{m}", data=mean_curves[m].astype(np.float32), **kw)
            f.create_dataset(f"noise/residual/{m}", data=resid[m], **kw)
        f.create_dataset("cost", data=cost_pred.astype(np.float32), **kw)
        for m in served_static:
            v = np.asarray(bench.table(m), dtype=np.float32)
            f.create_dataset(f"static/{m}", data=v, **kw)
        f.create_dataset("noise/donor", data=donor.astype(np.int32), **kw)
        f.create_dataset("noise/scale", data=scale, **kw)
        f.create_dataset("noise/spread", data=spread.astype(np.float32), **kw)
    os.replace(tmp, out / PREDICTIONS)
    for old in (out / "models").glob("*.ubj"):
        old.unlink()
    for key, p in models.items():
        p.save_model(out / "models" / f"{key}.ubj")

    # --- validation on held-out classes (rows and classes)
    from nasbench.results import score_ranking

    validation = {}
    held_rows = np.flatnonzero(np.isin(row_class, held))
    for m in [m for m in ("test_acc", "val_acc") if m in metrics]:
        truth = per_seed[m].mean(1)[:, -1]
        for over, cls in (("rows", row_class[held_rows]), ("classes", held)):
            r = score_ranking(mean_curves[m][cls, -1], truth[cls], name=f"surrogate {m}", benchmark=bench.name,
                              target=m, over=over, train_size=n_train, same_scale=True,
                              higher_is_better=bench.higher_is_better(m))
            validation[f"{m}/{over}"] = {k: r[k] for k in ("n", "kendall_tau", "spearman", "sparse_kendall_tau",
                                                           "sparse_kendall_tau_pred", "r2", "mae",
                                                           "top10_precision")}
    curve_err = {}
    for m in metrics:
        truth = per_seed[m].mean(1)[held]
        curve_err[m] = float(np.sqrt(np.mean((mean_curves[m][held] - truth) ** 2)))
    validation["curve_rmse_heldout_classes"] = curve_err

    def _hash_arrays(*arrays) -> str:
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    import nasbench

    versions = {"nasbench": nasbench.__version__, "numpy": np.__version__, "h5py": h5py.__version__,
                "python": platform.python_version()}
    try:
        import sklearn
        import xgboost

        versions.update(xgboost=xgboost.__version__, sklearn=sklearn.__version__)
    except ImportError:  # pragma: no cover
        pass
    table_attrs = getattr(bench, "attrs", {}) or {}
    name = config.name or f"{bench.name}-xgb{round(100 * config.train_fraction)}"
    files = {PREDICTIONS: _sha256(out / PREDICTIONS)}
    files.update({f"models/{k}.ubj": _sha256(out / "models" / f"{k}.ubj") for k in models})
    meta = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "space": space.name,
        "encoding": _ENCODINGS[space.name][0],
        "encoding_version": _ENCODINGS[space.name][1],
        "feature_names": feat_names,
        "split": ("the table's held-out architectures (never trained on) vs the others" if use_holdout
                  else "random split of the classes with results"),
        "heldout_representatives": reps[held].tolist() if use_holdout else None,
        "metrics": metrics,
        "static_metrics": served_static,
        "static_source": "exact: copied per architecture from the table (not predicted)",
        # size spaces: accuracy vs latency (the first latency column), the trade-off they exist for
        "tradeoff_metric": None if space.name == "nb201" else
        next((m for m in bench.static_metrics if m.startswith("latency_")), None),
        "higher_is_better": {m: bench.higher_is_better(m) for m in (*metrics, *served_static)},
        "units": {m: a.get("unit", "") for m, a in getattr(bench, "metric_attrs", {}).items()
                  if m in metrics or m in served_static},
        "fidelities": [int(f) for f in bench.fidelities],
        "fidelity_kind": bench.fidelity_kind,
        "cost_unit": bench.cost_unit,
        "n_virtual_seeds": K,
        "config": asdict(config),
        "training_data": {
            "benchmark": bench.name,
            "table_file": Path(str(getattr(bench, "path", ""))).name,
            "table_uuid": table_attrs.get("table_uuid"),
            "table_git_commit": table_attrs.get("git_commit"),
            "target": "seed mean over all recorded seeds" if config.train_seed is None
                      else f"recorded seed {config.train_seed} only",
            "n_classes": int(C), "n_classes_with_results": int(len(covered)), "n_train_classes": int(n_train),
            "train_fraction": config.train_fraction,
            "train_class_representatives": reps[train].tolist(),
            "sha256": _hash_arrays(reps[train], *[per_seed[m][train] for m in metrics], cost[train]),
        },
        "model": {
            "predictor": "nasbench.predictors.XGBoostPredictor (xgboost booster, UBJ)",
            "features": {
                "encoding": f"{_ENCODINGS[space.name][0]} v{_ENCODINGS[space.name][1]} of the class representative",
                "static": [f"log {m}" for m in static_feat],
                "zero_cost": list(zc_names),
                "zero_cost_transform": "sign(x) * log1p(|x|); NaN missing; +-inf -> +-1000" if zc_names else None,
                "zero_cost_source": (f"{Path(str(getattr(bench, 'path', ''))).stem}_zc.h5 (the table's companion: "
                                     "scores of the untrained class representative, seed mean)") if zc_names else None,
                "zero_cost_seconds_per_arch": {z: getattr(bench, "metric_attrs", {}).get(z, {}).get("seconds_per_arch")
                                               for z in zc_names},
                "zero_cost_file_sha256": _companion_sha256(bench) if zc_names else None,
                "rebuild": "nasbench.benchmarks.surrogate.surrogate_features(surrogate, table)",
            },
            "final_epoch": {m: f"models/final_{m}.ubj" for m in metrics},
            "curve_shape": {k: v for k, v in shape_info.items()},
            "direct_epochs": {str(f): {m: f"models/epoch{f}_{m}.ubj" for m in metrics} for f in direct},
            "cost": ("exp(models/cost_log_total.ubj) * profile" if has_cost else "fidelity / max fidelity"),
            "cost_profile": [float(x) for x in profile],
            "noise": {"spread_model": "models/noise_log_spread.ubj" if "noise_log_spread" in models else None,
                      "spread_target": "log(std over recorded seeds of final val_acc + 0.05)",
                      "donors": "residual (seed minus seed mean) * sqrt(S/(S-1)) of a training run among the "
                                f"{config.donor_neighbours} training classes nearest in final val_acc, "
                                "scaled by predicted spread ratio", "recorded_seeds": S},
            "classes": "members of a functional class share predictions and draws (row_class)",
        },
        "validation": validation,
        "versions": versions,
        "fit_seconds": round(time.perf_counter() - t0, 2),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
    }
    (out / METADATA).write_text(json.dumps(meta, indent=1, default=_json_default))
    say(f"wrote {out} in {meta['fit_seconds']:.0f} s")
    return out


def _companion_sha256(bench) -> str | None:
    """sha256 of the table's ``_zc`` companion file (provenance of the zero-cost features)."""
    path = getattr(bench, "path", None)
    if path is None:
        return None
    f = Path(path).with_name(Path(path).stem + "_zc.h5")
    return _sha256(f) if f.is_file() else None


def _json_default(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
