"""CIFAR-10, CIFAR-100 and ImageNet16-120 from a local directory, with NAS-Bench-201's
splits, normalisation and augmentation.  Nothing is ever downloaded.

Expected files (``root`` may be the folder that *contains* the dataset folder, or the dataset
folder itself):

============== ======================= ===================================================
task           folder                  files
============== ======================= ===================================================
cifar10        ``cifar-10-batches-py`` ``data_batch_1`` .. ``data_batch_5``, ``test_batch``
cifar100       ``cifar-100-python``    ``train``, ``test``
imagenet16-120 ``ImageNet16``          ``train_data_batch_1`` .. ``train_data_batch_10``,
                                       ``val_data``
============== ======================= ===================================================

The CIFAR files are the standard "python version" pickles (a dict with ``data`` of shape
``(n, 3072)`` uint8 in channel-major order and ``labels`` / ``fine_labels``).  The ImageNet16
files are NAS-Bench-201's down-sampled ImageNet pickles (``data`` of shape ``(n, 768)``,
``labels`` in 1..1000); as NAS-Bench-201 does for ImageNet16-120, only labels 1..120 are kept
and shifted to 0..119.

The pickles are read with a restricted unpickler that only rebuilds numpy arrays, lists, dicts
and scalars, so a tampered file cannot run code.

Splits (NAS-Bench-201, Dong & Yang 2020, section 2.2):

* ``cifar10``: the *cifar10-valid* protocol.  ``train`` = 25,000 images of the training set,
  ``val`` = the other 25,000, ``test`` = the 10,000 images of ``test_batch``.
* ``cifar100``: ``train`` = the 50,000 training images, ``val`` and ``test`` = two halves
  (5,000 each) of the official test set.
* ``imagenet16-120``: ``train`` = the 151,700 training images of classes 1..120, ``val`` and
  ``test`` = two halves (3,000 each) of its 6,000 validation images.

NAS-Bench-201 fixed its halves with index files it ships with its code; ours come from a
seeded permutation (``split_seed``, default 0), recorded with a hash of the indices in
``Task.meta``, so they are reproducible but not NB201's exact halves.

Inputs are normalised with NAS-Bench-201's per-channel mean/std (on the 0..1 scale).  The
training augmentation (``Task.augment``) is NB201's: random crop with zero padding (32 pad 4
for CIFAR, 16 pad 2 for ImageNet16) and a random horizontal flip, applied to normalised
torch batches (zero padding in pixel space is ``-mean/std`` after normalisation).
"""
from __future__ import annotations

import hashlib
import importlib
import os
import pickle
from pathlib import Path

import numpy as np

from nasbench.train.data import Task

__all__ = ["load_vision_task", "NB201Augment", "VISION_TASKS", "expected_files"]

#: per task: folder name, train files, test files, label key, image side, classes, mean, std, pad
VISION_TASKS: dict[str, dict] = {
    "cifar10": {
        "folder": "cifar-10-batches-py",
        "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
        "test": ("test_batch",),
        "label_key": "labels",
        "side": 32,
        "n_classes": 10,
        "mean": tuple(v / 255 for v in (125.3, 123.0, 113.9)),
        "std": tuple(v / 255 for v in (63.0, 62.1, 66.7)),
        "pad": 4,
    },
    "cifar100": {
        "folder": "cifar-100-python",
        "train": ("train",),
        "test": ("test",),
        "label_key": "fine_labels",
        "side": 32,
        "n_classes": 100,
        "mean": tuple(v / 255 for v in (129.3, 124.1, 112.4)),
        "std": tuple(v / 255 for v in (68.2, 65.4, 70.4)),
        "pad": 4,
    },
    "imagenet16-120": {
        "folder": "ImageNet16",
        "train": tuple(f"train_data_batch_{i}" for i in range(1, 11)),
        "test": ("val_data",),
        "label_key": "labels",
        "side": 16,
        "n_classes": 120,
        "mean": tuple(v / 255 for v in (122.68, 116.66, 104.01)),
        "std": tuple(v / 255 for v in (63.22, 61.26, 65.09)),
        "pad": 2,
    },
}


def expected_files(name: str) -> tuple[str, ...]:
    """File names the loader of task ``name`` reads (inside its folder)."""
    spec = _spec(name)
    return spec["train"] + spec["test"]


def _spec(name: str) -> dict:
    try:
        return VISION_TASKS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown vision task {name!r}; choose from {sorted(VISION_TASKS)}") from None


