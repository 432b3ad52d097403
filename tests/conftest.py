"""Shared pytest fixtures and markers.

* ``nb201_data_dir``: the read-only NAS-Bench-201 reference tables in ``$NASBENCH_NB201_DATA``,
  else ``<repo>/../shared/data/nb201``.
  Tests using it skip with a reason when the folder is absent, except under ``CI=true``, where
  they fail (so they cannot silently skip forever).
* ``queued_trace(factory, bench, budget, seed)``: the trace of a one-worker run driven through
  the runner's event queue, answering through ``query()`` (what ``run`` must equal).
* ``@pytest.mark.gpu`` tests are skipped when CUDA is not available.
* The suite never writes to the user's home: before any test runs, ``HOME``, the XDG
  directories, ``NASBENCH_CACHE`` (MNIST-1D cache), ``MPLCONFIGDIR`` and ``IPYTHONDIR`` point
  into a temporary directory (removed at the end), for this process and every subprocess and
  notebook kernel it starts.  ``REAL_HOME`` keeps the user's home for the test that checks it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REAL_HOME = Path(os.path.expanduser("~"))
SANDBOX = Path(tempfile.mkdtemp(prefix="nasbench-tests-home-"))
_SANDBOX_ENV = {
    "HOME": "", "XDG_CACHE_HOME": ".cache", "XDG_DATA_HOME": ".local/share", "XDG_CONFIG_HOME": ".config",
    "NASBENCH_CACHE": ".cache/nasbench", "MPLCONFIGDIR": ".config/matplotlib", "IPYTHONDIR": ".ipython",
}
for _var, _sub in _SANDBOX_ENV.items():
    os.environ[_var] = str(SANDBOX / _sub)


def pytest_unconfigure(config):
    shutil.rmtree(SANDBOX, ignore_errors=True)

#: the NB201 reference CSVs: ``$NASBENCH_NB201_DATA``, else ``../shared/data/nb201`` next to the repository
NB201_DATA = Path(os.environ.get("NASBENCH_NB201_DATA")
                  or Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nb201")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def nb201_data_dir() -> Path:
    """Path of the NB201 reference CSVs (``nb201_accuracy.csv``, ``nb201_hwnasbench.csv``)."""
    if not (NB201_DATA / "nb201_accuracy.csv").is_file():
        msg = (f"NB201 reference data not found in {NB201_DATA} ($NASBENCH_NB201_DATA, else ../shared/data/nb201 "
               "next to the repository; README: 'Where the data come from')")
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


@pytest.fixture
def queued_trace():
    """``f(factory, bench, budget, seed) -> Trace``: one worker, stepped through the event queue
    (``_Run.step``/``start``) with every job answered by ``bench.query`` instead of the
    benchmark's array reader, the path ``run`` with one worker must reproduce."""
    from nasbench.runner import _evaluate, _Run, _Search

    def trace(factory, bench, budget, seed):
        search = _Search(factory, bench, budget, 1, None, (), None, "static")
        search.reads_scalars = False  # answer through query()
        r = _Run(search, seed)
        jobs = r.step()
        while jobs is not None:
            results, _ = _evaluate(search, jobs)
            r.start(jobs, results)
            jobs = r.step()
        return r.close()

    return trace
