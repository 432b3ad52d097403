"""Datasets: MNIST-1D generation/caching, synthetic data, local CIFAR / ImageNet16-120 loading."""
from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.train import data as data_mod  # noqa: E402
from nasbench.train.data import MNIST1D_ARGS, load_task, mnist1d_task, synthetic_task  # noqa: E402
from nasbench.train.vision import NB201Augment, expected_files, load_vision_task  # noqa: E402

SMALL_ARGS = dict(MNIST1D_ARGS, num_samples=500)  # 400 train pool / 100 test
SMALL_SPLIT = {"n_train": 150, "n_val": 100}


# ------------------------------------------------------------------ MNIST-1D
def test_mnist1d_keeps_global_rngs_and_caches(tmp_path, monkeypatch):
    pytest.importorskip("mnist1d")
    monkeypatch.setenv("NASBENCH_CACHE", str(tmp_path))
    np.random.seed(7)
    random.seed(7)
    np_before, py_before = np.random.get_state(), random.getstate()
    task = mnist1d_task(args=SMALL_ARGS, split=SMALL_SPLIT)
    np_after = np.random.get_state()
    assert np_after[0] == np_before[0] and np.array_equal(np_after[1], np_before[1]) and np_after[2:] == np_before[2:]
    assert random.getstate() == py_before
    cached = list(tmp_path.glob("mnist1d_*.npz"))
    assert len(cached) == 1

    def boom(args):  # a second call must not regenerate
        raise AssertionError("regenerated although cached")

    monkeypatch.setattr(data_mod, "_make_mnist1d", boom)
    again = mnist1d_task(args=SMALL_ARGS, split=SMALL_SPLIT)
    assert again.fingerprint() == task.fingerprint() == task.meta["sha256"]
    assert again.meta["args"] == SMALL_ARGS


def test_mnist1d_shapes_and_splits(tmp_path, monkeypatch):
    pytest.importorskip("mnist1d")
    monkeypatch.setenv("NASBENCH_CACHE", str(tmp_path))
    task = mnist1d_task(args=SMALL_ARGS, split=SMALL_SPLIT)
    assert task.x_train.shape == (150, 1, 40) and task.x_train.dtype == np.float32
    assert task.x_val.shape == (100, 1, 40)
    n_test = SMALL_ARGS["num_samples"] - int(SMALL_ARGS["num_samples"] * SMALL_ARGS["train_split"])
    assert task.x_test.shape == (n_test, 1, 40)
    for y in (task.y_train, task.y_val, task.y_test):
        assert y.dtype == np.int64 and y.min() >= 0 and y.max() < 10
    assert task.n_classes == 10 and task.input_shape == (1, 40)
    assert set(task.meta["splits"]) == {"train", "val", "test"}
    # train and val are disjoint parts of the same pool
    assert not any(np.array_equal(task.x_train[i], task.x_val[j]) for i in range(5) for j in range(100))
    with pytest.raises(ValueError, match="needs more than"):
        mnist1d_task(args=SMALL_ARGS, split={"n_train": 300, "n_val": 300})


def test_synthetic_task_is_seeded_and_shaped():
    a = synthetic_task(input_shape=(3, 8, 8), n_classes=5, n=(20, 10, 6), seed=3)
    b = synthetic_task(input_shape=(3, 8, 8), n_classes=5, n=(20, 10, 6), seed=3)
    assert a.fingerprint() == b.fingerprint()
    assert a.x_train.shape == (20, 3, 8, 8) and a.x_val.shape == (10, 3, 8, 8) and a.x_test.shape == (6, 3, 8, 8)
    assert synthetic_task(input_shape=(3, 8, 8), n_classes=5, n=(20, 10, 6), seed=4).fingerprint() != a.fingerprint()


def test_unknown_task_lists_choices():
    with pytest.raises(ValueError, match="cifar10"):
        load_task("mnist2d")


# ------------------------------------------------------------- vision data
def _dump(path, obj, protocol=2):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


def _images(rng, n, side):
    return rng.integers(0, 256, size=(n, 3 * side * side), dtype=np.uint8)


def make_fake_cifar10(root, n_per_batch=6, n_test=8):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        n = n_test if name == "test_batch" else n_per_batch
        # python-3 style: bytes keys, labels as a list (as in the real files)
        _dump(folder / name, {b"data": _images(rng, n, 32), b"labels": rng.integers(0, 10, n).tolist()})
    return folder


