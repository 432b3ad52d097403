"""Cheap performance estimators (zero-cost proxies, learning-curve extrapolation, ...).

``PerformanceEstimator`` (``estimate(archs) -> (n,)``, ``cost_``, ``fit``) is in :mod:`.base`;
concrete estimators live in their own modules (``zero_cost``, ``curves``, ``supernet``) and import torch
there, so ``import nasbench.estimators`` stays light.
"""
from nasbench.estimators.base import PerformanceEstimator, ScoreTable, as_indices

__all__ = ["PerformanceEstimator", "ScoreTable", "as_indices"]
