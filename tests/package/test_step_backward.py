"""step_backward: the steps are those of `out.backward()` (order, products, final gradients)
and leave `.grad` alone; each step's line of text states its numbers; the player's HTML is
self-contained and starts at step 0. The chapters' own drawings are checked in
tests/book/test_chapter_graphs.py.

The player in a real browser is tested in tests/package/test_player_browser.py."""

import json
import math
import os
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import value_graphs

import pybackprop
from pybackprop import Value, step_backward
from pybackprop.scalar import BackwardPlayer, BackwardStep, GradUpdate
from pybackprop.scalar.graph import _number
from tests.package.test_graph import (
    BOOK_GRAPHS,
    COLUMN_PX,
    MIN_LABEL_PX,
    SVG,
    hide_dot,
    smallest_label_px,
)


def player_svg(html: str) -> str:
    return re.search(r"<svg.*?</svg>", html, flags=re.S).group(0)


def player_data(html: str) -> dict:
    raw = re.search(r'<script type="application/json" class="pbp-data">(.*?)</script>', html, re.S)
    return json.loads(raw.group(1))


# --- the steps -------------------------------------------------------------------------------


def _same(a: float, b: float) -> bool:
    """Equal as floats, NaN included: an inf local derivative times a 0 gradient is NaN."""
    return a == b or (math.isnan(a) and math.isnan(b))


@settings(max_examples=150, deadline=None)
@given(graph=value_graphs())
def test_steps_are_backwards_own_and_leave_grad_alone(graph):
    out, _ = graph
    order = out._topological_order()
    for i, node in enumerate(order):  # gradients left over from earlier work
        node.grad = i + 0.25
    before = [node.grad for node in order]

    steps = step_backward(out).steps
    assert [node.grad for node in order] == before

    # The order backward() processes nodes in, every node with parents once; a valid reverse
    # topological order: a node comes after every node that uses it.
    assert [id(s.node) for s in steps] == [id(n) for n in reversed(order) if n.parents]
    position = {id(s.node): i for i, s in enumerate(steps)}
    for step in steps:
        for parent in step.node.parents:
            if parent.parents:
                assert position[id(parent)] > position[id(step.node)]

    # Each parent's share is upstream times the local derivative, added to its running total.
    running = {id(out): 1.0}
    for step in steps:
        assert _same(step.upstream, running[id(step.node)])  # complete before it is passed on
        assert [id(u.parent) for u in step.updates] == [id(p) for p in step.node.parents]
        for update, local in zip(step.updates, step.node._local_grads, strict=True):
            assert _same(update.local, local)
            assert _same(update.product, local * step.upstream)
            running[id(update.parent)] = running.get(id(update.parent), 0.0) + update.product
            assert _same(update.grad_after, running[id(update.parent)])
            numbers = f"= {_number(local)} × {_number(step.upstream)} = {_number(update.product)}"
            assert numbers in step.text

    # At the end, every gradient is backward()'s.
    out.zero_grad()
    out.backward()
    for node in order:
        assert _same(running.get(id(node), 0.0), node.grad)


def test_the_issues_example_line():
    a, b = Value(2.0, label="a"), Value(5.0, label="b")
    c = a * b
    c.label = "c"
    d = -c
    d.label = "d"
    steps = step_backward(d).steps
    assert steps[1].text.split("; ")[1] == "b.grad += a.data × c.grad = 2.0000 × -1.0000 = -2.0000"


def test_a_node_used_twice_accumulates_visibly():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    (step,) = step_backward(b).steps
    assert [u.grad_after for u in step.updates] == [1.0, 2.0]
    first, second = step.text.split("; ")
    assert first == "a.grad += 1 × b.grad = 1.0000 × 1.0000 = 1.0000"
    assert second.endswith("(so a.grad is now 2.0000)")


def test_unlabelled_nodes_are_named_by_their_expression():
    y = BOOK_GRAPHS["ch3 quadratic"]()  # y = 3 * x**2 + 9, only x and y labelled
    texts = [s.text for s in step_backward(y).steps]
    assert texts[0].startswith("((x**2) * 3).grad += 1 × y.grad")
    assert texts[1].startswith("(x**2).grad += 3 × ((x**2) * 3).grad")  # 3: a constant
    assert "; (3).grad += (x**2).data × ((x**2) * 3).grad" in texts[1]
    assert texts[2] == "x.grad += 2 × x.data × (x**2).grad = 4.0000 × 3.0000 = 12.0000"


def test_every_operation_states_its_local_derivative_by_name():
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    cases = {
        x + y: "1",
        x - y: "1",
        x * y: "y.data",
        x / y: "1 / y.data",
        x**3: "3 × x.data**2",
        y**x: "x.data × y.data**(x.data - 1)",
        -x: "-1",
        x.log(): "1 / x.data",
        x.relu(): "(x.data > 0)",
    }
    for out, formula in cases.items():
        out.label = "o"
        assert step_backward(out).steps[0].text.startswith(f"{_first(out)}.grad += {formula} ×")
    for op, formula in [("exp", "o.data"), ("tanh", "(1 - o.data**2)")]:
        out = getattr(x, op)()
        out.label = "o"
        assert f"x.grad += {formula} × o.grad" in step_backward(out).steps[0].text
    out = x.sigmoid()
    out.label = "o"
    assert "x.grad += o.data × (1 - o.data) × o.grad" in step_backward(out).steps[0].text


