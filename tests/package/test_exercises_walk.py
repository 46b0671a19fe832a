"""pybackprop.exercises.walk: a hand-written backward walk over a Value graph (chapter 3).

A right walk (here: torch's autograd on the same formula, reached through the graph's leaves)
passes on any seed; a walk that overwrites shares, or forgets the chain rule, is named.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_backward_walk


def order(root):
    out, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            for p in v.parents:
                visit(p)
            out.append(v)

    visit(root)
    return out


def local(v):
    if v.op == "+":
        return [1.0, 1.0]
    if v.op == "*":
        return [v.parents[1].data, v.parents[0].data]
    if v.op == "log":
        return [1.0 / v.parents[0].data]
    return [v.data]  # exp


def make_walk(share):
    def walk(root):
        pending, grads = {root: 1.0}, {}
        for node in reversed(order(root)):
            d = pending.pop(node)
            if not node.parents:
                grads[node.label] = d
                continue
            for parent, loc in zip(node.parents, local(node), strict=True):
                pending[parent] = share(pending.get(parent, 0.0), d, loc)
        return grads

    return walk


def torch_walk(root):
    """The same graph replayed in torch (leaf by leaf, op by op): torch's autograd answers."""
    tensors, leaves = {}, {}
    for node in order(root):
        if not node.parents:
            tensors[node] = leaves[node.label] = torch.tensor(
                node.data, dtype=torch.float64, requires_grad=True
            )
        else:
            args = [tensors[p] for p in node.parents]
            tensors[node] = {
                "+": lambda a, b: a + b,
                "*": lambda a, b: a * b,
                "log": torch.log,
                "exp": torch.exp,
            }[node.op](*args)
    tensors[root].backward()
    return {label: t.grad.item() for label, t in leaves.items()}


@settings(max_examples=5)
@given(seed=seeds())
def test_right_walks_pass(seed):
    assert check_backward_walk(torch_walk, seed=seed).diagnosis is None
    assert (
        check_backward_walk(make_walk(lambda so_far, d, loc: so_far + d * loc), seed=seed).diagnosis
        is None
    )


def backward_then_read(root):
    root.backward()
    return {v.label: v.grad for v in order(root) if not v.parents}


MISTAKES = [
    ("overwrote_shares", make_walk(lambda so_far, d, loc: d * loc)),
    ("missing_chain_rule", make_walk(lambda so_far, d, loc: so_far + loc)),
    ("wrong_values", make_walk(lambda so_far, d, loc: so_far + 2 * d * loc)),
    ("missing_leaf", lambda root: {"x": 1.0}),
    ("wrong_type", lambda root: [1.0, 2.0]),
    ("wrong_type", lambda root: {label: None for label in "xyw"}),
    ("exception", lambda root: {"x": root.parents[5]}),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", MISTAKES)
def test_each_mistake_is_named(diagnosis, fn, seed):
    result = check_backward_walk(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_every_graph_reuses_a_node_so_overwriting_shows_on_each():
    from pybackprop.exercises.walk import _GRAPHS, _graph

    for spec in _GRAPHS:
        root, _ = _graph(spec, tuple(np.linspace(0.5, 1.5, len(spec.labels))))
        nodes = order(root)
        uses = [sum(p is v for n in nodes for p in n.parents) for v in nodes]
        assert max(uses) >= 2, spec.formula


def test_a_walk_may_use_backward_and_the_report_repeats_per_seed():
    assert check_backward_walk(backward_then_read)
    bad = make_walk(lambda so_far, d, loc: d * loc)
    assert str(check_backward_walk(bad, seed=2)) == str(check_backward_walk(bad, seed=2))
    assert "line" in check_backward_walk(MISTAKES[-1][1]).learner_line


def test_not_a_function_is_reported():
    assert check_backward_walk({"x": 1.0}).diagnosis == "not_callable"
