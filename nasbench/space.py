"""The :class:`SearchSpace` base: a finite space of fixed-length op vectors.

A space with ``L`` edges and ``K`` ops per edge has ``K**L`` architectures.  Index ``i`` of an
architecture is ``sum(ops[e] * K**e)`` (edge 0 is the least significant digit).  Concrete spaces
(``nasbench.spaces``) add string formats and equivalence rules.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Iterable, Sequence

import numpy as np

from nasbench.rng import as_generator
from nasbench.types import Architecture

__all__ = ["SearchSpace"]

#: spaces up to this size keep an ops -> index dict and an index -> Architecture cache (built
#: lazily), so converting architectures costs a dict lookup instead of a validated dot product
_CACHE_LIMIT = 1 << 20
_get_ops = attrgetter("ops")
_get_space = attrgetter("space")
_object_new = object.__new__


def _new_arch(space: str, ops: tuple) -> Architecture:
    """``Architecture(space, ops)`` for ``ops`` already a tuple of python ints in range (what
    ``__post_init__`` would make of it), without the dataclass's checks: 4x cheaper, same value."""
    a = _object_new(Architecture)
    d = a.__dict__
    d["space"] = space
    d["ops"] = ops
    return a


class SearchSpace:
    """Base class for cell spaces encoded as ``L`` categorical op choices.

    Subclasses set ``name``, ``op_names`` (length ``K``) and ``n_edges`` (``L``).
    """

    name: str = ""
    op_names: tuple[str, ...] = ()
    n_edges: int = 0

    # ------------------------------------------------------------------ sizes
    @property
    def n_ops(self) -> int:
        """Number of candidate ops per edge, ``K``."""
        return len(self.op_names)

    @property
    def size(self) -> int:
        """Number of architectures, ``K**L``."""
        return self.n_ops**self.n_edges

    @property
    def _weights(self) -> np.ndarray:
        return self.n_ops ** np.arange(self.n_edges, dtype=np.int64)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __getstate__(self) -> dict:
        """Pickle without the lookup caches (rebuilt on first use)."""
        state = dict(self.__dict__)
        state.pop("_ops_to_index", None)
        state.pop("_ops_tuples", None)
        state.pop("_arch_of", None)
        state.pop("_sugg_of", None)
        state.pop("_sugg_at", None)
        state.pop("_onehot_f64", None)
        return state

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    # ------------------------------------------------------------ conversions
    def arch(self, ops: Sequence[int]) -> Architecture:
        """Build and validate an :class:`Architecture` of this space from op ids."""
        ops = tuple(int(o) for o in ops)
        if len(ops) != self.n_edges:
            raise ValueError(f"{self.name}: expected {self.n_edges} op ids, got {len(ops)}")
        bad = [o for o in ops if not 0 <= o < self.n_ops]
        if bad:
            raise ValueError(f"{self.name}: op ids must be in 0..{self.n_ops - 1}, got {bad}")
        return Architecture(self.name, ops)

    def check(self, arch: Architecture) -> Architecture:
        """Raise ``ValueError`` unless ``arch`` belongs to this space."""
        if not isinstance(arch, Architecture):
            raise TypeError(f"expected an Architecture, got {type(arch).__name__}")
        if arch.space != self.name:
            raise ValueError(
                f"architecture from space {arch.space!r} cannot be used with space {self.name!r}"
            )
        return self.arch(arch.ops)

    def _index_map(self) -> dict | None:
        """``{ops tuple: index}`` over the whole space (None for spaces over ``_CACHE_LIMIT``)."""
        d = self.__dict__.get("_ops_to_index")
        if d is None:
            if self.size > _CACHE_LIMIT:
                return None
            keys = list(map(tuple, self.all_ops().tolist()))  # op tuples of python ints, index order
            d = dict(zip(keys, range(len(keys))))
            self.__dict__["_ops_tuples"] = keys  # from_index reads its op tuple here
            self.__dict__["_ops_to_index"] = d
        return d

    def index(self, arch: Architecture) -> int:
        """Our index of ``arch``: ``sum(ops[e] * K**e)``, in ``0 .. size-1``."""
        if arch.__class__ is Architecture and arch.space == self.name:
            d = self._index_map()
            if d is not None:
                i = d.get(arch.ops)
                if i is not None:
                    return i
        self.check(arch)
        return int(np.dot(np.asarray(arch.ops, dtype=np.int64), self._weights))

    def from_index(self, i: int) -> Architecture:
        """Inverse of :meth:`index` (one shared value per index in spaces up to ``2**20``)."""
        cache = self.__dict__.get("_arch_of")
        if cache is not None:
            a = cache.get(i)
            if a is not None:
                return a
        i = int(i)
        size = self.size
        if not 0 <= i < size:
            raise ValueError(f"{self.name}: index {i} out of range 0..{size - 1}")
        tuples = self.__dict__.get("_ops_tuples")
        if tuples is not None:
            ops = tuples[i]
        else:
            digits, rest, K = [], i, self.n_ops
            for _ in range(self.n_edges):
                rest, o = divmod(rest, K)
                digits.append(o)
            ops = tuple(digits)
        a = _new_arch(self.name, ops)
        if size <= _CACHE_LIMIT:
            if cache is None:
                cache = self.__dict__["_arch_of"] = {}
            cache[i] = a
        return a

    def index_ops(self, ops: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`index`: ``(n, L)`` op ids -> ``(n,)`` int64 indices."""
        ops = np.asarray(ops)
        if ops.ndim != 2 or ops.shape[1] != self.n_edges:
            raise ValueError(f"{self.name}: op array must have shape (n, {self.n_edges}), got {ops.shape}")
        return ops.astype(np.int64) @ self._weights

    def ops_from_index(self, idx: np.ndarray | int) -> np.ndarray:
        """Vectorised :meth:`from_index`: ``(n,)`` indices -> ``(n, L)`` int8 op ids (or ``(L,)``)."""
        idx = np.asarray(idx, dtype=np.int64)
        if np.any((idx < 0) | (idx >= self.size)):
            raise ValueError(f"{self.name}: indices must be in 0..{self.size - 1}")
        return ((idx[..., None] // self._weights) % self.n_ops).astype(np.int8)

    def encode_ops(self, archs: Iterable[Architecture]) -> np.ndarray:
        """Stack architectures into an ``(n, L)`` int8 array of op ids."""
        rows = [self.check(a).ops for a in archs]
        return np.asarray(rows, dtype=np.int8).reshape(len(rows), self.n_edges)

    def decode_ops(self, ops: np.ndarray) -> list[Architecture]:
        """Inverse of :meth:`encode_ops`."""
        ops = np.asarray(ops)
        return [self.arch(row) for row in ops.reshape(-1, self.n_edges)]

    def as_indices(self, archs) -> np.ndarray:
        """Normalise any batch form to an ``(n,)`` int64 index array.

        Accepts a list of :class:`Architecture`, a single :class:`Architecture` or int index, an
        ``(n, L)`` integer op array, or an ``(n,)`` integer index array.  The array forms never loop in
        Python.
        """
        if isinstance(archs, Architecture):
            return np.array([self.index(archs)], dtype=np.int64)
        if isinstance(archs, (int, np.integer)) and not isinstance(archs, bool):  # one index
            return self.as_indices(np.array([archs], dtype=np.int64))
        if isinstance(archs, np.ndarray):
            if not np.issubdtype(archs.dtype, np.integer):
                raise TypeError(f"architecture arrays must be integer, got dtype {archs.dtype}")
            if archs.ndim == 2:
                if archs.shape[1] != self.n_edges:
                    raise ValueError(
                        f"{self.name}: op array must have shape (n, {self.n_edges}), got {archs.shape}"
                    )
                if archs.size and (archs.min() < 0 or archs.max() >= self.n_ops):
                    raise ValueError(f"{self.name}: op ids must be in 0..{self.n_ops - 1}")
                return self.index_ops(archs)
            if archs.ndim == 1:
                idx = archs.astype(np.int64, copy=False)
                if idx.size and (idx.min() < 0 or idx.max() >= self.size):
                    raise ValueError(f"{self.name}: indices must be in 0..{self.size - 1}")
                return idx
            raise ValueError(f"architecture arrays must be 1-D (indices) or 2-D (ops), got {archs.ndim}-D")
        if archs.__class__ is not list:
            archs = list(archs)
        if archs and not isinstance(archs[0], Architecture):
            return self.as_indices(np.asarray(archs))
        n = len(archs)
        if n > 1 and set(map(type, archs)) == {Architecture} and set(map(_get_space, archs)) == {self.name}:
            d = self._index_map()
            if d is not None:  # one dict lookup per architecture (several million a second)
                try:
                    return np.fromiter(map(d.__getitem__, map(_get_ops, archs)), dtype=np.int64, count=n)
                except KeyError:  # a wrong length or op id: the checked path says which
                    pass
        return np.fromiter((self.index(a) for a in archs), dtype=np.int64, count=n)

    # -------------------------------------------------------------- sampling
    def sample(self, rng, n: int | None = None, *, as_array: bool = False):
        """Uniform random architectures.

        Parameters
        ----------
        rng : int or np.random.Generator
        n : int or None
            ``None`` returns one :class:`Architecture`; an int returns a list of ``n``
            (or an ``(n, L)`` int8 op array with ``as_array=True``).
        """
        rng = as_generator(rng)
        k = 1 if n is None else int(n)
        ops = rng.integers(0, self.n_ops, size=(k, self.n_edges)).astype(np.int8)
        if as_array:
            return ops if n is not None else ops[0]
        archs = [Architecture(self.name, tuple(int(o) for o in row)) for row in ops]
        return archs[0] if n is None else archs

    def mutate(self, arch: Architecture, rng) -> Architecture:
        """Change the op of one uniformly chosen edge to a different uniformly chosen op."""
        self.check(arch)
        rng = as_generator(rng)
        e = int(rng.integers(self.n_edges))
        new = int(rng.integers(self.n_ops - 1))
        if new >= arch.ops[e]:
            new += 1
        ops = list(arch.ops)
        ops[e] = new
        return Architecture(self.name, tuple(ops))

    def neighbors(self, arch: Architecture) -> list[Architecture]:
        """All architectures that differ in exactly one edge: ``L * (K - 1)`` of them."""
        self.check(arch)
        out = []
        for e in range(self.n_edges):
            for o in range(self.n_ops):
                if o != arch.ops[e]:
                    ops = list(arch.ops)
                    ops[e] = o
                    out.append(Architecture(self.name, tuple(ops)))
        return out

    def all_ops(self) -> np.ndarray:
        """Every architecture as an ``(size, L)`` int8 array, row ``i`` has index ``i``."""
        return self.ops_from_index(np.arange(self.size))
