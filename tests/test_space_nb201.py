"""NB201Space: strings, indices, equivalence rules, validity, sampling, ConfigSpace export."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.spaces import NB201_EDGES, NB201_OPS, NB201Space
from nasbench.types import Architecture

SPACE = NB201Space()
OPS = st.tuples(*[st.integers(0, 4)] * 6)
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
NONE, SKIP, C1, C3, POOL = range(5)


def arch(ops) -> Architecture:
    return Architecture("nb201", tuple(ops))


def swap_nodes(ops):
    """Relabel intermediate nodes 1 <-> 2 (an isomorphism when edge 2<-1 is ``none``)."""
    o = list(ops)
    return (o[1], o[0], o[2], o[3], o[5], o[4])


# --------------------------------------------------------------- strings
def test_string_is_nb201_format():
    a = SPACE.from_string(BEST)
    assert a.ops == (C3, C3, C3, SKIP, C3, C3)
    assert SPACE.to_string(a) == BEST


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_string_round_trip(ops):
    a = arch(ops)
    s = SPACE.to_string(a)
    assert SPACE.from_string(s) == a
    assert SPACE.to_string(SPACE.from_string(s)) == s  # byte-identical


@pytest.mark.parametrize("bad, fragment", [
    ("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv_5x5'"),
    ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "must come from node 0, got node 1"),
    ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "must come from node 1, got node 2"),
    ("|none~0|+|none~0|+|none~0|none~1|none~2|", "node 2 must have 2 incoming edge(s), got 1"),
    ("|none~0|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 must have 1 incoming edge(s), got 2"),
    ("|none~0|+|none~0|none~1|", "expected 3 node groups"),
    ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|", "expected 3 node groups"),
    ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "is not 'op~j'"),
    ("none~0+|none~0|none~1|+|none~0|none~1|none~2|", "must look like"),
])
def test_malformed_strings_name_the_problem(bad, fragment):
    with pytest.raises(ValueError) as err:
        SPACE.from_string(bad)
    assert fragment in str(err.value)


# --------------------------------------------------------------- indices
@settings(max_examples=200, deadline=None)
@given(st.integers(0, 15624))
def test_index_bijection(i):
    a = SPACE.from_index(i)
    assert SPACE.index(a) == i
    assert a.ops == tuple(int(o) for o in SPACE.ops_from_index(i))
    assert i == sum(o * 5**e for e, o in enumerate(a.ops))  # the documented formula


def test_index_vectorised_forms_agree():
    ops = SPACE.all_ops()
    assert ops.shape == (15625, 6) and ops.dtype == np.int8
    idx = SPACE.index_ops(ops)
    np.testing.assert_array_equal(idx, np.arange(15625))
    assert len(np.unique(ops, axis=0)) == 15625  # onto and one-to-one
    rng = np.random.default_rng(0)
    pick = rng.integers(0, 15625, 50)
    archs = [SPACE.from_index(int(i)) for i in pick]
    np.testing.assert_array_equal(SPACE.as_indices(archs), pick)
    np.testing.assert_array_equal(SPACE.as_indices(SPACE.encode_ops(archs)), pick)
    np.testing.assert_array_equal(SPACE.as_indices(pick), pick)
    assert SPACE.decode_ops(SPACE.encode_ops(archs)) == archs
    with pytest.raises(ValueError, match="0..15624"):
        SPACE.from_index(15625)
    with pytest.raises(ValueError, match="0..15624"):
        SPACE.as_indices(np.array([0, 15625]))


# ----------------------------------------------------------- equivalence
def test_nb201_rule_gives_6466_classes_by_enumeration():
    keys = {SPACE.canonical_key(SPACE.from_index(i), rule="nb201") for i in range(SPACE.size)}
    assert len(keys) == 6466  # NAS-Bench-201's reported number of unique architectures
    assert len(SPACE.unique_indices("nb201")) == len(keys)
    assert len(SPACE.unique("nb201")) == len(keys)


def _live_conv_counts() -> np.ndarray:
    """(15625,) code of (live 1x1 convs, live 3x3 convs) per architecture."""
    ops = SPACE.all_ops()
    live = np.array([SPACE.live_edges(SPACE.from_index(i)) for i in range(SPACE.size)])
    return ((ops == C1) & live).sum(1) * 10 + ((ops == C3) & live).sum(1)


def test_function_classes_never_mix_parameter_counts_and_nest_nb201_classes():
    nb = SPACE.class_index("nb201")
    fn = SPACE.class_index("function")
    convs = _live_conv_counts()
    # a functional class never mixes architectures with different live convolutions
    order = np.argsort(fn, kind="stable")
    same_class = fn[order][1:] == fn[order][:-1]
    assert np.all(convs[order][1:][same_class] == convs[order][:-1][same_class])
    # every nb201 class lies inside one function class, except the NB201 classes that mix
    # one conv reached through two paths with two convs (different live conv counts)
    straddles = np.unique(nb[fn[nb] != fn])
    mixed = np.array([len(np.unique(convs[nb == c])) > 1 for c in straddles], dtype=bool)
    assert mixed.all(), "every NB201 class split by the functional rule mixes parameter counts"
    uniform = ~np.isin(nb, straddles)
    assert np.all(fn[nb[uniform]] == fn[uniform])
    assert len(np.unique(fn)) < len(np.unique(nb))


def test_function_rule_separates_shared_from_duplicated_convs():
    # A: two 3x3 convs on the input (edges 1<-0 and 2<-0) each feeding a 1x1 conv;
    # B: one 3x3 conv whose output reaches both 1x1 convs (through the skip 2<-1).
    # NB201's string rule cannot tell them apart; they differ in parameters.
    a = SPACE.from_string("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|")
    b = SPACE.from_string("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|")
    assert SPACE.canonical(a, "nb201") == SPACE.canonical(b, "nb201")
    assert SPACE.canonical(a, "function") != SPACE.canonical(b, "function")


def test_function_rule_flattens_sums():
    # x + (c1(x) + c3(x)) and c3(x) + (x + c1(x)) are one function
    a = SPACE.from_string("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|none~1|skip_connect~2|")
    b = SPACE.from_string("|nor_conv_1x1~0|+|skip_connect~0|skip_connect~1|+|nor_conv_3x3~0|none~1|skip_connect~2|")
    assert SPACE.canonical(a, "function") == SPACE.canonical(b, "function")


def test_function_rule_ignores_dead_edges():
    a = SPACE.from_string("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|none~2|")
    b = SPACE.from_string("|none~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|none~1|none~2|")
    assert SPACE.canonical(a, "function") == SPACE.canonical(b, "function")
    zero = SPACE.from_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    dead = SPACE.from_string("|none~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|avg_pool_3x3~2|")
    assert SPACE.canonical(zero, "function") == SPACE.canonical(dead, "function")
    assert SPACE.canonical(zero, "nb201") != SPACE.canonical(dead, "nb201")


@settings(max_examples=150, deadline=None)
@given(OPS, st.sampled_from(["nb201", "function"]))
def test_canonical_idempotent_and_in_class(ops, rule):
    a = arch(ops)
    c = SPACE.canonical(a, rule=rule)
    assert SPACE.canonical(c, rule=rule) == c
    assert SPACE.canonical_key(c, rule) == SPACE.canonical_key(a, rule)
    assert SPACE.index(c) <= SPACE.index(a)  # representative = smallest index


@settings(max_examples=150, deadline=None)
@given(OPS, st.sampled_from(["nb201", "function"]))
def test_canonical_invariant_under_summand_order(ops, rule):
    # with 1<-0 a skip connection node 1 equals node 0, so the summands from nodes 0 and 1
    # can trade places at node 2 and at node 3
    ops = (SKIP,) + tuple(ops[1:])
    a = arch(ops)
    b = arch((ops[0], ops[2], ops[1], ops[3], ops[4], ops[5]))
    c = arch((ops[0], ops[1], ops[2], ops[4], ops[3], ops[5]))
    assert SPACE.canonical(a, rule) == SPACE.canonical(b, rule) == SPACE.canonical(c, rule)


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_function_rule_invariant_under_node_swap(ops):
    ops = ops[:2] + (NONE,) + ops[3:]  # edge 2<-1 absent: relabelling nodes 1 and 2 is consistent
    a, b = arch(ops), arch(swap_nodes(ops))
    assert SPACE.canonical(a, "function") == SPACE.canonical(b, "function")


def test_nb201_rule_keeps_zero_tokens_so_is_finer_than_node_swap():
    # Documented property of NB201's own rule (its to_unique_str keeps `none` inputs as '#'
    # tokens): a node fed by a `none` edge is not the same string as one without it, so
    # relabelling nodes 1 and 2 can split a class.  That is why it gives 6,466 classes and not
    # fewer; the "function" rule merges them.
    ops = (C3, C1, NONE, NONE, C3, C1)
    a, b = arch(ops), arch(swap_nodes(ops))
    assert SPACE.canonical(a, "nb201") != SPACE.canonical(b, "nb201")
    assert SPACE.canonical(a, "function") == SPACE.canonical(b, "function")


def test_unknown_rule_lists_choices():
    with pytest.raises(ValueError, match="function.*nb201|nb201.*function"):
        SPACE.canonical(SPACE.from_index(0), rule="graph")


# ---------------------------------------------------------------- validity
@pytest.mark.parametrize("s, live, dead, valid", [
    # all none: nothing reaches the output
    ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", [0] * 6, [0] * 6, False),
    # only the direct edge 3<-0 is live; 1<-0 and 2<-0 are dead (no way on to the output)
    ("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|none~2|", [0, 0, 0, 1, 0, 0],
     [1, 1, 0, 0, 0, 0], True),
    # 2<-1 cannot be fed: node 1 is zero; 3<-2 reaches the output but its input is zero
    ("|none~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|avg_pool_3x3~2|", [0] * 6, [0, 0, 1, 0, 0, 1], False),
    # path 0 -> 1 -> 2 -> 3
    ("|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|avg_pool_3x3~2|", [1, 0, 1, 0, 0, 1],
     [0] * 6, True),
    # everything live
    (BEST, [1] * 6, [0] * 6, True),
])
def test_dead_edge_detection(s, live, dead, valid):
    a = SPACE.from_string(s)
    np.testing.assert_array_equal(SPACE.live_edges(a), np.array(live, dtype=bool))
    np.testing.assert_array_equal(SPACE.dead_edges(a), np.array(dead, dtype=bool))
    assert SPACE.is_valid(a) is valid


# --------------------------------------------------- sampling and moves
@settings(max_examples=60, deadline=None)
@given(OPS)
def test_neighbors_are_24_distinct_one_edge_changes(ops):
    a = arch(ops)
    nbrs = SPACE.neighbors(a)
    assert len(nbrs) == 24
    assert len(set(nbrs)) == 24 and a not in nbrs
    for b in nbrs:
        assert sum(x != y for x, y in zip(a.ops, b.ops)) == 1


@settings(max_examples=100, deadline=None)
@given(OPS, st.integers(0, 2**32 - 1))
def test_mutate_changes_exactly_one_edge(ops, seed):
    a = arch(ops)
    b = SPACE.mutate(a, seed)
    assert sum(x != y for x, y in zip(a.ops, b.ops)) == 1
    assert b == SPACE.mutate(a, seed)  # deterministic by seed


def test_sample_is_deterministic_by_seed():
    a = SPACE.sample(123, 20)
    assert a == SPACE.sample(123, 20)
    assert a == SPACE.sample(np.random.default_rng(123), 20)
    assert a != SPACE.sample(124, 20)
    arr = SPACE.sample(123, 20, as_array=True)
    assert arr.shape == (20, 6) and arr.dtype == np.int8
    np.testing.assert_array_equal(SPACE.encode_ops(a), arr)
    with pytest.raises(TypeError, match="seed is required"):
        SPACE.sample(None, 3)


def test_sample_covers_ops_uniformly():
    ops = SPACE.sample(0, 5000, as_array=True)
    freq = np.bincount(ops.ravel(), minlength=5) / ops.size
    assert np.all(np.abs(freq - 0.2) < 0.02)


# ---------------------------------------------------------------- interop
def test_configspace_round_trip():
    pytest.importorskip("ConfigSpace")
    cs = SPACE.to_configspace(seed=1)
    names = sorted(cs.keys()) if hasattr(cs, "keys") else sorted(cs.get_hyperparameter_names())
    assert names == sorted(f"edge_{k}_{j}" for k, j in NB201_EDGES)
    for cfg in cs.sample_configuration(30):
        a = SPACE.from_config(cfg)
        assert a.space == "nb201"
        assert all(NB201_OPS[o] == cfg[f"edge_{k}_{j}"] for o, (k, j) in zip(a.ops, NB201_EDGES))
    a = SPACE.from_string(BEST)
    cfg = {f"edge_{k}_{j}": NB201_OPS[o] for o, (k, j) in zip(a.ops, NB201_EDGES)}
    assert SPACE.from_config(cfg) == a
