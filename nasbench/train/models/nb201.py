"""NAS-Bench-201 networks, 2-D (faithful CIFAR / ImageNet16-120) and 1-D (MNIST-1D).

The macro skeleton (Dong & Yang 2020, NAS-Bench-201 section 2.1): a 3x3 stem conv + BN, three
stages of ``N`` cells with ``C``, ``2C``, ``4C`` channels, a reduction block between stages, then
BN + ReLU + global average pooling + a linear classifier.  Cell ops are ReLU-Conv-BN
(``nor_conv_*``), 3x3 average pooling (stride 1, padding 1, padding not counted), identity and
zero.  NAS-Bench-201's reduction block is a ResNet basic block (two ReLU-Conv-BN 3x3, the first
with stride 2, plus a shortcut of 2x2 average pooling and a 1x1 conv).  The ``light`` block is
2-average pooling, a 1x1 conv and BN.

Several independently initialised copies of one architecture can be packed into one module
(``n_models=k``): every conv is grouped, every BN covers ``k`` channel blocks and the head is a
batched linear layer.  Copy ``i`` sees input channels ``i*c_in:(i+1)*c_in`` and writes logits
``[:, i]``; the copies share no parameter, so training them with the summed loss is training
each on its own.  With ``seeds=`` copy ``i`` starts from exactly the weights that
``build_model(arch, preset, seeds=[seeds[i]])`` gets.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from nasbench.spaces.nb201 import NB201_EDGES, NB201_OPS, NB201Space
from nasbench.types import Architecture

__all__ = ["NetworkConfig", "PRESETS", "build_model", "count_params", "pack_models"]


@dataclass(frozen=True)
class NetworkConfig:
    """Macro settings of a NB201-style network.

    Attributes
    ----------
    dim : int
        1 for sequences ``(B, c_in, L)``, 2 for images ``(B, c_in, H, W)``.
    in_channels, n_classes : int
    input_shape : tuple of int
        Shape of one example without the batch dimension.
    C : int
        Channels of the first stage (doubled at each reduction).
    N : int
        Cells per stage.
    reduction : {"resnet", "light"}
    drop_dead : bool
        Omit edges that are not on a live input->output path (so that every architecture of
        one ``rule="function"`` class computes the same function); ``False`` builds every edge
        as NAS-Bench-201 does, including ``none`` (a multiply by zero) and unreachable convs.
    """

    dim: int
    in_channels: int
    n_classes: int
    input_shape: tuple[int, ...]
    C: int = 16
    N: int = 5
    reduction: str = "resnet"
    drop_dead: bool = False


PRESETS: dict[str, NetworkConfig] = {
    "nb201-cifar10": NetworkConfig(2, 3, 10, (3, 32, 32)),
    "nb201-cifar100": NetworkConfig(2, 3, 100, (3, 32, 32)),
    "nb201-imagenet16-120": NetworkConfig(2, 3, 120, (3, 16, 16)),
    "nb201-mnist1d": NetworkConfig(1, 1, 10, (1, 40), C=8, N=1, reduction="light", drop_dead=True),
}


def _conv(dim: int):
    return nn.Conv1d if dim == 1 else nn.Conv2d


def _bn(dim: int):
    return nn.BatchNorm1d if dim == 1 else nn.BatchNorm2d


class ReLUConvBN(nn.Sequential):
    def __init__(self, dim: int, c_in: int, c_out: int, k: int, stride: int, g: int):
        super().__init__(
            nn.ReLU(inplace=False),
            _conv(dim)(c_in * g, c_out * g, k, stride=stride, padding=k // 2, groups=g, bias=False),
            _bn(dim)(c_out * g),
        )


class AvgPool3(nn.Module):
    """3-wide average pooling, stride 1, padding 1, padding excluded from the count.

    The 1-D case is a shift-and-sum with a precomputed 1/count (much faster on CPU than
    ``AvgPool1d(count_include_pad=False)``); the 2-D case uses ``AvgPool2d``.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False) if dim == 2 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            return self.pool(x)
        L = x.shape[-1]
        xp = F.pad(x, (1, 1))
        s = xp[..., :-2] + xp[..., 1:-1] + xp[..., 2:]
        if L == 1:
            return x
        inv = torch.full((L,), 1.0 / 3.0, dtype=x.dtype, device=x.device)
        inv[0] = inv[-1] = 0.5
        return s * inv


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def _make_op(op: int, dim: int, C: int, g: int) -> nn.Module:
    name = NB201_OPS[op]
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(dim, C, C, 1, 1, g)
    if name == "nor_conv_3x3":
        return ReLUConvBN(dim, C, C, 3, 1, g)
    if name == "avg_pool_3x3":
        return AvgPool3(dim)
    raise ValueError(f"unknown op {name!r}")  # pragma: no cover


