"""Core value types shared by every layer: :class:`Architecture` and :class:`Evaluation`.

Only numpy is imported here, so these types are usable from the query path without torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

__all__ = ["Architecture", "Evaluation"]


@dataclass(frozen=True, order=True)
class Architecture:
    """A frozen, hashable architecture value: the space name plus a tuple of op ids.

    It is never an ``nn.Module``; build a network with ``nasbench.train.build_model``.

    Attributes
    ----------
    space : str
        Name of the search space, e.g. ``"nb201"``.
    ops : tuple of int
        Op id per edge, in the space's fixed edge order (see the space's docstring).
    """

    space: str
    ops: tuple[int, ...]

    def __post_init__(self) -> None:
        # normalise to a tuple of python ints so equal archs hash equally
        object.__setattr__(self, "ops", tuple(map(int, self.ops)))

    def __repr__(self) -> str:
        return f"Architecture({self.space!r}, {self.ops})"


@dataclass(frozen=True)
class Evaluation:
    """The result of one batched ``Benchmark.query``.

    Attributes
    ----------
    values : dict of str -> ndarray
        Per-epoch metrics have shape ``(n,)`` at one fidelity or ``(n, n_fid)`` for whole
        curves (``fidelity=None``); static metrics (params, flops, latency_*) are ``(n,)``.
    cost : ndarray
        Cumulative training cost of reaching ``fidelity`` (shape as the per-epoch values), in
        ``cost_unit`` (seconds, or evaluations for tables without recorded times).
    fidelity : int or None
        The fidelity queried; ``None`` means whole curves over ``fidelities``.
    fidelities : ndarray of int, shape (n_fid,)
        The fidelity axis of the table.
    cost_unit : str
        ``"seconds"`` or ``"evaluations"``.
    """

    values: Mapping[str, np.ndarray]
    cost: np.ndarray
    fidelity: int | None = None
    fidelities: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    cost_unit: str = "seconds"

    def __len__(self) -> int:
        return int(np.shape(self.cost)[0])

    def __getitem__(self, metric: str) -> np.ndarray:
        try:
            return self.values[metric]
        except KeyError:
            raise KeyError(
                f"metric {metric!r} not in this evaluation; available: {sorted(self.values)}"
            ) from None


def _evaluation(values, cost, fidelity, fidelities, cost_unit) -> Evaluation:
    """``Evaluation(values, cost, fidelity, fidelities, cost_unit)`` without the frozen
    dataclass's per-field ``object.__setattr__`` (for scalar query paths; same object)."""
    e = object.__new__(Evaluation)
    e.__dict__.update(values=values, cost=cost, fidelity=fidelity, fidelities=fidelities, cost_unit=cost_unit)
    return e
