"""Size-space networks: NATS-Bench's parameter counts, packed seeds, 1-D preset."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from nasbench.spaces import SizeMNIST1DSpace, SizeSpace  # noqa: E402
from nasbench.train.models import build_model, build_size_model, count_params  # noqa: E402

# NATS-Bench's stored parameter counts (size space, CIFAR-10), as quoted with the architecture in a
# public re-implementation that checks them against the benchmark file; the first two also follow
# from xautodl's InferTinyCellNet by hand
NATS_PARAMS = {"8:8:8:8:8": 11_714, "8:8:16:40:40": 107_826, "64:64:64:64:64": 713_674}


@pytest.mark.parametrize("s,n", sorted(NATS_PARAMS.items()))
def test_nats_parameter_counts(s, n):
    m = build_model(SizeSpace().from_string(s), "size-cifar10", seeds=[0])
    assert sum(p.numel() for p in m.parameters()) == n


def test_widths_or_arch_give_the_same_network():
    s = SizeSpace()
    a = s.from_string("64:32:16:48:24")
    m1 = build_size_model(a, "size-cifar10", seeds=[3])
    m2 = build_size_model([64, 32, 16, 48, 24], "size-cifar10", seeds=[3])
    for (k1, v1), (k2, v2) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)


@pytest.mark.parametrize("preset,shape", [("size-mnist1d", (1, 40)), ("size-cifar10", (3, 32, 32))])
def test_packed_copies_equal_single_models(preset, shape):
    space = SizeMNIST1DSpace() if preset == "size-mnist1d" else SizeSpace()
    a = space.from_string("12:8:20:4:16" if preset == "size-mnist1d" else "16:8:24:8:40")
    seeds = [0, 5]
    packed = build_model(a, preset, seeds=seeds).eval()
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = packed(x.repeat(1, 2, *([1] * (x.dim() - 2))))
        assert out.shape == (3, 2, 10)
        for i, s in enumerate(seeds):
            single = build_model(a, preset, seeds=[s]).eval()
            torch.testing.assert_close(out[:, i], single(x)[:, 0], rtol=1e-4, atol=1e-5)
    assert count_params(packed) == pytest.approx(count_params(build_model(a, preset, seeds=[0])))


def test_params_grow_with_every_width():
    space = SizeMNIST1DSpace()
    base = [3] * 5
    p0 = count_params(build_model(space.arch(base), "size-mnist1d", seeds=[0]))
    for l in range(5):
        wider = list(base)
        wider[l] += 1
        assert count_params(build_model(space.arch(wider), "size-mnist1d", seeds=[0])) > p0


def test_unknown_preset():
    with pytest.raises(ValueError, match="size preset"):
        build_size_model([8] * 5, "size-mnist2d")


@pytest.mark.parametrize("preset,shape", [("size-cifar10", (3, 32, 32)), ("size-mnist1d", (1, 40)),
                                          ("size-imagenet16-120", (3, 16, 16))])
def test_closed_form_counts_equal_the_built_networks(preset, shape):
    import numpy as np

    from nasbench.train.models.size import size_counts
    from nasbench.train.profile import count_flops

    space = SizeMNIST1DSpace() if preset == "size-mnist1d" else SizeSpace()
    idx = np.array([0, space.size - 1, *np.random.default_rng(1).integers(0, space.size, 6)])
    params, macs = size_counts(space.widths_of(idx), preset)
    for k, i in enumerate(idx):
        m = build_model(space.from_index(int(i)), preset, seeds=[0])
        assert params[k] == pytest.approx(count_params(m), rel=1e-12)
        assert macs[k] == pytest.approx(count_flops(m, shape), rel=1e-12)


@pytest.mark.gpu
@pytest.mark.parametrize("preset,shape", [("size-mnist1d", (1, 40)), ("size-cifar10", (3, 32, 32))])
def test_cuda_training_of_size_networks(preset, shape):
    import numpy as np

    from nasbench.train import TrainConfig, Trainer, synthetic_task

    space = SizeMNIST1DSpace() if preset == "size-mnist1d" else SizeSpace()
    arch = space.from_index(12345)
    task = synthetic_task(input_shape=shape)
    cfg = TrainConfig(preset=preset, epochs=2, batch_size=64, eval_batch_size=128, device="cuda", amp=False)
    gpu = Trainer(cfg).train(arch, task, seeds=[0, 1])
    cpu = Trainer(cfg.replace(device="cpu")).train(arch, task, seeds=[0, 1])
    assert gpu.info["device"].startswith("cuda") and not gpu.diverged.any()
    np.testing.assert_allclose(gpu.metrics["train_loss"][:, 0], cpu.metrics["train_loss"][:, 0], rtol=2e-2)
    amp = Trainer(cfg.replace(amp=True)).train(arch, task, seeds=[0, 1])  # AMP (+ channels_last in 2-D)
    assert np.isfinite(amp.metrics["val_acc"]).all()
