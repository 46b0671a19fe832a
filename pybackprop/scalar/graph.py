"""Drawing a Value's computation graph with Graphviz.

Each Value is a record box ``label | data | grad``; each operation is a small oval between the
Values it reads and the Value it makes. ``to_dot`` returns the DOT source and needs nothing
installed; ``draw_graph`` wraps the same source in a ``graphviz.Digraph``, which Jupyter (and
the rendered book) show as SVG.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from .engine import Value

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_graph", "to_dot"]

RANKDIRS = ("LR", "RL", "TB", "BT")


def _escape(text: str) -> str:
    """Escape text for a quoted record label: quotes, backslashes and record syntax."""
    return "".join("\\" + ch if ch in '\\"{}|<>' else ch for ch in text)


def _number(x: float) -> str:
    """4 decimals, or scientific notation when that would hide the number."""
    return f"{x:.4f}" if x == 0.0 or 1e-4 <= abs(x) < 1e6 else f"{x:.4e}"


def _body(v: Value) -> list[str]:
    """DOT statements (one per line) for every node reachable from v, parents first."""
    order = v._topological_order()
    names = {node: f"v{i}" for i, node in enumerate(order)}
    lines = []
    for node in order:
        name = names[node]
        fields = [f"data {_number(node.data)}", f"grad {_number(node.grad)}"]
        if node.label:
            fields.insert(0, _escape(node.label))
        lines.append(f'\t{name} [label="{{ {" | ".join(fields)} }}" shape=record]\n')
        if node.parents:
            lines.append(f'\t{name}_op [label="{_escape(node.op)}" shape=oval height=0.3]\n')
            lines.append(f"\t{name}_op -> {name}\n")
            for parent in node.parents:
                lines.append(f"\t{names[parent]} -> {name}_op\n")
    return lines


def _check_rankdir(rankdir: str) -> None:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")


def to_dot(v: Value, rankdir: str = "LR") -> str:
    """Graphviz DOT source for the graph that computed ``v`` (left to right by default).

    Each Value is a record box ``label | data | grad`` (numbers to 4 decimals, or in
    scientific notation when that would hide them), each operation an oval between its inputs
    and its result. Needs nothing installed: paste the text into any Graphviz viewer, or use
    ``draw_graph`` to see it in Jupyter.

    Parameters
    ----------
    v : Value
        The output whose graph to draw; every Value it was computed from is included.
    rankdir : str, default "LR"
        Graphviz layout direction: ``"LR"`` (inputs on the left), ``"RL"``, ``"TB"``
        (inputs at the top) or ``"BT"``.

    Returns
    -------
    str
        The DOT source, one statement per line, ending with a newline.

    Raises
    ------
    TypeError
        If ``v`` is not a Value.
    ValueError
        If ``rankdir`` is not one of ``"LR"``, ``"RL"``, ``"TB"``, ``"BT"``.

    See Also
    --------
    draw_graph

    Examples
    --------
    >>> from pybackprop import Value, to_dot
    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> c = a * b
    >>> c.label = "c"
    >>> c.backward()
    >>> print(to_dot(c))
    digraph {
        graph [rankdir=LR]
        v0 [label="{ b | data -3.0000 | grad 2.0000 }" shape=record]
        v1 [label="{ a | data 2.0000 | grad -3.0000 }" shape=record]
        v2 [label="{ c | data -6.0000 | grad 1.0000 }" shape=record]
        v2_op [label="*" shape=oval height=0.3]
        v2_op -> v2
        v1 -> v2_op
        v0 -> v2_op
    }
    """
    if not isinstance(v, Value):
        raise TypeError(f"to_dot needs a Value, got {type(v).__name__}")
    _check_rankdir(rankdir)
    return "digraph {\n" + f"\tgraph [rankdir={rankdir}]\n" + "".join(_body(v)) + "}\n"


def draw_graph(v: Value, rankdir: str = "LR") -> graphviz.Digraph:
    """The graph that computed ``v`` as a ``graphviz.Digraph`` (displays as SVG in Jupyter).

    The same drawing as ``to_dot``, wrapped so that a notebook cell ending in
    ``draw_graph(v)`` shows the picture; ``.render(...)`` or ``.pipe(format="svg")`` on the
    result writes it out. Needs the ``graphviz`` Python package and Graphviz's ``dot``
    program (imported and looked up only when called, so ``import pybackprop`` does not).

    Parameters
    ----------
    v : Value
        The output whose graph to draw; every Value it was computed from is included.
    rankdir : str, default "LR"
        Graphviz layout direction: ``"LR"`` (inputs on the left), ``"RL"``, ``"TB"``
        (inputs at the top) or ``"BT"``.

    Returns
    -------
    graphviz.Digraph
        The graph, ready to display or render.

    Raises
    ------
    TypeError
        If ``v`` is not a Value.
    ValueError
        If ``rankdir`` is not one of ``"LR"``, ``"RL"``, ``"TB"``, ``"BT"``.
    ImportError
        If the ``graphviz`` Python package is missing (the message says how to install it).
    RuntimeError
        If Graphviz's ``dot`` program is not on ``PATH`` (the message says how to install it).

    See Also
    --------
    to_dot

    Examples
    --------
    >>> from pybackprop import Value, draw_graph
    >>> x = Value(0.5, label="x")
    >>> y = (2 * x).tanh()
    >>> g = draw_graph(y, rankdir="TB")
    >>> type(g).__name__, g.graph_attr
    ('Digraph', {'rankdir': 'TB'})
    >>> sum(line.count("shape=oval") for line in g.body)  # one oval per operation: *, tanh
    2
    """
    if not isinstance(v, Value):
        raise TypeError(f"draw_graph needs a Value, got {type(v).__name__}")
    _check_rankdir(rankdir)
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install graphviz "
            "(to_dot(v) gives the DOT source without it)"
        ) from None
    if shutil.which("dot") is None:
        raise RuntimeError(
            "draw_graph needs Graphviz's `dot` program, which is not on PATH. Install Graphviz: "
            "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
            "`conda install -c conda-forge graphviz`, or see https://graphviz.org/download/"
        )
    return graphviz.Digraph(graph_attr={"rankdir": rankdir}, body=_body(v))
