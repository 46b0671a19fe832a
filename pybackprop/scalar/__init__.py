"""The scalar half of pybackprop: a micrograd-style autograd engine, networks of scalar
neurons, and drawings of computation graphs."""

from .engine import Value
from .graph import draw_graph, to_dot
from .nn import MLP, Layer, Neuron

__all__ = ["MLP", "Layer", "Neuron", "Value", "draw_graph", "to_dot"]
