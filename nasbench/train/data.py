"""Datasets for the live-training backend, as in-memory tensors with explicit splits.

* ``mnist1d``: generated offline by the ``mnist1d`` package's ``make_dataset`` (never its
  downloading helpers) with fixed arguments, cached as ``.npz`` in the user cache directory.
* ``synthetic``: random data of any preset's shape (tests, data-free proxies).
* ``cifar10`` / ``cifar100`` / ``imagenet16-120``: read from a local directory the user names
  (see :mod:`nasbench.train.vision`); nothing is ever downloaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["Task", "load_task", "mnist1d_task", "synthetic_task", "MNIST1D_ARGS", "cache_dir"]

#: Arguments of ``mnist1d.data.make_dataset`` for the shipped table (harder than the package
#: defaults: more correlated and iid noise), and how its 10,000 train examples are split.
MNIST1D_ARGS: dict[str, Any] = {
    "num_samples": 12500,
    "train_split": 0.8,
    "template_len": 12,
    "padding": [36, 60],
    "scale_coeff": 0.4,
    "max_translation": 48,
    "corr_noise_scale": 0.4,
    "iid_noise_scale": 0.05,
    "shear_scale": 0.75,
    "shuffle_seq": False,
    "final_seq_length": 40,
    "seed": 42,
}
MNIST1D_SPLIT = {"n_train": 2000, "n_val": 2000}


@dataclass
class Task:
    """A classification task held in memory.

    Arrays: ``x_*`` float32 of shape ``(n, *input_shape)``, ``y_*`` int64 of shape ``(n,)``.
    ``augment``, when set, maps a float tensor batch to an augmented batch (train only) and
    takes a ``torch.Generator``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    meta: dict = field(default_factory=dict)
    augment: Callable | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    def fingerprint(self) -> str:
        """sha256 (first 16 hex digits) over all split arrays."""
        h = hashlib.sha256()
        for a in (self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]


def cache_dir() -> Path:
    """``$NASBENCH_CACHE`` or ``~/.cache/nasbench``."""
    root = os.environ.get("NASBENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "nasbench")
    return Path(root)


def _make_mnist1d(args: dict) -> dict[str, np.ndarray]:
    try:
        from mnist1d.data import get_templates, make_dataset
    except ImportError as err:
        raise ImportError("MNIST-1D needs the train extra: pip install 'nasbench[train]'") from err

    class _Args:  # the attribute view make_dataset expects
        pass

    ns = _Args()
    ns.__dict__.update(args)
    # make_dataset seeds numpy's and python's global RNGs: isolate them
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = make_dataset(ns, get_templates())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {k: np.asarray(d[k]) for k in ("x", "y", "x_test", "y_test")}


def mnist1d_task(args: dict | None = None, split: dict | None = None, cache: bool = True) -> Task:
    """MNIST-1D with ``MNIST1D_ARGS``: 2,000 train / 2,000 validation (other samples of the
    same training pool) / 2,500 test examples of length 40, 10 classes."""
    args = dict(MNIST1D_ARGS if args is None else args)
    split = dict(MNIST1D_SPLIT if split is None else split)
    key = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()[:12]
    path = cache_dir() / f"mnist1d_{key}.npz"
    raw = None
    if cache and path.exists():
        try:
            with np.load(path) as f:
                raw = {k: f[k] for k in ("x", "y", "x_test", "y_test")}
        except Exception:
            raw = None  # unreadable cache: regenerate
    if raw is None:
        raw = _make_mnist1d(args)
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, **raw)
            os.replace(tmp, path)
    n_tr, n_va = split["n_train"], split["n_val"]
    if n_tr + n_va > len(raw["y"]):
        raise ValueError(f"split {split} needs more than the {len(raw['y'])} training examples")
    x = raw["x"].astype(np.float32)[:, None, :]
    xt = raw["x_test"].astype(np.float32)[:, None, :]
    y, yt = raw["y"].astype(np.int64), raw["y_test"].astype(np.int64)
    task = Task(
        name="mnist1d",
        x_train=x[:n_tr], y_train=y[:n_tr],
        x_val=x[n_tr:n_tr + n_va], y_val=y[n_tr:n_tr + n_va],
        x_test=xt, y_test=yt, n_classes=10,
        meta={"generator": "mnist1d.data.make_dataset", "args": args, "split": split,
              "splits": {"train": "first n_train of the training pool",
                         "val": "next n_val of the training pool",
                         "test": "the package's test split"}},
    )
    task.meta["sha256"] = task.fingerprint()
    return task


def synthetic_task(input_shape=(1, 40), n_classes: int = 10, n: tuple[int, int, int] = (256, 128, 128),
                   seed: int = 0) -> Task:
    """Random Gaussian inputs with labels from a fixed random linear map (learnable, cheap)."""
    rng = np.random.default_rng(seed)
    d = int(np.prod(input_shape))
    w = rng.standard_normal((d, n_classes)).astype(np.float32)
    parts = []
    for m in n:
        x = rng.standard_normal((m, *input_shape)).astype(np.float32)
        parts.append((x, (x.reshape(m, -1) @ w).argmax(1).astype(np.int64)))
    (xtr, ytr), (xva, yva), (xte, yte) = parts
    task = Task("synthetic", xtr, ytr, xva, yva, xte, yte, n_classes,
                meta={"generator": "synthetic", "seed": seed, "n": list(n)})
    task.meta["sha256"] = task.fingerprint()
    return task


def load_task(name: str, root: str | os.PathLike | None = None, **kwargs) -> Task:
    """Load a task by name: ``mnist1d``, ``synthetic``, ``cifar10``, ``cifar100``,
    ``imagenet16-120`` (the last three read from ``root``)."""
    key = name.lower()
    if key == "mnist1d":
        return mnist1d_task(**kwargs)
    if key == "synthetic":
        return synthetic_task(**kwargs)
    if key in ("cifar10", "cifar100", "imagenet16-120"):
        from nasbench.train import vision

        return vision.load_vision_task(key, root, **kwargs)
    raise ValueError(f"unknown task {name!r}; choose from mnist1d, synthetic, cifar10, cifar100, imagenet16-120")
