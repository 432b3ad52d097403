"""The test suite writes only to temporary directories, never to the user's home (conftest.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REAL_HOME, SANDBOX
from nasbench.benchmarks.tabular import user_data_dir


def _inside(path, root: Path) -> bool:
    path = Path(path).resolve()
    return path == root.resolve() or root.resolve() in path.parents


def test_home_and_caches_point_into_the_sandbox():
    assert SANDBOX.is_dir() and not _inside(SANDBOX, REAL_HOME)
    assert _inside(Path.home(), SANDBOX)
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "NASBENCH_CACHE", "MPLCONFIGDIR"):
        assert _inside(os.environ[var], SANDBOX), var


def test_default_output_directories_are_in_the_sandbox(monkeypatch):
    monkeypatch.delenv("NASBENCH_DATA", raising=False)
    assert _inside(user_data_dir(), SANDBOX)  # importers' default output


def test_mnist1d_cache_is_in_the_sandbox():
    pytest.importorskip("torch")
    from nasbench.train.data import cache_dir

    assert _inside(cache_dir(), SANDBOX) and not _inside(cache_dir(), REAL_HOME)


def test_subprocesses_inherit_the_sandbox():
    code = "import os, matplotlib; print(os.path.expanduser('~')); print(matplotlib.get_configdir())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert all(_inside(p, SANDBOX) for p in out), out