def _first(out: Value) -> str:
    return out.parents[0].label


def test_a_leaf_has_no_steps():
    assert step_backward(Value(2.0)).steps == []


@pytest.mark.parametrize("bad", [1.0, None, "x"])
def test_non_value_is_rejected(bad):
    with pytest.raises(TypeError, match="step_backward needs a Value"):
        step_backward(bad)


def test_non_finite_output_is_rejected():
    big = Value(1e308) * 10
    with pytest.raises(FloatingPointError, match="non-finite"):
        step_backward(big)


def test_bad_rankdir_is_rejected():
    with pytest.raises(ValueError, match="rankdir"):
        step_backward(Value(1.0) * 2, rankdir="up")


def test_public_names():
    assert pybackprop.step_backward is pybackprop.scalar.step_backward is step_backward
    player = step_backward(BOOK_GRAPHS["ch2 expression"]())
    assert isinstance(player, BackwardPlayer)
    assert all(isinstance(s, BackwardStep) for s in player.steps)
    assert all(isinstance(u, GradUpdate) for s in player.steps for u in s.updates)


# --- the player's HTML -----------------------------------------------------------------------


def test_player_html_has_named_controls_a_live_line_and_a_step_counter():
    out = BOOK_GRAPHS["ch2 expression"]()
    html = step_backward(out)._repr_html_()
    for name in ("Previous", "Next", "Play", "Reset"):
        assert re.search(rf'<button type="button" data-do="\w+">{name}</button>', html)
    assert 'aria-live="polite"' in html and 'tabindex="0"' in html and 'role="group"' in html
    assert "step 0 of 4" in html


def test_player_starts_at_step_0_and_lists_each_steps_gradients():
    out = BOOK_GRAPHS["ch3 log-exp"]()
    player = step_backward(out)
    html = player._repr_html_()
    svg = ET.fromstring(player_svg(html))
    grads = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "pbp-grad"]
    order = out._topological_order()
    assert len(grads) == len(order)
    assert sorted(grads) == sorted(["grad 1.0000"] + ["grad 0.0000"] * (len(order) - 1))
    data = player_data(html)
    assert [s["text"] for s in data["steps"]] == [s.text for s in player.steps]
    for step, shown in zip(player.steps, data["steps"], strict=True):
        assert sorted(shown["grads"].values()) == sorted(
            {id(u.parent): f"grad {_number(u.grad_after)}" for u in step.updates}.values()
        )


@settings(max_examples=25, deadline=None)
@given(graph=value_graphs(max_chain=0), with_dot=st.booleans())
def test_player_draws_every_graph_with_one_grad_text_per_value(graph, with_dot):
    out, _ = graph
    with pytest.MonkeyPatch.context() as patch:
        if not with_dot:
            hide_dot(patch)
        html = step_backward(out)._repr_html_()
    svg = ET.fromstring(player_svg(html))
    pid = re.search(r'class="pbp-player" id="([\w-]+)"', html).group(1)
    data = player_data(html)
    named = {el.get("id") for el in svg.iter() if el.get("id")}
    for step in data["steps"]:  # every part a step highlights or updates is in the drawing
        assert {f"{pid}-{name}" for name in step["on"] + list(step["grads"])} <= named
    grads = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "pbp-grad"]
    assert len(grads) == len(out._topological_order()) == len(data["start"])


def test_each_display_is_its_own_player():
    player = step_backward(BOOK_GRAPHS["ch2 expression"]())
    first, second = player._repr_html_(), player._repr_html_()
    ids = [re.search(r'class="pbp-player" id="([\w-]+)"', h).group(1) for h in (first, second)]
    assert ids[0] != ids[1]
    assert first.count(f'id="{ids[0]}-') > 0 and ids[0] not in second


def test_player_html_fetches_nothing():
    html = step_backward(BOOK_GRAPHS["ch2 neuron"]())._repr_html_()
    without_namespaces = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for fetch in ("http:", "https:", "src=", "href=", "url(", "@import", "//cdn"):
        assert fetch not in without_namespaces


def test_labels_cannot_break_out_of_the_player():
    x = Value(0.5, label='x"&<b>')
    y = x.tanh()
    y.label = "</script><!--<script>"
    html = step_backward(y)._repr_html_()
    assert html.count("</script>") == 2 and "<!--" not in html and "<b>" not in html
    assert player_data(html)["steps"][0]["text"].startswith('(x"&<b>).grad += (1 - ')
    assert [t.text for t in ET.fromstring(player_svg(html)).iter(f"{SVG}text")][0] == 'x"&<b>'


