"""Whole graphs of Values: random DAGs against PyTorch, very deep chains, and freeing."""

import gc
import math
import sys
import weakref

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SCALAR_ATOL, SCALAR_RTOL, unit_floats

from pybackprop import Value

# Operations a random graph is built from, written with methods that Values and torch tensors
# share, so one definition serves both. Each one keeps
# its inputs' magnitudes bounded, so 200 nodes never overflow: the inputs are in [-2, 2] and
# every op maps [-2, 2] into [-2, 2] (after the squashing ones: tanh, sigmoid, division by a
# number >= 1).
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "neg": lambda a: -a,
    "exp_tanh": lambda a: (a.tanh() - 1.0).exp(),  # exp of something in [-2, 0]
    "log": lambda a: (a * a + 1.0).log() * 0.5,  # log of something in [1, 5]
    "square": lambda a: a**2 * 0.5,
    "reciprocal": lambda a: 1.0 / (a * a + 1.0),
}
BINARY = {
    "add": lambda a, b: (a + b) * 0.5,
    "sub": lambda a, b: (a - b) * 0.5,
    "mul": lambda a, b: a * b * 0.5,
    "div": lambda a, b: a / (b * b + 1.0),
    "pow": lambda a, b: (a.sigmoid() + 0.5) ** b,  # a positive base for a Value exponent
    "rpow": lambda a, b: 2.0 ** (a * b * 0.25),
}


@st.composite
def graphs(draw):
    """(leaf values, instructions): each instruction makes one node from earlier nodes,
    drawn uniformly, so later nodes often share subexpressions."""
    n_leaves = draw(st.integers(min_value=1, max_value=6))
    leaves = draw(st.lists(unit_floats.map(lambda x: 2 * x), min_size=n_leaves, max_size=n_leaves))
    n_ops = draw(st.integers(min_value=1, max_value=55))  # about 3.5 Values per op: up to ~200
    instructions = []
    for i in range(n_ops):
        n_nodes = n_leaves + i
        if draw(st.booleans()):
            op = draw(st.sampled_from(sorted(UNARY)))
            instructions.append((op, draw(st.integers(0, n_nodes - 1))))
        else:
            op = draw(st.sampled_from(sorted(BINARY)))
            a, b = draw(st.integers(0, n_nodes - 1)), draw(st.integers(0, n_nodes - 1))
            instructions.append((op, a, b))
    return leaves, instructions


def run(leaves, instructions, make_leaf):
    """Build the graph; the output is the sum of every node no other node uses."""
    nodes = [make_leaf(x) for x in leaves]
    used = set()
    for op, *args in instructions:
        used.update(args)
        fn = UNARY[op] if len(args) == 1 else BINARY[op]
        nodes.append(fn(*(nodes[i] for i in args)))
    out = nodes[-1]
    for i, node in enumerate(nodes[:-1]):
        if i not in used:
            out = out + node
    return nodes[: len(leaves)], out


def count_nodes(v: Value) -> int:
    return len(v._topological_order())


@settings(max_examples=60)
@given(graph=graphs())
def test_random_graph_output_and_leaf_gradients_match_torch(graph):
    leaves, instructions = graph
    ours, out = run(leaves, instructions, Value)
    assert count_nodes(out) >= 2
    out.backward()
    theirs, tout = run(
        leaves, instructions, lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True)
    )
    tout.backward()
    assert math.isclose(out.data, tout.item(), rel_tol=SCALAR_RTOL, abs_tol=SCALAR_ATOL)
    for v, t in zip(ours, theirs, strict=True):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert math.isclose(v.grad, expected, rel_tol=SCALAR_RTOL, abs_tol=SCALAR_ATOL)


@given(x=unit_floats, n_uses=st.integers(min_value=1, max_value=50))
def test_node_used_many_times_gets_the_sum_over_paths(x, n_uses):
    a = Value(x)
    h = a * 3.0
    out = h
    for _ in range(n_uses - 1):
        out = out + h
    out.backward()
    assert h.grad == n_uses and math.isclose(a.grad, 3.0 * n_uses, rel_tol=SCALAR_RTOL)


def test_million_node_chain_backpropagates_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # CPython's default, whatever the test runner set
    try:
        x = Value(0.5)
        v = x
        for _ in range(1_000_000):
            v = -v
        v.backward()
        assert x.grad == 1.0 and v.data == 0.5
    finally:
        sys.setrecursionlimit(limit)


def test_dropped_graph_is_freed_without_the_garbage_collector():
    gc.collect()
    gc.disable()
    try:
        a, b = Value(0.3), Value(-1.2)
        h = a * b
        out = (h.tanh() + h * a + 2.0**b + 3.0).log() + h.sigmoid()  # h is shared
        out.backward()
        refs = [weakref.ref(node) for node in out._topological_order() if node not in (a, b)]
        assert len(refs) > 10
        del h, out
        assert all(ref() is None for ref in refs)  # freed by reference counting alone
        leaf_refs = [weakref.ref(a), weakref.ref(b)]
        del a, b
        assert all(ref() is None for ref in leaf_refs)
    finally:
        gc.enable()
