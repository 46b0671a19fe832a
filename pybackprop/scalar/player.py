"""``step_backward``: the backward pass one node at a time, as data and as an interactive player.

``step_backward(out)`` records the steps of ``out.backward()`` without touching any ``.grad``
and displays them as a player: the graph as ``draw_graph`` draws it, the current node
highlighted, one line of chain rule per step. The player is one self-contained piece of HTML
(nothing fetched), so it works offline too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .._player import Frames, Player, printable
from .engine import Value
from .graph import (
    _check_size,
    _dot_source,
    _dot_svg,
    _graph,
    _missing_graphviz,
    _nodes,
    _number,
    _pick_rankdir,
    _svg_layout,
    _too_big_for_dot,
)

__all__ = ["BackwardPlayer", "BackwardStep", "GradUpdate", "step_backward"]

SVG_NS = "http://www.w3.org/2000/svg"
# Graphviz's SVG is in points; a CSS pixel is 3/4 of a point.
PX_PER_PT = 4 / 3


@dataclass(frozen=True)
class GradUpdate:
    """One parent's share in a backward step: ``parent.grad += local * upstream``.

    Parameters
    ----------
    parent : Value
        The parent whose gradient grows.
    local : float
        The local derivative d(node)/d(parent), stored by the forward pass.
    product : float
        ``local * upstream``: what is added to ``parent.grad``.
    grad_after : float
        ``parent.grad`` once the product is added (a parent used twice accumulates).

    Examples
    --------
    >>> from pybackprop import Value, step_backward
    >>> a = Value(3.0)
    >>> [u.grad_after for u in step_backward(a + a).steps[0].updates]  # a is used twice
    [1.0, 2.0]
    """

    parent: Value
    local: float
    product: float
    grad_after: float


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass pushing its gradient to its parents.

    Parameters
    ----------
    node : Value
        The node being processed; its gradient is complete at this point.
    upstream : float
        Its gradient d(out)/d(node), which it passes back.
    updates : tuple of GradUpdate
        One per parent, in the order of ``node.parents``.
    text : str
        The step as chain rule with numbers, ``b.grad += a.data × c.grad = 2.0000 × ...``.

    Examples
    --------
    >>> from pybackprop import Value, step_backward
    >>> c = Value(2.0, label="a") * Value(-3.0, label="b")
    >>> print(step_backward(c).steps[0].text.split("; ")[0])
    a.grad += b.data × (a * b).grad = -3.0000 × 1.0000 = -3.0000
    """

    node: Value
    upstream: float
    updates: tuple[GradUpdate, ...]
    text: str


def _atom(name: str) -> str:
    """A name usable as an operand: names, numbers and method calls as they are."""
    return name if re.fullmatch(r"[A-Za-z_]\w*(\.\w+\(\))*|\d[\d.e+]*", name) else f"({name})"


def _owner(name: str) -> str:
    """A name usable before ``.grad`` or ``.data``: a number is put in brackets too."""
    return name if re.fullmatch(r"[A-Za-z_]\w*(\.\w+\(\))*", name) else f"({name})"


_BINARY = {"+", "-", "*", "/", "**"}


def _names(order: list[Value]) -> dict[int, str]:
    """A name for every node: its label, else its number (a leaf) or the expression that made it."""
    names: dict[int, str] = {}
    for node in order:
        if node.label:
            name = printable(node.label)
        elif not node.parents:
            name = f"{node.data:.4g}"
        else:
            args = [_atom(names[id(p)]) for p in node.parents]
            if node.op in _BINARY:
                name = f" {node.op} ".join(args)
            elif node.op.startswith("**"):
                name = f"{args[0]}{node.op}"
            elif node.op == "neg":
                name = f"-{args[0]}"
            else:
                name = f"{args[0]}.{node.op}()"
            if len(name) > 30:
                name = f"{node.op} result"
        names[id(node)] = name
    return names


