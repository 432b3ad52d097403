"""DARTS (first order), GDAS and SPOS + regularized evolution on the NB201 supernet.

All three follow AutoDL-Projects' NB201 search scripts where this text is silent
(``exps/NAS-Bench-201-algos/{DARTS-V1,GDAS}.py``, ``configs/nas-benchmark/algos/*.config``):

- network weights: SGD, Nesterov momentum 0.9, lr 0.025 cosine to 0.001 per step, weight decay
  5e-4, gradient clipping 5, on the *training* split;
- architecture parameters ``alpha`` ``(6, 5)`` initialised ``1e-3 * N(0, 1)``: Adam lr 3e-4,
  betas (0.5, 0.999), weight decay 1e-3, on the *validation* split (the table's ``val`` split;
  the table's ``test`` split is never touched), one weight step then one architecture step per
  batch pair;
- DARTS: every edge is the softmax(alpha)-weighted sum of the five ops; first-order gradient
  for alpha (DARTS-V1);
- GDAS: per step one Gumbel-max sample per edge (``tau`` linear from 10 to 0.1 over the
  epochs), hard one-hot forward with straight-through gradients, only the sampled op runs;
- derivation (both): the argmax op of alpha on every edge, ``none`` included (AutoDL's
  ``genotype()``);
- SPOS + RE: the supernet is trained by uniform single-path sampling
  (:class:`~nasbench.estimators.supernet.Supernet`); after every epoch a regularized evolution
  (population ``re_population``, tournament ``re_sample``, ``re_cycles`` children per epoch,
  mutation = :meth:`NB201Space.mutate`) continues with fitness = validation accuracy with
  inherited weights after BN recalibration (the population is re-scored with the new weights
  each epoch); the derived architecture is the fittest member of the population.

Cell-op BatchNorm (``bn_affine``, ``bn_track``) is an option, recorded in the result (defaults:
:meth:`OneShotConfig.bn`); ``bn_track=False`` normalises with batch statistics in search and
evaluation.  Time: one-thread process CPU seconds on CPU (the table's clock), wall
seconds on CUDA (AMP where ``amp``).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from nasbench.estimators.supernet import N_EDGES, N_OPS, Supernet, SuperNetwork, cpu_clock
from nasbench.spaces.nb201 import NB201Space
from nasbench.types import Architecture

__all__ = ["METHODS", "OneShotConfig", "SearchResult", "search", "derive"]

METHODS = ("darts", "gdas", "spos-re")
_DEFAULT_EPOCHS = {"darts": 30, "gdas": 50, "spos-re": 30}


@dataclass(frozen=True)
class OneShotConfig:
    """Settings of one one-shot search (see the module docstring for the defaults' origin).

    ``epochs=None`` picks the method's default (DARTS 30, GDAS 50, SPOS-RE 30: a few CPU minutes).
    """

    method: str = "darts"
    preset: str = "nb201-mnist1d"
    task: str = "mnist1d"
    epochs: int | None = None
    batch_size: int = 64
    lr: float = 0.025
    lr_min: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 5e-4
    grad_clip: float = 5.0
    arch_lr: float = 3e-4
    arch_weight_decay: float = 1e-3
    tau_max: float = 10.0
    tau_min: float = 0.1
    bn_affine: bool | None = None
    bn_track: bool | None = None
    spos_lr: float = 0.05
    spos_batch_size: int = 128
    re_population: int = 10
    re_sample: int = 3
    re_cycles: int = 5
    device: str = "cpu"
    threads: int | None = 1
    amp: bool = True

    def bn(self) -> tuple[bool, bool]:
        """(affine, track): defaults False/False for DARTS and GDAS (AutoDL's search cells: BN
        without affine, batch statistics), True/True for SPOS-RE (the table network's BN; running
        statistics are what BN recalibration resets)."""
        d = (True, True) if self.method == "spos-re" else (False, False)
        return (d[0] if self.bn_affine is None else bool(self.bn_affine),
                d[1] if self.bn_track is None else bool(self.bn_track))

    def resolved_epochs(self) -> int:
        return int(self.epochs if self.epochs is not None else _DEFAULT_EPOCHS[self.method])

    def replace(self, **kw) -> "OneShotConfig":
        return dataclasses.replace(self, **kw)


@dataclass
class SearchResult:
    """Per-epoch record of one search.

    Attributes
    ----------
    derived : ndarray (E,) int64
        NB201 index of the architecture derived after each epoch.
    seconds : ndarray (E,)
        Search cost of each epoch (supernet training + arch updates + derivation/fitness), in
        ``basis`` seconds.
    alphas : ndarray (E, 6, 5) or None
        softmax(alpha) per edge after each epoch (DARTS, GDAS).
    history : list of dict
        Per-epoch extras (train loss, tau, fitness of the derived architecture).
    """

    method: str
    seed: int
    config: dict
    derived: np.ndarray
    seconds: np.ndarray
    alphas: np.ndarray | None
    history: list = field(default_factory=list)
    basis: str = "process_cpu"


def _cfg_dict(cfg: OneShotConfig) -> dict:
    d = dataclasses.asdict(cfg)
    d["epochs"], (d["bn_affine"], d["bn_track"]) = cfg.resolved_epochs(), cfg.bn()
    return d


def derive(alpha: torch.Tensor | np.ndarray) -> Architecture:
    """Argmax op per edge (``none`` included), as AutoDL's ``genotype()``."""
    a = np.asarray(alpha.detach().cpu() if isinstance(alpha, torch.Tensor) else alpha)
    return Architecture("nb201", tuple(int(o) for o in a.argmax(-1)))


def _gumbel_hard(alpha: torch.Tensor, tau: float, gen: torch.Generator):
    """AutoDL's GDAS sampling: (straight-through one-hot, sampled index per edge)."""
    while True:
        g = -torch.empty(alpha.shape).exponential_(generator=gen).log().to(alpha.device)
        logits = (alpha.log_softmax(dim=1) + g) / tau
        probs = F.softmax(logits, dim=1)
        index = probs.max(-1, keepdim=True)[1]
        one_h = torch.zeros_like(logits).scatter_(-1, index, 1.0)
        hard = one_h - probs.detach() + probs
        if torch.isfinite(hard).all():
            return hard, index[:, 0].tolist()


def search(cfg: OneShotConfig, seed: int, *, task=None,
           on_epoch: Callable[[int, Architecture, dict], None] | None = None) -> SearchResult:
    """Run ``cfg.method`` with ``seed``; ``on_epoch(epoch, derived, record)`` observes each epoch."""
    if cfg.method not in METHODS:
        raise ValueError(f"unknown method {cfg.method!r}; choose from {METHODS}")
    from nasbench.train.data import load_task
    from nasbench.train.trainer import resolve_device

    task = task if task is not None else load_task(cfg.task)
    device = resolve_device(cfg.device)
    prev_threads = torch.get_num_threads()
    if device.type == "cpu" and cfg.threads is not None:
        torch.set_num_threads(int(cfg.threads))
    try:
        if cfg.method == "spos-re":
            return _spos_re(cfg, seed, task, device, on_epoch)
        return _gradient(cfg, seed, task, device, on_epoch)
    finally:
        torch.set_num_threads(prev_threads)


def _gradient(cfg: OneShotConfig, seed: int, task, device, on_epoch) -> SearchResult:
    from nasbench.train.models import PRESETS

    E = cfg.resolved_epochs()
    clock, basis = cpu_clock(device)
    t_setup = clock()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        net = SuperNetwork(PRESETS[cfg.preset], *cfg.bn()).to(device)
        alpha = nn.Parameter(1e-3 * torch.randn(N_EDGES, N_OPS).to(device))
    w_opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=True,
                            weight_decay=cfg.weight_decay)
    a_opt = torch.optim.Adam([alpha], lr=cfg.arch_lr, betas=(0.5, 0.999), weight_decay=cfg.arch_weight_decay)
    ss = np.random.SeedSequence([int(seed), 2011])
    g_data = torch.Generator().manual_seed(int(ss.generate_state(1)[0]))
    g_gumbel = torch.Generator().manual_seed(int(ss.generate_state(2)[1]))
    xtr, ytr = torch.as_tensor(task.x_train, device=device), torch.as_tensor(task.y_train, device=device)
    xva, yva = torch.as_tensor(task.x_val, device=device), torch.as_tensor(task.y_val, device=device)
    n, nv, B = len(ytr), len(yva), cfg.batch_size
    spe = math.ceil(n / B)
    total = E * spe
    use_amp = cfg.amp and device.type == "cuda"
    setup_s = clock() - t_setup
    derived, secs, alphas, hist = [], [], [], []
    step = 0
    for ep in range(E):
        t0 = clock()
        net.train()
        tau = cfg.tau_max - (cfg.tau_max - cfg.tau_min) * ep / max(E - 1, 1)
        perm = torch.randperm(n, generator=g_data).to(device)
        vperm = torch.randperm(nv, generator=g_data).to(device)
        loss_sum = aloss_sum = 0.0
        for b in range(spe):
            idx = perm[b * B:(b + 1) * B]
            vidx = vperm[(b * B) % nv:(b * B) % nv + B]
            lr = cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1 + math.cos(math.pi * step / total))
            for pg in w_opt.param_groups:
                pg["lr"] = lr
            # weights on the training split
            w_opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, enabled=use_amp):
                if cfg.method == "darts":
                    logits = net.weights(xtr[idx], F.softmax(alpha, dim=-1).detach())
                else:
                    h, ix = _gumbel_hard(alpha.detach(), tau, g_gumbel)
                    logits = net.hard(xtr[idx], h, ix)
                loss = F.cross_entropy(logits.float(), ytr[idx])
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            w_opt.step()
            # architecture on the validation split
            a_opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, enabled=use_amp):
                if cfg.method == "darts":
                    alog = net.weights(xva[vidx], F.softmax(alpha, dim=-1))
                else:
                    h, ix = _gumbel_hard(alpha, tau, g_gumbel)
                    alog = net.hard(xva[vidx], h, ix)
                aloss = F.cross_entropy(alog.float(), yva[vidx])
            net.zero_grad(set_to_none=True)
            aloss.backward()
            a_opt.step()
            step += 1
            loss_sum += float(loss.detach())
            aloss_sum += float(aloss.detach())
        arch = derive(alpha)
        dt = clock() - t0 + (setup_s if ep == 0 else 0.0)
        p = F.softmax(alpha.detach(), dim=-1).cpu().numpy().astype(np.float64)
        rec = {"epoch": ep + 1, "seconds": dt, "train_loss": loss_sum / spe, "arch_loss": aloss_sum / spe,
               "tau": tau if cfg.method == "gdas" else None}
        derived.append(NB201Space().index(arch))
        secs.append(dt)
        alphas.append(p)
        hist.append(rec)
        if on_epoch is not None:
            on_epoch(ep + 1, arch, rec)
    return SearchResult(cfg.method, int(seed), _cfg_dict(cfg), np.asarray(derived, dtype=np.int64),
                        np.asarray(secs), np.stack(alphas), hist, basis)


