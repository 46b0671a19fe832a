"""The players and drawings at their edges: big graphs, odd labels, a hung `dot`, saving.

Work is measured by counting calls (a profile hook, with the pure-Python ElementTree so that
its searches are counted too): doubling the graph must about double the work. No wall clock.
"""

import html
import importlib
import os
import re
import sys
import xml.etree
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybackprop import Value, draw_graph, explore, nn, step_backward
from pybackprop._player import printable
from pybackprop.scalar import GraphDrawing
from pybackprop.scalar import graph as graph_module
from pybackprop.scalar import player as player_module
from tests.package.test_graph import SVG, hide_dot


def sum_of_squares(k: int) -> Value:
    """sum(x_i * x_i) over k labelled inputs: 3k + 1 values."""
    out = Value(0.0)
    for i in range(k):
        x = Value(0.1 * i, label=f"x{i}")
        out = out + x * x
    return out


def n_values(out: Value) -> int:
    return len(out._topological_order())


@pytest.fixture
def python_etree(monkeypatch):
    """The player's ElementTree without its C accelerator, so that each element visited is a
    Python call the profile hook counts."""
    saved = {name: sys.modules.get(name) for name in ("xml.etree.ElementTree", "_elementtree")}
    sys.modules["_elementtree"] = None  # makes the import fall back to the Python classes
    del sys.modules["xml.etree.ElementTree"]
    try:
        pure = importlib.import_module("xml.etree.ElementTree")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        xml.etree.ElementTree = saved["xml.etree.ElementTree"]
    assert pure.Element is not ET.Element
    monkeypatch.setattr(player_module, "ET", pure)


def calls(fn) -> int:
    """How many Python and C function calls (and generator resumptions) fn() makes."""
    count = 0

    def hook(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("with_dot", [True, False], ids=["graphviz", "no-dot"])
def test_the_player_does_work_linear_in_the_graphs_size(monkeypatch, python_etree, with_dot):
    if not with_dot:
        hide_dot(monkeypatch)
    small, large = sum_of_squares(60), sum_of_squares(120)
    work = [calls(lambda out=out: step_backward(out)._repr_html_()) for out in (small, large)]
    ratio = work[1] / work[0]
    # Linear: 2; n log n: a little more; one search of the drawing per node (before): about 4.
    assert n_values(large) / n_values(small) == pytest.approx(2, abs=0.02)
    assert ratio < 2.4, f"{work}: doubling the graph multiplied the work by {ratio:.2f}"


def test_the_work_counter_sees_a_search_per_node(python_etree):
    # The counter above is only worth something if it catches quadratic work: here is some.
    def search_each(out):
        svg = player_module.ET.fromstring(graph_module._svg_layout(graph_module._graph(out), "LR"))
        for i in range(n_values(out)):
            svg.find(f".//*[@id='v{i}']")

    small, large = sum_of_squares(20), sum_of_squares(40)
    assert calls(lambda: search_each(large)) / calls(lambda: search_each(small)) > 3.5


# --- labels with any characters ------------------------------------------------------------

LABELS = [
    "\x01",
    "a\x00b\x1f\x7f",
    "line\nbreak\ttab",
    "<b>&amp;</b> & &lt;",
    "\"double\" 'single' `back`",
    "{record|syntax} \\ back\\slash",
    "é ∂ 😀 中文 \u200b",
    "\ud800 lone surrogate \ufffe\uffff",
    "</script><!--",
]


def labelled(label: str) -> Value:
    x = Value(0.5, label=label)
    y = x.tanh()
    y.label = label + "!"
    return y


def drawn_texts(svg_text: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg_text).iter(f"{SVG}text")]


def player_svg(page: str) -> str:
    return re.search(r"<svg.*?</svg>", page, flags=re.S).group(0)


@pytest.mark.parametrize("with_dot", [True, False], ids=["graphviz", "no-dot"])
@pytest.mark.parametrize("label", LABELS, ids=ascii)
def test_any_label_is_drawn_as_its_printable_form(monkeypatch, label, with_dot):
    if not with_dot:
        hide_dot(monkeypatch)
    shown = printable(label)
    page = step_backward(labelled(label))._repr_html_()
    assert ("built-in layout" in page) != with_dot
    texts = drawn_texts(player_svg(page))
    assert shown in texts and shown + "!" in texts, texts
    page.encode("utf-8")  # no lone surrogate left
    drawing = draw_graph(labelled(label))
    if with_dot:
        svg_text = drawing.pipe(format="svg", encoding="utf-8")
    else:
        assert isinstance(drawing, GraphDrawing)
        svg_text = drawing.svg
    texts = drawn_texts(svg_text)
    assert shown in texts and shown + "!" in texts, texts


@given(st.text())
def test_printable_text_is_valid_xml_and_changes_only_what_xml_cannot_hold(text):
    shown = printable(text)
    assert ET.fromstring(f"<a>{html.escape(shown)}</a>").text or "" == shown
    shown.encode("utf-8")
    if all(ch in "\t\n\r" or " " <= ch < "\x7f" or "\xa0" <= ch < "\ud800" for ch in text):
        assert shown == text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def test_printable_writes_control_characters_as_python_escapes():
    assert printable("a\x01b\n\ud800\uffff") == "a\\x01b\\n\\ud800\\uffff"


