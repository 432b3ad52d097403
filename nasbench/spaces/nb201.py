"""The NAS-Bench-201 cell space (Dong & Yang, ICLR 2020).

A cell is a DAG over 4 nodes; node 0 is the cell input, node 3 its output, and every edge
``j -> k`` (``j < k``) carries one of five ops.  Node ``k`` is the sum of its incoming edges.

Encoding (fixed, see DESIGN.md):

* edge order is the order of the NB201 string: ``(1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2)``;
* op ids follow NB201's list: ``0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3,
  4 avg_pool_3x3``;
* ``index(a) = sum(ops[e] * 5**e)``.  This is *our* index; NB201's official index is a separate
  column of imported tables (``nb201_index``).
"""
from __future__ import annotations

import functools
import itertools
import re
from typing import Literal

import numpy as np

from nasbench.space import SearchSpace
from nasbench.types import Architecture

__all__ = ["NB201Space", "NB201_OPS", "NB201_EDGES"]

NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: (to_node, from_node) per edge, in encoding order
NB201_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
NONE, SKIP = 0, 1
_N_NODES = 4
_TOKEN = re.compile(r"^([A-Za-z0-9_]+)~(-?\d+)$")

Rule = Literal["nb201", "function"]


def _live_mask(ops: tuple[int, ...]) -> tuple[bool, ...]:
    """Per edge: does it lie on a path input -> output made only of non-``none`` edges?"""
    fwd = [True, False, False, False]  # reachable from input
    for (k, j), o in zip(NB201_EDGES, ops):
        if o != NONE and fwd[j]:
            fwd[k] = True
    bwd = [False, False, False, True]  # reaches the output
    for (k, j), o in sorted(zip(NB201_EDGES, ops), key=lambda t: -t[0][1]):
        if o != NONE and bwd[k]:
            bwd[j] = True
    return tuple(o != NONE and fwd[j] and bwd[k] for (k, j), o in zip(NB201_EDGES, ops))


def _key_nb201(ops: tuple[int, ...]) -> str:
    """NAS-Bench-201's unique-string rule (its ``to_unique_str(consider_zero=True)``).

    ``none`` edges and ops applied to an exactly-zero node become the token ``#``; skip
    connections pass their input's string through; the terms summed at a node are sorted.
    """
    nodes = {0: "0"}
    for k in range(1, _N_NODES):
        terms = []
        for (kk, j), o in zip(NB201_EDGES, ops):
            if kk != k:
                continue
            src = nodes[j]
            if o == NONE or src == "#":
                terms.append("#")
            elif o == SKIP:
                terms.append(src)
            else:
                terms.append(f"({src})@{NB201_OPS[o]}")
        nodes[k] = "+".join(sorted(terms))
    return nodes[_N_NODES - 1]


_PARAMETRISED = (2, 3)  # nor_conv_1x1, nor_conv_3x3: ops with their own weights
_POOL = 4


def _node_values(ops: tuple[int, ...], live: tuple[bool, ...], labels: dict[int, int] | None):
    """Value of every node as a sorted tuple of summed atoms (sums flattened).

    Atoms: ``x`` (the cell input), ``avg_pool_3x3(<value>)`` and, for a convolution on edge
    ``e``, ``<op>#<labels[e]>(<value>)`` (without ``#label`` when ``labels`` is None).
    """
    nodes: dict[int, tuple[str, ...]] = {0: ("x",)}
    for k in range(1, _N_NODES):
        atoms: list[str] = []
        for e, ((kk, j), o) in enumerate(zip(NB201_EDGES, ops)):
            if kk != k or not live[e]:
                continue
            if o == SKIP:
                atoms.extend(nodes[j])
            else:
                tag = "" if labels is None or o == _POOL else f"#{labels[e]}"
                atoms.append(f"{NB201_OPS[o]}{tag}({'+'.join(nodes[j])})")
        nodes[k] = tuple(sorted(atoms))
    return nodes