def _local_formulas(node: Value, names: dict[int, str]) -> list[str]:
    """d(node)/d(parent) for each parent, written with the names of the nodes."""
    # A constant (an unlabelled leaf) is written as its number, bracketed if negative (so that
    # `(-3)**2` and `-(-2)` read as computed), any other node as `name.data`.
    p = [
        _atom(names[id(q)]) if not (q.label or q.parents) else f"{_owner(names[id(q)])}.data"
        for q in node.parents
    ]
    o = f"{_owner(names[id(node)])}.data"
    op = node.op
    simple = {
        "+": ["1", "1"],
        "-": ["1", "-1"],
        "neg": ["-1"],
        "*": [p[-1], p[0]],
        "/": [f"1 / {p[-1]}", f"-{p[0]} / {p[-1]}**2"],
        "exp": [o],
        "log": [f"1 / {p[0]}"],
        "tanh": [f"(1 - {o}**2)"],
        "relu": [f"({p[0]} > 0)"],
        "sigmoid": [f"{o} × (1 - {o})"],
        "**": [f"{p[-1]} × {p[0]}**({p[-1]} - 1)", f"{o} × log({p[0]})"],
    }
    if op in simple:
        return simple[op][: len(p)]
    if op.startswith("**"):
        n = float(op[2:])
        if n == 1 or n == 0:
            return [f"{n:g}"]
        power = p[0] if n == 2 else f"{p[0]}**{n - 1:g}"
        return [f"{n:g} × {power}"]
    return [f"d({names[id(node)]})/d({names[id(q)]})" for q in node.parents]


def _steps(out: Value) -> list[BackwardStep]:
    """The steps of ``out.backward()`` on zero gradients, computed aside from ``.grad``."""
    order = out._topological_order()
    names = _names(order)
    grad = {id(node): 0.0 for node in order}
    grad[id(out)] = 1.0
    steps = []
    for node in reversed(order):  # the order backward() uses
        if not node.parents:
            continue
        upstream = grad[id(node)]
        updates, clauses = [], []
        formulas = _local_formulas(node, names)
        for parent, local, formula in zip(node.parents, node._local_grads, formulas, strict=True):
            before = grad[id(parent)]
            product = local * upstream
            grad[id(parent)] = before + product
            updates.append(GradUpdate(parent, local, product, grad[id(parent)]))
            name = _owner(names[id(parent)])
            clause = (
                f"{name}.grad += {formula} × {_owner(names[id(node)])}.grad = "
                f"{_number(local)} × {_number(upstream)} = {_number(product)}"
            )
            if before != 0.0:
                clause += f" (so {name}.grad is now {_number(grad[id(parent)])})"
            clauses.append(clause)
        steps.append(BackwardStep(node, upstream, tuple(updates), "; ".join(clauses)))
    return steps


def step_backward(out: Value, rankdir: str | None = None) -> BackwardPlayer:
    """The backward pass of ``out``, step by step: data in ``.steps``, a player when displayed.

    Records what ``out.backward()`` would do from zero gradients, changing no ``.grad``. A
    notebook cell ending with it shows the player (Previous / Next / Play / Reset, or keys).

    Parameters
    ----------
    out : Value
        The output whose forward pass has run; the seed is d(out)/d(out) = 1.
    rankdir : str or None, default None
        Layout direction of the drawing, as for ``draw_graph``.

    Returns
    -------
    BackwardPlayer
        ``.steps`` (a list of BackwardStep), ``.save(path)``, and the player when displayed.

    Raises
    ------
    TypeError
        If ``out`` is not a Value.
    ValueError
        If the graph has more than ``MAX_NODES`` values (5,000) to draw.
    FloatingPointError
        If ``out.data`` is nan or inf (``backward()`` refuses it too).

    Examples
    --------
    >>> from pybackprop import Value, step_backward
    >>> x = Value(3.0, label="x")
    >>> player = step_backward(x * x + x)
    >>> [step.node.op for step in player.steps], x.grad  # + first, then *; .grad untouched
    (['+', '*'], 0.0)
    """
    if not isinstance(out, Value):
        raise TypeError(f"step_backward needs a Value, got {type(out).__name__}")
    if not (out.data - out.data == 0.0):  # nan and inf only
        raise FloatingPointError(
            f"step_backward from a non-finite output {out!r}: every gradient would be nan or inf"
        )
    _check_size(len(out._topological_order()), "step_backward")
    graph = _graph(out)
    return BackwardPlayer(out, _steps(out), _pick_rankdir(graph, rankdir))


