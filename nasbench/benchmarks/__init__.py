"""Benchmarks: one :class:`Benchmark` interface over tabular, surrogate, synthetic and live data."""
from nasbench.benchmarks.base import Benchmark
from nasbench.benchmarks.synthetic import SyntheticBenchmark

__all__ = ["Benchmark", "SyntheticBenchmark", "load_benchmark", "compare_tables"]


def load_benchmark(name_or_path, root=None):
    """Open a tabular benchmark by name (in ``tabular_data/`` or ``$NASBENCH_DATA``) or path; a
    surrogate by ``"surrogate:NAME"`` or its folder."""
    from nasbench.benchmarks.tabular import load_benchmark as _load

    return _load(name_or_path, root=root)


def compare_tables(a, b, **kwargs) -> dict:
    """Rank agreement of table ``a`` against reference table ``b``; see
    :func:`nasbench.benchmarks.compare.compare_tables`."""
    from nasbench.benchmarks.compare import compare_tables as _compare

    return _compare(a, b, **kwargs)