def _key_function(ops: tuple[int, ...]) -> str:
    """Functional rule for builders that omit edges off every live input->output path.

    Only live edges count.  A node's value is the multiset of the atoms summed into it (skip
    connections pass their input's atoms through, so sums are flattened: addition is
    associative and commutative).  Every convolution is an *instance* with its own weights:
    one convolution reached through two paths (e.g. via a skip connection) is not the same as
    two convolutions applied to the same input, so instances are labelled and the key is the
    smallest output string over the labellings that permute instances with identical
    (op, input) signatures.  Average pooling has no weights and is not labelled.

    Equal keys therefore mean: a bijection between the convolutions (same op, same input
    expression) makes the two cells compute the same expression, so the networks compute the
    same function up to relabelling their parameters, with identically distributed
    initialisations.  All cells whose output is identically zero share the key ``"0"``.
    """
    live = _live_mask(ops)
    if not any(live):
        return "0"
    convs = [e for e, o in enumerate(ops) if live[e] and o in _PARAMETRISED]
    unlabelled = _node_values(ops, live, None)
    groups: dict[str, list[int]] = {}
    for e in convs:
        sig = f"{NB201_OPS[ops[e]]}({'+'.join(unlabelled[NB201_EDGES[e][1]])})"
        groups.setdefault(sig, []).append(e)
    slots, base = [], 0
    for sig in sorted(groups):
        members = groups[sig]
        slots.append((members, range(base, base + len(members))))
        base += len(members)
    best = None
    for choice in itertools.product(*[itertools.permutations(lbl) for _, lbl in slots]):
        labels = {e: lab for (members, _), perm in zip(slots, choice) for e, lab in zip(members, perm)}
        key = "+".join(_node_values(ops, live, labels)[_N_NODES - 1])
        if best is None or key < best:
            best = key
    return best


_KEYS = {"nb201": _key_nb201, "function": _key_function}


