"""Benchmarks: one :class:`Benchmark` interface over tabular, surrogate, synthetic and live data."""
from nasbench.benchmarks.base import Benchmark
from nasbench.benchmarks.synthetic import SyntheticBenchmark

__all__ = ["Benchmark", "SyntheticBenchmark", "load_benchmark"]


def load_benchmark(name_or_path, root=None):
    """Open a tabular benchmark by name (in ``tabular_data/`` or ``$NASBENCH_DATA``) or path."""
    from nasbench.benchmarks.tabular import load_benchmark as _load

    return _load(name_or_path, root=root)
