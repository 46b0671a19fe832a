"""The scalar half: a micrograd-style autograd engine, scalar networks, and graph drawings.

Everything here works one number at a time, so each step of backpropagation can be printed and
drawn; ``pybackprop.nn`` does the same maths on whole batches. ``Value`` (``engine``) records
the operations that made it; ``Neuron``, ``Layer``, ``MLP`` (``nn``) are built from Values;
``to_dot`` and ``draw_graph`` (``graph``) draw a computation graph; ``step_backward``
(``player``) steps through the backward pass.
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
