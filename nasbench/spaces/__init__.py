"""Search spaces. Each is a :class:`nasbench.space.SearchSpace`."""
from nasbench.spaces.nb201 import NB201_EDGES, NB201_OPS, NB201Space

__all__ = ["NB201Space", "NB201_OPS", "NB201_EDGES"]
