"""Networks of NATS-Bench's size space (2-D CIFAR / ImageNet16-120, 1-D MNIST-1D).

NATS-Bench's size-space network (``DynamicShapeTinyNet`` in xautodl's
``models/shape_infers/InferTinyCellNet.py``, read for this module, nothing copied) is the
NAS-Bench-201 skeleton with one cell per stage and a free output width per layer:

* stem: 3x3 conv ``c_in -> w0`` + BN;
* layer 0: cell ``w0 -> w0``; layer 1: ResNet basic block ``w0 -> w1`` (stride 2);
  layer 2: cell ``w1 -> w2``; layer 3: ResNet block ``w2 -> w3`` (stride 2); layer 4: cell ``w3 -> w4``;
* BN + ReLU, global average pooling, linear ``w4 -> n_classes``.

A cell whose input width differs from its output width (``InferCell(genotype, C_in, C_out,
1)``) gives the edges that leave node 0 the input width: the 3x3 convs map ``C_in -> C_out``
and the skip connection becomes xautodl's stride-1 ``FactorizedReduce``, a 1x1 conv ``C_in ->
C_out`` + BN (no ReLU); every other edge is ``C_out -> C_out``.  The fixed cell is
``NATS_SIZE_CELL`` (5 ReLU-Conv3x3-BN edges and one skip).  All ops, the ResNet block, the
batched head and the seed packing are the NB201 builder's (``nasbench.train.models.nb201``), so
``seeds=[s0, s1]`` trains two independent copies as one grouped model, exactly as for NB201.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import torch
import torch.nn as nn

from nasbench.spaces.nb201 import NB201_EDGES, NB201Space
from nasbench.spaces.size import NATS_SIZE_CELL, N_LAYERS, SizeSpace
from nasbench.train.models.nb201 import (GroupedLinear, NetworkConfig, ReLUConvBN, ResNetReduction, _bn, _conv,
                                         _make_op, pack_models)
from nasbench.types import Architecture

__all__ = ["SIZE_PRESETS", "SizeNetwork", "build_size_model", "size_space_of_preset"]

#: size-space presets: the macro settings (``C``, ``N`` and ``drop_dead`` are not used: the
#: widths come from the architecture, there is one cell per stage and the cell has no dead edge)
SIZE_PRESETS: dict[str, NetworkConfig] = {
    "size-cifar10": NetworkConfig(2, 3, 10, (3, 32, 32), N=1),
    "size-cifar100": NetworkConfig(2, 3, 100, (3, 32, 32), N=1),
    "size-imagenet16-120": NetworkConfig(2, 3, 120, (3, 16, 16), N=1),
    "size-mnist1d": NetworkConfig(1, 1, 10, (1, 40), N=1),
}
_PRESET_SPACE = {"size-cifar10": "size", "size-cifar100": "size", "size-imagenet16-120": "size",
                 "size-mnist1d": "size-mnist1d"}


def size_space_of_preset(preset: str) -> str:
    """The space whose widths a size preset uses (``size`` for 2-D, ``size-mnist1d``)."""
    try:
        return _PRESET_SPACE[preset]
    except KeyError:
        raise ValueError(f"unknown size preset {preset!r}; choose from {sorted(SIZE_PRESETS)}") from None


class _Project(nn.Sequential):
    """xautodl's stride-1 ``FactorizedReduce``: 1x1 conv ``c_in -> c_out`` + BN (no ReLU)."""

    def __init__(self, dim: int, c_in: int, c_out: int, g: int):
        super().__init__(_conv(dim)(c_in * g, c_out * g, 1, groups=g, bias=False), _bn(dim)(c_out * g))


class SizeCell(nn.Module):
    """One NB201 cell ``c_in -> c_out`` (stride 1), edges leaving node 0 take ``c_in``."""

    def __init__(self, ops: Sequence[int], dim: int, c_in: int, c_out: int, g: int):
        super().__init__()
        self.edges = nn.ModuleDict()
        self._plan: list[tuple[int, int, str]] = []
        for (k, j), op in zip(NB201_EDGES, ops):
            if op == 0:  # none: not built (the fixed cell has none)
                continue
            key = f"{k}<-{j}"
            if j == 0 and c_in != c_out:
                if op == 1:
                    mod = _Project(dim, c_in, c_out, g)
                elif op in (2, 3):
                    mod = ReLUConvBN(dim, c_in, c_out, 1 if op == 2 else 3, 1, g)
                else:  # avg pool: xautodl preprocesses with ReLU-Conv1x1-BN
                    mod = nn.Sequential(ReLUConvBN(dim, c_in, c_out, 1, 1, g), _make_op(op, dim, c_out, g))
            else:
                mod = _make_op(op, dim, c_out, g)
            self.edges[key] = mod
            self._plan.append((k, j, key))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes: list[torch.Tensor | None] = [x, None, None, None]
        for k, j, key in self._plan:
            y = self.edges[key](nodes[j])
            nodes[k] = y if nodes[k] is None else nodes[k] + y
        return nodes[3]


