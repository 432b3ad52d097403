"""Shared pytest fixtures and markers.

* ``nb201_data_dir``: the read-only NAS-Bench-201 reference tables in ``<repo>/../shared/data/nb201``.
  Tests using it skip with a reason when the folder is absent, except under ``CI=true``, where
  they fail (so they cannot silently skip forever).
* ``@pytest.mark.gpu`` tests are skipped when CUDA is not available.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

NB201_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nb201"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def nb201_data_dir() -> Path:
    """Path of the NB201 reference CSVs (``nb201_accuracy.csv``, ``nb201_hwnasbench.csv``)."""
    if not (NB201_DATA / "nb201_accuracy.csv").is_file():
        msg = f"NB201 reference data not found in {NB201_DATA} (../shared/data/nb201 next to the repository)"
        if _in_ci():
            pytest.fail(msg + " and CI=true: the data must be present in CI")
        pytest.skip(msg)
    return NB201_DATA


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA device (torch.cuda.is_available() is False)")
        for item in gpu_items:
            item.add_marker(skip)