def _spos_re(cfg: OneShotConfig, seed: int, task, device, on_epoch) -> SearchResult:
    E = cfg.resolved_epochs()
    space = NB201Space()
    affine, track = cfg.bn()
    est = Supernet(cfg.preset, task, seed, epochs_total=E, bn_affine=affine, bn_track=track,
                   lr=cfg.spos_lr, batch_size=cfg.spos_batch_size, device=cfg.device, threads=cfg.threads,
                   amp=cfg.amp)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2012]))
    pop: list[int] = [int(i) for i in rng.integers(0, space.size, size=cfg.re_population)]
    derived, secs, hist = [], [], []
    spent = 0.0
    for ep in range(E):
        est.fit(1)  # charges its CPU seconds (setup_s) to est.cost_
        fit = est.estimate(np.asarray(pop))  # population re-scored with the new weights
        for _ in range(cfg.re_cycles):
            cand = rng.choice(len(pop), size=min(cfg.re_sample, len(pop)), replace=False)
            parent = pop[int(cand[np.argmax(fit[cand])])]
            child = space.index(space.mutate(space.from_index(parent), rng))
            fc = est.estimate(np.asarray([child]))[0]
            pop = pop[1:] + [child]  # aging: the oldest dies
            fit = np.concatenate([fit[1:], [fc]])
        best = int(np.argmax(fit))
        arch = space.from_index(pop[best])
        dt = est.cost_["total_s"] - spent
        spent = est.cost_["total_s"]
        rec = {"epoch": ep + 1, "seconds": dt, "train_loss": est.history_[-1]["train_loss"],
               "fitness": float(fit[best]), "n_estimates": est.cost_["n_archs"]}
        derived.append(pop[best])
        secs.append(dt)
        hist.append(rec)
        if on_epoch is not None:
            on_epoch(ep + 1, arch, rec)
    return SearchResult(cfg.method, int(seed), _cfg_dict(cfg), np.asarray(derived, dtype=np.int64),
                        np.asarray(secs), None, hist, est.cost_["basis"])
