"""The ``nasbench`` command: version, train, profile, profile-space, errors."""
from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

import nasbench
from nasbench.cli import main

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"


def test_version_console_script_and_module():
    exe = shutil.which("nasbench")
    cmds = [[sys.executable, "-m", "nasbench", "--version"]]
    if exe:
        cmds.append([exe, "--version"])
    for cmd in cmds:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        assert out.strip() == f"nasbench {nasbench.__version__}", cmd


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_train_synthetic_one_epoch(capsys):
    pytest.importorskip("torch")
    rc = main(["train", "--arch", ARCH, "--task", "synthetic", "--epochs", "1", "--seed", "0", "1",
               "--device", "cpu", "--threads", "1", "--batch-size", "64"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "preset nb201-mnist1d" in out and "seeds [0, 1]" in out
    lines = out.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.split()[:2] == ["epoch", "train_loss"])
    row = lines[head + 1].split()
    assert row[0] == "1" and len(row) == 6
    assert all(np.isfinite(float(v)) for v in row[1:])


def test_profile_prints_units(capsys):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    rc = main(["profile", "--arch", ARCH, "--preset", "nb201-mnist1d", "--batch-sizes", "1", "8",
               "--repeats", "2"])
    assert rc == 0
    assert torch.get_num_threads() == before  # timed with --threads 1 (default), then restored
    out = capsys.readouterr().out
    assert " M (trainable parameters, millions)" in out
    assert "M MACs" in out and "multiply-accumulates" in out
    assert "ms at batch size 1 " in out and "ms at batch size 8 " in out
    assert "1 thread(s)" in out


@pytest.mark.parametrize("cmd", [["train", "--task", "synthetic", "--epochs", "1"], ["profile"]])
def test_bad_arch_string_fails_with_message(cmd, capsys):
    rc = main([cmd[0], "--arch", "|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|", *cmd[1:]])
    assert rc == 1
    err = capsys.readouterr().err
    assert f"nasbench {cmd[0]}: error:" in err and "unknown op 'conv_9x9'" in err


def test_missing_vision_data_fails_with_message(tmp_path, capsys):
    pytest.importorskip("torch")
    rc = main(["train", "--arch", ARCH, "--task", "cifar10", "--data-root", str(tmp_path), "--epochs", "1"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "cifar-10-batches-py" in err and "data_batch_1" in err


def test_profile_space_on_a_few_archs(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    from nasbench.jobs import static_pass

    real = static_pass.profile_space

    def few(out, **kw):  # the CLI profiles everything; the test only three architectures
        return real(out, indices=[0, 7, 15624], progress=False, **kw)

    monkeypatch.setattr(static_pass, "profile_space", few)
    rc = main(["profile-space", "--preset", "nb201-mnist1d", "--out", str(tmp_path), "--repeats", "1",
               "--warmup", "0", "--batch-sizes", "1", "4"])
    assert rc == 0
    assert "3/15625 architectures profiled" in capsys.readouterr().out


def test_static_pass_is_resumable_and_readable(tmp_path):
    pytest.importorskip("torch")
    from nasbench.jobs.static_pass import profile_space, read_static

    import torch

    kw = dict(preset="nb201-mnist1d", batch_sizes=(1, 4), repeats=1, warmup=0, chunk=5000, progress=False)
    threads = torch.get_num_threads()
    static = profile_space(tmp_path, indices=[3, 9000], **kw)
    assert torch.get_num_threads() == threads  # measured with 1 thread, then restored
    assert sorted(p.name for p in static.iterdir()) == ["chunk-00000.npz", "chunk-05000.npz", "meta.json"]
    first = (static / "chunk-00000.npz").stat().st_mtime_ns
    profile_space(tmp_path, indices=[3, 9000, 4], **kw)  # 3 and 9000 are kept, 4 is added
    values, meta = read_static(tmp_path)
    assert set(values) == {"params", "flops", "latency_cpu_bs1", "latency_cpu_bs4"}
    for v in values.values():
        assert v.shape == (15625,) and v.dtype == np.float32
        assert np.isfinite(v[[3, 4, 9000]]).all() and np.isnan(v).sum() == 15625 - 3
    with np.load(static / "chunk-00000.npz") as f:
        np.testing.assert_array_equal(f["index"], [3, 4])
        assert f["index"].dtype == np.int64
    assert (static / "chunk-00000.npz").stat().st_mtime_ns >= first
    assert values["params"][3] > 0 and values["flops"][3] >= 0
    assert meta["batch_sizes"] == [1, 4] and meta["threads"] == 1 and meta["repeats"] == 1
    assert "multiply-accumulates" in meta["flops_counts"] and meta["cpu"] and meta["torch"]
    assert not [p for p in static.iterdir() if p.name.endswith(".tmp")]  # atomic writes leave nothing
    # nothing left to do: chunk files are not rewritten
    before = {p.name: p.stat().st_mtime_ns for p in static.glob("chunk-*.npz")}
    profile_space(tmp_path, indices=[3, 4, 9000], **kw)
    assert before == {p.name: p.stat().st_mtime_ns for p in static.glob("chunk-*.npz")}
    with pytest.raises(ValueError, match="repeats"):
        profile_space(tmp_path, indices=[5], **dict(kw, repeats=3))
    with pytest.raises(FileNotFoundError, match="meta.json"):
        read_static(tmp_path / "empty")


def test_train_on_local_cifar10_files(tmp_path, capsys):
    pytest.importorskip("torch")
    import pickle

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                         b"labels": rng.integers(0, 10, 4).tolist()}, f, protocol=2)
    rc = main(["train", "--arch", ARCH, "--task", "cifar10", "--data-root", str(tmp_path), "--epochs", "1",
               "--seed", "0", "1", "--threads", "1", "--batch-size", "8"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "preset nb201-cifar10" in out and "task    cifar10" in out
