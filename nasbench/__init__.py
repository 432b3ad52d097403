"""nasbench: cheap, honest and fast neural architecture search benchmarks.

``import nasbench`` stays light: numpy only (h5py when a table is opened).  torch is imported
only by ``nasbench.train`` / ``nasbench.estimators``; pandas and matplotlib only by the
leaderboard and plotting modules.
"""
from nasbench.space import SearchSpace
from nasbench.spaces import NB201Space
from nasbench.types import Architecture, Evaluation

__version__ = "0.1.0"

__all__ = ["Architecture", "Evaluation", "SearchSpace", "NB201Space", "load_benchmark", "__version__"]


def __getattr__(name):  # lazy public names that pull in h5py
    if name == "load_benchmark":
        from nasbench.benchmarks import load_benchmark

        return load_benchmark
    if name == "TabularBenchmark":
        from nasbench.benchmarks.tabular import TabularBenchmark

        return TabularBenchmark
    if name == "SurrogateBenchmark":
        from nasbench.benchmarks.surrogate import SurrogateBenchmark

        return SurrogateBenchmark
    raise AttributeError(f"module 'nasbench' has no attribute {name!r}")
