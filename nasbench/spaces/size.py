"""A chain-structured size space: NATS-Bench's size search space (Dong et al., TPAMI 2021).

The network is NAS-Bench-201's macro skeleton with one cell per stage (``N = 1``) and a fixed
cell, NATS-Bench's own (the best cell of the topology space)::

    |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|

What is searched is the output channel count of each of its 5 layers, in NATS-Bench's order:
``cell, reduction block, cell, reduction block, cell`` (the stem outputs layer 0's width; see
:func:`nasbench.train.models.size.build_size_model`).  Each layer has 8 candidate widths, so the
space has ``8**5 = 32,768`` architectures, all distinct (no two compute the same function).

Encoding (fixed):

* an :class:`~nasbench.types.Architecture`'s ``ops`` are the 5 *width choices* (ids 0..7 into
  the space's ``channels``, ascending), in layer order;
* ``index(a) = sum(ops[l] * 8**l)`` (layer 0 is the least significant digit);
* strings are NATS-Bench's: the widths joined by ``:``, e.g. ``"64:32:16:48:24"``.

Two spaces share this shape: :class:`SizeSpace` (``"size"``) with NATS-Bench's widths
``{8, 16, ..., 64}`` for the 2-D CIFAR / ImageNet16-120 networks, and :class:`SizeMNIST1DSpace`
(``"size-mnist1d"``) with the widths of the 1-D MNIST-1D preset (the README's "The size space"
says how they were chosen).  The op ids, indices and strategies are the same in both; the
strings name the widths of their own space.
"""
from __future__ import annotations

import re

import numpy as np

from nasbench.space import SearchSpace
from nasbench.types import Architecture

__all__ = ["SizeSpace", "SizeMNIST1DSpace", "NATS_SIZE_CELL", "NATS_CHANNELS", "MNIST1D_CHANNELS",
           "N_LAYERS", "LAYER_KINDS"]

#: NATS-Bench's fixed cell of the size space (NB201 string)
NATS_SIZE_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
#: NATS-Bench's candidate widths (``candidate Cs`` of the size space)
NATS_CHANNELS: tuple[int, ...] = (8, 16, 24, 32, 40, 48, 56, 64)
#: the 1-D MNIST-1D preset's candidate widths (README "The size space": pilot and reasons)
MNIST1D_CHANNELS: tuple[int, ...] = (4, 6, 8, 10, 12, 14, 16, 20)
N_LAYERS = 5
#: what each of the 5 layers is (NATS-Bench: ``[False]*N + [True] + [False]*N + [True] + [False]*N``)
LAYER_KINDS: tuple[str, ...] = ("cell", "reduction", "cell", "reduction", "cell")
_STRING = re.compile(r"^\d+(:\d+){4}$")


class SizeSpace(SearchSpace):
    """NATS-Bench's size space: 5 layers x 8 widths = 32,768 architectures.

    Every architecture is its own equivalence class (``canonical(a) == a``).  Besides the
    :class:`~nasbench.space.SearchSpace` interface: :meth:`widths` / :meth:`widths_of`
    (vectorised) give channel counts, :meth:`from_widths` builds an architecture from them.
    """

    name = "size"
    channels: tuple[int, ...] = NATS_CHANNELS
    n_edges = N_LAYERS
    layer_kinds = LAYER_KINDS
    cell = NATS_SIZE_CELL

    @property
    def op_names(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(str(c) for c in self.channels)

    # ---------------------------------------------------------------- widths
    def widths(self, arch: Architecture) -> tuple[int, ...]:
        """The 5 channel counts of ``arch``, in layer order."""
        return tuple(self.channels[o] for o in self.check(arch).ops)

    def widths_of(self, archs) -> np.ndarray:
        """Vectorised :meth:`widths`: any batch form (see ``as_indices``) -> ``(n, 5)`` int64."""
        ops = self.ops_from_index(self.as_indices(archs)).astype(np.int64)
        return np.asarray(self.channels, dtype=np.int64)[ops]

    def from_widths(self, widths) -> Architecture:
        """The architecture with these 5 channel counts (each must be a candidate)."""
        widths = [int(w) for w in widths]
        if len(widths) != N_LAYERS:
            raise ValueError(f"{self.name}: expected {N_LAYERS} widths, got {len(widths)}")
        bad = [w for w in widths if w not in self.channels]
        if bad:
            raise ValueError(f"{self.name}: widths {bad} are not candidates; choose from {list(self.channels)}")
        return Architecture(self.name, tuple(self.channels.index(w) for w in widths))

    # ---------------------------------------------------------------- strings
    def to_string(self, arch: Architecture) -> str:
        """NATS-Bench's string, e.g. ``"64:32:16:48:24"``."""
        return ":".join(str(w) for w in self.widths(arch))

    def from_string(self, s: str) -> Architecture:
        """Parse a NATS-Bench size string; ``ValueError`` names what is malformed."""
        if not isinstance(s, str):
            raise TypeError(f"architecture string must be str, got {type(s).__name__}")
        if not _STRING.match(s.strip()):
            raise ValueError(f"malformed size string {s!r}: expected 5 widths joined by ':', e.g. "
                             f"{':'.join(str(c) for c in self.channels[-1:] * 5)!r}")
        return self.from_widths(s.strip().split(":"))

    # ---------------------------------------------------------- equivalence
    def canonical(self, arch: Architecture, rule: str = "function") -> Architecture:
        """Every architecture is its own class."""
        return self.check(arch)

    def class_index(self, rule: str = "function") -> np.ndarray:
        """``(32768,)`` int64: ``arange`` (no two architectures share a class)."""
        return np.arange(self.size, dtype=np.int64)

    def unique_indices(self, rule: str = "function") -> np.ndarray:
        return np.arange(self.size, dtype=np.int64)

    def unique(self, rule: str = "function") -> list[Architecture]:
        return [self.from_index(i) for i in range(self.size)]

    # ---------------------------------------------------------- chain moves
    def step_neighbors(self, arch: Architecture) -> list[Architecture]:
        """The ordinal neighbourhood: one layer one width step up or down (at most 10)."""
        ops = self.check(arch).ops
        out = []
        for l in range(N_LAYERS):
            for d in (-1, 1):
                o = ops[l] + d
                if 0 <= o < self.n_ops:
                    out.append(Architecture(self.name, ops[:l] + (o,) + ops[l + 1:]))
        return out

    # -------------------------------------------------------------- interop
    def to_configspace(self, seed: int | None = None):
        """Export as a ``ConfigSpace.ConfigurationSpace`` with 5 ordinals ``channels_<l>``.

        Needs the optional dependency ``ConfigSpace`` (``pip install nasbench[configspace]``).
        """
        try:
            import ConfigSpace as CS
        except ImportError as err:  # pragma: no cover - depends on environment
            raise ImportError("to_configspace needs ConfigSpace: pip install 'nasbench[configspace]'") from err
        cs = CS.ConfigurationSpace(name=self.name, seed=seed)
        for l in range(N_LAYERS):
            cs.add(CS.OrdinalHyperparameter(f"channels_{l}", list(self.channels)))
        return cs

    def from_config(self, config) -> Architecture:
        """Inverse of :meth:`to_configspace` for one configuration (dict-like)."""
        return self.from_widths([config[f"channels_{l}"] for l in range(N_LAYERS)])


class SizeMNIST1DSpace(SizeSpace):
    """The size space of the 1-D MNIST-1D preset: widths ``{4, 6, 8, 10, 12, 14, 16, 20}`` per layer."""

    name = "size-mnist1d"
    channels = MNIST1D_CHANNELS
