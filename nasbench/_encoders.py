"""scikit-learn transformers over :mod:`nasbench.encodings` (imported lazily from there).

Every transformer accepts the three batch forms of a space: a list of
:class:`~nasbench.types.Architecture`, an ``(n, L)`` integer op array, or an ``(n,)`` integer
index array (an ``(n, 1)`` column of indices, as a pipeline may pass it, works too).  Integral
float arrays are accepted as well.  ``transform`` returns ``(n, d)`` float32.

For spaces of at most 2**20 architectures the encoding of the whole space is computed once
per process and cached, so ``transform`` of an index array is one row gather (well over 10^6
architectures per second); op arrays and architecture lists are turned into indices first.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone

from nasbench.encodings import adjacency_ops, onehot, path_encoding
from nasbench.types import Architecture

__all__ = ["OneHot", "PathEncoding", "AdjacencyOps", "AppendFeatures", "static_features", "as_indices"]

_LUT_MAX = 2**20
_LUT: dict[tuple[str, str], np.ndarray] = {}


def _space(space):
    if space is None:
        from nasbench.spaces import NB201Space

        return NB201Space()
    return space


def as_indices(space, X) -> np.ndarray:
    """Any batch form of ``space`` -> ``(n,)`` int64 indices (see the module docstring)."""
    if isinstance(X, Architecture):
        X = [X]
    if not isinstance(X, np.ndarray):
        X = list(X)
        if X and isinstance(X[0], Architecture):
            return space.as_indices(X)
        X = np.asarray(X)
    if X.dtype.kind == "f":
        if not np.all(np.isfinite(X)) or np.any(X != np.round(X)):
            raise ValueError("architecture arrays must hold integer op ids or indices, got non-integral values")
        X = X.astype(np.int64)
    if X.dtype.kind not in "iu":
        raise TypeError(f"expected Architectures, an (n, L) op array or an (n,) index array, got dtype {X.dtype}")
    if X.ndim == 2 and X.shape[1] == 1 and space.n_edges != 1:
        X = X[:, 0]
    return space.as_indices(X)


class _SpaceEncoder(TransformerMixin, BaseEstimator):
    """Base: encode architectures of ``space`` (default: :class:`~nasbench.spaces.NB201Space`)."""

    kind = ""

    def __init__(self, space=None):
        self.space = space

    def _encode_ops(self, space, ops: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _table(self, space) -> np.ndarray | None:
        if space.size > _LUT_MAX:
            return None
        key = (f"{type(space).__module__}.{type(space).__qualname__}:{space.name}", self.kind)
        t = _LUT.get(key)
        if t is None:
            t = self._encode_ops(space, space.all_ops())
            t.setflags(write=False)
            _LUT[key] = t
        return t

    def fit(self, X=None, y=None):
        """Validate ``X`` (if given) and record the output width ``n_features_out_``."""
        space = _space(self.space)
        if X is not None:
            as_indices(space, X)
        self.space_ = space
        self.n_features_out_ = int(self._encode_ops(space, np.zeros((1, space.n_edges), dtype=np.int64)).shape[1])
        return self

    def transform(self, X) -> np.ndarray:
        """``(n, n_features_out_)`` float32 encoding of the architectures ``X``."""
        space = getattr(self, "space_", None) or _space(self.space)
        idx = as_indices(space, X)
        t = self._table(space)
        if t is not None:
            return np.take(t, idx, axis=0)
        return self._encode_ops(space, space.ops_from_index(idx))

    def get_feature_names_out(self, input_features=None):
        space = getattr(self, "space_", None) or _space(self.space)
        n = self._encode_ops(space, np.zeros((1, space.n_edges), dtype=np.int64)).shape[1]
        return np.asarray([f"{self.kind}{i}" for i in range(n)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.categorical = True
        return tags


class OneHot(_SpaceEncoder):
    """One indicator per (edge, op), ``(n, L * K)`` (:func:`nasbench.encodings.onehot`)."""

    kind = "onehot"

    def _encode_ops(self, space, ops):
        return onehot(ops, space.n_ops)


class PathEncoding(_SpaceEncoder):
    """NB201 path encoding, ``(n, 155)`` (:func:`nasbench.encodings.path_encoding`)."""

    kind = "path"

    def _encode_ops(self, space, ops):
        if space.name != "nb201":
            raise ValueError(f"the path encoding is defined for the nb201 space, not {space.name!r}")
        return path_encoding(ops, space.n_ops)


class AdjacencyOps(_SpaceEncoder):
    """Adjacency bits + op one-hot of the cell graph, ``(n, L + L * K)``
    (:func:`nasbench.encodings.adjacency_ops`; the input layout :class:`GINPredictor` reads)."""

    kind = "adjacency"

    def _encode_ops(self, space, ops):
        return adjacency_ops(ops, space.n_ops)


def static_features(benchmark, metrics: Sequence[str] = ("params", "flops")) -> dict[str, np.ndarray]:
    """``{metric: (space.size,) float64}``: static metrics of every architecture of ``benchmark``
    (NaN where missing), the ``features`` argument of :class:`AppendFeatures`."""
    static = tuple(getattr(benchmark, "static_metrics", ()))
    out = {}
    for m in metrics:
        if m not in static:
            raise KeyError(f"{benchmark.name} has no static metric {m!r}; it has {list(static)}")
        out[m] = np.asarray(benchmark.table(m), dtype=np.float64)
    return out


class AppendFeatures(TransformerMixin, BaseEstimator):
    """Append per-architecture columns (static metrics, zero-cost scores) to an encoding.

    Parameters
    ----------
    encoder : transformer or None
        Cloned and fitted in :meth:`fit`; its output comes first.  ``None``: the extra columns only.
    features : mapping name -> array of shape (space.size,)
        One value per architecture index of the space, e.g. :func:`static_features` of a
        benchmark, or zero-cost scores of every architecture.
    space : SearchSpace or None
        Default: the encoder's space, else NB201.
    log : bool
        Replace a column whose finite values are all positive by its logarithm (params, FLOPs,
        latency are scale quantities).
    standardize : bool
        Centre and scale each column by its mean and standard deviation over the whole space
        (unlabelled static information, so no target leaks); missing values (NaN) become the
        mean (0 after standardising).

    Fitted attributes: ``encoder_``, ``table_`` (``(space.size, n_extra)`` float32),
    ``feature_names_`` (the mapping's keys), ``n_features_out_``.
    """

    def __init__(self, encoder=None, features: Mapping[str, np.ndarray] | None = None, space=None,
                 log: bool = True, standardize: bool = True):
        self.encoder = encoder
        self.features = features
        self.space = space
        self.log = log
        self.standardize = standardize

    def _the_space(self):
        if self.space is not None:
            return self.space
        return _space(getattr(self.encoder, "space", None))

    def fit(self, X=None, y=None):
        space = self._the_space()
        feats = dict(self.features or {})
        cols = []
        for name, v in feats.items():
            v = np.asarray(v, dtype=np.float64).reshape(-1)
            if v.shape != (space.size,):
                raise ValueError(f"feature {name!r} must have one value per architecture of the space "
                                 f"({space.size},), got {v.shape}")
            v = v.copy()
            ok = np.isfinite(v)
            if self.log and ok.any() and np.all(v[ok] > 0):
                v[ok] = np.log(v[ok])
            mu = float(v[ok].mean()) if ok.any() else 0.0
            if self.standardize:
                sd = float(v[ok].std()) if ok.any() else 1.0
                v = (v - mu) / (sd if sd > 0 else 1.0)
                mu = 0.0
            v[~ok] = mu
            cols.append(v)
        self.table_ = (np.stack(cols, axis=1) if cols else np.zeros((space.size, 0))).astype(np.float32)
        self.feature_names_ = list(feats)
        self.space_ = space
        self.encoder_ = None if self.encoder is None else clone(self.encoder).fit(X)
        n_enc = 0 if self.encoder_ is None else self.encoder_.transform(np.zeros(1, dtype=np.int64)).shape[1]
        self.n_features_out_ = n_enc + self.table_.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        if not hasattr(self, "table_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("AppendFeatures is not fitted yet; call fit first")
        idx = as_indices(self.space_, X)
        extra = self.table_[idx]
        if self.encoder_ is None:
            return extra
        return np.concatenate([self.encoder_.transform(idx), extra], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.categorical = True
        return tags
