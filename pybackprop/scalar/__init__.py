"""The scalar half: a micrograd-style autograd engine, scalar networks, and graph drawings.

An engine that differentiates one number at a time, networks of scalar neurons built on it,
and drawings of computation graphs.

Everything here works one number at a time, so each step of backpropagation can be printed
and drawn; the array half (``pybackprop.nn``) does the same maths on whole batches.

- ``Value``: a scalar that records the operations that made it; ``backward()`` fills in the
  gradient of every Value it came from (``pybackprop.scalar.engine``).
- ``Neuron``, ``Layer``, ``MLP``: networks built from Values, x: (n_in,) -> (n_out,)
  (``pybackprop.scalar.nn``).
- ``to_dot``, ``draw_graph``: the computation graph as Graphviz source or as a picture, also
  for a learner's own micrograd-style class; ``GraphDrawing`` is the picture drawn without
  Graphviz (``pybackprop.scalar.graph``).
- ``step_backward``: the backward pass one node at a time, as ``BackwardStep`` records and an
  interactive player for Jupyter and the book (``pybackprop.scalar.player``).

Examples
--------
>>> from pybackprop.scalar import MLP, Value
>>> mlp = MLP(3, [4, 1], rng=0)
>>> loss = (mlp([1.0, 2.0, -1.0]) - Value(1.0)) ** 2
>>> print(round(loss.data, 4))
5.5499
>>> loss.backward()
>>> len(mlp.parameters())  # (3 + 1) * 4 + (4 + 1) * 1, each with its .grad filled in
21
"""

from .engine import Value
from .graph import GraphDrawing, draw_graph, to_dot
from .nn import MLP, Layer, Neuron
from .player import BackwardPlayer, BackwardStep, GradUpdate, step_backward

__all__ = [
    "MLP",
    "BackwardPlayer",
    "BackwardStep",
    "GradUpdate",
    "GraphDrawing",
    "Layer",
    "Neuron",
    "Value",
    "draw_graph",
    "step_backward",
    "to_dot",
]
