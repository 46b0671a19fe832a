"""Drawing a Value's computation graph, with Graphviz or with a built-in layout.

Each Value is a box of stacked fields ``label | data | grad``, each operation a small oval
between the Values it reads and the Value it makes. ``to_dot`` returns the DOT source;
``draw_graph`` returns a ``graphviz.Digraph`` that Jupyter and the book show as SVG, or, without
Graphviz, a ``GraphDrawing`` laid out here, so that a notebook never stops at a drawing. Any
micrograd-style object can be drawn (``data``, ``grad``, ``parents``/``op`` or micrograd's
``_prev``/``_op``, optionally ``label``), so a learner can draw the engine they are writing.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._player import printable

if TYPE_CHECKING:
    import graphviz

__all__ = ["GraphDrawing", "draw_graph", "to_dot"]

RANKDIRS = ("LR", "RL", "TB", "BT")

# Graphviz's defaults, in points: 14 pt text, a drawing unit of 1 pt.
FONT_SIZE = 14.0
# The widest left-to-right drawing (in points) that keeps 14 pt labels at least 10 CSS px tall
# in a 749 px text column: 14 * 749 / 10 = 1049, less a margin for the estimate below.
MAX_LR_WIDTH = 950.0
# Space between layers and between boxes in a layer, in points (Graphviz: ranksep, nodesep).
RANK_GAP = 0.3 * 72
NODE_GAP = 0.2 * 72
# Times, Graphviz's default font, averages about half an em per character in these labels.
CHAR_WIDTH = 0.55 * FONT_SIZE
FIELD_HEIGHT = 1.6 * FONT_SIZE
BOX_PADDING = 8.0
# Drawings and players stop at MAX_NODES Values: more is megabytes of page and no reader's
# picture. Graphviz's dot takes seconds at 1,000 and minutes at 3,000 (its layout grows faster
# than the graph), so above DOT_MAX_NODES the built-in layout (linear) draws instead.
MAX_NODES = 5000
DOT_MAX_NODES = 1000
DOT_TIMEOUT = 30.0  # seconds; then the built-in layout, with a note saying why

# --- the graph, for any micrograd-style object --------------------------------------------------


def _is_node(v: object) -> bool:
    """Whether v looks like a Value: ``data``, ``grad``, and ``parents`` or ``_prev``."""
    return (
        hasattr(v, "data") and hasattr(v, "grad") and (hasattr(v, "parents") or hasattr(v, "_prev"))
    )


def _check_node(v: object, who: str) -> None:
    if not _is_node(v):
        raise TypeError(
            f"{who} needs a Value (or a micrograd-style object with data, grad and _prev), "
            f"got {type(v).__name__}"
        )


def _parents(v: Any) -> tuple:
    """pybackprop's ``parents``, else micrograd's ``_prev`` (a set there)."""
    return tuple(v.parents) if hasattr(v, "parents") else tuple(v._prev)


def _op(v: Any) -> str:
    """pybackprop's ``op``, else micrograd's ``_op``."""
    return str(v.op if hasattr(v, "parents") else getattr(v, "_op", ""))


def _nodes(v: Any) -> list:
    """Every node reachable from v, each after all of its parents (iterative, as the engine's)."""
    # Nodes are told apart by identity, as a learner's class may define `==` or no hash.
    order: list = []
    visited: set[int] = set()
    stack: list = [v]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append(node)
            stack.append(None)
            stack.extend(_parents(node))
    return order


def _check_size(n: int, who: str) -> None:
    """A ValueError if a graph of n Values is more than MAX_NODES to draw."""
    if n > MAX_NODES:
        raise ValueError(
            f"{who} draws at most {MAX_NODES:,} values (MAX_NODES); this graph has "
            f"{n:,}. Draw a smaller one: fewer examples or a smaller model."
        )


def _too_big_for_dot(n: int) -> str | None:
    """The note saying why a graph of n Values is not given to Graphviz, or None."""
    if n <= DOT_MAX_NODES:
        return None
    return (
        f"Drawn with pybackprop's built-in layout: {n:,} values, and Graphviz takes "
        f"minutes on more than {DOT_MAX_NODES:,} (DOT_MAX_NODES)."
    )


def _number(x: float) -> str:
    """4 decimals, or scientific notation when that would hide the number."""
    x = float(x)
    return f"{x:.4f}" if x == 0.0 or 1e-4 <= abs(x) < 1e6 else f"{x:.4e}"


@dataclass(frozen=True)
class _Box:
    """One drawn node: a Value (fields stacked: label, data, grad) or an operation (one field)."""

    name: str
    fields: tuple[str, ...]
    is_op: bool = False


@dataclass(frozen=True)
class _Graph:
    """The drawing before it is laid out: boxes, and edges as (tail, head, edge name)."""

    boxes: list[_Box]
    edges: list[tuple[str, str, str]]


def _graph(v: Any, grad_text: dict[int, str] | None = None) -> _Graph:
    """Boxes ``v0, v1, ...`` in topological order, each after its ``v<i>_op`` oval."""
    # grad_text (node id -> text) replaces the `grad ...` field: the player draws its own.
    order = _nodes(v)
    names = {id(node): f"v{i}" for i, node in enumerate(order)}
    boxes, edges = [], []
    for node in order:
        name = names[id(node)]
        grad = (grad_text or {}).get(id(node), f"grad {_number(node.grad)}")
        fields = (f"data {_number(node.data)}", grad)
        label = printable(str(getattr(node, "label", "") or ""))
        parents = _parents(node)
        if parents:
            boxes.append(_Box(f"{name}_op", (printable(_op(node)),), is_op=True))
            edges.append((f"{name}_op", name, f"{name}-out"))
            for j, parent in enumerate(parents):
                edges.append((names[id(parent)], f"{name}_op", f"{name}-in{j}"))
        boxes.append(_Box(name, (label, *fields) if label else fields))
    return _Graph(boxes, edges)


# --- layers: the fallback layout, and the estimate that picks the direction --------------------


def _size(box: _Box) -> tuple[float, float]:
    """(width, height) in points, laid out as Graphviz does it, give or take."""
    width = max(len(text) for text in box.fields) * CHAR_WIDTH + 2 * BOX_PADDING
    if box.is_op:
        return max(width, 2.2 * CHAR_WIDTH), FIELD_HEIGHT
    return width, FIELD_HEIGHT * len(box.fields)


def _layers(graph: _Graph) -> list[list[_Box]]:
    """Boxes in layers from the inputs to the output, ordered to keep edges from crossing."""
    # A box goes one layer after the latest box it reads; then, from the output back, each box
    # moves up to just before the first box that reads it, so that inputs sit next to their
    # use and edges stay short (as Graphviz places them).
    into: dict[str, list[str]] = {box.name: [] for box in graph.boxes}
    out_of: dict[str, list[str]] = {box.name: [] for box in graph.boxes}
    for tail, head, _ in graph.edges:
        into[head].append(tail)
        out_of[tail].append(head)
    layer: dict[str, int] = {}
    for box in graph.boxes:  # topological order: parents, then op, then the Value
        layer[box.name] = 1 + max((layer[t] for t in into[box.name]), default=-1)
    for box in reversed(graph.boxes):
        if out_of[box.name]:
            layer[box.name] = min(layer[h] for h in out_of[box.name]) - 1
    layers: list[list[_Box]] = [[] for _ in range(max(layer.values()) + 1)]
    for box in graph.boxes:
        layers[layer[box.name]].append(box)
    # Two sweeps of the barycentre heuristic: each box moves towards the mean position of
    # its neighbours in the layer before (then after).
    position = {box.name: i for row in layers for i, box in enumerate(row)}
    for neighbours, rows in ((into, layers[1:]), (out_of, layers[-2::-1])):
        for row in rows:
            row.sort(
                key=lambda b, n=neighbours: (
                    sum(position[x] for x in n[b.name]) / len(n[b.name])
                    if n[b.name]
                    else position[b.name]
                )
            )
            position.update({b.name: i for i, b in enumerate(row)})
    return layers


def _extent(layers: list[list[_Box]], across: bool) -> float:
    """Drawing width (points) with layers side by side (``across``) or stacked."""
    if across:
        widths = [max(_size(b)[0] for b in row) for row in layers]
        return sum(widths) + RANK_GAP * (len(layers) - 1) + 8
    return max(sum(_size(b)[0] for b in row) + NODE_GAP * (len(row) - 1) for row in layers) + 8


def _pick_rankdir(graph: _Graph, rankdir: str | None) -> str:
    """``rankdir`` checked, or chosen: left to right while that fits the column, else top down."""
    if rankdir is not None:
        if rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be None (choose) or one of {RANKDIRS}, got {rankdir!r}")
        return rankdir
    layers = _layers(graph)
    wide, tall = _extent(layers, across=True), _extent(layers, across=False)
    return "LR" if wide <= MAX_LR_WIDTH or wide <= tall else "TB"


# --- DOT ----------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Escape text for a quoted record label: quotes, backslashes, record syntax and ``&``."""
    # dot reads "&lt;" in a label as "<": "&amp;" keeps a learner's "&" as typed.
    text = text.replace("&", "&amp;")
    return "".join("\\" + ch if ch in '\\"{}|<>' else ch for ch in text)


GRAPH_ATTRS = {"nodesep": "0.2", "ranksep": "0.3"}


def _dot_body(graph: _Graph, rankdir: str, ids: str | None = None) -> list[str]:
    """DOT statements, one per line; ``ids`` prefixes an SVG id on every node and edge."""
    # A record's fields run across the rank direction, braces turn them: stacked either way.
    braces = ("{", "}") if rankdir in ("TB", "BT") else ("", "")
    lines = []
    for box in graph.boxes:
        tag = f' id="{ids}-{box.name}"' if ids else ""
        if box.is_op:
            label = _escape(box.fields[0])
            lines.append(
                f'\t{box.name} [label="{label}" shape=oval{tag} width=0 height=0 margin=0.04]\n'
            )
        else:
            label = braces[0] + "|".join(_escape(f) for f in box.fields) + braces[1]
            lines.append(f'\t{box.name} [label="{label}" shape=record{tag}]\n')
    for tail, head, name in graph.edges:
        tag = f' [id="{ids}-{name}"]' if ids else ""
        lines.append(f"\t{tail} -> {head}{tag}\n")
    return lines


def _dot_source(graph: _Graph, rankdir: str, ids: str | None = None) -> str:
    """The whole DOT source: graph attributes, then ``_dot_body``."""
    # Sorted, as the graphviz package writes them, so that to_dot equals draw_graph's source.
    attrs = " ".join(f"{k}={v}" for k, v in sorted({"rankdir": rankdir, **GRAPH_ATTRS}.items()))
    return "digraph {\n" + f"\tgraph [{attrs}]\n" + "".join(_dot_body(graph, rankdir, ids)) + "}\n"


def to_dot(v: Any, rankdir: str | None = None) -> str:
    """Graphviz DOT source for the graph that computed ``v``; needs nothing installed.

    Parameters
    ----------
    v : Value
        The output whose graph to draw (or any micrograd-style object).
    rankdir : str or None, default None
        Layout direction: ``"LR"`` (inputs on the left), ``"RL"``, ``"TB"`` (inputs at the top)
        or ``"BT"``. None chooses: left to right while labels stay at least 10 px tall in a
        book's text column, else top to bottom.

    Returns
    -------
    str
        The DOT source, one statement per line.

    Raises
    ------
    TypeError
        If ``v`` is neither a Value nor a micrograd-style object.
    ValueError
        If ``rankdir`` is not None, ``"LR"``, ``"RL"``, ``"TB"`` or ``"BT"``.

    Examples
    --------
    >>> from pybackprop import Value, to_dot
    >>> c = Value(2.0, label="a") * Value(-3.0, label="b")
    >>> print(to_dot(c).splitlines()[2].strip())
    v0 [label="b|data -3.0000|grad 0.0000" shape=record]
    """
    _check_node(v, "to_dot")
    graph = _graph(v)
    return _dot_source(graph, _pick_rankdir(graph, rankdir))


# --- the built-in layout, as SVG ------------------------------------------------------------------


def _svg_layout(graph: _Graph, rankdir: str, ids: str | None = None) -> str:
    """An SVG drawing in Graphviz's style (points, ``<g>`` per node and edge, dot's ids)."""
    layers = _layers(graph)
    if rankdir in ("RL", "BT"):
        layers = layers[::-1]
    across = rankdir in ("LR", "RL")
    sizes = {box.name: _size(box) for row in layers for box in row}
    # Along the layers: each layer as thick as its largest box; across: boxes side by side.
    thickness = [max(sizes[b.name][0 if across else 1] for b in row) for row in layers]
    spans = [
        sum(sizes[b.name][1 if across else 0] for b in row) + NODE_GAP * (len(row) - 1)
        for row in layers
    ]
    margin = 4.0
    longest = max(spans)
    centre: dict[str, tuple[float, float]] = {}
    along = margin
    for row, thick, span in zip(layers, thickness, spans, strict=True):
        offset = margin + (longest - span) / 2
        for box in row:
            w, h = sizes[box.name]
            size_across = h if across else w
            c_along, c_across = along + thick / 2, offset + size_across / 2
            centre[box.name] = (c_along, c_across) if across else (c_across, c_along)
            offset += size_across + NODE_GAP
        along += thick + RANK_GAP
    total_along = along - RANK_GAP + margin
    width, height = (total_along, longest + 2 * margin)
    if not across:
        width, height = height, width

    def ident(name: str) -> str:
        return f' id="{html.escape(ids)}-{name}"' if ids else ""

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" height="{height:.0f}pt" '
        f'viewBox="0 0 {width:.2f} {height:.2f}">',
        '<g class="graph">',
        f'<polygon fill="white" stroke="transparent" points="0,0 {width:.2f},0 '
        f'{width:.2f},{height:.2f} 0,{height:.2f}"/>',
    ]
    for tail, head, name in graph.edges:
        (x0, y0), (x1, y1) = centre[tail], centre[head]
        (tw, th), (hw, hh) = sizes[tail], sizes[head]
        if across:
            sign = 1 if x1 > x0 else -1
            x0, x1 = x0 + sign * tw / 2, x1 - sign * (hw / 2 + 8)
            mid = (x0 + x1) / 2
            path = f"M{x0:.2f},{y0:.2f} C{mid:.2f},{y0:.2f} {mid:.2f},{y1:.2f} {x1:.2f},{y1:.2f}"
            tip = (x1 + sign * 8, y1)
            arrow = [(x1, y1 - 3.5), tip, (x1, y1 + 3.5)]
        else:
            sign = 1 if y1 > y0 else -1
            y0, y1 = y0 + sign * th / 2, y1 - sign * (hh / 2 + 8)
            mid = (y0 + y1) / 2
            path = f"M{x0:.2f},{y0:.2f} C{x0:.2f},{mid:.2f} {x1:.2f},{mid:.2f} {x1:.2f},{y1:.2f}"
            tip = (x1, y1 + sign * 8)
            arrow = [(x1 - 3.5, y1), tip, (x1 + 3.5, y1)]
        points = " ".join(f"{x:.2f},{y:.2f}" for x, y in arrow)
        parts.append(
            f'<g class="edge"{ident(name)}><title>{tail}-&gt;{head}</title>'
            f'<path fill="none" stroke="black" d="{path}"/>'
            f'<polygon fill="black" stroke="black" points="{points}"/></g>'
        )
    for row in layers:
        for box in row:
            (cx, cy), (w, h) = centre[box.name], sizes[box.name]
            parts.append(f'<g class="node"{ident(box.name)}><title>{box.name}</title>')
            if box.is_op:
                parts.append(
                    f'<ellipse fill="none" stroke="black" cx="{cx:.2f}" cy="{cy:.2f}" '
                    f'rx="{w / 2:.2f}" ry="{h / 2:.2f}"/>'
                )
            else:
                x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
                corners = f"{x0:.2f},{y0:.2f} {x1:.2f},{y0:.2f} {x1:.2f},{y1:.2f} {x0:.2f},{y1:.2f}"
                parts.append(f'<polygon fill="none" stroke="black" points="{corners}"/>')
            top = cy - h / 2
            for i, text in enumerate(box.fields):
                if i:
                    y = top + i * FIELD_HEIGHT
                    parts.append(
                        f'<polyline fill="none" stroke="black" '
                        f'points="{cx - w / 2:.2f},{y:.2f} {cx + w / 2:.2f},{y:.2f}"/>'
                    )
                baseline = top + (i + 0.5) * FIELD_HEIGHT + 0.35 * FONT_SIZE
                parts.append(
                    f'<text text-anchor="middle" x="{cx:.2f}" y="{baseline:.2f}" '
                    f'font-family="Times,serif" font-size="{FONT_SIZE:.2f}">'
                    f"{html.escape(text)}</text>"
                )
            parts.append("</g>")
    parts.append("</g></svg>")
    return "\n".join(parts)


