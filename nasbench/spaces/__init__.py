"""Search spaces. Each is a :class:`nasbench.space.SearchSpace`."""
from nasbench.spaces.nb201 import NB201_EDGES, NB201_OPS, NB201Space
from nasbench.spaces.size import SizeMNIST1DSpace, SizeSpace

__all__ = ["NB201Space", "NB201_OPS", "NB201_EDGES", "SizeSpace", "SizeMNIST1DSpace", "SPACES", "get_space"]

#: space name (as in an ``Architecture`` and a table's attrs) -> space class (literal, no registry)
SPACES = {"nb201": NB201Space, "size": SizeSpace, "size-mnist1d": SizeMNIST1DSpace}


def get_space(name: str):
    """The space called ``name`` (``nb201``, ``size``, ``size-mnist1d``)."""
    try:
        return SPACES[name]()
    except KeyError:
        raise ValueError(f"unknown space {name!r}; choose from {sorted(SPACES)}") from None