@pytest.mark.parametrize("with_dot", [True, False], ids=["graphviz", "no-dot"])
@pytest.mark.parametrize("name", BOOK_GRAPHS)
def test_player_drawing_keeps_labels_at_least_10px_in_the_column(monkeypatch, name, with_dot):
    if not with_dot:
        hide_dot(monkeypatch)
    html = step_backward(BOOK_GRAPHS[name]())._repr_html_()
    assert ("built-in layout" in html) != with_dot
    assert smallest_label_px(player_svg(html), COLUMN_PX) >= MIN_LABEL_PX


def test_save_writes_a_standalone_page(tmp_path):
    out = BOOK_GRAPHS["ch2 expression"]()
    page = step_backward(out).save(tmp_path / "player.html")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    assert text.count('class="pbp-player"') == 1 and "<title>Backward pass of L</title>" in text


def test_player_without_dot_uses_the_built_in_layout(monkeypatch):
    hide_dot(monkeypatch)
    out = BOOK_GRAPHS["ch2 expression"]()
    html = step_backward(out)._repr_html_()
    assert "built-in layout" in html and "install Graphviz" in html
    svg = ET.fromstring(player_svg(html))
    assert len([t for t in svg.iter(f"{SVG}text") if t.get("class") == "pbp-grad"]) == 8


def test_player_survives_a_broken_dot(tmp_path, monkeypatch):
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'dot: cannot load plugins' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    html = step_backward(BOOK_GRAPHS["ch3 log-exp"]())._repr_html_()
    assert "dot: cannot load plugins" in html and "built-in layout instead" in html
    assert len(ET.fromstring(player_svg(html)).findall(f".//{SVG}text[@class='pbp-grad']")) == 6


# --- the chain rule's text reads as Python -----------------------------------------------------

# Constants whose names (4 significant digits) and exponents (6) are exact, negative ones too.
exact_numbers = st.one_of(
    st.integers(-9, 9).map(float),
    st.integers(-32, 32).map(lambda k: k / 4),
    st.sampled_from([1e-05, -1e-05, 2.5e07, -2.5e07]),
)
exponents = st.sampled_from([-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
BINARY = ("+", "-", "*", "/", "**")


@st.composite
def graphs_with_constants(draw):
    """An output built by every operation from labelled leaves and constants on either side."""
    nodes = [Value(draw(st.floats(-3, 3)), label=f"x{i}") for i in range(draw(st.integers(1, 3)))]
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(BINARY + ("**n", "neg", "exp", "log", "tanh", "relu", "sigmoid")))
        a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        if op in BINARY and draw(st.booleans()):  # a constant on one side: a number or a leaf
            c = draw(exact_numbers)
            c = Value(c) if draw(st.booleans()) else c
            a, b = (c, b) if draw(st.booleans()) else (a, c)
        try:
            if op in BINARY:
                out = {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "**": a**b}[op]
            elif op == "**n":
                out = a ** draw(exponents)
            else:
                out = -a if op == "neg" else getattr(a, op)()
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue  # outside the domain (TypeError: ** of two numbers, no Value)
        if isinstance(out, Value) and abs(out.data) < 1e6 and abs(out._da) < 1e12:
            nodes.append(out)
    total = nodes[-1]
    for node in nodes[:-1]:  # every node in the output's graph
        total = total + node
    return total


CLAUSE = re.compile(
    r"(?P<parent>.+?)\.grad \+= (?P<formula>.+) × (?P<owner>[^×]+)\.grad = "
    r"(?P<local>\S+) × (?P<upstream>\S+) = (?P<product>\S+)( \(so .*\))?"
)


@settings(max_examples=300, deadline=None)
@given(out=graphs_with_constants())
def test_every_formula_shown_evaluates_as_python_to_the_number_next_to_it(out):
    from pybackprop.scalar.player import _names, _owner

    names = _names(out._topological_order())
    values: dict[str, set[float]] = {}  # `name.data` as the text writes it -> the values
    for node in out._topological_order():
        values.setdefault(f"{_owner(names[id(node)])}.data", set()).add(node.data)
    for step in step_backward(out).steps:
        for clause, update in zip(step.text.split("; "), step.updates, strict=True):
            match = CLAUSE.fullmatch(clause)
            assert match, clause
            assert match["local"] == _number(update.local)
            formula = match["formula"].replace("×", "*")
            env = {"log": math.log}
            for i, key in enumerate(sorted(values, key=len, reverse=True)):
                if key in formula:
                    if len(values[key]) > 1:  # two nodes named alike ("* result"): ambiguous
                        break
                    formula = formula.replace(key, f"_v{i}")
                    env[f"_v{i}"] = next(iter(values[key]))
            else:
                shown = eval(formula, env)  # noqa: S307 (the player's own text)
                assert math.isclose(shown, update.local, rel_tol=1e-9, abs_tol=1e-12), clause


@pytest.mark.parametrize(
    ("make", "formula"),
    [
        (lambda: Value(1.5, label="x") / -0.5, "-x.data / (-0.5)**2"),
        (lambda: Value(-3.0) ** 3, "3 × (-3)**2"),
        (lambda: -2 / Value(1.5, label="x"), "-(-2) / x.data**2"),
    ],
)
def test_the_reviews_negative_constants_are_bracketed(make, formula):
    assert f"+= {formula} × " in step_backward(make()).steps[0].text
