"""Weight sharing on the NB201 cell space: a supernet, and the supernet as a ranking estimator.

:class:`SuperNetwork` is the macro skeleton of :func:`nasbench.train.build_model` (same stem,
reduction blocks, head; the same cell-op classes from :mod:`nasbench.train.models.nb201`) with
*all five* NB201 ops on each of the six edges of every cell.  It runs in three modes:

- ``path(ops)``: one architecture (single path, SPOS).  Dead edges (not on a live
  input->output path) are dropped, exactly as the ``nb201-mnist1d`` table's networks drop them,
  so a path computes the function of the network the table trained (same module classes, same
  order of additions; :meth:`SuperNetwork.subnet` copies the inherited weights into
  ``build_model(arch, preset)`` and a test checks both give the same logits);
- ``weights(w)``: DARTS's continuous relaxation, every edge ``sum_o w[e, o] * op_o(x)``;
- ``hard(h, idx)``: GDAS's hard forward, only the sampled op ``idx[e]`` runs on each edge,
  scaled by the straight-through one-hot ``h[e, idx[e]]`` (AutoDL-Projects' ``forward_gdas``).

Cell-op BatchNorm settings (``bn_affine``, ``bn_track``) are options, as AutoDL's search
scripts take them; the stem, reductions and head keep the table network's BN.

:class:`Supernet` is a :class:`~nasbench.estimators.base.PerformanceEstimator`:
``fit(epochs)`` trains the supernet by single-path uniform sampling (SPOS, Guo et al. 2020; or
``sampling="fair"``: FairNAS's strict fairness, every op of every edge once per step, the five
paths' gradients accumulated), ``estimate(archs)`` scores each architecture with inherited
weights on the validation split, after BatchNorm recalibration on a few fixed training batches
(default on).  Cost is one-thread process CPU seconds (``time.process_time``), the clock of the
table's ``train_time``; on CUDA, synchronised wall seconds (``cost_["basis"]`` says which).
"""
from __future__ import annotations

import math
import time
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from nasbench.estimators.base import PerformanceEstimator, as_indices
from nasbench.spaces.nb201 import NB201_EDGES, NB201_OPS, NB201Space
from nasbench.train.models.nb201 import (PRESETS, GroupedLinear, LightReduction, NetworkConfig, ResNetReduction,
                                         _bn, _conv, _make_op, build_model)
from nasbench.types import Architecture

__all__ = ["SuperNetwork", "Supernet", "SUPERNET_DEFAULTS", "cpu_clock"]

N_OPS = len(NB201_OPS)
N_EDGES = len(NB201_EDGES)
_SPACE = NB201Space()


def _set_bn(module: nn.Module, affine: bool, track: bool) -> None:
    """Replace every BatchNorm inside ``module`` by one with the given affine / tracking settings."""
    for name, child in list(module.named_children()):
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if child.affine == affine and child.track_running_stats == track:
                continue
            setattr(module, name, type(child)(child.num_features, affine=affine, track_running_stats=track))
        else:
            _set_bn(child, affine, track)


