"""Architecture encodings for predictors: numpy in, numpy out, vectorised over ``(n, L)`` op arrays.

* :func:`onehot` — one indicator per (edge, op): ``(n, L * K)``; works for any :class:`SearchSpace`.
* :func:`path_encoding` — the NB201 path encoding of White et al. (BANANAS, AAAI 2021) in the
  layout NASLib uses for NB201: the cell has four input->output routes, ``0->3`` (one edge),
  ``0->1->3`` and ``0->2->3`` (two edges) and ``0->1->2->3`` (three edges).  The op sequence of
  a route (ops in our ids, ``none`` included) selects one feature in the block of its length:
  ``5`` features for length 1, ``25`` for length 2 (shared by both two-edge routes), ``125``
  for length 3, ``155`` in all.  Feature = 1 if some route has that op sequence.
* :func:`adjacency_ops` — the cell graph: ``L`` adjacency bits (edge present = its op is not
  ``none``, op id 0) followed by the one-hot ops, ``(n, L + L * K)``.
* :func:`encode` — dispatch by name (``"onehot"``, ``"path"`` or ``"adjacency"``).

scikit-learn transformers over these functions (``fit``/``transform``; input a list of
:class:`~nasbench.types.Architecture`, an ``(n, L)`` op array or an ``(n,)`` index array):
:class:`OneHot`, :class:`PathEncoding`, :class:`AdjacencyOps`, and :class:`AppendFeatures`,
which appends per-architecture columns (params, FLOPs, latency, zero-cost scores) to an
encoding, so "features + encoding -> predictor" is one ``sklearn.pipeline.Pipeline``.  They are
defined in :mod:`nasbench._encoders` and resolved lazily here, because importing scikit-learn
imports pandas and ``import nasbench.encodings`` stays light (numpy only).

Edge order and op ids are the space's (for NB201: edges ``(1<-0), (2<-0), (2<-1), (3<-0),
(3<-1), (3<-2)``; ops ``0 none .. 4 avg_pool_3x3``), see :mod:`nasbench.spaces.nb201`.
"""
from __future__ import annotations

import numpy as np

from nasbench.space import SearchSpace

__all__ = ["onehot", "path_encoding", "adjacency_ops", "encode", "ENCODINGS", "NB201_ROUTES",
           "OneHot", "PathEncoding", "AdjacencyOps", "AppendFeatures", "static_features"]

_LAZY = ("OneHot", "PathEncoding", "AdjacencyOps", "AppendFeatures", "static_features")


def __getattr__(name):  # the sklearn transformers live in nasbench._encoders (sklearn imports pandas)
    if name in _LAZY:
        from nasbench import _encoders

        return getattr(_encoders, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: edges (in our order) along each input->output route of the NB201 cell
NB201_ROUTES: tuple[tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (0, 2, 5))


def _as_ops(ops, n_edges: int | None = None) -> np.ndarray:
    ops = np.asarray(ops)
    if ops.ndim == 1:
        ops = ops[None, :]
    if ops.ndim != 2 or not np.issubdtype(ops.dtype, np.integer):
        raise ValueError(f"expected an integer op array of shape (n, L), got {ops.dtype} {ops.shape}")
    if n_edges is not None and ops.shape[1] != n_edges:
        raise ValueError(f"expected op arrays with {n_edges} edges, got shape {ops.shape}")
    return ops.astype(np.int64, copy=False)


def onehot(ops, n_ops: int = 5) -> np.ndarray:
    """One-hot op encoding.

    Parameters
    ----------
    ops : int array of shape (n, L)
    n_ops : int
        Ops per edge ``K``.

    Returns
    -------
    ndarray of shape (n, L * K), float32
        Column ``e * K + k`` is 1 when edge ``e`` carries op ``k``.
    """
    ops = _as_ops(ops)
    if ops.size and (ops.min() < 0 or ops.max() >= n_ops):
        raise ValueError(f"op ids must lie in 0..{n_ops - 1}")
    n, L = ops.shape
    out = np.zeros((n, L * n_ops), dtype=np.float32)
    out[np.arange(n)[:, None], np.arange(L)[None, :] * n_ops + ops] = 1.0
    return out


def path_encoding(ops, n_ops: int = 5) -> np.ndarray:
    """NB201 path encoding (see the module docstring).

    Parameters
    ----------
    ops : int array of shape (n, 6)
        NB201 op ids in our edge order.

    Returns
    -------
    ndarray of shape (n, 155), float32 (binary)
    """
    ops = _as_ops(ops, n_edges=6)
    if ops.size and (ops.min() < 0 or ops.max() >= n_ops):
        raise ValueError(f"op ids must lie in 0..{n_ops - 1}")
    n = ops.shape[0]
    offsets = {1: 0, 2: n_ops, 3: n_ops + n_ops**2}
    width = n_ops + n_ops**2 + n_ops**3
    out = np.zeros((n, width), dtype=np.float32)
    rows = np.arange(n)
    for route in NB201_ROUTES:
        col = np.full(n, offsets[len(route)], dtype=np.int64)
        for j, e in enumerate(route):
            col += ops[:, e] * n_ops**j
        out[rows, col] = 1.0
    return out


def adjacency_ops(ops, n_ops: int = 5) -> np.ndarray:
    """Adjacency + op one-hot of the cell graph.

    Parameters
    ----------
    ops : int array of shape (n, L)
        Op id 0 is ``none`` (no edge), as in NB201.

    Returns
    -------
    ndarray of shape (n, L + L * K), float32
        Columns ``0..L-1``: 1 when edge ``e`` exists (op != 0), in the space's edge order (for
        NB201 the upper triangle of the 4-node adjacency matrix, row-major by target node);
        then :func:`onehot`.
    """
    ops = _as_ops(ops)
    oh = onehot(ops, n_ops)
    return np.concatenate([(ops != 0).astype(np.float32), oh], axis=1)


ENCODINGS = {"onehot": "one indicator per (edge, op)", "path": "NB201 path encoding (155 features)",
             "adjacency": "adjacency bits of the cell graph + op one-hot"}


def encode(space: SearchSpace, ops, kind: str = "onehot") -> np.ndarray:
    """Encode an ``(n, L)`` op array (or ``(n,)`` index array) of ``space`` with ``kind``.

    Returns
    -------
    ndarray of shape (n, d), float32
    """
    arr = np.asarray(ops)
    if arr.ndim == 1 and arr.dtype.kind in "iu" and space.n_edges != 1:
        arr = space.ops_from_index(arr)
    if kind == "onehot":
        return onehot(arr, space.n_ops)
    if kind == "path":
        if space.name != "nb201":
            raise ValueError(f"the path encoding is defined for the nb201 space, not {space.name!r}; use 'onehot'")
        return path_encoding(arr, space.n_ops)
    if kind == "adjacency":
        return adjacency_ops(arr, space.n_ops)
    raise ValueError(f"unknown encoding {kind!r}; choose from {sorted(ENCODINGS)}")