class BackwardPlayer(Player):
    """The steps of a backward pass, shown as an interactive player; made by ``step_backward``.

    Parameters
    ----------
    out : Value
        The output whose backward pass the steps are; also the attribute ``out``.
    steps : list of BackwardStep
        One per node with parents, in ``out.backward()``'s order; also the attribute ``steps``.
    rankdir : str
        Layout direction of the drawing: ``"LR"``, ``"RL"``, ``"TB"`` or ``"BT"``.

    Examples
    --------
    >>> from pybackprop import Value, step_backward
    >>> player = step_backward(Value(2.0, label="a").tanh())
    >>> len(player.steps), player.steps[0].node.op
    (1, 'tanh')
    """

    key = ("orange: the node passing its gradient back", "blue: the nodes receiving it")

    def __init__(self, out: Value, steps: list[BackwardStep], rankdir: str) -> None:
        self.out = out
        self.steps = steps
        self.rankdir = rankdir

    def __repr__(self) -> str:
        return f"<backward pass of {self.out!r}: {len(self.steps)} steps>"

    @property
    def title(self) -> str:
        """``Backward pass of`` the output's name."""
        return f"Backward pass of {_owner(_names(_nodes(self.out))[id(self.out)])}"

    def _frames(self, pid: str) -> Frames:
        """The drawing, and per step the highlighted ids, new grad texts and the chain rule."""
        order = _nodes(self.out)
        short = {id(node): f"v{i}" for i, node in enumerate(order)}
        # Step 0: the output's gradient is 1, no other is known yet.
        start = {id(node): "grad " + _number(1.0 if node is self.out else 0.0) for node in order}
        svg, note = _drawing(self, pid, short, start)
        steps = []
        for step in self.steps:
            name = short[id(step.node)]
            on = [name, f"{name}_op", f"{name}-out"]
            on += [f"{name}-in{j}" for j in range(len(step.updates))]
            grads = {short[id(u.parent)]: "grad " + _number(u.grad_after) for u in step.updates}
            steps.append({"on": on, "grads": grads, "text": step.text})
        out_name = _owner(_names(order)[id(self.out)])
        intro = (
            f"Step 0: {out_name}.grad = 1, the output's gradient with respect to itself; no "
            "other gradient is known yet. Next passes it back one node at a time."
        )
        shown = {short[node_id]: text for node_id, text in start.items()}
        return Frames(svg, shown, steps, intro, note)


# --- the HTML --------------------------------------------------------------------------------


def _drawing(
    player: BackwardPlayer, pid: str, short: dict[int, str], start: dict[int, str]
) -> tuple[str, str | None]:
    """The SVG, in px with step 0's grad texts and ids ``pid-v0``, ..., and the note if no dot."""
    out = player.out
    # Lay out with each node's longest grad text, so that no later step overflows its box.
    widest = dict(start)
    for step in player.steps:
        for update in step.updates:
            text = "grad " + _number(update.grad_after)
            if len(text) > len(widest[id(update.parent)]):
                widest[id(update.parent)] = text
    graph = _graph(out, grad_text=widest)
    note = _too_big_for_dot(len(short)) or _missing_graphviz(package=False)
    svg_text = None
    if note is None:
        try:
            svg_text = _dot_svg(_dot_source(graph, player.rankdir, ids=pid))
        except (OSError, RuntimeError) as err:  # a broken install must not stop the chapter
            note = f"{err}. Drawn with pybackprop's built-in layout instead."
    if svg_text is None:
        svg_text = _svg_layout(graph, player.rankdir, ids=pid)
    ET.register_namespace("", SVG_NS)
    svg = ET.fromstring(svg_text)
    for title in svg.iter(f"{{{SVG_NS}}}title"):
        title.text = ""  # Graphviz's node names (v0, v1) mean nothing to a reader
    # One pass over the drawing, not one search per node (which made 2,922 nodes take 30 s).
    by_id = {element.get("id"): element for element in svg.iter() if element.get("id")}
    for node_id, name in short.items():
        group = by_id[f"{pid}-{name}"]
        grad_text = group.findall(f"{{{SVG_NS}}}text")[-1]  # the last field: grad
        grad_text.set("class", "pbp-grad")
        grad_text.text = start[node_id]
    _, _, width, height = (float(x) for x in svg.get("viewBox").split())
    svg.set("width", f"{width * PX_PER_PT:.0f}")
    svg.set("height", f"{height * PX_PER_PT:.0f}")
    svg.set("role", "img")
    label = _names(_nodes(out))[id(out)]
    svg.set("aria-label", f"Computation graph of {label}, with each node's data and gradient")
    return ET.tostring(svg, encoding="unicode"), note
