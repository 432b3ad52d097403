"""Live training of NB201-style networks: :class:`Trainer` and :class:`LearningCurve`.

The trainer knows PyTorch, not benchmarks.  Several seeds of one architecture can be trained
together as one packed model (``TrainConfig.pack_seeds``): copy ``i`` is initialised with seed
``seeds[i]``, sees its own data order (from a generator seeded with ``seeds[i]``) and has its
own parameters, at a lower per-seed cost on CPU.

Reproducibility (bit for bit): a run is a deterministic function of the architecture, the seed
*pack* (which seeds are trained together: a packed model uses grouped convolutions, whose
kernels round differently from the plain ones, and SGD amplifies the difference to a point or
two of accuracy within 10 epochs), the configuration (threads included: torch's intra-op
threads split reductions differently), the torch version and the CPU's kernels (oneDNN / MKL
choose code paths by instruction set and vendor; ``torch.backends.cpu.get_cpu_capability()``
names the first, :func:`nasbench._system.cpu_model` the second).  ``LearningCurve.info``
records all of them.  On CUDA, ``deterministic=True`` selects deterministic cuDNN / cuBLAS
kernels, so repeats on one GPU model agree; CUDA and CPU results never agree bit for bit.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from nasbench._system import cpu_model
from nasbench.types import PER_EPOCH_METRICS as METRICS
from nasbench.train.data import Task
from nasbench.train.models import build_model
from nasbench.types import Architecture

__all__ = ["TrainConfig", "LearningCurve", "Trainer", "MNIST1D_TABLE_CONFIG", "MNIST1D_TABLE_SEEDS", "resolve_device",
           "cpu_capability"]


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; defaults are NAS-Bench-201's (SGD Nesterov 0.9, lr 0.1 cosine to 0
    per step, weight decay 5e-4, batch 256, 200 epochs, no label smoothing).

    ``device``: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.  ``threads``: torch
    intra-op threads on CPU (``None`` keeps torch's default).  ``amp`` and ``channels_last`` only
    apply on CUDA; ``deterministic`` (CUDA) turns cudnn benchmarking off and asks torch for
    deterministic cuDNN / cuBLAS kernels while training (previous settings are restored after).
    """

    preset: str = "nb201-cifar10"
    epochs: int = 200
    batch_size: int = 256
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.0
    eval_batch_size: int = 1024
    device: str = "auto"
    threads: int | None = 1
    amp: bool = True
    channels_last: bool = True
    deterministic: bool = True
    pack_seeds: bool = True

    def replace(self, **kw) -> "TrainConfig":
        return dataclasses.replace(self, **kw)


#: the configuration of the shipped ``nb201-mnist1d`` table, exactly as ``nasbench generate``
#: trains it (CPU, one thread, seeds 0 1 2 packed): training a class representative with it
#: reproduces its table row bit for bit on the same torch version and CPU (see the module doc)
MNIST1D_TABLE_CONFIG = TrainConfig(preset="nb201-mnist1d", epochs=10, batch_size=128, eval_batch_size=128,
                                   device="cpu", threads=1)
#: the seeds of the shipped table, trained as one pack
MNIST1D_TABLE_SEEDS = (0, 1, 2)


@dataclass
class LearningCurve:
    """Per-epoch results of one architecture trained with ``n_seeds`` seeds.

    Attributes
    ----------
    arch : Architecture
    seeds : ndarray of int, shape (n_seeds,)
    epochs : ndarray of int, shape (n_epochs,)
        1..E.
    metrics : dict of str -> ndarray, shape (n_seeds, n_epochs)
        ``train_acc``, ``train_loss`` (running means over the epoch's batches), ``val_acc``,
        ``val_loss``, ``test_acc``, ``test_loss`` (after the epoch, eval mode); accuracy in %.
        NaN from the epoch a seed diverged on.
    train_time : ndarray, shape (n_seeds, n_epochs)
        Cumulative training seconds per seed (evaluation excluded; a packed step's time is
        split evenly between its seeds).  On CPU this is the training process's CPU time
        (``time.process_time``: with one thread, what the work costs, and insensitive to other
        load on the machine); on CUDA it is synchronised wall time.  ``info["time_basis"]``
        says which.
    diverged : ndarray of bool, shape (n_seeds,)
        ``True`` when the loss became NaN/inf; that seed's metrics are NaN from then on.
    """

    arch: Architecture
    seeds: np.ndarray
    epochs: np.ndarray
    metrics: dict[str, np.ndarray]
    train_time: np.ndarray
    diverged: np.ndarray
    info: dict = field(default_factory=dict)

    def final(self, metric: str = "val_acc") -> np.ndarray:
        """``(n_seeds,)`` value of ``metric`` at the last epoch."""
        return self.metrics[metric][:, -1]


