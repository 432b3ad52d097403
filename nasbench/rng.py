"""Randomness helpers: every random choice goes through an explicit ``np.random.Generator``."""
from __future__ import annotations

import numpy as np

__all__ = ["as_generator", "spawn"]


def as_generator(seed: int | np.random.Generator | np.random.SeedSequence) -> np.random.Generator:
    """Turn an int, ``SeedSequence`` or ``Generator`` into a ``Generator``.

    ``None`` is refused on purpose: nasbench never picks a seed for you.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise TypeError("a seed is required (int or np.random.Generator); nasbench never picks one")
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(f"seed must be an int or np.random.Generator, got {type(seed).__name__}")


def spawn(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seed sequences of ``seed`` (``SeedSequence.spawn``)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    return ss.spawn(n)