class SizeNetwork(nn.Module):
    """A size-space network, possibly ``n_models`` packed copies (as ``NB201Network``).

    ``forward(x)``: ``(B, n_models * c_in, *spatial)`` -> logits ``(B, n_models, n_classes)``.
    """

    def __init__(self, widths: Sequence[int], cfg: NetworkConfig, n_models: int = 1,
                 cell: str = NATS_SIZE_CELL, arch: Architecture | None = None):
        super().__init__()
        widths = [int(w) for w in widths]
        if len(widths) != N_LAYERS or min(widths) < 1:
            raise ValueError(f"expected {N_LAYERS} positive widths, got {widths}")
        self.arch, self.widths, self.cfg, self.n_models = arch, tuple(widths), cfg, n_models
        g, dim = n_models, cfg.dim
        ops = NB201Space().from_string(cell).ops
        self.stem = nn.Sequential(_conv(dim)(cfg.in_channels * g, widths[0] * g, 3, padding=1, groups=g, bias=False),
                                  _bn(dim)(widths[0] * g))
        layers: list[nn.Module] = []
        c_prev = widths[0]
        for layer, c in enumerate(widths):
            if layer in (1, 3):
                layers.append(ResNetReduction(dim, c_prev, c, g))
            else:
                layers.append(SizeCell(ops, dim, c_prev, c, g))
            c_prev = c
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(_bn(dim)(c_prev * g), nn.ReLU(inplace=True))
        self.classifier = GroupedLinear(c_prev, cfg.n_classes, g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        x = x.mean(dim=tuple(range(2, x.dim())))
        return self.classifier(x)


def build_size_model(
    arch: Architecture | Sequence[int],
    preset: str | NetworkConfig = "size-cifar10",
    *,
    n_models: int | None = None,
    seeds: Sequence[int] | None = None,
    **overrides,
) -> SizeNetwork:
    """Build the size-space network of ``arch`` (or of 5 explicit widths).

    Parameters
    ----------
    arch : Architecture or sequence of 5 int
        A ``size`` / ``size-mnist1d`` architecture (its widths are its space's channels), or the
        5 channel counts themselves.
    preset : str or NetworkConfig
        ``size-cifar10``, ``size-cifar100``, ``size-imagenet16-120`` (NATS-Bench's networks,
        2-D) or ``size-mnist1d`` (1-D, MNIST-1D).  ``overrides`` replace preset fields.
    n_models, seeds :
        As :func:`nasbench.train.models.build_model`: packed independent copies, copy ``i``
        initialised with ``torch.manual_seed(seeds[i])``.
    """
    if isinstance(preset, NetworkConfig):
        cfg = preset
    else:
        try:
            cfg = SIZE_PRESETS[preset]
        except KeyError:
            raise ValueError(f"unknown size preset {preset!r}; choose from {sorted(SIZE_PRESETS)}") from None
    if overrides:
        cfg = dataclasses.replace(cfg, **overrides)
    if isinstance(arch, Architecture):
        from nasbench.spaces import get_space

        space = get_space(arch.space)
        if not isinstance(space, SizeSpace):
            raise ValueError(f"build_size_model needs a size-space architecture, got space {arch.space!r}")
        widths = space.widths(arch)
    else:
        widths, arch = tuple(int(w) for w in arch), None
    return pack_models(lambda g: SizeNetwork(widths, cfg, g, arch=arch), n_models, seeds)


def size_counts(widths, preset: str | NetworkConfig = "size-mnist1d") -> tuple:
    """Exact params (millions) and MACs (millions per example) of size-space networks, vectorised.

    Closed form of the network :class:`SizeNetwork` builds (one copy), equal to
    ``count_params`` and ``nasbench.train.profile.count_flops`` (convolutions and the linear head;
    BN, pooling, additions not counted), without building anything: the whole space in
    milliseconds.

    Parameters
    ----------
    widths : array of int, shape (n, 5)
    preset : str or NetworkConfig

    Returns
    -------
    params, macs : ndarray of shape (n,), float64
    """
    import numpy as np

    cfg = preset if isinstance(preset, NetworkConfig) else SIZE_PRESETS[preset]
    w = np.asarray(widths, dtype=np.float64).reshape(-1, N_LAYERS)
    d = cfg.dim
    k3 = 3.0**d
    cin, ncls = float(cfg.in_channels), float(cfg.n_classes)
    p0 = float(np.prod(cfg.input_shape[1:]))
    p1 = p0 / 2**d
    p2 = p1 / 2**d

    def cell(ci, co):  # params, MACs per position
        proj = np.where(ci != co, ci * co, 0.0)
        conv = 2 * ci * co * k3 + 3 * co * co * k3 + proj
        return conv + 2 * (5 * co) + np.where(ci != co, 2 * co, 0.0), conv

    def red(ci, co):
        conv = ci * co * k3 + co * co * k3 + ci * co
        return conv + 2 * (2 * co), conv

    stem_p, stem_m = cin * w[:, 0] * k3 + 2 * w[:, 0], cin * w[:, 0] * k3 * p0
    c0 = cell(w[:, 0], w[:, 0])
    r1 = red(w[:, 0], w[:, 1])
    c2 = cell(w[:, 1], w[:, 2])
    r3 = red(w[:, 2], w[:, 3])
    c4 = cell(w[:, 3], w[:, 4])
    head_p = 2 * w[:, 4] + w[:, 4] * ncls + ncls
    params = stem_p + c0[0] + r1[0] + c2[0] + r3[0] + c4[0] + head_p
    macs = stem_m + c0[1] * p0 + r1[1] * p1 + c2[1] * p1 + r3[1] * p2 + c4[1] * p2 + w[:, 4] * ncls
    return params / 1e6, macs / 1e6