# ------------------------------------------------------------------ pickles
_NUMPY_CORE = "numpy._core" if importlib.util.find_spec("numpy._core") is not None else "numpy.core"
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): (f"{_NUMPY_CORE}.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): (f"{_NUMPY_CORE}.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"): (f"{_NUMPY_CORE}.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"): (f"{_NUMPY_CORE}.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"): (f"{_NUMPY_CORE}.numeric", "_frombuffer"),  # protocol 5
    ("numpy._core.numeric", "_frombuffer"): (f"{_NUMPY_CORE}.numeric", "_frombuffer"),
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
    ("_codecs", "encode"): ("_codecs", "encode"),  # bytes in protocol-2 pickles written by python 3
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds numpy arrays and builtin containers, nothing else."""

    def find_class(self, module: str, name: str):
        target = _ALLOWED.get((module, name))
        if target is None:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: dataset pickles may only hold numpy arrays, "
                "lists, dicts and scalars"
            )
        return getattr(importlib.import_module(target[0]), target[1])


def _load_pickle(path: Path) -> dict:
    with open(path, "rb") as f:
        d = _ArrayUnpickler(f, encoding="latin1").load()
    if not isinstance(d, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(d).__name__}")
    # python-2 pickles loaded with latin1 give str keys; python-3 ones may have bytes keys
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in d.items()}


def _read_files(folder: Path, files: tuple[str, ...], label_key: str, side: int):
    xs, ys = [], []
    for fn in files:
        d = _load_pickle(folder / fn)
        for key in ("data", label_key):
            if key not in d:
                raise ValueError(f"{folder / fn}: missing key {key!r} (has {sorted(d)})")
        x = np.asarray(d["data"], dtype=np.uint8)
        y = np.asarray(d[label_key], dtype=np.int64)
        if x.ndim != 2 or x.shape[1] != 3 * side * side or len(x) != len(y):
            raise ValueError(
                f"{folder / fn}: 'data' must have shape (n, {3 * side * side}) with one label per row, "
                f"got {x.shape} and {y.shape[0]} labels"
            )
        xs.append(x.reshape(-1, 3, side, side))
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def _locate(name: str, root) -> Path:
    spec = _spec(name)
    if root is None:
        root = os.environ.get("NASBENCH_DATA")
        if not root:
            raise FileNotFoundError(
                f"{name}: no data directory given; pass root= (CLI: --data-root) or set NASBENCH_DATA "
                f"to the folder holding {spec['folder']}/ with {', '.join(expected_files(name))}. "
                "nasbench never downloads data."
            )
    root = Path(root).expanduser()
    files = expected_files(name)
    candidates = [root / spec["folder"], root]
    for folder in candidates:
        if all((folder / f).is_file() for f in files):
            return folder
    looked = candidates[0]
    if not looked.is_dir() and any((root / f).is_file() for f in files):
        looked = root  # the user pointed at the dataset folder itself
    missing = [f for f in files if not (looked / f).is_file()]
    raise FileNotFoundError(
        f"{name}: dataset files not found. Expected directory {looked} (or {root} itself) with "
        f"{', '.join(files)}; missing in {looked}: {', '.join(missing)}. "
        "Put the dataset there yourself; nasbench never downloads data."
    )


def _normalise(x: np.ndarray, mean, std) -> np.ndarray:
    """uint8 ``(n, 3, H, W)`` -> float32 normalised, in chunks to bound peak memory."""
    out = np.empty(x.shape, dtype=np.float32)
    m = (np.asarray(mean, dtype=np.float32) * 255.0)[None, :, None, None]
    s = (np.asarray(std, dtype=np.float32) * 255.0)[None, :, None, None]
    for a in range(0, len(x), 8192):
        np.subtract(x[a:a + 8192], m, out=out[a:a + 8192], dtype=np.float32)
        out[a:a + 8192] /= s
    return out


def _halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    h = n // 2
    return np.sort(perm[:h]), np.sort(perm[h:])


def _idx_hash(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.int64).tobytes()).hexdigest()[:16]


# --------------------------------------------------------------- augmentation
class NB201Augment:
    """NAS-Bench-201's training augmentation on normalised torch batches.

    Random crop of side ``H`` after padding by ``pad`` pixels with zeros (in pixel space, i.e.
    ``-mean/std`` per channel after normalisation) and a horizontal flip with probability 1/2,
    drawn independently for every image.

    ``__call__(xb, generator)``: ``xb`` float tensor of shape ``(B, g * 3, H, W)`` (``g`` packed
    copies, see :func:`nasbench.train.build_model`; every 3-channel block is an independent
    image), ``generator`` a CPU ``torch.Generator``; returns a new tensor of the same shape,
    dtype and device.
    """

    def __init__(self, pad: int, mean, std):
        self.pad = int(pad)
        self.fill = tuple(-m / s for m, s in zip(mean, std))

    def __repr__(self) -> str:
        return f"NB201Augment(pad={self.pad})"

    def __call__(self, xb, generator):
        import torch

        if xb.dim() != 4:
            raise ValueError(f"augment expects a (B, g*3, H, W) batch, got shape {tuple(xb.shape)}")
        B, C, H, W = xb.shape
        c = len(self.fill)
        if C % c:
            raise ValueError(f"augment expects a multiple of {c} channels, got {C}")
        n, p = B * (C // c), self.pad
        x = xb.reshape(n, c, H, W)
        fill = torch.tensor(self.fill, dtype=xb.dtype, device=xb.device).view(1, c, 1, 1)
        xp = fill.expand(n, c, H + 2 * p, W + 2 * p).clone()
        xp[:, :, p:p + H, p:p + W] = x
        oy = torch.randint(0, 2 * p + 1, (n,), generator=generator)
        ox = torch.randint(0, 2 * p + 1, (n,), generator=generator)
        flip = torch.rand(n, generator=generator) < 0.5
        rows = oy[:, None] + torch.arange(H)  # (n, H)
        ar = torch.arange(W)
        cols = ox[:, None] + torch.where(flip[:, None], W - 1 - ar, ar)  # (n, W)
        rows, cols = rows.to(xb.device), cols.to(xb.device)
        tmp = xp.gather(2, rows[:, None, :, None].expand(n, c, H, W + 2 * p))  # (n, c, H, W+2p)
        out = tmp.gather(3, cols[:, None, None, :].expand(n, c, H, W))  # (n, c, H, W)
        return out.reshape(B, C, H, W)


# ----------------------------------------------------------------------- api
def load_vision_task(name: str, root: str | os.PathLike | None = None, *, split_seed: int = 0,
                     augment: bool = True) -> Task:
    """Load ``cifar10``, ``cifar100`` or ``imagenet16-120`` from ``root`` (see module docstring).

    Parameters
    ----------
    name : str
        ``cifar10`` (NB201's cifar10-valid protocol), ``cifar100`` or ``imagenet16-120``.
    root : path, optional
        The folder holding the dataset folder (or the dataset folder itself); default
        ``$NASBENCH_DATA``.
    split_seed : int
        Seed of the permutation that halves the split NB201 halves (cifar10's train set,
        cifar100's test set, ImageNet16-120's validation set).
    augment : bool
        Attach :class:`NB201Augment` as ``Task.augment`` (training batches only).

    Returns
    -------
    Task
        ``x_*`` float32 ``(n, 3, H, W)`` normalised, ``y_*`` int64 ``(n,)``; ``meta`` records the
        folder, splits (with sizes and index hashes), normalisation and augmentation.

    Raises
    ------
    FileNotFoundError
        Naming the directory and the files expected there.
    """
    key = name.lower()
    spec = _spec(key)
    folder = _locate(key, root)
    side = spec["side"]
    x_tr, y_tr = _read_files(folder, spec["train"], spec["label_key"], side)
    x_te, y_te = _read_files(folder, spec["test"], spec["label_key"], side)
    if key == "imagenet16-120":
        keep_tr, keep_te = y_tr <= 120, y_te <= 120
        x_tr, y_tr = x_tr[keep_tr], y_tr[keep_tr] - 1
        x_te, y_te = x_te[keep_te], y_te[keep_te] - 1
    for split, y in (("train", y_tr), ("test", y_te)):
        if len(y) and (y.min() < 0 or y.max() >= spec["n_classes"]):
            raise ValueError(f"{folder}: {split} labels must be in 0..{spec['n_classes'] - 1}, "
                             f"got {y.min()}..{y.max()}")
    if key == "cifar10":
        tr_idx, va_idx = _halves(len(y_tr), split_seed)
        x_train, y_train = x_tr[tr_idx], y_tr[tr_idx]
        x_val, y_val = x_tr[va_idx], y_tr[va_idx]
        x_test, y_test = x_te, y_te
        splits = {
            "protocol": "NB201 cifar10-valid",
            "train": "half of the official training set (seeded permutation)",
            "val": "the other half of the official training set",
            "test": "the official test set (test_batch)",
            "train_index_sha256": _idx_hash(tr_idx), "val_index_sha256": _idx_hash(va_idx),
        }
    else:
        va_idx, te_idx = _halves(len(y_te), split_seed)
        x_train, y_train = x_tr, y_tr
        x_val, y_val = x_te[va_idx], y_te[va_idx]
        x_test, y_test = x_te[te_idx], y_te[te_idx]
        held = "test set" if key == "cifar100" else "validation set (val_data)"
        splits = {
            "protocol": f"NB201 {name}",
            "train": "the official training set" + (" (classes 1..120)" if key == "imagenet16-120" else ""),
            "val": f"half of the official {held} (seeded permutation)",
            "test": f"the other half of the official {held}",
            "val_index_sha256": _idx_hash(va_idx), "test_index_sha256": _idx_hash(te_idx),
        }
    mean, std = spec["mean"], spec["std"]
    task = Task(
        name=key,
        x_train=_normalise(x_train, mean, std), y_train=y_train,
        x_val=_normalise(x_val, mean, std), y_val=y_val,
        x_test=_normalise(x_test, mean, std), y_test=y_test,
        n_classes=spec["n_classes"],
        meta={
            "source": str(folder), "files": list(expected_files(key)), "split_seed": int(split_seed),
            "splits": splits,
            "sizes": {"train": int(len(y_train)), "val": int(len(y_val)), "test": int(len(y_test))},
            "normalise": {"mean": list(mean), "std": list(std), "scale": "pixels / 255"},
            "augment": (f"random crop {side} pad {spec['pad']} (zero padding) + horizontal flip"
                        if augment else None),
        },
        augment=NB201Augment(spec["pad"], mean, std) if augment else None,
    )
    task.meta["sha256"] = task.fingerprint()
    return task
