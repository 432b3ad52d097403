"""Search strategies on the ask/tell contract of :class:`~nasbench.strategies.base.Strategy`.

Every strategy is built as ``Strategy(space, seed, **hparams)``, never sees a benchmark, and is
driven by :func:`nasbench.runner.run` (pass the class, or a ``functools.partial`` with
hyper-parameters, as the strategy factory).
"""
from nasbench.strategies.bananas import Bananas, default_predictor
from nasbench.strategies.early_stopping import EarlyStoppingRandomSearch
from nasbench.strategies.base import Strategy, Suggestion, higher_is_better
from nasbench.strategies.evolution import RegularizedEvolution
from nasbench.strategies.local_search import LocalSearch
from nasbench.strategies.multifidelity import BOHB, Hyperband, SuccessiveHalving, rung_fidelities
from nasbench.strategies.multiobjective import (NSGA2, ConstrainedEvolution, crowding_distance, hypervolume_2d,
                                                non_dominated_sort, pareto_mask)
from nasbench.strategies.random_search import RandomSearch
from nasbench.strategies.reinforce import Reinforce

__all__ = [
    "Strategy", "Suggestion", "higher_is_better",
    "RandomSearch", "RegularizedEvolution", "LocalSearch", "Reinforce", "Bananas", "default_predictor",
    "SuccessiveHalving", "Hyperband", "BOHB", "rung_fidelities", "EarlyStoppingRandomSearch",
    "NSGA2", "ConstrainedEvolution", "pareto_mask", "non_dominated_sort", "crowding_distance", "hypervolume_2d",
]
