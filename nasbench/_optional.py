"""Optional dependencies: import one, or raise an ``ImportError`` that names the extra to install.

``import nasbench`` and the default install need none of them (DESIGN.md section 6)::

    xgb = require("xgboost", extra="predictors")   # ImportError: ... pip install 'nasbench[predictors]'
"""
from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require", "EXTRAS"]

#: module -> the extra of ``pyproject.toml`` that installs it
EXTRAS = {"xgboost": "predictors", "torch": "train", "mnist1d": "train", "ray": "ray", "ConfigSpace": "configspace"}


def require(module: str, extra: str | None = None, purpose: str | None = None) -> ModuleType:
    """``importlib.import_module(module)``; on failure an ``ImportError`` naming ``pip install
    'nasbench[<extra>]'`` (``extra`` defaults to :data:`EXTRAS`), with the original as its cause."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        extra = extra or EXTRAS.get(module.split(".")[0])
        what = purpose or module
        hint = f"pip install 'nasbench[{extra}]'" if extra else f"pip install {module.split('.')[0]}"
        raise ImportError(f"{what} needs {module.split('.')[0]}, which is not installed: {hint}",
                          name=module) from err
