"""Performance predictors: the scikit-learn regressor contract over architecture encodings.

Every predictor keeps its settings in ``__init__``, learns in ``fit(X, y) -> self`` (fitted state
ends in ``_``) and predicts with ``predict(X) -> (n,)``; the ones with an uncertainty (ensembles,
GP, forest) also take ``predict(X, return_std=True) -> (mean (n,), std (n,))``.  ``X`` is an
``(n, d)`` feature array (an encoding from :mod:`nasbench.encodings`, optionally with extra
columns); put an encoder in front with ``sklearn.pipeline.make_pipeline`` to predict from
architectures directly.  NaN targets are refused with an error; results are deterministic given
``random_state``.

=========================  ===================================================  ============
name                       model                                                 needs
=========================  ===================================================  ============
:class:`XGBoostPredictor`  gradient-boosted trees (xgboost's sklearn API)       ``[predictors]``
:class:`RandomForestPredictor`  random forest; std over trees                   scikit-learn
:class:`GPPredictor`       GP, exponentiated-Hamming (RBF on one-hot) kernel    scikit-learn
:class:`MLPEnsemble`       ensemble of scikit-learn MLPs; std over members      scikit-learn
:class:`GINPredictor`      graph isomorphism network on the cell, ensemble      ``[train]`` (torch)
:class:`CurvePredictor`    LcSVR: features + first k epochs -> final value      scikit-learn
:class:`BaggedPredictor`   bootstrap ensemble of any predictor; std over members  scikit-learn
=========================  ===================================================  ============

The classes are resolved lazily (scikit-learn imports pandas; ``import nasbench.predictors``
stays numpy-only).
"""
from __future__ import annotations

__all__ = ["XGBoostPredictor", "RandomForestPredictor", "GPPredictor", "MLPEnsemble", "GINPredictor",
           "CurvePredictor", "BaggedPredictor", "supports_std"]

_WHERE = {"XGBoostPredictor": "_models", "RandomForestPredictor": "_models", "GPPredictor": "_models",
          "MLPEnsemble": "_models", "CurvePredictor": "_models", "BaggedPredictor": "_models",
          "supports_std": "_models", "GINPredictor": "_gin"}


def __getattr__(name):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{mod}"), name)


def __dir__():
    return sorted(list(globals()) + list(_WHERE))