class MixedEdge(nn.Module):
    """The five NB201 ops of one edge (``ops[o]`` is op id ``o``)."""

    def __init__(self, dim: int, C: int, bn_affine: bool, bn_track: bool):
        super().__init__()
        self.ops = nn.ModuleList([_make_op(o, dim, C, 1) for o in range(N_OPS)])
        _set_bn(self.ops, bn_affine, bn_track)

    def weighted(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        out = None
        for o in range(1, N_OPS):  # none contributes w * 0
            y = w[o] * self.ops[o](x)
            out = y if out is None else out + y
        return out


class SuperCell(nn.Module):
    """One NB201 cell with a :class:`MixedEdge` on each edge, keyed ``"k<-j"`` as in ``Cell``."""

    def __init__(self, dim: int, C: int, bn_affine: bool, bn_track: bool):
        super().__init__()
        self.edges = nn.ModuleDict({f"{k}<-{j}": MixedEdge(dim, C, bn_affine, bn_track) for k, j in NB201_EDGES})
        self._keys = [f"{k}<-{j}" for k, j in NB201_EDGES]

    def path(self, x: torch.Tensor, ops: Sequence[int], live: Sequence[bool]) -> torch.Tensor:
        nodes: list[torch.Tensor | None] = [x, None, None, None]
        for e, ((k, j), op) in enumerate(zip(NB201_EDGES, ops)):
            if not live[e]:
                continue
            y = self.edges[self._keys[e]].ops[op](nodes[j])
            nodes[k] = y if nodes[k] is None else nodes[k] + y
        out = nodes[3]
        return torch.zeros_like(x) if out is None else out

    def weights(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        nodes: list[torch.Tensor] = [x]
        for k in range(1, 4):
            acc = None
            for e, (kk, j) in enumerate(NB201_EDGES):
                if kk != k:
                    continue
                y = self.edges[self._keys[e]].weighted(nodes[j], w[e])
                acc = y if acc is None else acc + y
            nodes.append(acc)
        return nodes[3]

    def hard(self, x: torch.Tensor, h: torch.Tensor, idx: Sequence[int]) -> torch.Tensor:
        nodes: list[torch.Tensor] = [x]
        for k in range(1, 4):
            acc = None
            for e, (kk, j) in enumerate(NB201_EDGES):
                if kk != k:
                    continue
                i = int(idx[e])
                # AutoDL's forward_gdas: the chosen op scaled by its straight-through weight, plus
                # the other weights (value 0, gradient through the softmax)
                y = h[e, i] * self.edges[self._keys[e]].ops[i](nodes[j]) + (h[e].sum() - h[e, i])
                acc = y if acc is None else acc + y
            nodes.append(acc)
        return nodes[3]


class SuperNetwork(nn.Module):
    """The weight-sharing network of one preset (see the module docstring).

    ``forward`` is not used; call :meth:`path`, :meth:`weights` or :meth:`hard`, each returning
    logits ``(B, n_classes)``.
    """

    def __init__(self, cfg: NetworkConfig, bn_affine: bool = True, bn_track: bool = True):
        super().__init__()
        self.cfg = cfg
        dim, C = cfg.dim, cfg.C
        self.stem = nn.Sequential(_conv(dim)(cfg.in_channels, C, 3, padding=1, bias=False), _bn(dim)(C))
        layers: list[nn.Module] = []
        c = C
        for stage in range(3):
            if stage > 0:
                block = ResNetReduction if cfg.reduction == "resnet" else LightReduction
                layers.append(block(dim, c, 2 * c, 1))
                c *= 2
            layers.extend(SuperCell(dim, c, bn_affine, bn_track) for _ in range(cfg.N))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(_bn(dim)(c), nn.ReLU(inplace=True))
        self.classifier = GroupedLinear(c, cfg.n_classes, 1)

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lastact(x)
        x = x.mean(dim=tuple(range(2, x.dim())))
        return self.classifier(x)[:, 0]

    def _run(self, h: torch.Tensor, fn) -> torch.Tensor:
        for block in self.cells:
            h = fn(block, h) if isinstance(block, SuperCell) else block(h)
        return self._head(h)

    def path(self, x: torch.Tensor, ops: Sequence[int], *, stem_out: bool = False) -> torch.Tensor:
        """Logits of the single path ``ops`` (dead edges dropped).  ``stem_out``: ``x`` is the stem's output."""
        ops = tuple(int(o) for o in ops)
        # the table's networks drop dead edges; NB201's build every edge (none = multiply by zero)
        live = tuple(bool(v) for v in _SPACE.live_edges(Architecture("nb201", ops))) if self.cfg.drop_dead \
            else (True,) * N_EDGES
        h = x if stem_out else self.stem(x)
        return self._run(h, lambda cell, z: cell.path(z, ops, live))

    def weights(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """DARTS: ``w`` ``(6, 5)`` op weights per edge (rows sum to 1)."""
        return self._run(self.stem(x), lambda cell, z: cell.weights(z, w))

    def hard(self, x: torch.Tensor, h: torch.Tensor, idx: Sequence[int]) -> torch.Tensor:
        """GDAS: straight-through one-hot ``h`` ``(6, 5)``, sampled op ``idx`` ``(6,)``."""
        return self._run(self.stem(x), lambda cell, z: cell.hard(z, h, idx))

    def subnet(self, arch: Architecture) -> nn.Module:
        """``build_model(arch, preset)`` carrying this supernet's (inherited) weights."""
        model = build_model(arch, self.cfg)
        sd = self.state_dict()
        new = {}
        for name in model.state_dict():
            src = name
            parts = name.split(".")
            if parts[0] == "cells" and parts[2] == "edges":
                e = [f"{k}<-{j}" for k, j in NB201_EDGES].index(parts[3])
                src = ".".join(parts[:4] + ["ops", str(arch.ops[e])] + parts[4:])
            if src not in sd:  # affine=False / untracked BN in the supernet: defaults
                continue
            new[name] = sd[src]
        model.load_state_dict(new, strict=False)
        return model

    def bn_modules(self, include_stem: bool = False) -> list[nn.Module]:
        mods = list(self.cells.modules()) + list(self.lastact.modules())
        if include_stem:
            mods += list(self.stem.modules())
        return [m for m in mods if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


def cpu_clock(device: torch.device):
    """``(clock, basis)``: process CPU time on CPU (the table's clock), wall time on CUDA."""
    if device.type == "cuda":
        def clock():
            torch.cuda.synchronize()
            return time.perf_counter()
        return clock, "wall"
    return time.process_time, "process_cpu"


#: defaults of :class:`Supernet` (SGD as the table's training: Nesterov 0.9, cosine, wd 5e-4)
SUPERNET_DEFAULTS = dict(lr=0.05, momentum=0.9, weight_decay=5e-4, batch_size=128, recal_batches=4,
                         recal_batch_size=128)


class Supernet(PerformanceEstimator):
    """SPOS supernet as a ranking estimator.

    Parameters
    ----------
    preset : str
        A :data:`~nasbench.train.models.nb201.PRESETS` name (default ``nb201-mnist1d``).
    task : Task or str
        :class:`~nasbench.train.data.Task` or a name for :func:`~nasbench.train.data.load_task`.
    seed : int
        Initialisation, path sampling, data order and the recalibration batches.
    sampling : {"uniform", "fair"}
        ``uniform``: one uniformly sampled path per step (SPOS).  ``fair``: FairNAS strict
        fairness: per step five paths, edge ``e`` of path ``i`` uses op ``perm_e[i]``, gradients
        accumulated, one update (five times the cost of a uniform step).
    epochs_total : int or None
        Length of the cosine learning-rate schedule (default: the epochs of the first ``fit``).
        ``fit`` may be called repeatedly to continue training (checkpoints at several epochs).
    bn_recal : bool
        Recalibrate every cell/head BatchNorm's running statistics on ``recal_batches`` fixed
        training batches before scoring (default on); off: running statistics of supernet
        training (or batch statistics with ``bn_track=False``).
    bn_affine, bn_track : bool
        Cell-op BatchNorm settings.
    score : {"acc", "neg_loss"}
        Validation accuracy (%) or minus the validation cross-entropy.
    device : {"auto", "cpu", "cuda"}
    threads : int
        torch intra-op threads on CPU (1 = the table's timing).
    amp : bool
        bfloat16/float16 autocast on CUDA.
    """

    name = "supernet"

    def __init__(self, preset: str = "nb201-mnist1d", task="mnist1d", seed: int = 0, *, sampling: str = "uniform",
                 epochs_total: int | None = None, bn_recal: bool = True, bn_affine: bool = True,
                 bn_track: bool = True, score: str = "acc", lr: float = 0.05, momentum: float = 0.9,
                 weight_decay: float = 5e-4, batch_size: int = 128, recal_batches: int = 4,
                 recal_batch_size: int = 128, device: str = "cpu", threads: int | None = 1, amp: bool = True,
                 progress: bool = False):
        self.preset, self.task, self.seed, self.sampling = preset, task, seed, sampling
        self.epochs_total, self.bn_recal, self.bn_affine, self.bn_track = epochs_total, bn_recal, bn_affine, bn_track
        self.score, self.lr, self.momentum, self.weight_decay = score, lr, momentum, weight_decay
        self.batch_size, self.recal_batches, self.recal_batch_size = batch_size, recal_batches, recal_batch_size
        self.device, self.threads, self.amp, self.progress = device, threads, amp, progress

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        from nasbench.train.data import load_task
        from nasbench.train.trainer import resolve_device

        if self.sampling not in ("uniform", "fair"):
            raise ValueError(f"sampling must be 'uniform' or 'fair', got {self.sampling!r}")
        if self.score not in ("acc", "neg_loss"):
            raise ValueError(f"score must be 'acc' or 'neg_loss', got {self.score!r}")
        self._reset_cost()
        self.device_ = resolve_device(self.device)
        self.cost_["basis"] = "wall" if self.device_.type == "cuda" else "process_cpu"
        self.task_ = load_task(self.task) if isinstance(self.task, str) else self.task
        cfg = PRESETS[self.preset] if isinstance(self.preset, str) else self.preset
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.seed))
            self.net_ = SuperNetwork(cfg, self.bn_affine, self.bn_track).to(self.device_)
        self.opt_ = torch.optim.SGD(self.net_.parameters(), lr=self.lr, momentum=self.momentum, nesterov=True,
                                    weight_decay=self.weight_decay)
        ss = np.random.SeedSequence([int(self.seed), 1402])
        self.rng_ = np.random.default_rng(ss.spawn(1)[0])
        self.gen_ = torch.Generator().manual_seed(int(ss.generate_state(1)[0]))
        d = self.device_
        self.xtr_ = torch.as_tensor(self.task_.x_train, device=d)
        self.ytr_ = torch.as_tensor(self.task_.y_train, device=d)
        self.xval_ = torch.as_tensor(self.task_.x_val, device=d)
        self.yval_ = torch.as_tensor(self.task_.y_val, device=d)
        r = np.random.default_rng([int(self.seed), 77])
        ridx = r.choice(len(self.task_.y_train), size=self.recal_batches * self.recal_batch_size,
                        replace=self.recal_batches * self.recal_batch_size > len(self.task_.y_train))
        self.xrec_ = self.xtr_[torch.as_tensor(ridx, device=d)]
        self.epochs_done_ = 0
        self.step_ = 0
        self.history_ = []
        self.cache_ = {}
        self.space_ = NB201Space()

    def _threads(self):
        prev = torch.get_num_threads()
        if self.device_.type == "cpu" and self.threads is not None:
            torch.set_num_threads(int(self.threads))
        return prev

    # ------------------------------------------------------------------ training
    def sample_paths(self) -> list[tuple[int, ...]]:
        """The op tuples of one training step (one for ``uniform``, five for ``fair``)."""
        if self.sampling == "uniform":
            return [tuple(int(o) for o in self.rng_.integers(0, N_OPS, size=N_EDGES))]
        perms = np.stack([self.rng_.permutation(N_OPS) for _ in range(N_EDGES)])  # (6, 5)
        return [tuple(int(o) for o in perms[:, i]) for i in range(N_OPS)]

    def fit(self, epochs: int = 50, *args, **kw) -> "Supernet":
        """Train ``epochs`` more epochs (the first call sets up the supernet)."""
        if not hasattr(self, "net_"):
            self._setup()
        total = int(self.epochs_total or (self.epochs_done_ + int(epochs)))
        self.epochs_total_ = total
        prev = self._threads()
        clock, _ = cpu_clock(self.device_)
        net, opt, d = self.net_, self.opt_, self.device_
        n = self.xtr_.shape[0]
        spe = math.ceil(n / self.batch_size)
        use_amp = self.amp and d.type == "cuda"
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=int(epochs), desc=f"supernet ({self.sampling})", unit="epoch", leave=False)
        try:
            for _ in range(int(epochs)):
                t0 = clock()
                net.train()
                perm = torch.randperm(n, generator=self.gen_).to(d)
                loss_sum = 0.0
                for b in range(spe):
                    idx = perm[b * self.batch_size:(b + 1) * self.batch_size]
                    xb, yb = self.xtr_[idx], self.ytr_[idx]
                    lr = 0.5 * self.lr * (1.0 + math.cos(math.pi * min(self.step_, total * spe) / (total * spe)))
                    for pg in opt.param_groups:
                        pg["lr"] = lr
                    opt.zero_grad(set_to_none=True)
                    for ops in self.sample_paths():
                        with torch.autocast(d.type, enabled=use_amp):
                            loss = F.cross_entropy(net.path(xb, ops).float(), yb)
                        loss.backward()
                        loss_sum += float(loss.detach())
                    nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                    opt.step()
                    self.step_ += 1
                self.epochs_done_ += 1
                dt = clock() - t0
                self._charge(dt, setup=True)
                self.history_.append({"epoch": self.epochs_done_, "seconds": dt, "train_loss": loss_sum / spe})
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{loss_sum / spe:.3f}")
        finally:
            if bar is not None:
                bar.close()
            torch.set_num_threads(prev)
        self.cache_ = {}  # weights changed
        return self

    # ------------------------------------------------------------------ scoring
    @torch.no_grad()
    def _score_one(self, ops: tuple[int, ...], h_rec: torch.Tensor, h_val: torch.Tensor) -> tuple[float, float]:
        net = self.net_
        if self.bn_recal:
            mods = net.bn_modules()
            saved = [(m.momentum, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
                     for m in mods]
            for m in mods:
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the recalibration batches
            net.train()
            for b in range(self.recal_batches):
                net.path(h_rec[b * self.recal_batch_size:(b + 1) * self.recal_batch_size], ops, stem_out=True)
        net.eval()
        logits = net.path(h_val, ops, stem_out=True).float()
        loss = float(F.cross_entropy(logits, self.yval_))
        acc = float((logits.argmax(-1) == self.yval_).double().mean() * 100.0)
        if self.bn_recal:
            for m, (mom, rm, rv, nbt) in zip(mods, saved):
                m.momentum = mom
                m.running_mean.copy_(rm)
                m.running_var.copy_(rv)
                m.num_batches_tracked.copy_(nbt)
        return acc, loss

    def estimate(self, archs) -> np.ndarray:
        """``(n,)`` scores (validation accuracy % or minus validation loss) with inherited weights.

        Architectures of one functional class (``rule="function"``: the same network in the
        table's builder) are scored once per call; the stem (the same for every architecture)
        is run once per call on the recalibration and validation inputs.
        """
        if not hasattr(self, "net_"):
            self._setup()
        idx = as_indices(archs, self.space_)
        prev = self._threads()
        clock, _ = cpu_clock(self.device_)
        t0 = clock()
        out = np.empty(len(idx), dtype=np.float64)
        use_amp = self.amp and self.device_.type == "cuda"
        try:
            with torch.no_grad(), torch.autocast(self.device_.type, enabled=use_amp):
                net = self.net_
                # stem statistics do not depend on the architecture: recalibrate them once
                stem_bn = [m for m in net.stem.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
                if self.bn_recal:
                    saved = [(m.momentum, m.running_mean.clone(), m.running_var.clone()) for m in stem_bn]
                    for m in stem_bn:
                        m.reset_running_stats()
                        m.momentum = None
                    net.stem.train()
                    for b in range(self.recal_batches):
                        net.stem(self.xrec_[b * self.recal_batch_size:(b + 1) * self.recal_batch_size])
                net.stem.eval()
                h_val = net.stem(self.xval_)
                h_rec = torch.cat([net.stem.train()(self.xrec_[b * self.recal_batch_size:(b + 1) * self.recal_batch_size])
                                   for b in range(self.recal_batches)]) if self.bn_recal else None
                if self.bn_recal:  # the stem in train mode normalises with batch statistics, as the net would
                    for m, (mom, rm, rv) in zip(stem_bn, saved):
                        m.momentum = mom
                        m.running_mean.copy_(rm)
                        m.running_var.copy_(rv)
                for r, i in enumerate(idx):
                    arch = self.space_.from_index(int(i))
                    key = self.space_.canonical_key(arch, rule="function")
                    if key not in self.cache_:
                        self.cache_[key] = self._score_one(arch.ops, h_rec, h_val)
                    acc, loss = self.cache_[key]
                    out[r] = acc if self.score == "acc" else -loss
        finally:
            torch.set_num_threads(prev)
        self._charge(clock() - t0, n_archs=len(idx))
        return out

    def info(self) -> dict:
        """Settings, versions and timings, JSON-serialisable."""
        import platform

        from nasbench._system import cpu_model

        return {"estimator": "Supernet", "preset": self.preset, "seed": int(self.seed), "sampling": self.sampling,
                "epochs": int(getattr(self, "epochs_done_", 0)), "epochs_total": getattr(self, "epochs_total_", None),
                "bn_recal": self.bn_recal, "bn_affine": self.bn_affine, "bn_track": self.bn_track,
                "score": self.score, "lr": self.lr, "batch_size": self.batch_size,
                "recal_batches": self.recal_batches, "recal_batch_size": self.recal_batch_size,
                "device": str(getattr(self, "device_", self.device)), "threads": self.threads,
                "torch": torch.__version__, "python": platform.python_version(), "host_cpu": cpu_model(),
                "cost": dict(getattr(self, "cost_", {})), "history": list(getattr(self, "history_", []))}