# --- dot's timeout and the node limits -----------------------------------------------------


def fake_dot(tmp_path, monkeypatch, script: str) -> None:
    dot = tmp_path / "dot"
    dot.write_text(f"#!/bin/sh\n{script}\n")
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")


def test_a_dot_that_hangs_is_stopped_and_the_built_in_layout_draws(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "exec sleep 600")  # exec: the timeout kills sleep itself
    monkeypatch.setattr(graph_module, "DOT_TIMEOUT", 0.2)
    page = step_backward(labelled("x"))._repr_html_()
    assert "dot did not finish within 0.2 s (DOT_TIMEOUT)" in page
    assert "Drawn with pybackprop&#x27;s built-in layout instead" in page
    assert "x!" in drawn_texts(player_svg(page))


# (what draws, the call)
DRAWERS = {
    "step_backward": lambda out: step_backward(out)._repr_html_(),
    "draw_graph": draw_graph,
}


@pytest.mark.parametrize("who", DRAWERS)
def test_more_values_than_max_nodes_are_refused_saying_so(monkeypatch, who):
    out = sum_of_squares(20)  # 61 values
    monkeypatch.setattr(graph_module, "MAX_NODES", n_values(out))
    DRAWERS[who](out)  # at the limit: drawn
    bigger = out * 2.0  # 63 values
    message = rf"^{who} draws at most 61 values \(MAX_NODES\); this graph has 63\. Draw a smaller"
    with pytest.raises(ValueError, match=message):
        DRAWERS[who](bigger)


@pytest.mark.parametrize("who", DRAWERS)
def test_a_graph_too_big_for_dot_gets_the_built_in_layout_with_the_reason(monkeypatch, who):
    out = sum_of_squares(20)
    monkeypatch.setattr(graph_module, "DOT_MAX_NODES", n_values(out) - 1)
    drawn = DRAWERS[who](out)
    note = drawn.note if who == "draw_graph" else drawn
    assert "built-in layout: 61 values, and Graphviz takes minutes on more than 60" in note
    monkeypatch.setattr(graph_module, "DOT_MAX_NODES", n_values(out))
    assert isinstance(draw_graph(out), graphviz.Digraph)


# --- save ----------------------------------------------------------------------------------


def module_player():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    x, y = np.ones((4, 2), dtype=np.float32), np.zeros((4, 3), dtype=np.float32)
    return nn.step_backward_modules(model, nn.MSELoss(), x, y)


PLAYERS = {
    "scalar": lambda: step_backward(labelled("x")),
    "modules": module_player,
    "figure": lambda: explore.relu_pieces(pieces=2, n=5),  # explore's figures share save()
}


def make_file(tmp_path, path):
    path.write_text("the reader's own file")


def make_link(tmp_path, path):
    (tmp_path / "elsewhere.txt").write_text("the reader's own file")
    path.symlink_to(tmp_path / "elsewhere.txt")


def make_dangling_link(tmp_path, path):
    path.symlink_to(tmp_path / "nothing-yet.txt")


def make_directory(tmp_path, path):
    path.mkdir()
    (path / "notes.txt").write_text("the reader's own file")


def snapshot(folder):
    """Every entry under folder: whether it is a link, and a file's bytes."""
    return {
        str(p.relative_to(folder)): (p.is_symlink(), p.is_file() and p.read_bytes())
        for p in folder.rglob("*")
    }


# (what is at the path, overwrite, the refusal's words or None if it is written)
SAVE_CASES = [
    ("nothing", lambda tmp_path, path: None, False, None),
    ("a file", make_file, False, r"page\.html exists; pass overwrite=True to replace it"),
    ("a file", make_file, True, None),
    ("a link", make_link, False, r"page\.html is a symbolic link \(to .*elsewhere\.txt\)"),
    ("a link", make_link, True, r"save\(\) does not write through links"),
    ("a dangling link", make_dangling_link, False, r"is a symbolic link \(to .*nothing-yet"),
    ("a dangling link", make_dangling_link, True, r"is a symbolic link"),
    ("a directory", make_directory, False, r"page\.html is a directory; .* give a file name"),
    ("a directory", make_directory, True, r"page\.html is a directory; .* give a file name"),
]


@pytest.mark.parametrize("player", PLAYERS)
@pytest.mark.parametrize(
    ("make", "overwrite", "words"),
    [case[1:] for case in SAVE_CASES],
    ids=[f"{case[0]}-overwrite={case[2]}" for case in SAVE_CASES],
)
def test_save_refuses_to_overwrite_follow_a_link_or_replace_a_directory(
    tmp_path, player, make, overwrite, words
):
    path = tmp_path / "page.html"
    make(tmp_path, path)
    before = snapshot(tmp_path)
    if words is None:
        assert PLAYERS[player]().save(path, overwrite=overwrite) == path
        assert not path.is_symlink() and path.read_text().startswith("<!DOCTYPE html>")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]  # no temporary left
        return
    error = IsADirectoryError if path.is_dir() and not path.is_symlink() else FileExistsError
    with pytest.raises(error, match=words) as refused:
        PLAYERS[player]().save(path, overwrite=overwrite)
    assert "overwrite=True" not in str(refused.value) or make is make_file  # no advice that fails
    assert snapshot(tmp_path) == before  # nothing written, the link's target untouched
