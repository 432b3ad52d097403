"""Literal name -> factory tables for the command line (library code passes objects instead).

``STRATEGIES[name]`` is a :class:`StrategyEntry`; ``entry.build(benchmark)`` returns a strategy
factory ``(space, seed) -> Strategy`` for :func:`nasbench.runner.run`.  The benchmark is only
used to pick settings a strategy cannot know (which cost metric a multi-objective search trades
accuracy against, the cap of the constrained one); strategies themselves never see it.

``BENCHMARKS[name]`` builds the synthetic benchmarks; every other name or path goes to
:func:`nasbench.load_benchmark` (see :func:`get_benchmark`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nasbench.strategies import (BOHB, NSGA2, Bananas, ConstrainedEvolution, EarlyStoppingRandomSearch, Hyperband,
                                 LocalSearch, RandomSearch, RegularizedEvolution, Reinforce, SuccessiveHalving)

__all__ = ["STRATEGIES", "BENCHMARKS", "StrategyEntry", "strategy_factory", "get_benchmark",
           "DEFAULT_STRATEGIES", "cost_metric", "PREDICTORS", "PredictorEntry", "predictor_factory"]


def cost_metric(benchmark) -> str:
    """The static metric multi-objective strategies trade accuracy against: the benchmark's own
    ``tradeoff_metric`` when it names one (the size space's surrogate: its latency), else
    ``params`` when the benchmark has it, else its first ``latency_*`` metric, else ``flops``."""
    static = list(getattr(benchmark, "static_metrics", ()))
    own = getattr(benchmark, "tradeoff_metric", None)
    if own and own in static:
        return own
    for m in ["params"] + [s for s in static if s.startswith("latency")] + ["flops"]:
        if m in static:
            return m
    raise KeyError(f"{benchmark.name} has no params, latency or flops metric for a multi-objective search; "
                   f"static metrics: {static}")


def _fixed(factory) -> Callable:
    return lambda benchmark: factory


def _nsga2(benchmark):
    return functools.partial(NSGA2, objectives=("val_acc", cost_metric(benchmark)))


def _capped(benchmark):
    m = cost_metric(benchmark)
    cap = float(np.nanmedian(np.asarray(benchmark.table(m), dtype=np.float64)))
    return functools.partial(ConstrainedEvolution, metric=m, cap=cap)


class _Names(dict):
    """A literal ``name -> entry`` dict whose unknown names raise one ``KeyError`` line listing
    the known ones (``STRATEGIES["foo"]``: ``unknown strategy 'foo'; choose from [...]``)."""

    def __init__(self, what: str, entries: dict):
        super().__init__(entries)
        self.what = what

    def __missing__(self, name):
        raise KeyError(f"unknown {self.what} {name!r}; choose from {sorted(self)}")


@dataclass(frozen=True)
class StrategyEntry:
    """A catalog entry: a one-line description and ``build(benchmark) -> factory``."""

    description: str
    build: Callable
    kind: str = "single"  # "single", "multi-fidelity", "model-based", "multi-objective"


STRATEGIES: dict[str, StrategyEntry] = _Names("strategy", {
    "rs": StrategyEntry("random search (no repeats)", _fixed(RandomSearch)),
    "re": StrategyEntry("regularized evolution (population 10, tournament 3)", _fixed(RegularizedEvolution)),
    "ls": StrategyEntry("local search, best improvement, random restarts", _fixed(LocalSearch)),
    "ls-first": StrategyEntry("local search, first improvement, random restarts",
                              _fixed(functools.partial(LocalSearch, variant="first"))),
    "reinforce": StrategyEntry("REINFORCE, categorical policy per edge, EMA baseline", _fixed(Reinforce)),
    "bananas": StrategyEntry("BANANAS: bootstrap ensemble of 3 boosted-tree models on the path encoding, ITS",
                             _fixed(Bananas), "model-based"),
    "sh": StrategyEntry("successive halving (eta 3)", _fixed(SuccessiveHalving), "multi-fidelity"),
    "hb": StrategyEntry("Hyperband (eta 3)", _fixed(Hyperband), "multi-fidelity"),
    "sh-sotl": StrategyEntry("successive halving (eta 3), rungs ranked by training speed (SoTL)",
                             _fixed(functools.partial(SuccessiveHalving, rung_metric="sotl")), "multi-fidelity"),
    "hb-sotl": StrategyEntry("Hyperband (eta 3), rungs ranked by training speed (SoTL)",
                             _fixed(functools.partial(Hyperband, rung_metric="sotl")), "multi-fidelity"),
    "rs-es": StrategyEntry("random search with learning-curve early stopping (3 epochs, continue if "
                           "P(final > incumbent) >= 0.05)", _fixed(EarlyStoppingRandomSearch), "multi-fidelity"),
    "bohb": StrategyEntry("BOHB: Hyperband with a categorical TPE/KDE model", _fixed(BOHB), "multi-fidelity"),
    "nsga2": StrategyEntry("NSGA-II (steady state): validation accuracy vs params (or latency)", _nsga2,
                           "multi-objective"),
    "re-capped": StrategyEntry("regularized evolution under a cap: params (or latency) <= the space's median",
                               _capped, "multi-objective"),
})

#: what ``nasbench leaderboard`` runs when no strategies are named
DEFAULT_STRATEGIES = ("rs", "re", "ls", "reinforce", "bananas", "sh", "hb", "bohb")


def strategy_factory(name: str, benchmark):
    """Factory ``(space, seed) -> Strategy`` of the catalog strategy ``name`` for ``benchmark``."""
    return STRATEGIES[name].build(benchmark)


def _synthetic(name: str, **kw):
    def make():
        from nasbench.benchmarks.synthetic import SyntheticBenchmark

        bench = SyntheticBenchmark(**kw)
        bench.name = name
        return bench

    return make


BENCHMARKS: dict[str, Callable] = _Names("synthetic benchmark", {
    "synthetic": _synthetic("synthetic"),
    "synthetic-easy": _synthetic("synthetic-easy", difficulty=0.0, noise=0.0),
})


def get_benchmark(name_or_path):
    """A benchmark by catalog name (``synthetic``, ``synthetic-easy``), table name (e.g.
    ``nb201-mnist1d``, see :func:`nasbench.load_benchmark`) or path to a table file."""
    if isinstance(name_or_path, str) and name_or_path in BENCHMARKS:
        return BENCHMARKS[name_or_path]()
    from nasbench.benchmarks import load_benchmark

    return load_benchmark(name_or_path)


# ----------------------------------------------------------------------------- predictors
@dataclass(frozen=True)
class PredictorEntry:
    """A catalog predictor: a description, ``build(random_state) -> predictor`` and the input
    it reads: ``"vector"`` (one-hot + path encoding), ``"graph"`` (adjacency + ops, for GIN) or
    ``"curve"`` (one-hot + the first k epochs of the learning curve).  ``heavy``: neural
    networks, evaluated on fewer training sizes and trials by default."""

    description: str
    build: Callable
    input: str = "vector"
    heavy: bool = False


def _pred(cls_name: str, **kw):
    def build(random_state=0):
        import nasbench.predictors as P

        cls = getattr(P, cls_name)
        if "random_state" in cls().get_params():
            kw["random_state"] = random_state
        return cls(**kw)

    return build


PREDICTORS: dict[str, PredictorEntry] = {
    "xgb": PredictorEntry("XGBoost, 300 trees of depth 6 (needs the [predictors] extra)", _pred("XGBoostPredictor")),
    "rf": PredictorEntry("random forest, 100 trees, half the features per split", _pred("RandomForestPredictor")),
    "gp": PredictorEntry("Gaussian process, exponentiated-Hamming kernel, ML-II hyper-parameters", _pred("GPPredictor")),
    "mlp": PredictorEntry("ensemble of 5 scikit-learn MLPs (64, 64)", _pred("MLPEnsemble"), heavy=True),
    "gin": PredictorEntry("ensemble of 3 GINs on the cell graph (torch, the [train] extra)", _pred("GINPredictor"),
                          input="graph", heavy=True),
    "curve": PredictorEntry("LcSVR: one-hot + first k epochs of the curve -> final value (SVR)",
                            _pred("CurvePredictor"), input="curve"),
    "bagged-gbr": PredictorEntry("bootstrap ensemble of 3 scikit-learn gradient-boosting models", _pred("BaggedPredictor")),
    "boost3": PredictorEntry("bootstrap ensemble of 3 boosted-tree models on 0/1 features (numpy; BANANAS' surrogate)",
                             _pred("BinaryBoostingEnsemble")),
}


def predictor_factory(name: str):
    """The catalog entry of predictor ``name`` (``KeyError`` lists the choices)."""
    try:
        return PREDICTORS[name]
    except KeyError:
        raise KeyError(f"unknown predictor {name!r}; choose from {sorted(PREDICTORS)}") from None
