"""Layering: ``import nasbench`` and the query-side modules never import torch, pandas or
matplotlib (DESIGN.md section 2).  Each module is imported in a fresh interpreter.

The list is the fixed core below, the named query-side modules that exist now
(``importlib.util.find_spec``), and every other module found in the package directory except
the ones allowed to need heavy dependencies (``HEAVY``), so modules added later are covered.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BANNED = ("torch", "pandas", "matplotlib")
CORE = ["nasbench", "nasbench.types", "nasbench.rng", "nasbench.space", "nasbench.spaces",
        "nasbench.spaces.nb201", "nasbench.benchmarks", "nasbench.benchmarks.synthetic"]
QUERY_SIDE = ["nasbench.benchmarks.tabular", "nasbench.strategies", "nasbench.runner", "nasbench.io.hdf5",
              "nasbench.io.records", "nasbench.encodings", "nasbench.predictors", "nasbench.metrics",
              "nasbench.benchmarks.surrogate", "nasbench.catalog", "nasbench.cli"]
#: modules (and packages, with everything below them) that may import torch / pandas / matplotlib
HEAVY = ("nasbench.train", "nasbench.estimators", "nasbench.benchmarks.live", "nasbench.leaderboard",
         "nasbench.plotting", "nasbench.jobs", "nasbench.__main__",
         # scikit-learn imports pandas: the transformer / predictor implementations are resolved
         # lazily by nasbench.encodings / nasbench.predictors, which stay light themselves
         "nasbench._encoders", "nasbench.predictors._models", "nasbench.predictors._gin")


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _discovered() -> list[str]:
    """Every module file under the nasbench package directory (without importing anything)."""
    root = Path(importlib.util.find_spec("nasbench").origin).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(not p.isidentifier() for p in parts):
            continue
        names.append(".".join(parts))
    return names


def _is_heavy(name: str) -> bool:
    return any(name == h or name.startswith(h + ".") for h in HEAVY)


def modules_to_check() -> list[str]:
    names = list(CORE) + [m for m in QUERY_SIDE if _exists(m)]
    names += [m for m in _discovered() if not _is_heavy(m)]
    return list(dict.fromkeys(names))


_PROBE = ("import importlib, json, sys\n"
          "for name in sys.argv[1:]:\n"
          "    importlib.import_module(name)\n"
          f"print(json.dumps(sorted(m for m in {BANNED!r} if m in sys.modules)))")


def _probe(names: list[str]) -> tuple[list[str] | None, str]:
    """Import ``names`` in one fresh interpreter: (banned modules loaded, or None on error; stderr)."""
    p = subprocess.run([sys.executable, "-c", _PROBE, *names], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]
    return json.loads(p.stdout.strip().splitlines()[-1]), ""


def test_module_list_covers_the_named_modules():
    names = modules_to_check()
    for m in CORE:
        assert m in names
    for m in QUERY_SIDE:
        assert (m in names) == _exists(m)


def test_query_side_imports_stay_light():
    names = modules_to_check()
    # importing only adds to sys.modules: if all of them together stay light, each one does
    heavy, err = _probe(names)
    if heavy == []:
        return
    failures = {}
    for n in names:  # find the culprits, one interpreter per module
        heavy, err = _probe([n])
        if heavy is None:
            failures[n] = f"import failed: {err}"
        elif heavy:
            failures[n] = f"imports {', '.join(heavy)}"
    assert not failures, f"layering broken (DESIGN.md section 2): {failures}"


@pytest.mark.parametrize("name", ["nasbench.train", "nasbench.jobs.live"])
def test_heavy_modules_are_not_imported_by_nasbench(name):
    # importing the package must not pull the heavy modules in either
    code = f"import sys, nasbench; print({name!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