class Cell(nn.Module):
    """One NB201 cell; ``edges`` holds only the built edges, keyed ``"k<-j"``."""

    def __init__(self, ops: Sequence[int], dim: int, C: int, g: int, live: Sequence[bool] | None):
        super().__init__()
        self.edges = nn.ModuleDict()
        self._plan: list[tuple[int, int, str]] = []
        for e, ((k, j), op) in enumerate(zip(NB201_EDGES, ops)):
            if live is not None and not live[e]:
                continue
            key = f"{k}<-{j}"
            self.edges[key] = _make_op(op, dim, C, g)
            self._plan.append((k, j, key))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes: list[torch.Tensor | None] = [x, None, None, None]
        for k, j, key in self._plan:
            src = nodes[j]
            if src is None:  # only happens for built-but-dead edges (drop_dead=False)
                src = torch.zeros_like(x)
            y = self.edges[key](src)
            nodes[k] = y if nodes[k] is None else nodes[k] + y
        out = nodes[3]
        return torch.zeros_like(x) if out is None else out


class ResNetReduction(nn.Module):
    def __init__(self, dim: int, c_in: int, c_out: int, g: int):
        super().__init__()
        self.conv_a = ReLUConvBN(dim, c_in, c_out, 3, 2, g)
        self.conv_b = ReLUConvBN(dim, c_out, c_out, 3, 1, g)
        pool = nn.AvgPool1d(2, 2) if dim == 1 else nn.AvgPool2d(2, 2)
        self.downsample = nn.Sequential(pool, _conv(dim)(c_in * g, c_out * g, 1, groups=g, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class LightReduction(nn.Sequential):
    def __init__(self, dim: int, c_in: int, c_out: int, g: int):
        pool = nn.AvgPool1d(2, 2) if dim == 1 else nn.AvgPool2d(2, 2)
        super().__init__(pool, _conv(dim)(c_in * g, c_out * g, 1, groups=g, bias=False), _bn(dim)(c_out * g))


class GroupedLinear(nn.Module):
    """``n_models`` independent linear layers: ``(B, g*C) -> (B, g, n_out)``."""

    def __init__(self, c_in: int, n_out: int, g: int):
        super().__init__()
        self.g = g
        self.weight = nn.Parameter(torch.empty(g, n_out, c_in))
        self.bias = nn.Parameter(torch.empty(g, n_out))
        for i in range(g):  # same init as nn.Linear
            ref = nn.Linear(c_in, n_out)
            with torch.no_grad():
                self.weight[i].copy_(ref.weight)
                self.bias[i].copy_(ref.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(x.shape[0], self.g, -1)
        return torch.einsum("bgc,goc->bgo", x, self.weight) + self.bias


class NB201Network(nn.Module):
    """A NB201-style network, possibly ``n_models`` packed copies.

    ``forward(x)``: ``x`` of shape ``(B, n_models * c_in, *spatial)`` -> logits
    ``(B, n_models, n_classes)``; with ``n_models == 1`` an input ``(B, c_in, *spatial)``
    gives ``(B, 1, n_classes)``.
    """

    def __init__(self, arch: Architecture, cfg: NetworkConfig, n_models: int = 1):
        super().__init__()
        space = NB201Space()
        ops = space.check(arch).ops
        self.arch, self.cfg, self.n_models = arch, cfg, n_models
        g, dim, C = n_models, cfg.dim, cfg.C
        live = tuple(space.live_edges(arch)) if cfg.drop_dead else None
        self.stem = nn.Sequential(
            _conv(dim)(cfg.in_channels * g, C * g, 3, padding=1, groups=g, bias=False), _bn(dim)(C * g)
        )
        layers: list[nn.Module] = []
        c = C
        for stage in range(3):
            if stage > 0:
                block = ResNetReduction if cfg.reduction == "resnet" else LightReduction
                layers.append(block(dim, c, 2 * c, g))
                c *= 2
            layers.extend(Cell(ops, dim, c, g, live) for _ in range(cfg.N))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(_bn(dim)(c * g), nn.ReLU(inplace=True))
        self.classifier = GroupedLinear(c, cfg.n_classes, g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        x = x.mean(dim=tuple(range(2, x.dim())))
        return self.classifier(x)


def _resolve(preset: str | NetworkConfig, overrides: dict) -> NetworkConfig:
    if isinstance(preset, NetworkConfig):
        cfg = preset
    else:
        try:
            cfg = PRESETS[preset]
        except KeyError:
            raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}") from None
    return dataclasses.replace(cfg, **overrides) if overrides else cfg


def build_model(
    arch: Architecture,
    preset: str | NetworkConfig = "nb201-cifar10",
    *,
    n_models: int | None = None,
    seeds: Sequence[int] | None = None,
    **overrides,
) -> NB201Network:
    """Build the network of ``arch``.

    Parameters
    ----------
    arch : Architecture
        An ``nb201`` architecture.
    preset : str or NetworkConfig
        ``nb201-cifar10``, ``nb201-cifar100``, ``nb201-imagenet16-120`` (NAS-Bench-201's own
        networks, C=16, N=5, ResNet reductions) or ``nb201-mnist1d`` (1-D, C=8, N=1, light
        reductions, dead edges dropped).  Keyword ``overrides`` replace preset fields
        (``C=``, ``N=``, ``reduction=``, ``drop_dead=``).
    n_models : int, optional
        Number of packed independent copies (default ``len(seeds)`` or 1).
    seeds : sequence of int, optional
        Initialise copy ``i`` with ``torch.manual_seed(seeds[i])`` (torch's global RNG state is
        saved and restored).  Without seeds, torch's current global RNG is used.
    """
    if arch.space != "nb201" and isinstance(preset, str) and preset.startswith("size-"):
        from nasbench.train.models.size import build_size_model  # size-space networks

        return build_size_model(arch, preset, n_models=n_models, seeds=seeds, **overrides)
    cfg = _resolve(preset, overrides)
    return pack_models(lambda g: NB201Network(arch, cfg, g), n_models, seeds)


def pack_models(make, n_models: int | None, seeds: Sequence[int] | None) -> nn.Module:
    """``make(g)`` builds a network of ``g`` packed copies; with ``seeds``, copy ``i`` gets
    exactly the weights of ``make(1)`` under ``torch.manual_seed(seeds[i])`` (torch's global RNG
    state is saved and restored).  ``n_models`` defaults to ``len(seeds)`` or 1 and must agree
    with ``seeds``.  Used by every builder that packs seeds."""
    if seeds is not None:
        seeds = [int(s) for s in seeds]
        if n_models is not None and n_models != len(seeds):
            raise ValueError(f"n_models={n_models} but {len(seeds)} seeds given")
        n_models = len(seeds)
    n_models = 1 if n_models is None else int(n_models)
    if n_models < 1:
        raise ValueError("n_models must be >= 1")
    if seeds is None:
        return make(n_models)
    singles = []
    for s in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s)
            singles.append(make(1))
    if n_models == 1:
        return singles[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seeds[0])
        model = make(n_models)
    packed = {}
    single_states = [m.state_dict() for m in singles]  # once per model, not once per tensor
    for name, ref in model.state_dict().items():
        parts = [sd[name] for sd in single_states]
        packed[name] = parts[0] if ref.dim() == 0 else torch.cat(parts, dim=0)  # (1, ...) each -> (g, ...)
    model.load_state_dict(packed)
    return model


def count_params(model: nn.Module, per_model: bool = True) -> float:
    """Trainable parameters in millions (per packed copy when ``per_model``)."""
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    g = getattr(model, "n_models", 1) if per_model else 1
    return n / g / 1e6
