"""Trainer: determinism, divergence handling, packed vs sequential seeds, timing, augmentation."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench.spaces import NB201Space  # noqa: E402
from nasbench.train.data import synthetic_task  # noqa: E402
from nasbench.train.trainer import METRICS, TrainConfig, Trainer  # noqa: E402
from nasbench.train.vision import NB201Augment  # noqa: E402

SPACE = NB201Space()
ARCH = SPACE.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|"
                         "skip_connect~2|")
CFG = TrainConfig(preset="nb201-mnist1d", epochs=2, batch_size=16, eval_batch_size=64, device="cpu", threads=1)


@pytest.fixture(scope="module")
def task():
    return synthetic_task(input_shape=(1, 40), n_classes=10, n=(64, 32, 32), seed=0)


def test_same_seed_same_curve(task):
    a = Trainer(CFG).train(ARCH, task, seeds=[0, 1])
    b = Trainer(CFG).train(ARCH, task, seeds=[0, 1])
    for m in METRICS:
        np.testing.assert_array_equal(a.metrics[m], b.metrics[m], err_msg=m)
    assert a.metrics["val_acc"].shape == (2, 2)
    np.testing.assert_array_equal(a.epochs, [1, 2])
    np.testing.assert_array_equal(a.seeds, [0, 1])
    assert np.isfinite(a.metrics["val_loss"]).all()
    # another seed starts elsewhere
    c = Trainer(CFG).train(ARCH, task, seeds=[5])
    assert not np.array_equal(c.metrics["train_loss"][0], a.metrics["train_loss"][0])


def test_packed_equals_sequential(task):
    packed = Trainer(CFG).train(ARCH, task, seeds=[0, 1, 2])
    seq = Trainer(CFG.replace(pack_seeds=False)).train(ARCH, task, seeds=[0, 1, 2])
    for m in METRICS:
        tol = 1e-4 if m.endswith("loss") else 1e-9  # accuracies: the same predictions
        np.testing.assert_allclose(packed.metrics[m], seq.metrics[m], rtol=0, atol=tol, err_msg=m)
    # one seed trained alone equals that seed trained in a pack
    alone = Trainer(CFG).train(ARCH, task, seeds=[1])
    np.testing.assert_allclose(alone.metrics["train_loss"][0], packed.metrics["train_loss"][1], atol=1e-4)


def test_train_time_is_cumulative_and_increasing(task):
    curve = Trainer(CFG.replace(epochs=3)).train(ARCH, task, seeds=[0, 1])
    assert curve.train_time.shape == (2, 3)
    assert np.all(curve.train_time > 0)
    assert np.all(np.diff(curve.train_time, axis=1) > 0)


@pytest.mark.parametrize("how", ["huge_lr", "inf_input"])
def test_divergence_gives_nan_and_flag_not_exception(task, how):
    if how == "huge_lr":
        cfg, t = CFG.replace(lr=1e6), task
    else:
        cfg = CFG
        t = synthetic_task(input_shape=(1, 40), n_classes=10, n=(64, 32, 32), seed=0)
        t.x_train[3, 0, 5] = np.inf
    curve = Trainer(cfg).train(ARCH, t, seeds=[0, 1])
    assert curve.diverged.tolist() == [True, True]
    for m in METRICS:
        assert np.isnan(curve.metrics[m][:, -1]).all(), m


def test_augmented_training_is_packing_independent():
    """With an augmentation every seed draws from its own stream, so packing seeds together
    gives the same curves as training them one after another."""
    t = synthetic_task(input_shape=(3, 16, 16), n_classes=120, n=(32, 16, 16), seed=1)
    t.augment = NB201Augment(2, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    cfg = TrainConfig(preset="nb201-imagenet16-120", epochs=1, batch_size=16, device="cpu", threads=1)
    arch = SPACE.from_string("|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    packed = Trainer(cfg).train(arch, t, seeds=[0, 1])
    seq = Trainer(cfg.replace(pack_seeds=False)).train(arch, t, seeds=[0, 1])
    np.testing.assert_allclose(packed.metrics["train_loss"], seq.metrics["train_loss"], atol=1e-4)
    np.testing.assert_allclose(packed.metrics["val_acc"], seq.metrics["val_acc"], atol=1e-9)
    t.augment = None
    plain = Trainer(cfg).train(arch, t, seeds=[0, 1])
    assert not np.allclose(plain.metrics["train_loss"], packed.metrics["train_loss"])  # it did augment


def test_no_seed_is_an_error(task):
    with pytest.raises(ValueError, match="seed"):
        Trainer(CFG).train(ARCH, task, seeds=[])


@pytest.mark.gpu
def test_cuda_training_runs_and_matches_cpu_roughly(task):
    cfg = CFG.replace(device="cuda", amp=False)
    gpu = Trainer(cfg).train(ARCH, task, seeds=[0, 1])
    cpu = Trainer(CFG).train(ARCH, task, seeds=[0, 1])
    assert gpu.info["device"].startswith("cuda")
    assert np.isfinite(gpu.metrics["val_loss"]).all()
    np.testing.assert_allclose(gpu.metrics["train_loss"][:, 0], cpu.metrics["train_loss"][:, 0], rtol=1e-2)


@pytest.mark.gpu
def test_cuda_amp_training_is_finite(task):
    curve = Trainer(CFG.replace(device="cuda", amp=True)).train(ARCH, task, seeds=[0])
    assert not curve.diverged.any() and np.isfinite(curve.metrics["val_acc"]).all()


@pytest.mark.gpu
def test_cuda_deterministic_repeats_are_identical(task):
    cfg = CFG.replace(device="cuda", amp=False, deterministic=True)
    a = Trainer(cfg).train(ARCH, task, seeds=[0, 1])
    b = Trainer(cfg).train(ARCH, task, seeds=[0, 1])
    for m in METRICS:
        np.testing.assert_array_equal(a.metrics[m], b.metrics[m], err_msg=m)
    assert torch.backends.cudnn.deterministic is False  # the previous setting is restored
    assert a.info["cpu_capability"] is None and a.info["seed_packs"] == [[0, 1]]