def test_missing_cifar_dir_names_dir_and_files(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_vision_task("cifar10", tmp_path / "nowhere")
    msg = str(err.value)
    assert str(tmp_path / "nowhere" / "cifar-10-batches-py") in msg
    for f in expected_files("cifar10"):
        assert f in msg
    assert "never downloads" in msg


def test_partially_missing_files_are_listed(tmp_path):
    folder = make_fake_cifar10(tmp_path)
    (folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="missing in .*: data_batch_3"):
        load_task("cifar10", tmp_path)


def test_no_root_and_no_env_is_explained(monkeypatch):
    monkeypatch.delenv("NASBENCH_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="--data-root"):
        load_vision_task("cifar100", None)


def test_fake_cifar10_loads_with_nb201_splits_and_augments(tmp_path):
    make_fake_cifar10(tmp_path)
    task = load_task("cifar10", tmp_path)  # root holding cifar-10-batches-py/
    assert task.x_train.shape == (15, 3, 32, 32) and task.x_val.shape == (15, 3, 32, 32)
    assert task.x_test.shape == (8, 3, 32, 32) and task.x_train.dtype == np.float32
    assert task.n_classes == 10 and task.meta["splits"]["protocol"] == "NB201 cifar10-valid"
    assert task.meta["sizes"] == {"train": 15, "val": 15, "test": 8}
    # the dataset folder itself works too, with the same result
    same = load_vision_task("cifar10", tmp_path / "cifar-10-batches-py")
    assert same.fingerprint() == task.fingerprint()
    # normalisation: values are (pixel/255 - mean) / std
    mean, std = task.meta["normalise"]["mean"], task.meta["normalise"]["std"]
    lo = (0 - np.array(mean)) / np.array(std)
    hi = (1 - np.array(mean)) / np.array(std)
    per_channel = task.x_train.transpose(1, 0, 2, 3).reshape(3, -1)
    assert np.all(per_channel.min(1) >= lo - 1e-5) and np.all(per_channel.max(1) <= hi + 1e-5)
    # augmentation on a packed batch (B, g*3, H, W)
    xb = torch.as_tensor(np.concatenate([task.x_train[:4], task.x_train[4:8]], axis=1))  # g = 2
    g1 = torch.Generator().manual_seed(0)
    out = task.augment(xb, g1)
    assert out.shape == xb.shape and out.dtype == xb.dtype
    assert torch.equal(out, task.augment(xb, torch.Generator().manual_seed(0)))  # seeded
    assert not torch.equal(out, xb)


def test_augment_is_crop_and_flip_with_zero_padding():
    aug = NB201Augment(pad=2, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    x = torch.arange(2 * 6 * 4 * 4, dtype=torch.float32).reshape(2, 6, 4, 4)
    out = aug(x, torch.Generator().manual_seed(1))
    fill = -0.5 / 0.25
    xp = torch.nn.functional.pad(x.reshape(4, 3, 4, 4), (2, 2, 2, 2), value=fill)
    for n, img in enumerate(out.reshape(4, 3, 4, 4)):
        windows = [xp[n, :, i:i + 4, j:j + 4] for i in range(5) for j in range(5)]
        windows += [w.flip(-1) for w in windows]
        assert any(torch.equal(img, w) for w in windows), n


def test_fake_cifar100_and_imagenet16(tmp_path):
    rng = np.random.default_rng(1)
    c100 = tmp_path / "cifar-100-python"
    c100.mkdir()
    for name, n in (("train", 12), ("test", 10)):
        # python-2 style pickles come back with str keys
        _dump(c100 / name, {"data": _images(rng, n, 32), "fine_labels": rng.integers(0, 100, n).tolist(),
                            "coarse_labels": rng.integers(0, 20, n).tolist()}, protocol=5)
    task = load_vision_task("cifar100", tmp_path)
    assert task.meta["sizes"] == {"train": 12, "val": 5, "test": 5}
    assert task.n_classes == 100

    im = tmp_path / "ImageNet16"
    im.mkdir()
    labels_all = []
    for name in [f"train_data_batch_{i}" for i in range(1, 11)] + ["val_data"]:
        labels = np.array([1, 120, 121, 1000, 60])  # 1-based; only 1..120 are kept
        labels_all.append(labels)
        _dump(im / name, {"data": _images(rng, 5, 16), "labels": labels.tolist(), "mean": np.zeros(768)},
              protocol=4)
    task = load_vision_task("imagenet16-120", tmp_path)
    assert task.x_train.shape == (30, 3, 16, 16)  # 3 of 5 kept per batch, 10 batches
    assert sorted(set(task.y_train.tolist())) == [0, 59, 119]
    assert task.meta["sizes"] == {"train": 30, "val": 1, "test": 2}
    assert task.augment.pad == 2


def test_pickles_cannot_run_code(tmp_path):
    folder = make_fake_cifar10(tmp_path)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    _dump(folder / "test_batch", {"data": Evil(), "labels": [0]})
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load (__builtin__|builtins)\.print"):
        load_vision_task("cifar10", tmp_path)