class NB201Space(SearchSpace):
    """The 15,625-architecture NAS-Bench-201 topology space.

    Equivalence rules for :meth:`canonical` / :meth:`unique`:

    ``rule="nb201"`` (default)
        NAS-Bench-201's own rule: 6,466 classes.  ``none`` inputs stay as zero tokens, skip
        connections pass their input through, summed inputs are sorted.  An interoperability
        convention, not functional equivalence: it keeps a conv fed only by zero nodes distinct
        from ``none`` (finer), and it does not tell one convolution reached through two paths
        from two convolutions on the same input, so 430 of its classes hold architectures with
        different numbers of live convolutions (different parameter counts).  Relabelling the
        intermediate nodes 1 and 2 can also change its class (zero tokens are kept).
    ``rule="function"``
        Functional equivalence for builders that omit edges not on a live path (as the
        ``nb201-mnist1d`` preset does): 5,260 classes.  Only live edges count, sums are
        flattened (associative, commutative), average pooling has no weights, and every
        convolution is a separate weighted instance; equal keys mean the two networks compute
        the same function up to relabelling their parameters (so they share one trained
        result).  Every NB201 class whose members have the same live convolutions lies inside
        one functional class.

    The representative of a class is its member with the smallest index.
    """

    name = "nb201"
    op_names = NB201_OPS
    n_edges = 6
    edges = NB201_EDGES

    # ---------------------------------------------------------------- strings
    def to_string(self, arch: Architecture) -> str:
        """The NAS-Bench-201 string, e.g. ``|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...|``."""
        ops = self.check(arch).ops
        groups, e = [], 0
        for k in range(1, _N_NODES):
            toks = []
            for j in range(k):
                toks.append(f"{NB201_OPS[ops[e]]}~{j}")
                e += 1
            groups.append("|" + "|".join(toks) + "|")
        return "+".join(groups)

    def from_string(self, s: str) -> Architecture:
        """Parse a NAS-Bench-201 string; ``ValueError`` names what is malformed."""
        if not isinstance(s, str):
            raise TypeError(f"architecture string must be str, got {type(s).__name__}")
        groups = s.strip().split("+")
        if len(groups) != _N_NODES - 1:
            raise ValueError(
                f"malformed NB201 string {s!r}: expected 3 node groups separated by '+', got {len(groups)}"
            )
        ops: list[int] = []
        for k, g in enumerate(groups, start=1):
            if not (g.startswith("|") and g.endswith("|")) or len(g) < 2:
                raise ValueError(f"malformed NB201 string {s!r}: group {k} {g!r} must look like '|op~j|...|'")
            toks = g[1:-1].split("|")
            if len(toks) != k:
                raise ValueError(
                    f"malformed NB201 string {s!r}: node {k} must have {k} incoming edge(s), got {len(toks)}"
                )
            for j, tok in enumerate(toks):
                m = _TOKEN.match(tok)
                if m is None:
                    raise ValueError(f"malformed NB201 string {s!r}: edge token {tok!r} is not 'op~j'")
                op, src = m.group(1), int(m.group(2))
                if op not in NB201_OPS:
                    raise ValueError(
                        f"malformed NB201 string {s!r}: unknown op {op!r} (allowed: {', '.join(NB201_OPS)})"
                    )
                if src != j:
                    raise ValueError(
                        f"malformed NB201 string {s!r}: edge {j} into node {k} must come from node {j}, "
                        f"got node {src}"
                    )
                ops.append(NB201_OPS.index(op))
        return Architecture(self.name, tuple(ops))

    # ------------------------------------------------------------ validity
    def live_edges(self, arch: Architecture) -> np.ndarray:
        """``(6,)`` bool: which edges lie on an input->output path of non-``none`` edges."""
        return np.array(_live_mask(self.check(arch).ops), dtype=bool)

    def dead_edges(self, arch: Architecture) -> np.ndarray:
        """``(6,)`` bool: non-``none`` edges that cannot influence the output through live paths."""
        ops = np.asarray(self.check(arch).ops)
        return (ops != NONE) & ~self.live_edges(arch)

    def is_valid(self, arch: Architecture) -> bool:
        """``False`` when no path of non-``none`` edges joins input and output (output is zero)."""
        return bool(self.live_edges(arch).any())

    # ---------------------------------------------------------- equivalence
    def canonical_key(self, arch: Architecture, rule: Rule = "nb201") -> str:
        """The class key string of ``arch`` under ``rule`` (see the class docstring)."""
        return _key_fn(rule)(self.check(arch).ops)

    def class_index(self, rule: Rule = "nb201") -> np.ndarray:
        """``(15625,)`` int64: for every index, the index of its class representative."""
        return _class_table(rule)

    def canonical(self, arch: Architecture, rule: Rule = "nb201") -> Architecture:
        """The representative (smallest index) of ``arch``'s equivalence class."""
        return self.from_index(int(_class_table(rule)[self.index(arch)]))

    def unique(self, rule: Rule = "nb201") -> list[Architecture]:
        """One representative per equivalence class (6,466 under ``rule="nb201"``)."""
        return [self.from_index(int(i)) for i in self.unique_indices(rule)]

    def unique_indices(self, rule: Rule = "nb201") -> np.ndarray:
        """Sorted indices of the class representatives."""
        return np.unique(_class_table(rule))

    # -------------------------------------------------------------- interop
    def to_configspace(self, seed: int | None = None):
        """Export as a ``ConfigSpace.ConfigurationSpace`` with 6 categoricals ``edge_<k>_<j>``.

        Needs the optional dependency ``ConfigSpace`` (``pip install nasbench[configspace]``).
        """
        try:
            import ConfigSpace as CS
        except ImportError as err:  # pragma: no cover - depends on environment
            raise ImportError("to_configspace needs ConfigSpace: pip install 'nasbench[configspace]'") from err
        cs = CS.ConfigurationSpace(name="nb201", seed=seed)
        for k, j in NB201_EDGES:
            cs.add(CS.CategoricalHyperparameter(f"edge_{k}_{j}", list(NB201_OPS)))
        return cs

    def from_config(self, config) -> Architecture:
        """Inverse of :meth:`to_configspace` for one configuration (dict-like)."""
        return Architecture(self.name, tuple(NB201_OPS.index(config[f"edge_{k}_{j}"]) for k, j in NB201_EDGES))


def _key_fn(rule: str):
    try:
        return _KEYS[rule]
    except KeyError:
        raise ValueError(f"unknown equivalence rule {rule!r}; choose from {sorted(_KEYS)}") from None


@functools.lru_cache(maxsize=None)
def _class_table(rule: str) -> np.ndarray:
    key = _key_fn(rule)
    space = NB201Space()
    all_ops = space.all_ops()
    first: dict[str, int] = {}
    table = np.empty(space.size, dtype=np.int64)
    for i, row in enumerate(all_ops):
        table[i] = first.setdefault(key(tuple(int(o) for o in row)), i)
    table.setflags(write=False)
    return table
