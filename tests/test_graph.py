"""to_dot and draw_graph: every Value drawn once with its label, data and grad; one node per
operation; a Digraph that Graphviz renders; clear errors when Graphviz is missing."""

import builtins
import re
import shutil

import graphviz
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import small_floats

from pybackprop import MLP, Value, draw_graph, to_dot
from pybackprop.scalar import graph as graph_module


def example_graph() -> tuple[list[Value], Value]:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    h = a * b
    h.label = "h"
    out = (h + a).tanh() + h.exp()  # h and a are used twice
    out.label = "out"
    out.backward()
    return [a, b, h, out], out


def value_nodes(dot: str) -> dict[str, str]:
    """name -> label of every record node."""
    return dict(re.findall(r'^\t(v\d+) \[label="(.*)" shape=record\]$', dot, flags=re.M))


def op_nodes(dot: str) -> dict[str, str]:
    return dict(re.findall(r'^\t(v\d+_op) \[label="(.*)" shape=oval', dot, flags=re.M))


@given(x=small_floats, y=small_floats)
def test_to_dot_names_every_value_once_and_one_node_per_operation(x, y):
    a, b = Value(x), Value(y)
    h = a * b
    out = (h + a).relu() + h - 2.0 * b
    order = out._topological_order()
    dot = to_dot(out)
    values = value_nodes(dot)
    assert len(values) == len(order) == len(set(values))
    n_ops = sum(1 for node in order if node.parents)
    assert len(op_nodes(dot)) == n_ops
    n_edges = sum(len(node.parents) + 1 for node in order if node.parents)
    assert dot.count("->") == n_edges


def test_to_dot_shows_label_data_and_grad_of_every_value():
    nodes, out = example_graph()
    labels = list(value_nodes(to_dot(out)).values())
    for node in nodes:
        assert f"{{ {node.label} | data {node.data:.4f} | grad {node.grad:.4f} }}" in labels
    assert sorted(op_nodes(to_dot(out)).values()) == sorted(["*", "+", "tanh", "exp", "+"])


def test_to_dot_escapes_labels():
    v = Value(1.0, label='a{b}|<c> "d" \\e')
    dot = to_dot(v * 2.0)
    assert r"a\{b\}\|\<c\> \"d\" \\e" in dot
    assert graphviz.Source(dot).pipe(format="svg").startswith(b"<?xml")


def test_to_dot_formats_huge_and_tiny_numbers_readably():
    dot = to_dot(Value(1e20) * Value(1e-9))
    assert "data 1.0000e+20" in dot and "data 1.0000e-09" in dot and "data 1.0000e+11" in dot


def test_draw_graph_returns_a_digraph_that_renders_to_svg():
    _, out = example_graph()
    g = draw_graph(out)
    assert isinstance(g, graphviz.Digraph)
    svg = g.pipe(format="svg").decode()
    assert "<svg" in svg and "tanh" in svg and "data 2.0000" in svg
    assert "svg" in g._repr_mimebundle_()["image/svg+xml"]  # what Jupyter displays


def test_draw_graph_and_to_dot_describe_the_same_graph():
    _, out = example_graph()
    assert draw_graph(out).source == to_dot(out)
    assert draw_graph(out, rankdir="TB").source == to_dot(out, rankdir="TB")


def test_draw_graph_handles_an_mlp():
    out = MLP(2, [3, 1], rng=0)([1.0, -1.0])
    out.backward()
    assert draw_graph(out).pipe(format="svg").count(b'<g id="node') == len(
        value_nodes(to_dot(out))
    ) + len(op_nodes(to_dot(out)))


def test_missing_graphviz_package_says_pip_install(monkeypatch):
    real_import = builtins.__import__

    def no_graphviz(name, *args, **kwargs):
        if name == "graphviz":
            raise ImportError("No module named 'graphviz'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    with pytest.raises(ImportError, match="pip install graphviz"):
        draw_graph(Value(1.0))
    assert "digraph" in to_dot(Value(1.0))  # to_dot needs no package


def test_missing_dot_program_says_how_to_install_graphviz(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(
        graph_module.shutil,
        "which",
        lambda cmd, *a, **k: None if cmd == "dot" else real_which(cmd, *a, **k),
    )
    with pytest.raises(RuntimeError, match="apt-get install graphviz.*brew install graphviz"):
        draw_graph(Value(1.0))


@pytest.mark.parametrize("bad", [1.0, "v", None])
def test_non_value_is_rejected(bad):
    with pytest.raises(TypeError, match="needs a Value"):
        to_dot(bad)
    with pytest.raises(TypeError, match="needs a Value"):
        draw_graph(bad)


@given(rankdir=st.text(max_size=3).filter(lambda r: r not in ("LR", "RL", "TB", "BT")))
def test_unknown_rankdir_is_rejected(rankdir):
    with pytest.raises(ValueError, match="rankdir must be one of"):
        to_dot(Value(1.0), rankdir=rankdir)