def _missing_graphviz(package: bool = True) -> str | None:
    """What to install for Graphviz's drawing (the Python package too if ``package``), or None."""
    needs = []
    if shutil.which("dot") is None:
        needs.append(
            "Graphviz (`apt-get install graphviz`, `brew install graphviz`, "
            "or graphviz.org/download)"
        )
    try:
        if package:
            import graphviz  # noqa: F401
    except ImportError:
        needs.append("its Python package (`pip install graphviz`)")
    if not needs:
        return None
    install = " and ".join(needs)
    return f"Drawn with pybackprop's built-in layout; install {install} for the nicer drawing."


def _dot_svg(source: str) -> str:
    """Run Graphviz's ``dot`` on DOT source and return the SVG text."""
    try:
        done = subprocess.run(
            ["dot", "-Tsvg"],
            input=source.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"Graphviz's dot did not finish within {DOT_TIMEOUT:g} s (DOT_TIMEOUT)"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"Graphviz's dot failed: {message}")
    return done.stdout.decode()


class GraphDrawing:
    """A graph drawn without Graphviz: what ``draw_graph`` returns when Graphviz is missing.

    It displays in Jupyter and the book like Graphviz's drawing, with a note under it.

    Parameters
    ----------
    svg : str
        The drawing, an ``<svg>`` element in points like Graphviz's; also the attribute ``svg``.
    note : str
        One line shown under the drawing (what to install); also the attribute ``note``.

    Examples
    --------
    >>> from pybackprop.scalar import GraphDrawing
    >>> svg = '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
    >>> GraphDrawing(svg, "a note")
    GraphDrawing(46 characters of SVG; a note)
    """

    def __init__(self, svg: str, note: str) -> None:
        self.svg = svg
        self.note = note

    def __repr__(self) -> str:
        return f"GraphDrawing({len(self.svg)} characters of SVG; {self.note})"

    def _repr_html_(self) -> str:
        """The drawing and its note, scaled down to the column like an image."""
        svg = self.svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
        return (
            f'<div class="pbp-drawing" style="max-width:100%;overflow-x:auto">{svg}'
            f'<p style="font-size:0.85em;margin:0.3em 0">{html.escape(self.note)}</p></div>'
        )

    def _repr_svg_(self) -> str:
        return self.svg


