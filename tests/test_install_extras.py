"""Install weight: xgboost is the ``predictors`` extra (not a core dependency), and nasbench works
without it; whatever needs it says which extra to install."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench._optional import require

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _project() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    with open(PYPROJECT, "rb") as f:
        return tomllib.load(f)["project"]


def _names(reqs) -> list[str]:
    return [re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in reqs]


def test_xgboost_is_an_extra_pulled_by_the_tests():
    p = _project()
    extras = p["optional-dependencies"]
    assert "xgboost" not in _names(p["dependencies"])
    assert "xgboost" in _names(extras["predictors"]) and "xgboost" in _names(extras["test"])
    # xgboost-cpu replaces the files of xgboost when both are installed, and has no macOS wheels
    assert not any("xgboost-cpu" in _names(r) for r in [p["dependencies"], *extras.values()])
    assert not any(n.startswith("nvidia") for r in [p["dependencies"], *extras.values()] for n in _names(r))


def test_require_names_the_extra():
    assert require("json") is json
    with pytest.raises(ImportError, match=r"pip install 'nasbench\[predictors\]'") as exc:
        require("xgboost_not_installed_here", extra="predictors", purpose="the XGBoost predictor")
    assert str(exc.value).startswith("the XGBoost predictor needs xgboost_not_installed_here")
    assert isinstance(exc.value.__cause__, ImportError)


_PROBE = r"""
import importlib, json, sys
sys.modules["xgboost"] = None  # as if xgboost were not installed: `import xgboost` raises ImportError
from nasbench._optional import require
bad = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as err:
        chain, e = [], err
        while e is not None:
            chain.append(e)
            e = e.__cause__ or e.__context__
        if any(getattr(x, "name", None) == "xgboost" or "xgboost" in str(x) for x in chain) \
                and "nasbench[predictors]" not in str(err):
            bad[name] = f"{type(err).__name__}: {err}"
try:
    require("xgboost", purpose="the probe")
    bad["require"] = "no error"
except ImportError as err:
    if "pip install 'nasbench[predictors]'" not in str(err):
        bad["require"] = str(err)
print(json.dumps(bad))
"""


def test_nasbench_works_without_xgboost():
    from test_layering import _discovered

    names = [n for n in _discovered() if n != "nasbench.__main__"]
    p = subprocess.run([sys.executable, "-c", _PROBE, *names], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    bad = json.loads(p.stdout.strip().splitlines()[-1])
    assert bad == {}, ("without xgboost these imports fail without naming pip install 'nasbench[predictors]' "
                       f"(use nasbench._optional.require): {bad}")
