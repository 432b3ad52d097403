"""Static cost of a network: parameters, multiply-accumulates and measured latency.

Units (the same as the ``/static`` datasets of a table):

* ``params``: trainable parameters, millions.
* ``flops``: millions of **multiply-accumulates** (MACs) of one forward pass of one example.
  torch's ``FlopCounterMode`` counts 2 FLOPs per multiply-accumulate; we divide by 2 so the
  numbers are on the scale NAS-Bench-201 and HW-NAS-Bench report.  Like torch's counter we
  count convolutions and matrix products (the linear head); batch norm, pooling, additions and
  activations are not counted.
* ``latency_<device>_bs<k>``: median wall time in milliseconds of one forward pass of a batch of
  ``k`` examples, in eval mode under ``torch.inference_mode``, after ``warmup`` untimed passes
  (``torch.cuda.synchronize`` around every timed pass on CUDA).
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import torch

from nasbench.train.models import PRESETS, build_model, count_params
from nasbench.types import Architecture

__all__ = ["count_flops", "measure_latency", "profile_arch", "UNITS"]

UNITS = {
    "params": "millions of parameters",
    "flops": "millions of multiply-accumulates (MACs) per example; torch FLOPs / 2",
    "latency": "ms per forward pass of one batch (median)",
}


def _example_input(model: torch.nn.Module, input_shape: Sequence[int], batch_size: int,
                   device) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)  # fixed input; never touches the global RNG
    x = torch.randn(int(batch_size), *[int(s) for s in input_shape], generator=gen)
    return x.to(device)


def count_flops(model: torch.nn.Module, input_shape: Sequence[int]) -> float:
    """Millions of multiply-accumulates of one forward pass of one example.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int
        Shape of one example without the batch dimension, e.g. ``(3, 32, 32)`` (for a packed
        model: its full channel count, and the result covers all packed copies).

    Uses ``torch.utils.flop_counter.FlopCounterMode`` (2 FLOPs per MAC) and divides by 2.
    """
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    try:
        dev = next(model.parameters()).device
    except StopIteration:
        dev = torch.device("cpu")
    x = _example_input(model, input_shape, 1, dev)
    try:
        with FlopCounterMode(display=False, depth=None) as counter, torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
    return counter.get_total_flops() / 2.0 / 1e6


def measure_latency(model: torch.nn.Module, input_shape: Sequence[int], batch_size: int,
                    device: str | torch.device = "cpu", repeats: int = 20, warmup: int = 5) -> float:
    """Median milliseconds of one forward pass of a ``(batch_size, *input_shape)`` batch.

    The model is moved to ``device`` and put in eval mode (its training flag is restored after);
    the input is a fixed random batch.  ``warmup`` untimed passes come first.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    device = torch.device(device)
    cuda = device.type == "cuda"
    if cuda and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' requested but torch.cuda.is_available() is False")
    was_training = model.training
    model.to(device).eval()
    x = _example_input(model, input_shape, batch_size, device)
    times = np.empty(int(repeats))
    try:
        with torch.inference_mode():
            for _ in range(int(warmup)):
                model(x)
            if cuda:
                torch.cuda.synchronize(device)
            for r in range(int(repeats)):
                t0 = time.perf_counter()
                model(x)
                if cuda:
                    torch.cuda.synchronize(device)
                times[r] = time.perf_counter() - t0
    finally:
        model.train(was_training)
    return float(np.median(times) * 1e3)


def profile_arch(arch: Architecture, preset: str = "nb201-cifar10", device: str = "cpu",
                 batch_sizes: Sequence[int] = (1, 256), repeats: int = 20, warmup: int = 5) -> dict:
    """Params, MACs and latency of one architecture's network (``n_models=1``, seed 0).

    Returns
    -------
    dict
        ``params`` (M), ``flops`` (M MACs per example), ``latency_<device>_bs<k>`` (ms) for every
        ``k`` in ``batch_sizes``, plus ``units``, ``preset``, ``input_shape``, ``device``,
        ``batch_sizes``, ``repeats``, ``warmup``, ``torch``, ``threads``.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' requested but torch.cuda.is_available() is False")
    input_shape = PRESETS[preset].input_shape
    model = build_model(arch, preset, seeds=[0]).eval()  # seeded: the global RNG is untouched
    out: dict = {"params": count_params(model), "flops": count_flops(model, input_shape)}
    model.to(dev)
    for k in batch_sizes:
        out[f"latency_{dev.type}_bs{int(k)}"] = measure_latency(model, input_shape, int(k), dev, repeats, warmup)
    out["units"] = {"params": UNITS["params"], "flops": UNITS["flops"],
                    **{f"latency_{dev.type}_bs{int(k)}": f"ms per forward pass of a batch of {int(k)} (median)"
                       for k in batch_sizes}}
    out.update(preset=preset, input_shape=list(input_shape), device=str(dev),
               batch_sizes=[int(k) for k in batch_sizes], repeats=int(repeats), warmup=int(warmup),
               torch=torch.__version__, threads=torch.get_num_threads() if dev.type == "cpu" else None)
    return out
