"""Which size-space architectures to train, in which order, and which are held out.

The size space (32,768 architectures) is too large to train exhaustively, so a surrogate
benchmark is fitted on a trained sample (NAS-Bench-301's approach).  :func:`size_plan` orders
the sample so that any prefix is itself a good sample (a run can stop anywhere):

1. landmarks: all layers at the smallest, largest and middle widths, and two pyramids (the
   pilot's width vectors, so the table can be checked against the pilot);
2. Latin-hypercube blocks of 64 architectures: in each block every layer takes each of its 8
   widths exactly 8 times (a random permutation per layer), so each block is balanced in every
   layer's marginal; an architecture already planned is skipped (the order stays prefix-stable:
   asking for more appends, it never reorders).

The held-out split is a property of the architecture, not of the plan: :func:`is_holdout` is
true for a fixed random eighth of the whole space (``HOLDOUT_SEED``), so every trained sample
contains about 1/8 held-out architectures, whatever its size, and the architectures trained
later (incumbents of searches on the surrogate) have a defined split too.  Surrogates are
fitted on the trained architectures that are not held out and scored on those that are.
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = ["size_plan", "is_holdout", "HOLDOUT_SEED", "HOLDOUT_FRACTION", "LANDMARKS"]

HOLDOUT_SEED = 20260301
HOLDOUT_FRACTION = 0.125
#: width choices (ids 0..7) trained first
LANDMARKS: tuple[tuple[int, ...], ...] = ((0,) * 5, (7,) * 5, (3,) * 5, (1,) * 5, (5,) * 5,
                                          (0, 1, 3, 5, 7), (7, 5, 3, 1, 0))


@functools.lru_cache(maxsize=4)
def _holdout_mask(size: int) -> np.ndarray:
    rank = np.random.default_rng(HOLDOUT_SEED).permutation(size)
    mask = rank < int(round(HOLDOUT_FRACTION * size))
    mask.setflags(write=False)
    return mask


def is_holdout(index, size: int = 8**5) -> np.ndarray:
    """``(n,)`` bool (or a bool for a scalar): is architecture ``index`` in the held-out split?"""
    idx = np.asarray(index, dtype=np.int64)
    out = _holdout_mask(int(size))[idx]
    return bool(out) if out.ndim == 0 else out


def size_plan(space, n: int, order_seed: int = 0) -> np.ndarray:
    """``(n,)`` int64: the first ``n`` architectures (indices of ``space``) to train, in order.

    Parameters
    ----------
    space : SizeSpace
        A size space (5 layers, 8 widths).
    n : int
        How many to plan (at most ``space.size``).
    order_seed : int
        Seed of the Latin-hypercube blocks.
    """
    n = int(n)
    if not 0 <= n <= space.size:
        raise ValueError(f"n must be in 0..{space.size}, got {n}")
    L, K = space.n_edges, space.n_ops
    out: list[int] = []
    seen: set[int] = set()

    def add(i: int) -> None:
        if i not in seen:
            seen.add(i)
            out.append(i)

    for ops in LANDMARKS:
        add(int(space.index_ops(np.array([ops]))[0]))
    rng = np.random.default_rng(order_seed)
    block = K * K
    while len(out) < n:
        ops = np.stack([rng.permutation(np.repeat(np.arange(K), block // K)) for _ in range(L)], 1)
        for i in space.index_ops(ops).tolist():
            add(int(i))
        if len(seen) == space.size:
            break
    return np.asarray(out[:n], dtype=np.int64)