def draw_graph(v: Any, rankdir: str | None = None) -> graphviz.Digraph | GraphDrawing:
    """The graph that computed ``v`` as a picture that Jupyter and the book display.

    The drawing of ``to_dot``, as a ``graphviz.Digraph`` (``.render(...)`` writes it out); without
    Graphviz's ``dot`` or its Python package, a ``GraphDrawing`` from a built-in layout.

    Parameters
    ----------
    v : Value
        The output whose graph to draw (or any micrograd-style object).
    rankdir : str or None, default None
        Layout direction, as for ``to_dot``; None chooses.

    Returns
    -------
    graphviz.Digraph or GraphDrawing
        The graph, ready to display.

    Raises
    ------
    TypeError
        If ``v`` is neither a Value nor a micrograd-style object.
    ValueError
        If ``rankdir`` is not None, ``"LR"``, ``"RL"``, ``"TB"`` or ``"BT"``, or the graph has
        more than ``MAX_NODES`` values.

    Examples
    --------
    >>> from pybackprop import Value, draw_graph
    >>> y = (2 * Value(0.5, label="x")).tanh()
    >>> g = draw_graph(y)  # in a notebook, a cell ending with draw_graph(y) shows it
    """
    _check_node(v, "draw_graph")
    graph = _graph(v)
    n_values = sum(not box.is_op for box in graph.boxes)
    _check_size(n_values, "draw_graph")
    rankdir = _pick_rankdir(graph, rankdir)
    note = _too_big_for_dot(n_values) or _missing_graphviz()
    if note is not None:
        return GraphDrawing(_svg_layout(graph, rankdir), note)
    import graphviz

    attrs = {"rankdir": rankdir, **GRAPH_ATTRS}
    return graphviz.Digraph(graph_attr=attrs, body=_dot_body(graph, rankdir))