def cpu_capability() -> str:
    """The CPU instruction set torch's kernels dispatch to (``"AVX512"``, ``"AVX2"``, ...)."""
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except Exception:  # pragma: no cover - very old torch
        return "unknown"


def _deterministic_cuda() -> dict:
    """Ask for deterministic CUDA kernels; returns the previous settings for :func:`_restore`."""
    # cuBLAS needs a fixed workspace to be deterministic; effective if cuBLAS is not yet initialised
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    prev = {"benchmark": torch.backends.cudnn.benchmark, "deterministic": torch.backends.cudnn.deterministic,
            "algorithms": torch.are_deterministic_algorithms_enabled(),
            "warn_only": torch.is_deterministic_algorithms_warn_only_enabled()}
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    return prev


def _restore(prev: dict) -> None:
    torch.backends.cudnn.benchmark = prev["benchmark"]
    torch.backends.cudnn.deterministic = prev["deterministic"]
    torch.use_deterministic_algorithms(prev["algorithms"], warn_only=prev["warn_only"])


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' requested but torch.cuda.is_available() is False")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device(device)


class Trainer:
    """Train architectures on a :class:`~nasbench.train.data.Task`.

    >>> trainer = Trainer(MNIST1D_TABLE_CONFIG)                      # doctest: +SKIP
    >>> curve = trainer.train(arch, mnist1d_task(), seeds=[0, 1, 2])  # doctest: +SKIP
    """

    def __init__(self, config: TrainConfig = TrainConfig()):
        self.config = config

    # ------------------------------------------------------------------ api
    def train(self, arch: Architecture, task: Task, seeds: int | Sequence[int] = 0,
              progress: bool = False) -> LearningCurve:
        """Train ``arch`` once per seed and return the per-epoch curves."""
        seeds = [int(seeds)] if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
        if not seeds:
            raise ValueError("at least one seed is needed")
        cfg = self.config
        device = resolve_device(cfg.device)
        if device.type == "cpu" and cfg.threads is not None:
            torch.set_num_threads(int(cfg.threads))
        prev = _deterministic_cuda() if (cfg.deterministic and device.type == "cuda") else None
        groups = [seeds] if cfg.pack_seeds else [[s] for s in seeds]
        try:
            parts = [self._train_group(arch, task, g, device, progress) for g in groups]
        finally:
            if prev is not None:
                _restore(prev)
        metrics = {m: np.concatenate([p[0][m] for p in parts]) for m in METRICS}
        info = {
            "preset": cfg.preset, "device": str(device), "torch": torch.__version__,
            "cuda": torch.version.cuda if device.type == "cuda" else None,
            "threads": torch.get_num_threads() if device.type == "cpu" else None,
            "task": task.name, "task_sha256": task.meta.get("sha256"),
            "time_basis": "wall" if device.type == "cuda" else "process_cpu",
            "host_cpu": cpu_model(), "cpu_capability": cpu_capability() if device.type == "cpu" else None,
            "seed_packs": [list(g) for g in groups],
        }
        return LearningCurve(
            arch=arch, seeds=np.asarray(seeds, dtype=np.int32),
            epochs=np.arange(1, cfg.epochs + 1, dtype=np.int32), metrics=metrics,
            train_time=np.concatenate([p[1] for p in parts]),
            diverged=np.concatenate([p[2] for p in parts]), info=info,
        )

    # ------------------------------------------------------------- internals
    def _train_group(self, arch, task: Task, seeds: list[int], device, progress):
        cfg = self.config
        g = len(seeds)
        model = build_model(arch, cfg.preset, seeds=seeds).to(device)
        use_amp = cfg.amp and device.type == "cuda"
        if device.type == "cuda" and cfg.channels_last and model.cfg.dim == 2:
            model = model.to(memory_format=torch.channels_last)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                              weight_decay=cfg.weight_decay)
        xtr = torch.as_tensor(task.x_train, device=device)
        ytr = torch.as_tensor(task.y_train, device=device)
        n = xtr.shape[0]
        steps_per_epoch = math.ceil(n / cfg.batch_size)
        total = cfg.epochs * steps_per_epoch
        gens = [torch.Generator().manual_seed(s) for s in seeds]
        # augmentation draws from its own stream per seed, so a seed's run does not depend on
        # which seeds are packed with it (and its data order is unaffected by augmentation)
        aug_gens = [torch.Generator().manual_seed(int(np.random.SeedSequence([s % 2**64, 1]).generate_state(1)[0]))
                    for s in seeds] if task.augment is not None else None
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

        E = cfg.epochs
        out = {m: np.full((g, E), np.nan, dtype=np.float64) for m in METRICS}
        ttime = np.zeros((g, E), dtype=np.float64)
        diverged = np.zeros(g, dtype=bool)
        elapsed = 0.0
        clock = time.perf_counter if device.type == "cuda" else time.process_time
        step = 0
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=E, desc=f"train {g} seed(s)", unit="epoch")
        for ep in range(E):
            model.train()
            t0 = clock()
            perms = torch.stack([torch.randperm(n, generator=gg) for gg in gens]).to(device)  # (g, n)
            loss_sum = torch.zeros(g, device=device, dtype=torch.float64)
            corr_sum = torch.zeros(g, device=device, dtype=torch.float64)
            for b in range(steps_per_epoch):
                idx = perms[:, b * cfg.batch_size:(b + 1) * cfg.batch_size]  # (g, B)
                B = idx.shape[1]
                xb = xtr[idx.T]  # (B, g, c, ...)
                xb = xb.reshape(B, g * xb.shape[2], *xb.shape[3:])
                if aug_gens is not None:  # per seed block of c channels: (B, c, ...) each
                    c = xb.shape[1] // g
                    xb = torch.cat([task.augment(xb[:, i * c:(i + 1) * c], aug_gens[i]) for i in range(g)], dim=1)
                yb = ytr[idx.T]  # (B, g)
                lr = 0.5 * cfg.lr * (1.0 + math.cos(math.pi * step / total))
                for pg in opt.param_groups:
                    pg["lr"] = lr
                with torch.autocast(device.type, enabled=use_amp):
                    logits = model(xb)  # (B, g, K)
                    losses = F.cross_entropy(logits.permute(0, 2, 1).float(), yb, reduction="none",
                                             label_smoothing=cfg.label_smoothing).mean(0)  # (g,)
                opt.zero_grad(set_to_none=True)
                scaler.scale(losses.sum()).backward()
                scaler.step(opt)
                scaler.update()
                step += 1
                with torch.no_grad():
                    loss_sum += losses.detach().double() * B
                    corr_sum += (logits.argmax(-1) == yb).sum(0).double()
            if device.type == "cuda":
                torch.cuda.synchronize()
            elapsed += clock() - t0
            ttime[:, ep] = elapsed / g
            tl = (loss_sum / n).cpu().numpy()
            out["train_loss"][:, ep] = tl
            out["train_acc"][:, ep] = (100.0 * corr_sum / n).cpu().numpy()
            for split, x, y in (("val", task.x_val, task.y_val), ("test", task.x_test, task.y_test)):
                acc, loss = self._evaluate(model, x, y, g, device, use_amp)
                out[f"{split}_acc"][:, ep] = acc
                out[f"{split}_loss"][:, ep] = loss
            bad = ~np.isfinite(tl) | ~np.isfinite(out["val_loss"][:, ep])
            newly = bad & ~diverged
            diverged |= bad
            for m in METRICS:
                out[m][diverged, ep] = np.nan
            if newly.any() and diverged.all():
                break  # nothing left to learn: the rest stays NaN
            if bar is not None:
                bar.update(1)
                bar.set_postfix(val_acc=f"{np.nanmean(out['val_acc'][:, ep]):.1f}")
        if bar is not None:
            bar.close()
        return out, ttime, diverged

    @torch.no_grad()
    def _evaluate(self, model, x: np.ndarray, y: np.ndarray, g: int, device, use_amp):
        model.eval()
        n = len(y)
        corr = torch.zeros(g, dtype=torch.float64, device=device)
        loss = torch.zeros(g, dtype=torch.float64, device=device)
        bs = self.config.eval_batch_size
        for s in range(0, n, bs):
            xb = torch.as_tensor(x[s:s + bs], device=device)
            yb = torch.as_tensor(y[s:s + bs], device=device)
            xb = xb.repeat(1, g, *([1] * (xb.dim() - 2)))
            with torch.autocast(device.type, enabled=use_amp):
                logits = model(xb).float()  # (B, g, K)
            loss += F.cross_entropy(logits.permute(0, 2, 1), yb[:, None].expand(-1, g),
                                    reduction="none").sum(0).double()
            corr += (logits.argmax(-1) == yb[:, None]).sum(0).double()
        return (100.0 * corr / n).cpu().numpy(), (loss / n).cpu().numpy()
